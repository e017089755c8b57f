package ingest

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/geo"
)

// geometry checks one record's geometry against the layer's role and the
// input SRS, converts GCJ-02/BD-09 to WGS-84, and splits multi-lines. A
// non-empty reason is an error.
func (c *Converter) geometry(g orb.Geometry) (parts []orb.Geometry, reason string) {
	if g == nil {
		if c.layer.Role == catalog.RoleOptional {
			return []orb.Geometry{nil}, ""
		}
		return nil, "缺少几何（坐标为空）"
	}
	switch c.layer.Role {
	case catalog.RoleLine:
		switch x := g.(type) {
		case orb.LineString:
			parts = []orb.Geometry{x}
		case orb.MultiLineString:
			for _, l := range x {
				parts = append(parts, l)
			}
		default:
			return nil, fmt.Sprintf("应为线，实为%s", geomTypeName(g))
		}
	case catalog.RolePoint, catalog.RoleSeat:
		// Both take a polygon, whose point on surface becomes the point (a
		// seat also keeps the polygon as its outline), and a one-point
		// MultiPoint; only the type the message expects differs.
		want := "点"
		if c.layer.Role == catalog.RoleSeat {
			want = "点或面"
		}
		switch x := g.(type) {
		case orb.Point, orb.Polygon, orb.MultiPolygon:
			parts = []orb.Geometry{x}
		case orb.MultiPoint:
			if len(x) != 1 {
				return nil, fmt.Sprintf("应为%s，实为含 %d 个点的多点", want, len(x))
			}
			parts = []orb.Geometry{x[0]}
		default:
			return nil, fmt.Sprintf("应为%s，实为%s", want, geomTypeName(g))
		}
	case catalog.RoleArea:
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
			parts = []orb.Geometry{g}
		default:
			return nil, fmt.Sprintf("应为面，实为%s", geomTypeName(g))
		}
	default:
		parts = []orb.Geometry{g}
	}
	for i, p := range parts {
		// PostGIS fails the whole COPY on an open ring or a one-point
		// line (SQLSTATE XX000): refused here, the row is named.
		if err := geo.CheckShape(p); err != nil {
			return nil, "几何" + err.Error()
		}
		if c.SRID() != geo.CGCS2000 {
			if err := firstVertexErr(p, func(pt orb.Point) error { return geo.CheckProjected(c.srs, pt) }); err != nil {
				return nil, err.Error()
			}
			continue
		}
		if err := firstVertexErr(p, geo.CheckLonLat); err != nil {
			return nil, err.Error()
		}
		if c.srs.Datum != "" && c.srs.Datum != geo.DatumWGS84 {
			parts[i] = geo.ToWGS84(p, c.srs.Datum)
		}
	}
	return parts, ""
}

// firstVertexErr returns check's error for the first vertex of g that
// fails it.
func firstVertexErr(g orb.Geometry, check func(orb.Point) error) error {
	var err error
	geo.EachVertex(g, func(p orb.Point) bool {
		err = check(p)
		return err == nil
	})
	return err
}

// geomTypeName names a geometry type in Chinese.
func geomTypeName(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point:
		return "点"
	case orb.MultiPoint:
		return "多点"
	case orb.LineString:
		return "线"
	case orb.MultiLineString:
		return "多线"
	case orb.Polygon, orb.Ring:
		return "面"
	case orb.MultiPolygon:
		return "多面"
	case orb.Collection:
		return "几何集合"
	}
	return g.GeoJSONType()
}

// geomSummary shows a geometry in a report: its type and first vertex.
func geomSummary(g orb.Geometry) string {
	if g == nil {
		return ""
	}
	var first orb.Point
	geo.EachVertex(g, func(p orb.Point) bool { first = p; return false })
	return fmt.Sprintf("%s (%g %g …)", g.GeoJSONType(), first[0], first[1])
}
