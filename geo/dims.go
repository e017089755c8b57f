package geo

// Dims records which ordinates beyond x and y the geometries of a source
// carried: a height (Z) and a measure (M, the linear-referencing value of
// surveys). gapmap stores and analyses 2D geometry, so the format readers
// keep x and y and drop the rest; they report what they dropped as a Dims
// so that the import can say so rather than drop it silently. The zero
// value means plain XY.
type Dims uint8

// The ordinates a Dims can hold, combined with |.
const (
	DimZ Dims = 1 << iota // a third ordinate: height (elevation)
	DimM                  // a measure
)

// Z reports whether d holds a Z ordinate.
func (d Dims) Z() bool { return d&DimZ != 0 }

// M reports whether d holds an M ordinate.
func (d Dims) M() bool { return d&DimM != 0 }

// String returns the layout's name as GDAL and go-geom spell it: "XY",
// "XYZ", "XYM" or "XYZM".
func (d Dims) String() string {
	s := "XY"
	if d.Z() {
		s += "Z"
	}
	if d.M() {
		s += "M"
	}
	return s
}

// Warning returns the import report's file-level note that the Z and M
// values of d were not kept, in Chinese, or "" when d is plain XY.
func (d Dims) Warning() string {
	switch {
	case d.Z() && d.M():
		return "文件含高程（Z）和测量值（M）坐标，已按二维导入，Z 值和 M 值未保存"
	case d.Z():
		return "文件含高程（Z）坐标，已按二维导入，高程值未保存"
	case d.M():
		return "文件含测量值（M）坐标，已按二维导入，M 值未保存"
	}
	return ""
}
