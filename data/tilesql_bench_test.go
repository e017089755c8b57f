package data

import (
	"testing"

	"github.com/gapmap/gapmap/tiles"
)

// BenchmarkTileSQL times getting the statement of the "all" set, which
// Store.Tile does for every tile it renders.
func BenchmarkTileSQL(b *testing.B) {
	layers, _ := tiles.SetLayers("all")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := defaultLayers.tileSQL(layers); err != nil {
			b.Fatal(err)
		}
	}
}
