package data_test

import (
	"strconv"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestDemoPlanSpendsTheBudget plans the demo library (every village's
// candidates) over 2016–2020 at 3,000 万元 a year, as issue 16 did when
// 1,736 万元 of 2020 stayed unspent while projects waited. Now no project
// that meets a need is left out but for money or its prerequisite, every
// year leaves less than the cheapest project waiting for money, and
// applying the plan stores each project's reason for the table.
func TestDemoPlanSpendsTheBudget(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	if _, _, err := planning.Score(ctx, db.Store, p, asOf2016, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := planning.Generate(ctx, db.Store, p, 0, true); err != nil {
		t.Fatal(err)
	}
	req := planning.PlanRequest{Years: []int{2016, 2017, 2018, 2019, 2020}, Budgets: map[string]float64{}}
	for _, y := range req.Years {
		req.Budgets[strconv.Itoa(y)] = 3000
	}
	req.Fill = planning.FillNone
	before, err := planning.MakePlan(ctx, db.Store, p, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Fill, req.Apply = "", true
	plan, err := planning.MakePlan(ctx, db.Store, p, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unspent: %.2f 万元 closing gaps only, %.2f 万元 with the fill (%d projects, %.2f 万元)",
		before.UnspentWan, plan.UnspentWan, plan.FillChosen, plan.FillCostWan)
	if plan.Value < before.Value-1e-6*before.Value {
		t.Errorf("the fill lowered the gap closure: %.2f, %.2f without it", plan.Value, before.Value)
	}
	if plan.FillChosen == 0 || plan.UnspentWan >= before.UnspentWan {
		t.Errorf("the fill built %d projects and leaves %.2f 万元, %.2f without it", plan.FillChosen, plan.UnspentWan, before.UnspentWan)
	}

	byID := map[int64]planning.Project{}
	for _, r := range allProjects(t, db, planning.ProjectFilter{}) {
		byID[r.ID] = r.Project
	}
	cheapest := 0.0 // the cheapest project waiting for money
	for _, o := range plan.LeftOut {
		pr := byID[o.ID]
		switch {
		case o.Reason == "":
			t.Errorf("%s %s left out without a reason", o.Code, o.Name)
		case o.ReasonCode == planning.OutOverBudget:
			if cheapest == 0 || o.CostWan < cheapest {
				cheapest = o.CostWan
			}
		case pr.MeetsNeed() && o.ReasonCode != planning.OutWaits:
			t.Errorf("%s %s meets a need (%d 人) and is left out: %s", o.Code, o.Name, pr.Population, o.Reason)
		}
		if pr.PlanReason != o.Reason {
			t.Errorf("%s: stored reason %q, the plan says %q", o.Code, pr.PlanReason, o.Reason)
		}
		if pr.Year != 0 {
			t.Errorf("%s is left out but has year %d", o.Code, pr.Year)
		}
	}
	if cheapest == 0 {
		t.Fatalf("no project waits for money at 3,000 万元 a year: the test does not test")
	}
	for _, y := range plan.Years {
		if left := y.BudgetWan - y.SpentWan; left >= cheapest {
			t.Errorf("%d leaves %.2f 万元 unspent while a project of %.2f 万元 waits for money", y.Year, left, cheapest)
		}
	}
	for _, r := range plan.Rows {
		if pr := byID[r.ID]; pr.Year != r.Year || pr.PlanReason != "" {
			t.Errorf("%s chosen for %d: stored year %d, reason %q", r.Code, r.Year, pr.Year, pr.PlanReason)
		}
	}
	if len(plan.Rows)+len(plan.LeftOut) != len(byID) {
		t.Errorf("%d chosen and %d left out of %d projects", len(plan.Rows), len(plan.LeftOut), len(byID))
	}
}
