package geo

import (
	"errors"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// The causes [CheckLonLat] reports, wrapped in a [*LonLatError]; match them
// with errors.Is. Their text is Chinese because importers show it to users.
var (
	// ErrNotFinite is a NaN or infinite coordinate, usually a parse slip.
	ErrNotFinite = errors.New("不是有效数字")
	// ErrProjected is a coordinate outside ±180° longitude or ±90° latitude:
	// metres from a projected CRS read as degrees.
	ErrProjected = errors.New("超出经纬度范围，可能是投影坐标（如高斯-克吕格），请指定 --srs")
	// ErrSwapped is a point that is in China once its two values are
	// swapped: latitude was given first.
	ErrSwapped = errors.New("经纬度可能颠倒（应为经度在前、纬度在后）")
	// ErrZero is (0, 0), which in a Chinese dataset is an empty cell or a
	// failed geocode, not a place in the Gulf of Guinea.
	ErrZero = errors.New("经纬度均为 0，可能是缺失值或地址解析失败")
	// ErrOutsideChina is a valid longitude/latitude outside China.
	ErrOutsideChina = errors.New("不在中国范围内，请检查数据来源或坐标系")
)

// LonLatError is a point [CheckLonLat] rejected and why. Err is one of
// ErrNotFinite, ErrProjected, ErrSwapped, ErrZero or ErrOutsideChina.
type LonLatError struct {
	Point orb.Point // as given: longitude, latitude
	Err   error
}

// Error names the point and the likely cause, in Chinese.
func (e *LonLatError) Error() string {
	return "坐标 (" + formatCoord(e.Point[0]) + ", " + formatCoord(e.Point[1]) + ") " + e.Err.Error()
}

// Unwrap returns the cause, so errors.Is(err, ErrSwapped) works.
func (e *LonLatError) Unwrap() error { return e.Err }

// formatCoord prints v as users typed it: 3300000, not %g's 3.3e+06.
func formatCoord(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// CheckLonLat returns nil if p looks like a longitude/latitude in China
// (degrees, longitude first), and otherwise a [*LonLatError] naming the most
// likely cause, checked in this order:
//   - NaN or ±Inf: ErrNotFinite;
//   - (latitude, longitude) that lands in China once swapped: ErrSwapped;
//   - outside ±180°/±90°: ErrProjected;
//   - exactly (0, 0): ErrZero;
//   - anywhere else outside China: ErrOutsideChina.
//
// "In China" is the GCJ-02 box, lon 72.004–137.8347°E, lat 0.8293–55.8271°N,
// so neighbouring countries pass; the check catches unit and order mistakes,
// not borders. The swap test comes before the range test because most
// swapped Chinese points have a "latitude" above 90 (e.g. (29.5, 113.4)),
// and it cannot hide a good point: no value is both a longitude and a
// latitude in the box.
// CheckLonLat cannot tell GCJ-02 from WGS-84; both are in China.
func CheckLonLat(p orb.Point) error {
	lon, lat := p[0], p[1]
	var cause error
	switch {
	case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
		cause = ErrNotFinite
	case inChinaBox(p):
		return nil
	case inChinaBox(orb.Point{lat, lon}):
		cause = ErrSwapped
	case lon < -180 || lon > 180 || lat < -90 || lat > 90:
		cause = ErrProjected
	case lon == 0 && lat == 0:
		cause = ErrZero
	default:
		cause = ErrOutsideChina
	}
	return &LonLatError{Point: p, Err: cause}
}
