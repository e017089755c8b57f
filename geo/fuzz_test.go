package geo

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
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
	if back := GCJ02ToWGS84(g); !(orbgeo.DistanceHaversine(back, w) < roundTripTolM) {
		t.Fatalf("GCJ-02 round trip of %v via %v gave %v, %.3g m off", w, g, back, orbgeo.DistanceHaversine(back, w))
	}
	if back := BD09ToWGS84(WGS84ToBD09(w)); !(orbgeo.DistanceHaversine(back, w) < roundTripTolM) {
		t.Fatalf("BD-09 round trip of %v gave %v, %.3g m off", w, back, orbgeo.DistanceHaversine(back, w))
	}
}

// FuzzSRSFromPRJ checks that SRSFromPRJ never panics, that its errors wrap
// ErrUnknownSRS, and that what it returns is one of the codes gapmap knows,
// exactly as ParseSRS would give it. The corpus is every fixture in
// testdata/prj.
func FuzzSRSFromPRJ(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "prj", "*.prj"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no .prj fixtures: %v", err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`GEOGCS["x",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137,298.257222101]]]`)
	f.Fuzz(func(t *testing.T, wkt string) {
		got, err := SRSFromPRJ(wkt)
		if err != nil {
			if !errors.Is(err, ErrUnknownSRS) {
				t.Fatalf("SRSFromPRJ error %v does not wrap ErrUnknownSRS", err)
			}
			return
		}
		want, perr := ParseSRS("EPSG:" + strconv.Itoa(got.EPSG))
		if perr != nil || got != want {
			t.Fatalf("SRSFromPRJ = %+v, not what ParseSRS gives for its code: %+v, %v", got, want, perr)
		}
	})
}

// FuzzParseSRS checks that ParseSRS never panics, that its errors wrap
// ErrUnknownSRS, and that it returns only codes gapmap knows.
func FuzzParseSRS(f *testing.F) {
	for _, s := range []string{"EPSG:4547", "4547", "cgcs2000-gk3-114e", "cgcs2000-gk3-z38", "西安80 3度带 38带",
		"北京54 6度带 第18带", "utm49n", "gcj02", "百度", "ＥＰＳＧ：４５４７", "cgcs2000-gk3-38", "wgs84-gk3-114e", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSRS(s)
		switch {
		case err != nil:
			if !errors.Is(err, ErrUnknownSRS) {
				t.Fatalf("ParseSRS(%q) error %v does not wrap ErrUnknownSRS", s, err)
			}
		case got.EPSG == 0:
			if got != srsGCJ02 && got != srsBD09 {
				t.Fatalf("ParseSRS(%q) = %+v without a code", s, got)
			}
		case got != srsByEPSG[got.EPSG].srs():
			t.Fatalf("ParseSRS(%q) = %+v, not gapmap's EPSG:%d", s, got, got.EPSG)
		}
	})
}

// fuzzCodes are the codes FuzzCheckProjected picks from, in a fixed order.
var fuzzCodes = func() []int {
	codes := make([]int, 0, len(srsByEPSG))
	for code := range srsByEPSG {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	return codes
}()

// FuzzCheckProjected checks that CheckProjected never panics, names one of
// its documented causes, and that its advice is right: a point it calls
// swapped passes once swapped, and a point it assigns a Likely Gauss-Krüger
// code passes under that code.
func FuzzCheckProjected(f *testing.F) {
	f.Add(uint16(0), 446652.4, 3261489.9)
	f.Add(uint16(200), 38446652.4, 3261489.9)
	f.Add(uint16(100), 3261489.9, 446652.4)
	f.Add(uint16(7), 113.45, 29.47)
	f.Add(uint16(3), math.NaN(), 0.0)
	f.Fuzz(func(t *testing.T, i uint16, e, n float64) {
		s := srsByEPSG[fuzzCodes[int(i)%len(fuzzCodes)]].srs()
		p := orb.Point{e, n}
		err := CheckProjected(s, p)
		if err == nil || !s.Projected {
			return
		}
		var pe *ProjectedError
		if !errors.As(err, &pe) || err.Error() == "" {
			t.Fatalf("CheckProjected(%v, %v) = %#v, want a *ProjectedError", s, p, err)
		}
		switch {
		case errors.Is(err, ErrAxesSwapped):
			if err := CheckProjected(s, orb.Point{n, e}); err != nil {
				t.Fatalf("CheckProjected(%v, %v) says swapped, but swapped it fails: %v", s, p, err)
			}
		case errors.Is(err, ErrZoneNumber), errors.Is(err, ErrNoZoneNumber):
			if err := CheckProjected(pe.Likely, p); pe.Likely.EPSG == 0 || err != nil {
				t.Fatalf("CheckProjected(%v, %v) suggests %v, which rejects it: %v", s, p, pe.Likely, err)
			}
		case errors.Is(err, ErrDegrees):
			if pe.Likely.EPSG != 0 && pe.Likely.Projected {
				t.Fatalf("CheckProjected(%v, %v) suggests projected %v for degrees", s, p, pe.Likely)
			}
		case errors.Is(err, ErrNotFinite), errors.Is(err, ErrOutsideZone):
		default:
			t.Fatalf("CheckProjected(%v, %v) = %v: not one of the documented causes", s, p, err)
		}
	})
}
