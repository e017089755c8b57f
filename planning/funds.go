package planning

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// 资金台账 (issue 20): the county's funding sources, each one's yearly
// allocation, and per project a ledger of entries by source. Amounts are
// in 万元 with two decimals; the checks compare whole cents (Scaled) so
// that 0.1 + 0.2 万元 equals 0.3 万元.

// Fund source levels (资金级次).
var FundLevels = []string{"中央", "省", "市", "县", "其他"}

// Fund source kinds (资金性质); 整合涉农资金 and 行业部门 name the department
// the money comes through.
var FundKinds = []string{"财政专项", "整合涉农资金", "行业部门", "债券", "社会帮扶", "金融信贷", "群众自筹"}

// Ledger entry kinds, in the order the money moves: each one's total per
// project and source is at most the one before (拨付 ≤ 到位 ≤ 下达 ≤ 计划).
const (
	LedgerPlanned   = "计划"
	LedgerAllocated = "下达"
	LedgerArrived   = "到位"
	LedgerPaid      = "拨付"
)

// LedgerKinds lists the entry kinds in that order.
var LedgerKinds = []string{LedgerPlanned, LedgerAllocated, LedgerArrived, LedgerPaid}

// RecordedKinds are the kinds a user records in the ledger. 计划 is not
// among them: it is the project's 资金来源 (Project.Funding), edited only
// with the project, and the store writes its entries from it (one truth
// for a project's planned money, issue 20).
var RecordedKinds = []string{LedgerAllocated, LedgerArrived, LedgerPaid}

// msgPlannedFromProject refuses a 计划 entry or reversal recorded directly.
const msgPlannedFromProject = "计划由项目的资金来源确定，请编辑项目"

// FundSource is one funding source of the county's list.
type FundSource struct {
	Code       string `json:"code"` // what entries name it by: central, int-water, …
	Name       string `json:"name"` // e.g. 中央财政专项扶贫资金; what Project.Funding uses
	Level      string `json:"level"`
	Kind       string `json:"kind"`
	Department string `json:"department,omitempty"` // 整合涉农资金 / 行业部门: through which department
}

var fundCode = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidateFundSources checks a county's list: codes and names unique and
// well formed, levels and kinds from FundLevels and FundKinds. Every
// problem is named, in Chinese.
func ValidateFundSources(list []FundSource) error {
	var errs []string
	codes, names := map[string]bool{}, map[string]bool{}
	if len(list) == 0 {
		errs = append(errs, "资金来源列表不能为空")
	}
	for i, s := range list {
		at := fmt.Sprintf("第 %d 个资金来源（%s）", i+1, s.Code)
		switch {
		case !fundCode.MatchString(s.Code):
			errs = append(errs, at+"：代码（code）应为 1–32 位字母、数字、- 或 _")
		case codes[s.Code]:
			errs = append(errs, at+"：代码（code）重复")
		}
		switch name := strings.TrimSpace(s.Name); {
		case name == "":
			errs = append(errs, at+"：名称（name）不能为空")
		case names[name]:
			errs = append(errs, at+"：名称（name）重复")
		}
		if !slices.Contains(FundLevels, s.Level) {
			errs = append(errs, fmt.Sprintf("%s：级次（level）%q 无效，可用：%s", at, s.Level, strings.Join(FundLevels, "、")))
		}
		if !slices.Contains(FundKinds, s.Kind) {
			errs = append(errs, fmt.Sprintf("%s：性质（kind）%q 无效，可用：%s", at, s.Kind, strings.Join(FundKinds, "、")))
		}
		codes[s.Code], names[strings.TrimSpace(s.Name)] = true, true
	}
	if len(errs) > 0 {
		return Errorf(EInvalid, "%s", strings.Join(errs, "；"))
	}
	return nil
}

// Allocation is what one source allocates (下达) to the county in a year.
type Allocation struct {
	Source     string  `json:"source"` // FundSource.Code
	SourceName string  `json:"source_name,omitempty"`
	Year       int     `json:"year"`
	AmountWan  float64 `json:"amount_wan"` // 年度下达总额
	DocNo      string  `json:"doc_no,omitempty"`
	Note       string  `json:"note,omitempty"`
}

// Validate checks an allocation's fields, naming them in Chinese.
func (a Allocation) Validate() error {
	var errs []string
	if a.Source == "" {
		errs = append(errs, "资金来源（source）不能为空")
	}
	if a.Year < 1990 || a.Year > 2100 {
		errs = append(errs, fmt.Sprintf("年度（year）%d 超出范围 1990–2100", a.Year))
	}
	if Scaled(a.AmountWan, MoneyDecimals) < 0 {
		errs = append(errs, "年度下达总额（amount_wan）不能为负")
	}
	if len(errs) > 0 {
		return Errorf(EInvalid, "%s", strings.Join(errs, "；"))
	}
	return nil
}

// FundEntry is one ledger entry. A correction is a reversal: an entry
// with Reverses set to the wrong entry's id, which takes that entry's
// project, kind, source and date and the opposite amount, with the reason
// in Note; the right figure is then entered anew. Reversals rather than
// free negative adjustments: each one points at the document it undoes,
// so a 文号 or voucher is never half-cancelled and the ledger reads like
// the county's paper one (红字冲销).
type FundEntry struct {
	ID         int64     `json:"id"`
	ProjectID  int64     `json:"project_id"`
	Kind       string    `json:"kind"`   // a Ledger* kind
	Source     string    `json:"source"` // FundSource.Code
	SourceName string    `json:"source_name,omitempty"`
	AmountWan  float64   `json:"amount_wan"` // > 0; a reversal's is negative
	Date       string    `json:"date"`       // YYYY-MM-DD: 下达 date, payment date, …
	DocNo      string    `json:"doc_no"`     // 文号 (下达) or 凭证号 (拨付)
	Note       string    `json:"note"`       // a reversal's reason
	Reverses   int64     `json:"reverses,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	At         time.Time `json:"at,omitzero"`
}

// Validate checks a new entry's own fields (not a reversal's, which the
// store fills from the entry it reverses), naming them in Chinese.
func (e FundEntry) Validate() error {
	if e.Reverses != 0 {
		if strings.TrimSpace(e.Note) == "" {
			return Errorf(EInvalid, "冲销须填写理由（note）")
		}
		return nil
	}
	if e.Kind == LedgerPlanned {
		return Errorf(EInvalid, "%s", msgPlannedFromProject)
	}
	var errs []string
	if e.ProjectID <= 0 {
		errs = append(errs, "项目（project_id）不能为空")
	}
	if !slices.Contains(RecordedKinds, e.Kind) {
		errs = append(errs, fmt.Sprintf("类型（kind）%q 无效，可用：%s（计划由项目的资金来源确定）", e.Kind, strings.Join(RecordedKinds, "、")))
	}
	if e.Source == "" {
		errs = append(errs, "资金来源（source）不能为空")
	}
	if Scaled(e.AmountWan, MoneyDecimals) <= 0 {
		errs = append(errs, fmt.Sprintf("金额（amount_wan）须大于 0（收到 %g）；更正请冲销原分录", e.AmountWan))
	}
	if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
		errs = append(errs, fmt.Sprintf("日期（date）应为 YYYY-MM-DD，收到 %q", e.Date))
	}
	switch {
	case e.Kind == LedgerAllocated && strings.TrimSpace(e.DocNo) == "":
		errs = append(errs, "下达须填写文号（doc_no）")
	case e.Kind == LedgerPaid && strings.TrimSpace(e.DocNo) == "":
		errs = append(errs, "拨付须填写凭证号（doc_no）")
	}
	if len(errs) > 0 {
		return Errorf(EInvalid, "%s", strings.Join(errs, "；"))
	}
	return nil
}

// LedgerSums are the totals of one source on one project (or of any set
// of entries) by kind, in cents (0.01 万元).
type LedgerSums struct {
	Planned, Allocated, Arrived, Paid int64
}

// Add adds cents to kind's total.
func (s *LedgerSums) Add(kind string, cents int64) {
	switch kind {
	case LedgerPlanned:
		s.Planned += cents
	case LedgerAllocated:
		s.Allocated += cents
	case LedgerArrived:
		s.Arrived += cents
	case LedgerPaid:
		s.Paid += cents
	}
}

// Plus returns s + o.
func (s LedgerSums) Plus(o LedgerSums) LedgerSums {
	return LedgerSums{s.Planned + o.Planned, s.Allocated + o.Allocated, s.Arrived + o.Arrived, s.Paid + o.Paid}
}

// Check says whether the totals keep 拨付 ≤ 到位 ≤ 下达 ≤ 计划, naming the
// source and the two figures that do not, in Chinese.
func (s LedgerSums) Check(source string) error {
	pairs := []struct {
		lo, hi         int64
		loName, hiName string
	}{
		{s.Paid, s.Arrived, "拨付", "到位"}, {s.Arrived, s.Allocated, "到位", "下达"}, {s.Allocated, s.Planned, "下达", "计划"},
	}
	for _, p := range pairs {
		if p.lo > p.hi {
			return Errorf(EInvalid, "资金来源“%s”：%s合计 %s 万元将超过%s合计 %s 万元（须 拨付 ≤ 到位 ≤ 下达 ≤ 计划）",
				source, p.loName, formatWan(p.lo), p.hiName, formatWan(p.hi))
		}
	}
	for _, v := range []struct {
		n    int64
		name string
	}{{s.Planned, "计划"}, {s.Allocated, "下达"}, {s.Arrived, "到位"}, {s.Paid, "拨付"}} {
		if v.n < 0 {
			return Errorf(EInvalid, "资金来源“%s”：%s合计将为负（%s 万元）", source, v.name, formatWan(v.n))
		}
	}
	return nil
}

func formatWan(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// CheckEntry decides whether entry e (a new one or a reversal, with its
// kind, source and amount filled) may join a project at status whose
// totals for e's source are before: never a 计划 (the project's 资金来源
// sets it, see PlannedBySource); a new entry only for a project 已入库 or
// later, a payment only 纳入年度计划 or later (not 已出库); and the totals
// after it still in order. A reversal of a 下达, 到位 or 拨付 is allowed
// whatever the status: a wrong entry can always be undone.
func CheckEntry(e FundEntry, status, sourceName string, before LedgerSums) error {
	if e.Kind == LedgerPlanned {
		return Errorf(EInvalid, "%s", msgPlannedFromProject)
	}
	if e.Reverses == 0 && !LedgerOpen(status) {
		return Errorf(EConflict, "项目处于“%s”，不能记账：资金台账从项目“%s”开始", status, StateInLibrary)
	}
	if e.Kind == LedgerPaid && e.Reverses == 0 && !PaymentAllowed(status) {
		return Errorf(EConflict, "项目处于“%s”，不能拨付：拨付（kind）只能用于“%s”及以后的项目", status, StateAnnualPlan)
	}
	after := before
	after.Add(e.Kind, Scaled(e.AmountWan, MoneyDecimals))
	return after.Check(sourceName)
}

// LedgerOpen says whether a project at status may have ledger entries:
// 已入库 or a later state, 已出库 included (its ledger stays open to
// settle what was allocated before the withdrawal).
func LedgerOpen(status string) bool {
	return slices.Index(States, status) >= slices.Index(States, StateInLibrary)
}

// InLibrary says whether status is one of the library's states, 已入库
// through 绩效评价: those whose 计划 entries follow their 资金来源.
func InLibrary(status string) bool {
	i := slices.Index(States, status)
	return i >= slices.Index(States, StateInLibrary) && i <= slices.Index(States, StateEvaluated)
}

// PlannedBySource turns a project's 资金来源 into its 计划 per source code,
// in cents: rows naming one source add up, a zero amount plans nothing.
// A name is matched, trimmed, to a source of the county's list; one that
// is not there is refused (EInvalid naming it), since its money could not
// be entered in the ledger.
func PlannedBySource(funding []Funding, sources []FundSource) (map[string]int64, error) {
	byName := make(map[string]string, len(sources))
	for _, s := range sources {
		byName[strings.TrimSpace(s.Name)] = s.Code
	}
	out := map[string]int64{}
	var unknown []string
	for _, f := range funding {
		name := strings.TrimSpace(f.Source)
		code, ok := byName[name]
		if !ok {
			if !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
			continue
		}
		if c := Scaled(f.AmountWan, MoneyDecimals); c != 0 {
			out[code] += c
		}
	}
	if len(unknown) > 0 {
		return nil, Errorf(EInvalid, "资金来源“%s”不在本县资金来源列表中；请改用列表中的名称（见 gapmap funds sources 或 GET /api/v1/funds/sources）",
			strings.Join(unknown, "”“"))
	}
	return out, nil
}

// PaymentAllowed says whether a project at status may be paid: 纳入年度计划
// or a later state, but not 已出库.
func PaymentAllowed(status string) bool {
	i := slices.Index(States, status)
	return i >= slices.Index(States, StateAnnualPlan) && status != StateWithdrawn
}

// FundTotals are the ledger totals of one group of a roll-up, in 万元.
type FundTotals struct {
	Key          string  `json:"key"`  // village or township code, source code, category, year
	Name         string  `json:"name"` // its name
	Projects     int     `json:"projects"`
	PlannedWan   float64 `json:"planned_wan"`
	AllocatedWan float64 `json:"allocated_wan"`
	ArrivedWan   float64 `json:"arrived_wan"`
	PaidWan      float64 `json:"paid_wan"`
	// PaidPct is 拨付进度: paid / allocated in percent, one decimal; nil
	// when nothing is allocated.
	PaidPct *float64 `json:"paid_pct"`
}

// NewFundTotals builds a group's totals from its sums in cents.
func NewFundTotals(key, name string, projects int, s LedgerSums) FundTotals {
	return FundTotals{Key: key, Name: name, Projects: projects, PlannedWan: CentsWan(s.Planned),
		AllocatedWan: CentsWan(s.Allocated), ArrivedWan: CentsWan(s.Arrived), PaidWan: CentsWan(s.Paid),
		PaidPct: PaidPct(s)}
}

// PaidPct is 拨付进度 in percent (one decimal) of sums: paid over
// allocated; nil when nothing is allocated.
func PaidPct(s LedgerSums) *float64 {
	if s.Allocated <= 0 {
		return nil
	}
	pct := float64(s.Paid*1000/s.Allocated) / 10
	return &pct
}

// CentsWan turns cents into 万元.
func CentsWan(c int64) float64 { return float64(c) / 100 }

// Roll-up groupings.
const (
	ByVillage  = "village"
	ByTownship = "township"
	BySource   = "source"
	ByCategory = "category"
	ByYear     = "year"
)

// FundGroupings lists what a roll-up may be grouped by.
var FundGroupings = []string{ByVillage, ByTownship, BySource, ByCategory, ByYear}

// FundFilter selects the entries of a roll-up or a ledger. Year filters
// entries by their date (a reversal keeps its original's date); the rest
// filter by the project, and Scoped limits them to the reader's
// categories, townships and villages (see access.Policy.LedgerScope).
type FundFilter struct {
	By         string // a FundGroupings value (roll-ups)
	Year       int    // 0: every year
	Source     string // a source code; "": all
	Township   string // a township code
	Village    string // a village code
	Category   string
	Scoped     bool
	Categories []string
	Townships  []string
	Villages   []string
}

// Validate checks f's enumerations, naming the bad parameter in Chinese.
func (f FundFilter) Validate() error {
	if f.By != "" && !slices.Contains(FundGroupings, f.By) {
		return Errorf(EInvalid, "参数 by %q 无效；可用：%s", f.By, strings.Join(FundGroupings, ", "))
	}
	if f.Category != "" && !slices.Contains(Categories, f.Category) {
		return Errorf(EInvalid, "参数 category %q 无效；可用：%s", f.Category, strings.Join(Categories, ", "))
	}
	if f.Year != 0 && (f.Year < 1990 || f.Year > 2100) {
		return Errorf(EInvalid, "参数 year %d 超出范围 1990–2100", f.Year)
	}
	return nil
}

// ProjectLedger is one project's ledger: its entries, its totals by source
// and in all, and how its planned total stands against its 投资估算.
type ProjectLedger struct {
	ProjectID int64        `json:"project_id"`
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	Status    string       `json:"status"`
	CostWan   float64      `json:"cost_wan"` // 投资估算
	Entries   []FundEntry  `json:"entries"`  // oldest first
	Sources   []FundTotals `json:"sources"`  // by source (Key: its code), in the list's order
	Total     FundTotals   `json:"total"`
	// PlanDiffWan is 计划合计 − 投资估算: shown, never refused (a county
	// may plan a project's money before its cost is final).
	PlanDiffWan float64 `json:"plan_diff_wan"`
}

// LedgerRow is one project of the 资金台账 table with its sums by source.
type LedgerRow struct {
	ProjectID    int64                 `json:"project_id"`
	Code         string                `json:"code"`
	Name         string                `json:"name"`
	Category     string                `json:"category"`
	Status       string                `json:"status"`
	Year         int                   `json:"year,omitempty"`
	TownshipCode string                `json:"township_code"`
	TownshipName string                `json:"township_name"`
	VillageCode  string                `json:"village_code,omitempty"`
	VillageName  string                `json:"village_name,omitempty"`
	CostWan      float64               `json:"cost_wan"`
	BySource     map[string]LedgerSums `json:"-"` // by source code, cents
}

// Total sums a row over its sources.
func (r LedgerRow) Total() LedgerSums {
	var t LedgerSums
	for _, s := range r.BySource {
		t = t.Plus(s)
	}
	return t
}

// FundsStore is the persistence of the 资金台账. Errors are *Error:
// EInvalid (a field, named), ENotFound (project, source or entry),
// EConflict (a payment before 纳入年度计划, an entry reversed twice, a
// source in use), EForbidden (the context's principal may not).
type FundsStore interface {
	FundSources(ctx context.Context) ([]FundSource, error)
	// SetFundSources replaces the county's list; a source with entries or
	// allocations cannot be dropped.
	SetFundSources(ctx context.Context, list []FundSource) error
	Allocations(ctx context.Context, year int) ([]Allocation, error)
	SetAllocation(ctx context.Context, a Allocation) (Allocation, error)
	// AddFundEntry records an entry (下达, 到位, 拨付) or a reversal of
	// one, checked by CheckEntry under a lock on the project, and audited;
	// nothing is written on refusal. 计划 is refused (EInvalid): it is the
	// project's 资金来源, written by the LibraryStore.
	AddFundEntry(ctx context.Context, e FundEntry) (FundEntry, error)
	ProjectLedger(ctx context.Context, projectID int64) (ProjectLedger, error)
	FundRollup(ctx context.Context, f FundFilter) ([]FundTotals, error)
	FundLedger(ctx context.Context, f FundFilter) ([]LedgerRow, error)
}

// AllocationBudgets turns allocations into a plan's per-source yearly
// budgets (PlanRequest.SourceBudgets), keyed by year and source name, the
// name Project.Funding uses; only the given years are kept.
func AllocationBudgets(allocs []Allocation, years []int) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, a := range allocs {
		if !slices.Contains(years, a.Year) {
			continue
		}
		y := fmt.Sprint(a.Year)
		if out[y] == nil {
			out[y] = map[string]float64{}
		}
		out[y][a.SourceName] += a.AmountWan
	}
	return out
}
