package data_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// locations lists "code location_source located" for the given villages.
func locations(t *testing.T, db *datatest.DB, codes ...string) map[string]string {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT code, location_source || CASE WHEN office IS NULL THEN ' 未定位' ELSE ' ' || ST_AsText(office) END
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
	ctx := datatest.Context()
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
	// The outline arrives the same way: the county's row, by its code.
	rep, err = db.Store.Import(ctx, geoData+"linxiang_boundary_wgs84.geojson", planning.ImportOptions{Layer: "counties", Mode: planning.ImportUpsert})
	if err != nil || !rep.Committed || rep.Updated != 1 {
		t.Fatalf("outline import: %v %+v\n%s", err, rep, problemsText(rep))
	}
	var src string
	_, _, outline, err := db.Store.CountySetup(ctx)
	if err != nil || outline == nil {
		t.Errorf("CountySetup outline after import: %v %v", outline == nil, err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT location_source FROM counties WHERE code = '430682'`).Scan(&src); err != nil || src != "import:linxiang_boundary_wgs84.geojson" {
		t.Errorf("county location_source %q, %v", src, err)
	}
}

// TestLocateByName: 岳阳县 (430621) has two 中兴村 and two 芭蕉村 in
// different townships. A name that fits several villages is listed with
// its candidates and not placed; a township (name or code) decides it;
// NBS long forms match their short names; a name the file repeats and a
// name the county lacks are reported; only 未定位 villages move, and the
// location says it came from the name match.
func TestLocateByName(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	if _, err := db.Store.InitCounty(ctx, "430621", false); err != nil {
		t.Fatal(err)
	}
	pt := func(row int, name, township string) planning.NamedPoint {
		return planning.NamedPoint{Row: row, Name: name, Township: township, Point: orb.Point{113 + float64(row)/4, 29.1}}
	}
	points := []planning.NamedPoint{
		pt(1, "中兴村", ""),
		pt(2, "中兴村", "毛田镇"),
		pt(3, "芭蕉村民委员会", "430621111"),
		pt(4, "不存在村", ""),
		pt(5, "集镇居委会", ""),
		pt(6, "集镇居委会", ""),
	}
	dry, err := db.Store.LocateByName(ctx, points, planning.LocationNameMatch+"村委会.geojson", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := locations(t, db, "430621109285")["430621109285"]; got != "init 未定位" {
		t.Errorf("dry run wrote: %q", got)
	}
	rep, err := db.Store.LocateByName(ctx, points, planning.LocationNameMatch+"村委会.geojson", false)
	if err != nil {
		t.Fatal(err)
	}
	codes := func(rows []planning.LocateRow) (out []string) {
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%d %s %v", r.Row, r.Code, r.Candidates))
		}
		return out
	}
	for _, r := range []planning.LocateReport{dry, rep} {
		for what, c := range map[string][2][]string{
			"located":   {codes(r.Located), {"2 430621109285 []", "3 430621111255 []"}},
			"ambiguous": {codes(r.Ambiguous), {"1  [430621104247 中兴村（黄沙街镇） 430621109285 中兴村（毛田镇）]"}},
			"unmatched": {codes(r.Unmatched), {"4  []"}},
			"repeated":  {codes(r.Repeated), {"5  [430621100001 集镇居委会（荣家湾镇）]", "6  [430621100001 集镇居委会（荣家湾镇）]"}},
		} {
			if fmt.Sprint(c[0]) != fmt.Sprint(c[1]) {
				t.Errorf("%s: %q, want %q", what, c[0], c[1])
			}
		}
	}
	got := locations(t, db, "430621109285", "430621111255", "430621104247", "430621100001")
	for code, want := range map[string]string{
		"430621109285": "name-match:村委会.geojson POINT(113.5 29.1)",
		"430621111255": "name-match:村委会.geojson POINT(113.75 29.1)",
		"430621104247": "init 未定位",
		"430621100001": "init 未定位",
	} {
		if got[code] != want {
			t.Errorf("%s: %q, want %q", code, got[code], want)
		}
	}
	// Matched again: located villages are left alone.
	again, err := db.Store.LocateByName(ctx, points[1:2], planning.LocationNameMatch+"other.geojson", false)
	if err != nil || len(again.Already) != 1 || len(again.Located) != 0 {
		t.Errorf("second match: %+v, %v", again, err)
	}
}

// TestLocateOutsideCounty: once the county's outline is loaded, a point
// far outside it (a wrong coordinate, or a wrong match) is not placed,
// neither on the map nor by name, and the report says how far out it is.
func TestLocateOutsideCounty(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	if _, err := db.Store.InitCounty(ctx, "430682", false); err != nil {
		t.Fatal(err)
	}
	loadRealOutline(t, db)
	// 长沙 is about 140 km south of 临湘.
	err := db.Store.LocateVillage(ctx, "430682001003", orb.Point{112.94, 28.23}, planning.LocationMap)
	if err == nil || !strings.Contains(err.Error(), "县界外") {
		t.Errorf("a point in 长沙 placed on the map: %v", err)
	}
	points := []planning.NamedPoint{
		{Row: 1, Name: "长城社区", Point: orb.Point{113.46, 29.47}},
		{Row: 2, Name: "长安社区", Point: orb.Point{112.94, 28.23}},
	}
	rep, err := db.Store.LocateByName(ctx, points, planning.LocationNameMatch+"村委会.geojson", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Located) != 1 || rep.Located[0].Code != "430682001001" || len(rep.Outside) != 1 ||
		rep.Outside[0].Code != "430682001002" || rep.Outside[0].OutsideKm < 100 {
		t.Errorf("located %+v, outside %+v; want 长城社区 placed and 长安社区 over 100 km outside", rep.Located, rep.Outside)
	}
	got := locations(t, db, "430682001001", "430682001002", "430682001003")
	if got["430682001001"] != "name-match:村委会.geojson POINT(113.46 29.47)" || got["430682001002"] != "init 未定位" || got["430682001003"] != "init 未定位" {
		t.Errorf("locations %v", got)
	}
}
