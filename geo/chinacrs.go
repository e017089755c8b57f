package geo

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// Chinese web maps publish coordinates that are deliberately shifted from
// WGS-84 by a few hundred metres: AMap (高德), Tencent and Google China use
// GCJ-02 ("Mars coordinates", 火星坐标), and Baidu adds its own BD-09 shift on
// top of GCJ-02. Data digitised on those maps, or geocoded through their
// APIs, must be converted back before it is stored, or every village lands
// 500–700 m off in Hunan.
//
// CGCS2000 (EPSG:4490), the legal datum of Chinese survey data, is treated as
// WGS-84 here and everywhere in gapmap: the two differ by well under a metre,
// less than the precision of any county-level data gapmap imports.

// Datum names the coordinate system longitude/latitude input is in.
// GCJ-02 and BD-09 are offsets rather than geodetic datums, but importers
// choose between the three in the same way.
type Datum string

// The datums gapmap converts from. Their names differ from the EPSG
// constants [WGS84] and [CGCS2000] in crs.go, which are SRIDs.
const (
	// DatumWGS84 is WGS-84 (or CGCS2000) longitude/latitude: GPS, OSM,
	// GeoJSON, government survey data. Nothing to convert.
	DatumWGS84 Datum = "WGS84"
	// DatumGCJ02 is the GCJ-02 offset of AMap (高德), Tencent and Google China.
	DatumGCJ02 Datum = "GCJ02"
	// DatumBD09 is Baidu's BD-09 offset (BD-09 longitude/latitude, not the
	// BD-09 Mercator metres of Baidu's tile API).
	DatumBD09 Datum = "BD09"
)

// ParseDatum returns the Datum named by s, as typed in an import option.
// It accepts the constant names in any case, with or without a dash
// ("gcj-02"), EPSG:4326/4490 and CGCS2000 for WGS-84, and the map vendors'
// names (amap, gaode, 高德, baidu, 百度). The error is in Chinese for users.
func ParseDatum(s string) (Datum, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	key = strings.NewReplacer("-", "", "_", "", " ", "").Replace(key)
	switch key {
	case "wgs84", "4326", "epsg:4326", "cgcs2000", "4490", "epsg:4490", "gps":
		return DatumWGS84, nil
	case "gcj02", "amap", "gaode", "高德", "tencent", "腾讯":
		return DatumGCJ02, nil
	case "bd09", "bd09ll", "baidu", "百度":
		return DatumBD09, nil
	}
	return "", fmt.Errorf("未知的坐标系 %q：可选 WGS84（含 CGCS2000）、GCJ02（高德、腾讯）或 BD09（百度）", s)
}

// ToWGS84 returns a copy of g, which is in datum from, with every vertex
// converted to WGS-84 longitude/latitude degrees; g is left unchanged.
// It handles orb's nine geometry types, Collections recursively. A Bound has
// only its two corners converted, which can miss the bound of the converted
// data by tens of metres: the GCJ-02 shift wobbles by up to 6 m per km in
// Hunan. Take the Bound of the converted geometry where that matters.
//
// ToWGS84 panics if from is not one of the Datum constants: passing shifted
// data through unconverted would store it hundreds of metres off without a
// trace, so user input belongs in [ParseDatum], which returns an error.
func ToWGS84(g orb.Geometry, from Datum) orb.Geometry {
	var conv orb.Projection
	switch from {
	case DatumWGS84:
		return orb.Clone(g)
	case DatumGCJ02:
		conv = GCJ02ToWGS84
	case DatumBD09:
		conv = BD09ToWGS84
	default:
		panic(fmt.Sprintf("geo.ToWGS84: unknown datum %q", string(from)))
	}
	return project.Geometry(orb.Clone(g), conv)
}

// The GCJ-02 rule for "in China" is the rough box that most open
// implementations use, gcoord among them, not the border:
// lon 72.004–137.8347°E, lat 0.8293–55.8271°N. Using the same box as the
// tools that made our GCJ-02 fixtures keeps conversions comparable; it takes
// in parts of neighbouring countries, which no county import reaches.
const (
	chinaMinLon = 72.004
	chinaMaxLon = 137.8347
	chinaMinLat = 0.8293
	chinaMaxLat = 55.8271
)

// ChinaBound is the box [CheckLonLat] accepts, in degrees: the extent a
// stored longitude/latitude geometry must lie in for gapmap to project it.
func ChinaBound() orb.Bound {
	return orb.Bound{Min: orb.Point{chinaMinLon, chinaMinLat}, Max: orb.Point{chinaMaxLon, chinaMaxLat}}
}

// inChinaBox reports whether p is inside the GCJ-02 box. NaN is outside.
func inChinaBox(p orb.Point) bool {
	return p[0] >= chinaMinLon && p[0] <= chinaMaxLon && p[1] >= chinaMinLat && p[1] <= chinaMaxLat
}

// Krasovsky 1940, the ellipsoid the GCJ-02 formula scales its offset with.
const (
	gcjA  = 6378245.0            // semi-major axis, metres
	gcjEE = 0.006693421622965823 // first eccentricity squared
)

// gcjOffset returns the GCJ-02 shift in degrees at WGS-84 point (lon, lat).
// It is the published formula, evaluated anywhere; callers apply the box.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105, lat-35
	dLat = -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	dLat += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	dLat += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	dLon = 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	dLon += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	dLon += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3

	radLat := lat / 180 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLon = dLon * 180 / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	dLat = dLat * 180 / (gcjA * (1 - gcjEE) / (magic * sqrtMagic) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 returns WGS-84 point p (longitude, latitude in degrees) in
// GCJ-02. Points outside the China box (see [GCJ02ToWGS84]) are returned
// unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !inChinaBox(p) {
		return p
	}
	dLon, dLat := gcjOffset(p[0], p[1])
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// Inverse iterations stop when the step is below invTolDeg degrees
// (about 10 µm), which float64 reaches anywhere in China. The shift changes
// by less than 1% of any step across the box (its Jacobian is below 0.01),
// so each fixed-point step gains two digits and five steps suffice; invMaxIter
// only bounds the loop for inputs where the formula is far outside its domain.
const (
	invTolDeg  = 1e-10
	invMaxIter = 30
)

// gcjBoxMarginDeg exceeds the largest GCJ-02 shift near the box (0.0112°), so
// a GCJ-02 point farther than this outside the box cannot come from a point
// inside it.
const gcjBoxMarginDeg = 0.05

// GCJ02ToWGS84 returns GCJ-02 point p (degrees) in WGS-84. It is the exact
// inverse of [WGS84ToGCJ02] to about 1e-10° (10 µm), found by fixed-point
// iteration rather than the common one-step approximation, which is off by
// up to a few metres.
//
// The box rule: WGS84ToGCJ02 shifts exactly the WGS-84 points inside the box
// lon 72.004–137.8347°E, lat 0.8293–55.8271°N, and this function returns the
// point in the box that shifts onto p whenever there is one, so
// GCJ02ToWGS84(WGS84ToGCJ02(w)) == w for every w in the box. Otherwise p is
// returned unchanged, except for the sliver just inside the box edge that no
// point maps onto, where the smooth inverse is returned.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if !(p[0] >= chinaMinLon-gcjBoxMarginDeg && p[0] <= chinaMaxLon+gcjBoxMarginDeg &&
		p[1] >= chinaMinLat-gcjBoxMarginDeg && p[1] <= chinaMaxLat+gcjBoxMarginDeg) {
		return p // also NaN and ±Inf
	}
	w := p
	for range invMaxIter {
		dLon, dLat := gcjOffset(w[0], w[1])
		ex, ey := w[0]+dLon-p[0], w[1]+dLat-p[1]
		w[0] -= ex
		w[1] -= ey
		if math.Abs(ex) <= invTolDeg && math.Abs(ey) <= invTolDeg {
			break
		}
	}
	// The iterate may round to an ulp outside a box edge that the original
	// point lay on, so the test allows the iteration's own tolerance.
	const slack = 10 * invTolDeg
	if inChinaBox(p) || w[0] >= chinaMinLon-slack && w[0] <= chinaMaxLon+slack &&
		w[1] >= chinaMinLat-slack && w[1] <= chinaMaxLat+slack {
		return w
	}
	return p
}

// bdFactor is π·3000/180, the frequency of Baidu's extra wobble.
const bdFactor = math.Pi * 3000 / 180

// GCJ02ToBD09 returns GCJ-02 point p (degrees) in BD-09 longitude/latitude.
// As in gcoord, it applies everywhere, without a box: the box is already
// applied by the GCJ-02 step of [WGS84ToBD09].
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdFactor)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdFactor)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 returns BD-09 point p (degrees) in GCJ-02. It refines the
// published closed-form inverse, which is off by up to about 0.2 m, by
// fixed-point iteration on [GCJ02ToBD09] to about 1e-10°.
func BD09ToGCJ02(p orb.Point) orb.Point {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
		return p
	}
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdFactor)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdFactor)
	g := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	for range invMaxIter {
		b := GCJ02ToBD09(g)
		ex, ey := b[0]-p[0], b[1]-p[1]
		g[0] -= ex
		g[1] -= ey
		if math.Abs(ex) <= invTolDeg && math.Abs(ey) <= invTolDeg {
			break
		}
	}
	return g
}

// WGS84ToBD09 returns WGS-84 point p (degrees) in BD-09, through GCJ-02.
func WGS84ToBD09(p orb.Point) orb.Point {
	return GCJ02ToBD09(WGS84ToGCJ02(p))
}

// BD09ToWGS84 returns BD-09 point p (degrees) in WGS-84, through GCJ-02;
// it is the exact inverse of [WGS84ToBD09] in the China box.
func BD09ToWGS84(p orb.Point) orb.Point {
	return GCJ02ToWGS84(BD09ToGCJ02(p))
}
