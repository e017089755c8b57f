package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

func send(t *testing.T, h http.Handler, method, url, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, strings.NewReader(body)))
	return rec
}

// TestProjectsAPI drives the 项目库 as a planner would: generate from the
// demo's gaps, list by each ranking, walk a project through approval,
// plan under budgets and download the table.
func TestProjectsAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = 10 * time.Second })

	gen := send(t, r, http.MethodPost, "/api/v1/projects/generate", `{}`)
	rep := decode[planning.GenerateReport](t, gen)
	if gen.Code != http.StatusOK || rep.Candidates == 0 {
		t.Fatalf("generate: %d %s", gen.Code, gen.Body)
	}

	type listing struct {
		Total    int                      `json:"total"`
		CostWan  float64                  `json:"cost_wan"`
		Projects []planning.RankedProject `json:"projects"`
	}
	all := decode[listing](t, get(t, r, "/api/v1/projects?sort=value&page_size=1000"))
	if all.Total != rep.Candidates || len(all.Projects) != rep.Candidates || all.Projects[0].RankValue != 1 {
		t.Fatalf("listing: total %d of %d generated, first rank %d", all.Total, rep.Candidates, all.Projects[0].RankValue)
	}
	roads := decode[listing](t, get(t, r, "/api/v1/projects?category="+planningEscape(planning.CatRoad)+"&sort=need"))
	for _, p := range roads.Projects {
		if p.Category != planning.CatRoad {
			t.Fatalf("category filter let through %s", p.Category)
		}
	}
	for _, bad := range []string{"/api/v1/projects?sort=cost,name", "/api/v1/projects?status=done", "/api/v1/projects?color=red"} {
		if rec := get(t, r, bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "无效") && !strings.Contains(rec.Body.String(), "未知") {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}

	// Walk the best-value project to 已入库; a skip is refused with 409. The
	// actor is the authenticated user: a body naming one is refused. The
	// declarer cannot approve: a second user takes 审定 and 入库.
	id := strconv.FormatInt(all.Projects[0].ID, 10)
	approver := "Bearer " + allRoles(t, db.Store, "approver2")
	move := func(to, reason, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/projects/"+id+"/transitions",
			strings.NewReader(`{"to": "`+to+`", "reason": "`+reason+`"}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec
	}
	if rec := move("已验收", "", ""); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "不能直接转为") {
		t.Errorf("skip to 已验收: %d %s", rec.Code, rec.Body)
	}
	if rec := send(t, r, http.MethodPost, "/api/v1/projects/"+id+"/transitions", `{"to": "村级申报", "actor": "县扶贫办"}`); rec.Code != http.StatusBadRequest {
		t.Errorf("a body naming the actor: %d %s, want 400", rec.Code, rec.Body)
	}
	for _, to := range []string{"村级申报", "乡镇审核", "县级论证"} {
		if rec := move(to, "", ""); rec.Code != http.StatusCreated {
			t.Fatalf("→ %s: %d %s", to, rec.Code, rec.Body)
		}
	}
	if rec := move("县级审定", "", ""); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "申报人不能审定") {
		t.Errorf("the declarer approves: %d %s, want 403", rec.Code, rec.Body)
	}
	for _, to := range []string{"县级审定", "已入库"} {
		if rec := move(to, "", approver); rec.Code != http.StatusCreated {
			t.Fatalf("→ %s: %d %s", to, rec.Code, rec.Body)
		}
	}
	detail := decode[struct {
		Project     planning.Project      `json:"project"`
		Transitions []planning.Transition `json:"transitions"`
		Geometry    json.RawMessage       `json:"geometry"`
	}](t, get(t, r, "/api/v1/projects/"+id))
	if detail.Project.Status != "已入库" || len(detail.Transitions) != 5 || len(detail.Geometry) == 0 {
		t.Errorf("detail: status %s, %d transitions, geometry %s", detail.Project.Status, len(detail.Transitions), detail.Geometry)
	}

	// A plan under a tight budget: deterministic, within budget, optimal or with its gap.
	body := `{"years": [2016, 2017], "budgets": {"2016": 300, "2017": 300}, "apply": true}`
	first := decode[planning.Plan](t, send(t, r, http.MethodPost, "/api/v1/plans", body))
	second := decode[planning.Plan](t, send(t, r, http.MethodPost, "/api/v1/plans", body))
	if first.Chosen == 0 || first.Chosen != second.Chosen || first.Value != second.Value {
		t.Errorf("plans differ or are empty: %+v vs %+v", first, second)
	}
	for _, y := range first.Years {
		if y.SpentWan > y.BudgetWan+1e-6 {
			t.Errorf("%d: spent %.2f of %.2f", y.Year, y.SpentWan, y.BudgetWan)
		}
	}
	scheduled := decode[listing](t, get(t, r, "/api/v1/projects?year=2016&page_size=1000"))
	inPlan := 0
	for _, row := range first.Rows {
		if row.Year == 2016 {
			inPlan++
		}
	}
	if scheduled.Total != inPlan {
		t.Errorf("applied plan: %d projects in 2016, plan says %d", scheduled.Total, inPlan)
	}
	// Every project left out says why, and the listing shows it once applied.
	unscheduled := decode[listing](t, get(t, r, "/api/v1/projects?year=none&page_size=1000"))
	stored := map[int64]string{}
	for _, p := range unscheduled.Projects {
		stored[p.ID] = p.PlanReason
	}
	if len(first.LeftOut) == 0 {
		t.Errorf("a plan at 300 万元 a year leaves nothing out")
	}
	for _, o := range first.LeftOut {
		if o.Reason == "" || planning.OutNames[o.ReasonCode] == "" || !strings.HasPrefix(o.Reason, planning.OutNames[o.ReasonCode]) {
			t.Errorf("%s left out: code %q, reason %q", o.Code, o.ReasonCode, o.Reason)
		}
		if stored[o.ID] != o.Reason {
			t.Errorf("%s: the listing says %q, the plan %q", o.Code, stored[o.ID], o.Reason)
		}
	}
	if rec := send(t, r, http.MethodPost, "/api/v1/plans", `{"budgets": {"2016": 5}, "fill": "everything"}`); rec.Code != http.StatusBadRequest ||
		!strings.Contains(rec.Body.String(), "fill 参数") {
		t.Errorf("fill everything: %d %s", rec.Code, rec.Body)
	}
	if rec := send(t, r, http.MethodPost, "/api/v1/plans", `{"budgets": {"1999": 5}}`); rec.Code != http.StatusBadRequest {
		t.Errorf("budget outside the plan years: %d %s", rec.Code, rec.Body)
	}

	rec := get(t, r, "/api/v1/projects/export.xlsx?category="+planningEscape(planning.CatRoad))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", rec.Code, rec.Header())
	}
	f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("export is not an XLSX file: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("项目库")
	if err != nil || !strings.Contains(strings.Join(flatten(rows), "|"), roads.Projects[0].Name) {
		t.Errorf("XLSX lacks the road project %q (%v)", roads.Projects[0].Name, err)
	}
	if rec := get(t, r, "/api/v1/projects/export.pdf"); rec.Code != http.StatusNotFound {
		t.Errorf("export.pdf: %d", rec.Code)
	}

	targets := decode[struct {
		Targets []planning.TargetRow `json:"targets"`
	}](t, get(t, r, "/api/v1/projects/targets"))
	if len(targets.Targets) != 4 || targets.Targets[0].Target != 500 || targets.Targets[1].Planned <= 0 {
		t.Errorf("targets %+v", targets.Targets)
	}
}

func planningEscape(s string) string { return url.QueryEscape(s) }

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
