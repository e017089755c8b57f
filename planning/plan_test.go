package planning_test

import (
	"context"
	"encoding/json"
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
