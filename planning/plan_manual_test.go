package planning_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// manualStore is a library of four projects: a, b and c close gaps (a the
// most), d closes none and serves no one; b depends on c (c's Key "c").
func manualStore() planStore {
	gap := func(v float64) *float64 { return &v }
	p := func(id int64, code, key, dependsOn string, cost, before float64, poor int) planning.RankedProject {
		return planning.RankedProject{Project: planning.Project{ID: id, Code: code, Name: "项目" + code, Key: key, DependsOn: dependsOn,
			Status: planning.StateInLibrary, CostWan: cost, GapBefore: gap(before), GapAfter: gap(0), Beneficiaries: planning.Beneficiaries{PoorPopulation: poor}}}
	}
	return planStore{page: planning.ProjectPage{Projects: []planning.RankedProject{
		p(1, "A", "a", "", 6, 100, 50), p(2, "B", "b", "c", 3, 50, 10), p(3, "C", "c", "", 3, 40, 10), p(4, "D", "d", "", 2, 0, 0),
	}}}
}

// chosen maps each chosen project's code to its year, and each left-out
// one's to its reason code.
func chosen(p planning.Plan) (years map[string]int, out map[string]string) {
	years, out = map[string]int{}, map[string]string{}
	for _, r := range p.Rows {
		years[r.Code] = r.Year
	}
	for _, o := range p.LeftOut {
		out[o.Code] = o.ReasonCode
	}
	return years, out
}

// TestPlanIncludeExclude: 排除 leaves a project out as 人工排除 (and its
// dependent waits for it), 纳入 fixes a project the search would leave out
// in the earliest year it fits, and one that cannot fit is refused naming
// it. The expected plans are worked out by hand from the four projects.
func TestPlanIncludeExclude(t *testing.T) {
	ctx := context.Background()
	store := manualStore()
	base := planning.PlanRequest{Years: []int{2016, 2017}, Budgets: map[string]float64{"2016": 6, "2017": 6}, Fill: planning.FillNone}

	// Without a hand: a (6) in 2016; b needs c, together 6, in 2017; d is no use.
	p, err := planning.MakePlan(ctx, store, planning.DefaultProfile(), base)
	if err != nil {
		t.Fatal(err)
	}
	years, out := chosen(p)
	if years["A"] != 2016 || years["B"] != 2017 || years["C"] != 2017 || out["D"] != planning.OutNotCounted && out["D"] != planning.OutNoEffect {
		t.Fatalf("plain plan: years %v, left out %v", years, out)
	}

	// 排除 C: B waits for it, A stays; both show why.
	req := base
	req.Exclude = []int64{3}
	p, err = planning.MakePlan(ctx, store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	years, out = chosen(p)
	if out["C"] != planning.OutManual || out["B"] != planning.OutWaits || years["A"] != 2016 {
		t.Errorf("exclude C: years %v, left out %v; want C 人工排除, B waiting, A in 2016", years, out)
	}
	for _, o := range p.LeftOut {
		if o.Code == "C" && o.Reason != "人工排除" || o.Code == "B" && !strings.Contains(o.Reason, "人工排除") {
			t.Errorf("reason of %s: %q", o.Code, o.Reason)
		}
	}
	if s := p.Schedule(); s[3].Reason != "人工排除" || s[3].Year != 0 {
		t.Errorf("applying the plan writes %+v for the excluded C", s[3])
	}

	// 纳入 D (the search would never build it): it takes 2016 first, so A
	// (6) no longer fits in 2016 and moves to 2017; C (3) fits beside D in
	// 2016, and B, which needs C, fits nowhere.
	req = base
	req.Include = []int64{4}
	p, err = planning.MakePlan(ctx, store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	years, out = chosen(p)
	if years["D"] != 2016 || years["A"] != 2017 || years["C"] != 2016 || out["B"] == "" {
		t.Errorf("include D: years %v, left out %v; want D and C 2016, A 2017, B out", years, out)
	}
	for _, r := range p.Rows {
		if r.Included != (r.Code == "D") {
			t.Errorf("row %s Included = %v", r.Code, r.Included)
		}
	}

	// 纳入 a project bigger than any year's budget: refused, naming it.
	small := base
	small.Budgets = map[string]float64{"2016": 5, "2017": 5}
	small.Include = []int64{1}
	_, err = planning.MakePlan(ctx, store, planning.DefaultProfile(), small)
	if code, msg := planning.ErrorCode(err), planning.ErrorMessage(err); code != planning.EInvalid || !strings.Contains(msg, "项目 A 项目A 不能纳入（需 6.00 万元）") {
		t.Errorf("include A over budget: %q %q", code, msg)
	}

	// Both at once, and an unknown id: refused.
	both := base
	both.Include, both.Exclude = []int64{2}, []int64{2}
	if _, err := planning.MakePlan(ctx, store, planning.DefaultProfile(), both); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("include and exclude the same project: %v", err)
	}
	unknown := base
	unknown.Include = []int64{99}
	if _, err := planning.MakePlan(ctx, store, planning.DefaultProfile(), unknown); planning.ErrorCode(err) != planning.EInvalid ||
		!strings.Contains(planning.ErrorMessage(err), "99") {
		t.Errorf("include an unknown project: %v", err)
	}
}

// TestCompareScenarios: the projects two plans treat differently, by kind,
// and the per-plan gap figures, against what the plans say by hand.
func TestCompareScenarios(t *testing.T) {
	a := planning.Scenario{ScenarioRecord: planning.ScenarioRecord{ID: 1, Name: "甲"}, Plan: planning.Plan{
		Rows:    []planning.PlanRow{{ID: 1, Code: "A", Year: 2016, Tier: 1, Value: 10}, {ID: 2, Code: "B", Year: 2016, Tier: 1, Value: 5}, {ID: 4, Code: "D", Year: 2017, Tier: 2}},
		LeftOut: []planning.PlanOut{{ID: 3, Code: "C", Reason: "超出预算"}}}}
	b := planning.Scenario{ScenarioRecord: planning.ScenarioRecord{ID: 2, Name: "乙"}, Plan: planning.Plan{
		Rows:    []planning.PlanRow{{ID: 1, Code: "A", Year: 2016, Tier: 1, Value: 10}, {ID: 2, Code: "B", Year: 2017, Tier: 1, Value: 5}, {ID: 3, Code: "C", Year: 2017, Tier: 1, Value: 1}},
		LeftOut: []planning.PlanOut{{ID: 4, Code: "D", Reason: "人工排除"}}}}
	d := planning.CompareScenarios(a, b)
	var got []string
	for _, r := range d.Differs {
		got = append(got, r.Code+":"+r.Kind)
	}
	if want := "B:year C:only_b D:only_a"; strings.Join(got, " ") != want {
		t.Errorf("differs %v, want %s", got, want)
	}
	if d.A.GapProjects != 2 || d.A.GapValue != 15 || d.B.GapProjects != 3 || d.B.GapValue != 16 || d.A.Chosen != 3 || d.B.Chosen != 3 {
		t.Errorf("sides %+v %+v", d.A, d.B)
	}
	if d.Differs[2].ReasonB != "人工排除" || d.Differs[1].ReasonA != "超出预算" {
		t.Errorf("reasons: %+v", d.Differs)
	}
}

// TestPlanUnknownEstimate: a project whose 缺口后 an edit cleared (its
// village's gap scored, its own figure unknown) is neither weighed as
// closing nothing nor bought with the money left for its beneficiaries:
// it is left out as 无预测 with the edit's reason, and so waits a project
// that needs it; included by hand it is planned, and one the bureau has
// put in this year's annual plan keeps its year. Worked out by hand from
// manualStore with money for everything.
func TestPlanUnknownEstimate(t *testing.T) {
	ctx := context.Background()
	store := manualStore()
	c := &store.page.Projects[2].Project // C, which B needs
	c.GapAfter, c.EstimateCleared = nil, "项目 3 工程量（2026-12-07）"
	c.Population, c.PoorPopulation = 80, 10 // it still serves people: the fill would buy it
	req := planning.PlanRequest{Years: []int{2016}, Budgets: map[string]float64{"2016": 100}}

	p, err := planning.MakePlan(ctx, store, planning.DefaultProfile(), req)
	if err != nil {
		t.Fatal(err)
	}
	years, out := chosen(p)
	if out["C"] != planning.OutNoEstimate || out["B"] != planning.OutWaits || years["A"] != 2016 {
		t.Fatalf("years %v, left out %v; want C 无预测, B waiting for it, A in 2016", years, out)
	}
	for _, o := range p.LeftOut {
		if o.Code == "C" && !strings.HasPrefix(o.Reason, "无预测：项目 3 工程量（2026-12-07）") || o.Code == "B" && !strings.Contains(o.Reason, "无预测") {
			t.Errorf("reason of %s: %q", o.Code, o.Reason)
		}
	}
	if s := p.Schedule(); s[3].Year != 0 || !strings.HasPrefix(s[3].Reason, "无预测") {
		t.Errorf("applying the plan writes %+v for C", s[3])
	}

	req.Include = []int64{3}
	if p, err = planning.MakePlan(ctx, store, planning.DefaultProfile(), req); err != nil {
		t.Fatal(err)
	}
	if years, out = chosen(p); years["C"] != 2016 || years["B"] != 2016 {
		t.Errorf("C included by hand: years %v, left out %v; want C and B in 2016", years, out)
	}

	req.Include = nil
	c.Status, c.Year = planning.StateAnnualPlan, 2016
	if p, err = planning.MakePlan(ctx, store, planning.DefaultProfile(), req); err != nil {
		t.Fatal(err)
	}
	if years, out = chosen(p); years["C"] != 2016 {
		t.Errorf("C in the 2016 annual plan: years %v, left out %v; want it kept in 2016", years, out)
	}
}
