package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func loader(body []byte) func(context.Context) ([]byte, string, error) {
	return func(context.Context) ([]byte, string, error) { return body, "", nil }
}

func TestCacheGzipOnceAndETag(t *testing.T) {
	c := NewCache(1 << 20)
	mvt := bytes.Repeat([]byte("村道"), 500)
	calls := 0
	load := func(context.Context) ([]byte, string, error) { calls++; return mvt, "roads", nil }
	a, hit, err := c.Get(context.Background(), "k", Ref{}, load)
	if err != nil || hit {
		t.Fatalf("first Get: hit=%v err=%v", hit, err)
	}
	b, hit, err := c.Get(context.Background(), "k", Ref{}, load)
	if err != nil || !hit || a != b || calls != 1 {
		t.Fatalf("second Get: hit=%v same=%v calls=%d err=%v", hit, a == b, calls, err)
	}
	if a.RawSize != len(mvt) || a.Truncated != "roads" || len(a.Gzip) >= len(mvt) {
		t.Fatalf("tile: raw %d trunc %q gzip %d", a.RawSize, a.Truncated, len(a.Gzip))
	}
	raw, err := Gunzip(a.Gzip)
	if err != nil || !bytes.Equal(raw, mvt) {
		t.Fatalf("Gunzip: %v, equal=%v", err, bytes.Equal(raw, mvt))
	}
	// Same bytes under another key: same strong ETag; different bytes: different.
	other, _, _ := c.Get(context.Background(), "k2", Ref{}, loader(mvt))
	diff, _, _ := c.Get(context.Background(), "k3", Ref{}, loader(append([]byte{1}, mvt...)))
	if other.ETag != a.ETag || diff.ETag == a.ETag || a.ETag[0] != '"' {
		t.Fatalf("ETags %s %s %s", a.ETag, other.ETag, diff.ETag)
	}
}

func TestCacheEvictsByBytes(t *testing.T) {
	const max = 64 << 10
	c := NewCache(max)
	for i := 0; i < 200; i++ {
		body := noise(int64(i), 4000)
		if _, _, err := c.Get(context.Background(), fmt.Sprint(i), Ref{}, loader(body)); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.Bytes > max {
			t.Fatalf("after %d tiles the cache holds %d bytes > %d", i+1, s.Bytes, max)
		}
	}
	s := c.Stats()
	if s.Entries == 0 || s.Entries >= 200 {
		t.Fatalf("entries %d: expected eviction to keep some but not all", s.Entries)
	}
	// The most recent key survives, the first one was evicted.
	if _, hit, _ := c.Get(context.Background(), "199", Ref{}, loader(nil)); !hit {
		t.Error("most recent tile was evicted")
	}
	if _, hit, _ := c.Get(context.Background(), "0", Ref{}, loader([]byte("x"))); hit {
		t.Error("oldest tile survived eviction")
	}
}

// noise returns n incompressible bytes, so gzip sizes are predictable.
func noise(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func TestCacheLRUOrder(t *testing.T) {
	probe, _ := newTile(noise(0, 2000), "")
	per := entrySize("k0", probe)
	c := NewCache(per*8 + per/2) // room for eight
	for i := 0; i < 8; i++ {
		c.Get(context.Background(), fmt.Sprint("k", i), Ref{}, loader(noise(int64(i), 2000)))
	}
	c.Get(context.Background(), "k0", Ref{}, loader(nil)) // touch k0: k1 is now oldest
	c.Get(context.Background(), "k8", Ref{}, loader(noise(8, 2000)))
	if _, hit, _ := c.Get(context.Background(), "k0", Ref{}, loader(noise(0, 2000))); !hit {
		t.Error("recently used k0 was evicted")
	}
	if _, hit, _ := c.Get(context.Background(), "k1", Ref{}, loader(noise(1, 2000))); hit {
		t.Error("least recently used k1 survived")
	}
}

func TestCacheOversizeNotStored(t *testing.T) {
	c := NewCache(8 << 10)
	big := noise(1, 1500) // > 8 KiB / 8 after gzip
	tile, _, err := c.Get(context.Background(), "big", Ref{}, loader(big))
	if err != nil || tile.RawSize != len(big) {
		t.Fatalf("oversize tile not returned: %v", err)
	}
	if s := c.Stats(); s.Entries != 0 {
		t.Fatalf("oversize tile stored: %+v", s)
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	c := NewCache(1 << 20)
	boom := errors.New("boom")
	_, _, err := c.Get(context.Background(), "k", Ref{}, func(context.Context) ([]byte, string, error) { return nil, "", boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	tile, hit, err := c.Get(context.Background(), "k", Ref{}, loader([]byte("ok")))
	if err != nil || hit || tile.RawSize != 2 {
		t.Fatalf("after error: hit=%v err=%v", hit, err)
	}
}

// Many concurrent misses for one key run the loader once; run with -race.
func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	c := NewCache(1 << 20)
	var calls atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) ([]byte, string, error) {
		calls.Add(1)
		<-release
		return []byte("tile"), "", nil
	}
	const n = 32
	tiles := make([]*Tile, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tile, _, err := c.Get(context.Background(), "k", Ref{}, load)
			if err != nil {
				t.Error(err)
			}
			tiles[i] = tile
		}(i)
	}
	// Let the goroutines pile up behind the first load, then release it.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		joined := 0
		if cl := c.inflight["k"]; cl != nil {
			joined = cl.joined
		}
		c.mu.Unlock()
		if joined == n-1 {
			break
		}
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("loader ran %d times, want 1", calls.Load())
	}
	for i := range tiles {
		if tiles[i] != tiles[0] {
			t.Fatal("callers got different tiles")
		}
	}
	if s := c.Stats(); s.Misses+s.Shared+s.Hits != n || s.Misses != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// A waiter keeps its tile when the caller that started the load gives up.
func TestCacheLeaderCancelledWaiterRetries(t *testing.T) {
	c := NewCache(1 << 20)
	leaderCtx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go c.Get(leaderCtx, "k", Ref{}, func(ctx context.Context) ([]byte, string, error) {
		close(started)
		<-ctx.Done()
		return nil, "", ctx.Err()
	})
	<-started
	done := make(chan error, 1)
	go func() {
		tile, _, err := c.Get(context.Background(), "k", Ref{}, loader([]byte("fresh")))
		if err == nil && tile.RawSize != 5 {
			err = fmt.Errorf("raw size %d", tile.RawSize)
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the waiter join
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestCachePurgeDropsEverything(t *testing.T) {
	c := NewCache(1 << 20)
	c.Get(context.Background(), "k", Ref{}, loader([]byte("old")))
	c.Purge()
	tile, hit, _ := c.Get(context.Background(), "k", Ref{}, loader([]byte("newer")))
	if hit || tile.RawSize != 5 {
		t.Fatalf("after purge: hit=%v size=%d", hit, tile.RawSize)
	}
}

// TestCacheInvalidate drops the stale tiles and keeps the rest, and a
// load of a stale tile running at the drop answers its caller but is not
// stored: it may have read the data from before the write.
func TestCacheInvalidate(t *testing.T) {
	c := NewCache(1 << 20)
	ctx := context.Background()
	a, b := Ref{Set: "all", Z: 14, X: 1, Y: 1}, Ref{Set: "all", Z: 14, X: 2, Y: 1}
	c.Get(ctx, "a", a, loader([]byte("a")))
	c.Get(ctx, "b", b, loader([]byte("b")))
	release, started := make(chan struct{}), make(chan struct{})
	running := Ref{Set: "all", Z: 13, X: 1, Y: 1}
	done := make(chan *Tile)
	go func() {
		tile, _, _ := c.Get(ctx, "r", running, func(context.Context) ([]byte, string, error) {
			close(started)
			<-release
			return []byte("old"), "", nil
		})
		done <- tile
	}()
	<-started
	dropped := c.Invalidate(func(r Ref) bool { return r.X == 1 })
	if len(dropped) != 1 || dropped[0] != a || c.Has("a") || !c.Has("b") {
		t.Errorf("dropped %v; a cached %v, b cached %v; want a dropped, b kept", dropped, c.Has("a"), c.Has("b"))
	}
	close(release)
	if tile := <-done; tile == nil || tile.RawSize != 3 {
		t.Errorf("the running load answered %v", tile)
	}
	if c.Has("r") {
		t.Error("a load running at the drop was stored")
	}
	if tile, hit, _ := c.Get(ctx, "r", running, loader([]byte("fresh"))); hit || tile.RawSize != 5 {
		t.Errorf("after the drop: hit %v, size %d; want a fresh load", hit, tile.RawSize)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := NewCache(64 << 20)
	for i := 0; i < 1000; i++ {
		c.Get(context.Background(), fmt.Sprint(i), Ref{}, loader(bytes.Repeat([]byte{byte(i)}, 5000)))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, hit, _ := c.Get(context.Background(), fmt.Sprint(i%1000), Ref{}, loader(nil)); !hit {
				b.Fatal("miss")
			}
			i++
		}
	})
}
