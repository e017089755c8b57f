package data

// Helpers for the package's external tests.

import "context"

// BackendPIDs are the process ids of the PostgreSQL backends of s's idle
// connections and its snapshot Stores': a benchmark reads their CPU time
// (/proc), which a loaded machine does not inflate as it does wall time.
func (s *Store) BackendPIDs(ctx context.Context) []int {
	stores := []*Store{s}
	s.snaps.mu.Lock()
	for _, st := range s.snaps.stores {
		stores = append(stores, st)
	}
	s.snaps.mu.Unlock()
	var pids []int
	for _, st := range stores {
		for _, c := range append(st.pool.AcquireAllIdle(ctx), st.tilePool.AcquireAllIdle(ctx)...) {
			pids = append(pids, int(c.Conn().PgConn().PID()))
			c.Release()
		}
	}
	return pids
}

// Notified is how many version notifications of its schema s's listener
// has received, with its (re)connections.
func (s *Store) Notified() uint64 { return s.snaps.notified.Load() }
