package data_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/data/province"
	"github.com/gapmap/gapmap/planning"
)

// Real fixtures, copied into the repository (see testdata/import/README.md).
const (
	realData = "testdata/import/"
	geoData  = "../geo/testdata/"
)

// writeFile writes content to name in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot counts every layer's rows, the sources and the change log, so
// that a test can assert that a failed import left the database as it was.
func snapshot(t *testing.T, db *datatest.DB) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(datatest.Context(), `SELECT concat_ws(',',
		(SELECT count(*) FROM sources), (SELECT count(*) FROM counties), (SELECT count(*) FROM townships),
		(SELECT count(*) FROM villages), (SELECT count(*) FROM roads), (SELECT count(*) FROM substations),
		(SELECT count(*) FROM layer_changes), (SELECT coalesce(sum(version), 0) FROM layer_versions),
		(SELECT md5(string_agg(poor_households::text, ',' ORDER BY id)) FROM villages))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func problemsText(r planning.ImportReport) string {
	var b strings.Builder
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "%d %s %s %q %s\n", p.Row, p.Severity, p.Field, p.Value, p.Reason)
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

const roadsCSV = "ID,道路名称,行政等级,路面类型,路面宽度(m),备注,WKT\n" +
	"r1,甲线,村道,水泥混凝土,4.5m,,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n" +
	"r2,乙线,县道,柏油,\"6,5\",,\"LINESTRING(113.51 29.51, 113.52 29.52)\"\n" +
	"r3,丙线,机耕道,砂石,3,,\"LINESTRING(113.52 29.52, 113.53 29.53)\"\n" +
	"r4,丁线,村道,土,宽,,\"LINESTRING(113.53 29.53, 113.54 29.54)\"\n" +
	"r5,戊线,村道,水泥,3.5,,\"LINESTRING(29.53 113.53, 29.54 113.54)\"\n"

// TestImportModes runs one file with three bad rows through every mode:
// reject writes nothing, skip writes the good rows, a repeat in reject mode
// finds the keys taken, upsert updates them, and dry-run writes nothing.
func TestImportModes(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	path := writeFile(t, "道路.csv", roadsCSV)
	before := snapshot(t, db)

	rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Committed || rep.Read != 5 || rep.Rejected != 3 || rep.Inserted != 0 {
		t.Fatalf("reject mode: %+v\n%s", rep, problemsText(rep))
	}
	if got := snapshot(t, db); got != before {
		t.Fatalf("rejected import changed the database: %s → %s", before, got)
	}
	// Row numbers are the rows Excel shows (header = 1).
	if p, ok := findProblem(rep, 4, "道路等级只能是"); !ok || p.Field != "grade" || p.Value != "机耕道" {
		t.Errorf("unknown grade not reported with allowed values on row 4:\n%s", problemsText(rep))
	}
	if p, ok := findProblem(rep, 5, "不是数字"); !ok || p.Field != "width_m" {
		t.Errorf("bad width not reported on row 5:\n%s", problemsText(rep))
	}
	if _, ok := findProblem(rep, 6, "经纬度可能颠倒"); !ok {
		t.Errorf("swapped lat/lon not reported on row 6:\n%s", problemsText(rep))
	}
	if _, ok := findProblem(rep, 0, "没有对应字段"); !ok {
		t.Errorf("unused column 备注 not reported:\n%s", problemsText(rep))
	}

	dry, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportSkip, DryRun: true})
	if err != nil || dry.Committed || dry.Inserted != 2 {
		t.Fatalf("dry run: %v %+v", err, dry)
	}
	if got := snapshot(t, db); got != before {
		t.Fatalf("dry run changed the database")
	}

	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportSkip})
	if err != nil || !rep.Committed || rep.Inserted != 2 || rep.Rejected != 3 {
		t.Fatalf("skip mode: %v %+v", err, rep)
	}
	var surface string
	var width float64
	if err := db.Pool.QueryRow(ctx, `SELECT surface, width_m FROM roads WHERE ext_id = 'r2'`).Scan(&surface, &width); err != nil {
		t.Fatal(err)
	}
	if surface != "沥青" || width != 6.5 {
		t.Errorf("r2: surface %q width %v, want 沥青 6.5 (柏油, \"6,5\")", surface, width)
	}

	// The same file again: the two keys exist.
	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportSkip})
	if err != nil || rep.Inserted != 0 || rep.Skipped != 2 {
		t.Fatalf("skip existing: %v %+v", err, rep)
	}
	// A new version of the same dataset (the same file name: source 道路).
	good := writeFile(t, "道路.csv", strings.ReplaceAll(strings.Join(strings.Split(roadsCSV, "\n")[:3], "\n"), "水泥混凝土", "沥青"))
	rep, err = db.Store.Import(ctx, good, planning.ImportOptions{Layer: "roads"})
	if err != nil || rep.Committed {
		t.Fatalf("reject existing keys: %v %+v", err, rep)
	}
	if _, ok := findProblem(rep, 2, "已存在"); !ok {
		t.Errorf("existing key not reported:\n%s", problemsText(rep))
	}
	// r1's surface changes (水泥混凝土 → 沥青); r2's row is as stored, and
	// an upsert leaves it so (no update, no change logged).
	rep, err = db.Store.Import(ctx, good, planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert})
	if err != nil || !rep.Committed || rep.Updated != 1 || rep.Unchanged != 1 || rep.Inserted != 0 {
		t.Fatalf("upsert: %v %+v", err, rep)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT surface FROM roads WHERE ext_id = 'r1'`).Scan(&surface); err != nil || surface != "沥青" {
		t.Fatalf("upsert did not update r1: %v %q", err, surface)
	}
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM roads WHERE ext_id IN ('r1', 'r2')`).Scan(&n)
	if n != 2 {
		t.Errorf("upsert duplicated rows: %d", n)
	}
}

// TestImportMappingFile maps a bureau's own column names and values.
func TestImportMappingFile(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	path := writeFile(t, "lines.csv", "线路,电压,WKT\n"+
		"甲村10kV线,10kV线路,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n"+
		"乙村低压线,低压,\"LINESTRING(113.51 29.51, 113.52 29.50)\"\n")
	mapping, err := planning.ParseMapping([]byte(`{"columns": {"线路": "name", "电压": "voltage_kv"},
		"values": {"voltage_kv": {"10kV线路": "10"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	// "低压" is neither an allowed value nor mapped: the error lists the allowed ones.
	rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "power_lines", Mapping: mapping})
	if err != nil || rep.Committed {
		t.Fatalf("%v %+v", err, rep)
	}
	if p, ok := findProblem(rep, 3, "0.22、0.4、10"); !ok || p.Value != "低压" {
		t.Errorf("unknown voltage not reported with the allowed values:\n%s", problemsText(rep))
	}
	mapping.Values["voltage_kv"]["低压"] = "0.4"
	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "power_lines", Mapping: mapping})
	if err != nil || !rep.Committed || rep.Inserted != 2 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	var kv []float64
	rows, _ := db.Pool.Query(ctx, `SELECT voltage_kv FROM power_lines WHERE source_id = $1 ORDER BY name`, rep.SourceID)
	for rows.Next() {
		var v float64
		rows.Scan(&v)
		kv = append(kv, v)
	}
	if fmt.Sprint(kv) != "[0.4 10]" {
		t.Errorf("voltages %v, want [0.4 10]", kv)
	}
	_, err = planning.ParseMapping([]byte(`{"colums": {}}`))
	if err == nil {
		t.Error("a misspelt mapping key was accepted")
	}
	bad, _ := planning.ParseMapping([]byte(`{"columns": {"线路": "line_name"}}`))
	_, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "power_lines", Mapping: bad})
	if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "voltage_kv") {
		t.Errorf("mapping to an unknown field: %v", err)
	}
}

// TestImportMissingRequiredColumn names the field, the file's columns and
// the accepted names before reading any row.
func TestImportMissingRequiredColumn(t *testing.T) {
	db := datatest.New(t)
	path := writeFile(t, "lines.csv", "名称,经度,纬度\n某站,113.5,29.5\n")
	_, err := db.Store.Import(datatest.Context(), path, planning.ImportOptions{Layer: "substations"})
	msg := planning.ErrorMessage(err)
	if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(msg, "voltage_kv") || !strings.Contains(msg, "电压等级") {
		t.Fatalf("got %v", err)
	}
}

// TestImportGCJ02Boundary loads the real 临湘 outline as AMap publishes it
// (GCJ-02) and checks it lands on the WGS-84 twin within 0.5 m.
func TestImportGCJ02Boundary(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	rep, err := db.Store.Import(ctx, geoData+"linxiang_boundary_gcj02.geojson", planning.ImportOptions{Layer: "counties", SRS: "gcj02"})
	if err != nil || !rep.Committed || rep.Inserted != 1 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	want, err := os.ReadFile(geoData + "linxiang_boundary_wgs84.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var maxM float64
	err = db.Pool.QueryRow(ctx, `
		WITH w AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(($1::jsonb)->'features'->0->>'geometry'), 4490) AS g)
		SELECT max(ST_Distance(a.geom::geography, b.geom::geography))
		FROM (SELECT (ST_DumpPoints(outline)).geom, (ST_DumpPoints(outline)).path FROM counties WHERE code = '430682') a
		JOIN (SELECT (ST_DumpPoints(g)).geom, (ST_DumpPoints(g)).path FROM w) b USING (path)`, string(want)).Scan(&maxM)
	if err != nil {
		t.Fatal(err)
	}
	if maxM > 0.5 {
		t.Errorf("largest vertex offset from the WGS-84 twin %.3f m, want < 0.5 m", maxM)
	}
	t.Logf("GCJ-02 → WGS-84: largest vertex offset %.3f m", maxM)
}

// TestImportRepairsHuaihua loads the real Hunan prefectures, whose 怀化
// outline self-intersects: it is repaired, reported, and stored valid.
func TestImportRepairsHuaihua(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	rep, err := db.Store.Import(ctx, realData+"hunan_prefectures_wgs84.geojson", planning.ImportOptions{Layer: "counties"})
	if err != nil || !rep.Committed || rep.Inserted != 14 || rep.Repaired != 1 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	p, ok := findProblem(rep, 12, "已自动修复")
	if !ok || p.Severity != planning.SeverityRepaired || !strings.Contains(p.Value, "Self-intersection") {
		t.Errorf("怀化 (feature 12) repair not reported:\n%s", problemsText(rep))
	}
	var valid bool
	db.Pool.QueryRow(ctx, `SELECT ST_IsValid(outline) FROM counties WHERE code = '431200'`).Scan(&valid)
	if !valid {
		t.Error("怀化 stored invalid")
	}
}

// TestImportHunanVillageCodes feeds the real 29,534 Hunan village codes,
// which have no coordinates: the file is refused with one message pointing
// to county init, the dirty names are flagged by row, and nothing is
// written.
func TestImportHunanVillageCodes(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	before := snapshot(t, db)
	codes, err := province.CodeList("")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.Store.Import(ctx, writeFile(t, "hunan_villages_2023.csv", string(codes)), planning.ImportOptions{Layer: "villages"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Committed || rep.Read != 29534 || rep.Rejected != 29534 {
		t.Fatalf("%+v", rep)
	}
	// 罗巷新村村民委委会 is on line 1463 of the file: Excel row 1463. It is
	// read as the 村民委员会 it miswrites, and flagged.
	if p, ok := findProblem(rep, 1463, "疑有错字"); !ok || p.Value != "罗巷新村村民委委会" || !strings.Contains(p.Reason, "导入为“罗巷新村”") {
		t.Errorf("dirty name on row 1463 not flagged: %+v", p)
	}
	// The missing coordinates are one error for the file, which says how
	// a code list is loaded, not 29,534 of them.
	if p, ok := findProblem(rep, 0, "全部 29534 行都缺少几何"); !ok || !strings.Contains(p.Hint, "county init") || rep.Errors != 1 {
		t.Errorf("missing coordinates not reported once with the way to load codes: %+v, %d errors", p, rep.Errors)
	}
	if got := snapshot(t, db); got != before {
		t.Fatal("rejected import changed the database")
	}
	var b strings.Builder
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) < 1000 || recs[0][0] != "行号" {
		t.Fatalf("report CSV: %v, %d rows", err, len(recs))
	}
}

// TestImportVillagesUpdatesScores upserts the real 临湘 village list, with
// coordinates and new 建档立卡 counts, into the demo: the villages' rows
// change, their tiles' version moves and they are stale for re-scoring.
func TestImportVillagesUpdatesScores(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	rows, err := db.Pool.Query(ctx, `SELECT code, name, ST_X(office), ST_Y(office), poor_households FROM villages WHERE kind IN ('行政村', '社区') ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("村代码,村名称,经度,纬度,贫困户数\n")
	var n int
	for rows.Next() {
		var code, name string
		var x, y float64
		var poor int
		rows.Scan(&code, &name, &x, &y, &poor)
		fmt.Fprintf(&b, "%s,%s,%.7f,%.7f,%d户\n", code, name, x, y, poor+1)
		n++
	}
	if n != 161 {
		t.Fatalf("demo has %d 行政村/社区, want the real 161", n)
	}
	var version int64
	db.Pool.QueryRow(ctx, `SELECT version FROM layer_versions WHERE layer = 'villages'`).Scan(&version)
	var watermark int64
	db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM layer_changes`).Scan(&watermark)

	rep, err := db.Store.Import(ctx, writeFile(t, "villages.csv", b.String()), planning.ImportOptions{Layer: "villages", Mode: planning.ImportUpsert})
	if err != nil || !rep.Committed || rep.Updated != 161 || rep.Inserted != 0 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	if rep.DataVersion <= version {
		t.Errorf("villages tile version %d → %d, want it to move", version, rep.DataVersion)
	}
	var changed int
	db.Pool.QueryRow(ctx, `SELECT count(DISTINCT village_id) FROM layer_changes WHERE layer = 'villages' AND id > $1`, watermark).Scan(&changed)
	if changed != 161 {
		t.Errorf("%d villages recorded as changed for re-scoring, want 161", changed)
	}
	var kept int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM villages WHERE kind IN ('行政村', '社区') AND households IS NOT NULL AND source_id = $1`, rep.SourceID).Scan(&kept)
	if kept != 161 {
		t.Errorf("upsert cleared columns the file does not have: %d of 161 keep households", kept)
	}
}

// TestImportBrokenFiles: a file that breaks off is refused whole, with its
// place named, and the database is untouched.
func TestImportBrokenFiles(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	before := snapshot(t, db)
	full := `{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","properties":{"名称":"甲站","电压等级":"110kV"},"geometry":{"type":"Point","coordinates":[113.5,29.5]}},` +
		`{"type":"Feature","properties":{"名称":"乙站","电压等级":"35kV"},"geometry":{"type":"Point","coordinates":[113.6,29.6]}}]}`
	for name, content := range map[string]string{
		"truncated.geojson": full[:len(full)-40],
		"garbage.geojson":   `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[113.5]}}]}`,
		"binary.csv":        "\x00\x01\x02PK",
	} {
		rep, err := db.Store.Import(ctx, writeFile(t, name, content), planning.ImportOptions{Layer: "substations", Mode: planning.ImportSkip})
		if err == nil && rep.Committed {
			t.Errorf("%s: committed %+v", name, rep)
		}
		if err != nil && !strings.Contains(planning.ErrorMessage(err), name) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
		t.Logf("%s: %v %s", name, err, problemsText(rep))
	}
	if got := snapshot(t, db); got != before {
		t.Fatal("broken files changed the database")
	}
	rep, err := db.Store.Import(ctx, writeFile(t, "ok.geojson", full), planning.ImportOptions{Layer: "substations"})
	if err != nil || rep.Inserted != 2 {
		t.Fatalf("the whole file: %v %+v\n%s", err, rep, problemsText(rep))
	}
}

// TestImportShapefileGaussKruger loads a GBK shapefile in CGCS2000 3° zone
// 38 (114°E, EPSG:4547) written by GDAL, with and without its .cpg, then
// with a .prj that lies.
func TestImportShapefileGaussKruger(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	dir := t.TempDir()
	src := writeFile(t, "in.geojson", `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"路名":"柘庄村通村路","等级":"村道","路面":"砂石","宽度":3.5},"geometry":{"type":"LineString","coordinates":[[113.50,29.50],[113.51,29.51],[113.52,29.51]]}},
		{"type":"Feature","properties":{"路名":"X021","等级":"县道","路面":"沥青砼","宽度":6.5},"geometry":{"type":"MultiLineString","coordinates":[[[113.52,29.51],[113.53,29.52]],[[113.54,29.52],[113.55,29.53]]]}}]}`)
	shpPath := filepath.Join(dir, "道路.shp")
	gdaltest.Run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", "-s_srs", "EPSG:4490", "-t_srs", "EPSG:4547", shpPath, src)
	rep, err := db.Store.Import(ctx, shpPath, planning.ImportOptions{Layer: "roads"})
	if err != nil || !rep.Committed || rep.Inserted != 3 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	if !strings.Contains(rep.SRS, "4547") || !strings.Contains(rep.Encoding, "GB") {
		t.Errorf("SRS %q encoding %q", rep.SRS, rep.Encoding)
	}
	var d float64
	db.Pool.QueryRow(ctx, `SELECT ST_Distance(ST_StartPoint(geom)::geography, ST_SetSRID(ST_Point(113.50, 29.50), 4490)::geography) FROM roads WHERE name = '柘庄村通村路'`).Scan(&d)
	if math.IsNaN(d) || d > 0.01 {
		t.Errorf("round trip through EPSG:4547 is %.4f m off", d)
	}

	os.Remove(filepath.Join(dir, "道路.cpg"))
	rep, err = db.Store.Import(ctx, shpPath, planning.ImportOptions{Layer: "roads", DryRun: true})
	if err != nil || rep.Inserted != 3 {
		t.Fatalf("without .cpg: %v %+v", err, rep)
	}

	// A .prj for lon/lat on metres: every row is named as projected.
	os.WriteFile(filepath.Join(dir, "道路.prj"), []byte(`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`), 0o644)
	before := snapshot(t, db)
	rep, err = db.Store.Import(ctx, shpPath, planning.ImportOptions{Layer: "roads"})
	if err != nil || rep.Committed || rep.Rejected != 2 {
		t.Fatalf("wrong .prj: %v %+v", err, rep)
	}
	if _, ok := findProblem(rep, 1, "投影坐标"); !ok {
		t.Errorf("wrong .prj not explained:\n%s", problemsText(rep))
	}
	if snapshot(t, db) != before {
		t.Fatal("wrong .prj changed the database")
	}
	// --srs overrides the lying .prj.
	rep, err = db.Store.Import(ctx, shpPath, planning.ImportOptions{Layer: "roads", SRS: "EPSG:4547", DryRun: true})
	if err != nil || rep.Inserted != 3 {
		t.Fatalf("--srs over a wrong .prj: %v %+v\n%s", err, rep, problemsText(rep))
	}
}

// TestImportGeoPackageAndOSM loads the real OSM substations of 临湘 from a
// GeoPackage GDAL wrote (polygons, voltages like "220000;110000", no
// names), and an OpenStreetMap extract's roads, which keep OSM's credit.
// The unnamed substations are kept under a generated name, with a warning
// each (they were refused for their required name before issue 17: a
// substation is there whatever it is called).
func TestImportGeoPackageAndOSM(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	loadRealOutline(t, db) // real substations lie in the real county, not the fixture's square
	ctx := datatest.Context()
	gp := filepath.Join(t.TempDir(), "变电站.gpkg")
	gdaltest.Run(t, "ogr2ogr", "-f", "GPKG", gp, realData+"osm_power_polygons_linxiang.geojson", "-nln", "变电站")
	// A mapping default still names them as the user says.
	dry, err := db.Store.Import(ctx, gp, planning.ImportOptions{Layer: "substations", DryRun: true, Mapping: planning.Mapping{Defaults: map[string]string{"name": "未命名变电站"}}})
	if err != nil || dry.Inserted != 6 || dry.Warnings != 2 {
		t.Fatalf("unnamed substations with a default name: %v %+v\n%s", err, dry, problemsText(dry))
	}
	rep, err := db.Store.Import(ctx, gp, planning.ImportOptions{Layer: "substations"})
	if err != nil || !rep.Committed || rep.Inserted != 6 || !strings.Contains(rep.SRS, "4326") {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	if p, ok := findProblem(rep, 1, "没有名称"); !ok || p.Severity != planning.SeverityWarning || !strings.Contains(p.Reason, "未命名变电站（第 1 行）") {
		t.Errorf("the generated name is not reported on row 1:\n%s", problemsText(rep))
	}
	if _, ok := findProblem(rep, 0, "6 个要素没有名称"); !ok {
		t.Errorf("the count of generated names is not reported:\n%s", problemsText(rep))
	}
	var names []string
	db.Pool.QueryRow(ctx, `SELECT array_agg(name ORDER BY name) FROM substations WHERE source_id = $1`, rep.SourceID).Scan(&names)
	if len(names) != 6 || names[0] != "未命名变电站（第 1 行）" || names[5] != "未命名变电站（第 6 行）" {
		t.Errorf("stored names %v", names)
	}
	var kv []float64
	rows, _ := db.Pool.Query(ctx, `SELECT voltage_kv FROM substations WHERE source_id = $1 AND GeometryType(geom) = 'POINT' ORDER BY voltage_kv`, rep.SourceID)
	for rows.Next() {
		var v float64
		rows.Scan(&v)
		kv = append(kv, v)
	}
	if fmt.Sprint(kv) != "[110 110 110 110 110 220]" {
		t.Errorf("voltages %v, want five 110 and one 220 (\"220000;110000\")", kv)
	}

	rep, err = db.Store.Import(ctx, "osm/testdata/linxiang.osm.pbf", planning.ImportOptions{Layer: "roads"})
	if err != nil || !rep.Committed || rep.Inserted == 0 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	var ext, grade string
	if err := db.Pool.QueryRow(ctx, `SELECT ext_id, grade FROM roads WHERE source_id = $1 ORDER BY id LIMIT 1`, rep.SourceID).Scan(&ext, &grade); err != nil || !strings.HasPrefix(ext, "osm:way/") {
		t.Errorf("OSM road ext_id %q grade %q: %v", ext, grade, err)
	}
	credit, err := db.Store.Attribution(ctx)
	if err != nil || !strings.Contains(credit, "OpenStreetMap") {
		t.Errorf("attribution %q, %v", credit, err)
	}
	again, err := db.Store.Import(ctx, "osm/testdata/linxiang.osm.pbf", planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert})
	if err != nil || again.Unchanged != rep.Inserted || again.Updated != 0 || again.Inserted != 0 {
		t.Errorf("re-import of the same extract: %v %+v", err, again)
	}
	t.Logf("OSM roads: %s", rep.Message)
}

// TestBulkImportMarksVillagesStale imports 6,000 roads into the scored
// demo: the change log holds per-cell boxes instead of 6,000 rows, and the
// villages found stale include every one per-row changes would give, and
// not all of the county.
func TestBulkImportMarksVillagesStale(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	run, _, err := planning.Score(ctx, db.Store, p, time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 6000 {
		x, y := 113.35+rng.Float64()*0.06, 29.45+rng.Float64()*0.06
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"ext_id":"bulk%d","grade":"通组路","surface":"水泥"},"geometry":{"type":"LineString","coordinates":[[%f,%f],[%f,%f]]}}`+"\n",
			i, x, y, x+0.001, y+0.0005)
	}
	rep, err := db.Store.Import(ctx, writeFile(t, "roads.geojsonl", b.String()), planning.ImportOptions{Layer: "roads"})
	if err != nil || rep.Inserted != 6000 {
		t.Fatalf("%v %+v", err, rep)
	}
	var logged int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM layer_changes WHERE id > $1`, run.ChangeWatermark).Scan(&logged)
	if logged == 0 || logged >= 6000 {
		t.Fatalf("%d change rows for a 6,000-road import, want a few per cell", logged)
	}
	watermark, _ := db.Store.ChangeWatermark(ctx)
	bulk, err := db.Store.StaleVillages(ctx, run, p, watermark)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, fmt.Sprintf(`DELETE FROM layer_changes WHERE id > %d`, run.ChangeWatermark))
	mustExec(t, db, fmt.Sprintf(`INSERT INTO layer_changes (layer, row_id, geom) SELECT 'roads', id, geom FROM roads WHERE source_id = %d`, rep.SourceID))
	watermark, _ = db.Store.ChangeWatermark(ctx)
	perRow, err := db.Store.StaleVillages(ctx, run, p, watermark)
	if err != nil {
		t.Fatal(err)
	}
	missed := slices.DeleteFunc(slices.Clone(perRow), func(id int64) bool { return slices.Contains(bulk, id) })
	if len(perRow) == 0 || len(missed) > 0 || len(bulk) == 161 {
		t.Errorf("stale villages: bulk %d, per row %d, per-row villages the boxes miss %v; want a superset short of the county", len(bulk), len(perRow), missed)
	}
	t.Logf("%d change rows; %d villages stale (%d per row)", logged, len(bulk), len(perRow))
}

// tableShape lists a table's indexes, constraints (its own and those
// pointing at it) and trigger states, which
// a bulk load drops or switches off inside its transaction.
func tableShape(t *testing.T, db *datatest.DB, table string) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(datatest.Context(), `SELECT concat_ws(E'\n',
		(SELECT string_agg(pg_get_indexdef(indexrelid), E'\n' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = $1::regclass),
		(SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated, E'\n' ORDER BY conname) FROM pg_constraint WHERE conrelid = $1::regclass OR confrelid = $1::regclass),
		(SELECT string_agg(tgname || ' ' || tgenabled::text, E'\n' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal))`, table).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestImportDirectBulkLoad loads 20,000 roads into an empty layer the
// direct way: COPY into the table with its secondary indexes and foreign
// keys rebuilt after and changes logged per cell. The table comes out with
// the same indexes, constraints and triggers, and every road inside a
// logged box. A file with a bad grade and a zero-length line, and a
// re-import of keys that exist, give way to the staging table, which
// reports each row, and leave the database as it was.
func TestImportDirectBulkLoad(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	shape := tableShape(t, db, "roads")
	dir := t.TempDir()
	clean := filepath.Join(dir, "roads.geojsonl")
	writeRoadsSeq(t, clean, 20000)

	rep, err := db.Store.Import(ctx, clean, planning.ImportOptions{Layer: "roads"})
	if err != nil || !rep.Committed || rep.Inserted != 20000 {
		t.Fatalf("%v %+v", err, rep.Message)
	}
	if _, staged := rep.Phases["read"]; staged || rep.Phases["index"] == 0 {
		t.Errorf("phases %v: want a direct bulk load (direct, index), not staging (read)", rep.Phases)
	}
	if got := tableShape(t, db, "roads"); got != shape {
		t.Errorf("roads after a bulk load:\n%s\nwant\n%s", got, shape)
	}
	var boxes, outside int
	db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM layer_changes WHERE layer = 'roads'),
		(SELECT count(*) FROM roads r WHERE NOT EXISTS (SELECT FROM layer_changes c WHERE c.layer = 'roads' AND c.geom ~ r.geom))`).Scan(&boxes, &outside)
	if boxes == 0 || boxes >= 20000 || outside > 0 {
		t.Errorf("%d change boxes for 20,000 roads, %d roads outside every box", boxes, outside)
	}

	before := snapshot(t, db)
	again, err := db.Store.Import(ctx, clean, planning.ImportOptions{Layer: "roads"})
	if err != nil || again.Committed || again.Rejected != 20000 {
		t.Fatalf("re-import: %v %+v", err, again.Message)
	}
	if p, ok := findProblem(again, 1, "数据库中已存在"); !ok || p.Value != "b0" {
		t.Errorf("re-import: first problem %+v, want b0 already in the database", p)
	}

	// The same file with two bad rows, into the empty layer.
	mustExec(t, db, `TRUNCATE roads CASCADE`)
	raw, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	lines[11999] = `{"type":"Feature","properties":{"ext_id":"z","grade":"村道"},"geometry":{"type":"LineString","coordinates":[[113.1,29.1],[113.1,29.1]]}}`
	lines[14999] = strings.Replace(lines[14999], `"grade":"`, `"grade":"高铁`, 1)
	bad := filepath.Join(dir, "bad.geojsonl")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, db)
	rep, err = db.Store.Import(ctx, bad, planning.ImportOptions{Layer: "roads"})
	if err != nil || rep.Committed || rep.Rejected != 2 || rep.Read != 20000 {
		t.Fatalf("bad file: %v %+v", err, rep.Message)
	}
	if _, ok := findProblem(rep, 12000, "几何无效"); !ok {
		t.Errorf("no geometry problem on line 12000:\n%s", problemsText(rep))
	}
	if _, ok := findProblem(rep, 15000, "道路等级只能是"); !ok {
		t.Errorf("no grade problem on line 15000:\n%s", problemsText(rep))
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("database changed by a rejected import: %s → %s", before, after)
	}
	if got := tableShape(t, db, "roads"); got != shape {
		t.Errorf("roads after a rejected bulk load:\n%s\nwant\n%s", got, shape)
	}

	// In skip mode the good rows go in through the staging table, as a
	// bulk load whose change boxes come from SQL.
	rep, err = db.Store.Import(ctx, bad, planning.ImportOptions{Layer: "roads", Mode: planning.ImportSkip})
	if err != nil || !rep.Committed || rep.Inserted != 19998 || rep.Rejected != 2 {
		t.Fatalf("skip mode: %v %+v", err, rep.Message)
	}
	if _, staged := rep.Phases["write"]; !staged {
		t.Errorf("phases %v: want the staging path", rep.Phases)
	}
	if got := tableShape(t, db, "roads"); got != shape {
		t.Errorf("roads after a staged bulk load:\n%s\nwant\n%s", got, shape)
	}
	db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM layer_changes WHERE layer = 'roads' AND row_id = 0),
		(SELECT count(*) FROM roads r WHERE NOT EXISTS (SELECT FROM layer_changes c WHERE c.layer = 'roads' AND c.geom ~ r.geom))`).Scan(&boxes, &outside)
	if boxes == 0 || outside > 0 {
		t.Errorf("staged bulk load: %d change boxes, %d roads outside every box", boxes, outside)
	}
}

// TestConcurrentBulkImports runs first loads of two layers at once. Each
// drops and rebuilds its table's foreign key to sources, which locks
// sources against inserts; each writes its own sources row only after
// that, so neither waits for the other in the opposite order (a deadlock
// PostgreSQL would break by failing one of them).
func TestConcurrentBulkImports(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	dir := t.TempDir()
	roads := filepath.Join(dir, "roads.geojsonl")
	writeRoadsSeq(t, roads, 20000)
	var b strings.Builder
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 8000 {
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"ext_id":"s%d","name":"站%d","routes":"K%d"},"geometry":{"type":"Point","coordinates":[%f,%f]}}`+"\n",
			i, i, i%30, 109+rng.Float64()*5, 25+rng.Float64()*4)
	}
	stops := filepath.Join(dir, "stops.geojsonl")
	if err := os.WriteFile(stops, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]string{"roads": tableShape(t, db, "roads"), "bus_stops": tableShape(t, db, "bus_stops")}
	for round := range 3 {
		mustExec(t, db, `TRUNCATE roads, bus_stops CASCADE`)
		errs := make(chan error, 2)
		for layer, file := range map[string]string{"roads": roads, "bus_stops": stops} {
			go func() {
				rep, err := db.Store.Import(ctx, file, planning.ImportOptions{Layer: layer})
				if err == nil && (!rep.Committed || rep.Phases["index"] == 0) {
					err = fmt.Errorf("%s: %s, phases %v", layer, rep.Message, rep.Phases)
				}
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	for table, shape := range shapes {
		if got := tableShape(t, db, table); got != shape {
			t.Errorf("%s after concurrent bulk loads:\n%s\nwant\n%s", table, got, shape)
		}
	}
	var sources int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM sources WHERE kind = 'import'`).Scan(&sources)
	if sources != 6 {
		t.Errorf("%d import sources after 6 imports", sources)
	}
}

// TestImportResolvesVillageCodes: a transformer's 所在村代码 and a 自然村's
// 所属行政村代码 find their village (the code's newest year); a code that
// names no village is an error of its row, naming the field and the code.
func TestImportResolvesVillageCodes(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var id int64
	var code string
	if err := db.Pool.QueryRow(ctx, `SELECT id, code FROM villages WHERE kind = '行政村' ORDER BY code LIMIT 1`).Scan(&id, &code); err != nil {
		t.Fatal(err)
	}
	const missing = "430682999999"
	cases := []struct {
		layer, file, field, reason string
		check                      string // SQL: the resolved id of the good row
	}{
		{"transformers", "ID,名称,容量,所在村代码,WKT\n" +
			"t1,甲台区,200," + code + ",\"POINT(113.5 29.5)\"\n" +
			"t2,乙台区,100," + missing + ",\"POINT(113.51 29.51)\"\n",
			"village_code", "所在村代码 " + missing + " 不存在",
			`SELECT village_id FROM transformers WHERE ext_id = 't1'`},
		{"villages", "名称,类型,所属行政村代码,WKT\n" +
			"甲组,村民组," + code + ",\"POINT(113.5 29.5)\"\n" +
			"乙组,村民组," + missing + ",\"POINT(113.51 29.51)\"\n",
			"parent_code", "所属行政村代码 " + missing + " 不存在",
			`SELECT parent_id FROM villages WHERE name = '甲组' AND kind = '村民组'`},
	}
	for _, tc := range cases {
		t.Run(tc.layer, func(t *testing.T) {
			rep, err := db.Store.Import(ctx, writeFile(t, tc.layer+".csv", tc.file), planning.ImportOptions{Layer: tc.layer, Mode: planning.ImportSkip})
			if err != nil {
				t.Fatal(err)
			}
			p, ok := findProblem(rep, 3, tc.reason)
			if !ok || p.Severity != planning.SeverityError || p.Field != tc.field || p.Value != missing {
				t.Errorf("row 3 not refused for its code:\n%s", problemsText(rep))
			}
			if rep.Inserted != 1 || rep.Rejected != 1 {
				t.Errorf("inserted %d, rejected %d; want 1 and 1\n%s", rep.Inserted, rep.Rejected, problemsText(rep))
			}
			var got int64
			if err := db.Pool.QueryRow(ctx, tc.check).Scan(&got); err != nil || got != id {
				t.Errorf("the good row resolved to village %d (%v), want %d", got, err, id)
			}
		})
	}
}

// TestImportAnalyses: a bulk import leaves its layer's planner statistics
// current, so the next scoring run plans for the rows it has; a small
// import leaves that to autovacuum.
func TestImportAnalyses(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	analysed := func() (n int64) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(analyze_count, 0) FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'roads'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small.geojsonl"), filepath.Join(dir, "big.geojsonl")
	writeRoadsSeq(t, small, 10)
	writeRoadsSeq(t, big, 2000)
	if rep, err := db.Store.Import(ctx, small, planning.ImportOptions{Layer: "roads"}); err != nil || !rep.Committed {
		t.Fatalf("%v %+v", err, rep.Message)
	}
	if n := analysed(); n != 0 {
		t.Errorf("10 roads: analysed %d times, want 0 (autovacuum's)", n)
	}
	mustExec(t, db, `TRUNCATE roads CASCADE`)
	if rep, err := db.Store.Import(ctx, big, planning.ImportOptions{Layer: "roads"}); err != nil || !rep.Committed {
		t.Fatalf("%v %+v", err, rep.Message)
	}
	first := analysed()
	if first == 0 {
		t.Error("2,000 roads loaded: the layer was not analysed")
	}
}
