package tiles

import (
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TileList returns the tiles at zoom z covering b, in a fixed pseudo-random
// order, at most max of them (all when max <= 0). A fixed list per zoom is
// what makes two servers' figures comparable: both are asked for the same
// tiles in the same order.
func TileList(b orb.Bound, z, max int) []maptile.Tile {
	ts := maptile.Zoom(z)
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, ts)
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, ts)
	var out []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, maptile.New(x, y, ts))
		}
	}
	// A multiplicative hash of the position gives an order that mixes near
	// and far tiles but is the same on every run.
	key := func(t maptile.Tile) uint64 { return (uint64(t.X)<<32 | uint64(t.Y)) * 0x9E3779B97F4A7C15 }
	slices.SortFunc(out, func(a, b maptile.Tile) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	if max > 0 && len(out) > max {
		out = out[:max]
	}
	return out
}
