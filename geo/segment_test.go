package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestSegmentsTouch(t *testing.T) {
	for _, c := range []struct {
		name       string
		p, q, r, s orb.Point
		want       bool
	}{
		{"crossing", orb.Point{0, 0}, orb.Point{2, 2}, orb.Point{0, 2}, orb.Point{2, 0}, true},
		{"parallel", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{0, 1}, orb.Point{2, 1}, false},
		{"end on the other", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{1, 0}, orb.Point{1, 1}, true},
		{"shared end", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{1, 1}, orb.Point{2, 0}, true},
		{"collinear overlap", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{1, 0}, orb.Point{3, 0}, true},
		{"collinear apart", orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{2, 0}, orb.Point{3, 0}, false},
		{"would cross if longer", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{3, 0}, orb.Point{2, 1}, false},
	} {
		if got := SegmentsTouch(c.p, c.q, c.r, c.s); got != c.want {
			t.Errorf("%s: SegmentsTouch = %v, want %v", c.name, got, c.want)
		}
		if got := SegmentsTouch(c.r, c.s, c.p, c.q); got != c.want {
			t.Errorf("%s, swapped: SegmentsTouch = %v, want %v", c.name, got, c.want)
		}
	}
	if Orient(orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0, 1}) <= 0 {
		t.Error("a point left of a→b must orient positive")
	}
}
