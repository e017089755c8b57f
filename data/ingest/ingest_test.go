package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
)

// The required columns of the tables these tests import into, as data's
// table description gives them: NOT NULL without a default, in table
// order (migrations 0001_init, 0010_ext_id and 0013_source_key, which made
// a road's grade and a line's voltage nullable).
var required = map[string][]string{
	"roads":       {"geom"},
	"substations": {"name", "voltage_kv", "geom"},
	"power_lines": {"geom"},
	"counties":    {"code", "name", "outline"},
	"villages":    {"name", "township_code", "kind", "office"},
}

// writeFile writes content to name in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run is what the pure stage makes of one file: the report, the
// converter's fields and the records it converted.
type run struct {
	rep    planning.ImportReport
	info   ingest.Info
	conv   *ingest.Converter
	fields []string
	recs   []ingest.Record
}

// value is field col of record r's part part, or "absent".
func (r *run) value(rec ingest.Record, col string, part int) any {
	i := slices.Index(r.fields, col)
	if i < 0 {
		return "absent"
	}
	return rec.Value(i, part)
}

// record returns the converted record of row row.
func (r *run) record(t *testing.T, row int) ingest.Record {
	t.Helper()
	for _, rec := range r.recs {
		if rec.Row == row {
			return rec
		}
	}
	t.Fatalf("no converted record on row %d; rows %v\n%s", row, r.rows(), problemsText(r.rep))
	return ingest.Record{}
}

func (r *run) rows() []int {
	var out []int
	for _, rec := range r.recs {
		out = append(out, rec.Row)
	}
	return out
}

// ingestFile runs path through open → map → convert for layer, reading
// it with Read as the PostGIS stage does, and keeps what it converted.
func ingestFile(t *testing.T, path, layer string, opt planning.ImportOptions) *run {
	t.Helper()
	r, err := tryIngest(path, layer, opt)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return r
}

func tryIngest(path, layer string, opt planning.ImportOptions) (*run, error) {
	l := catalog.Default().Layer(layer)
	name := filepath.Base(path)
	r := &run{rep: planning.ImportReport{Layer: layer, File: name, Problems: []planning.ImportProblem{}}}
	src, info, err := ingest.OpenWith(path, name, layer, ingest.OpenOptions{Encoding: opt.Encoding})
	if err != nil {
		return r, err
	}
	defer src.Close()
	r.rep.Format, r.rep.Encoding = info.Format, info.Encoding
	if err := ingest.ResolveSource(opt.Source, &info, &r.rep); err != nil {
		return r, err
	}
	r.info = info
	srs, how, err := ingest.ResolveSRS(opt.SRS, info)
	if err != nil {
		return r, err
	}
	r.rep.SRS = srs.Name + "（" + how + "）"
	cols, err := ingest.MapColumns(l, info, opt.Mapping, required[layer], &r.rep)
	if err != nil {
		return r, err
	}
	r.conv = ingest.NewConverter(cols, srs, &r.rep)
	r.fields = r.conv.Fields()
	out := make(chan [][]any, 1)
	done := make(chan error, 1)
	go func() {
		defer close(out)
		done <- r.conv.Read(context.Background(), src, ingest.Reading{Out: out, Build: func(rec ingest.Record) ([][]any, bool) {
			for i := range rec.Parts {
				if _, ok := r.conv.EWKB(rec, i); !ok {
					return nil, false
				}
			}
			r.recs = append(r.recs, rec)
			return nil, true
		}})
	}()
	for range out {
	}
	return r, <-done
}

func problemsText(r planning.ImportReport) string {
	var b strings.Builder
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "%d %s %s %q %s｜%s\n", p.Row, p.Severity, p.Field, p.Value, p.Reason, p.Hint)
	}
	return b.String()
}

// findProblem returns the first problem of row whose reason contains want.
func findProblem(r planning.ImportReport, row int, want string) (planning.ImportProblem, bool) {
	for _, p := range r.Problems {
		if p.Row == row && strings.Contains(p.Reason, want) {
			return p, true
		}
	}
	return planning.ImportProblem{}, false
}

// TestGeoJSONRoads reads roads with Chinese property names, units and
// value spellings: the values come out typed, the multi-line is split
// into two lines with distinct feature ids, and the SRS is the default.
func TestGeoJSONRoads(t *testing.T) {
	path := writeFile(t, "道路.geojson", `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"要素编号":"r1","路名":"甲线","等级":"村道","路面":"水泥混凝土","路面宽度(m)":"4.5m","建成年份":2016},
		 "geometry":{"type":"LineString","coordinates":[[113.50,29.50],[113.51,29.51]]}},
		{"type":"Feature","properties":{"要素编号":"r2","路名":"乙线","等级":"X","路面":"柏油","路面宽度(m)":6.5,"建成年份":"2019年"},
		 "geometry":{"type":"MultiLineString","coordinates":[[[113.52,29.51],[113.53,29.52]],[[113.54,29.52],[113.55,29.53]]]}}]}`)
	r := ingestFile(t, path, "roads", planning.ImportOptions{})
	if r.rep.Format != "GeoJSON" || r.rep.Encoding != "UTF-8" || r.rep.SRS != "CGCS2000 经纬度 (EPSG:4490)（文件未声明，按 CGCS2000/WGS84 经纬度）" {
		t.Errorf("format %q encoding %q SRS %q", r.rep.Format, r.rep.Encoding, r.rep.SRS)
	}
	if got := r.rep.Columns; !slices.Equal(got, []string{"要素编号 → ext_id", "路名 → name", "等级 → grade", "路面 → surface", "路面宽度(m) → width_m", "建成年份 → year"}) {
		t.Errorf("columns %v", got)
	}
	if !slices.Equal(r.fields, []string{"name", "grade", "surface", "width_m", "year", "source_key", "ext_id"}) {
		t.Errorf("fields %v", r.fields)
	}
	if r.rep.Source != "道路" {
		t.Errorf("source %q, want the file's name 道路", r.rep.Source)
	}
	if r.rep.Read != 2 || r.rep.Rejected != 0 || r.rep.Errors != 0 || len(r.recs) != 2 {
		t.Fatalf("read %d rejected %d errors %d converted %d\n%s", r.rep.Read, r.rep.Rejected, r.rep.Errors, len(r.recs), problemsText(r.rep))
	}
	r1 := r.record(t, 1)
	for col, want := range map[string]any{"name": "甲线", "grade": "村道", "surface": "水泥", "width_m": 4.5, "year": int64(2016), "ext_id": "r1", "source_key": "道路"} {
		if got := r.value(r1, col, 0); got != want {
			t.Errorf("row 1 %s = %#v, want %#v", col, got, want)
		}
	}
	if len(r1.Parts) != 1 || r1.Parts[0].GeoJSONType() != "LineString" || r.conv.SRID() != 4490 {
		t.Errorf("row 1 parts %v in SRID %d", r1.Parts, r.conv.SRID())
	}
	r2 := r.record(t, 2)
	if len(r2.Parts) != 2 {
		t.Fatalf("row 2: %d parts, want the multi-line split in 2", len(r2.Parts))
	}
	for col, want := range map[string]any{"grade": "县道", "surface": "沥青", "width_m": 6.5, "year": int64(2019)} {
		if got := r.value(r2, col, 1); got != want {
			t.Errorf("row 2 %s = %#v, want %#v", col, got, want)
		}
	}
	if r.value(r2, "ext_id", 0) != "r2#1" || r.value(r2, "ext_id", 1) != "r2#2" {
		t.Errorf("split parts' ids %v, %v", r.value(r2, "ext_id", 0), r.value(r2, "ext_id", 1))
	}
	if p, ok := findProblem(r.rep, 2, "多段线拆分为 2 条线分别导入"); !ok || p.Severity != planning.SeverityWarning || p.Field != "geom" || p.Value != "MultiLineString (113.52 29.51 …)" {
		t.Errorf("split not reported as a warning:\n%s", problemsText(r.rep))
	}
}

// roadsCSV has a bad width on row 5 and swapped coordinates on row 6;
// 机耕道 is no grade, but that is for the table's CHECK to say.
const roadsCSV = "ID,道路名称,行政等级,路面类型,路面宽度(m),备注,WKT\n" +
	"r1,甲线,村道,水泥混凝土,4.5m,,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n" +
	"r2,乙线,县道,柏油,\"6,5\",,\"LINESTRING(113.51 29.51, 113.52 29.52)\"\n" +
	"r3,丙线,机耕道,砂石,3,,\"LINESTRING(113.52 29.52, 113.53 29.53)\"\n" +
	"r4,丁线,村道,土,宽,,\"LINESTRING(113.53 29.53, 113.54 29.54)\"\n" +
	"r5,戊线,村道,水泥,3.5,,\"LINESTRING(29.53 113.53, 29.54 113.54)\"\n"

// TestCSVGBK reads the roads table as Excel in China saves it, in GBK:
// rows are numbered as Excel shows them, a bad value and swapped
// coordinates are errors of their rows, the unknown column a warning.
func TestCSVGBK(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(roadsCSV)
	if err != nil {
		t.Fatal(err)
	}
	r := ingestFile(t, writeFile(t, "道路.csv", gbk), "roads", planning.ImportOptions{})
	if r.rep.Format != "CSV" || !strings.Contains(r.rep.Encoding, "GB") {
		t.Errorf("format %q encoding %q", r.rep.Format, r.rep.Encoding)
	}
	if r.rep.Read != 5 || r.rep.Rejected != 2 || r.rep.Errors != 2 || !slices.Equal(r.rows(), []int{2, 3, 4}) {
		t.Fatalf("read %d rejected %d errors %d rows %v\n%s", r.rep.Read, r.rep.Rejected, r.rep.Errors, r.rows(), problemsText(r.rep))
	}
	want := "0 warning  \"备注\" 这些列没有对应字段，未导入｜如需导入，请在映射文件 columns 中指定；不需要的列可列入 ignore\n" +
		"5 error width_m \"宽\" “路面宽度(m)”列的值不是数字（可带单位 m、米）；路面宽度（米）必须大于0且不超过60｜可在映射文件 values 中把该值映射为允许的值\n" +
		"6 error geom \"LineString (29.53 113.53 …)\" 坐标 (29.53, 113.53) 经纬度可能颠倒（应为经度在前、纬度在后）｜\n"
	if got := problemsText(r.rep); got != want {
		t.Errorf("problems\n%s\nwant\n%s", got, want)
	}
	for row, want := range map[int][]any{2: {"甲线", "村道", "水泥", 4.5, "r1"}, 3: {"乙线", "县道", "沥青", 6.5, "r2"}, 4: {"丙线", "机耕道", "砂石", 3.0, "r3"}} {
		rec := r.record(t, row)
		for i, col := range []string{"name", "grade", "surface", "width_m", "ext_id"} {
			if got := r.value(rec, col, 0); got != want[i] {
				t.Errorf("row %d %s = %#v, want %#v", row, col, got, want[i])
			}
		}
	}
}

// fuzzSeed reads a file of data/shp's fuzz corpus: GDAL wrote the
// shapefiles those seeds hold (see data/shp TestFuzzSeeds).
func fuzzSeed(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
	body, ok2 := strings.CutSuffix(strings.TrimSpace(body), ")")
	if !ok || !ok2 {
		t.Fatalf("%s is not a go test fuzz v1 []byte seed", path)
	}
	b, err := strconv.Unquote(body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(b)
}

// TestShapefileGBK reads GDAL's lines with a GBK attribute table (data/shp's
// fuzz seeds gdal-lines and gdal-lines-GBK): a line, a multi-line split in
// two, and a null shape, which roads refuse. The file has no grade: it
// converts with the grade unknown (refused as a missing required column
// before issue 17), and the mapping file's default fills it.
func TestShapefileGBK(t *testing.T) {
	dir := t.TempDir()
	for ext, seed := range map[string]string{".shp": "FuzzSHP/gdal-lines", ".dbf": "FuzzDBF/gdal-lines-GBK"} {
		if err := os.WriteFile(filepath.Join(dir, "道路"+ext), fuzzSeed(t, "../shp/testdata/fuzz/"+seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "道路.shp")
	if r, err := tryIngest(path, "roads", planning.ImportOptions{}); err != nil || len(r.recs) != 2 || r.value(r.recs[0], "grade", 0) != "absent" {
		t.Errorf("no grade: %v", err)
	}
	r := ingestFile(t, path, "roads", planning.ImportOptions{Mapping: planning.Mapping{Defaults: map[string]string{"grade": "乡道"}, Ignore: []string{"代码"}}})
	if r.rep.Format != "Shapefile" || !strings.Contains(r.rep.Encoding, "GBK") {
		t.Errorf("format %q encoding %q", r.rep.Format, r.rep.Encoding)
	}
	if r.rep.Read != 3 || r.rep.Rejected != 1 || !slices.Equal(r.rows(), []int{1, 2}) {
		t.Fatalf("read %d rejected %d rows %v\n%s", r.rep.Read, r.rep.Rejected, r.rows(), problemsText(r.rep))
	}
	want := "0 warning  \"建成\" 这些列没有对应字段，未导入｜如需导入，请在映射文件 columns 中指定；不需要的列可列入 ignore\n" +
		"2 warning geom \"MultiLineString (113 29 …)\" 多段线拆分为 2 条线分别导入｜\n" +
		"3 error geom \"\" 缺少几何（坐标为空）｜\n"
	if got := problemsText(r.rep); got != want {
		t.Errorf("problems\n%s\nwant\n%s", got, want)
	}
	r1 := r.record(t, 1)
	for col, want := range map[string]any{"name": "临湘市羊楼司镇", "grade": "乡道", "surface": "水泥", "width_m": 4.5} {
		if got := r.value(r1, col, 0); got != want {
			t.Errorf("row 1 %s = %#v, want %#v", col, got, want)
		}
	}
	if r2 := r.record(t, 2); len(r2.Parts) != 2 || r.value(r2, "name", 1) != "Tanzhou 坦渡" || r.value(r2, "width_m", 1) != 3.25 {
		t.Errorf("row 2: %d parts, name %v width %v", len(r2.Parts), r.value(r2, "name", 1), r.value(r2, "width_m", 1))
	}
}

// TestMappingFile maps a bureau's own column names and values; a value
// neither allowed nor mapped is an error with the allowed values, and a
// mapping to an unknown field refuses the file.
func TestMappingFile(t *testing.T) {
	path := writeFile(t, "lines.csv", "线路,电压,WKT\n"+
		"甲村10kV线,10kV线路,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n"+
		"乙村低压线,低压,\"LINESTRING(113.51 29.51, 113.52 29.50)\"\n")
	mapping, err := planning.ParseMapping([]byte(`{"columns": {"线路": "name", "电压": "voltage_kv", "相别": "phases"},
		"values": {"voltage_kv": {"10kV线路": "10"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := ingestFile(t, path, "power_lines", planning.ImportOptions{Mapping: mapping})
	if !slices.Equal(r.rep.Columns, []string{"线路 → name", "电压 → voltage_kv"}) {
		t.Errorf("columns %v", r.rep.Columns)
	}
	if p, ok := findProblem(r.rep, 0, "映射文件中的列“相别”不在文件中"); !ok || p.Severity != planning.SeverityWarning || p.Field != "phases" {
		t.Errorf("a mapped column missing from the file is not a warning:\n%s", problemsText(r.rep))
	}
	p, ok := findProblem(r.rep, 3, "线路电压等级只能是 0.22、0.4、10、35、110、220、500 kV")
	if !ok || p.Value != "低压" || p.Field != "voltage_kv" || p.Severity != planning.SeverityError ||
		p.Reason != "“电压”列的值不是数字（可带单位 kv、千伏）；线路电压等级只能是 0.22、0.4、10、35、110、220、500 kV" {
		t.Errorf("unknown voltage not reported with the allowed values:\n%s", problemsText(r.rep))
	}
	if r.value(r.record(t, 2), "voltage_kv", 0) != 10.0 {
		t.Errorf("10kV线路 mapped to %v", r.value(r.record(t, 2), "voltage_kv", 0))
	}

	mapping.Values["voltage_kv"]["低压"] = "0.4"
	r = ingestFile(t, path, "power_lines", planning.ImportOptions{Mapping: mapping})
	if r.rep.Rejected != 0 || r.value(r.record(t, 3), "voltage_kv", 0) != 0.4 || r.value(r.record(t, 3), "name", 0) != "乙村低压线" {
		t.Errorf("mapped 低压: rejected %d, row 3 %v\n%s", r.rep.Rejected, r.record(t, 3).Values, problemsText(r.rep))
	}

	bad, _ := planning.ParseMapping([]byte(`{"columns": {"线路": "line_name"}}`))
	_, err = tryIngest(path, "power_lines", planning.ImportOptions{Mapping: bad})
	if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "lines.csv：映射文件把列“线路”映射到未知字段 \"line_name\"") ||
		!strings.Contains(planning.ErrorMessage(err), "voltage_kv") {
		t.Errorf("mapping to an unknown field: %v", err)
	}
	baddef, _ := planning.ParseMapping([]byte(`{"defaults": {"phases": "两相"}}`))
	if _, err = tryIngest(path, "power_lines", planning.ImportOptions{Mapping: baddef}); planning.ErrorCode(err) != planning.EInvalid ||
		!strings.Contains(planning.ErrorMessage(err), "映射文件中字段 phases 的默认值 \"两相\" 不是数字") {
		t.Errorf("a default that is no value: %v", err)
	}
}

// TestMissingRequiredColumn names the field, the file's columns and the
// accepted names before reading any row.
func TestMissingRequiredColumn(t *testing.T) {
	path := writeFile(t, "lines.csv", "名称,经度,纬度\n某站,113.5,29.5\n")
	_, err := tryIngest(path, "substations", planning.ImportOptions{})
	msg := planning.ErrorMessage(err)
	if planning.ErrorCode(err) != planning.EInvalid || msg != "lines.csv：文件缺少必填字段 voltage_kv（电压等级（kV））：文件的列为 名称；可识别的列名：voltage_kv、电压等级、电压、voltage、max_kv。请改列名，或在映射文件 columns 中指定，或在 defaults 中给出默认值" {
		t.Fatalf("got %v", err)
	}
}

// TestGCJ02 reads the real 临湘 outline as AMap publishes it (GCJ-02):
// every vertex comes out within 0.5 m of its WGS-84 twin.
func TestGCJ02(t *testing.T) {
	const dir = "../../geo/testdata/"
	r := ingestFile(t, dir+"linxiang_boundary_gcj02.geojson", "counties", planning.ImportOptions{SRS: "gcj02"})
	if !strings.Contains(r.rep.SRS, "由 --srs 指定") || r.conv.SRID() != 4490 || len(r.recs) != 1 || len(r.recs[0].Parts) != 1 {
		t.Fatalf("SRS %q SRID %d, %d records\n%s", r.rep.SRS, r.conv.SRID(), len(r.recs), problemsText(r.rep))
	}
	raw, err := os.ReadFile(dir + "linxiang_boundary_wgs84.geojson")
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []orb.Point
	collect := func(g orb.Geometry, into *[]orb.Point) {
		switch x := g.(type) {
		case orb.Polygon:
			g = orb.MultiPolygon{x}
		}
		for _, p := range g.(orb.MultiPolygon) {
			for _, ring := range p {
				*into = append(*into, ring...)
			}
		}
	}
	collect(r.recs[0].Parts[0], &got)
	collect(fc.Features[0].Geometry, &want)
	if len(got) != len(want) || len(got) < 100 {
		t.Fatalf("%d vertices, the twin has %d", len(got), len(want))
	}
	var maxM float64
	for i := range got {
		maxM = math.Max(maxM, orbgeo.DistanceHaversine(got[i], want[i]))
	}
	if maxM > 0.5 {
		t.Errorf("largest vertex offset from the WGS-84 twin %.3f m, want < 0.5 m", maxM)
	}
	if r.value(r.recs[0], "code", 0) != "430682" {
		t.Errorf("code %v", r.value(r.recs[0], "code", 0))
	}
}

// TestProjected keeps projected input in its own coordinates, for the
// database to transform, and refuses lon/lat read as metres.
func TestProjected(t *testing.T) {
	path := writeFile(t, "roads.csv", "ext_id,grade,WKT\n"+
		"a,村道,\"LINESTRING(450000 3264000, 450100 3264100)\"\n"+
		"b,村道,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	r := ingestFile(t, path, "roads", planning.ImportOptions{SRS: "EPSG:4547"})
	if r.conv.SRID() != 4547 || !slices.Equal(r.rows(), []int{2}) {
		t.Fatalf("SRID %d rows %v\n%s", r.conv.SRID(), r.rows(), problemsText(r.rep))
	}
	if got := r.record(t, 2).Parts[0].(orb.LineString)[0]; got != (orb.Point{450000, 3264000}) {
		t.Errorf("projected vertex moved to %v", got)
	}
	if _, ok := findProblem(r.rep, 3, "投影坐标"); !ok {
		t.Errorf("lon/lat in a projected CRS not explained:\n%s", problemsText(r.rep))
	}
}

// TestResolveSRS decides the coordinate system from the option, a .prj,
// a GeoJSON crs and the default, in that order.
func TestResolveSRS(t *testing.T) {
	prj, err := os.ReadFile("../../geo/testdata/prj/arcgis10-cgcs2000-3gk-cm114e.prj")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		option string
		info   ingest.Info
		epsg   int
		how    string
	}{
		{"EPSG:4547", ingest.Info{PRJ: string(prj), CRS: "EPSG:4326"}, 4547, "由 --srs 指定"},
		{"", ingest.Info{PRJ: string(prj), CRS: "EPSG:4326"}, 4547, "读自 .prj"},
		{"", ingest.Info{CRS: "EPSG:4326"}, 4326, "读自文件"},
		{"", ingest.Info{}, 4490, "文件未声明，按 CGCS2000/WGS84 经纬度"},
	} {
		srs, how, err := ingest.ResolveSRS(c.option, c.info)
		if err != nil || srs.EPSG != c.epsg || how != c.how {
			t.Errorf("%q %+v: EPSG %d %q %v, want %d %q", c.option, c.info.CRS, srs.EPSG, how, err, c.epsg, c.how)
		}
	}
	_, _, err = ingest.ResolveSRS("", ingest.Info{Name: "a.shp", PRJ: `GEOGCS["nonsense"]`})
	if planning.ErrorCode(err) != planning.EInvalid || !strings.HasPrefix(planning.ErrorMessage(err), "a.shp：无法识别 .prj 中的坐标系") {
		t.Errorf("a .prj that names no CRS: %v", err)
	}
}

// TestGeoJSONCRSForms reads a GeoJSON "crs" member in every form writers
// use (GDAL and QGIS write OGC:CRS84 as a URN) to the coordinate system
// it names, and refuses one it cannot read with a single message that
// says how to import anyway.
func TestGeoJSONCRSForms(t *testing.T) {
	const feature = `"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[113.5,29.5]}}]`
	named := func(name string) string { return `{"type":"name","properties":{"name":"` + name + `"}}` }
	for _, c := range []struct {
		crs  string
		epsg int
	}{
		{named("urn:ogc:def:crs:OGC:1.3:CRS84"), 4326},
		{named("urn:ogc:def:crs:OGC::CRS84"), 4326},
		{named("OGC:CRS84"), 4326},
		{named("CRS:84"), 4326},
		{named("http://www.opengis.net/def/crs/OGC/1.3/CRS84"), 4326},
		{named("EPSG:4326"), 4326},
		{named("EPSG:4490"), 4490},
		{named("urn:ogc:def:crs:EPSG::4326"), 4326},
		{named("urn:ogc:def:crs:EPSG::4490"), 4490},
		{named("urn:ogc:def:crs:EPSG:6.6:4326"), 4326},
		{named("http://www.opengis.net/def/crs/EPSG/0/4326"), 4326},
		{named("https://www.opengis.net/def/crs/EPSG/0/4490"), 4490},
		{named("http://www.opengis.net/gml/srs/epsg.xml#4326"), 4326},
		{named("EPSG:4547"), 4547},
		{`{"type":"EPSG","properties":{"code":4490}}`, 4490},
		{`"OGC:CRS84"`, 4326},
		{`"EPSG:4326"`, 4326},
		{`null`, 4490}, // no crs: lon/lat, taken as CGCS2000
	} {
		src, info, err := ingest.Open(writeFile(t, "a.geojson", `{"type":"FeatureCollection","crs":`+c.crs+`,`+feature+`}`), "a.geojson", "roads")
		if err != nil {
			t.Fatal(err)
		}
		src.Close()
		srs, how, err := ingest.ResolveSRS("", info)
		if err != nil || srs.EPSG != c.epsg {
			t.Errorf("crs %s: EPSG %d (%s) %v, want %d", c.crs, srs.EPSG, how, err, c.epsg)
		}
	}
	for _, bad := range []string{named("urn:ogc:def:crs:EPSG::99999"), named("LOCAL_CS[nonsense]"), `{"type":"link","properties":{"href":"http://example.com/crs"}}`} {
		src, info, err := ingest.Open(writeFile(t, "a.geojson", `{"type":"FeatureCollection","crs":`+bad+`,`+feature+`}`), "a.geojson", "roads")
		if err != nil {
			t.Fatal(err)
		}
		src.Close()
		_, _, err = ingest.ResolveSRS("", info)
		if err == nil {
			t.Errorf("crs %s: accepted", bad)
			continue
		}
		msg := planning.ErrorMessage(err)
		if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(msg, "--srs wgs84") || !strings.HasPrefix(msg, "a.geojson：") {
			t.Errorf("crs %s: %v", bad, err)
		}
		// The CLI prints err.Error(): the reason once, not once per wrapper.
		if n := strings.Count(err.Error(), "无法识别"); n != 1 {
			t.Errorf("crs %s: the reason appears %d times in %q", bad, n, err.Error())
		}
	}
}

// TestOSMRoads reads an OpenStreetMap extract's roads: columns are
// gapmap's already, each road keeps its element id, the extract's credit
// is kept, and what roads do not take is summed up at the end.
func TestOSMRoads(t *testing.T) {
	r := ingestFile(t, "../osm/testdata/linxiang.osm.pbf", "roads", planning.ImportOptions{})
	if !r.info.Mapped || !strings.Contains(r.info.Attribution, "OpenStreetMap") || r.rep.Format != "OpenStreetMap" || !strings.Contains(r.rep.SRS, "4326") {
		t.Errorf("info %+v SRS %q", r.info, r.rep.SRS)
	}
	if r.rep.Read == 0 || len(r.recs) == 0 || r.rep.Rejected != 0 {
		t.Fatalf("read %d converted %d rejected %d\n%s", r.rep.Read, len(r.recs), r.rep.Rejected, problemsText(r.rep))
	}
	ext, _ := r.value(r.recs[0], "ext_id", 0).(string)
	grade, _ := r.value(r.recs[0], "grade", 0).(string)
	if !strings.HasPrefix(ext, "osm:way/") || grade == "" {
		t.Errorf("first road: ext_id %q grade %q", ext, grade)
	}
	last := r.rep.Problems[len(r.rep.Problems)-1]
	if last.Row != 0 || !strings.Contains(last.Reason, "个 OSM 要素未导入") {
		t.Errorf("no summary of what the extract held besides roads:\n%s", problemsText(r.rep))
	}
}

// TestReadStopsAndBreaks: Read stops at the first error when asked, and
// a file that breaks off is an error of the whole file.
func TestReadStopsAndBreaks(t *testing.T) {
	l := catalog.Default().Layer("roads")
	errStop := errors.New("stop")
	read := func(content string, stop bool) (planning.ImportReport, int, error) {
		path := writeFile(t, "roads.geojsonl", content)
		src, info, err := ingest.Open(path, "roads.geojsonl", "roads")
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		rep := planning.ImportReport{File: "roads.geojsonl", Format: info.Format}
		srs, _, _ := ingest.ResolveSRS("", info)
		cols, err := ingest.MapColumns(l, info, planning.Mapping{}, required["roads"], &rep)
		if err != nil {
			t.Fatal(err)
		}
		conv := ingest.NewConverter(cols, srs, &rep)
		out := make(chan [][]any, 100)
		var progress int64
		rd := ingest.Reading{Out: out, Progress: func(n int64) { progress = n },
			Build: func(r ingest.Record) ([][]any, bool) { return [][]any{{r.Row}}, true }}
		if stop {
			rd.Abandon = errStop
		}
		err = conv.Read(context.Background(), src, rd)
		close(out)
		n := 0
		for b := range out {
			n += len(b)
		}
		if err == nil && progress != rep.Read {
			t.Errorf("progress %d of %d", progress, rep.Read)
		}
		return rep, n, err
	}
	line := func(id, grade string) string {
		return `{"type":"Feature","properties":{"ext_id":"` + id + `","grade":"` + grade + `","width_m":4},"geometry":{"type":"LineString","coordinates":[[113.1,29.1],[113.2,29.2]]}}` + "\n"
	}
	var b strings.Builder
	for i := range 2500 {
		b.WriteString(line(fmt.Sprint("r", i), "村道"))
	}
	good := b.String()
	rep, n, err := read(good, true)
	if err != nil || rep.Read != 2500 || n != 2500 || rep.Format != "GeoJSONSeq" {
		t.Fatalf("clean file: %v, read %d, %d rows, format %q", err, rep.Read, n, rep.Format)
	}
	bad := good + `{"type":"Feature","properties":{"ext_id":"x","grade":"村道","width_m":"宽"},"geometry":{"type":"LineString","coordinates":[[113.1,29.1],[113.2,29.2]]}}` + "\n" + line("y", "村道")
	if _, _, err := read(bad, true); err != errStop {
		t.Errorf("stop on error: %v", err)
	}
	rep, n, err = read(bad, false)
	if err != nil || rep.Read != 2502 || rep.Rejected != 1 || n != 2501 {
		t.Errorf("bad row counted: %v read %d rejected %d rows %d", err, rep.Read, rep.Rejected, n)
	}
	if _, ok := findProblem(rep, 2501, "不是数字"); !ok {
		t.Errorf("bad width on line 2501 not reported:\n%s", problemsText(rep))
	}
	_, _, err = read(good+`{"type":"Feature","properties":{"ext_id":"z"},"geometry":{"type":"LineString","coordinates":[[113.1`, false)
	if planning.ErrorCode(err) != planning.EInvalid || !strings.HasPrefix(planning.ErrorMessage(err), "roads.geojsonl：") ||
		!strings.HasSuffix(planning.ErrorMessage(err), "（已读取 2500 行；文件损坏或不完整，未导入任何数据）") {
		t.Errorf("broken file: %v", err)
	}
}

// TestPure keeps the stage pure: no file of the package imports pgx or
// net/http.
func TestPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/jackc/") || strings.HasPrefix(path, "net/http") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// TestHeightsDropped: survey files carry heights (Z) and measures (M);
// every layer is stored 2D, so the pure stage keeps X and Y exactly and the
// report says, once for the file, what was dropped. A 2D twin says nothing.
// The shapefiles are written by GDAL, an implementation independent of
// data/shp.
func TestHeightsDropped(t *testing.T) {
	const line3D = `{"type":"Feature","properties":{"要素编号":"r1","等级":"村道"},"geometry":{"type":"LineString","coordinates":[[113.5,29.5,35.25],[113.51,29.51,36.5]]}}`
	const line2D = `{"type":"Feature","properties":{"要素编号":"r1","等级":"村道"},"geometry":{"type":"LineString","coordinates":[[113.5,29.5],[113.51,29.51]]}}`
	wkt := "id,grade,WKT\nr1,村道,\"LINESTRING ZM (113.5 29.5 35.25 0, 113.51 29.51 36.5 1.4)\"\n"
	shpDir := t.TempDir()
	csv := filepath.Join(shpDir, "src.csv")
	if err := os.WriteFile(csv, []byte(wkt), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, dims, reason string
	}{
		{"GeoJSON with heights", writeFile(t, "z.geojson", line3D), "XYZ", "文件含高程（Z）坐标，已按二维导入，高程值未保存"},
		{"GeoJSON 2D", writeFile(t, "xy.geojson", line2D), "", ""},
		{"PolyLineZ shapefile", ogrShapefile(t, csv, filepath.Join(shpDir, "z.shp"), "XYZ"), "XYZ", "文件含高程（Z）坐标，已按二维导入，高程值未保存"},
		{"PolyLineZM shapefile", ogrShapefile(t, csv, filepath.Join(shpDir, "zm.shp"), "XYZM"), "XYZM", "文件含高程（Z）和测量值（M）坐标，已按二维导入，Z 值和 M 值未保存"},
		{"PolyLine shapefile", ogrShapefile(t, csv, filepath.Join(shpDir, "xy.shp"), "XY"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ingestFile(t, tc.path, "roads", planning.ImportOptions{})
			if r.rep.Read != 1 || len(r.recs) != 1 {
				t.Fatalf("read %d, converted %d\n%s", r.rep.Read, len(r.recs), problemsText(r.rep))
			}
			got := r.recs[0].Parts[0].(orb.LineString)
			if want := (orb.LineString{{113.5, 29.5}, {113.51, 29.51}}); !got.Equal(want) {
				t.Errorf("XY %v, want %v exactly", got, want)
			}
			var dropped []planning.ImportProblem
			for _, p := range r.rep.Problems {
				if strings.Contains(p.Reason, "已按二维导入") {
					dropped = append(dropped, p)
				}
			}
			if tc.reason == "" {
				if len(dropped) > 0 {
					t.Errorf("a 2D file reported %v", dropped)
				}
				return
			}
			want := planning.ImportProblem{Field: "geom", Value: tc.dims, Severity: planning.SeverityWarning, Reason: tc.reason}
			if len(dropped) != 1 || dropped[0] != want {
				t.Errorf("reported %+v, want once %+v", dropped, want)
			}
		})
	}
}

// ogrShapefile converts a CSV with a WKT column into a shapefile of the
// given dimensions with GDAL; without GDAL it skips, or fails under CI.
func ogrShapefile(t *testing.T, csv, out, dim string) string {
	t.Helper()
	gdaltest.Run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-dim", dim, "-nlt", "LINESTRING", "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO", out, csv)
	return out
}

// TestTitlesMapToTheirFields: a file whose header is gapmap's own export
// header (each field's Chinese title) maps every column back to its own
// field, for every layer of the catalogue — no title is taken by another
// field's alias.
func TestTitlesMapToTheirFields(t *testing.T) {
	for _, l := range catalog.Default().Layers() {
		var header, want []string
		for _, f := range l.Fields {
			header = append(header, f.Title)
			want = append(want, f.Title+" → "+f.Column)
		}
		rep := planning.ImportReport{}
		if _, err := ingest.MapColumns(l, ingest.Info{Name: l.Table + ".csv", Fields: header}, planning.Mapping{}, nil, &rep); err != nil {
			t.Errorf("%s: %v", l.Table, err)
			continue
		}
		if !slices.Equal(rep.Columns, want) || len(rep.Problems) > 0 {
			t.Errorf("%s: columns %v, want %v; problems %v", l.Table, rep.Columns, want, rep.Problems)
		}
	}
}

// TestHostileCoordinates: NaN, ±Inf, 1e308 and a one-point line (which
// failed the whole COPY in PostGIS) are refused row by row,
// with a reason, in degrees, in a Gauss-Krüger zone and in Web Mercator;
// the good row is kept (issue 23:
// one stored 1e308 made every Gauss-Krüger export fail).
func TestHostileCoordinates(t *testing.T) {
	for _, tc := range []struct {
		srs, good string
	}{
		{"", "113.5 29.5, 113.6 29.6"},
		{"EPSG:4547", "450000 3264000, 450100 3264100"},
		{"EPSG:3857", "12629000 3435000, 12629100 3435100"},
	} {
		path := writeFile(t, "roads.csv", "ext_id,grade,WKT\n"+
			"a,村道,\"LINESTRING("+tc.good+")\"\n"+
			"b,村道,\"LINESTRING(1e308 1e308, 450100 3264100)\"\n"+
			"c,村道,\"LINESTRING(450000 -1e308, 113.6 29.6)\"\n"+
			"d,村道,\"LINESTRING(NaN NaN, 113.6 29.6)\"\n"+
			"e,村道,\"LINESTRING(Inf 29.5, 113.6 29.6)\"\n"+
			"f,村道,\"LINESTRING(113.5 -Inf, 113.6 29.6)\"\n"+
			"g,村道,\"LINESTRING("+strings.SplitN(tc.good, ",", 2)[0]+")\"\n")
		r, err := tryIngest(path, "roads", planning.ImportOptions{SRS: tc.srs})
		if err != nil {
			t.Errorf("SRS %q: %v", tc.srs, err)
			continue
		}
		if !slices.Equal(r.rows(), []int{2}) {
			t.Errorf("SRS %q: kept rows %v, want only row 2\n%s", tc.srs, r.rows(), problemsText(r.rep))
		}
		for row := 3; row <= 8; row++ {
			if !slices.ContainsFunc(r.rep.Problems, func(p planning.ImportProblem) bool { return p.Row == row && p.Severity == "error" }) {
				t.Errorf("SRS %q: row %d has no error\n%s", tc.srs, row, problemsText(r.rep))
			}
		}
	}
}
