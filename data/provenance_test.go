package data_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// readme exports the villages as a shapefile zip and returns its README.
func readme(t *testing.T, db *datatest.DB) string {
	t.Helper()
	var b bytes.Buffer
	if err := db.Store.Export(datatest.Context(), &b, planning.ExportOptions{Layers: []string{"villages"}, Format: "shp.zip"}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "README.txt") {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			text, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return string(text)
		}
	}
	t.Fatal("no README.txt in the zip")
	return ""
}

// TestSyntheticFollowsSources: "synthetic" comes from the source rows, not
// the county code. 临湘 set up from the code list and located by a real
// import is not synthetic anywhere (county, TileJSON attribution, export
// README) even though its code is the demo's; the demo is, everywhere.
// The old code keyed the page badge to 430682 and wrote 合成 into every
// TileJSON.
func TestSyntheticFollowsSources(t *testing.T) {
	ctx := datatest.Context()
	real := datatest.New(t)
	if _, err := real.Store.InitCounty(ctx, "430682", false); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "村委会坐标.csv", "村代码,村名称,经度,纬度\n430682001001,长城社区,113.46,29.47\n")
	if rep, err := real.Store.Import(ctx, file, planning.ImportOptions{Layer: "villages", Mode: planning.ImportUpsert}); err != nil || !rep.Committed {
		t.Fatalf("import: %v %+v", err, rep)
	}
	demo := datatest.NewDemo(t)
	for _, c := range []struct {
		name      string
		db        *datatest.DB
		synthetic bool
	}{{"county init + import", real, false}, {"demo", demo, true}} {
		county, err := c.db.Store.SetupCounty(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if county.Code != "430682" || county.Name != "临湘市" || county.Synthetic != c.synthetic {
			t.Errorf("%s: county %+v, want synthetic %v", c.name, county, c.synthetic)
		}
		credit, err := c.db.Store.Attribution(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(credit, "合成") != c.synthetic || (c.synthetic && !strings.Contains(credit, "demo:430682")) {
			t.Errorf("%s: attribution %q, want synthetic %v", c.name, credit, c.synthetic)
		}
		if text := readme(t, c.db); strings.Contains(text, "数据性质") != c.synthetic {
			t.Errorf("%s: export README, want 数据性质 %v:\n%s", c.name, c.synthetic, text)
		}
	}
}

// TestCountyProfileTargets: targets belong to the county. A county set up
// from its code list has none (the old default carried 临湘's 500 km, 286
// bridges and 177 reservoirs into every county); the demo has 临湘's; a
// county stores its own and a --profile file still wins over them.
func TestCountyProfileTargets(t *testing.T) {
	ctx := datatest.Context()
	targets := func(db *datatest.DB, file string) planning.TargetParams {
		t.Helper()
		var r io.Reader
		if file != "" {
			r = strings.NewReader(file)
		}
		p, err := planning.CountyProfile(ctx, db.Store, r)
		if err != nil {
			t.Fatal(err)
		}
		return p.Targets
	}
	db := datatest.New(t)
	if _, err := db.Store.InitCounty(ctx, "430602", false); err != nil {
		t.Fatal(err)
	}
	if got := targets(db, ""); got.RoadNewKm.Value != 0 || got.Bridges.Value != 0 || got.Reservoirs.Value != 0 || got.RoadUpgradeKm.Value != 0 {
		t.Errorf("a new county has targets: %+v", got)
	}
	if err := db.Store.SetCountyOverrides(ctx, []byte(`{"targets": {"bridges": 40}, "units": {"grid": "国网岳阳供电公司"}}`)); err != nil {
		t.Fatal(err)
	}
	p, err := planning.CountyProfile(ctx, db.Store, nil)
	if err != nil || p.Targets.Bridges.Value != 40 || p.Targets.Bridges.Source != planning.SourceCounty || p.Units.Grid != "国网岳阳供电公司" {
		t.Errorf("county's own profile: %+v %+v %v", p.Targets, p.Units, err)
	}
	if got := targets(db, `{"targets": {"bridges": 12}}`); got.Bridges.Value != 12 {
		t.Errorf("file over the county: %+v", got)
	}
	err = db.Store.SetCountyOverrides(ctx, []byte(`{"targets": {"bridges": -1}}`))
	if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "targets.bridges") {
		t.Errorf("bad county profile: %v", err)
	}
	demo := datatest.NewDemo(t)
	if got := targets(demo, ""); got.RoadNewKm.Value != 500 || got.Bridges.Value != 286 || got.Reservoirs.Value != 177 {
		t.Errorf("demo targets: %+v", got)
	}
}
