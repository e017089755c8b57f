package data_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

var asOf2016 = time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)

func scoreAndGenerate(t *testing.T, db *datatest.DB) planning.GenerateReport {
	t.Helper()
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	if _, _, err := planning.Score(ctx, db.Store, p, asOf2016, false, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := planning.Generate(ctx, db.Store, p, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func allProjects(t *testing.T, db *datatest.DB, f planning.ProjectFilter) []planning.RankedProject {
	t.Helper()
	page, err := db.Store.Projects(datatest.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(page.Projects) && f.Limit == 0 {
		t.Fatalf("listing without a limit returned %d of %d", len(page.Projects), page.Total)
	}
	return page.Projects
}

// TestGenerateGravelRoad: a village whose only link to its seat is 2.3 km
// of 砂石 road gets one 通村硬化路 project of 2.3 km at the profile price.
func TestGenerateGravelRoad(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	// Move 甲村 to exactly 2,300 m north of the hardened road's end.
	mustExec(t, db, `UPDATE villages SET office = ST_Project(ST_SetSRID(ST_MakePoint(113.52, 29.50), 4490)::geography, 2300, 0)::geometry
		WHERE code = '430682101201'`)
	mustExec(t, db, `UPDATE roads SET geom = ST_MakeLine(ST_SetSRID(ST_MakePoint(113.52, 29.50), 4490),
		(SELECT office FROM villages WHERE code = '430682101201')) WHERE name = '甲村路'`)
	rep := scoreAndGenerate(t, db)
	if rep.Added == 0 || rep.Added != rep.Candidates {
		t.Fatalf("report %+v: want every candidate added", rep)
	}

	roads := allProjects(t, db, planning.ProjectFilter{Village: "430682101201", Category: planning.CatRoad})
	var hardening []planning.Project
	for _, p := range roads {
		if p.Subtype == "通村硬化路" {
			hardening = append(hardening, p.Project)
		}
	}
	if len(hardening) != 1 {
		t.Fatalf("甲村 has %d 通村硬化路 projects, want 1: %+v", len(hardening), roads)
	}
	p := hardening[0]
	price := planning.DefaultProfile().Prices.RoadKm.Value
	if p.Quantity != 2.30 || p.Unit != "km" || p.UnitPriceWan != price || p.CostWan != math.Round(2.30*price*100)/100 {
		t.Errorf("project sized %g %s × %g 万元 = %g 万元, want 2.30 km × %g = %g", p.Quantity, p.Unit, p.UnitPriceWan, p.CostWan, price, 2.30*price)
	}
	if p.PriceSource != planning.SourceEstimated {
		t.Errorf("price source %q, want estimated (domain.md marks 50 万元/km [E])", p.PriceSource)
	}
	if p.GapBefore == nil || *p.GapBefore != 100 || p.GapAfter == nil || *p.GapAfter >= 100 {
		t.Errorf("通路 gap %v → %v, want 100 (R1 veto) → below 100", p.GapBefore, p.GapAfter)
	}
	if p.Households != 300 || p.Population != 1000 || p.PoorHouseholds != 26 || p.PoorPopulation != 80 {
		t.Errorf("beneficiaries %+v, want 300/1000 of which 26/80 建档立卡", p.Beneficiaries)
	}
	if p.ResponsibleUnit != "县交通运输局" || p.Status != planning.StateSurvey || len(p.Targets) == 0 || !strings.HasPrefix(p.Code, "430682-") {
		t.Errorf("unit %q, status %q, %d targets, code %q", p.ResponsibleUnit, p.Status, len(p.Targets), p.Code)
	}
	if len(p.SourceIndicators) != 1 || p.SourceIndicators[0] != "R1" || p.TownshipName != "测试镇" || p.VillageName != "甲村" {
		t.Errorf("traceability %v, place %s %s", p.SourceIndicators, p.TownshipName, p.VillageName)
	}
	var geomM float64
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT ST_Length(geom::geography) FROM projects WHERE id = $1`, p.ID).Scan(&geomM); err != nil {
		t.Fatal(err)
	}
	if math.Abs(geomM-2300) > 1 {
		t.Errorf("project geometry is %.1f m long, want the 2,300 m gravel road", geomM)
	}
	// 甲村's stop is 1,200 m away: a 招呼站 at the profile price.
	var stops int
	for _, r := range roads {
		if r.Subtype == "招呼站" && r.CostWan == planning.DefaultProfile().Prices.BusStop.Value {
			stops++
		}
	}
	if stops != 1 {
		t.Errorf("甲村 has %d 招呼站 projects at the stop price, want 1", stops)
	}
}

func TestGenerateDemoIsIdempotentAndKeepsBureauRows(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	rep := scoreAndGenerate(t, db)
	if rep.Candidates < 50 || rep.Added != rep.Candidates || rep.CostWan <= 0 {
		t.Fatalf("first generation %+v: want many candidates, all added", rep)
	}
	ps := allProjects(t, db, planning.ProjectFilter{})
	cats := map[string]int{}
	for _, p := range ps {
		cats[p.Category]++
		if err := p.Validate(); err != nil {
			t.Errorf("%s %s: %v", p.Key, p.Name, err)
		}
		if len(p.Targets) == 0 || p.GapBefore == nil || p.GapAfter == nil || *p.GapAfter > *p.GapBefore {
			t.Errorf("%s: %d targets, gap %v → %v", p.Key, len(p.Targets), p.GapBefore, p.GapAfter)
		}
		if p.DependsOn != "" && !hasKey(ps, p.DependsOn) {
			t.Errorf("%s depends on %s, which was not generated", p.Key, p.DependsOn)
		}
	}
	subtypes := map[string]int{}
	for _, p := range ps {
		subtypes[p.Subtype]++
	}
	t.Logf("demo: %d candidates, %.2f 万元; by subtype %v", rep.Candidates, rep.CostWan, subtypes)
	for _, c := range []string{planning.CatRoad, planning.CatWater, planning.CatGrid, planning.CatPV} {
		if cats[c] == 0 {
			t.Errorf("no %s candidates in the demo county; by category %v", c, cats)
		}
	}

	// A bureau takes one row forward; generating again leaves it alone.
	taken := ps[0].Project
	if _, err := db.Store.Transition(ctx, taken.ID, planning.StateVillage, ""); err != nil {
		t.Fatal(err)
	}
	again, err := planning.Generate(ctx, db.Store, planning.DefaultProfile(), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Added != 0 || again.Removed != 0 || again.Kept != 1 || again.Updated != again.Candidates-1 {
		t.Errorf("second generation %+v: want nothing added or removed, 1 kept, the rest updated", again)
	}
	if n := len(allProjects(t, db, planning.ProjectFilter{})); n != len(ps) {
		t.Errorf("library has %d projects after generating again, want %d", n, len(ps))
	}

	// Data changed after the run: sizing now would not match its scores.
	mustExec(t, db, `UPDATE roads SET surface = '水泥' WHERE id = (SELECT min(id) FROM roads WHERE surface = '砂石')`)
	_, err = planning.Generate(ctx, db.Store, planning.DefaultProfile(), 0, false)
	if planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "重新评分") {
		t.Errorf("generate after an edit: %v; want a conflict asking to re-score", err)
	}
}

func hasKey(ps []planning.RankedProject, key string) bool {
	for _, p := range ps {
		if p.Key == key {
			return true
		}
	}
	return false
}

func TestRankingsAreSeparate(t *testing.T) {
	db := datatest.NewDemo(t)
	scoreAndGenerate(t, db)
	for _, c := range []struct {
		sort string
		key  func(planning.RankedProject) float64
		rank func(planning.RankedProject) int
	}{
		{planning.RankNeed, func(p planning.RankedProject) float64 { return *p.GapBefore }, func(p planning.RankedProject) int { return p.RankNeed }},
		{planning.RankPoor, func(p planning.RankedProject) float64 { return float64(p.PoorPopulation) }, func(p planning.RankedProject) int { return p.RankPoor }},
		{planning.RankValue, func(p planning.RankedProject) float64 { return p.ValueForMoney() }, func(p planning.RankedProject) int { return p.RankValue }},
	} {
		ps := allProjects(t, db, planning.ProjectFilter{Sort: c.sort})
		for i := 1; i < len(ps); i++ {
			if c.key(ps[i]) > c.key(ps[i-1])+1e-9 || c.rank(ps[i]) <= c.rank(ps[i-1]) {
				t.Fatalf("sort %s: row %d (%g, rank %d) after row %d (%g, rank %d)", c.sort,
					i, c.key(ps[i]), c.rank(ps[i]), i-1, c.key(ps[i-1]), c.rank(ps[i-1]))
			}
		}
		if c.rank(ps[0]) != 1 {
			t.Errorf("sort %s starts at rank %d", c.sort, c.rank(ps[0]))
		}
	}
	// Filters narrow the set the ranks are taken over.
	pv := allProjects(t, db, planning.ProjectFilter{Category: planning.CatPV, Sort: planning.RankValue})
	if len(pv) == 0 || pv[0].RankValue != 1 || pv[0].Category != planning.CatPV {
		t.Errorf("PV ranking: %d rows, first %+v", len(pv), pv[0])
	}
	if _, err := db.Store.Projects(datatest.Context(), planning.ProjectFilter{Sort: "cost; DROP TABLE projects"}); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("unknown sort: %v, want invalid", err)
	}
}

func TestProjectLifecycle(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	p, err := db.Store.CreateProject(ctx, planning.Project{
		Name: "甲村产业路", Category: planning.CatRoad, Nature: "新建", TownshipCode: "430682101", VillageCode: "430682101201",
		Quantity: 1.2, Unit: "km", UnitPriceWan: 50, CostWan: 60, Beneficiaries: planning.Beneficiaries{Households: 300, Population: 1000, PoorHouseholds: 26, PoorPopulation: 80},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != planning.StateSurvey || p.Code != fmt.Sprintf("430682-%05d", p.ID) || p.VillageName != "甲村" {
		t.Fatalf("created %+v", p)
	}
	step := func(to, reason string) error {
		_, err := db.Store.Transition(ctx, p.ID, to, reason)
		return err
	}
	if err := step(planning.StateInLibrary, ""); planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "不能直接转为") {
		t.Errorf("skip to 已入库: %v", err)
	}
	for _, to := range []string{planning.StateVillage, planning.StateTownship, planning.StateReview, planning.StateApproved} {
		if err := step(to, ""); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	if err := step(planning.StateInLibrary, ""); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "绩效目标") {
		t.Errorf("入库 without 绩效目标: %v", err)
	}
	p, _ = db.Store.Project(ctx, p.ID)
	p.Targets = []planning.Target{{Level1: "产出指标", Level2: "数量指标", Level3: "新建产业路", Value: "≥1.2 km"}}
	if p, err = db.Store.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := step(planning.StateInLibrary, ""); err != nil {
		t.Fatal(err)
	}
	if err := step(planning.StateAnnualPlan, ""); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("年度计划 without a year: %v", err)
	}
	// An edit that would break the library's rules is refused and changes nothing.
	p, _ = db.Store.Project(ctx, p.ID)
	noTargets := p
	noTargets.Targets = nil
	if _, err := db.Store.UpdateProject(ctx, noTargets); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "绩效目标") {
		t.Errorf("removing the 绩效目标 of a library project: %v", err)
	}
	if after, _ := db.Store.Project(ctx, p.ID); len(after.Targets) != 1 {
		t.Errorf("failed edit left %d targets", len(after.Targets))
	}
	if err := step(planning.StateWithdrawn, ""); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("出库 without a reason: %v", err)
	}
	if err := step(planning.StateWithdrawn, "村庄整体搬迁"); err != nil {
		t.Fatal(err)
	}
	p, _ = db.Store.Project(ctx, p.ID)
	if p.Status != planning.StateWithdrawn || p.ExitReason != "村庄整体搬迁" {
		t.Errorf("after 出库: status %q reason %q", p.Status, p.ExitReason)
	}
	ts, err := db.Store.Transitions(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 6 || ts[0].From != planning.StateSurvey || ts[5].To != planning.StateWithdrawn || ts[5].Reason != "村庄整体搬迁" || ts[5].Actor != "test（命令行）" {
		t.Errorf("transitions %+v", ts)
	}
	if err := db.Store.DeleteProject(ctx, p.ID); planning.ErrorCode(err) != planning.EConflict {
		t.Errorf("deleting a project past 需求摸底: %v", err)
	}
	if _, err := db.Store.CreateProject(ctx, planning.Project{Name: "x", Category: planning.CatRoad, Nature: "新建", TownshipCode: "999999999"}); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("unknown township: %v", err)
	}
}

// TestProjectGeometryRefused: a project's shape that PostGIS holds invalid
// (a self-crossing ring) or that no projection can take (1e308, an open
// ring) is refused with 400 naming the geometry, on create and on update,
// and nothing is written: one such row made every Gauss-Krüger export fail
// (issue 23).
func TestProjectGeometryRefused(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	good := planning.Project{Name: "甲村产业路", Category: planning.CatRoad, Nature: "新建", TownshipCode: "430682101",
		Geometry: orb.LineString{{113.40, 29.40}, {113.41, 29.41}}}
	p, err := db.Store.CreateProject(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	bowtie := orb.Polygon{{{113.4, 29.4}, {113.5, 29.5}, {113.5, 29.4}, {113.4, 29.5}, {113.4, 29.4}}}
	for name, g := range map[string]orb.Geometry{
		"self-crossing ring": bowtie,
		"1e308":              orb.Point{1e308, 1e308},
		"open ring":          orb.Polygon{{{113.4, 29.4}, {113.5, 29.4}, {113.5, 29.5}, {113.45, 29.45}}},
	} {
		bad := good
		bad.Geometry = g
		if _, err := db.Store.CreateProject(ctx, bad); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "几何（geometry）") {
			t.Errorf("create with a %s: %v, want EInvalid naming 几何（geometry）", name, err)
		}
		bad.ID = p.ID
		if _, err := db.Store.UpdateProject(ctx, bad); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "几何（geometry）") {
			t.Errorf("update with a %s: %v, want EInvalid naming 几何（geometry）", name, err)
		}
	}
	var n int
	var valid bool
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), bool_and(ST_IsValid(geom)) FROM projects`).Scan(&n, &valid); err != nil || n != 1 || !valid {
		t.Errorf("projects after the refusals: %d rows, all valid %v, err %v; want the one good row", n, valid, err)
	}
}

// TestProjectOutsideCountyRefused: once the county outline is loaded, a
// project's shape in China but more than the margin outside the county
// (a typo, a GCJ-02 point) is refused on create and update naming the
// coordinate and the distance, and nothing is written; a shape inside
// goes in.
func TestProjectOutsideCountyRefused(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var before int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM projects`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	inside := planning.Project{Name: "县内产业路", Category: planning.CatRoad, Nature: "新建",
		Geometry: orb.LineString{{113.45, 29.48}, {113.46, 29.49}}}
	p, err := db.Store.CreateProject(ctx, inside)
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]orb.Geometry{
		"point 100 km away":       orb.Point{112.4, 29.5},
		"line leaving the county": orb.LineString{{113.45, 29.48}, {116.0, 29.5}},
	} {
		bad := inside
		bad.Geometry = g
		_, err := db.Store.CreateProject(ctx, bad)
		if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "几何（geometry）的坐标") ||
			!strings.Contains(planning.ErrorMessage(err), "位于县界外") {
			t.Errorf("create, %s: %v", name, err)
		}
		bad.ID = p.ID
		if _, err := db.Store.UpdateProject(ctx, bad); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "位于县界外") {
			t.Errorf("update, %s: %v", name, err)
		}
	}
	var after int
	var x float64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), (SELECT ST_XMax(geom) FROM projects WHERE id = $1) FROM projects`, p.ID).Scan(&after, &x); err != nil {
		t.Fatal(err)
	}
	if after != before+1 || x != 113.46 {
		t.Errorf("after the refusals: %d projects (want %d), the good one reaching %v (want 113.46)", after, before+1, x)
	}
}
