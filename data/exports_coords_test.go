package data_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestExportSurvivesStoredBadCoordinates: a row stored before every write
// checked its coordinates (here a road through 1e308, written past the
// store) must not make the county's exports fail for everyone, in any
// format or CRS (issue 23: every Gauss-Krüger export answered 500). The
// row is exported without its geometry, and the formats that carry a
// README or 说明 name it.
func TestExportSurvivesStoredBadCoordinates(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var bad int64
	var total int
	if err := db.Pool.QueryRow(ctx, `UPDATE roads SET geom = ST_SetSRID(ST_MakeLine(ST_MakePoint(113.4, 29.4), ST_MakePoint(1e308, 29.5)), 4490)
		WHERE id = (SELECT min(id) FROM roads) RETURNING id, (SELECT count(*) FROM roads)`).Scan(&bad, &total); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ format, srs string }{
		{"shp.zip", "cgcs2000-gk3-114e"}, {"gpkg", "cgcs2000-gk3-114e"}, {"xlsx", "cgcs2000-gk3-114e"},
		{"csv", "cgcs2000-gk3-114e"}, {"geojson", ""}, {"geojson", "gcj02"}, {"kml", ""}, {"shp.zip", ""},
	} {
		var b bytes.Buffer
		err := db.Store.Export(ctx, &b, planning.ExportOptions{Layers: []string{"roads"}, Format: c.format, SRS: c.srs})
		if err != nil {
			t.Errorf("%s %s: %v", c.format, c.srs, err)
			continue
		}
		switch c.format {
		case "geojson":
			var fc struct {
				Features []struct {
					Geometry   json.RawMessage `json:"geometry"`
					Properties map[string]any  `json:"properties"`
				} `json:"features"`
			}
			if err := json.Unmarshal(b.Bytes(), &fc); err != nil {
				t.Fatalf("geojson %s: %v", c.srs, err)
			}
			nulls := 0
			for _, f := range fc.Features {
				if string(f.Geometry) == "null" {
					nulls++
				}
			}
			if len(fc.Features) != total || nulls != 1 {
				t.Errorf("geojson %s: %d features (want %d), %d without geometry (want 1)", c.srs, len(fc.Features), total, nulls)
			}
		case "shp.zip":
			z, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			var notes string
			for _, f := range z.File {
				if strings.HasSuffix(f.Name, ".txt") {
					r, _ := f.Open()
					text, _ := io.ReadAll(r)
					notes += string(text)
				}
			}
			if want := fmt.Sprintf("为 %d），无法换算，导出时几何为空", bad); !strings.Contains(notes, "几何置空") || !strings.Contains(notes, want) {
				t.Errorf("shp.zip %s: the README does not name road %d (want %q):\n%s", c.srs, bad, want, notes)
			}
		}
	}
}
