package geo

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

func TestGaussKrugerZone3(t *testing.T) {
	cases := []struct {
		lon  float64
		want int
	}{
		{113.5, 4547}, // 临湘: CM 114°E
		{111.2, 4546}, // 怀化: CM 111°E
		{75, 4534},
		{135, 4554},
		{120.4, 4549}, // 烟台: CM 120°E
		{10, 0},
	}
	for _, tc := range cases {
		if got := GaussKrugerZone3(tc.lon); got != tc.want {
			t.Errorf("GaussKrugerZone3(%v) = %d, want %d", tc.lon, got, tc.want)
		}
	}
}

// TestDistanceM pins the distance the round-trip tests measure with:
// orb's haversine on a sphere of radius orb.EarthRadius (6378137 m, the
// WGS 84 semi-major axis). It replaced geo.DistanceM, whose mean radius
// (6371008.8 m) gave distances 0.11% shorter, far inside every tolerance
// it is used with.
func TestDistanceM(t *testing.T) {
	// One degree of latitude is 2π·6378137/360 ≈ 111319.5 m on that sphere.
	got := orbgeo.DistanceHaversine(orb.Point{113.5, 29.5}, orb.Point{113.5, 30.5})
	if math.Abs(got-111319.5) > 5 {
		t.Errorf("DistanceHaversine over 1° latitude = %.1f m, want ≈111319.5", got)
	}
	if d := orbgeo.DistanceHaversine(orb.Point{113.5, 29.5}, orb.Point{113.5, 29.5}); d != 0 {
		t.Errorf("DistanceHaversine of a point to itself = %v, want 0", d)
	}
}

func ExampleGaussKrugerZone3() {
	fmt.Println(GaussKrugerZone3(113.52))
	// Output: 4547
}
