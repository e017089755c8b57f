package geo

import (
	"fmt"

	"github.com/paulmach/orb"
)

// CheckShape returns why g is not a shape PostGIS can build, in Chinese
// and phrased to follow the name of the field ("几何的面的环未闭合"), or
// nil: lines need two points or more, polygon rings four or more with the
// last equal to the first, and there must be at least one vertex.
// PostGIS raises an internal error (SQLSTATE XX000) on each of these,
// which would fail a whole request instead of naming the row.
// Coordinates are not checked: see [CheckLonLat] and [CheckProjected].
func CheckShape(g orb.Geometry) error {
	var err error
	ring := func(r orb.Ring) bool {
		switch {
		case len(r) < 4:
			err = fmt.Errorf("的面的环至少需要 4 个点（首尾相同），收到 %d 个", len(r))
		case !r.Closed():
			err = fmt.Errorf("的面的环未闭合：首点 %v 与末点 %v 不同", r[0], r[len(r)-1])
		}
		return err == nil
	}
	polygon := func(p orb.Polygon) bool {
		if len(p) == 0 {
			err = fmt.Errorf("的面没有环")
		}
		for _, r := range p {
			if err != nil || !ring(r) {
				break
			}
		}
		return err == nil
	}
	line := func(l orb.LineString) bool {
		if len(l) < 2 {
			err = fmt.Errorf("的线至少需要 2 个点，收到 %d 个", len(l))
		}
		return err == nil
	}
	switch x := g.(type) {
	case orb.Point, orb.MultiPoint:
	case orb.LineString:
		line(x)
	case orb.MultiLineString:
		for _, l := range x {
			if !line(l) {
				break
			}
		}
	case orb.Polygon:
		polygon(x)
	case orb.MultiPolygon:
		for _, p := range x {
			if !polygon(p) {
				break
			}
		}
	default:
		return fmt.Errorf("的类型 %s 不受支持；可用：点、线、面及其多部件", g.GeoJSONType())
	}
	if err != nil {
		return err
	}
	empty := true
	EachVertex(g, func(orb.Point) bool { empty = false; return false })
	if empty {
		return fmt.Errorf("没有坐标")
	}
	return nil
}

// EachVertex calls f on every vertex of g (a point, line or polygon,
// single or multi, or a collection) until f returns false.
func EachVertex(g orb.Geometry, f func(orb.Point) bool) bool {
	switch x := g.(type) {
	case orb.Point:
		return f(x)
	case orb.MultiPoint:
		return eachPoint(x, f)
	case orb.LineString:
		return eachPoint(x, f)
	case orb.Ring:
		return eachPoint(x, f)
	case orb.MultiLineString:
		for _, l := range x {
			if !eachPoint(l, f) {
				return false
			}
		}
	case orb.Polygon:
		for _, r := range x {
			if !eachPoint(r, f) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range x {
			if !EachVertex(p, f) {
				return false
			}
		}
	case orb.Collection:
		for _, c := range x {
			if !EachVertex(c, f) {
				return false
			}
		}
	}
	return true
}

func eachPoint(ps []orb.Point, f func(orb.Point) bool) bool {
	for _, p := range ps {
		if !f(p) {
			return false
		}
	}
	return true
}
