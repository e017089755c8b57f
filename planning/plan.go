package planning

import (
	"cmp"
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
	// SourceBudgetsFromAllocations takes the per-source budgets of the
	// plan's years from the 资金台账's yearly allocations (年度下达总额, by
	// source name, the name Project.Funding uses); SourceBudgets, when also
	// given, overrides a year's source.
	SourceBudgetsFromAllocations bool    `json:"source_budgets_from_allocations,omitempty"`
	TownshipCap                  float64 `json:"township_cap,omitempty"` // 万元 per township per year; 0: none
	// LibraryOnly plans only projects already in the library (已入库); by
	// default every candidate not withdrawn is considered.
	LibraryOnly bool `json:"library_only,omitempty"`
	// Fill says what the money left after the gap closure is spent on:
	// FillBeneficiaries (the default) or FillNone.
	Fill string `json:"fill,omitempty"`
	// Apply writes the chosen years into the projects not yet in the
	// annual plan (and clears the year of those not chosen), with the
	// reason each one left out was left out.
	Apply bool `json:"apply,omitempty"`
	// Include and Exclude are the planner's decisions by hand (纳入 and
	// 排除), by project id: an included project is fixed, before the
	// search, in the earliest year it fits (or the plan is refused, naming
	// it); an excluded one is left out as OutManual, and so waits any
	// project that needs it.
	Include []int64 `json:"include,omitempty"`
	Exclude []int64 `json:"exclude,omitempty"`
}

// Plan fills (PlanRequest.Fill): the plan's second tier.
const (
	// FillBeneficiaries spends what the most poor-weighted gap closure
	// leaves on projects that still meet a need, by their 建档立卡
	// beneficiaries (Project.NeedServed).
	FillBeneficiaries = "beneficiaries"
	// FillNone builds only projects that close a scored gap.
	FillNone = "none"
)

// PlanFills lists the values PlanRequest.Fill accepts.
var PlanFills = []string{FillBeneficiaries, FillNone}

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
	Poor     int     `json:"poor_population"`
	Fixed    bool    `json:"fixed"`              // already in the annual plan or beyond
	Included bool    `json:"included,omitempty"` // 纳入 by hand (PlanRequest.Include)
	// Tier is 1 for a project that closes a scored gap (Value > 0), 2 for
	// one built with the money left (or as a prerequisite).
	Tier int `json:"tier"`
}

// Reasons a project is left out of a plan (PlanOut.ReasonCode).
const (
	OutOverBudget   = "over_budget"    // 超出预算: no year it may take has the money left
	OutOverCap      = "over_cap"       // 超出资金来源预算或乡镇上限
	OutWaits        = "waits_for"      // 等待前置项目
	OutNoEffect     = "no_effect"      // 无实际效果: closes no gap, meets no need
	OutNotCounted   = "not_counted"    // closes no gap, and the plan fills nothing (FillNone)
	OutNotChosen    = "not_chosen"     // fits, but the search stopped first
	OutWithdrawn    = "withdrawn"      // 已出库
	OutNotInLibrary = "not_in_library" // LibraryOnly and not yet 已入库
	OutNoCost       = "no_cost"        // 未估算投资
	OutManual       = "manual"         // 人工排除 (PlanRequest.Exclude)
	OutNoEstimate   = "no_estimate"    // 无预测: its gap closure is unknown (Project.BenefitUnknown)
)

// OutNames names each reason code in Chinese, as a summary counts them.
var OutNames = map[string]string{
	OutOverBudget: "超出预算", OutOverCap: "超出资金来源预算或乡镇年度上限", OutWaits: "等待前置项目",
	OutNoEffect: "无实际效果", OutNotCounted: "不缩小计分缺口", OutNotChosen: "未及安排",
	OutWithdrawn: "已出库", OutNotInLibrary: "尚未入库", OutNoCost: "未估算投资", OutManual: "人工排除",
	OutNoEstimate: "无预测",
}

// PlanOut is a project the plan leaves out, and why.
type PlanOut struct {
	ID         int64   `json:"id"`
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Category   string  `json:"category"`
	Township   string  `json:"township"`
	CostWan    float64 `json:"cost_wan"`
	Value      float64 `json:"value"`
	Poor       int     `json:"poor_population"`
	ReasonCode string  `json:"reason_code"` // one of the Out* constants
	Reason     string  `json:"reason"`      // in Chinese, with the figures
}

// Plan is the result of a budget fit.
type Plan struct {
	Years      []PlanYear `json:"years"`
	Rows       []PlanRow  `json:"projects"`
	LeftOut    []PlanOut  `json:"left_out"` // every project not in the plan, by code
	Candidates int        `json:"candidates"`
	Chosen     int        `json:"chosen"`
	CostWan    float64    `json:"cost_wan"`
	UnspentWan float64    `json:"unspent_wan"` // Σ over the years of budget − spent
	Value      float64    `json:"value"`
	Bound      float64    `json:"bound"` // proven upper bound of the objective
	Gap        float64    `json:"gap"`   // (bound − value) ÷ bound; 0 when optimal
	Optimal    bool       `json:"optimal"`
	// The second tier: the fill used, how many projects and 万元 it added,
	// its objective (NeedServed with the early bonus) and whether that is
	// proven optimal among the plans of optimal Value.
	Fill        string  `json:"fill"`
	FillChosen  int     `json:"fill_chosen"`
	FillCostWan float64 `json:"fill_cost_wan"`
	FillValue   float64 `json:"fill_value"`
	FillOptimal bool    `json:"fill_optimal"`
	Elapsed     string  `json:"elapsed"`
	Applied     bool    `json:"applied"`
	// Read is the library the plan was made from: each project's id and
	// its updated_at, so that a saved plan (Scenario) can tell whether the
	// library has changed since.
	Read map[int64]time.Time `json:"-"`
}

// PlanYear sums up one plan year of a plan (money in 万元). It is the
// solver's [budget.Year] with its JSON shape, as a planning type so that
// it can carry the String method the CLI prints.
type PlanYear budget.Year

// maxBudgetWan bounds every budget of a plan request, in 万元: ten
// trillion yuan, far above any county's, and far enough below float64's
// limit that the plan's sums stay finite (a budget of 1e308 made a saved
// 方案's figures +Inf, which JSON cannot hold: a 500).
const maxBudgetWan = 1e9

// budgetOK reports whether v is a budget in 万元: from 0 to maxBudgetWan
// (NaN and ±Inf fail both comparisons).
func budgetOK(v float64) bool { return v >= 0 && v <= maxBudgetWan }

// planNodes bounds the branch-and-bound work of each tier of one plan.
const planNodes = 500_000

// fixedFrom is the first state whose year is settled: from the annual plan
// on, a project keeps its year and uses that year's budget.
var fixedFrom = slices.Index(States, StateAnnualPlan)

// InAnnualPlan says whether status settles a project's year: 纳入年度计划
// or any later state but 已出库. A plan keeps such a project in its year,
// and the 年度实施计划 of the applied plan lists them.
func InAnnualPlan(status string) bool {
	return slices.Index(States, status) >= fixedFrom && status != StateWithdrawn
}

// CheckPlan refuses req with the message MakePlan would give, before any
// search: a plan run as a job checks its input while the client waits.
func CheckPlan(ctx context.Context, store LibraryStore, p Profile, req PlanRequest) error {
	_, _, _, err := planInput(ctx, store, p, req)
	return err
}

// planInput checks req and returns the plan's years, its fill and the
// search's input without its items.
func planInput(ctx context.Context, store LibraryStore, p Profile, req PlanRequest) ([]int, string, budget.Input, error) {
	years := req.Years
	if len(years) == 0 {
		first := int(p.Projects.FirstPlanYear.Value)
		for y := first; y < first+int(p.Projects.TargetPlanYears.Value); y++ {
			years = append(years, y)
		}
	}
	fill := cmp.Or(req.Fill, FillBeneficiaries)
	if !slices.Contains(PlanFills, fill) {
		return nil, "", budget.Input{}, Errorf(EInvalid, "fill 参数 %q 无效；可用：%s（按建档立卡受益人口安排剩余资金，默认）或 %s（只安排缩小缺口的项目）",
			req.Fill, FillBeneficiaries, FillNone)
	}
	// The node limit, not the clock, ends the search: the same library and
	// budgets give the same plan on a busy server too. 500,000 nodes take
	// about 0.5 s here; the clock limit is only a backstop.
	if !budgetOK(req.TownshipCap) {
		return nil, "", budget.Input{}, Errorf(EInvalid, "乡镇年度投资上限 township_cap 应为非负的万元数，且不超过 10 亿万元（收到 %g）", req.TownshipCap)
	}
	in := budget.Input{Years: years, Budget: map[int]float64{}, SourceBudget: map[int]map[string]float64{},
		TownshipCap: req.TownshipCap, NodeLimit: planNodes, TimeLimit: 10 * time.Second}
	for k, v := range req.Budgets {
		y, err := strconv.Atoi(k)
		if err != nil || !slices.Contains(years, y) {
			return nil, "", budget.Input{}, Errorf(EInvalid, "budgets 的键 %q 不是规划年度之一（%v）", k, years)
		}
		if !budgetOK(v) {
			return nil, "", budget.Input{}, Errorf(EInvalid, "%d 年预算应为非负的万元数，且不超过 10 亿万元（收到 %g）", y, v)
		}
		in.Budget[y] = v
	}
	if req.SourceBudgetsFromAllocations {
		fs, ok := store.(FundsStore)
		if !ok {
			return nil, "", budget.Input{}, Errorf(EInvalid, "此数据源没有资金台账，不能按年度下达额安排资金来源预算")
		}
		allocs, err := fs.Allocations(ctx, 0)
		if err != nil {
			return nil, "", budget.Input{}, err
		}
		for k, m := range AllocationBudgets(allocs, years) {
			y, _ := strconv.Atoi(k)
			in.SourceBudget[y] = m
		}
	}
	for k, m := range req.SourceBudgets {
		y, err := strconv.Atoi(k)
		if err != nil || !slices.Contains(years, y) {
			return nil, "", budget.Input{}, Errorf(EInvalid, "source_budgets 的键 %q 不是规划年度之一（%v）", k, years)
		}
		if in.SourceBudget[y] == nil {
			in.SourceBudget[y] = map[string]float64{}
		}
		for src, v := range m {
			if !budgetOK(v) {
				return nil, "", budget.Input{}, Errorf(EInvalid, "%d 年 %s 的预算应为非负的万元数，且不超过 10 亿万元（收到 %g）", y, src, v)
			}
			in.SourceBudget[y][src] = v
		}
	}
	for _, id := range req.Include {
		if slices.Contains(req.Exclude, id) {
			return nil, "", budget.Input{}, Errorf(EInvalid, "项目 %d 不能既纳入又排除", id)
		}
	}
	if len(in.Budget) == 0 {
		return nil, "", budget.Input{}, Errorf(EInvalid, "请给出各年度预算 budgets，例如 {\"%d\": 3000}", years[0])
	}
	return years, fill, in, nil
}

// MakePlan fits the library into the yearly budgets of req: first the
// most poor-weighted gap closure, then (unless req.Fill is FillNone) the
// money left on the projects that still meet a need. Every project not in
// the plan is listed with the reason.
func MakePlan(ctx context.Context, store LibraryStore, p Profile, req PlanRequest) (Plan, error) {
	years, fill, in, err := planInput(ctx, store, p, req)
	if err != nil {
		return Plan{}, err
	}
	page, err := store.Projects(ctx, ProjectFilter{Sort: "code"})
	if err != nil {
		return Plan{}, err
	}
	byKey := map[string]*Project{}
	for i := range page.Projects {
		if r := &page.Projects[i].Project; r.Key != "" {
			byKey[r.Key] = r
		}
	}
	plan := Plan{Fill: fill, LeftOut: []PlanOut{}, Read: map[int64]time.Time{}}
	for _, r := range page.Projects {
		plan.Read[r.ID] = r.UpdatedAt
	}
	outRow := func(r *Project, code, reason string) PlanOut {
		return PlanOut{ID: r.ID, Code: r.Code, Name: r.Name, Category: r.Category, Township: r.TownshipName,
			CostWan: r.CostWan, Value: r.PoorPeopleClosed(), Poor: r.PoorPopulation, ReasonCode: code, Reason: reason}
	}
	// skipped says why the plan cannot consider a project at all, or "".
	skipped := func(r *Project) (code, reason string) {
		state := slices.Index(States, r.Status)
		switch {
		case r.Status == StateWithdrawn:
			return OutWithdrawn, strings.TrimSuffix("已出库："+r.ExitReason, "：")
		case req.LibraryOnly && state < slices.Index(States, StateInLibrary):
			return OutNotInLibrary, fmt.Sprintf("尚未入库（当前为“%s”），本次只规划已入库项目", r.Status)
		case r.CostWan <= 0:
			return OutNoCost, "未估算投资，无法安排"
		case slices.Contains(req.Exclude, r.ID):
			return OutManual, "人工排除"
		}
		return "", ""
	}
	fixed := func(r *Project) bool { return InAnnualPlan(r.Status) }
	elsewhere := func(r *Project) bool { return fixed(r) && !slices.Contains(years, r.Year) }
	// leftOut says why the plan cannot consider a project, or "": the
	// reasons of skipped, and waiting for a prerequisite it cannot
	// consider, or that is in a later year's annual plan. A project already
	// in the annual plan is settled by the bureau and never waits.
	type why struct{ code, reason string }
	memo := map[int64]why{}
	var leftOut func(r *Project) why
	leftOut = func(r *Project) why {
		if w, ok := memo[r.ID]; ok {
			return w
		}
		memo[r.ID] = why{} // a cycle of links is the solver's to report
		var w why
		w.code, w.reason = skipped(r)
		// A project whose gap closure is unknown would enter the search as
		// closing nothing and could be bought with the money left as if it
		// only served its beneficiaries: it waits for its 缺口后, unless
		// the bureau has settled its year or the planner includes it by
		// hand (纳入), knowing.
		if unknown := r.BenefitUnknown(); w.code == "" && unknown != "" && !fixed(r) && !slices.Contains(req.Include, r.ID) {
			w = why{OutNoEstimate, unknown + "，请重新生成或填写预计缺口后再规划"}
		}
		if pre := byKey[r.DependsOn]; w.code == "" && !fixed(r) && r.DependsOn != "" && pre != nil {
			switch pw := leftOut(pre); {
			case elsewhere(pre) && pre.Year > years[len(years)-1]:
				w = why{OutWaits, fmt.Sprintf("等待前置项目 %s：已纳入 %d 年度计划，晚于本次规划年度", projectLabel(pre), pre.Year)}
			case !elsewhere(pre) && pw.code != "":
				w = why{OutWaits, fmt.Sprintf("等待前置项目 %s：%s", projectLabel(pre), pw.reason)}
			}
		}
		memo[r.ID] = w
		return w
	}
	rows := map[string]PlanRow{}
	projects := map[string]*Project{}
	for i := range page.Projects {
		r := &page.Projects[i].Project
		if elsewhere(r) {
			continue // in another year's annual plan: not this plan's to choose
		}
		if fixed(r) && slices.Contains(req.Exclude, r.ID) {
			return Plan{}, Errorf(EInvalid, "项目 %s 已纳入 %d 年度计划，不能排除；请先在项目库中将其退回“已入库”", projectLabel(r), r.Year)
		}
		if w := leftOut(r); w.code != "" {
			plan.LeftOut = append(plan.LeftOut, outRow(r, w.code, w.reason))
			continue
		}
		key := strconv.FormatInt(r.ID, 10)
		it := budget.Item{Key: key, CostWan: r.CostWan, Value: r.PoorPeopleClosed(), Township: r.TownshipCode}
		if fill == FillBeneficiaries {
			it.Fill = r.NeedServed()
		}
		if fixed(r) {
			it.Fixed = r.Year
		}
		if len(r.Funding) > 0 {
			it.Funding = map[string]float64{}
			for _, f := range r.Funding {
				it.Funding[f.Source] += f.AmountWan
			}
		}
		if pre := byKey[r.DependsOn]; r.DependsOn != "" && pre != nil && !elsewhere(pre) && leftOut(pre).code == "" {
			it.After = strconv.FormatInt(pre.ID, 10)
		}
		in.Items = append(in.Items, it)
		projects[key] = r
		tier := 2
		if it.Value > 0 {
			tier = 1
		}
		rows[key] = PlanRow{ID: r.ID, Code: r.Code, Name: r.Name, Category: r.Category, Township: r.TownshipName,
			CostWan: r.CostWan, Value: it.Value, Poor: r.PoorPopulation, Fixed: fixed(r), Tier: tier}
	}
	// 纳入 by hand: each included project is fixed, in code order, in the
	// earliest year it fits beside what is fixed already, before the
	// search; one that cannot be built is refused with its reason.
	byID := map[int64]*Project{}
	for i := range page.Projects {
		byID[page.Projects[i].ID] = &page.Projects[i].Project
	}
	include := slices.Clone(req.Include)
	slices.SortFunc(include, func(a, b int64) int {
		pa, pb := byID[a], byID[b]
		if pa == nil || pb == nil {
			return cmp.Compare(a, b)
		}
		return cmp.Or(strings.Compare(pa.Code, pb.Code), cmp.Compare(a, b))
	})
	for _, id := range include {
		r := byID[id]
		switch {
		case r == nil:
			return Plan{}, Errorf(EInvalid, "纳入的项目 %d 不存在", id)
		case elsewhere(r):
			return Plan{}, Errorf(EInvalid, "项目 %s 已纳入 %d 年度计划，不在本次规划年度内", projectLabel(r), r.Year)
		case fixed(r):
			continue // already in this plan's annual plan: in its year
		}
		if w := leftOut(r); w.code != "" {
			return Plan{}, Errorf(EInvalid, "项目 %s 不能纳入：%s", projectLabel(r), w.reason)
		}
		key := strconv.FormatInt(id, 10)
		y, err := budget.Place(in, key)
		if be := (*budget.Error)(nil); errors.As(err, &be) {
			return Plan{}, Errorf(EInvalid, "项目 %s 不能纳入（需 %.2f 万元）：%s", projectLabel(r), r.CostWan, be.Message)
		}
		if err != nil {
			return Plan{}, err
		}
		i := slices.IndexFunc(in.Items, func(it budget.Item) bool { return it.Key == key })
		in.Items[i].Fixed = y
		row := rows[key]
		row.Included = true
		rows[key] = row
	}
	res, err := budget.Fit(ctx, in)
	if be := (*budget.Error)(nil); errors.As(err, &be) {
		return Plan{}, &Error{Code: EInvalid, Message: be.Message, Err: err}
	}
	if err != nil {
		return Plan{}, err
	}
	plan.Years = make([]PlanYear, len(res.Years))
	plan.Candidates = len(in.Items)
	plan.Value, plan.Bound, plan.Gap, plan.Optimal = res.Value, res.Bound, res.Gap, res.Optimal
	plan.FillValue, plan.FillOptimal = res.Fill, res.FillOptimal || fill == FillNone
	plan.Elapsed = res.Elapsed.Round(time.Millisecond).String()
	for i, y := range res.Years {
		plan.Years[i] = PlanYear(y)
		plan.UnspentWan += y.BudgetWan - y.SpentWan
	}
	plan.UnspentWan = round2(plan.UnspentWan)
	for _, it := range in.Items {
		row := rows[it.Key]
		y, chosen := res.Year[it.Key]
		if !chosen {
			why := res.Out[it.Key]
			code, reason := outReason(why, projects[it.Key], projects[why.After], fill)
			plan.LeftOut = append(plan.LeftOut, outRow(projects[it.Key], code, reason))
			continue
		}
		row.Year = y
		plan.Rows = append(plan.Rows, row)
		plan.Chosen++
		plan.CostWan += row.CostWan
		if row.Tier == 2 {
			plan.FillChosen++
			plan.FillCostWan += row.CostWan
		}
	}
	plan.CostWan, plan.FillCostWan = round2(plan.CostWan), round2(plan.FillCostWan)
	slices.SortFunc(plan.Rows, func(a, b PlanRow) int {
		if a.Year != b.Year {
			return a.Year - b.Year
		}
		return strings.Compare(a.Code, b.Code)
	})
	slices.SortFunc(plan.LeftOut, func(a, b PlanOut) int {
		return cmp.Or(strings.Compare(a.Code, b.Code), cmp.Compare(a.ID, b.ID))
	})
	if req.Apply {
		if err := store.ScheduleProjects(ctx, plan.Schedule()); err != nil {
			return plan, err
		}
		plan.Applied = true
	}
	return plan, nil
}

// unconsidered are the reasons a plan never weighs a project for: applying
// the plan leaves such a project's year and plan_reason alone.
var unconsidered = []string{OutWithdrawn, OutNotInLibrary, OutNoCost}

// Schedule is what applying the plan writes into the projects: each
// chosen project not yet in the annual plan gets its year, each project
// the plan weighed and left out (waiting for a prerequisite, over budget,
// excluded by hand, …) loses its year and gets the reason.
func (p Plan) Schedule() map[int64]Scheduled {
	out := map[int64]Scheduled{}
	for _, r := range p.Rows {
		if !r.Fixed {
			out[r.ID] = Scheduled{Year: r.Year}
		}
	}
	for _, o := range p.LeftOut {
		if !slices.Contains(unconsidered, o.ReasonCode) {
			out[o.ID] = Scheduled{Reason: o.Reason}
		}
	}
	return out
}

// projectLabel names a project in a reason: its 项目编号 and name.
func projectLabel(p *Project) string {
	if p.Code == "" {
		return p.Name
	}
	return p.Code + " " + p.Name
}

// outReason turns the solver's reason for leaving project p out into a
// code and a Chinese sentence with the figures; pre is the prerequisite it
// names (nil for none).
func outReason(r budget.Reason, p, pre *Project, fill string) (string, string) {
	// shortfalls lists what is left in each year the project may take:
	// "2016 年 0.02、2017 年乡镇 430682100 投资上限 3.00 万元".
	shortfalls := func() string {
		parts := make([]string, len(r.Short))
		for i, s := range r.Short {
			row := strings.TrimSuffix(s.Row, "度预算") // the yearly budget is the year itself
			parts[i] = fmt.Sprintf("%s %.2f", row, s.LeftWan)
		}
		return "剩余 " + strings.Join(parts, "、") + " 万元"
	}
	switch r.Kind {
	case budget.OutNoValue:
		if p.MeetsNeed() && fill == FillNone {
			return OutNotCounted, "不缩小计分缺口，本次规划只安排缩小缺口的项目（fill=none）"
		}
		return OutNoEffect, "无实际效果：不缩小计分缺口，也无受益人口"
	case budget.OutAfter:
		if r.AfterYear == 0 {
			return OutWaits, fmt.Sprintf("等待前置项目 %s：前置项目未入选", projectLabel(pre))
		}
		return OutWaits, fmt.Sprintf("等待前置项目 %s：前置项目安排在 %d 年，此后各年资金不足（需 %.2f 万元，%s）",
			projectLabel(pre), r.AfterYear, p.CostWan, shortfalls())
	case budget.OutBudget:
		return OutOverBudget, fmt.Sprintf("超出预算：需 %.2f 万元，%s", p.CostWan, shortfalls())
	case budget.OutCap:
		return OutOverCap, fmt.Sprintf("超出资金来源预算或乡镇年度上限：需 %.2f 万元，%s", p.CostWan, shortfalls())
	}
	return OutNotChosen, "未及安排：计算在限定时间内停止，未能尝试此项目"
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
