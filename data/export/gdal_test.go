package export

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/data/gdaltest"
)

// GDAL (ogrinfo, ogr2ogr) is the independent reader every format is
// checked with: what QGIS and most consultants' tools use underneath.

// gdal runs a GDAL program and returns its standard output; stderr
// (warnings) must be empty, since a warning means GDAL had to guess.
func gdal(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	stdout, stderr := gdaltest.Output(tb, name, args...)
	if stderr != "" {
		tb.Errorf("%s %s warned:\n%s", name, strings.Join(args, " "), stderr)
	}
	return stdout
}

// gdalRead reads one layer of src through GDAL (ogr2ogr to GeoJSON on
// stdout) and returns its features. oo are open options.
func gdalRead(tb testing.TB, src, layer string, oo ...string) []*geojson.Feature {
	tb.Helper()
	args := []string{"-f", "GeoJSON"}
	for _, o := range oo {
		args = append(args, "-oo", o)
	}
	args = append(args, "/vsistdout/", src, layer)
	out := gdal(tb, "ogr2ogr", args...)
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	if err != nil {
		tb.Fatalf("ogr2ogr output of %s: %v\n%s", layer, err, out)
	}
	return fc.Features
}

// gdalInfo returns `ogrinfo -ro -al` (or -so with summary) of one layer.
func gdalInfo(tb testing.TB, src, layer string, summary bool, oo ...string) string {
	tb.Helper()
	args := []string{"-ro", "-al"}
	if summary {
		args = append(args, "-so")
	}
	for _, o := range oo {
		args = append(args, "-oo", o)
	}
	return gdal(tb, "ogrinfo", append(args, src, layer)...)
}

var (
	spatialiteOnce sync.Once
	spatialiteOK   bool
)

// gdalInvalid returns how many geometries of a layer GEOS finds invalid,
// through GDAL's SQLite dialect; ok is false when that dialect lacks the
// SpatiaLite functions (the caller then relies on comparing coordinates).
func gdalInvalid(tb testing.TB, src, layer string, oo ...string) (n int, ok bool) {
	tb.Helper()
	spatialiteOnce.Do(func() {
		out, err := exec.Command(gdaltest.Tool(tb, "ogrinfo"), "-ro", "-dialect", "sqlite", "-sql",
			"SELECT ST_IsValid(GeomFromText('POINT(1 2)')) AS v", src).CombinedOutput()
		spatialiteOK = err == nil && strings.Contains(string(out), "v (Integer) = 1")
	})
	if !spatialiteOK {
		tb.Logf("GDAL's SQLite dialect has no SpatiaLite: validity checked by coordinates only")
		return 0, false
	}
	args := []string{"-ro"}
	for _, o := range oo {
		args = append(args, "-oo", o)
	}
	args = append(args, "-dialect", "sqlite", "-sql",
		fmt.Sprintf(`SELECT count(*) AS bad FROM "%s" WHERE geometry IS NOT NULL AND NOT ST_IsValid(geometry)`, layer), src)
	out := gdal(tb, "ogrinfo", args...)
	m := regexp.MustCompile(`bad \(Integer\) = (\d+)`).FindStringSubmatch(out)
	if m == nil {
		tb.Fatalf("validity query on %s gave no count:\n%s", layer, out)
	}
	n, _ = strconv.Atoi(m[1])
	return n, true
}

// wantFeature is a feature GDAL must return: its geometry and the index
// into testRows of its attributes.
type wantFeature struct {
	geom orb.Geometry
	row  int
}

// asWritten lists the fixture layer's features in order, geometry
// passed through fn (nil fn: unchanged).
func asWritten(tl testLayer, fn func(orb.Geometry) orb.Geometry) []wantFeature {
	out := make([]wantFeature, len(tl.geoms))
	for i, g := range tl.geoms {
		if fn != nil {
			g = fn(g)
		}
		out[i] = wantFeature{geom: g, row: i % len(testRows)}
	}
	return out
}

// expectFunc says, for a format, under which key GDAL reports a field and
// what value it must hold there (JSON: numbers are float64); skip leaves
// the field unchecked.
type expectFunc func(f Field, v any) (key string, want any, skip bool)

// checkFeatures compares what GDAL read with what was written: count,
// geometry within 1e-7 and every attribute.
func checkFeatures(tb testing.TB, what string, got []*geojson.Feature, want []wantFeature, expect expectFunc) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Errorf("%s: GDAL read %d features, want %d", what, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		if err := sameGeometry(g.Geometry, w.geom, 1e-7); err != nil {
			tb.Errorf("%s feature %d geometry: %v\ngot  %s\nwant %s", what, i, err, wktOf(g.Geometry), wktOf(w.geom))
		}
		for j, f := range testFields {
			key, wantV, skip := expect(f, testRows[w.row][j])
			if skip {
				continue
			}
			gotV, ok := g.Properties[key]
			if !ok {
				gotV = nil // unset reads as NULL
			}
			if !sameValue(gotV, wantV) {
				tb.Errorf("%s feature %d %s: got %#v, want %#v", what, i, key, gotV, wantV)
			}
		}
	}
}

func wktOf(g orb.Geometry) string {
	if g == nil {
		return "<nil>"
	}
	return string(appendWKT(nil, g, -1))
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case int64:
		g, ok := got.(float64)
		return ok && g == float64(w)
	case int:
		g, ok := got.(float64)
		return ok && g == float64(w)
	case float64:
		g, ok := got.(float64)
		// Exact: every format writes the shortest form that reads back.
		return ok && g == w
	}
	return got == want
}

// sameGeometry compares two geometries after normalising what formats
// may legitimately change: ring closure and orientation. Types must
// match; coordinates must agree within eps.
func sameGeometry(got, want orb.Geometry, eps float64) error {
	gs, gp := flatten(got)
	ws, wp := flatten(want)
	if gs != ws {
		return fmt.Errorf("shape %s, want %s", gs, ws)
	}
	for i := range wp {
		if math.Abs(gp[i][0]-wp[i][0]) > eps || math.Abs(gp[i][1]-wp[i][1]) > eps {
			return fmt.Errorf("point %d is %v, want %v", i, gp[i], wp[i])
		}
	}
	return nil
}

// flatten returns g's structure as a string (type and point counts) and
// its points, rings closed and in RFC 7946 orientation.
func flatten(g orb.Geometry) (string, []orb.Point) {
	var b strings.Builder
	var pts []orb.Point
	ring := func(r orb.Ring, ccw bool) {
		if len(r) > 0 && r[0] != r[len(r)-1] {
			r = append(r[:len(r):len(r)], r[0])
		}
		n := 0
		ringPoints(r, ccw, func(p orb.Point) { pts = append(pts, p); n++ })
		fmt.Fprintf(&b, "[%d]", n)
	}
	poly := func(p orb.Polygon) {
		b.WriteString("(")
		for i, r := range p {
			ring(r, i == 0)
		}
		b.WriteString(")")
	}
	var walk func(g orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := canonical(g).(type) {
		case nil:
			b.WriteString("nil")
		case orb.Point:
			b.WriteString("Point")
			pts = append(pts, g)
		case orb.MultiPoint:
			fmt.Fprintf(&b, "MultiPoint[%d]", len(g))
			pts = append(pts, g...)
		case orb.LineString:
			fmt.Fprintf(&b, "LineString[%d]", len(g))
			pts = append(pts, g...)
		case orb.MultiLineString:
			b.WriteString("MultiLineString")
			for _, l := range g {
				fmt.Fprintf(&b, "[%d]", len(l))
				pts = append(pts, l...)
			}
		case orb.Polygon:
			b.WriteString("Polygon")
			poly(g)
		case orb.MultiPolygon:
			b.WriteString("MultiPolygon")
			for _, p := range g {
				poly(p)
			}
		case orb.Collection:
			b.WriteString("Collection{")
			for _, m := range g {
				walk(m)
				b.WriteString(";")
			}
			b.WriteString("}")
		}
	}
	walk(g)
	return b.String(), pts
}

// shapefileGeom is what GDAL returns for g read from a shapefile: it
// cannot tell a multi type of one part from the simple type.
func shapefileGeom(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.MultiPoint:
		if len(g) == 1 {
			return g[0]
		}
	case orb.MultiLineString:
		if len(g) == 1 {
			return g[0]
		}
	case orb.MultiPolygon:
		if len(g) == 1 {
			return g[0]
		}
	}
	return g
}

// wantContains fails for each of parts that text lacks.
func wantContains(tb testing.TB, what, text string, parts ...string) {
	tb.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			tb.Errorf("%s lacks %q:\n%s", what, p, text)
		}
	}
}

// Dates as GDAL's GeoJSON writer prints them.
func gdalDate(v any) any {
	if v == nil {
		return nil
	}
	return v.(interface{ Format(string) string }).Format("2006-01-02")
}

// TestESRIWKT4490 checks the test's .prj against GDAL's own ESRI WKT for
// EPSG:4490, so the CRS the shapefile tests expect is the real one.
func TestESRIWKT4490(t *testing.T) {
	got := strings.TrimSpace(gdal(t, "gdalsrsinfo", "--single-line", "-o", "wkt_esri", "EPSG:4490"))
	if got != esri4490 {
		t.Errorf("gdalsrsinfo -o wkt_esri EPSG:4490:\n%s\nwant\n%s", got, esri4490)
	}
}

func TestGDALShapefile(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	for _, enc := range []string{EncodingUTF8, EncodingGBK} {
		t.Run(enc, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "export.zip", func(w io.Writer) Writer {
				return NewShapefileZip(w, ShapefileOptions{Encoding: enc, TempDir: t.TempDir()})
			}, villages, roads, townships, mixed)
			src := "/vsizip/" + path
			gbk := enc == EncodingGBK

			// Short names, as GDAL reports them.
			short := map[string]string{
				"name": "name", "poor_population": "poor_popul", "poor_population_households": "poor_pop_1",
				"poverty_rate": "poverty_ra", "electrified": "electrifie", "surveyed": "surveyed",
				"updated_at": "updated_at", "note": "note",
			}
			expect := func(f Field, v any) (string, any, bool) {
				key := short[f.Name]
				switch f.Type {
				case String:
					if v == nil {
						return key, nil, false
					}
					s := v.(string)
					if s == longNote { // cut to 254 bytes on a character boundary
						if gbk {
							return key, strings.Repeat("柘", 127), false
						}
						return key, strings.Repeat("柘", 84), false
					}
					if gbk {
						s = strings.ReplaceAll(s, "🌾", "?") // not in GBK
					}
					return key, s, false
				case Bool:
					// GDAL 3.6 reads L as text: T, F, and '?' for NULL
					// (later GDALs read Boolean); both mean what was written.
					switch v {
					case true:
						return key, "T", false
					case false:
						return key, "F", false
					}
					return key, "?", false
				case Date:
					return key, gdalDate(v), false
				case DateTime:
					if v == nil {
						return key, nil, false
					}
					return key, v.(interface{ Format(string) string }).Format("2006-01-02 15:04:05"), false
				}
				return key, v, false
			}
			files := []struct {
				layer string
				want  []wantFeature
				geom  string
			}{
				{"villages", asWritten(villages, shapefileGeom), "Point"},
				{"roads", asWritten(roads, shapefileGeom), "Line String"},
				{"townships", asWritten(townships, shapefileGeom), "Polygon"},
				// The mixed layer, split by family; its row without
				// geometry goes at the end of its first family's file.
				{"mixed_point", []wantFeature{{orb.Point{113.45, 29.48}, 0}, {orb.Point{113.7, 29.7}, 0}, {nil, 3}}, "Point"},
				{"mixed_line", []wantFeature{{mixed.geoms[1], 1}}, "Line String"},
				{"mixed_polygon", []wantFeature{{township, 2}, {clockwiseOpen, 0}}, "Polygon"},
			}
			for _, f := range files {
				info := gdalInfo(t, src, f.layer, true)
				wantContains(t, f.layer+" ogrinfo -so", info,
					"Geometry: "+f.geom,
					fmt.Sprintf("Feature Count: %d", len(f.want)),
					`GEOGCRS["China Geodetic Coordinate System 2000"`, `ID["EPSG",4490]`, // from the .prj
					"name: String (", "poor_popul: Integer64 (12.0)", "poor_pop_1: Integer (9.0)",
					"poverty_ra: Real (", "surveyed: Date (", "updated_at: String (19.0)", "note: String (",
				)
				checkFeatures(t, f.layer, gdalRead(t, src, f.layer), f.want, expect)
				if n, ok := gdalInvalid(t, src, f.layer); ok && n != 0 {
					t.Errorf("%s: %d invalid geometries", f.layer, n)
				}
			}
			// The text ogrinfo prints: GDAL decoded the Chinese.
			wantContains(t, "ogrinfo -al villages", gdalInfo(t, src, "villages", false),
				"name (String) = 羊楼司镇柘庄村", `note (String) = 村部位于 A&B <路口>, "老街"`,
				"poor_popul (Integer64) = 430682101201", "surveyed (Date) = 2016/12/31")
		})
	}
}

// TestGDALShapefileCPG checks each declaration of the encoding on its own:
// GDAL must decode GBK from the .cpg alone (language byte zeroed) and
// from the language byte alone (.cpg removed).
func TestGDALShapefileCPG(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	path := writeFile(t, "gbk.zip", func(w io.Writer) Writer {
		return NewShapefileZip(w, ShapefileOptions{Encoding: EncodingGBK})
	}, villages)
	dir := t.TempDir()
	for name, data := range unzipAll(t, path) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shp := filepath.Join(dir, "villages.shp")
	dbf := filepath.Join(dir, "villages.dbf")
	cpg := filepath.Join(dir, "villages.cpg")
	want := "name (String) = 羊楼司镇柘庄村"

	// .cpg "936" alone.
	raw, err := os.ReadFile(dbf)
	if err != nil {
		t.Fatal(err)
	}
	if raw[29] != 0x4D {
		t.Fatalf("language byte 0x%02X, want 0x4D", raw[29])
	}
	raw[29] = 0
	if err := os.WriteFile(dbf, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "ogrinfo with .cpg only", gdalInfo(t, shp, "villages", false), want)

	// Language byte alone.
	raw[29] = 0x4D
	if err := os.WriteFile(dbf, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cpg); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "ogrinfo with language byte only", gdalInfo(t, shp, "villages", false), want)
}

func TestGDALGeoJSON(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	expect := func(f Field, v any) (string, any, bool) {
		switch f.Type {
		case Date:
			return f.Name, gdalDate(v), false
		case DateTime:
			if v == nil {
				return f.Name, nil, false
			}
			return f.Name, v.(interface{ Format(string) string }).Format("2006-01-02T15:04:05-07:00"), false
		}
		return f.Name, v, false
	}
	for _, tl := range []testLayer{villages, roads, townships, mixed} {
		t.Run(tl.layer.Name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tl.layer.Name+".geojson", NewGeoJSON, wgs84(tl))
			info := gdalInfo(t, path, tl.layer.Name, true)
			wantContains(t, "ogrinfo -so", info,
				`ID["EPSG",4326]`, fmt.Sprintf("Feature Count: %d", len(tl.geoms)),
				"name: String", "poor_population: Integer64", "poor_population_households: Integer (",
				"poverty_rate: Real", "electrified: Integer(Boolean)", "surveyed: Date", "updated_at: DateTime", "note: String")
			checkFeatures(t, tl.layer.Name, gdalRead(t, path, tl.layer.Name), asWritten(tl, nil), expect)
			if n, ok := gdalInvalid(t, path, tl.layer.Name); ok && n != 0 {
				t.Errorf("%d invalid geometries", n)
			}
		})
	}
}

func TestGDALCSV(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	// Typed as a consultant's QGIS would with "detect field types".
	oo := []string{"AUTODETECT_TYPE=YES", "EMPTY_STRING_AS_NULL=YES", "KEEP_GEOM_COLUMNS=NO"}
	expect := func(f Field, v any) (string, any, bool) {
		switch f.Type {
		case String:
			if s, ok := v.(string); ok && strings.HasPrefix(s, "=") {
				return f.Title, "'" + s, false // Excel's formula guard
			}
		case Bool:
			switch v {
			case true:
				return f.Title, "是", false
			case false:
				return f.Title, "否", false
			}
		case Date:
			return f.Title, gdalDate(v), false
		case DateTime:
			if v == nil {
				return f.Title, nil, false
			}
			return f.Title, v.(interface{ Format(string) string }).Format("2006-01-02T15:04:05"), false
		}
		return f.Title, v, false
	}
	for _, tl := range []testLayer{villages, roads, townships, mixed} {
		t.Run(tl.layer.Name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tl.layer.Name+".csv", NewCSV, tl)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := "\uFEFFWKT,名称,贫困人口,贫困户数,贫困发生率,通电,调查日期,更新时间,备注\r\n"; !strings.HasPrefix(string(raw), want) {
				t.Errorf("CSV starts %q, want %q", raw[:min(len(raw), 80)], want)
			}
			layer := tl.layer.Name
			info := gdalInfo(t, path, layer, true, oo...)
			wantContains(t, "ogrinfo -so", info, fmt.Sprintf("Feature Count: %d", len(tl.geoms)),
				"名称: String", "贫困人口: Integer64", "贫困发生率: Real", "调查日期: Date", "更新时间: DateTime")
			checkFeatures(t, layer, gdalRead(t, path, layer, oo...), asWritten(tl, nil), expect)
			if n, ok := gdalInvalid(t, path, layer, oo...); ok && n != 0 {
				t.Errorf("%d invalid geometries", n)
			}
		})
	}
}

func TestGDALKML(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	layers := []testLayer{wgs84(villages), wgs84(roads), wgs84(townships), wgs84(mixed)}
	path := writeFile(t, "export.kml", NewKML, layers...)
	expect := func(f Field, v any) (string, any, bool) {
		switch f.Type {
		case String:
			if f.Name == "name" {
				return "Name", v, false // the Placemark's name
			}
		case Bool:
			switch v {
			case true:
				return f.Name, 1.0, false
			case false:
				return f.Name, 0.0, false
			}
		case Date:
			return f.Name, gdalDate(v), false
		case DateTime:
			if v == nil {
				return f.Name, nil, false
			}
			return f.Name, v.(interface{ Format(string) string }).Format("2006-01-02 15:04:05"), false
		}
		return f.Name, v, false
	}
	for _, tl := range layers {
		name := tl.layer.Title // the Folder's name
		info := gdalInfo(t, path, name, true)
		wantContains(t, name+" ogrinfo -so", info, `ID["EPSG",4326]`, fmt.Sprintf("Feature Count: %d", len(tl.geoms)),
			"poor_population: Real", "poverty_rate: Real", "note: String")
		checkFeatures(t, name, gdalRead(t, path, name), asWritten(tl, nil), expect)
		if n, ok := gdalInvalid(t, path, name); ok && n != 0 {
			t.Errorf("%s: %d invalid geometries", name, n)
		}
	}
	// The balloon's HTML survives two rounds of escaping.
	wantContains(t, "ogrinfo -al 村庄", gdalInfo(t, path, "村庄", false),
		"<th>名称</th><td>羊楼司镇柘庄村</td>", "<td>村部位于 A&amp;B &lt;路口&gt;, &quot;老街&quot;</td>", "<th>通电</th><td>是</td>")
}

func TestGDALXLSX(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	t.Parallel()
	layers := []testLayer{villages, roads, townships, mixed}
	path := writeFile(t, "export.xlsx", NewXLSX, layers...)
	expect := func(f Field, v any) (string, any, bool) {
		switch f.Type {
		case Date:
			return f.Title, gdalDate(v), false
		case DateTime:
			if v == nil {
				return f.Title, nil, false
			}
			return f.Title, v.(interface{ Format(string) string }).Format("2006-01-02T15:04:05"), false
		}
		return f.Title, v, false
	}
	wantContains(t, "ogrinfo -so", gdal(t, "ogrinfo", "-ro", "-so", "-q", path), "1: 村庄", "2: 道路", "3: 乡镇", "4: 混合", "5: 说明")
	for _, tl := range layers {
		name := tl.layer.Title
		info := gdalInfo(t, path, name, true)
		wantContains(t, name+" ogrinfo -so", info, fmt.Sprintf("Feature Count: %d", len(tl.geoms)),
			"名称: String", "贫困人口: Integer64", "贫困户数: Integer (", "贫困发生率: Real", "通电: Integer(Boolean)",
			"调查日期: Date", "更新时间: DateTime", "WKT: String")
		got := gdalRead(t, path, name)
		// XLSX has no geometry: GDAL reads the WKT column as text, which
		// orb's WKT parser (independent of ours) turns back into geometry.
		// orb's parser lacks GEOMETRYCOLLECTION; that row's WKT is compared
		// as text (GDAL parses the same WKT in TestGDALCSV).
		want := asWritten(tl, nil)
		for i, f := range got {
			s, ok := f.Properties["WKT"].(string)
			if !ok {
				continue
			}
			if c, isColl := want[i].geom.(orb.Collection); isColl {
				if ws := string(appendWKT(nil, c, -1)); s != ws {
					t.Errorf("%s feature %d: WKT %s, want %s", name, i, s, ws)
				}
				want[i].geom = nil
				continue
			}
			g, err := wkt.Unmarshal(s)
			if err != nil {
				t.Errorf("%s: WKT %q: %v", name, s, err)
			}
			f.Geometry = g
		}
		checkFeatures(t, name, got, want, expect)
	}
	meta := gdalInfo(t, path, "说明", false)
	wantContains(t, "说明", meta, "临湘市脱贫攻坚规划系统", "2024-06 普查", "乡镇：羊楼司镇；年度：2024", "© 临湘市乡村振兴局", "CGCS2000 经纬度（EPSG:4490）", "无数据，未导出")
}
