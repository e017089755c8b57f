package shp

import (
	"strconv"

	"github.com/gapmap/gapmap/geo"
)

// ShapeType is the geometry type code of a .shp header or record, as the
// ESRI Shapefile Technical Description (1998) numbers them.
type ShapeType int32

// Shape types. The Z and M variants read as their 2D base type.
const (
	Null        ShapeType = 0
	Point       ShapeType = 1
	PolyLine    ShapeType = 3
	Polygon     ShapeType = 5
	MultiPoint  ShapeType = 8
	PointZ      ShapeType = 11
	PolyLineZ   ShapeType = 13
	PolygonZ    ShapeType = 15
	MultiPointZ ShapeType = 18
	PointM      ShapeType = 21
	PolyLineM   ShapeType = 23
	PolygonM    ShapeType = 25
	MultiPointM ShapeType = 28
	MultiPatch  ShapeType = 31 // valid in the spec but not read: its triangle strips have no orb type
)

var shapeTypeNames = map[ShapeType]string{
	Null: "Null", Point: "Point", PolyLine: "PolyLine", Polygon: "Polygon", MultiPoint: "MultiPoint",
	PointZ: "PointZ", PolyLineZ: "PolyLineZ", PolygonZ: "PolygonZ", MultiPointZ: "MultiPointZ",
	PointM: "PointM", PolyLineM: "PolyLineM", PolygonM: "PolygonM", MultiPointM: "MultiPointM",
	MultiPatch: "MultiPatch",
}

// String returns the spec's name, e.g. "PolygonZ", or the number when t is
// not a shape type.
func (t ShapeType) String() string {
	if s, ok := shapeTypeNames[t]; ok {
		return s
	}
	return strconv.Itoa(int(t))
}

// base returns the 2D type of t (PolygonZ → Polygon) and whether the
// package can read t.
func (t ShapeType) base() (ShapeType, bool) {
	switch t {
	case Null, Point, PolyLine, Polygon, MultiPoint:
		return t, true
	case PointZ, PolyLineZ, PolygonZ, MultiPointZ:
		return t - 10, true
	case PointM, PolyLineM, PolygonM, MultiPointM:
		return t - 20, true
	}
	return t, false
}

// dims returns the ordinates beyond XY that t's records carry by
// definition: Z for the Z types, M for the M types. A Z type's optional
// measures show only in its records (see hasMeasures).
func (t ShapeType) dims() geo.Dims {
	switch t {
	case PointZ, PolyLineZ, PolygonZ, MultiPointZ:
		return geo.DimZ
	case PointM, PolyLineM, PolygonM, MultiPointM:
		return geo.DimM
	}
	return 0
}
