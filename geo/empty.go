package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// IsEmpty reports whether g has no positions at all: nil, WKB's empty
// point (NaN coordinates), or containers whose members are all empty.
// Writers of GeoPackage and Shapefile use it to write empty or null shapes.
func IsEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case nil:
		return true
	case orb.Point:
		return math.IsNaN(g[0]) && math.IsNaN(g[1])
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		for _, r := range g {
			if len(r) > 0 {
				return false
			}
		}
		return true
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.MultiPolygon:
		for _, p := range g {
			if !IsEmpty(p) {
				return false
			}
		}
		return true
	case orb.Collection:
		for _, m := range g {
			if !IsEmpty(m) {
				return false
			}
		}
		return true
	}
	return false // orb.Bound
}
