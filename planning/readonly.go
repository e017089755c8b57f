package planning

import "context"

// readOnlyKey marks a context whose request only reads.
type readOnlyKey struct{}

// ReadOnly returns ctx marked as a read-only request's (an API GET): a
// Store may then answer its reads from a read replica that has replayed
// the data versions the server knows (package data, WithReadReplica).
// Without the mark (writes, jobs, the commands) reads go to the primary.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

// IsReadOnly reports whether ctx carries the ReadOnly mark.
func IsReadOnly(ctx context.Context) bool {
	ok, _ := ctx.Value(readOnlyKey{}).(bool)
	return ok
}
