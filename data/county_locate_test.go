package data_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// locations lists "code location_source located" for the given villages.
func locations(t *testing.T, db *datatest.DB, codes ...string) map[string]string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT code, location_source || CASE WHEN office IS NULL THEN ' 未定位' ELSE ' ' || ST_AsText(office) END
		FROM villages WHERE code = ANY ($1)`, codes)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, s string
		if err := rows.Scan(&code, &s); err != nil {
			t.Fatal(err)
		}
		out[code] = s
	}
	return out
}

// TestLocateAfterInit: villages from `county init` are located later by an
// import of codes and coordinates (--mode upsert) and by placing them on
// the map; each location records its source, the others stay 未定位.
func TestLocateAfterInit(t *testing.T) {
	db := datatest.New(t)
	ctx := context.Background()
	if _, err := db.Store.InitCounty(ctx, "430682", false); err != nil {
		t.Fatal(err)
	}
	// The county's own table of 村委会 coordinates: codes, names, lon/lat.
	file := writeFile(t, "村委会坐标.csv", "村代码,村名称,经度,纬度\n"+
		"430682001001,长城社区,113.46,29.47\n"+
		"430682001002,长安社区,113.47,29.48\n")
	rep, err := db.Store.Import(ctx, file, planning.ImportOptions{Layer: "villages", Mode: planning.ImportUpsert})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, problemsText(rep))
	}
	if err := db.Store.LocateVillage(ctx, "430682001003", orb.Point{113.5, 29.5}, planning.LocationMap); err != nil {
		t.Fatal(err)
	}
	got := locations(t, db, "430682001001", "430682001002", "430682001003", "430682001005")
	want := map[string]string{
		"430682001001": "import:村委会坐标.csv POINT(113.46 29.47)",
		"430682001002": "import:村委会坐标.csv POINT(113.47 29.48)",
		"430682001003": "map POINT(113.5 29.5)",
		"430682001005": "init 未定位",
	}
	for code, w := range want {
		if got[code] != w {
			t.Errorf("%s: %q, want %q", code, got[code], w)
		}
	}
	// Moved again on the map: still from the map. Re-imported: the file's.
	if err := db.Store.LocateVillage(ctx, "430682001003", orb.Point{113.51, 29.5}, planning.LocationMap); err != nil {
		t.Fatal(err)
	}
	if got := locations(t, db, "430682001003")["430682001003"]; got != "map POINT(113.51 29.5)" {
		t.Errorf("moved on the map: %q", got)
	}
	err = db.Store.LocateVillage(ctx, "430682999999", orb.Point{113.5, 29.5}, planning.LocationMap)
	if planning.ErrorCode(err) != planning.ENotFound {
		t.Errorf("unknown village: %v", err)
	}
	err = db.Store.LocateVillage(ctx, "430682001005", orb.Point{29.5, 113.5}, planning.LocationMap)
	if planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("swapped coordinates: %v", err)
	}
	c, err := db.Store.SetupCounty(ctx)
	if err != nil || c.Code != "430682" || c.Villages != 161 || c.Unlocated != 158 || c.Synthetic || c.HasOutline {
		t.Errorf("SetupCounty = %+v, %v", c, err)
	}
}
