package planning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/planning/budget"
)

// PlanRequest asks for an annual plan: which projects to build in which
// year under the budgets.
type PlanRequest struct {
	Years []int `json:"years"` // e.g. 2016–2020; default the profile's plan years
	// Budgets is the total budget per year (万元), keyed by year.
	Budgets map[string]float64 `json:"budgets"`
	// SourceBudgets optionally caps, per year, what each funding source
	// (e.g. 统筹整合涉农资金) can pay.
	SourceBudgets map[string]map[string]float64 `json:"source_budgets,omitempty"`
	TownshipCap   float64                       `json:"township_cap,omitempty"` // 万元 per township per year; 0: none
	// LibraryOnly plans only projects already in the library (已入库); by
	// default every candidate not withdrawn is considered.
	LibraryOnly bool `json:"library_only,omitempty"`
	// Apply writes the chosen years into the projects not yet in the
	// annual plan (and clears the year of those not chosen).
	Apply bool `json:"apply,omitempty"`
}

// PlanRow is one scheduled project.
type PlanRow struct {
	ID       int64   `json:"id"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Township string  `json:"township"`
	Year     int     `json:"year"`
	CostWan  float64 `json:"cost_wan"`
	Value    float64 `json:"value"` // gap points closed × poor people
	Fixed    bool    `json:"fixed"` // already in the annual plan or beyond
}

// Plan is the result of a budget fit.
type Plan struct {
	Years      []PlanYear `json:"years"`
	Rows       []PlanRow  `json:"projects"`
	Candidates int        `json:"candidates"`
	Chosen     int        `json:"chosen"`
	CostWan    float64    `json:"cost_wan"`
	Value      float64    `json:"value"`
	Bound      float64    `json:"bound"` // proven upper bound of the objective
	Gap        float64    `json:"gap"`   // (bound − value) ÷ bound; 0 when optimal
	Optimal    bool       `json:"optimal"`
	Elapsed    string     `json:"elapsed"`
	Applied    bool       `json:"applied"`
}

// PlanYear sums up one plan year of a plan (money in 万元). It is the
// solver's [budget.Year] with its JSON shape, as a planning type so that
// it can carry the String method the CLI prints.
type PlanYear budget.Year

// planNodes bounds the branch-and-bound work of one plan.
const planNodes = 500_000

// fixedFrom is the first state whose year is settled: from the annual plan
// on, a project keeps its year and uses that year's budget.
var fixedFrom = slices.Index(States, StateAnnualPlan)

// MakePlan fits the library into the yearly budgets of req.
func MakePlan(ctx context.Context, store LibraryStore, p Profile, req PlanRequest) (Plan, error) {
	years := req.Years
	if len(years) == 0 {
		first := int(p.Projects.FirstPlanYear.Value)
		for y := first; y < first+int(p.Projects.TargetPlanYears.Value); y++ {
			years = append(years, y)
		}
	}
	// The node limit, not the clock, ends the search: the same library and
	// budgets give the same plan on a busy server too. 500,000 nodes take
	// about 0.5 s here; the clock limit is only a backstop.
	in := budget.Input{Years: years, Budget: map[int]float64{}, SourceBudget: map[int]map[string]float64{},
		TownshipCap: req.TownshipCap, NodeLimit: planNodes, TimeLimit: 10 * time.Second}
	for k, v := range req.Budgets {
		y, err := strconv.Atoi(k)
		if err != nil || !slices.Contains(years, y) {
			return Plan{}, Errorf(EInvalid, "budgets 的键 %q 不是规划年度之一（%v）", k, years)
		}
		if v < 0 {
			return Plan{}, Errorf(EInvalid, "%d 年预算不能为负（收到 %g）", y, v)
		}
		in.Budget[y] = v
	}
	for k, m := range req.SourceBudgets {
		y, err := strconv.Atoi(k)
		if err != nil || !slices.Contains(years, y) {
			return Plan{}, Errorf(EInvalid, "source_budgets 的键 %q 不是规划年度之一（%v）", k, years)
		}
		in.SourceBudget[y] = m
	}
	if len(in.Budget) == 0 {
		return Plan{}, Errorf(EInvalid, "请给出各年度预算 budgets，例如 {\"%d\": 3000}", years[0])
	}
	page, err := store.Projects(ctx, ProjectFilter{Sort: "code"})
	if err != nil {
		return Plan{}, err
	}
	byKey := map[string]int64{}
	for _, r := range page.Projects {
		if r.Key != "" {
			byKey[r.Key] = r.ID
		}
	}
	rows := map[string]PlanRow{}
	for _, r := range page.Projects {
		state := slices.Index(States, r.Status)
		fixed := state >= fixedFrom && r.Status != StateWithdrawn
		switch {
		case r.Status == StateWithdrawn, req.LibraryOnly && state < slices.Index(States, StateInLibrary),
			fixed && !slices.Contains(years, r.Year), r.CostWan <= 0:
			continue
		}
		key := strconv.FormatInt(r.ID, 10)
		it := budget.Item{Key: key, CostWan: r.CostWan, Value: r.PoorPeopleClosed(), Township: r.TownshipCode}
		if fixed {
			it.Fixed = r.Year
		}
		if len(r.Funding) > 0 {
			it.Funding = map[string]float64{}
			for _, f := range r.Funding {
				it.Funding[f.Source] += f.AmountWan
			}
		}
		if id, ok := byKey[r.DependsOn]; ok && r.DependsOn != "" {
			it.After = strconv.FormatInt(id, 10)
		}
		in.Items = append(in.Items, it)
		rows[key] = PlanRow{ID: r.ID, Code: r.Code, Name: r.Name, Category: r.Category, Township: r.TownshipName,
			CostWan: r.CostWan, Value: it.Value, Fixed: fixed}
	}
	// A link to a project left out (withdrawn, unpriced) cannot be honoured:
	// its dependant waits.
	in.Items = slices.DeleteFunc(in.Items, func(it budget.Item) bool {
		_, ok := rows[it.After]
		return it.After != "" && !ok
	})
	res, err := budget.Fit(ctx, in)
	if be := (*budget.Error)(nil); errors.As(err, &be) {
		return Plan{}, &Error{Code: EInvalid, Message: be.Message, Err: err}
	}
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Years: make([]PlanYear, len(res.Years)), Candidates: len(in.Items), Value: res.Value, Bound: res.Bound, Gap: res.Gap,
		Optimal: res.Optimal, Elapsed: res.Elapsed.Round(time.Millisecond).String()}
	for i, y := range res.Years {
		plan.Years[i] = PlanYear(y)
	}
	schedule := map[int64]int{}
	for _, it := range in.Items {
		row := rows[it.Key]
		y, chosen := res.Year[it.Key]
		if !row.Fixed {
			schedule[row.ID] = y // 0 clears the year of a project not chosen
		}
		if !chosen {
			continue
		}
		row.Year = y
		plan.Rows = append(plan.Rows, row)
		plan.Chosen++
		plan.CostWan += row.CostWan
	}
	slices.SortFunc(plan.Rows, func(a, b PlanRow) int {
		if a.Year != b.Year {
			return a.Year - b.Year
		}
		return strings.Compare(a.Code, b.Code)
	})
	if req.Apply {
		if err := store.ScheduleProjects(ctx, schedule); err != nil {
			return plan, err
		}
		plan.Applied = true
	}
	return plan, nil
}

// TargetRow is one county target against the library.
type TargetRow struct {
	Key      string  `json:"key"`
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	Target   float64 `json:"target"`
	Planned  float64 `json:"planned"`  // 需求摸底 … 纳入年度计划
	Building float64 `json:"building"` // 实施中
	Done     float64 `json:"done"`     // 已完工 and after
}

// TargetProgress sums the library against the profile's targets. New road
// is road built where there was none (建设性质 新建, in km); upgrading is
// hardening and widening existing road (改建/扩建, in km); bridges and
// reservoirs count projects of their 子类.
func TargetProgress(ps []Project, p Profile) []TargetRow {
	t := p.Targets
	rows := []TargetRow{
		{Key: "road_new_km", Name: "新建农村公路", Unit: "km", Target: t.RoadNewKm.Value},
		{Key: "road_upgrade_km", Name: "农村公路提质改造", Unit: "km", Target: t.RoadUpgradeKm.Value},
		{Key: "bridges", Name: "危桥改造/新建桥梁", Unit: "座", Target: t.Bridges.Value},
		{Key: "reservoirs", Name: "水库除险加固", Unit: "座", Target: t.Reservoirs.Value},
	}
	for _, pr := range ps {
		if pr.Status == StateWithdrawn {
			continue
		}
		var i int
		amount := 1.0
		switch {
		case pr.Category == CatRoad && pr.Unit == "km" && pr.Nature == "新建":
			i, amount = 0, pr.Quantity
		case pr.Category == CatRoad && pr.Unit == "km":
			i, amount = 1, pr.Quantity
		case strings.Contains(pr.Subtype, "桥"):
			i = 2
		case strings.Contains(pr.Subtype, "水库"):
			i = 3
		default:
			continue
		}
		switch state := slices.Index(States, pr.Status); {
		case state >= slices.Index(States, StateBuilt):
			rows[i].Done += amount
		case pr.Status == StateBuilding:
			rows[i].Building += amount
		default:
			rows[i].Planned += amount
		}
	}
	for i := range rows {
		rows[i].Planned, rows[i].Building, rows[i].Done = round2(rows[i].Planned), round2(rows[i].Building), round2(rows[i].Done)
	}
	return rows
}

// String renders a plan year for the CLI.
func (y PlanYear) String() string {
	return fmt.Sprintf("%d 年：%d 个项目，%.2f / %.2f 万元", y.Year, y.Items, y.SpentWan, y.BudgetWan)
}
