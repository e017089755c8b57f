package shp

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/geo"
)

// zLayers are survey layers with real heights (metres above sea level) and
// measures (chainage in metres): values far from the XY, so that a reader
// that took a Z or M array for XY would be caught by the exact comparison.
// wkt is the geometry with Z and M as GDAL reads it from CSV; geom is the
// XY the Reader must give.
var zLayers = []struct {
	name string
	typ  ShapeType // the 2D base type GDAL writes
	wkt  []string  // one feature each, "%s" where the dimension goes (" Z", " M", " ZM")
	geom []orb.Geometry
	zm   [][]float64 // per feature, the Z (and M) values, in WKT order
}{
	{"points", Point,
		[]string{"POINT%s (113.45 29.48 %s)", "POINT%s (113.5 29.6 %s)"},
		[]orb.Geometry{orb.Point{113.45, 29.48}, orb.Point{113.5, 29.6}},
		[][]float64{{35.25}, {1203.5}}},
	{"multipoints", MultiPoint,
		[]string{"MULTIPOINT%s ((113.1 29.1 %s),(113.2 29.2 %s),(113.3 29.15 %s))"},
		[]orb.Geometry{orb.MultiPoint{{113.1, 29.1}, {113.2, 29.2}, {113.3, 29.15}}},
		[][]float64{{41.5, 42.75, 43}}},
	{"lines", PolyLine,
		[]string{"LINESTRING%s (113.1 29.1 %s,113.2 29.25 %s,113.3 29.2 %s)",
			"MULTILINESTRING%s ((113.0 29.0 %s,113.1 29.05 %s),(113.2 29.0 %s,113.25 29.1 %s,113.3 29.0 %s))"},
		[]orb.Geometry{
			orb.LineString{{113.1, 29.1}, {113.2, 29.25}, {113.3, 29.2}},
			orb.MultiLineString{{{113.0, 29.0}, {113.1, 29.05}}, {{113.2, 29.0}, {113.25, 29.1}, {113.3, 29.0}}},
		},
		[][]float64{{51, 52.5, 53}, {61, 62, 63, 64, 65}}},
	{"polygons", Polygon,
		// Outer rings clockwise and holes counter-clockwise, as the
		// shapefile spec draws them, so GDAL stores the vertices as given.
		[]string{"POLYGON%s ((113.0 29.0 %s,113.0 29.3 %s,113.4 29.3 %s,113.4 29.0 %s,113.0 29.0 %s)," +
			"(113.1 29.1 %s,113.2 29.1 %s,113.2 29.2 %s,113.1 29.2 %s,113.1 29.1 %s))",
			"MULTIPOLYGON%s (((113.5 29.5 %s,113.6 29.6 %s,113.6 29.5 %s,113.5 29.5 %s))," +
				"((114.0 29.0 %s,114.0 29.5 %s,114.5 29.5 %s,114.5 29.0 %s,114.0 29.0 %s)))"},
		[]orb.Geometry{
			orb.Polygon{
				{{113.0, 29.0}, {113.0, 29.3}, {113.4, 29.3}, {113.4, 29.0}, {113.0, 29.0}},
				{{113.1, 29.1}, {113.2, 29.1}, {113.2, 29.2}, {113.1, 29.2}, {113.1, 29.1}},
			},
			orb.MultiPolygon{
				{{{113.5, 29.5}, {113.6, 29.6}, {113.6, 29.5}, {113.5, 29.5}}},
				{{{114.0, 29.0}, {114.0, 29.5}, {114.5, 29.5}, {114.5, 29.0}, {114.0, 29.0}}},
			},
		},
		[][]float64{{71, 72, 73, 74, 71, 81, 82, 83, 84, 81}, {91, 92, 93, 91, 101, 102, 103, 104, 101}}},
}

// zCSV writes layer's features as a CSV with a WKT column, which GDAL's CSV
// driver reads with their Z and M: GeoJSON cannot carry M. dim is "XYZ",
// "XYM" or "XYZM"; M values are the Z values plus 1000.
func zCSV(tb testing.TB, path string, wkts []string, zm [][]float64, dim string) {
	tb.Helper()
	tag := map[string]string{"XYZ": " Z", "XYM": " M", "XYZM": " ZM"}[dim]
	var b strings.Builder
	b.WriteString("WKT,id\n")
	for i, w := range wkts {
		args := []any{tag}
		for _, z := range zm[i] {
			var v string
			switch dim {
			case "XYZ":
				v = fmt.Sprint(z)
			case "XYM":
				v = fmt.Sprint(z + 1000)
			default:
				v = fmt.Sprint(z, " ", z+1000)
			}
			args = append(args, v)
		}
		fmt.Fprintf(&b, "\"%s\",%d\n", fmt.Sprintf(w, args...), i+1)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// gdalDims is the file's dimensions as GDAL's ogrinfo reports its layer
// ("3D Measured Polygon"), the independent answer Reader.Dims must match.
// GDAL looks at the first shape for the measures of a Z type, as the
// Reader does once it has read a record.
func gdalDims(tb testing.TB, path string) geo.Dims {
	tb.Helper()
	out := gdaltest.Run(tb, "ogrinfo", "-so", "-al", path)
	for _, line := range strings.Split(out, "\n") {
		if typ, ok := strings.CutPrefix(line, "Geometry: "); ok {
			var d geo.Dims
			if strings.Contains(typ, "3D") {
				d |= geo.DimZ
			}
			if strings.Contains(typ, "Measured") {
				d |= geo.DimM
			}
			return d
		}
	}
	tb.Fatalf("ogrinfo %s: no Geometry line\n%s", path, out)
	return 0
}

// TestDimsGDAL reads PointZ, MultiPointZ, PolyLineZ and PolygonZ sets and
// their M and ZM variants written by GDAL from features with heights and
// measures. The Reader must report what ogrinfo reports, and give the XY
// exactly: the Z and M arrays that follow the XY must not shift it.
func TestDimsGDAL(t *testing.T) {
	gdaltest.Tool(t, "ogr2ogr")
	dir := t.TempDir()
	for _, layer := range zLayers {
		for _, dim := range []struct {
			name       string
			typ        ShapeType
			open, want geo.Dims // Dims after Open, and after the last record
		}{
			{"XY", layer.typ, 0, 0},
			{"XYZ", layer.typ + 10, geo.DimZ, geo.DimZ},
			{"XYM", layer.typ + 20, geo.DimM, geo.DimM},
			{"XYZM", layer.typ + 10, geo.DimZ, geo.DimZ | geo.DimM},
		} {
			t.Run(layer.name+"/"+dim.name, func(t *testing.T) {
				// The XY set comes from the XYZ source, which -dim XY flattens.
				srcDim := dim.name
				if srcDim == "XY" {
					srcDim = "XYZ"
				}
				src := filepath.Join(dir, layer.name+"-"+dim.name+".csv")
				zCSV(t, src, layer.wkt, layer.zm, srcDim)
				path := gdalSet(t, src, dir, layer.name+"-"+dim.name, "-dim", dim.name)
				r, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if got := r.ShapeType(); got != dim.typ {
					t.Errorf("ShapeType() = %v, want %v", got, dim.typ)
				}
				if got := r.Dims(); got != dim.open {
					t.Errorf("Dims() after Open = %v, want %v", got, dim.open)
				}
				var i int
				for ; r.Next(); i++ {
					if d := sameXY(r.Record().Geometry, layer.geom[i]); d != "" {
						t.Errorf("record %d: %s", i, d)
					}
				}
				if err := r.Err(); err != nil {
					t.Fatal(err)
				}
				if i != len(layer.geom) {
					t.Fatalf("read %d records, want %d", i, len(layer.geom))
				}
				if got := r.Dims(); got != dim.want {
					t.Errorf("Dims() after the last record = %v, want %v", got, dim.want)
				}
				if got := gdalDims(t, path); got != r.Dims() {
					t.Errorf("Dims() = %v, ogrinfo says %v", r.Dims(), got)
				}
				if w := r.Dims().Warning(); (w == "") != (dim.want == 0) || (dim.want.Z() && !strings.Contains(w, "高程（Z）")) {
					t.Errorf("Dims().Warning() = %q for %v", w, dim.want)
				}
			})
		}
	}
}

// sameXY compares got with want exactly. Polygons are compared ring by
// ring, each turned counter-clockwise, whatever polygons group them: GDAL
// 3.6 writes the hole of a 3D polygon clockwise, so that GDAL's own reader
// and this one read it as a polygon of its own.
func sameXY(got, want orb.Geometry) string {
	rings := func(g orb.Geometry) []orb.Ring {
		var out []orb.Ring
		var polys []orb.Polygon
		switch g := g.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		}
		for _, p := range polys {
			for _, r := range p {
				if geo.RingArea(r) < 0 {
					r = reversed(r)
				}
				out = append(out, r)
			}
		}
		return out
	}
	gr, wr := rings(got), rings(want)
	if gr == nil && wr == nil {
		return geomEqual(got, want, 0)
	}
	if !reflect.DeepEqual(gr, wr) {
		return fmt.Sprintf("rings %v, want %v", gr, wr)
	}
	return ""
}

// TestDimsMeasuresLater: a Z set reports M only once a record with
// measures has been read (a null shape has none), and a Z set of null
// shapes alone reports Z.
func TestDimsMeasuresLater(t *testing.T) {
	dir := t.TempDir()
	pt := orb.Point{113.45, 29.48}
	nulls := writeSet(t, dir, "nulls", testSet{typ: PolygonZ, n: 2,
		record: func(int) (orb.Geometry, []string, bool) { return nil, nil, false }})
	r, recs := readAll(t, nulls)
	if len(recs) != 2 || r.Dims() != geo.DimZ {
		t.Errorf("PolygonZ set of null shapes: %d records, Dims() = %v; want 2, XYZ", len(recs), r.Dims())
	}

	// writeSet gives every PointZ record its M; the first is null.
	path := writeSet(t, dir, "late", testSet{typ: PointZ, n: 3,
		record: func(i int) (orb.Geometry, []string, bool) {
			if i == 0 {
				return nil, nil, false
			}
			return pt, nil, false
		}})
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []geo.Dims
	for r.Next() {
		got = append(got, r.Dims())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []geo.Dims{geo.DimZ, geo.DimZ | geo.DimM, geo.DimZ | geo.DimM}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Dims() after each record = %v, want %v", got, want)
	}
}

// TestHasMeasures checks the record lengths at which each Z type's
// optional M array starts.
func TestHasMeasures(t *testing.T) {
	line := orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}, {4, 4}}}
	for _, c := range []struct {
		typ  ShapeType
		g    orb.Geometry
		xyzm int // bytes with Z and M
		m    int // bytes of the M range and array
	}{
		{PointZ, orb.Point{1, 2}, 36, 8},
		{MultiPointZ, orb.MultiPoint{{1, 2}, {3, 4}}, 40 + 2*16 + 2*(16+2*8), 16 + 2*8},
		{PolyLineZ, line, 44 + 2*4 + 5*16 + 2*(16+5*8), 16 + 5*8},
		{PolygonZ, orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {0, 0}}}, 44 + 4 + 4*16 + 2*(16+4*8), 16 + 4*8},
	} {
		b := encodeShape(nil, c.typ, c.g)
		if len(b) != c.xyzm {
			t.Fatalf("%v: test writer gave %d bytes, want %d", c.typ, len(b), c.xyzm)
		}
		if !hasMeasures(b) {
			t.Errorf("%v with measures: hasMeasures = false", c.typ)
		}
		if hasMeasures(b[:len(b)-1]) || hasMeasures(b[:len(b)-c.m]) {
			t.Errorf("%v without (all of) its measures: hasMeasures = true", c.typ)
		}
	}
	if hasMeasures(encodeShape(nil, PolygonZ, nil)) {
		t.Error("null shape: hasMeasures = true")
	}
}
