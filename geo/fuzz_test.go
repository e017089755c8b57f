package geo

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// fuzzSeeds are the corpus both fuzz tests start from: China's corners and
// middle, the box edges, and the inputs importers get wrong.
var fuzzSeeds = []orb.Point{
	{113.5, 29.5}, {116.3975, 39.9087}, {73.6, 39.4}, {134.7, 48.3}, {109.5, 18.25}, {122.35, 53.47},
	{chinaMinLon, chinaMinLat}, {chinaMaxLon, chinaMaxLat}, {chinaMaxLon + 0.01, 30}, {chinaMinLon - 0.01, 30},
	{29.5, 113.4}, {512345.6, 3265432.1}, {0, 0}, {-180, -90}, {180, 90}, {2.35, 48.85},
	{math.NaN(), 0}, {math.Inf(1), math.Inf(-1)}, {math.MaxFloat64, -math.MaxFloat64}, {5e-324, -0.0},
}

// FuzzGCJ02RoundTrip checks that the conversions never panic, that every
// point in the GCJ-02 box comes back from GCJ-02 and BD-09 within
// roundTripTolM, and that points outside the box are left alone. Raw
// float64 inputs seldom fall in the box, so each one is also folded into it.
func FuzzGCJ02RoundTrip(f *testing.F) {
	for _, p := range fuzzSeeds {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, lon, lat float64) {
		w := orb.Point{lon, lat}
		GCJ02ToWGS84(w) // w read as GCJ-02 or BD-09: must not panic either
		BD09ToWGS84(w)
		if !math.IsNaN(lon) && !math.IsNaN(lat) && !math.IsInf(lon, 0) && !math.IsInf(lat, 0) {
			// |math.Mod(v, 1)| is in [0, 1); Min guards against rounding up.
			checkRoundTrip(t, orb.Point{
				math.Min(chinaMaxLon, chinaMinLon+math.Abs(math.Mod(lon, 1))*(chinaMaxLon-chinaMinLon)),
				math.Min(chinaMaxLat, chinaMinLat+math.Abs(math.Mod(lat, 1))*(chinaMaxLat-chinaMinLat)),
			})
		}
		if inChinaBox(w) {
			checkRoundTrip(t, w)
			return
		}
		g, back := WGS84ToGCJ02(w), GCJ02ToWGS84(w)
		same := func(a, b orb.Point) bool {
			return math.Float64bits(a[0]) == math.Float64bits(b[0]) && math.Float64bits(a[1]) == math.Float64bits(b[1])
		}
		if !same(g, w) {
			t.Fatalf("WGS84ToGCJ02(%v) = %v, want it unchanged outside the box", w, g)
		}
		farOut := !(lon >= chinaMinLon-gcjBoxMarginDeg && lon <= chinaMaxLon+gcjBoxMarginDeg &&
			lat >= chinaMinLat-gcjBoxMarginDeg && lat <= chinaMaxLat+gcjBoxMarginDeg)
		if farOut && !same(back, w) {
			t.Fatalf("GCJ02ToWGS84(%v) = %v, want it unchanged far outside the box", w, back)
		}
	})
}

// FuzzCheckLonLat checks that CheckLonLat never panics, accepts exactly
// the finite points in the box, and names one of its causes otherwise.
func FuzzCheckLonLat(f *testing.F) {
	for _, p := range fuzzSeeds {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, lon, lat float64) {
		p := orb.Point{lon, lat}
		err := CheckLonLat(p)
		if inChinaBox(p) != (err == nil) {
			t.Fatalf("CheckLonLat(%v) = %v, but in the box is %v", p, err, inChinaBox(p))
		}
		if err == nil {
			return
		}
		var lle *LonLatError
		if !errors.As(err, &lle) || err.Error() == "" {
			t.Fatalf("CheckLonLat(%v) = %#v, want a *LonLatError", p, err)
		}
		switch {
		case errors.Is(err, ErrSwapped):
			if CheckLonLat(orb.Point{lat, lon}) != nil {
				t.Fatalf("CheckLonLat(%v) says swapped, but the swapped point is rejected too", p)
			}
		case errors.Is(err, ErrNotFinite), errors.Is(err, ErrProjected), errors.Is(err, ErrZero), errors.Is(err, ErrOutsideChina):
		default:
			t.Fatalf("CheckLonLat(%v) = %v: not one of the documented causes", p, err)
		}
	})
}

// checkRoundTrip fails t unless w, a point in the box, comes back from
// GCJ-02 and from BD-09 within roundTripTolM.
func checkRoundTrip(t *testing.T, w orb.Point) {
	t.Helper()
	g := WGS84ToGCJ02(w)
	if back := GCJ02ToWGS84(g); !(DistanceM(back, w) < roundTripTolM) {
		t.Fatalf("GCJ-02 round trip of %v via %v gave %v, %.3g m off", w, g, back, DistanceM(back, w))
	}
	if back := BD09ToWGS84(WGS84ToBD09(w)); !(DistanceM(back, w) < roundTripTolM) {
		t.Fatalf("BD-09 round trip of %v gave %v, %.3g m off", w, back, DistanceM(back, w))
	}
}
