package geo

import "testing"

func TestDims(t *testing.T) {
	for _, c := range []struct {
		d       Dims
		name    string
		z, m    bool
		warning string
	}{
		{0, "XY", false, false, ""},
		{DimZ, "XYZ", true, false, "文件含高程（Z）坐标，已按二维导入，高程值未保存"},
		{DimM, "XYM", false, true, "文件含测量值（M）坐标，已按二维导入，M 值未保存"},
		{DimZ | DimM, "XYZM", true, true, "文件含高程（Z）和测量值（M）坐标，已按二维导入，Z 值和 M 值未保存"},
	} {
		if c.d.String() != c.name || c.d.Z() != c.z || c.d.M() != c.m || c.d.Warning() != c.warning {
			t.Errorf("Dims %d: %q Z=%v M=%v %q; want %q Z=%v M=%v %q",
				c.d, c.d, c.d.Z(), c.d.M(), c.d.Warning(), c.name, c.z, c.m, c.warning)
		}
	}
}
