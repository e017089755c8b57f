package data_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// BenchmarkTileReview renders the review set's tile over the demo county
// seat at z8 and z12 through Store.Tile: the statement's composition, the
// query and the MVT encoding, without the tile cache.
func BenchmarkTileReview(b *testing.B) {
	benchTileReview(b, "")
}

// BenchmarkTileReviewAsOf is BenchmarkTileReview as of a past date, through
// its snapshot (built before the timer, as the map's first tile of that
// date builds it).
func BenchmarkTileReviewAsOf(b *testing.B) {
	benchTileReview(b, "2016-12-31")
}

func benchTileReview(b *testing.B, asOf string) {
	db := datatest.NewDemo(b)
	layers, _ := tiles.SetLayers("review")
	for _, z := range []maptile.Zoom{8, 12} {
		tile := maptile.At(orb.Point{113.45, 29.48}, z)
		b.Run("z"+string(rune('0'+z/10))+string(rune('0'+z%10)), func(b *testing.B) {
			req := tiles.Request{Layers: tiles.LayersAt(layers, int(z)), Z: int(z), X: int(tile.X), Y: int(tile.Y), Filter: tiles.Filter{AsOf: asOf}}
			if _, _, err := db.Store.Tile(datatest.Context(), req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := db.Store.Tile(datatest.Context(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
