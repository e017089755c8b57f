package data_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// ogrinfo runs GDAL's ogrinfo on path (read-only) and returns its output.
func ogrinfo(t *testing.T, args ...string) string {
	t.Helper()
	return gdaltest.Run(t, "ogrinfo", append([]string{"-ro"}, args...)...)
}

// exportTo writes an export to a file named name and returns its path.
func exportTo(t *testing.T, db *datatest.DB, name string, opt planning.ExportOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := db.Store.Export(datatest.Context(), &b, opt); err != nil {
		t.Fatalf("export %s: %v", name, err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var featureCount = regexp.MustCompile(`Feature Count: (\d+)`)

// counts returns ogrinfo's feature count per layer, in order.
func counts(info string) []string {
	var out []string
	for _, m := range featureCount.FindAllStringSubmatch(info, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestExportFormatsReadByGDAL exports the demo's roads in every format and
// the county package, and reads each back with GDAL: counts, Chinese text
// in both shapefile encodings, CRS.
func TestExportFormatsReadByGDAL(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var roads int
	var name string
	db.Pool.QueryRow(ctx, `SELECT count(*), max(name) FILTER (WHERE name ~ '[村镇]') FROM roads`).Scan(&roads, &name)
	want := fmt.Sprint(roads)
	for _, c := range []struct{ file, format, encoding, vsi string }{
		{"roads.geojson", "geojson", "", ""},
		{"roads.csv", "csv", "", ""},
		{"roads.kml", "kml", "", ""},
		{"roads.xlsx", "xlsx", "", ""},
		{"roads.gpkg", "gpkg", "", ""},
		{"roads-utf8.shp.zip", "shp.zip", "", "/vsizip/"},
		{"roads-gbk.shp.zip", "shp.zip", "gbk", "/vsizip/"},
	} {
		p := exportTo(t, db, c.file, planning.ExportOptions{Layers: []string{"roads"}, Format: c.format, Encoding: c.encoding})
		summary := ogrinfo(t, "-so", "-al", c.vsi+p)
		// An XLSX has a second sheet, 说明, with the export's metadata.
		if got := counts(summary); len(got) == 0 || got[0] != want || (len(got) > 1 && c.format != "xlsx") {
			t.Errorf("%s: feature counts %v, want [%s]\n%s", c.file, got, want, summary)
		}
		if c.format != "csv" && c.format != "xlsx" && !strings.Contains(summary, "4490") && !strings.Contains(summary, "WGS 84") && !strings.Contains(summary, "WGS_1984") {
			t.Errorf("%s: no CRS in\n%s", c.file, summary)
		}
		if full := ogrinfo(t, "-al", c.vsi+p); !strings.Contains(full, name) {
			t.Errorf("%s: road name %q not read back", c.file, name)
		}
	}

	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	pkg := exportTo(t, db, "county.gpkg", planning.ExportOptions{Layers: []string{"county"}, Format: "gpkg"})
	info := ogrinfo(t, "-so", "-al", pkg)
	for _, layer := range []string{"counties", "townships", "villages", "roads", "transformers", "projects", "village_gaps"} {
		if !strings.Contains(info, "Layer name: "+layer) {
			t.Errorf("county package lacks %s", layer)
		}
	}
	if !strings.Contains(info, "CGCS2000") && !strings.Contains(info, "4490") {
		t.Errorf("county package CRS:\n%s", info[:min(len(info), 2000)])
	}
	gaps := ogrinfo(t, "-al", "-where", "is_poor_village = 1", pkg, "village_gaps")
	if !strings.Contains(gaps, "gap_road") || !strings.Contains(gaps, "R1_value") {
		t.Errorf("village_gaps lacks scores or indicator values")
	}
}

// TestExportFiltersAndCRS: village_gaps filtered by dimension and score,
// a Gauss-Krüger shapefile, and GCJ-02 for web tools.
func TestExportFiltersAndCRS(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	var want int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM run_scores s JOIN villages v ON v.id = s.village_id
		WHERE s.run_id = (SELECT max(id) FROM scoring_runs) AND v.is_poor_village AND s.gap_road >= 50`).Scan(&want)
	poor := true
	min := 50.0
	p := exportTo(t, db, "gaps.csv", planning.ExportOptions{Layers: []string{"village_gaps"}, Format: "csv",
		Filter: planning.ExportFilter{Poor: &poor, Dimension: "通路", MinScore: &min}})
	b, _ := os.ReadFile(p)
	if rows := strings.Count(string(b), "\n") - 1; rows != want || want == 0 {
		t.Errorf("filtered village_gaps: %d rows, want %d", rows, want)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("CSV lacks the UTF-8 BOM Excel needs")
	}

	gk := exportTo(t, db, "roads-gk.shp.zip", planning.ExportOptions{Layers: []string{"roads"}, Format: "shp.zip", SRS: "EPSG:4547"})
	if info := ogrinfo(t, "-so", "-al", "/vsizip/"+gk); !strings.Contains(info, "114") || !regexp.MustCompile(`Extent: \(\d{6}`).MatchString(info) {
		t.Errorf("Gauss-Krüger export:\n%s", info)
	}
	err := db.Store.Export(ctx, &bytes.Buffer{}, planning.ExportOptions{Layers: []string{"roads"}, Format: "geojson", SRS: "EPSG:4547"})
	if planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("projected GeoJSON: %v", err)
	}
	err = db.Store.Export(ctx, &bytes.Buffer{}, planning.ExportOptions{Layers: []string{"roads"}, Format: "csv", Filter: planning.ExportFilter{Status: "已入库"}})
	if planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("a filter the layer lacks: %v", err)
	}
}

// TestExportImportRoundTrip: roads exported as GeoJSON and imported into
// an empty database come back identical.
func TestExportImportRoundTrip(t *testing.T) {
	src := datatest.NewDemo(t)
	dst := datatest.New(t)
	ctx := datatest.Context()
	p := exportTo(t, src, "roads.geojson", planning.ExportOptions{Layers: []string{"roads"}, Format: "geojson"})
	rep, err := dst.Store.Import(ctx, p, planning.ImportOptions{Layer: "roads", Mapping: planning.Mapping{Ignore: []string{"id"}}})
	if err != nil || !rep.Committed {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	digest := func(db *datatest.DB) string {
		var s string
		err := db.Pool.QueryRow(ctx, `SELECT md5(string_agg(concat_ws('|', name, ref, grade, surface, width_m, year,
			ST_AsText(ST_SnapToGrid(geom, 1e-7))), ',' ORDER BY name, ref, ST_AsText(geom))) FROM roads`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if a, b := digest(src), digest(dst); a != b {
		t.Errorf("round trip changed the roads: %s → %s", a, b)
	}
}
