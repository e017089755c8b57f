package data_test

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/audit"
)

// toBuilt is the lifecycle from 需求摸底 to 已完工; 已验收 (the default
// completion state) follows.
var toBuilt = []string{planning.StateVillage, planning.StateTownship, planning.StateReview, planning.StateApproved,
	planning.StateInLibrary, planning.StateAnnualPlan, planning.StateBuilding, planning.StateBuilt}

// newBuiltProject creates a project of subtype with geometry g in the
// fixture's township, ready for library entry, and moves it to 已完工.
func newBuiltProject(t *testing.T, db *datatest.DB, village, subtype, category string, qty float64, g orb.Geometry) planning.Project {
	t.Helper()
	ctx := datatest.Context()
	p, err := db.Store.CreateProject(ctx, planning.Project{
		Name: subtype + "工程", Category: category, Subtype: subtype, Nature: "新建", Year: 2016,
		TownshipCode: "430682101", VillageCode: village, Quantity: qty, CostWan: 10,
		Beneficiaries: planning.Beneficiaries{Households: 300, Population: 1000, PoorHouseholds: 26, PoorPopulation: 80},
		Targets:       []planning.Target{{Level1: "产出指标", Level2: "数量指标", Level3: subtype, Value: "≥1"}},
		Geometry:      g,
	})
	if err != nil {
		t.Fatal(err)
	}
	move(t, db, p.ID, "", toBuilt...)
	return p
}

// move takes project id through states with reason.
func move(t *testing.T, db *datatest.DB, id int64, reason string, states ...string) {
	t.Helper()
	for _, to := range states {
		if _, err := db.Store.Transition(datatest.Context(), id, to, reason); err != nil {
			t.Fatalf("project %d → %s: %v", id, to, err)
		}
	}
}

// tableSum is a checksum of every row of table (an allowlisted name).
func tableSum(t *testing.T, db *datatest.DB, table string) string {
	t.Helper()
	var s string
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT coalesce(md5(string_agg((to_jsonb(x) - 'valid_from')::text, '|' ORDER BY x.id)), '') FROM `+table+` x`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func queryFloat(t *testing.T, db *datatest.DB, sql string, args ...any) float64 {
	t.Helper()
	var v float64
	if err := db.Pool.QueryRow(datatest.Context(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// TestCompleteRoadSplitsAndUndoes: a 通村硬化路 whose path covers the
// middle of a 砂石 road and then runs off every road: at 已验收 the road is
// split in three (lengths summing to the original, by ST_Length), its
// middle paved at the as-built width with the project as source, a new
// road laid off-road; the move is audited and recorded as layer changes;
// moving back to 已完工 restores the roads byte for byte, and is refused
// once a later edit touched a written row.
func TestCompleteRoadSplitsAndUndoes(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	before := tableSum(t, db, "roads")
	var origID int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM roads WHERE name = '甲村路'`).Scan(&origID); err != nil {
		t.Fatal(err)
	}
	origM := queryFloat(t, db, `SELECT ST_Length(geom::geography) FROM roads WHERE id = $1`, origID)
	path := orb.MultiLineString{{{113.52, 29.505}, {113.52, 29.515}}, {{113.52, 29.52}, {113.53, 29.52}}}
	p := newBuiltProject(t, db, "430682101201", "通村硬化路", planning.CatRoad, 1.1, path)
	if n := queryFloat(t, db, `SELECT count(*) FROM project_layer_writes`); n != 0 {
		t.Fatalf("%v rows written before 已验收", n)
	}
	width := 5.0
	if _, err := db.Store.SetAsBuilt(ctx, p.ID, planning.AsBuilt{WidthM: &width, Surface: "沥青", CompletedOn: "2016-06-30"}); err != nil {
		t.Fatal(err)
	}
	bad := 80.0
	if _, err := db.Store.SetAsBuilt(ctx, p.ID, planning.AsBuilt{WidthM: &bad}); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("as-built width 80 m: %v, want invalid", err)
	}
	if got, _ := db.Store.Project(ctx, p.ID); got.AsBuilt.WidthM == nil || *got.AsBuilt.WidthM != 5 {
		t.Errorf("as-built after a refused edit: %+v, want width 5", got.AsBuilt)
	}
	if es, err := db.Store.AuditLog(ctx, audit.Filter{Kind: "project", ID: strconv.FormatInt(p.ID, 10)}); err != nil || len(es) == 0 ||
		es[len(es)-1].Action != "project.asbuilt" || !strings.Contains(string(es[len(es)-1].Detail), `"width_m": 5`) {
		t.Errorf("audit of the as-built edit: %v %v", es, err)
	}
	changesBefore := queryFloat(t, db, `SELECT count(*) FROM layer_changes WHERE layer = 'roads'`)
	move(t, db, p.ID, "", planning.StateAccepted)

	// Independent checks: 甲村路 is now three rows whose lengths sum to
	// the original's; the middle one is the covered 0.01° of latitude.
	var n int
	var sumM float64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), sum(ST_Length(geom::geography)) FROM roads WHERE name = '甲村路'`).Scan(&n, &sumM); err != nil {
		t.Fatal(err)
	}
	if n != 3 || math.Abs(sumM-origM) > 1e-6 {
		t.Errorf("甲村路 is %d rows of %.6f m, want 3 summing to %.6f m", n, sumM, origM)
	}
	var surface, kind string
	var w float64
	var projectID, year int64
	var midM float64
	if err := db.Pool.QueryRow(ctx, `SELECT r.surface, r.width_m, r.year, s.kind, s.project_id, ST_Length(r.geom::geography)
		FROM roads r JOIN sources s ON s.id = r.source_id WHERE r.id = $1`, origID).Scan(&surface, &w, &year, &kind, &projectID, &midM); err != nil {
		t.Fatal(err)
	}
	wantMid := queryFloat(t, db, `SELECT ST_Length(ST_GeomFromText('LINESTRING(113.52 29.505, 113.52 29.515)', 4490)::geography)`)
	if surface != "沥青" || w != 5 || year != 2016 || kind != "project" || projectID != p.ID || math.Abs(midM-wantMid) > 0.01 {
		t.Errorf("covered part: %s %v m wide, %d, source %s/%d, %.2f m; want 沥青 5 m 2016 project/%d %.2f m", surface, w, year, kind, projectID, midM, p.ID, wantMid)
	}
	if n := queryFloat(t, db, `SELECT count(*) FROM roads WHERE name = '甲村路' AND id <> $1 AND surface = '砂石' AND width_m = 3.5 AND source_id = 1`, origID); n != 2 {
		t.Errorf("%v uncovered parts keep the road's attributes and source, want 2", n)
	}
	offRoadM := queryFloat(t, db, `SELECT ST_Length(ST_GeomFromText('LINESTRING(113.52 29.52, 113.53 29.52)', 4490)::geography)`)
	var newM float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_Length(geom::geography) FROM roads WHERE grade = '村道' AND name = '' AND surface = '沥青'`).Scan(&newM); err != nil {
		t.Fatalf("new road: %v", err)
	}
	if math.Abs(newM-offRoadM) > 2 {
		t.Errorf("new road %.1f m, want the off-road part's %.1f m (less the 1 m tolerance)", newM, offRoadM)
	}
	if got := queryFloat(t, db, `SELECT count(*) FROM layer_changes WHERE layer = 'roads'`); got <= changesBefore {
		t.Errorf("layer_changes for roads: %v before, %v after: the next run would not see the change", changesBefore, got)
	}
	var entry audit.Entry
	es, err := db.Store.AuditLog(ctx, audit.Filter{Kind: "project"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == "project.move" && strings.Contains(string(e.Detail), `"已验收"`) {
			entry = e
		}
	}
	var d struct {
		Layers struct {
			CompletedOn string `json:"completed_on"`
			Rows        int    `json:"rows_written"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(entry.Detail, &d); err != nil || d.Layers.Rows != 4 || d.Layers.CompletedOn != "2016-06-30" {
		t.Errorf("audit of 已验收: %s (%v), want 4 rows written on 2016-06-30", entry.Detail, err)
	}
	if _, err := db.Store.SetAsBuilt(ctx, p.ID, planning.AsBuilt{}); planning.ErrorCode(err) != planning.EConflict {
		t.Errorf("as-built after completion: %v, want conflict", err)
	}

	// Undo needs a reason, then restores every row exactly.
	if _, err := db.Store.Transition(ctx, p.ID, planning.StateBuilt, ""); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("undo without a reason: %v", err)
	}
	move(t, db, p.ID, "验收不合格", planning.StateBuilt)
	if after := tableSum(t, db, "roads"); after != before {
		t.Errorf("roads after undo differ from before completion (checksum %s, want %s)", after, before)
	}
	if n := queryFloat(t, db, `SELECT count(*) FROM project_layer_writes`); n != 0 {
		t.Errorf("%v pre-images left after undo", n)
	}

	// Completed again, then edited: undo would overwrite the edit. The
	// undo is dated now (the layers' history keeps the completion and its
	// withdrawal), so completing again takes a date from today on.
	if _, err := db.Store.SetAsBuilt(ctx, p.ID, planning.AsBuilt{WidthM: &width, Surface: "沥青", CompletedOn: time.Now().Format(time.DateOnly)}); err != nil {
		t.Fatal(err)
	}
	move(t, db, p.ID, "", planning.StateAccepted)
	mustExec(t, db, `UPDATE roads SET name = '甲村路（改）' WHERE id = $1`, origID)
	edited := tableSum(t, db, "roads")
	_, err = db.Store.Transition(ctx, p.ID, planning.StateBuilt, "复核")
	if planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "已被修改") {
		t.Errorf("undo after a later edit: %v, want conflict naming the edited row", err)
	}
	if got, _ := db.Store.Project(ctx, p.ID); got.Status != planning.StateAccepted || tableSum(t, db, "roads") != edited {
		t.Errorf("refused undo changed something: status %s", got.Status)
	}
}

// TestCompleteWidensWholeSegment: a 窄路加宽 path along a whole 3.5 m road
// widens that row in place (no split) to the profile's 4.5 m.
func TestCompleteWidensWholeSegment(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	p := newBuiltProject(t, db, "430682101201", "窄路加宽", planning.CatRoad, 2.2,
		orb.LineString{{113.52, 29.50}, {113.52, 29.52}})
	move(t, db, p.ID, "", planning.StateAccepted)
	if n := queryFloat(t, db, `SELECT count(*) FROM roads`); n != 2 {
		t.Errorf("%v roads, want the fixture's 2 (no split)", n)
	}
	if w := queryFloat(t, db, `SELECT width_m FROM roads WHERE name = '甲村路'`); w != 4.5 {
		t.Errorf("width %v, want 4.5", w)
	}
	if w := queryFloat(t, db, `SELECT width_m FROM roads WHERE name = 'X001'`); w != 6.5 {
		t.Errorf("X001 (wide enough, touched at its end) width %v, want 6.5", w)
	}
}

// indicatorStatus is a village's status of an indicator in a run.
func indicatorStatus(t *testing.T, db *datatest.DB, runID int64, code, id string) string {
	t.Helper()
	var s string
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT i.status FROM run_villages rv
		JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
		JOIN villages v ON v.id = rv.village_id WHERE rv.run_id = $1 AND v.code = $2 AND i.indicator = $3`, runID, code, id).Scan(&s); err != nil {
		t.Fatalf("%s %s in run %d: %v", code, id, runID, err)
	}
	return s
}

// completionLayerNames are the layers completion writes.
var completionLayerNames = []string{"roads", "bridges", "bus_stops", "water_works", "water_mains", "power_lines", "transformers", "pv_stations"}

// TestCompleteEachKind: each project kind writes exactly the rows it
// builds (checked by separate SQL), the next incremental scoring run
// closes the indicators they fail, and undoing every completion restores
// every layer byte for byte.
func TestCompleteEachKind(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	// A works near 乙村 whose last test failed, with a main, and a 危桥 near 甲村.
	for _, sql := range []string{
		`INSERT INTO water_works (name, kind, design_m3_per_day, population_served, last_test_date, last_test_passed, geom, source_id)
			VALUES ('乙村水厂', '乡镇水厂', 500, 2000, '2015-01-01', false, ST_SetSRID(ST_MakePoint(113.511, 29.501), 4490), 1)`,
		`INSERT INTO water_mains (works_id, geom, source_id) SELECT id, ST_GeomFromText('LINESTRING(113.511 29.501, 113.511 29.505)', 4490), 1 FROM water_works`,
		`INSERT INTO bridges (name, length_m, condition_class, is_dangerous, geom, source_id)
			VALUES ('甲村桥', 30, 5, true, ST_SetSRID(ST_MakePoint(113.52, 29.51), 4490), 1)`,
	} {
		if err := db.ExecOn(data.Baseline, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	prof := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	run0, _, err := planning.Score(ctx, db.Store, prof, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, l := range completionLayerNames {
		before[l] = tableSum(t, db, l)
	}
	jia, yi := orb.Point{113.52, 29.52}, orb.Point{113.51, 29.50}
	kva, kw, hh, pop := 200.0, 130.0, 26, 1000
	cases := []struct {
		subtype, category, village string
		qty                        float64
		geom                       orb.Geometry
		ab                         planning.AsBuilt
		check                      string // SQL that counts the expected rows: 1 when right
	}{
		{"招呼站", planning.CatRoad, "430682101201", 1, jia, planning.AsBuilt{},
			`SELECT count(*) FROM bus_stops b JOIN sources s ON s.id = b.source_id WHERE s.kind = 'project' AND b.service
			   AND ST_Equals(b.geom, ST_SetSRID(ST_MakePoint(113.52, 29.52), 4490))`},
		{"危桥改造", planning.CatRoad, "430682101201", 30, orb.Point{113.52, 29.51}, planning.AsBuilt{},
			`SELECT count(*) FROM bridges WHERE name = '甲村桥' AND condition_class = 1 AND NOT is_dangerous`},
		{"配变增容", planning.CatGrid, "430682101202", 1, yi, planning.AsBuilt{KVA: &kva},
			`SELECT count(*) FROM transformers t JOIN villages v ON v.id = t.village_id WHERE v.code = '430682101202'
			   AND t.kva = 200 AND t.phases = 3 AND t.name LIKE '配变增容工程%'`},
		{"动力电改造", planning.CatGrid, "430682101201", 0.3, orb.LineString{{113.52, 29.52}, {113.523, 29.52}}, planning.AsBuilt{},
			`SELECT count(*) FROM power_lines WHERE voltage_kv = 0.4 AND phases = 3
			   AND ST_Equals(geom, ST_GeomFromText('LINESTRING(113.52 29.52, 113.523 29.52)', 4490))`},
		{"10kV线路", planning.CatGrid, "430682101201", 1, orb.LineString{{113.52, 29.52}, {113.53, 29.52}}, planning.AsBuilt{},
			`SELECT count(*) FROM power_lines WHERE voltage_kv = 10 AND ST_Length(geom) > 0.0099`},
		{"村级光伏电站", planning.CatPV, "430682101201", 120, jia, planning.AsBuilt{KW: &kw, Households: &hh},
			`SELECT count(*) FROM pv_stations p JOIN villages v ON v.id = p.village_id WHERE v.code = '430682101201'
			   AND p.kw = 130 AND p.type = '村级' AND p.beneficiary_households = 26 AND p.grid_connected`},
		{"单村供水工程", planning.CatWater, "430682101201", 1000, jia, planning.AsBuilt{PopulationServed: &pop, CompletedOn: "2016-05-01"},
			`SELECT count(*) FROM water_works WHERE kind = '单村供水' AND population_served = 1000 AND design_m3_per_day = 60
			   AND last_test_date = '2016-05-01' AND last_test_passed AND treatment = '净化消毒'`},
		{"净化消毒", planning.CatWater, "430682101202", 1, yi, planning.AsBuilt{CompletedOn: "2016-05-01"},
			`SELECT count(*) FROM water_works WHERE name = '乙村水厂' AND treatment = '净化消毒' AND last_test_date = '2016-05-01' AND last_test_passed`},
		{"管网延伸", planning.CatWater, "430682101202", 0.4, orb.LineString{{113.511, 29.505}, {113.515, 29.505}}, planning.AsBuilt{},
			`SELECT count(*) FROM water_mains m JOIN water_works w ON w.id = m.works_id WHERE w.name = '乙村水厂'
			   AND ST_Equals(m.geom, ST_GeomFromText('LINESTRING(113.511 29.505, 113.515 29.505)', 4490))`},
		{"通组硬化路", planning.CatRoad, "430682101201", 1, orb.LineString{{113.53, 29.53}, {113.54, 29.53}}, planning.AsBuilt{},
			`SELECT count(*) FROM roads WHERE grade = '通组路' AND surface = '水泥' AND width_m = 3.5 AND year = extract(year FROM now())
			   AND ST_Equals(geom, ST_GeomFromText('LINESTRING(113.53 29.53, 113.54 29.53)', 4490))`},
		{"通村硬化路", planning.CatRoad, "430682101201", 2.2, orb.LineString{{113.52, 29.50}, {113.52, 29.52}}, planning.AsBuilt{},
			`SELECT count(*) FROM roads WHERE name = '甲村路' AND surface = '水泥' AND width_m = 4.5`},
	}
	var ids []int64
	for _, c := range cases {
		p := newBuiltProject(t, db, c.village, c.subtype, c.category, c.qty, c.geom)
		if _, err := db.Store.SetAsBuilt(ctx, p.ID, c.ab); err != nil {
			t.Fatalf("%s: as-built: %v", c.subtype, err)
		}
		written := queryFloat(t, db, `SELECT count(*) FROM project_layer_writes`)
		move(t, db, p.ID, "", planning.StateAccepted)
		if n := queryFloat(t, db, c.check); n != 1 {
			t.Errorf("%s: check found %v rows, want 1", c.subtype, n)
		}
		if n := queryFloat(t, db, `SELECT count(*) FROM project_layer_writes`) - written; n != 1 {
			t.Errorf("%s: wrote %v rows, want exactly 1", c.subtype, n)
		}
		ids = append(ids, p.ID)
	}
	run1, _, err := planning.Score(ctx, db.Store, prof, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run1.Rescored == 0 || run1.BaseRunID == 0 {
		t.Errorf("run %d: rescored %d, base %v: want an incremental run that rescored the changed villages", run1.ID, run1.Rescored, run1.BaseRunID)
	}
	for _, c := range []struct{ village, id, before, after string }{
		{"430682101201", "R1", planning.StatusFail, planning.StatusPass},
		{"430682101201", "R4", planning.StatusFail, planning.StatusPass},
		{"430682101202", "E1", planning.StatusFail, planning.StatusPass},
		{"430682101201", "P1", planning.StatusNoData, planning.StatusPass},
		{"430682101202", "W2", planning.StatusFail, planning.StatusPass},
	} {
		if b, a := indicatorStatus(t, db, run0.ID, c.village, c.id), indicatorStatus(t, db, run1.ID, c.village, c.id); b != c.before || a != c.after {
			t.Errorf("%s %s: %s → %s, want %s → %s", c.village, c.id, b, a, c.before, c.after)
		}
	}
	for i := len(ids) - 1; i >= 0; i-- {
		move(t, db, ids[i], "撤销验收", planning.StateBuilt)
	}
	for _, l := range completionLayerNames {
		if got := tableSum(t, db, l); got != before[l] {
			t.Errorf("%s after undoing every completion differs from before", l)
		}
	}
}

// TestCompleteDemoRoadsRealisePrediction: every 通村硬化路 project the demo
// county generates, completed, closes R1 in the next incremental run, and
// its village's road gap there is exactly the predicted 缺口后: generation
// predicted it from the project's own completion writes, measured
// (data/predict.go), so the paved road's other effects — it serves groups
// (R2) and people (R5) and becomes the measured path (R3) — are in both.
func TestCompleteDemoRoadsRealisePrediction(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	prof := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	if _, _, err := planning.Score(ctx, db.Store, prof, asOf, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := planning.Generate(ctx, db.Store, prof, 0, true); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT id FROM projects WHERE subtype = '通村硬化路' AND gap_after_est IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("the demo generates no 通村硬化路 project")
	}
	mustExec(t, db, `UPDATE projects SET year = 2016, status = '已入库' WHERE id = ANY ($1)`, ids)
	for _, id := range ids {
		move(t, db, id, "", planning.StateAnnualPlan, planning.StateBuilding, planning.StateBuilt, planning.StateAccepted)
	}
	pending, err := db.Store.Realised(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != len(ids) || pending[0].RunID != 0 || pending[0].Realised != nil {
		t.Errorf("realised before the next run: %d rows, first %+v; want %d without a run", len(pending), pending[0], len(ids))
	}
	run, _, err := planning.Score(ctx, db.Store, prof, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := realisedByProject(t, db)
	for _, id := range ids {
		var name string
		var predicted float64
		var realised *float64
		if err := db.Pool.QueryRow(ctx, `SELECT p.name, p.gap_after_est, s.gap_road FROM projects p
			JOIN run_scores s ON s.village_id = p.village_id AND s.run_id = $2 WHERE p.id = $1`, id, run.ID).Scan(&name, &predicted, &realised); err != nil {
			t.Fatal(err)
		}
		r := byID[id]
		if r.RunID != run.ID || r.Predicted == nil || *r.Predicted != predicted || !sameGap(r.Realised, realised) ||
			r.Diff() == nil || *r.Diff() != 0 || r.Dimension != planning.DimRoad ||
			len(r.Indicators) != 1 || r.Indicators[0] != (planning.IndicatorResult{ID: "R1", Status: planning.StatusPass}) {
			t.Errorf("%s: realised row %+v, want run %d, predicted %v, realised %v", name, r, run.ID, predicted, deref(realised))
		}
		var code string
		if err := db.Pool.QueryRow(ctx, `SELECT v.code FROM projects p JOIN villages v ON v.id = p.village_id WHERE p.id = $1`, id).Scan(&code); err != nil {
			t.Fatal(err)
		}
		if st := indicatorStatus(t, db, run.ID, code, "R1"); st != planning.StatusPass {
			t.Errorf("%s: R1 %s after completion, want pass", name, st)
		}
		var ind []string
		for _, r := range []string{"R2", "R3", "R4", "R5"} {
			ind = append(ind, r+" "+indicatorStatus(t, db, run.ID, code, r))
		}
		t.Logf("%s: predicted 缺口后 %v, realised %v (%s)", name, predicted, deref(realised), strings.Join(ind, ", "))
	}
	t.Logf("%d 通村硬化路 projects completed; run %d rescored %d villages", len(ids), run.ID, run.Rescored)
}

func sameGap(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// TestCompletionStateSetting: a county whose profile sets completion_state
// 已完工 has its projects written into the layers at 已完工 (not at 已验收),
// and undone by 已完工 → 实施中.
func TestCompletionStateSetting(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	if err := db.Store.SetCountyOverrides(ctx, []byte(`{"completion_state": "已完工"}`)); err != nil {
		t.Fatal(err)
	}
	before := tableSum(t, db, "bus_stops")
	p, err := db.Store.CreateProject(ctx, planning.Project{Name: "甲村招呼站", Category: planning.CatRoad, Subtype: "招呼站", Nature: "新建",
		Year: 2016, TownshipCode: "430682101", VillageCode: "430682101201", Quantity: 1, CostWan: 3,
		Targets: []planning.Target{{Level1: "产出指标", Level3: "招呼站", Value: "1 座"}}, Geometry: orb.Point{113.52, 29.52}})
	if err != nil {
		t.Fatal(err)
	}
	move(t, db, p.ID, "", toBuilt[:len(toBuilt)-1]...)
	if n := queryFloat(t, db, `SELECT count(*) FROM bus_stops`); n != 2 {
		t.Fatalf("%v stops at 实施中, want the fixture's 2", n)
	}
	move(t, db, p.ID, "", planning.StateBuilt)
	if n := queryFloat(t, db, `SELECT count(*) FROM bus_stops`); n != 3 {
		t.Errorf("%v stops at 已完工, want 3", n)
	}
	move(t, db, p.ID, "", planning.StateAccepted)
	if n := queryFloat(t, db, `SELECT count(*) FROM bus_stops`); n != 3 {
		t.Errorf("%v stops at 已验收, want still 3 (written once)", n)
	}
	move(t, db, p.ID, "复核", planning.StateBuilt, planning.StateBuilding)
	if tableSum(t, db, "bus_stops") != before {
		t.Error("bus_stops after 已完工 → 实施中 differ from before")
	}
}
