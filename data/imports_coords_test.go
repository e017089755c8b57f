package data_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// TestImportBadCoordinateEveryFormat: whatever the format (GeoJSON, CSV,
// Shapefile, GeoPackage), a file with one row at 1e308, outside China or
// with swapped axes is refused in reject mode naming that row, and
// nothing is written; the same file with the row corrected goes in.
func TestImportBadCoordinateEveryFormat(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	good := [][2]float64{{113.50, 29.50}, {113.51, 29.51}}
	for _, bad := range []struct {
		name   string
		line   [2][2]float64
		reason string
	}{
		{"1e308", [2][2]float64{{113.52, 29.52}, {1e308, 29.53}}, "可能是投影坐标"},
		{"New York", [2][2]float64{{-74.0, 40.7}, {-74.1, 40.8}}, "不在中国范围内"},
		{"swapped", [2][2]float64{{29.52, 113.52}, {29.53, 113.53}}, "经纬度可能颠倒"},
	} {
		for _, format := range []string{"geojson", "csv", "shp", "gpkg"} {
			t.Run(bad.name+"/"+format, func(t *testing.T) {
				lines := [][2][2]float64{{good[0], good[1]}, bad.line, {good[1], {113.52, 29.52}}}
				path := roadLinesFile(t, format, lines)
				before := snapshot(t, db)
				rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Name: filepath.Base(path)})
				if err != nil {
					t.Fatal(err)
				}
				// GeoJSON, Shapefile and GeoPackage number features from
				// 1; CSV rows as Excel shows them (the header is row 1).
				row := 2
				if format == "csv" {
					row = 3
				}
				if rep.Committed || rep.Inserted != 0 {
					t.Errorf("the import was written: %+v", rep)
				}
				if _, ok := findProblem(rep, row, bad.reason); !ok {
					t.Errorf("row %d not refused with %q:\n%s", row, bad.reason, problemsText(rep))
				}
				for _, p := range rep.Problems {
					if p.Severity == planning.SeverityError && p.Row != row {
						t.Errorf("row %d refused too: %s", p.Row, p.Reason)
					}
				}
				if got := snapshot(t, db); got != before {
					t.Errorf("the refused import changed the database: %s → %s", before, got)
				}
				lines[1] = [2][2]float64{{113.53, 29.53}, {113.54, 29.54}}
				rep, err = db.Store.Import(ctx, roadLinesFile(t, format, lines), planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert,
					Source: "coords-" + bad.name + "-" + format})
				if err != nil || !rep.Committed || rep.Inserted+rep.Updated != 3 {
					t.Errorf("the corrected file: %v %+v\n%s", err, rep, problemsText(rep))
				}
			})
		}
	}
}

// roadLinesFile writes roads (村道, ext_id r1…) in format: GeoJSON and CSV by
// hand, Shapefile and GeoPackage by GDAL from the GeoJSON.
func roadLinesFile(t *testing.T, format string, lines [][2][2]float64) string {
	t.Helper()
	var features, rows []string
	for i, l := range lines {
		features = append(features, fmt.Sprintf(`{"type": "Feature", "properties": {"ext_id": "r%d", "grade": "村道"},
			"geometry": {"type": "LineString", "coordinates": [[%v, %v], [%v, %v]]}}`, i+1, l[0][0], l[0][1], l[1][0], l[1][1]))
		rows = append(rows, fmt.Sprintf("r%d,村道,\"LINESTRING(%v %v, %v %v)\"", i+1, l[0][0], l[0][1], l[1][0], l[1][1]))
	}
	switch format {
	case "csv":
		return writeFile(t, "道路.csv", "ext_id,grade,WKT\n"+strings.Join(rows, "\n")+"\n")
	case "geojson":
		return writeFile(t, "道路.geojson", `{"type": "FeatureCollection", "features": [`+strings.Join(features, ",")+`]}`)
	}
	src := writeFile(t, "roads.geojson", `{"type": "FeatureCollection", "features": [`+strings.Join(features, ",")+`]}`)
	out := filepath.Join(t.TempDir(), "道路."+format)
	driver := map[string]string{"shp": "ESRI Shapefile", "gpkg": "GPKG"}[format]
	args := []string{"-f", driver, out, src, "-nln", "道路"}
	if format == "shp" {
		args = append(args, "-lco", "ENCODING=UTF-8")
	}
	gdaltest.Run(t, "ogr2ogr", args...)
	return out
}
