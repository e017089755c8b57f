package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// rollup reads GET /api/v1/funds/rollup as user.
func rollup(t *testing.T, f *matrixFixture, user, query string) []planning.FundTotals {
	t.Helper()
	rec := f.users[user].do(f.h, http.MethodGet, "/api/v1/funds/rollup?"+query, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("rollup as %s: %d %s", user, rec.Code, rec.Body)
	}
	var body struct {
		Groups []planning.FundTotals `json:"groups"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	return body.Groups
}

// ledgerOf reads a project's ledger as user.
func ledgerOf(t *testing.T, f *matrixFixture, user string, id int64) planning.ProjectLedger {
	t.Helper()
	rec := f.users[user].do(f.h, http.MethodGet, fmt.Sprintf("/api/v1/projects/%d/funds", id), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s reads ledger %d: %d %s", user, id, rec.Code, rec.Body)
	}
	var body struct {
		Ledger planning.ProjectLedger `json:"ledger"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	return body.Ledger
}

func keys(ts []planning.FundTotals) []string {
	var out []string
	for _, g := range ts {
		out = append(out, g.Key)
	}
	return out
}

// TestFundsReadScopeAndPayment: 财政 pays a project and the village's
// 拨付进度 moves; a township reads only its villages' money, a bureau only
// its categories', 财政 all of it, in the roll-ups, a project's ledger and
// the XLSX.
func TestFundsReadScopeAndPayment(t *testing.T) {
	f := newMatrixFixture(t)
	idA := f.fundedProject(t, f.a, "资金-甲")
	idB := f.fundedProject(t, f.b, "资金-乙")

	byVillage := func(user string) map[string]planning.FundTotals {
		out := map[string]planning.FundTotals{}
		for _, g := range rollup(t, f, user, "by=village") {
			out[g.Key] = g
		}
		return out
	}
	if g := byVillage("cz_ed")[f.a.village]; g.PaidPct == nil || *g.PaidPct != 0 || g.AllocatedWan != 50 {
		t.Fatalf("before payment: %+v", g)
	}
	// 财政 records a payment; 交通 cannot.
	pay := fmt.Sprintf(`{"project_id": %d, "kind": "拨付", "source": "central", "amount_wan": 20, "date": "2018-07-01", "doc_no": "记-0701"}`, idA)
	if rec := f.users["jt_ed"].do(f.h, http.MethodPost, "/api/v1/funds/entries", strings.NewReader(pay)); rec.Code != http.StatusForbidden ||
		!strings.Contains(errorMessage(rec), "县财政局·编辑（下达/到位/拨付）") {
		t.Errorf("交通 pays: %d %s", rec.Code, rec.Body)
	}
	if rec := f.users["cz_ed"].do(f.h, http.MethodPost, "/api/v1/funds/entries", strings.NewReader(pay)); rec.Code != http.StatusCreated {
		t.Fatalf("财政 pays: %d %s", rec.Code, rec.Body)
	}
	if g := byVillage("cz_ed")[f.a.village]; g.PaidPct == nil || *g.PaidPct != 40 || g.PaidWan != 20 {
		t.Errorf("after paying 20 of 50: %+v, want 拨付进度 40%%", g)
	}

	// Read scopes.
	for _, c := range []struct {
		user string
		want []string
	}{
		{"cz_ed", []string{f.a.township, f.b.township}},
		{"jt_ed", []string{f.a.township, f.b.township}}, // road projects: 交通's category
		{"sl_ed", nil}, // 水利 sees no road money
		{"twA_rev", []string{f.a.township}},
		{"vA_ed", []string{f.a.township}},
	} {
		got := keys(rollup(t, f, c.user, "by=township"))
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s sees townships %v, want %v", c.user, got, want)
		}
	}
	if rec := f.users["twA_rev"].do(f.h, http.MethodGet, fmt.Sprintf("/api/v1/projects/%d/funds", idB), nil); rec.Code != http.StatusForbidden {
		t.Errorf("township A reads B's ledger: %d", rec.Code)
	}
	canRecord := func(user string, id int64) []string {
		rec := f.users[user].do(f.h, http.MethodGet, fmt.Sprintf("/api/v1/projects/%d/funds", id), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s reads ledger %d: %d %s", user, id, rec.Code, rec.Body)
		}
		var body struct {
			Ledger    planning.ProjectLedger `json:"ledger"`
			CanRecord []string               `json:"can_record"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body.Ledger.Total.PlannedWan != 50 || body.Ledger.PlanDiffWan != 0 {
			t.Errorf("ledger %d total %+v diff %v", id, body.Ledger.Total, body.Ledger.PlanDiffWan)
		}
		return body.CanRecord
	}
	if got := canRecord("cz_ed", idB); !slices.Equal(got, []string{"下达", "到位", "拨付"}) {
		t.Errorf("财政 may record %v", got)
	}
	if got := canRecord("jt_ed", idA); len(got) != 0 {
		t.Errorf("交通 may record %v, want nothing (计划 is the project's 资金来源)", got)
	}
	// 计划 is not recorded but edited with the project.
	plan := fmt.Sprintf(`{"project_id": %d, "kind": "计划", "source": "central", "amount_wan": 60, "date": "2018-07-01"}`, idA)
	if rec := f.users["cz_ed"].do(f.h, http.MethodPost, "/api/v1/funds/entries", strings.NewReader(plan)); rec.Code != http.StatusBadRequest ||
		errorMessage(rec) != "计划由项目的资金来源确定，请编辑项目" {
		t.Errorf("财政 records a 计划: %d %s", rec.Code, rec.Body)
	}
	if rec := f.users["jt_ed"].do(f.h, http.MethodPost, "/api/v1/funds/entries", strings.NewReader(plan)); rec.Code != http.StatusForbidden {
		t.Errorf("交通 records a 计划: %d %s", rec.Code, rec.Body)
	}
	editFunding := func(funding string, cost float64) *httptest.ResponseRecorder {
		body := strings.Replace(projectBody("资金-甲", f.a), `"cost_wan": 50`,
			fmt.Sprintf(`"cost_wan": %g, "year": 2018, "funding": %s, "targets": [{"level1": "产出指标", "level3": "硬化路", "value": "1 km"}]`, cost, funding), 1)
		return f.users["jt_ed"].do(f.h, http.MethodPut, fmt.Sprintf("/api/v1/projects/%d", idA), strings.NewReader(body))
	}
	if rec := editFunding(`[{"source": "中央财政专项扶贫资金", "amount_wan": 50}, {"source": "统筹整合涉农资金", "amount_wan": 10}]`, 60); rec.Code != http.StatusOK {
		t.Fatalf("交通 edits the 资金来源: %d %s", rec.Code, rec.Body)
	}
	if rec := editFunding(`[{"source": "中央财政专项扶贫资金", "amount_wan": 40}]`, 40); rec.Code != http.StatusBadRequest ||
		!strings.Contains(errorMessage(rec), "下达合计 50.00 万元将超过计划合计 40.00 万元") {
		t.Errorf("lowering the plan under 下达: %d %s", rec.Code, rec.Body)
	}
	l := ledgerOf(t, f, "cz_ed", idA)
	if len(l.Sources) != 2 || l.Sources[0].PlannedWan != 50 || l.Sources[1].Key != "integrated" || l.Sources[1].PlannedWan != 10 || l.PlanDiffWan != 0 {
		t.Errorf("ledger after the edits: %+v diff %v, want central 50 and integrated 10 planned", l.Sources, l.PlanDiffWan)
	}

	// The XLSX of township A's reviewer has A's project only.
	rec := f.users["twA_rev"].do(f.h, http.MethodGet, "/api/v1/funds/export.xlsx", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("资金台账")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows[3:] {
		if len(r) > 2 && r[2] != "" {
			names = append(names, r[2])
		}
	}
	if !slices.Equal(names, []string{"资金-甲"}) {
		t.Errorf("township A's XLSX lists %v", names)
	}
}
