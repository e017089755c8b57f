package shp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/geo"
)

// gdalFeature is one input feature and what reading it back must give.
type gdalFeature struct {
	geom  orb.Geometry
	props map[string]any // as written to GeoJSON
	attrs map[string]any // as the Reader must return them
}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// gdalFields is the column order of gdalAttrs.
var gdalFields = []string{"名称", "路面", "宽度", "代码", "建成"}

// gdalAttrs is the attribute table every layer shares: Chinese field
// names and values, a 12-digit village code (Integer64 in GDAL, int64
// here), a real, a date and an all-null row.
var gdalAttrs = []struct{ props, attrs map[string]any }{
	{
		props: map[string]any{"名称": "临湘市羊楼司镇", "路面": "水泥", "宽度": 4.5, "代码": 430682101201, "建成": "2016-12-31"},
		attrs: map[string]any{"名称": "临湘市羊楼司镇", "路面": "水泥", "宽度": 4.5, "代码": int64(430682101201), "建成": day(2016, 12, 31)},
	},
	{
		props: map[string]any{"名称": "Tanzhou 坦渡", "路面": "砂石", "宽度": 3.25, "代码": 1, "建成": "2020-02-29"},
		attrs: map[string]any{"名称": "Tanzhou 坦渡", "路面": "砂石", "宽度": 3.25, "代码": int64(1), "建成": day(2020, 2, 29)},
	},
	{
		props: map[string]any{"名称": nil, "路面": nil, "宽度": nil, "代码": nil, "建成": nil},
		attrs: map[string]any{"名称": nil, "路面": nil, "宽度": nil, "代码": nil, "建成": nil},
	},
}

// gdalLayers are the layers written with ogr2ogr; each layer has one shape
// type, as shapefiles require. Outer rings are counter-clockwise here
// (RFC 7946); GDAL writes them clockwise as the shapefile spec wants.
var gdalLayers = []struct {
	name string
	typ  ShapeType
	geom []orb.Geometry // one per gdalAttrs row
}{
	{"points", Point, []orb.Geometry{
		orb.Point{113.45, 29.48},
		orb.Point{113.5, 29.6},
		nil, // null shape
	}},
	{"multipoints", MultiPoint, []orb.Geometry{
		orb.MultiPoint{{113.1, 29.1}, {113.2, 29.2}, {113.3, 29.15}},
		orb.MultiPoint{{113.4, 29.4}, {113.41, 29.42}},
		nil,
	}},
	{"lines", PolyLine, []orb.Geometry{
		orb.LineString{{113.1, 29.1}, {113.2, 29.25}, {113.3, 29.2}},
		orb.MultiLineString{{{113.0, 29.0}, {113.1, 29.05}}, {{113.2, 29.0}, {113.25, 29.1}, {113.3, 29.0}}},
		nil,
	}},
	{"polygons", Polygon, []orb.Geometry{
		// A township outline with a hole (an enclave).
		orb.Polygon{
			{{113.0, 29.0}, {113.4, 29.0}, {113.4, 29.3}, {113.0, 29.3}, {113.0, 29.0}},
			{{113.1, 29.1}, {113.1, 29.2}, {113.2, 29.2}, {113.2, 29.1}, {113.1, 29.1}},
		},
		// Two parts, the second with a hole.
		orb.MultiPolygon{
			{{{113.5, 29.5}, {113.6, 29.5}, {113.6, 29.6}, {113.5, 29.5}}},
			{
				{{114.0, 29.0}, {114.5, 29.0}, {114.5, 29.5}, {114.0, 29.5}, {114.0, 29.0}},
				{{114.1, 29.1}, {114.1, 29.2}, {114.2, 29.2}, {114.2, 29.1}, {114.1, 29.1}},
			},
		},
		nil,
	}},
}

// gdalEncodings are the ways the tests ask GDAL to encode the dbf, and
// what the Reader must report for each; fallback variants delete the .cpg
// and zero the language byte after writing.
var gdalEncodings = []struct {
	name, lco            string
	dropCPG              bool
	wantName, wantSource string
}{
	{"gbk-cpg", "ENCODING=GBK", false, EncodingGBK, `.cpg "GBK"`},
	{"gbk-ldid", "ENCODING=LDID/77", false, EncodingGBK, "dbf language byte 0x4D"},
	{"utf8-cpg", "ENCODING=UTF-8", false, EncodingUTF8, `.cpg "UTF-8"`},
	{"gbk-bare", "ENCODING=GBK", true, EncodingFallback, "default (no language byte or .cpg)"},
	{"utf8-bare", "ENCODING=UTF-8", true, EncodingFallback, "default (no language byte or .cpg)"},
}

// writeGeoJSON writes the layer's features as a GeoJSON file for ogr2ogr.
func writeGeoJSON(tb testing.TB, path string, geoms []orb.Geometry) {
	tb.Helper()
	type feature struct {
		Type       string            `json:"type"`
		Geometry   *geojson.Geometry `json:"geometry"`
		Properties json.RawMessage   `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection"}
	for i, g := range geoms {
		// Properties are written in gdalFields order, which GDAL keeps for
		// the dbf columns; a map would sort them.
		props := []byte("{")
		for j, k := range gdalFields {
			if j > 0 {
				props = append(props, ',')
			}
			kb, _ := json.Marshal(k)
			vb, err := json.Marshal(gdalAttrs[i].props[k])
			if err != nil {
				tb.Fatal(err)
			}
			props = append(append(append(props, kb...), ':'), vb...)
		}
		f := feature{Type: "Feature", Properties: append(props, '}')}
		if g != nil {
			f.Geometry = geojson.NewGeometry(g)
		}
		fc.Features = append(fc.Features, f)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// gdalSet runs GDAL's ogr2ogr, the independent writer the fixtures come
// from, on src with the given extra arguments, writing dir/stem.shp, and
// returns its path.
func gdalSet(tb testing.TB, src, dir, stem string, args ...string) string {
	tb.Helper()
	dst := filepath.Join(dir, stem+".shp")
	gdaltest.Run(tb, "ogr2ogr", append([]string{"-f", "ESRI Shapefile", dst, src}, args...)...)
	return dst
}

// dropEncodingHints deletes a set's .cpg and zeroes its dbf language byte,
// leaving the Reader nothing but the fallback.
func dropEncodingHints(tb testing.TB, shpPath string) {
	tb.Helper()
	stem := shpPath[:len(shpPath)-len(".shp")]
	if err := os.Remove(stem + ".cpg"); err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(stem+".dbf", os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0}, 29); err != nil {
		tb.Fatal(err)
	}
}

func TestGDAL(t *testing.T) {
	gdaltest.Tool(t, "ogr2ogr")
	dir := t.TempDir()
	for _, layer := range gdalLayers {
		src := filepath.Join(dir, layer.name+".geojson")
		writeGeoJSON(t, src, layer.geom)
		for _, enc := range gdalEncodings {
			t.Run(layer.name+"/"+enc.name, func(t *testing.T) {
				path := gdalSet(t, src, dir, layer.name+"-"+enc.name, "-lco", enc.lco)
				if enc.dropCPG {
					dropEncodingHints(t, path)
				}
				r, recs := readAll(t, path)
				checkGDALSet(t, r, recs, layer.typ, layer.geom)
				if name, source := r.Encoding(); name != enc.wantName || source != enc.wantSource {
					t.Errorf("Encoding() = %q, %q; want %q, %q", name, source, enc.wantName, enc.wantSource)
				}
			})
		}
		// Z and M variants, which must read as their 2D base.
		for _, dim := range []struct {
			name string
			typ  ShapeType
		}{{"XYZ", layer.typ + 10}, {"XYM", layer.typ + 20}} {
			t.Run(layer.name+"/"+dim.name, func(t *testing.T) {
				path := gdalSet(t, src, dir, layer.name+"-"+dim.name, "-lco", "ENCODING=GBK", "-dim", dim.name)
				r, recs := readAll(t, path)
				checkGDALSet(t, r, recs, dim.typ, layer.geom)
			})
		}
	}
}

func checkGDALSet(t *testing.T, r *Reader, recs []Record, typ ShapeType, geoms []orb.Geometry) {
	t.Helper()
	if got := r.ShapeType(); got != typ {
		t.Errorf("ShapeType() = %v, want %v", got, typ)
	}
	if r.Len() != len(geoms) || len(recs) != len(geoms) {
		t.Fatalf("Len() = %d and %d records, want %d", r.Len(), len(recs), len(geoms))
	}
	wantFields := []Field{
		{Name: "名称", Type: 'C'}, {Name: "路面", Type: 'C'}, {Name: "宽度", Type: 'N'},
		{Name: "代码", Type: 'N'}, {Name: "建成", Type: 'D', Length: 8},
	}
	fields := r.Fields()
	if len(fields) != len(wantFields) {
		t.Fatalf("Fields() = %+v, want names %+v", fields, wantFields)
	}
	for i, f := range fields {
		w := wantFields[i]
		if f.Name != w.Name || f.Type != w.Type || (w.Length != 0 && f.Length != w.Length) {
			t.Errorf("field %d = %q %c(%d), want %q %c", i, f.Name, f.Type, f.Length, w.Name, w.Type)
		}
	}
	if fields[2].Decimals == 0 || fields[3].Decimals != 0 {
		t.Errorf("decimals of 宽度 and 代码 = %d, %d; want >0 and 0", fields[2].Decimals, fields[3].Decimals)
	}
	for i, rec := range recs {
		if rec.Index != i {
			t.Errorf("record %d: Index = %d", i, rec.Index)
		}
		if d := geomEqual(rec.Geometry, geoms[i], 1e-9); d != "" {
			t.Errorf("record %d geometry: %s", i, d)
		}
		if d := attrsEqual(rec.Attrs, gdalAttrs[i].attrs, 1e-9); d != "" {
			t.Errorf("record %d attributes: %s", i, d)
		}
		// Vertex order is kept as stored, and GDAL stores outer rings
		// clockwise as the spec asks.
		polys := []orb.Polygon{}
		switch g := rec.Geometry.(type) {
		case orb.Polygon:
			polys = append(polys, g)
		case orb.MultiPolygon:
			polys = append(polys, g...)
		}
		for _, p := range polys {
			if geo.RingArea(p[0]) >= 0 {
				t.Errorf("record %d: outer ring is not clockwise as stored", i)
			}
		}
	}
	if prj := r.PRJ(); len(prj) < 10 || prj[:6] != "GEOGCS" {
		t.Errorf("PRJ() = %q, want WGS 84 WKT", prj)
	}
}
