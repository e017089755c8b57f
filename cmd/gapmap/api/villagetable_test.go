package api_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
)

type villageTableJSON struct {
	RunID  int64 `json:"run_id"`
	Fields []struct {
		Name, Title, Type string
	} `json:"fields"`
	Rows   []map[string]any `json:"rows"`
	Totals map[string]struct {
		Sum     float64 `json:"sum"`
		Unknown int     `json:"unknown"`
	} `json:"totals"`
}

func (f *fixture) villageTable(t *testing.T, query string) villageTableJSON {
	t.Helper()
	rec := f.get(t, "/api/v1/village-table?"+query)
	if rec.Code != http.StatusOK {
		t.Fatalf("village-table?%s: %d %s", query, rec.Code, rec.Body)
	}
	var vt villageTableJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &vt); err != nil {
		t.Fatal(err)
	}
	return vt
}

func tableCodes(vt villageTableJSON) []string {
	var codes []string
	for _, r := range vt.Rows {
		codes = append(codes, r["code"].(string))
	}
	slices.Sort(codes)
	return codes
}

// sqlCodes runs an independent query of village codes over the latest
// run's stored rows (indicator_scores and village_scores through
// run_villages, not the views the export reads); $1 is the run.
func sqlCodes(t *testing.T, f *fixture, where string, args ...any) []string {
	t.Helper()
	ctx := datatest.Context()
	rows, err := f.db.Pool.Query(ctx, `SELECT v.code FROM run_villages rv
		JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id
		JOIN villages v ON v.id = rv.village_id
		WHERE rv.run_id = (SELECT max(id) FROM scoring_runs WHERE status = 'done') AND `+where+` ORDER BY 1`, args...)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

const r1Status = `(SELECT i.status FROM indicator_scores i WHERE i.run_id = rv.scored_run_id AND i.village_id = rv.village_id AND i.indicator = 'R1')`

// TestVillageTableFilters checks each filter of the village table against
// its own SQL over the stored run, and that malformed filters are refused
// in Chinese.
func TestVillageTableFilters(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		query, where string
		args         []any
	}{
		{"", "true", nil},
		{"poor=true", "v.is_poor_village", nil},
		{"indicator=R1&result=fail", r1Status + " = 'fail'", nil},
		{"indicator=R1&result=" + "达标", r1Status + " = 'pass'", nil},
		{"indicator=W1&result=" + "无数据", `(SELECT i.status FROM indicator_scores i WHERE i.run_id = rv.scored_run_id
			AND i.village_id = rv.village_id AND i.indicator = 'W1') = 'no_data'`, nil},
		{"dimension=" + "饮水" + "&result=no_data", "'饮水' = ANY (s.unknown_gaps)", nil},
		{"dimension=" + "通路" + "&result=fail", "s.gap_road > 0 AND NOT '通路' = ANY (s.unknown_gaps)", nil},
		{"dimension=" + "农网" + "&result=pass", "s.gap_grid = 0 AND NOT '农网' = ANY (s.unknown_gaps)", nil},
		{"complete=false", "s.unknown_gaps <> '{}'", nil},
		{"complete=true&poor=false", "s.unknown_gaps = '{}' AND NOT v.is_poor_village", nil},
		{"township=430682113", "v.township_code = $1", []any{"430682113"}},
	} {
		got := tableCodes(f.villageTable(t, c.query))
		want := sqlCodes(t, f, c.where, c.args...)
		if !slices.Equal(got, want) {
			t.Errorf("?%s: %d villages %v, want %d %v", c.query, len(got), got, len(want), want)
		}
		if len(want) == 0 && c.query != "complete=false" {
			t.Errorf("?%s: the demo has no such village, the case checks nothing", c.query)
		}
	}
	// W5's and E1's needs against the stored value and the village's 户数:
	// households × the share not reached, households × (threshold − kVA per household).
	all := f.villageTable(t, "")
	ctx := datatest.Context()
	for _, c := range []struct{ id, expr string }{
		{"W5", "round(v.households * (100 - i.value) / 100)"},
		{"E1", "greatest(0, v.households * (i.threshold - i.value))"},
	} {
		rows, err := f.db.Pool.Query(ctx, `SELECT v.code, `+c.expr+` FROM run_villages rv
			JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
			JOIN villages v ON v.id = rv.village_id
			WHERE rv.run_id = $1 AND i.indicator = $2 AND i.value IS NOT NULL AND v.households > 0`, all.RunID, c.id)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{}
		for rows.Next() {
			var code string
			var n float64
			if err := rows.Scan(&code, &n); err != nil {
				t.Fatal(err)
			}
			want[code] = n
		}
		if rows.Err() != nil || len(want) == 0 {
			t.Fatalf("%s: no measured village (%v)", c.id, rows.Err())
		}
		var sum float64
		for _, r := range all.Rows {
			w, ok := want[r["code"].(string)]
			got, has := r[c.id+"_need"].(float64)
			if ok != has || math.Abs(got-w) > 1e-6 {
				t.Errorf("%s %s: need %v, want %v (known: %v)", c.id, r["code"], r[c.id+"_need"], w, ok)
			}
			sum += w
		}
		if tot := all.Totals[c.id+"_need"]; math.Abs(tot.Sum-sum) > 1e-6 || tot.Unknown != len(all.Rows)-len(want) {
			t.Errorf("%s total %+v, want %v with %d unknown", c.id, tot, sum, len(all.Rows)-len(want))
		}
	}

	for _, q := range []string{"result=maybe", "indicator=X9&result=fail", "indicator=R1", "result=fail",
		"complete=perhaps", "status=" + "需求摸底", "geometry=hull", "dimension=交通&result=fail", "dimension=通路&result=not_applicable", "sort=1"} {
		rec := f.get(t, "/api/v1/village-table?"+q)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, rec.Code)
			continue
		}
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if !hasHan(rec.Body.String()) {
			t.Errorf("?%s: error not in Chinese: %s", q, rec.Body)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestVillageTableR1AndItsExports: the 交通局's question, the poor villages
// failing R1, with their km to pave and the cost of their road projects;
// the totals, and the GeoPackage (read by GDAL) and shapefile exports of
// the same filter hold the same villages, with outlines and Chinese
// results.
func TestVillageTableR1AndItsExports(t *testing.T) {
	f := newFixture(t)
	ctx := datatest.Context()
	// The 项目库 from the gaps, through the route a planner uses.
	if gen := send(t, f.router, http.MethodPost, "/api/v1/projects/generate", `{}`); gen.Code != http.StatusOK {
		t.Fatalf("generate: %d %s", gen.Code, gen.Body)
	}
	const q = "indicator=R1&result=fail&poor=true"
	vt := f.villageTable(t, q)
	codes := tableCodes(vt)
	if want := sqlCodes(t, f, "v.is_poor_village AND "+r1Status+" = 'fail'"); !slices.Equal(codes, want) || len(want) == 0 {
		t.Fatalf("R1 未达标 poor villages %v, want %v", codes, want)
	}

	// The oracle: km to pave is the length of the R1 explaining path on
	// the ellipsoid (× the detour factor where the note says it is a
	// straight line); the cost is the village's R1 projects not 已出库.
	rows, err := f.db.Pool.Query(ctx, `SELECT v.code,
			ST_Length(i.geom::geography) / 1000 * CASE WHEN i.note LIKE '%直线距离%' THEN 1.3 ELSE 1 END,
			(SELECT coalesce(sum(p.cost_wan), 0)::float8 FROM projects p
			  WHERE p.village_id = v.id AND 'R1' = ANY (p.source_indicator_ids) AND p.status <> '已出库')
		FROM run_villages rv JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
		JOIN villages v ON v.id = rv.village_id
		WHERE rv.run_id = $1 AND i.indicator = 'R1' AND i.status = 'fail' AND v.is_poor_village`, vt.RunID)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ km, wan float64 }
	wants := map[string]want{}
	var sumKm, sumWan float64
	for rows.Next() {
		var code string
		var w want
		if err := rows.Scan(&code, &w.km, &w.wan); err != nil {
			t.Fatal(err)
		}
		wants[code] = w
		sumKm += w.km
		sumWan += w.wan
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range vt.Rows {
		w := wants[r["code"].(string)]
		km, _ := r["R1_need"].(float64)
		if math.Abs(km-w.km) > 0.002 {
			t.Errorf("%s: R1 km to pave %v, want %.3f (explaining path)", r["code"], r["R1_need"], w.km)
		}
		if wan, _ := r["R1_cost_wan"].(float64); math.Abs(wan-w.wan) > 0.005 {
			t.Errorf("%s: R1 projects %v 万元, want %.2f", r["code"], r["R1_cost_wan"], w.wan)
		}
		if r["R1_status"] != "未达标" {
			t.Errorf("%s: R1_status %v, want 未达标", r["code"], r["R1_status"])
		}
	}
	if tot := vt.Totals["R1_need"]; math.Abs(tot.Sum-sumKm) > 0.002*float64(len(wants)) || tot.Unknown != 0 {
		t.Errorf("total km %+v, want %.3f", tot, sumKm)
	}
	if tot := vt.Totals["R1_cost_wan"]; math.Abs(tot.Sum-sumWan) > 0.01 || sumWan == 0 {
		t.Errorf("total 万元 %+v, want %.2f", tot, sumWan)
	}
	t.Logf("%d villages, %.2f km to pave, %.2f 万元", len(codes), vt.Totals["R1_need"].Sum, vt.Totals["R1_cost_wan"].Sum)

	// The GeoPackage of the same filter, with outlines, read by GDAL.
	rec := f.get(t, "/api/v1/exports/village_gaps.gpkg?"+q+"&geometry=outline")
	if rec.Code != http.StatusOK {
		t.Fatalf("gpkg: %d %s", rec.Code, rec.Body)
	}
	path := filepath.Join(t.TempDir(), "r1.gpkg")
	if err := os.WriteFile(path, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := gdaltest.Run(t, "ogr2ogr", "-f", "CSV", "/vsistdout/", path, "village_gaps", "-lco", "GEOMETRY=AS_WKT")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	outlined := map[string]bool{}
	for _, c := range sqlCodes(t, f, "v.outline IS NOT NULL") {
		outlined[c] = true
	}
	var gpkgCodes []string
	polygons := 0
	for _, r := range recs[1:] {
		code := r[col["code"]]
		gpkgCodes = append(gpkgCodes, code)
		wkt := r[col["WKT"]]
		isPoly := strings.HasPrefix(wkt, "POLYGON") || strings.HasPrefix(wkt, "MULTIPOLYGON")
		if isPoly {
			polygons++
		}
		if isPoly != outlined[code] {
			t.Errorf("gpkg %s: geometry %.20s…, village outlined: %v", code, wkt, outlined[code])
		}
		if r[col["R1_status"]] != "未达标" {
			t.Errorf("gpkg %s: R1_status %q, want 未达标", code, r[col["R1_status"]])
		}
	}
	slices.Sort(gpkgCodes)
	if !slices.Equal(gpkgCodes, codes) {
		t.Errorf("gpkg villages %v, table %v", gpkgCodes, codes)
	}
	if polygons == 0 {
		t.Errorf("gpkg: no village outline exported")
	}
	meta := gdaltest.Run(t, "ogrinfo", "-ro", "-q", path, "-sql", "SELECT metadata FROM gpkg_metadata")
	if strings.Contains(meta, "map[") || !strings.Contains(meta, "指标（indicator）：R1") || !strings.Contains(meta, "结果（result）：未达标") {
		t.Errorf("gpkg metadata: %s", meta)
	}

	// The shapefile zip and the KML of the same filter: the same villages.
	for _, format := range []string{"shp.zip", "kml"} {
		rec := f.get(t, "/api/v1/exports/village_gaps."+format+"?"+q+"&geometry=outline")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", format, rec.Code, rec.Body)
		}
		p := filepath.Join(t.TempDir(), "r1."+format)
		if err := os.WriteFile(p, rec.Body.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		src := p
		if format == "shp.zip" {
			src = "/vsizip/" + p
		}
		info := gdaltest.Run(t, "ogrinfo", "-ro", "-al", "-geom=NO", src)
		var got []string
		for _, line := range strings.Split(info, "\n") {
			line = strings.TrimSpace(line)
			for _, prefix := range []string{"code (String) = ", "村代码 (String) = "} {
				if v, ok := strings.CutPrefix(line, prefix); ok {
					got = append(got, v)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, codes) {
			t.Errorf("%s villages %v, table %v", format, got, codes)
		}
	}
}
