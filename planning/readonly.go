package planning

import (
	"context"
	"sync/atomic"
)

// readOnlyKey marks a context whose request only reads; its value is the
// request's *ReadPin.
type readOnlyKey struct{}

// ReadOnly returns ctx marked as a read-only request's (an API GET): a
// Store may then answer its reads from a read replica that has replayed
// the data versions the server knows (package data, WithReadReplica).
// Without the mark (writes, jobs, the commands) reads go to the primary.
// The mark carries the request's ReadPin.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, &ReadPin{})
}

// IsReadOnly reports whether ctx carries the ReadOnly mark.
func IsReadOnly(ctx context.Context) bool {
	return ReadPinOf(ctx) != nil
}

// ReadPinOf returns the ReadPin of ctx's read-only request, nil without
// the ReadOnly mark.
func ReadPinOf(ctx context.Context) *ReadPin {
	p, _ := ctx.Value(readOnlyKey{}).(*ReadPin)
	return p
}

// ReadPin keeps where a read-only request's reads go once its first read
// has chosen (replica or primary), so that every later read of the request
// meets the same server: an id that one read found (the latest scoring run)
// is then found by the next one, which a standby that has not replayed it
// yet would miss. A nil *ReadPin keeps nothing: each read chooses anew.
type ReadPin struct {
	at atomic.Int32 // 0: not chosen yet; pinReplica or pinPrimary
}

const (
	pinReplica int32 = iota + 1
	pinPrimary
)

// Replica reports whether the request reads from the replica: the choice
// already made, else usable's answer, kept for the request's later reads.
func (p *ReadPin) Replica(usable func() bool) bool {
	if p == nil {
		return usable()
	}
	if at := p.at.Load(); at != 0 {
		return at == pinReplica
	}
	at := pinPrimary
	if usable() {
		at = pinReplica
	}
	p.at.CompareAndSwap(0, at) // a concurrent read of the request may have chosen first
	return p.at.Load() == pinReplica
}

// Primary sends the request's later reads to the primary: the replica
// failed one of them.
func (p *ReadPin) Primary() {
	if p != nil {
		p.at.Store(pinPrimary)
	}
}

// Writing returns ctx without the ReadOnly mark: a read route that may
// write (GET /api/v1/progress scores the year-ends it lacks) then reads,
// as writes do, from the primary, which holds what it wrote.
func Writing(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, (*ReadPin)(nil))
}
