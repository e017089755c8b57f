package data_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// The real 临湘 outline, as DataV publishes it (GCJ-02) and converted to
// WGS-84 (geo/testdata/README.md): 544–678 m apart.
const (
	outlineGCJ = geoData + "linxiang_boundary_gcj02.geojson"
	outlineWGS = geoData + "linxiang_boundary_wgs84.geojson"
)

// loadRealOutline makes 临湘's real WGS-84 outline the county's, so that
// real data lies inside the county it is imported into.
func loadRealOutline(t *testing.T, db *datatest.DB) {
	t.Helper()
	b, err := os.ReadFile(outlineWGS)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO sources (kind, name) VALUES ('manual', 'real outline')`)
	mustExec(t, db, `INSERT INTO counties (code, name, outline, source_id)
		SELECT '430682', '临湘市', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4490)), (SELECT max(id) FROM sources)
		FROM jsonb_array_elements($1::jsonb->'features') f
		ON CONFLICT (code) DO UPDATE SET outline = EXCLUDED.outline`, string(b))
}

// problemsWith returns the problems whose reason contains want.
func problemsWith(r planning.ImportReport, want string) []planning.ImportProblem {
	var out []planning.ImportProblem
	for _, p := range r.Problems {
		if strings.Contains(p.Reason, want) {
			out = append(out, p)
		}
	}
	return out
}

const gcjSuspicion = "疑似高德/DataV GCJ-02 坐标"

// TestImportGCJ02Outline imports 临湘's DataV outline: without an outline
// loaded its DataV fields raise the suspicion; with the WGS-84 outline
// loaded the GCJ-02 one is caught by its offset, with the distances, and
// --strict refuses it; the WGS-84 one fits and is not suspected, nor is
// the GCJ-02 one read with --srs gcj02.
func TestImportGCJ02Outline(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()

	rep, err := db.Store.Import(ctx, outlineWGS, planning.ImportOptions{Layer: "counties"})
	if err != nil || !rep.Committed {
		t.Fatalf("%v %+v", err, rep)
	}
	ps := problemsWith(rep, gcjSuspicion)
	if len(ps) != 1 || ps[0].Severity != planning.SeverityWarning || !strings.Contains(ps[0].Reason, "adcode") || !strings.Contains(ps[0].Hint, "--srs gcj02") {
		t.Fatalf("DataV fields without an outline loaded: want one warning naming them and the fix:\n%s", problemsText(rep))
	}

	// The outline loaded, the GCJ-02 twin is measured against it.
	up := planning.ImportOptions{Layer: "counties", Mode: planning.ImportUpsert}
	rep, err = db.Store.Import(ctx, outlineGCJ, up)
	if err != nil || !rep.Committed {
		t.Fatalf("%v %+v", err, rep)
	}
	ps = problemsWith(rep, gcjSuspicion)
	if len(ps) != 1 || ps[0].Severity != planning.SeverityWarning || ps[0].Row != 0 {
		t.Fatalf("GCJ-02 outline over the WGS-84 one: want one warning:\n%s", problemsText(rep))
	}
	var before, after float64
	if _, err := fmt.Sscanf(ps[0].Reason[strings.Index(ps[0].Reason, "中位距离"):], "中位距离 %f m，按 GCJ-02 换算到 WGS-84 后为 %f m", &before, &after); err != nil {
		t.Fatalf("the warning does not give the measured distances: %q (%v)", ps[0].Reason, err)
	}
	t.Logf("boundary vertices: median %.1f m from the stored outline as they are, %.1f m converted from GCJ-02", before, after)
	if before < 300 || before > 750 || after > 60 {
		t.Errorf("median distance %.0f m as is, %.0f m converted; want 300–750 and under 60", before, after)
	}

	// Put the WGS-84 outline back, saying what it is. Imported again
	// without --srs, its DataV fields no longer raise the suspicion: it
	// fits the stored outline as it is.
	wgs := up
	wgs.SRS = "wgs84"
	if rep, err = db.Store.Import(ctx, outlineWGS, wgs); err != nil || !rep.Committed || len(problemsWith(rep, gcjSuspicion)) != 0 {
		t.Fatalf("--srs wgs84: %v %+v\n%s", err, rep, problemsText(rep))
	}
	if rep, err = db.Store.Import(ctx, outlineWGS, up); err != nil || !rep.Committed {
		t.Fatalf("%v %+v", err, rep)
	}
	if ps := problemsWith(rep, gcjSuspicion); len(ps) != 0 {
		t.Errorf("the WGS-84 outline fits the stored one, yet is suspected:\n%s", problemsText(rep))
	}
	snap := snapshot(t, db)
	strict := up
	strict.Strict = true
	rep, err = db.Store.Import(ctx, outlineGCJ, strict)
	if err != nil || rep.Committed || rep.Errors == 0 {
		t.Fatalf("--strict: %v %+v", err, rep)
	}
	if ps := problemsWith(rep, gcjSuspicion); len(ps) != 1 || ps[0].Severity != planning.SeverityError {
		t.Errorf("--strict: want the suspicion as an error:\n%s", problemsText(rep))
	}
	if got := snapshot(t, db); got != snap {
		t.Errorf("--strict wrote: %s → %s", snap, got)
	}

	// Read as what it is, the GCJ-02 outline lands on the WGS-84 one.
	gcj := up
	gcj.SRS = "gcj02"
	if rep, err = db.Store.Import(ctx, outlineGCJ, gcj); err != nil || !rep.Committed || len(problemsWith(rep, gcjSuspicion)) != 0 {
		t.Errorf("--srs gcj02: %v\n%s", err, problemsText(rep))
	}
}

// TestImportPRJSaysWGS84OverGCJ02 imports a shapefile whose .prj says
// WGS 84 over DataV's GCJ-02 geometry, as ArcGIS exports of web-map data
// come: the offset against the loaded outline gives it away.
func TestImportPRJSaysWGS84OverGCJ02(t *testing.T) {
	db := datatest.New(t)
	loadRealOutline(t, db)
	shp := filepath.Join(t.TempDir(), "临湘县界.shp")
	gdaltest.Run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-a_srs", "EPSG:4326", "-lco", "ENCODING=UTF-8", shp, outlineGCJ)
	rep, err := db.Store.Import(datatest.Context(), shp, planning.ImportOptions{Layer: "counties", Mode: planning.ImportUpsert, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	ps := problemsWith(rep, gcjSuspicion)
	if len(ps) != 1 || !strings.Contains(ps[0].Reason, "中位距离") || !strings.Contains(ps[0].Value, ".prj") {
		t.Errorf("a .prj saying WGS 84 over GCJ-02: want the offset warning naming the .prj:\n%s", problemsText(rep))
	}
}

// TestImportSpatialSanity checks rows against the loaded county: real
// substations inside pass silently; a row 300 km away, rows on one
// identical point, a road running far beyond the county and codes of
// another province are named with their rows; reject writes nothing,
// skip writes with warnings. Without an outline one notice says the
// checks were skipped.
func TestImportSpatialSanity(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()

	// No outline yet: one notice, nothing else.
	stops := writeFile(t, "站点.csv", "站名,经度,纬度\n甲站,113.50,29.50\n乙站,113.52,29.51\n")
	rep, err := db.Store.Import(ctx, stops, planning.ImportOptions{Layer: "bus_stops", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps := problemsWith(rep, "尚未加载县界"); len(ps) != 1 || ps[0].Severity != planning.SeverityNotice || len(rep.Problems) != 1 {
		t.Errorf("without an outline: want one notice:\n%s", problemsText(rep))
	}

	loadRealOutline(t, db)
	rep, err = db.Store.Import(ctx, realData+"osm_power_polygons_linxiang.geojson", planning.ImportOptions{Layer: "substations"})
	if err != nil || !rep.Committed || rep.Inserted != 6 {
		t.Fatalf("real substations inside the county: %v %+v\n%s", err, rep, problemsText(rep))
	}
	for _, p := range rep.Problems {
		if p.Field == "geom" {
			t.Errorf("real substations inside the county: %s", problemsText(rep))
		}
	}

	// 第 4 行 is 300 km east (in 江西/浙江), rows 5–8 share one point.
	csv := "站名,经度,纬度\n甲站,113.50,29.50\n乙站,113.52,29.51\n远站,116.60,29.50\n" +
		"丙站,113.45,29.45\n丁站,113.45,29.45\n戊站,113.45,29.45\n己站,113.45,29.45\n"
	path := writeFile(t, "站点.csv", csv)
	snap := snapshot(t, db)
	var busBefore int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM bus_stops`).Scan(&busBefore)
	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "bus_stops"})
	if err != nil || rep.Committed {
		t.Fatalf("reject mode: %v %+v", err, rep)
	}
	far, ok := findProblem(rep, 4, "位于县界外")
	if !ok || far.Severity != planning.SeverityError {
		t.Fatalf("row 4, 300 km away, not named:\n%s", problemsText(rep))
	}
	var km float64
	if _, err := fmt.Sscanf(far.Reason, "位于县界外 %f km", &km); err != nil || km < 250 || km > 320 {
		t.Errorf("row 4's distance: %q", far.Reason)
	}
	same := problemsWith(rep, "坐标完全相同")
	if len(same) != 1 || same[0].Row != 5 || !strings.Contains(same[0].Reason, "第 5、6、7、8 行") {
		t.Errorf("rows 5–8 on one point: want one problem listing them:\n%s", problemsText(rep))
	}
	if got := snapshot(t, db); got != snap {
		t.Errorf("reject mode wrote: %s → %s", snap, got)
	}
	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "bus_stops", Mode: planning.ImportSkip})
	if err != nil || !rep.Committed || rep.Inserted != 7 {
		t.Fatalf("skip mode: %v %+v\n%s", err, rep, problemsText(rep))
	}
	if p, ok := findProblem(rep, 4, "位于县界外"); !ok || p.Severity != planning.SeverityWarning {
		t.Errorf("skip mode: row 4 not warned about:\n%s", problemsText(rep))
	}
	// --strict: suspicions are errors and nothing is written, in any mode.
	snap = snapshot(t, db)
	rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "bus_stops", Mode: planning.ImportSkip, Strict: true, Source: "again"})
	if err != nil || rep.Committed {
		t.Fatalf("--strict: %v %+v", err, rep)
	}
	if got := snapshot(t, db); got != snap {
		t.Errorf("--strict wrote: %s → %s", snap, got)
	}
	// A wider margin takes the far row in.
	if rep, err = db.Store.Import(ctx, path, planning.ImportOptions{Layer: "bus_stops", DryRun: true, MarginMetres: 400e3, Source: "wide"}); err != nil {
		t.Fatal(err)
	} else if _, ok := findProblem(rep, 4, "位于县界外"); ok {
		t.Errorf("a 400 km margin still reports row 4:\n%s", problemsText(rep))
	}

	// A road from the county 150 km west: no row is outside, the extent is.
	roads := writeFile(t, "道路.csv", "名称,WKT\n长线,\"LINESTRING(113.50 29.50, 112.00 29.50)\"\n短线,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n")
	rep, err = db.Store.Import(ctx, roads, planning.ImportOptions{Layer: "roads", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps := problemsWith(rep, "远大于县域"); len(ps) != 1 || ps[0].Row != 0 || ps[0].Severity != planning.SeverityError {
		t.Errorf("a road running far beyond the county: want one extent error:\n%s", problemsText(rep))
	}

	// Townships of 陇西县 (甘肃, 62): another province by their codes.
	towns := writeFile(t, "乡镇.csv", "乡镇代码,乡镇名称,经度,纬度\n621122100,巩昌镇,113.50,29.50\n")
	rep, err = db.Store.Import(ctx, towns, planning.ImportOptions{Layer: "townships", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findProblem(rep, 2, "属于其他省份"); !ok {
		t.Errorf("a township code of 甘肃: want another province named:\n%s", problemsText(rep))
	}
}
