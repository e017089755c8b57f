package admit

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGateQueueFullAndTimeout(t *testing.T) {
	g := NewGate(1, 1, 50*time.Millisecond)
	release, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// One waiter fits; while it waits, a third is refused at once.
	waited := make(chan error)
	go func() {
		_, err := g.Acquire(context.Background())
		waited <- err
	}()
	for g.Stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, err := g.Acquire(context.Background()); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third acquire: got %v, want ErrQueueFull", err)
	}
	if d := time.Since(start); d > 20*time.Millisecond {
		t.Errorf("a full queue refused after %s, want at once", d)
	}
	if err := <-waited; !errors.Is(err, ErrQueueTimeout) {
		t.Fatalf("waiter: got %v, want ErrQueueTimeout", err)
	}
	if s := g.Stats(); s != (GateStats{InUse: 1, Waiting: 0}) {
		t.Fatalf("after the timeout: %+v", s)
	}
	release()
	release() // a second call must not free a second slot
	if s := g.Stats(); s != (GateStats{}) {
		t.Fatalf("after release: %+v", s)
	}
}

func TestGateFIFOAndCancel(t *testing.T) {
	g := NewGate(1, 10, time.Second)
	release, _ := g.Acquire(context.Background())
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		_, err := g.Acquire(ctx)
		cancelled <- err
	}()
	for g.Stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := g.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			rel()
		}()
		for g.Stats().Waiting != 2+i {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	release()
	wg.Wait()
	for i, v := range order {
		if v != i {
			t.Fatalf("served in order %v, want arrival order", order)
		}
	}
	if s := g.Stats(); s != (GateStats{}) {
		t.Fatalf("at the end: %+v", s)
	}
}

// TestGateRandom checks, over random arrivals, waits and cancellations,
// that holders never exceed the limit, waiters never exceed the queue,
// and every slot comes back.
func TestGateRandom(t *testing.T) {
	for seed := range 20 {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		limit, queue := 1+rng.IntN(4), rng.IntN(6)
		g := NewGate(limit, queue, time.Duration(1+rng.IntN(5))*time.Millisecond)
		var holding, maxHolding atomic.Int64
		var wg sync.WaitGroup
		for range 200 {
			hold := time.Duration(rng.IntN(2000)) * time.Microsecond
			cancelAfter := time.Duration(rng.IntN(4000)) * time.Microsecond
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), cancelAfter)
				defer cancel()
				rel, err := g.Acquire(ctx)
				if s := g.Stats(); s.Waiting > queue || s.InUse > limit {
					t.Errorf("seed %d: %+v over limit %d queue %d", seed, s, limit, queue)
				}
				if err != nil {
					return
				}
				n := holding.Add(1)
				for m := maxHolding.Load(); n > m && !maxHolding.CompareAndSwap(m, n); m = maxHolding.Load() {
				}
				time.Sleep(hold)
				holding.Add(-1)
				rel()
			}()
		}
		wg.Wait()
		if m := maxHolding.Load(); m > int64(limit) {
			t.Fatalf("seed %d: %d held at once, limit %d", seed, m, limit)
		}
		if s := g.Stats(); s != (GateStats{}) {
			t.Fatalf("seed %d: slots leaked: %+v", seed, s)
		}
	}
}

func TestBucket(t *testing.T) {
	b := NewBucket(6) // one every 10 s
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6 {
		if ok, _ := b.Take("a", now); !ok {
			t.Fatalf("take %d refused within the burst", i+1)
		}
	}
	ok, retry := b.Take("a", now)
	if ok || retry != 10*time.Second {
		t.Fatalf("7th take: ok %v retry %s, want refused, 10s", ok, retry)
	}
	if ok, _ := b.Take("b", now); !ok {
		t.Fatal("another user was refused")
	}
	if ok, retry := b.Take("a", now.Add(4*time.Second)); ok || retry != 6*time.Second {
		t.Fatalf("after 4 s: ok %v retry %s, want refused, 6s", ok, retry)
	}
	if ok, _ := b.Take("a", now.Add(10*time.Second)); !ok {
		t.Fatal("after 10 s a token should be back")
	}
	b.Give("a")
	if ok, _ := b.Take("a", now.Add(10*time.Second)); !ok {
		t.Fatal("a token given back was not there")
	}
	if ok, _ := b.Take("a", now.Add(10*time.Second)); ok {
		t.Fatal("a second token appeared from nowhere")
	}
}
