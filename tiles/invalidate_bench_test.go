package tiles_test

import (
	"context"
	"testing"
	"time"

	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// fakeSource draws a few bytes for any tile and reports one road written
// (a box of about 200 m) at every version.
type fakeSource struct{ roads int64 }

func (f *fakeSource) Tile(context.Context, tiles.Request) ([]byte, []string, error) {
	return []byte{0x1a, 0x02, 0x08, 0x01}, nil, nil
}

func (f *fakeSource) Versions(context.Context) (map[string]int64, error) {
	return map[string]int64{"roads": f.roads}, nil
}

func (f *fakeSource) Bounds(context.Context) ([4]float64, bool, error) {
	return [4]float64{108, 24, 115, 31}, true, nil
}

func (f *fakeSource) Attribution(context.Context) (string, error) { return "", nil }

func (f *fakeSource) Changes(_ context.Context, _ string, after, upTo int64) ([][4]float64, bool, error) {
	var boxes [][4]float64
	for v := after + 1; v <= upTo; v++ {
		boxes = append(boxes, [4]float64{113.5, 29.5, 113.502, 29.5015})
	}
	return boxes, true, nil
}

// BenchmarkRefreshInvalidate measures a Refresh after one road edit with
// 100,000 tiles of set all cached (z14 over a province-sized extent): the
// time every user's write waits for and the cache lock is held.
func BenchmarkRefreshInvalidate(b *testing.B) {
	src := &fakeSource{roads: 1}
	s := tiles.NewService(src, tiles.NewCache(1<<30), time.Minute, admit.NewGate(2, 8, 2*time.Second))
	ctx := context.Background()
	if err := s.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	n := 0
	for x := 13300; x < 13300+400 && n < 100_000; x++ {
		for y := 6700; y < 6700+250 && n < 100_000; y++ {
			if _, _, _, err := s.Tile(ctx, "all", 14, x, y, tiles.Filter{}); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ResetTimer()
	for range b.N {
		src.roads++
		if err := s.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
