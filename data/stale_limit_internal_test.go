package data

// SetStaleFullAt lowers the change count past which an incremental run
// re-scores every village, for the test of that rule; it returns the undo.
func SetStaleFullAt(n int64) (restore func()) {
	old := staleFullAt
	staleFullAt = n
	return func() { staleFullAt = old }
}
