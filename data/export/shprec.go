package export

import (
	"encoding/binary"
	"math"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// family is the kind of shapefile a geometry goes to: a shapefile holds
// one shape type.
type family int

const (
	famPoint      family = iota // Point (1)
	famMultiPoint               // MultiPoint (8)
	famLine                     // PolyLine (3): LineString and MultiLineString
	famPolygon                  // Polygon (5): Polygon and MultiPolygon
	numFamilies
	famNull // no geometry: a set of null shapes (0)
)

// shapeType is the header shape type of a family's files.
func (f family) shapeType() uint32 {
	switch f {
	case famPoint:
		return 1
	case famMultiPoint:
		return 8
	case famLine:
		return 3
	case famPolygon:
		return 5
	}
	return 0
}

// suffix is appended to the layer name when a layer is split by family.
func (f family) suffix() string {
	switch f {
	case famPoint:
		return "_point"
	case famMultiPoint:
		return "_multipoint"
	case famLine:
		return "_line"
	case famPolygon:
		return "_polygon"
	}
	return ""
}

func (f family) chinese() string {
	switch f {
	case famPoint:
		return "点"
	case famMultiPoint:
		return "多点"
	case famLine:
		return "线"
	case famPolygon:
		return "面"
	}
	return "无几何"
}

// declaredFamily maps a Layer.Geometry to its family; ok is false for a
// mixed layer.
func declaredFamily(geom string) (family, bool) {
	switch geom {
	case GeomPoint:
		return famPoint, true
	case GeomMultiPoint:
		return famMultiPoint, true
	case GeomLineString, GeomMultiLineString:
		return famLine, true
	case GeomPolygon, GeomMultiPolygon:
		return famPolygon, true
	}
	return 0, false
}

// routed is a geometry bound for one family's files.
type routed struct {
	fam family
	g   orb.Geometry
}

// route returns where g goes: one family for a simple geometry, and for a
// collection one entry per family its members hold, merged into that
// family's multi type. multiPoint says that single points become
// MultiPoints (the layer is declared MultiPoint); a MultiPoint of one
// point in any other layer becomes a Point. Empty geometries route
// nowhere and are written as null shapes by the caller.
func route(dst []routed, g orb.Geometry, multiPoint bool) []routed {
	dst = dst[:0]
	if geo.IsEmpty(g) {
		return dst
	}
	switch g := canonical(g).(type) {
	case orb.Point:
		if multiPoint {
			return append(dst, routed{famMultiPoint, orb.MultiPoint{g}})
		}
		return append(dst, routed{famPoint, g})
	case orb.MultiPoint:
		if len(g) == 1 && !multiPoint {
			return append(dst, routed{famPoint, g[0]})
		}
		return append(dst, routed{famMultiPoint, g})
	case orb.LineString, orb.MultiLineString:
		return append(dst, routed{famLine, g})
	case orb.Polygon, orb.MultiPolygon:
		return append(dst, routed{famPolygon, g})
	case orb.Collection:
		var pts orb.MultiPoint
		var lines orb.MultiLineString
		var polys orb.MultiPolygon
		var walk func(c orb.Collection)
		walk = func(c orb.Collection) {
			for _, m := range c {
				switch m := canonical(m).(type) {
				case orb.Point:
					pts = append(pts, m)
				case orb.MultiPoint:
					pts = append(pts, m...)
				case orb.LineString:
					lines = append(lines, m)
				case orb.MultiLineString:
					lines = append(lines, m...)
				case orb.Polygon:
					polys = append(polys, m)
				case orb.MultiPolygon:
					polys = append(polys, m...)
				case orb.Collection:
					walk(m)
				}
			}
		}
		walk(g)
		if !geo.IsEmpty(pts) {
			dst = route(dst, pts, multiPoint)
		}
		if !geo.IsEmpty(lines) {
			dst = append(dst, routed{famLine, lines})
		}
		if !geo.IsEmpty(polys) {
			dst = append(dst, routed{famPolygon, polys})
		}
	}
	return dst
}

// nullRecordLen is the size of a null shape record: header and type.
const nullRecordLen = 12

// part is one part of a PolyLine or ring of a Polygon record, as it will
// be written: its points, possibly reversed, possibly closed.
type part struct {
	pts     []orb.Point
	reverse bool
	close   bool // repeat the first point written
}

func (p part) len() int {
	if p.close {
		return len(p.pts) + 1
	}
	return len(p.pts)
}

// shpEncoder encodes shape records, reusing its scratch between records.
type shpEncoder struct {
	parts []part
}

// appendRecord appends record recNum (1-based) holding g, which route
// made fit fam, or a null shape for nil. Polygon exteriors are written
// clockwise and holes counter-clockwise, as the Shapefile specification
// requires (orb's polygons usually follow RFC 7946, the other way round),
// and open rings are closed. Empty parts and rings are dropped, and a
// geometry left with none is written as a null shape.
func (e *shpEncoder) appendRecord(b []byte, recNum int, fam family, g orb.Geometry) []byte {
	le := binary.LittleEndian
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, uint32(recNum))
	b = append(b, 0, 0, 0, 0) // content length, set below

	switch g := g.(type) {
	case nil:
		b = le.AppendUint32(b, 0)
	case orb.Point:
		b = le.AppendUint32(b, fam.shapeType())
		b = appendXY(b, g)
	case orb.MultiPoint:
		b = le.AppendUint32(b, fam.shapeType())
		b = appendBox(b, orb.MultiPoint(g).Bound())
		b = le.AppendUint32(b, uint32(len(g)))
		for _, p := range g {
			b = appendXY(b, p)
		}
	default:
		e.parts = appendPartsOf(e.parts[:0], g)
		if len(e.parts) == 0 {
			b = le.AppendUint32(b, 0)
			break
		}
		npts := 0
		for _, p := range e.parts {
			npts += p.len()
		}
		b = le.AppendUint32(b, fam.shapeType())
		var bound orb.Bound
		for i, p := range e.parts {
			bd := orb.LineString(p.pts).Bound()
			if i == 0 {
				bound = bd
			} else {
				bound = bound.Union(bd)
			}
		}
		b = appendBox(b, bound)
		b = le.AppendUint32(b, uint32(len(e.parts)))
		b = le.AppendUint32(b, uint32(npts))
		idx := 0
		for _, p := range e.parts {
			b = le.AppendUint32(b, uint32(idx))
			idx += p.len()
		}
		for _, p := range e.parts {
			n := len(p.pts)
			if p.reverse { // as ringPoints: a reversed ring keeps its first point
				if p.close {
					b = appendXY(b, p.pts[0])
				}
				for i := n - 1; i >= 0; i-- {
					b = appendXY(b, p.pts[i])
				}
			} else {
				for _, pt := range p.pts {
					b = appendXY(b, pt)
				}
				if p.close {
					b = appendXY(b, p.pts[0])
				}
			}
		}
	}
	binary.BigEndian.PutUint32(b[start+4:], uint32((len(b)-start-8)/2))
	return b
}

func appendXY(b []byte, p orb.Point) []byte {
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
}

func appendBox(b []byte, bd orb.Bound) []byte {
	for _, v := range [4]float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// appendPartsOf appends the non-empty parts of a line or polygon geometry.
func appendPartsOf(dst []part, g orb.Geometry) []part {
	poly := func(dst []part, p orb.Polygon) []part {
		if len(p) == 0 || len(p[0]) == 0 {
			return dst // no exterior: its holes mean nothing
		}
		for j, r := range p {
			if len(r) == 0 {
				continue
			}
			a := geo.RingArea(r)
			wantCCW := j > 0 // exterior clockwise, holes counter-clockwise
			dst = append(dst, part{pts: r, reverse: a != 0 && (a > 0) != wantCCW, close: r[0] != r[len(r)-1]})
		}
		return dst
	}
	switch g := g.(type) {
	case orb.LineString:
		if len(g) > 0 {
			dst = append(dst, part{pts: g})
		}
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) > 0 {
				dst = append(dst, part{pts: l})
			}
		}
	case orb.Polygon:
		dst = poly(dst, g)
	case orb.MultiPolygon:
		for _, p := range g {
			dst = poly(dst, p)
		}
	}
	return dst
}

// shpHeader returns the 100-byte header of a .shp or .shx of fileLen
// bytes. An empty file gets a zero bounding box.
func shpHeader(shapeType uint32, fileLen int64, bd orb.Bound, empty bool) []byte {
	h := make([]byte, 100)
	binary.BigEndian.PutUint32(h[0:], 9994)
	binary.BigEndian.PutUint32(h[24:], uint32(fileLen/2))
	binary.LittleEndian.PutUint32(h[28:], 1000)
	binary.LittleEndian.PutUint32(h[32:], shapeType)
	if !empty {
		copy(h[36:], appendBox(nil, bd))
	}
	return h
}
