package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestRingArea holds RingArea to orb, the independent implementation:
// planar.Area gives the same signed number and Ring.Orientation its sign,
// for closed and open rings of lon/lat near Hunan.
func TestRingArea(t *testing.T) {
	sq := orb.Ring{{113, 29}, {113.1, 29}, {113.1, 29.1}, {113, 29.1}, {113, 29}}
	if got := RingArea(sq); math.Abs(got-0.01) > 1e-15 {
		t.Errorf("RingArea(0.1° square, counter-clockwise) = %v, want 0.01", got)
	}
	sq.Reverse()
	if got := RingArea(sq); math.Abs(got+0.01) > 1e-15 {
		t.Errorf("RingArea(0.1° square, clockwise) = %v, want -0.01", got)
	}
	for _, r := range []orb.Ring{nil, {{1, 1}}, {{1, 1}, {2, 2}}, {{0, 0}, {1, 1}, {2, 2}, {0, 0}}} {
		if got := RingArea(r); got != 0 {
			t.Errorf("RingArea(%v) = %v, want 0", r, got)
		}
	}

	rng := rand.New(rand.NewPCG(15, 6))
	for range 2000 {
		n := 3 + rng.IntN(12)
		r := make(orb.Ring, n)
		for i := range r {
			r[i] = orb.Point{113 + rng.Float64(), 29 + rng.Float64()}
		}
		open := r
		closed := append(r[:n:n], r[0])
		for _, r := range []orb.Ring{open, closed} {
			got := RingArea(r)
			if want := planar.Area(r); got != want {
				t.Fatalf("RingArea(%v) = %v, planar.Area = %v", r, got, want)
			}
			if o := r.Orientation(); (got > 0 && o != orb.CCW) || (got < 0 && o != orb.CW) || (got == 0 && o != 0) {
				t.Fatalf("RingArea(%v) = %v but Orientation = %v", r, got, o)
			}
		}
	}
}

func TestOnSegment(t *testing.T) {
	a, b := orb.Point{0, 0}, orb.Point{2, 2}
	for _, c := range []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{1, 1}, true},
		{a, true},
		{b, true},
		{orb.Point{3, 3}, false},   // on the line, past b
		{orb.Point{1, 1.5}, false}, // off the line
		{orb.Point{math.NaN(), 1}, false},
	} {
		if got := OnSegment(a, b, c.p); got != c.want {
			t.Errorf("OnSegment(%v, %v, %v) = %v, want %v", a, b, c.p, got, c.want)
		}
	}
}

func BenchmarkRingArea(b *testing.B) {
	r := make(orb.Ring, 0, 101)
	for i := range 100 {
		s, c := math.Sincos(2 * math.Pi * float64(i) / 100)
		r = append(r, orb.Point{113 + 0.01*c, 29 + 0.01*s})
	}
	r = append(r, r[0])
	b.Run("RingArea", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			RingArea(r)
		}
	})
	b.Run("planar.Area", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			planar.Area(r)
		}
	})
}
