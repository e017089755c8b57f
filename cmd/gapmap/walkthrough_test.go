package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// The real files of shared/data/real that the walkthrough uses, as the
// repository keeps byte-identical copies of them (data/testdata/import/
// README.md, geo/testdata/README.md). They are read with os.ReadFile and
// a missing one fails the test: it never skips.
const (
	realTownships   = "../../data/demo/linxiang_townships_2023.csv"
	realVillages    = "../../data/demo/linxiang_villages_2023.csv"
	realOutlineGCJ  = "../../geo/testdata/linxiang_boundary_gcj02.geojson"
	realOutlineWGS  = "../../geo/testdata/linxiang_boundary_wgs84.geojson"
	realSubstations = "../../data/testdata/import/osm_power_polygons_linxiang.geojson"
)

// Bounds measured on the real outline (Hausdorff distance to the WGS-84
// twin, in EPSG:4547 metres): the GCJ-02 file read as WGS-84 lies 651 m
// off; read with --srs gcj02 it lies within 0.16 m (gcoord's forward
// conversion made the twin; gapmap inverts it exactly). The bounds leave
// room for another converter, not for a missed conversion.
const (
	shiftedMinMetres   = 400
	convertedMaxMetres = 1
)

// csvRows reads a code list CSV as maps by header.
func csvRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("real fixture missing: %v", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestRealCountyWalkthrough does what README's "Set up a real county" says
// a consultant does, with the real files and the real commands, on 临湘:
// the code list, the DataV outline (GCJ-02 caught, then converted), 20
// villages located by code and coordinates and 2 by name, the 6 OSM
// substations, a score that is honest about what it does not know, the
// 补充数据 list and the exports.
func TestRealCountyWalkthrough(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	dir := t.TempDir()
	cli := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := run(ctx, args, env, &out, io.Discard)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("gapmap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	query := func(sql string, args ...any) []string {
		t.Helper()
		rows, err := db.Pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	one := func(sql string, args ...any) string {
		t.Helper()
		r := query(sql, args...)
		if len(r) != 1 {
			t.Fatalf("%s: %d rows", sql, len(r))
		}
		return r[0]
	}
	wantLines := func(what string, got, want []string) {
		t.Helper()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
		}
	}

	// 1. The code list: 14 townships and 161 villages, none located.
	towns, villages := csvRows(t, realTownships), csvRows(t, realVillages)
	out := must("county", "init", "--code", "430682")
	for _, want := range []string{"乡镇 14 个（新增 14）", "村级单位 161 个（新增 161；社区 47，行政村 114）", "未定位的村 161 个"} {
		if !strings.Contains(out, want) {
			t.Errorf("county init says nothing of %q:\n%s", want, out)
		}
	}
	var wantTowns, wantVillages []string
	for _, r := range towns {
		wantTowns = append(wantTowns, r["township_code"]+" "+r["township_name"])
	}
	for _, r := range villages {
		kind := "行政村"
		if strings.HasSuffix(r["village_name"], "社区") {
			kind = "社区"
		}
		wantVillages = append(wantVillages, r["village_code"]+" "+r["village_name"]+" "+r["township_code"]+" "+kind)
	}
	wantLines("townships", query(`SELECT code || ' ' || name FROM townships`), wantTowns)
	wantLines("villages", query(`SELECT code || ' ' || name || ' ' || township_code || ' ' || kind FROM villages`), wantVillages)
	if n := one(`SELECT count(*) FROM villages WHERE office IS NULL AND outline IS NULL AND location_source = 'init'`); n != "161" {
		t.Errorf("%s villages 未定位 after init, want all 161", n)
	}

	// The county's own profile: its 责任单位.
	profile := filepath.Join(dir, "county.json")
	if err := os.WriteFile(profile, []byte(`{"units": {"grid": "国网临湘市供电公司"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := must("county", "profile", "--set", profile); !strings.Contains(out, `"grid": "国网临湘市供电公司"`) {
		t.Errorf("county profile: want the unit stored:\n%s", out)
	}

	// 2. The outline as DataV publishes it (GCJ-02, no crs member).
	// --strict refuses it and writes nothing; without --strict it goes in
	// with the warning, 600 m off; read as GCJ-02 it lies on the twin.
	hausdorff := func() float64 {
		t.Helper()
		b, err := os.ReadFile(realOutlineWGS)
		if err != nil {
			t.Fatalf("real fixture missing: %v", err)
		}
		var m float64
		if err := db.Pool.QueryRow(ctx, `SELECT ST_HausdorffDistance(ST_Transform(c.outline, 4547),
				ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1::jsonb->'features'->0->'geometry'), 4490), 4547))
			FROM counties c WHERE code = '430682'`, string(b)).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := one(`SELECT concat_ws(',', (SELECT count(*) FROM sources), (SELECT count(*) FROM layer_changes),
		(SELECT count(*) FROM counties WHERE outline IS NOT NULL))`)
	out, err := cli("import", "--layer", "counties", "--file", realOutlineGCJ, "--mode", "upsert", "--strict")
	if err == nil || !strings.Contains(out, "错误 文件 geom") || !strings.Contains(out, "GCJ-02") || !strings.Contains(out, "--srs gcj02") {
		t.Errorf("--strict over DataV's outline: want it refused, naming GCJ-02 and --srs gcj02: %v\n%s", err, out)
	}
	if after := one(`SELECT concat_ws(',', (SELECT count(*) FROM sources), (SELECT count(*) FROM layer_changes),
		(SELECT count(*) FROM counties WHERE outline IS NOT NULL))`); after != before {
		t.Errorf("--strict wrote: %s → %s", before, after)
	}
	out = must("import", "--layer", "counties", "--file", realOutlineGCJ, "--mode", "upsert")
	if !strings.Contains(out, "警告 文件 geom") || !strings.Contains(out, "疑似高德/DataV GCJ-02 坐标") || !strings.Contains(out, "--srs gcj02") {
		t.Errorf("DataV's outline read as WGS-84: want the GCJ-02 warning and the fix:\n%s", out)
	}
	shifted := hausdorff()
	if shifted < shiftedMinMetres {
		t.Errorf("the GCJ-02 outline read as WGS-84 lies %.1f m from the WGS-84 one; the fixture should be ≥ %d m off", shifted, shiftedMinMetres)
	}
	out = must("import", "--layer", "counties", "--file", realOutlineGCJ, "--mode", "upsert", "--srs", "gcj02")
	if strings.Contains(out, "GCJ-02 坐标") {
		t.Errorf("--srs gcj02 still suspected:\n%s", out)
	}
	converted := hausdorff()
	t.Logf("outline vs. the WGS-84 twin (Hausdorff, EPSG:4547): %.1f m read as WGS-84, %.2f m with --srs gcj02", shifted, converted)
	if converted > convertedMaxMetres {
		t.Errorf("with --srs gcj02 the outline lies %.2f m from the WGS-84 twin, want ≤ %d m", converted, convertedMaxMetres)
	}

	// 3. Locations for some villages: 20 by code and coordinates (every
	// 8th of the list, placed at random inside the real outline), 2 by
	// name within their township, one name that matches none.
	var pts []string
	if err := db.Pool.QueryRow(ctx, `SELECT array_agg(format('%s,%s', round(ST_X(g)::numeric, 6), round(ST_Y(g)::numeric, 6)) ORDER BY n)
		FROM (SELECT (d).geom g, row_number() OVER () n FROM (SELECT ST_Dump(ST_GeneratePoints(outline, 22, 17)) d FROM counties) x) y`).Scan(&pts); err != nil || len(pts) != 22 {
		t.Fatalf("points in the outline: %v %v", pts, err)
	}
	var coords strings.Builder
	coords.WriteString("村代码,村名称,经度,纬度\n")
	placed := map[string]string{} // code → "lon,lat"
	for i := 0; len(placed) < 20; i += 8 {
		v := villages[i]
		placed[v["village_code"]] = pts[len(placed)]
		fmt.Fprintf(&coords, "%s,%s,%s\n", v["village_code"], v["village_name"], pts[len(placed)-1])
	}
	coordsFile := filepath.Join(dir, "村委会坐标.csv")
	if err := os.WriteFile(coordsFile, []byte(coords.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out = must("import", "--layer", "villages", "--file", coordsFile, "--mode", "upsert")
	if !strings.Contains(out, "更新 20 行") || strings.Contains(out, "县界外") {
		t.Errorf("village coordinates: want 20 updated, none outside the county:\n%s", out)
	}
	// By name: two villages not in the coordinates file, one by its NBS
	// long form; the township narrows the match.
	byName := map[string]string{} // code → "lon,lat"
	var feats []string
	for _, v := range villages[1:] {
		if _, ok := placed[v["village_code"]]; ok || len(byName) == 2 || !strings.HasSuffix(v["village_name"], "村") {
			continue
		}
		name := v["village_name"]
		if len(byName) == 0 {
			name = strings.TrimSuffix(name, "村") + "村民委员会"
		}
		p := pts[20+len(byName)]
		byName[v["village_code"]] = p
		feats = append(feats, fmt.Sprintf(`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [%s]}, "properties": {"名称": %q, "乡镇": %q}}`,
			p, name, v["township_name"]))
	}
	feats = append(feats, `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.5, 29.5]}, "properties": {"名称": "没有这个村", "乡镇": "长安街道"}}`)
	pointsFile := filepath.Join(dir, "村委会.geojson")
	if err := os.WriteFile(pointsFile, []byte(`{"type": "FeatureCollection", "features": [`+strings.Join(feats, ",\n")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out = must("county", "locate", "--points", pointsFile, "--name-field", "名称", "--township-field", "乡镇")
	if !strings.Contains(out, "已定位 2 个村") || !strings.Contains(out, "无匹配：第 3 行 没有这个村") {
		t.Errorf("county locate: want 2 located and the unmatched name listed:\n%s", out)
	}
	// Each village's location and where it came from; the rest 未定位.
	var wantSources []string
	for _, v := range villages {
		code, src := v["village_code"], "init"
		if p, ok := placed[code]; ok {
			src = "import:村委会坐标.csv " + p
		} else if p, ok := byName[code]; ok {
			src = "name-match:村委会.geojson " + p
		}
		wantSources = append(wantSources, code+" "+src)
	}
	wantLines("location sources", query(`SELECT code || ' ' || location_source ||
		CASE WHEN office IS NOT NULL THEN format(' %s,%s', round(ST_X(office)::numeric, 6), round(ST_Y(office)::numeric, 6)) ELSE '' END
		FROM villages WHERE (office IS NULL) = (location_source = 'init') AND outline IS NULL`), wantSources)

	// 4. The 6 OSM substations: inside the county, named after their row
	// (OSM has no names for them), voltages parsed from "110000" and
	// "220000;110000".
	out = must("import", "--layer", "substations", "--file", realSubstations, "--attribution", "© OpenStreetMap contributors")
	if !strings.Contains(out, "新增 6 行") || strings.Contains(out, "县界外") || !strings.Contains(out, "6 个要素没有名称") {
		t.Errorf("substations: want 6 inserted, none outside the county, the unnamed counted:\n%s", out)
	}
	wantLines("substations", query(`SELECT s.name || ' ' || s.voltage_kv FROM substations s, counties c WHERE ST_Within(s.geom, c.outline)`),
		[]string{"未命名变电站（第 1 行） 110", "未命名变电站（第 2 行） 110", "未命名变电站（第 3 行） 220",
			"未命名变电站（第 4 行） 110", "未命名变电站（第 5 行） 110", "未命名变电站（第 6 行） 110"})

	// 5. Score: nothing is known that would decide an indicator, so none
	// passes or fails; 未定位 villages say so for every spatial one, the
	// located ones name the missing roads; no gap is a 0.
	out = must("score")
	runID := one(`SELECT max(id) FROM scoring_runs`)
	if n := one(`SELECT count(*) FROM run_indicators WHERE run_id = $1 AND status IN ('pass', 'fail')`, runID); n != "0" {
		t.Errorf("%s indicators pass or fail without data:\n%s", n, strings.Join(query(`SELECT v.code || ' ' || i.indicator || ' ' || i.status || ' ' || i.note
			FROM run_indicators i JOIN villages v ON v.id = i.village_id WHERE run_id = $1 AND status IN ('pass', 'fail')`, runID), "\n"))
	}
	spatial := []string{"R1", "R2", "R3", "R4", "R5", "W1", "W2", "W3", "W4", "W5", "E2"}
	if n := one(`SELECT count(*) FROM run_indicators i JOIN villages v ON v.id = i.village_id
		WHERE run_id = $1 AND v.office IS NULL AND indicator = ANY ($2) AND status = 'no_data' AND note = $3`, runID, spatial, planning.NoteUnlocated); n != fmt.Sprint(139*len(spatial)) {
		t.Errorf("%s spatial indicators of 未定位 villages no_data %s, want 139 × %d", n, planning.NoteUnlocated, len(spatial))
	}
	wantR1 := []string{}
	for code := range placed {
		wantR1 = append(wantR1, code+" no_data 暂无道路数据")
	}
	for code := range byName {
		wantR1 = append(wantR1, code+" no_data 暂无道路数据")
	}
	wantLines("R1 of the located villages", query(`SELECT v.code || ' ' || i.status || CASE WHEN i.note LIKE '暂无道路数据%' THEN ' 暂无道路数据' ELSE ' ' || i.note END
		FROM run_indicators i JOIN villages v ON v.id = i.village_id WHERE run_id = $1 AND v.office IS NOT NULL AND indicator = 'R1'`, runID), wantR1)
	if n := one(`SELECT count(*) FROM run_scores WHERE run_id = $1 AND (composite IS NOT NULL OR gap_road IS NOT NULL OR gap_water IS NOT NULL
		OR gap_grid IS NOT NULL OR gap_pv IS NOT NULL)`, runID); n != "0" {
		t.Errorf("%s villages have a gap measured from no data", n)
	}
	// The summary: 无数据 for every mean and for the 建档立卡 people no
	// village has a count of; every village 数据不足.
	means, _, _ := strings.Cut(out, "各乡镇村数")
	summaryRows := 0
	for _, line := range strings.Split(means, "\n") {
		f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		switch {
		case len(f) < 3 || f[0] == "乡镇":
		case f[0] == "合计":
			summaryRows++
			if f[2] != "无数据" {
				t.Errorf("合计 建档立卡人口 %q, want 无数据", f[2])
			}
		case len(f) == 11:
			summaryRows++
			if !slices.Equal(f[2:8], []string{"无数据", "无数据", "无数据", "无数据", "无数据", "无数据"}) {
				t.Errorf("a township's 建档立卡人口 and mean gaps are not all 无数据: %q", line)
			}
		}
	}
	if summaryRows != 15 {
		t.Errorf("summary: %d township and 合计 rows, want 15:\n%s", summaryRows, out)
	}
	if c := countsLine(t, out); !slices.Equal(c, []string{"0 / 0 / 161", "0 / 0 / 161", "0 / 0 / 161", "0 / 0 / 161", "0 / 0 / 161"}) {
		t.Errorf("summary counts %q, want every village 数据不足 in every dimension:\n%s", c, out)
	}

	// 6. No project from missing data; the 补充数据 list says what to
	// survey: the 139 村委会 first, then the roads of the located 22.
	out = must("projects", "generate", "--all")
	if !strings.Contains(out, "生成 0 个候选项目") || one(`SELECT count(*) FROM projects`) != "0" {
		t.Errorf("projects generated from no data:\n%s", out)
	}
	out = must("projects", "needs")
	for _, want := range []string{"村·村委会位置：139 个村", "道路·线位：22 个村"} {
		if !strings.Contains(out, want) {
			t.Errorf("补充数据 lacks %q:\n%.3000s", want, out)
		}
	}

	// 7. Exports: real data is not marked synthetic; 未定位 villages are
	// in with null geometry; unknown counts and gaps are blank, not 0.
	gj := filepath.Join(dir, "村.geojson")
	must("export", "--layer", "villages", "--format", "geojson", "--out", gj)
	raw, err := os.ReadFile(gj)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "合成") || strings.Contains(string(raw), "数据性质") {
		t.Errorf("the GeoJSON export calls real data synthetic")
	}
	var fc struct {
		Features []struct {
			Geometry   *struct{ Coordinates []float64 }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	nullGeom := 0
	for _, f := range fc.Features {
		code, _ := f.Properties["code"].(string)
		if f.Geometry == nil {
			nullGeom++
		} else if p := placed[code] + byName[code]; fmt.Sprintf("%.6f,%.6f", f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]) != p {
			t.Errorf("%s exported at %v, located at %q", code, f.Geometry.Coordinates, p)
		}
		for _, k := range []string{"households", "population", "poor_households"} {
			if v, ok := f.Properties[k]; !ok || v != nil {
				t.Errorf("%s %s exported as %v, want null (unknown)", code, k, v)
				break
			}
		}
	}
	if len(fc.Features) != 161 || nullGeom != 139 {
		t.Errorf("GeoJSON export: %d features, %d without geometry; want 161 and 139", len(fc.Features), nullGeom)
	}

	xl := filepath.Join(dir, "村缺口.xlsx")
	must("export", "--layer", "village_gaps", "--format", "xlsx", "--out", xl)
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	notes, err := f.GetRows("说明")
	if err != nil {
		t.Fatal(err)
	}
	credited := false
	for _, r := range notes {
		if len(r) > 0 && r[0] == "数据性质" || strings.Contains(strings.Join(r, " "), "合成") {
			t.Errorf("the XLSX export calls real data synthetic: %q", r)
		}
		credited = credited || len(r) > 1 && r[0] == "署名" && strings.Contains(r[1], "© OpenStreetMap contributors")
	}
	if !credited {
		t.Errorf("the XLSX export does not credit OpenStreetMap for the substations imported with --attribution: %q", notes)
	}
	rows, err := f.GetRows("村缺口评分")
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cell := func(r []string, h string) string {
		i, ok := col[h]
		if !ok {
			t.Fatalf("no column %s in %q", h, rows[0])
		}
		if i < len(r) {
			return r[i] // GetRows drops a row's trailing empty cells
		}
		return ""
	}
	noWKT := 0
	for _, r := range rows[1:] {
		for _, h := range []string{"综合缺口", "通路缺口", "饮水缺口", "农网缺口", "光伏缺口", "建档立卡贫困户数", "建档立卡贫困人口"} {
			if v := cell(r, h); v != "" {
				t.Errorf("%s %s = %q in the XLSX, want blank (unknown)", r[0], h, v)
			}
		}
		if v := cell(r, "数据不足"); v != "通路,饮水,农网,光伏,综合" {
			t.Errorf("%s 数据不足 = %q, want every gap", r[0], v)
		}
		for _, id := range planning.IndicatorIDs {
			if v := cell(r, id+" 判定"); v != planning.ResultTitles[planning.StatusNoData] || cell(r, id+" 实测值") != "" {
				t.Errorf("%s %s = %q %q in the XLSX, want 无数据 and no value", r[0], id, v, cell(r, id+" 实测值"))
			}
		}
		if cell(r, "WKT") == "" {
			noWKT++
		}
	}
	if len(rows) != 162 || noWKT != 139 {
		t.Errorf("XLSX export: %d villages, %d without geometry; want 161 and 139", len(rows)-1, noWKT)
	}
}
