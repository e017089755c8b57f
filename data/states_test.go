package data_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// han matches a Chinese character: every no_data reason is written in Chinese.
var han = regexp.MustCompile(`\p{Han}`)

// scoreAll scores db in full and returns the judgements by village code.
func scoreAll(t *testing.T, db *datatest.DB) (planning.Run, map[string]planning.VillageScore) {
	t.Helper()
	run, scores, err := planning.Score(datatest.Context(), db.Store, planning.DefaultProfile(), asOf2016, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]planning.VillageScore{}
	for _, vs := range scores {
		by[vs.Code] = vs
	}
	if len(by) != 161 {
		t.Fatalf("scored %d villages, want the demo's 161", len(by))
	}
	return run, by
}

// indicatorOf returns indicator id of vs.
func indicatorOf(vs planning.VillageScore, id string) planning.IndicatorScore {
	for _, d := range vs.Dimensions {
		for _, is := range d.Indicators {
			if is.ID == id {
				return is
			}
		}
	}
	return planning.IndicatorScore{}
}

// checkStates holds every judgement to the three-state rules: a no_data
// indicator has a Chinese reason, no score and no veto; a dimension with a
// weighted no_data indicator reports missing weight, and so does the
// village.
func checkStates(t *testing.T, scores map[string]planning.VillageScore) {
	t.Helper()
	for code, vs := range scores {
		anyMissing := false
		for _, d := range vs.Dimensions {
			missing := false
			for _, is := range d.Indicators {
				if is.Status != planning.StatusNoData {
					continue
				}
				if !han.MatchString(is.Note) {
					t.Errorf("%s %s no_data without a Chinese reason: %q", code, is.ID, is.Note)
				}
				if is.Veto || is.Score != nil {
					t.Errorf("%s %s no_data but veto %v, score %v", code, is.ID, is.Veto, is.Score)
				}
				if is.Weight > 0 {
					missing = true
				}
			}
			if missing && !(d.MissingWeight > 0) {
				t.Errorf("%s %s has a weighted no_data indicator but missing_weight %g", code, d.Dimension, d.MissingWeight)
			}
			anyMissing = anyMissing || missing
		}
		if anyMissing && !(vs.MissingWeight > 0) {
			t.Errorf("%s: weighted indicators are no_data but the village's missing_weight is %g", code, vs.MissingWeight)
		}
	}
}

// checkNoProjectFromNoData generates every candidate of run and holds each
// to a measured failure of the indicators it answers.
func checkNoProjectFromNoData(t *testing.T, db *datatest.DB, run planning.Run) {
	t.Helper()
	if _, err := planning.Generate(datatest.Context(), db.Store, planning.DefaultProfile(), run.ID, true); err != nil {
		t.Fatal(err)
	}
	status := storedStatuses(t, db, run.ID)
	for _, rp := range allProjects(t, db, planning.ProjectFilter{}) {
		pr := rp.Project
		answers := pr.Subtype == "危桥改造" // answers no indicator
		for _, id := range pr.SourceIndicators {
			if id == "P3" {
				id = "P1"
			}
			answers = answers || status[pr.VillageCode+":"+id] == planning.StatusFail
		}
		if !answers {
			t.Errorf("%s %s (%g %s) from %v: no measured failure", pr.VillageName, pr.Subtype, pr.Quantity, pr.Unit, pr.SourceIndicators)
		}
	}
}

// TestPartialDataIsNeverAVerdict is issue 16's "done when": the demo with
// roads' surface and width, villages' 户数, 人口 and 建档立卡 counts and the
// transformers' 台区 links NULLed. No indicator passes or fails on data it
// does not have: R1 fails only where even every unknown surface hardened
// would not connect the 村委会 to its seat, R3, R5, W5, P1 and P2 are
// no_data, E1 never reads a missing link as 未通电; every no_data says why
// in Chinese and counts in missing_weight; and no project comes from
// no_data.
func TestPartialDataIsNeverAVerdict(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	mustExec(t, db, `UPDATE roads SET surface = NULL, width_m = NULL`)
	mustExec(t, db, `UPDATE villages SET households = NULL, population = NULL, poor_households = NULL, poor_population = NULL`)
	mustExec(t, db, `UPDATE transformers SET village_id = NULL`)
	run, scores := scoreAll(t, db)

	// Where each 村委会 and seat meet the road graph, and the components of
	// the whole graph (every road counted as if hardened).
	rows, err := db.Pool.Query(ctx, `WITH c AS (SELECT node, component FROM pgr_connectedComponents(
			'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM road_edges')),
		  s AS (SELECT v.code, nearest_road_vertex(v.office, 100, false) AS a, nearest_road_vertex(t.seat, 100, false) AS b
		        FROM villages v JOIN townships t ON t.code = v.township_code WHERE v.kind IN ('行政村', '社区'))
		SELECT s.code, s.a IS NOT NULL AND s.b IS NOT NULL AND (s.a = s.b OR ca.component = cb.component)
		FROM s LEFT JOIN c ca ON ca.node = s.a LEFT JOIN c cb ON cb.node = s.b`)
	if err != nil {
		t.Fatal(err)
	}
	reachable := map[string]bool{}
	var code string
	var ok bool
	if _, err := pgx.ForEachRow(rows, []any{&code, &ok}, func() error { reachable[code] = ok; return nil }); err != nil {
		t.Fatal(err)
	}

	noData, r1Status := map[string]int{}, map[string]int{}
	for code, vs := range scores {
		r1 := indicatorOf(vs, "R1")
		r1Status[r1.Status]++
		switch {
		case r1.Status == planning.StatusPass:
			t.Errorf("%s R1 passes with no road's surface known", code)
		case r1.Status == planning.StatusFail && reachable[code]:
			t.Errorf("%s R1 fails although its roads reach the seat if the unknown surfaces are hardened: %s", code, r1.Note)
		case r1.Status == planning.StatusNoData && !reachable[code]:
			t.Errorf("%s R1 no_data although no road reaches its seat at all: %s", code, r1.Note)
		}
		if r1.Status == planning.StatusFail && !r1.Veto || r1.Status != planning.StatusFail && vs.Dimensions[0].Veto {
			t.Errorf("%s R1 %s with veto %v, dimension veto %v", code, r1.Status, r1.Veto, vs.Dimensions[0].Veto)
		}
		for _, id := range []string{"R2", "R3", "R5", "W5", "P1", "P2", "E1"} {
			is := indicatorOf(vs, id)
			if is.Status == planning.StatusPass || is.Status == planning.StatusFail {
				t.Errorf("%s %s %s on missing data: %s", code, id, is.Status, is.Note)
			}
			if is.Status == planning.StatusNoData {
				noData[id]++
			}
		}
		if e1 := indicatorOf(vs, "E1"); e1.Veto {
			t.Errorf("%s E1 vetoes on missing 台区 links: %s", code, e1.Note)
		}
	}
	for _, id := range []string{"R3", "W5", "P1", "P2", "E1"} {
		if noData[id] == 0 {
			t.Errorf("no village has %s no_data", id)
		}
	}
	if r1Status[planning.StatusNoData] == 0 {
		t.Error("no village has R1 undecided by the unknown surfaces")
	}
	checkStates(t, scores)
	checkNoProjectFromNoData(t, db, run)
	t.Logf("no_data counts: %v; R1: %v", noData, r1Status)
}

// TestEmptyRoadLayerIsNoData: with no road at all, every road indicator
// that reads the network is no_data, never a failure with its veto.
func TestEmptyRoadLayerIsNoData(t *testing.T) {
	db := datatest.NewDemo(t)
	mustExec(t, db, `DELETE FROM roads`)
	run, scores := scoreAll(t, db)
	for code, vs := range scores {
		for _, id := range []string{"R1", "R2", "R3", "R5"} {
			if is := indicatorOf(vs, id); is.Status != planning.StatusNoData && is.Status != planning.StatusNotApplicable ||
				id == "R1" && is.Status != planning.StatusNoData {
				t.Errorf("%s %s %s with no roads loaded: %s", code, id, is.Status, is.Note)
			}
		}
		if vs.Dimensions[0].Veto {
			t.Errorf("%s: 通路 veto with no roads loaded", code)
		}
	}
	checkStates(t, scores)
	checkNoProjectFromNoData(t, db, run)
}

// TestUnlinkedTransformersNearby: transformers without a 台区 link serve
// the village whose settlements they stand within the LV radius of
// (domain.md §4 E1); with links gone, E1 is measured wherever such a
// transformer stands, and never 未通电 for want of a link.
func TestUnlinkedTransformersNearby(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	mustExec(t, db, `UPDATE transformers SET village_id = NULL`)
	_, scores := scoreAll(t, db)
	rows, err := db.Pool.Query(ctx, `SELECT v.code FROM villages v WHERE v.kind IN ('行政村', '社区') AND EXISTS (
			SELECT 1 FROM transformers x, villages g WHERE (g.id = v.id OR g.parent_id = v.id)
			  AND ST_DWithin(x.geom::geography, g.office::geography, 500))`)
	if err != nil {
		t.Fatal(err)
	}
	near, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(near) == 0 {
		t.Fatal("no village has a transformer within 500 m")
	}
	for _, code := range near {
		e1 := indicatorOf(scores[code], "E1")
		if e1.Status != planning.StatusPass && e1.Status != planning.StatusFail || e1.Value == nil || *e1.Value <= 0 {
			t.Errorf("%s E1 %s (%v) with a transformer within 500 m: %s", code, e1.Status, e1.Value, e1.Note)
		}
	}
	for code, vs := range scores {
		if e1 := indicatorOf(vs, "E1"); e1.Veto {
			t.Errorf("%s E1 vetoes with no 台区 link in the county: %s", code, e1.Note)
		}
	}
	checkStates(t, scores)
}

// fixtureScores measures and judges the fixture county as it stands, by
// village code.
func fixtureScores(t *testing.T, db *datatest.DB) (map[string]planning.Facts, map[string]planning.VillageScore) {
	t.Helper()
	p := planning.DefaultProfile()
	facts, _, err := db.Store.VillageFacts(datatest.Context(), p, asOf2016, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs, vs := map[string]planning.Facts{}, map[string]planning.VillageScore{}
	for _, f := range facts {
		fs[f.Code], vs[f.Code] = f, planning.ScoreVillage(f, p)
	}
	return fs, vs
}

// TestFixtureThreeStates walks the hand-checkable fixture (loadFixture)
// through each kind of missing input and checks the state and reason of
// the indicators that read it.
func TestFixtureThreeStates(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	const jia, yi = "430682101201", "430682101202"
	length := func(name string) float64 {
		var m float64
		if err := db.Pool.QueryRow(ctx, `SELECT ST_Length(geom::geography) FROM roads WHERE name = $1`, name).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	expect := func(vs planning.VillageScore, id, status, note string) planning.IndicatorScore {
		t.Helper()
		is := indicatorOf(vs, id)
		if is.Status != status || !strings.Contains(is.Note, note) {
			t.Errorf("%s %s = %s %q, want %s with %q", vs.Name, id, is.Status, is.Note, status, note)
		}
		return is
	}

	// All known: 甲村 reaches its seat only on 砂石 (R1 fails, measured);
	// the county links its transformers, none to 甲村: 未通电. No PV
	// station and no water data in the county: P1, W5 unknown.
	_, vs := fixtureScores(t, db)
	if r1 := expect(vs[jia], "R1", planning.StatusFail, "需硬化约 2.2 km"); !r1.Veto {
		t.Error("甲村 R1 fails without its veto")
	}
	if e1 := expect(vs[jia], "E1", planning.StatusFail, "未通电"); !e1.Veto {
		t.Error("甲村 E1 未通电 without its veto")
	}
	expect(vs[jia], "P1", planning.StatusNoData, "暂无光伏电站数据")
	expect(vs[yi], "W5", planning.StatusNoData, "暂无供水管网和供水工程数据")
	expect(vs[yi], "R4", planning.StatusPass, "有班车的客运站点 800 m")

	// The county road's surface unknown: 乙村 is on it (undecided, with the
	// length that decides); 甲村 stays unconnected even with it hardened,
	// and its build length counts the unknown part.
	mustExec(t, db, `UPDATE roads SET surface = NULL, width_m = NULL WHERE name = 'X001'`)
	fs, vs := fixtureScores(t, db)
	expect(vs[yi], "R1", planning.StatusNoData, "路面类型未知的道路 1 km 决定是否连通")
	expect(vs[yi], "R3", planning.StatusNoData, "是否通硬化路未定")
	if vs[yi].Dimensions[0].Veto || !vs[yi].Dimensions[0].VetoUnknown {
		t.Errorf("乙村 通路 veto %v, veto_unknown %v; want false, true", vs[yi].Dimensions[0].Veto, vs[yi].Dimensions[0].VetoUnknown)
	}
	if u := fs[yi].UnknownSurfaceM; u == nil || *u < 900 || *u > 1000 {
		t.Errorf("乙村 deciding unknown length %v, want ≈968 m", u)
	}
	expect(vs[jia], "R1", planning.StatusFail, "需硬化约 4.2 km（其中路面类型未知 1.9 km）")
	if m, want := fs[jia].UnhardenedM, length("X001")+length("甲村路"); m == nil || math.Abs(*m-want) > 0.01 {
		t.Errorf("甲村 build length %v, want both roads' %.2f m", m, want)
	}

	// Hardened again but of unknown width: R3 cannot be measured.
	mustExec(t, db, `UPDATE roads SET surface = '水泥' WHERE name = 'X001'`)
	_, vs = fixtureScores(t, db)
	expect(vs[yi], "R1", planning.StatusPass, "")
	expect(vs[yi], "R3", planning.StatusNoData, "路面宽度未知 1 km")

	// No road near 甲村's 村委会: straight line to the seat's hardened
	// network × 1.3 (domain.md §1).
	mustExec(t, db, `DELETE FROM roads WHERE name = '甲村路'`)
	fs, vs = fixtureScores(t, db)
	var straight float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_Distance(r.geom::geography, v.office::geography) FROM roads r, villages v
		WHERE r.name = 'X001' AND v.code = $1`, jia).Scan(&straight); err != nil {
		t.Fatal(err)
	}
	expect(vs[jia], "R1", planning.StatusFail, "直线距离 × 绕行系数 1.3")
	if m := fs[jia].UnhardenedM; m == nil || !fs[jia].UnhardenedStraight || math.Abs(*m-1.3*straight) > 0.01 {
		t.Errorf("甲村 build length %v (straight %v), want 1.3 × %.2f m", m, fs[jia].UnhardenedStraight, straight)
	}

	// Bus service: unknown at 乙村's stop (within 1 km) leaves R4 open; a
	// stop known to have no buses fails it; 甲村's 1,200 m stop of unknown
	// service is beyond the radius either way.
	mustExec(t, db, `UPDATE bus_stops SET service = NULL`)
	_, vs = fixtureScores(t, db)
	expect(vs[yi], "R4", planning.StatusNoData, "有无班车（经停线路）未知")
	expect(vs[jia], "R4", planning.StatusFail, "1,000 m 内无有班车的客运站点（最近站点 1,200 m")
	mustExec(t, db, `UPDATE bus_stops SET service = false WHERE name = '乙村站'`)
	mustExec(t, db, `UPDATE bus_stops SET routes = '{临湘—测试}' WHERE name = '甲村站'`)
	_, vs = fixtureScores(t, db)
	expect(vs[yi], "R4", planning.StatusFail, "村委会距最近有班车的客运站点")
	expect(vs[jia], "R4", planning.StatusFail, "村委会距最近有班车的客运站点 1,200 m")

	// No 台区 link in the county: 乙村's transformer 14 m from its office
	// serves it (E1 measured); 甲村 has none within 500 m: unknown, no veto.
	mustExec(t, db, `UPDATE transformers SET village_id = NULL`)
	_, vs = fixtureScores(t, db)
	if e1 := expect(vs[yi], "E1", planning.StatusFail, "无台区关联，按村委会及自然村 500 m 内"); e1.Value == nil || *e1.Value != 1.25 {
		t.Errorf("乙村 E1 value %v, want 100 kVA / 80 户 = 1.25", e1.Value)
	}
	expect(vs[jia], "E1", planning.StatusNoData, "配变未关联所在村（台区）")

	// A seat with no road near it: R1 unknown for its villages, not a
	// failure of each (the seat's position is in doubt).
	mustExec(t, db, `UPDATE townships SET seat = ST_SetSRID(ST_MakePoint(113.45, 29.45), 4490)`)
	_, vs = fixtureScores(t, db)
	for _, code := range []string{jia, yi} {
		expect(vs[code], "R1", planning.StatusNoData, "乡镇驻地 100 m 内无道路")
	}
	mustExec(t, db, `UPDATE townships SET seat = ST_SetSRID(ST_MakePoint(113.50, 29.50), 4490)`)

	// Unknown poor counts: P1/P2 unknown (not 无建档立卡贫困户), and a
	// water failure there would not veto.
	mustExec(t, db, `INSERT INTO pv_stations (name, kw, type, village_id, geom, source_id)
		SELECT '乙村光伏', 100, '村级', id, office, 1 FROM villages WHERE code = $1`, yi)
	mustExec(t, db, `UPDATE villages SET poor_households = NULL, poor_population = NULL WHERE code = $1`, jia)
	_, vs = fixtureScores(t, db)
	expect(vs[jia], "P1", planning.StatusNoData, "建档立卡贫困户数未知")
	expect(vs[jia], "P2", planning.StatusNoData, "建档立卡贫困户数未知")
	expect(vs[yi], "P1", planning.StatusNotApplicable, "无建档立卡贫困户")
	if vs[jia].PoorHouseholds != nil || vs[jia].PoorPopulation != nil {
		t.Errorf("甲村 poor counts %v %v, want unknown", vs[jia].PoorHouseholds, vs[jia].PoorPopulation)
	}
	checkStates(t, vs)
}
