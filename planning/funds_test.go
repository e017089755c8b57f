package planning

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestCheckEntry(t *testing.T) {
	// 计划 100, 下达 80, 到位 60, 拨付 40 (cents ×100).
	before := LedgerSums{Planned: 10000, Allocated: 8000, Arrived: 6000, Paid: 4000}
	cases := []struct {
		name   string
		e      FundEntry
		status string
		want   string // "" accepted, else a part of the message
	}{
		{"plan more", FundEntry{Kind: LedgerPlanned, AmountWan: 1}, StateInLibrary, "计划由项目的资金来源确定，请编辑项目"},
		{"allocate before the library", FundEntry{Kind: LedgerAllocated, AmountWan: 1}, StateApproved, "项目处于“县级审定”，不能记账"},
		{"arrive for a candidate", FundEntry{Kind: LedgerArrived, AmountWan: 1}, StateSurvey, "不能记账"},
		{"allocate up to the plan", FundEntry{Kind: LedgerAllocated, AmountWan: 20}, StateInLibrary, ""},
		{"allocate for a withdrawn project", FundEntry{Kind: LedgerAllocated, AmountWan: 20}, StateWithdrawn, ""},
		{"allocate over the plan", FundEntry{Kind: LedgerAllocated, AmountWan: 20.01}, StateInLibrary, "下达合计 100.01 万元将超过计划合计 100.00 万元"},
		{"arrive over the allocation", FundEntry{Kind: LedgerArrived, AmountWan: 20.01}, StateAnnualPlan, "到位合计 80.01 万元将超过下达合计 80.00 万元"},
		{"pay before the annual plan", FundEntry{Kind: LedgerPaid, AmountWan: 1}, StateInLibrary, "项目处于“已入库”，不能拨付"},
		{"pay a withdrawn project", FundEntry{Kind: LedgerPaid, AmountWan: 1}, StateWithdrawn, "不能拨付"},
		{"pay in the annual plan", FundEntry{Kind: LedgerPaid, AmountWan: 20}, StateAnnualPlan, ""},
		{"pay after acceptance", FundEntry{Kind: LedgerPaid, AmountWan: 20}, StateEvaluated, ""},
		{"pay over what arrived", FundEntry{Kind: LedgerPaid, AmountWan: 20.01}, StateBuilding, "拨付合计 60.01 万元将超过到位合计 60.00 万元"},
		{"reverse a payment of a project moved back", FundEntry{Kind: LedgerPaid, AmountWan: -40, Reverses: 9}, StateInLibrary, ""},
		{"reverse an allocation of a project sent back to 需求摸底", FundEntry{Kind: LedgerAllocated, AmountWan: -20, Reverses: 9}, StateSurvey, ""},
		{"reverse a plan", FundEntry{Kind: LedgerPlanned, AmountWan: -30, Reverses: 9}, StateBuilding, "计划由项目的资金来源确定，请编辑项目"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckEntry(tc.e, tc.status, "中央财政专项扶贫资金", before)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(ErrorMessage(err), tc.want)):
				t.Errorf("got %v, want a refusal saying %q", err, tc.want)
			}
		})
	}
}

func TestFundEntryValidate(t *testing.T) {
	good := FundEntry{ProjectID: 1, Kind: LedgerPaid, Source: "central", AmountWan: 1, Date: "2018-06-01", DocNo: "记-1"}
	cases := []struct {
		name string
		edit func(*FundEntry)
		want string
	}{
		{"good", func(*FundEntry) {}, ""},
		{"no project", func(e *FundEntry) { e.ProjectID = 0 }, "项目（project_id）"},
		{"zero", func(e *FundEntry) { e.AmountWan = 0 }, "金额（amount_wan）须大于 0"},
		{"half a cent", func(e *FundEntry) { e.AmountWan = 0.004 }, "金额（amount_wan）须大于 0"},
		{"negative", func(e *FundEntry) { e.AmountWan = -1 }, "更正请冲销原分录"},
		{"bad date", func(e *FundEntry) { e.Date = "2018/06/01" }, "日期（date）"},
		{"payment without voucher", func(e *FundEntry) { e.DocNo = " " }, "凭证号（doc_no）"},
		{"allocation without 文号", func(e *FundEntry) { e.Kind, e.DocNo = LedgerAllocated, "" }, "文号（doc_no）"},
		{"bad kind", func(e *FundEntry) { e.Kind = "支出" }, "类型（kind）"},
		{"a plan", func(e *FundEntry) { e.Kind = LedgerPlanned }, "计划由项目的资金来源确定，请编辑项目"},
		{"reversal without reason", func(e *FundEntry) { *e = FundEntry{Reverses: 3} }, "冲销须填写理由（note）"},
		{"reversal", func(e *FundEntry) { *e = FundEntry{Reverses: 3, Note: "录错"} }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := good
			tc.edit(&e)
			err := e.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tc.want)):
				t.Errorf("got %v, want invalid saying %q", err, tc.want)
			}
		})
	}
}

func TestPlannedBySource(t *testing.T) {
	sources := []FundSource{{Code: "central", Name: "中央财政专项扶贫资金"}, {Code: "integrated", Name: "统筹整合涉农资金"}}
	cases := []struct {
		name    string
		funding []Funding
		want    map[string]int64
		err     string
	}{
		{"none", nil, map[string]int64{}, ""},
		{"rows of one source add up, names trimmed", []Funding{{"统筹整合涉农资金", 60}, {" 统筹整合涉农资金 ", 0.5}}, map[string]int64{"integrated": 6050}, ""},
		{"cents exact", []Funding{{"中央财政专项扶贫资金", 0.1}, {"中央财政专项扶贫资金", 0.2}}, map[string]int64{"central": 30}, ""},
		{"a zero plans nothing", []Funding{{"中央财政专项扶贫资金", 0}, {"统筹整合涉农资金", 5}}, map[string]int64{"integrated": 500}, ""},
		{"unknown names, each once", []Funding{{"村集体自筹", 1}, {"中央财政专项扶贫资金", 1}, {"村集体自筹", 2}, {"银行", 1}},
			nil, "资金来源“村集体自筹”“银行”不在本县资金来源列表中；请改用列表中的名称（见 gapmap funds sources"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PlannedBySource(tc.funding, sources)
			if tc.err != "" {
				if ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tc.err) {
					t.Errorf("got %v, want invalid saying %q", err, tc.err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}

func TestLedgerStates(t *testing.T) {
	for _, st := range States {
		i := slices.Index(States, st)
		open := i >= slices.Index(States, StateInLibrary)
		in := open && st != StateWithdrawn
		if LedgerOpen(st) != open || InLibrary(st) != in {
			t.Errorf("%s: LedgerOpen %v InLibrary %v, want %v %v", st, LedgerOpen(st), InLibrary(st), open, in)
		}
	}
}

func TestPaidPct(t *testing.T) {
	if p := PaidPct(LedgerSums{Paid: 1}); p != nil {
		t.Errorf("nothing allocated: %v, want nil", *p)
	}
	if p := PaidPct(LedgerSums{Allocated: 3000, Paid: 1000}); p == nil || *p != 33.3 {
		t.Errorf("1000 of 3000: %v, want 33.3", p)
	}
}

func ExampleAllocationBudgets() {
	b := AllocationBudgets([]Allocation{{Source: "integrated", SourceName: "统筹整合涉农资金", Year: 2017, AmountWan: 500},
		{Source: "central", SourceName: "中央财政专项扶贫资金", Year: 2021, AmountWan: 9}}, []int{2016, 2017})
	fmt.Println(b)
	// Output: map[2017:map[统筹整合涉农资金:500]]
}
