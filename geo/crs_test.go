package geo

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
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

func TestDistanceM(t *testing.T) {
	// One degree of latitude is about 111.2 km on the mean sphere.
	got := DistanceM(orb.Point{113.5, 29.5}, orb.Point{113.5, 30.5})
	if math.Abs(got-111195) > 5 {
		t.Errorf("DistanceM over 1° latitude = %.1f m, want ≈111195", got)
	}
	if d := DistanceM(orb.Point{113.5, 29.5}, orb.Point{113.5, 29.5}); d != 0 {
		t.Errorf("DistanceM of a point to itself = %v, want 0", d)
	}
}

func ExampleGaussKrugerZone3() {
	fmt.Println(GaussKrugerZone3(113.52))
	// Output: 4547
}
