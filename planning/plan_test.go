package planning_test

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// planStore is a LibraryStore that lists a fixed page of projects, which is
// all MakePlan reads unless it applies the plan.
type planStore struct {
	planning.LibraryStore
	page planning.ProjectPage
}

func (s planStore) Projects(context.Context, planning.ProjectFilter) (planning.ProjectPage, error) {
	return s.page, nil
}

// TestMakePlanSolverRefuses checks that input the solver refuses reaches the
// user as an invalid-input error carrying the solver's message unchanged.
func TestMakePlanSolverRefuses(t *testing.T) {
	project := func(id int64, status string, year int, dependsOn string) planning.RankedProject {
		return planning.RankedProject{Project: planning.Project{ID: id, Key: string(rune('a' + id - 1)), DependsOn: dependsOn,
			Status: status, Year: year, CostWan: 6}}
	}
	cases := []struct {
		name     string
		projects []planning.RankedProject
		want     string
	}{
		{"annual plan over budget", []planning.RankedProject{
			project(1, planning.StateAnnualPlan, 2016, ""), project(2, planning.StateAnnualPlan, 2016, "")},
			"2016 年度预算 10.00 万元，已被固定年度的项目占用 12.00 万元，超出上限"},
		{"circular dependency", []planning.RankedProject{
			project(1, planning.StateSurvey, 0, "b"), project(2, planning.StateSurvey, 0, "a")},
			"项目前置关系（After）存在循环：1 → 2 → 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := planStore{page: planning.ProjectPage{Projects: tc.projects}}
			req := planning.PlanRequest{Years: []int{2016, 2017}, Budgets: map[string]float64{"2016": 10, "2017": 10}}
			_, err := planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req)
			if code, msg := planning.ErrorCode(err), planning.ErrorMessage(err); code != planning.EInvalid || msg != tc.want {
				t.Errorf("MakePlan: code %q, message %q; want %q, %q (err %v)", code, msg, planning.EInvalid, tc.want, err)
			}
		})
	}
}

// TestPlanYearWire pins the JSON shape of a plan year, which the API
// returns, and the line the CLI prints for it.
func TestPlanYearWire(t *testing.T) {
	y := planning.PlanYear{Year: 2016, BudgetWan: 3000, SpentWan: 2999.5,
		BySource: map[string]float64{"": 2000, "中央": 999.5}, Items: 12, Value: 345.25}
	got, err := json.Marshal(y)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"year":2016,"budget_wan":3000,"spent_wan":2999.5,"by_source":{"":2000,"中央":999.5},"items":12,"value":345.25}`
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
	if got, want := y.String(), "2016 年：12 个项目，2999.50 / 3000.00 万元"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// schedulingStore records what applying a plan writes.
type schedulingStore struct {
	planStore
	written map[int64]planning.Scheduled
}

func (s *schedulingStore) ScheduleProjects(_ context.Context, plan map[int64]planning.Scheduled) error {
	s.written = plan
	return nil
}

// TestMakePlanLeftOutReasons gives every project the plan leaves out its
// reason, in Chinese with the figures, and spends what the gap closure
// leaves on the projects that serve people, unless told not to.
func TestMakePlanLeftOutReasons(t *testing.T) {
	gap := func(x float64) *float64 { return &x }
	project := func(id int64, key string, cost float64, town string, poor, pop int, closes float64) planning.RankedProject {
		return planning.RankedProject{Project: planning.Project{ID: id, Key: key, Code: "430682-0000" + key, Name: "项目" + key,
			Status: planning.StateSurvey, CostWan: cost, TownshipCode: town, TownshipName: town,
			Beneficiaries: planning.Beneficiaries{Population: pop, PoorPopulation: poor},
			GapBefore:     gap(closes), GapAfter: gap(0)}}
	}
	a := project(1, "a", 50, "T1", 100, 300, 50) // closes most: built first
	b := project(2, "b", 80, "T2", 100, 300, 10) // closes a gap, but 80 > 100 − 50
	f := project(3, "f", 20, "T2", 5, 100, 0)    // closes nothing, serves people: built with the money left
	c := project(4, "c", 15, "T1", 10, 50, 0)    // fits the year, not T1's cap of 60 beside a
	w := project(5, "w", 5, "T2", 3, 40, 0)      // after b, which is left out
	w.DependsOn = "b"
	z := project(6, "z", 1, "T2", 0, 0, 0) // closes nothing, serves no one
	x := project(7, "x", 3, "T2", 10, 30, 0)
	x.Status, x.ExitReason = planning.StateWithdrawn, "重复申报"
	n := project(8, "n", 0, "T2", 10, 30, 0) // not priced
	v := project(9, "v", 2, "T2", 10, 30, 0) // after x, which is withdrawn
	v.DependsOn = "x"
	old := project(10, "o", 40, "T2", 10, 30, 20) // in 2015's annual plan: not this plan's
	old.Status, old.Year = planning.StateAnnualPlan, 2015
	store := &schedulingStore{planStore: planStore{page: planning.ProjectPage{Projects: []planning.RankedProject{
		a, b, f, c, w, z, x, n, v, old}}}}
	req := planning.PlanRequest{Years: []int{2016}, Budgets: map[string]float64{"2016": 100}, TownshipCap: 60, Apply: true}

	plan, err := planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	chosen := map[string]int{}
	for _, r := range plan.Rows {
		chosen[r.Code[len(r.Code)-1:]] = r.Tier
	}
	if want := map[string]int{"a": 1, "f": 2}; !maps.Equal(chosen, want) {
		t.Errorf("chosen (tier) = %v, want %v", chosen, want)
	}
	if plan.FillChosen != 1 || plan.FillCostWan != 20 || plan.UnspentWan != 30 || !plan.Optimal || !plan.FillOptimal {
		t.Errorf("fill %d projects, %.2f 万元, unspent %.2f, optimal %v/%v: want 1, 20, 30, proven",
			plan.FillChosen, plan.FillCostWan, plan.UnspentWan, plan.Optimal, plan.FillOptimal)
	}
	type out struct{ code, reason string }
	want := map[string]out{
		"b": {planning.OutOverBudget, "超出预算：需 80.00 万元，剩余 2016 年 30.00 万元"},
		"c": {planning.OutOverCap, "超出资金来源预算或乡镇年度上限：需 15.00 万元，剩余 2016 年乡镇 T1 投资上限 10.00 万元"},
		"w": {planning.OutWaits, "等待前置项目 430682-0000b 项目b：前置项目未入选"},
		"z": {planning.OutNoEffect, "无实际效果：不缩小计分缺口，也无受益人口"},
		"x": {planning.OutWithdrawn, "已出库：重复申报"},
		"n": {planning.OutNoCost, "未估算投资，无法安排"},
		"v": {planning.OutWaits, "等待前置项目 430682-0000x 项目x：已出库：重复申报"},
	}
	got := map[string]out{}
	for _, o := range plan.LeftOut {
		got[o.Code[len(o.Code)-1:]] = out{o.ReasonCode, o.Reason}
	}
	if !maps.Equal(got, want) {
		t.Errorf("left out =\n%v\nwant\n%v", got, want)
	}
	// Applying writes each considered project's year or reason; withdrawn,
	// unpriced and settled projects are not the plan's to write.
	keyOf := map[int64]string{}
	for _, p := range store.page.Projects {
		keyOf[p.ID] = p.Key
	}
	written := map[string]planning.Scheduled{}
	for id, s := range store.written {
		written[keyOf[id]] = s
	}
	wantWritten := map[string]planning.Scheduled{"a": {Year: 2016}, "f": {Year: 2016},
		"b": {Reason: want["b"].reason}, "c": {Reason: want["c"].reason}, "w": {Reason: want["w"].reason},
		"z": {Reason: want["z"].reason}, "v": {Reason: want["v"].reason}}
	if !maps.Equal(written, wantWritten) {
		t.Errorf("applied =\n%v\nwant\n%v", written, wantWritten)
	}

	// Told not to fill, the plan builds only what closes a gap and says so.
	req.Fill, req.Apply = planning.FillNone, false
	plan, err = planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]out{}
	for _, o := range plan.LeftOut {
		got[o.Code[len(o.Code)-1:]] = out{o.ReasonCode, o.Reason}
	}
	for _, k := range []string{"f", "c"} {
		if g := got[k]; g.code != planning.OutNotCounted || g.reason != "不缩小计分缺口，本次规划只安排缩小缺口的项目（fill=none）" {
			t.Errorf("fill=none: %s left out as %v", k, g)
		}
	}
	if plan.Chosen != 1 || plan.FillChosen != 0 || plan.UnspentWan != 50 {
		t.Errorf("fill=none: %d chosen (%d fill), %.2f unspent; want a alone, 50 unspent", plan.Chosen, plan.FillChosen, plan.UnspentWan)
	}

	// Only the library: the rest are not yet in it.
	req.Fill, req.LibraryOnly = "", true
	plan, err = planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	if o := plan.LeftOut[0]; o.ReasonCode != planning.OutNotInLibrary || o.Reason != "尚未入库（当前为“需求摸底”），本次只规划已入库项目" {
		t.Errorf("library only: %+v", o)
	}

	req.Fill = "all"
	if _, err := planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("fill=all: %v, want invalid", err)
	}
}

// TestMakePlanRefusesNonFiniteBudgets: NaN passed the "< 0" test (the CLI's
// --budget NaN parses) and reached the search; ±Inf is no budget either,
// nor is 1e308, which made a plan's sums +Inf (found by
// TestMalformedInputNever5xx, seed 686248179: a 500 on saving the 方案).
func TestMakePlanRefusesNonFiniteBudgets(t *testing.T) {
	store := planStore{}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 1e308, 1.0000001e9} {
		for name, req := range map[string]planning.PlanRequest{
			"budgets": {Years: []int{2016}, Budgets: map[string]float64{"2016": v}},
			"source_budgets": {Years: []int{2016}, Budgets: map[string]float64{"2016": 10},
				SourceBudgets: map[string]map[string]float64{"2016": {"中央": v}}},
			"township_cap": {Years: []int{2016}, Budgets: map[string]float64{"2016": 10}, TownshipCap: v},
		} {
			_, err := planning.MakePlan(context.Background(), store, planning.DefaultProfile(), req)
			if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(planning.ErrorMessage(err), "应为非负的万元数") {
				t.Errorf("%s %v: %v, want EInvalid", name, v, err)
			}
		}
	}
}
