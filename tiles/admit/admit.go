package admit

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// ErrQueueFull is returned by [Gate.Acquire] when every slot is taken and
// the queue holds its maximum: the caller is refused without waiting.
var ErrQueueFull = errors.New("admit: every slot is taken and the queue is full")

// ErrQueueTimeout is returned by [Gate.Acquire] when a waiter got no slot
// within the gate's queue wait.
var ErrQueueTimeout = errors.New("admit: no slot freed within the queue wait")

// Gate admits at most Limit concurrent holders; up to Queue more wait, in
// arrival order, at most Wait each. It is safe for concurrent use.
type Gate struct {
	limit, queue int
	wait         time.Duration

	mu      sync.Mutex
	inUse   int
	waiters list.List // of chan struct{}, closed when the slot is handed over
}

// NewGate returns a Gate of limit slots (at least 1) with a queue of queue
// waiters (0: refuse at once when full) who wait at most wait.
func NewGate(limit, queue int, wait time.Duration) *Gate {
	return &Gate{limit: max(limit, 1), queue: max(queue, 0), wait: wait}
}

// Limit is the number of concurrent holders the gate admits.
func (g *Gate) Limit() int { return g.limit }

// Wait is the longest a waiter queues before [ErrQueueTimeout].
func (g *Gate) Wait() time.Duration { return g.wait }

// Acquire takes a slot, waiting in the queue if every slot is taken, and
// returns the function that gives it back (call it once). Errors:
// ErrQueueFull, ErrQueueTimeout, or ctx's error when it ends first.
func (g *Gate) Acquire(ctx context.Context) (release func(), err error) {
	g.mu.Lock()
	if g.inUse < g.limit && g.waiters.Len() == 0 {
		g.inUse++
		g.mu.Unlock()
		return g.releaser(), nil
	}
	if g.waiters.Len() >= g.queue {
		g.mu.Unlock()
		return nil, ErrQueueFull
	}
	ready := make(chan struct{})
	el := g.waiters.PushBack(ready)
	g.mu.Unlock()

	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case <-ready:
		return g.releaser(), nil
	case <-timer.C:
		err = ErrQueueTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-ready:
		// The slot was handed over while giving up: give it back.
		g.handOver()
	default:
		g.waiters.Remove(el)
	}
	return nil, err
}

// TryIdle takes a slot only when nobody holds or waits for one, without
// waiting: background work (re-rendering dropped tiles) that must never
// delay a user.
func (g *Gate) TryIdle() (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inUse > 0 || g.waiters.Len() > 0 {
		return nil, false
	}
	g.inUse++
	return g.releaser(), true
}

// releaser returns a release function that frees the slot only once.
func (g *Gate) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.handOver()
		})
	}
}

// handOver passes a freed slot to the first waiter, or frees it. g.mu is
// held.
func (g *Gate) handOver() {
	if front := g.waiters.Front(); front != nil {
		g.waiters.Remove(front)
		close(front.Value.(chan struct{}))
		return
	}
	g.inUse--
}

// GateStats is a snapshot of a gate.
type GateStats struct {
	InUse, Waiting int
}

// Stats returns how many hold a slot and how many wait.
func (g *Gate) Stats() GateStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GateStats{InUse: g.inUse, Waiting: g.waiters.Len()}
}

// Bucket is a token bucket per key (a user): each key may take Burst at
// once and then one every Every. It is safe for concurrent use; keys
// whose bucket is full again are forgotten.
type Bucket struct {
	burst int
	every time.Duration

	mu   sync.Mutex
	keys map[string]*tokens
}

type tokens struct {
	n    float64
	last time.Time
}

// NewBucket returns a Bucket allowing perMinute takes a minute per key,
// all of them at once at most.
func NewBucket(perMinute int) *Bucket {
	perMinute = max(perMinute, 1)
	return &Bucket{burst: perMinute, every: time.Minute / time.Duration(perMinute), keys: map[string]*tokens{}}
}

// PerMinute is the rate the bucket allows each key.
func (b *Bucket) PerMinute() int { return b.burst }

// Take spends one of key's tokens at now. When none is left it returns
// false and how long until one is.
func (b *Bucket) Take(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forget(now)
	t := b.keys[key]
	if t == nil {
		t = &tokens{n: float64(b.burst), last: now}
		b.keys[key] = t
	}
	t.refill(now, b)
	if t.n < 1 {
		return false, time.Duration((1 - t.n) * float64(b.every))
	}
	t.n--
	return true, 0
}

// Give returns a token key took but did not use (its request was refused
// for another reason), up to the burst.
func (b *Bucket) Give(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.keys[key]; t != nil {
		t.n = min(float64(b.burst), t.n+1)
	}
}

func (t *tokens) refill(now time.Time, b *Bucket) {
	if d := now.Sub(t.last); d > 0 {
		t.n = min(float64(b.burst), t.n+float64(d)/float64(b.every))
		t.last = now
	}
}

// forget drops the keys whose bucket has refilled, so that the map holds
// only recent users. b.mu is held.
func (b *Bucket) forget(now time.Time) {
	if len(b.keys) < 1024 {
		return
	}
	for k, t := range b.keys {
		if t.refill(now, b); t.n >= float64(b.burst) {
			delete(b.keys, k)
		}
	}
}
