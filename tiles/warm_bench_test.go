package tiles_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// BenchmarkWarmTile measures a cached tile's lookup by the engine, the
// part of a warm request that is gapmap's own (the rest is net/http and the
// middleware): with allocations, as they drive the garbage collector under
// thousands of requests a second.
func BenchmarkWarmTile(b *testing.B) {
	s := tiles.NewService(&fakeSource{roads: 1}, tiles.NewCache(1<<20), time.Minute, admit.NewGate(2, 8, 2*time.Second))
	ctx := context.Background()
	if err := s.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	if _, _, _, err := s.Tile(ctx, "review", 12, 3340, 1693, tiles.Filter{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, hit, err := s.Tile(ctx, "review", 12, 3340, 1693, tiles.Filter{}); err != nil || !hit {
			b.Fatal(hit, err)
		}
	}
}

// TestVersionTagFollowsRefresh: the version tag a tile is served under
// (kept per set between refreshes) moves with a write's refresh and is the
// one TileJSON's URLs carry, before and after.
func TestVersionTagFollowsRefresh(t *testing.T) {
	src := &fakeSource{roads: 1}
	s := tiles.NewService(src, tiles.NewCache(1<<20), time.Minute, admit.NewGate(2, 8, 2*time.Second))
	ctx := context.Background()
	tag := func() string {
		t.Helper()
		_, v, _, err := s.Tile(ctx, "review", 12, 3340, 1693, tiles.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := s.TileJSON("review", "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(doc.Tiles[0], "?v="+v) {
			t.Fatalf("tile served under version %s, TileJSON says %s", v, doc.Tiles[0])
		}
		return v
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := tag()
	if again := tag(); again != first {
		t.Fatalf("tag moved without a write: %s then %s", first, again)
	}
	src.roads++
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if after := tag(); after == first {
		t.Fatalf("tag %s did not move after a write's refresh", after)
	}
}
