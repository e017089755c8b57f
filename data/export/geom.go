package export

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// lonLatDecimals is the precision of GeoJSON and KML coordinates: 1e-7
// degrees is about 1 cm, finer than any survey behind the data.
const lonLatDecimals = 7

func appendInt(b []byte, i int64) []byte { return strconv.AppendInt(b, i, 10) }

// appendFloat appends f in the shortest decimal that reads back as the
// same float64, without an exponent unless the number is huge or tiny (as
// encoding/json does), so "36.31" stays "36.31".
func appendFloat(b []byte, f float64) []byte {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// appendCoord appends a coordinate with at most decimals places and no
// trailing zeros ("113.45", not "113.4500000"); decimals < 0 means the
// shortest exact form.
func appendCoord(b []byte, v float64, decimals int) []byte {
	if decimals < 0 {
		return appendFloat(b, v)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', decimals, 64)
	if decimals > 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}

// ringPoints calls fn for each point of r, counter-clockwise or
// clockwise as asked, closing the ring if its last point is not its first.
// A reversed ring keeps its first point. It lets writers reorient rings
// without copying them.
func ringPoints(r orb.Ring, ccw bool, fn func(p orb.Point)) {
	n := len(r)
	if n == 0 {
		return
	}
	a := geo.RingArea(r)
	reverse := a != 0 && (a > 0) != ccw
	closed := r[0] == r[n-1]
	switch {
	case reverse && closed:
		for i := n - 1; i >= 0; i-- {
			fn(r[i])
		}
	case reverse: // the closed ring r[0]…r[n-1],r[0], backwards
		fn(r[0])
		for i := n - 1; i >= 0; i-- {
			fn(r[i])
		}
	default:
		for _, p := range r {
			fn(p)
		}
		if !closed {
			fn(r[0])
		}
	}
}

// orientation of rings in the text formats: RFC 7946 §3.1.6 (and KML)
// want exterior rings counter-clockwise and holes clockwise; for a
// polygon, ring 0 is the exterior.
func ringCCW(i int) bool { return i == 0 }

// canonical turns orb's extra types into the OGC ones: a Ring or Bound
// becomes a Polygon.
func canonical(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Ring:
		return orb.Polygon{g}
	case orb.Bound:
		return g.ToPolygon()
	}
	return g
}

// appendWKT appends g as OGC WKT in GDAL's spelling ("POINT (1 2)"),
// coordinates with the given decimals (-1: shortest exact form). Ring
// orientation is kept as given; open rings are closed. A nil geometry
// appends nothing.
func appendWKT(b []byte, g orb.Geometry, decimals int) []byte {
	pt := func(b []byte, p orb.Point) []byte {
		b = appendCoord(b, p[0], decimals)
		b = append(b, ' ')
		return appendCoord(b, p[1], decimals)
	}
	seq := func(b []byte, ps []orb.Point) []byte {
		b = append(b, '(')
		for i, p := range ps {
			if i > 0 {
				b = append(b, ',')
			}
			b = pt(b, p)
		}
		return append(b, ')')
	}
	poly := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '(')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = seq(b, r)
			if len(r) > 0 && r[0] != r[len(r)-1] { // close the ring
				b = b[:len(b)-1]
				b = append(b, ',')
				b = pt(b, r[0])
				b = append(b, ')')
			}
		}
		return append(b, ')')
	}
	switch g := canonical(g).(type) {
	case nil:
		return b
	case orb.Point:
		b = append(b, "POINT ("...)
		b = pt(b, g)
		return append(b, ')')
	case orb.MultiPoint:
		if len(g) == 0 {
			return append(b, "MULTIPOINT EMPTY"...)
		}
		b = append(b, "MULTIPOINT ("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = pt(b, p)
			b = append(b, ')')
		}
		return append(b, ')')
	case orb.LineString:
		if len(g) == 0 {
			return append(b, "LINESTRING EMPTY"...)
		}
		b = append(b, "LINESTRING "...)
		return seq(b, g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return append(b, "MULTILINESTRING EMPTY"...)
		}
		b = append(b, "MULTILINESTRING ("...)
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = seq(b, l)
		}
		return append(b, ')')
	case orb.Polygon:
		if len(g) == 0 {
			return append(b, "POLYGON EMPTY"...)
		}
		b = append(b, "POLYGON "...)
		return poly(b, g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return append(b, "MULTIPOLYGON EMPTY"...)
		}
		b = append(b, "MULTIPOLYGON ("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = poly(b, p)
		}
		return append(b, ')')
	case orb.Collection:
		if len(g) == 0 {
			return append(b, "GEOMETRYCOLLECTION EMPTY"...)
		}
		b = append(b, "GEOMETRYCOLLECTION ("...)
		for i, m := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendWKT(b, m, decimals)
		}
		return append(b, ')')
	}
	return b
}
