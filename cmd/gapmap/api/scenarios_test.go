package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/calctest"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// libraryState is every project's (year, status, plan_reason), read by SQL
// apart from the API: what applying a scenario may change.
func libraryState(t *testing.T, db *datatest.DB) map[int64]string {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id, coalesce(year, 0) || '|' || status || '|' || plan_reason FROM projects`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	var id int64
	var s string
	if _, err := pgx.ForEachRow(rows, []any{&id, &s}, func() error { out[id] = s; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// auditCount counts the trail's entries of action about scenario id.
func auditCount(t *testing.T, db *datatest.DB, action string, id int64) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM gapmap_audit.entries
		WHERE chain = current_schema() AND action = $1 AND object_kind = 'plan_scenario' AND object_id = $2`,
		action, strconv.FormatInt(id, 10)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScenariosAPI saves two 方案 of the demo's library, lists, shows and
// compares them, refuses users without the role, exports a 年度实施计划
// (its totals recalculated by LibreOffice against SQL), applies one and
// checks by SQL that exactly its projects moved to 纳入年度计划 in its
// years, refuses the other as stale, refuses a scenario whose project
// cannot move without writing anything, and deletes one.
func TestScenariosAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = 60 * time.Second })
	if rec := send(t, r, http.MethodPost, "/api/v1/projects/generate", `{}`); rec.Code != http.StatusOK {
		t.Fatalf("generate: %d %s", rec.Code, rec.Body)
	}
	// The fixture: the twelve projects of most value are in the library
	// (已入库), set by SQL: the lifecycle up to there is tested elsewhere.
	if _, err := db.Pool.Exec(ctx, `UPDATE projects SET status = '已入库' WHERE id IN (
		SELECT id FROM projects WHERE cost_wan > 0 ORDER BY (gap_before - gap_after_est) * beneficiary_poor_population DESC NULLS LAST, id LIMIT 12)`); err != nil {
		t.Fatal(err)
	}

	// Budgets from the library's costs: 甲 can build about all of it in
	// the two years, 乙 a third of that (and at least its cheapest project).
	var total, cheapest float64
	if err := db.Pool.QueryRow(ctx, `SELECT sum(cost_wan), min(cost_wan) FROM projects WHERE status = '已入库'`).Scan(&total, &cheapest); err != nil {
		t.Fatal(err)
	}
	save := func(name string, budget float64, libraryOnly bool) *planning.Scenario {
		t.Helper()
		body := fmt.Sprintf(`{"name": %q, "request": {"years": [2016, 2017], "budgets": {"2016": %.2f, "2017": %.2f}, "library_only": %v}}`, name, budget, budget, libraryOnly)
		rec := send(t, r, http.MethodPost, "/api/v1/plan-scenarios", body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("save %s: %d %s", name, rec.Code, rec.Body)
		}
		sc := decode[planning.Scenario](t, rec)
		if rec.Header().Get("Location") != "/api/v1/plan-scenarios/"+strconv.FormatInt(sc.ID, 10) || sc.CreatedBy == "" || len(sc.Plan.Rows) == 0 {
			t.Fatalf("saved %s: Location %q, %+v", name, rec.Header().Get("Location"), sc)
		}
		if n := auditCount(t, db, "plan.scenario.save", sc.ID); n != 1 {
			t.Errorf("save %s: %d audit entries", name, n)
		}
		return &sc
	}
	a := save("甲", total/2, true)
	b := save("乙", max(total/6, cheapest*1.01), true)
	if rec := send(t, r, http.MethodPost, "/api/v1/plan-scenarios", `{"name": "甲", "request": {"budgets": {"2016": 1}}}`); rec.Code != http.StatusConflict ||
		!strings.Contains(errorMessage(rec), "已有名为") {
		t.Errorf("duplicate name: %d %s", rec.Code, rec.Body)
	}
	if rec := send(t, r, http.MethodPost, "/api/v1/plan-scenarios", `{"name": "  ", "request": {"budgets": {"2016": 1}}}`); rec.Code != http.StatusBadRequest {
		t.Errorf("empty name: %d %s", rec.Code, rec.Body)
	}

	t.Run("roles", func(t *testing.T) {
		account(t, db.Store, "viewer", grantOf{access.County, "430682", access.Viewer})
		viewer, _, err := db.Store.CreateToken(ctx, "viewer", "tests", access.Actions, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := libraryState(t, db)
		id := strconv.FormatInt(a.ID, 10)
		for _, c := range []struct{ method, url, body string }{
			{http.MethodPost, "/api/v1/plan-scenarios", `{"name": "丙", "request": {"budgets": {"2016": 100}}}`},
			{http.MethodPost, "/api/v1/plan-scenarios/" + id + "/apply", ""},
			{http.MethodDelete, "/api/v1/plan-scenarios/" + id, ""},
		} {
			if rec := bearer(r, viewer, c.method, c.url, strings.NewReader(c.body)); rec.Code != http.StatusForbidden || !strings.Contains(errorMessage(rec), "没有权限") {
				t.Errorf("viewer %s %s: %d %s", c.method, c.url, rec.Code, rec.Body)
			}
		}
		if rec := bearer(r, viewer, http.MethodGet, "/api/v1/plan-scenarios", nil); rec.Code != http.StatusOK {
			t.Errorf("a county viewer lists the scenarios: %d %s", rec.Code, rec.Body)
		}
		// A township's reader sees only its own projects, a scenario all.
		vs, err := db.Store.Villages(ctx, planning.VillageFilter{Limit: 1})
		if err != nil || len(vs.Villages) == 0 {
			t.Fatal(err)
		}
		account(t, db.Store, "township", grantOf{access.Township, vs.Villages[0].TownshipCode, access.Viewer})
		tw, _, err := db.Store.CreateToken(ctx, "township", "tests", access.Actions, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"/api/v1/plan-scenarios", "/api/v1/plan-scenarios/" + id, "/api/v1/plans/annual.xlsx?year=2016"} {
			if rec := bearer(r, tw, http.MethodGet, u, nil); rec.Code != http.StatusForbidden {
				t.Errorf("township reader GET %s: %d", u, rec.Code)
			}
		}
		if n := auditCount(t, db, "plan.scenario.apply", a.ID) + auditCount(t, db, "plan.scenario.delete", a.ID); n != 0 {
			t.Errorf("refused writes left %d audit entries", n)
		}
		if after := libraryState(t, db); !maps.Equal(before, after) {
			t.Error("a refused apply changed the library")
		}
	})

	t.Run("list, show, compare", func(t *testing.T) {
		list := decode[struct{ Scenarios []planning.ScenarioSummary }](t, get(t, r, "/api/v1/plan-scenarios")).Scenarios
		if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID || list[1].Chosen != len(a.Plan.Rows) || list[1].CostWan != a.Plan.CostWan {
			t.Errorf("list %+v", list)
		}
		shown := decode[planning.Scenario](t, get(t, r, "/api/v1/plan-scenarios/"+strconv.FormatInt(a.ID, 10)))
		if shown.Name != a.Name || len(shown.Plan.Rows) != len(a.Plan.Rows) || !shown.Request.LibraryOnly {
			t.Errorf("shown %+v", shown)
		}
		if rec := get(t, r, "/api/v1/plan-scenarios/999999"); rec.Code != http.StatusNotFound {
			t.Errorf("missing scenario: %d", rec.Code)
		}
		d := decode[planning.ScenarioDiff](t, get(t, r, fmt.Sprintf("/api/v1/plan-scenarios/compare?a=%d&b=%d", a.ID, b.ID)))
		// The oracle: the years of each plan's rows, set against each other here.
		years := func(s *planning.Scenario) map[int64]int {
			m := map[int64]int{}
			for _, x := range s.Plan.Rows {
				m[x.ID] = x.Year
			}
			return m
		}
		ya, yb := years(a), years(b)
		want := map[string][]int64{}
		for id, y := range ya {
			switch {
			case yb[id] == 0:
				want[planning.DiffOnlyA] = append(want[planning.DiffOnlyA], id)
			case yb[id] != y:
				want[planning.DiffYear] = append(want[planning.DiffYear], id)
			}
		}
		for id := range yb {
			if ya[id] == 0 {
				want[planning.DiffOnlyB] = append(want[planning.DiffOnlyB], id)
			}
		}
		got := map[string][]int64{}
		for _, x := range d.Differs {
			got[x.Kind] = append(got[x.Kind], x.ID)
		}
		for k := range want {
			slices.Sort(want[k])
			slices.Sort(got[k])
			if !slices.Equal(want[k], got[k]) {
				t.Errorf("%s: got %v, want %v", k, got[k], want[k])
			}
		}
		if len(want[planning.DiffOnlyA]) == 0 {
			t.Error("the two budgets chose the same projects: the comparison checks nothing")
		}
		if d.A.Chosen != len(a.Plan.Rows) || d.B.Chosen != len(b.Plan.Rows) || len(d.A.Years) != 2 {
			t.Errorf("sides %+v / %+v", d.A, d.B)
		}
		if rec := get(t, r, "/api/v1/plan-scenarios/compare?a=1"); rec.Code != http.StatusBadRequest {
			t.Errorf("compare without b: %d", rec.Code)
		}
	})

	t.Run("年度实施计划 totals in LibreOffice", func(t *testing.T) {
		calctest.Soffice(t)
		var ids []int64
		for _, x := range a.Plan.Rows {
			if x.Year == 2016 {
				ids = append(ids, x.ID)
			}
		}
		rec := get(t, r, fmt.Sprintf("/api/v1/plan-scenarios/%d/export.xlsx?year=2016", a.ID))
		if rec.Code != http.StatusOK || len(ids) == 0 {
			t.Fatalf("export: %d %s (%d projects in 2016)", rec.Code, rec.Body, len(ids))
		}
		stripped, n := calctest.StripFormulaValues(t, rec.Body.Bytes())
		if n == 0 {
			t.Fatal("the 年度实施计划 has no formulas")
		}
		sheet := calctest.FirstSheetCSV(t, stripped)
		if !strings.HasPrefix(sheet[0][0], "临湘市2016年度") || !strings.Contains(sheet[1][0], "填报人：tester") {
			t.Errorf("heading %q / %q", sheet[0][0], sheet[1][0])
		}
		cost := slices.Index(sheet[4], "投资")
		if cost < 0 {
			t.Fatalf("header %q", sheet[4])
		}
		// The oracle: SQL sums of the rounded costs, by township and in all.
		want := map[string]string{}
		rows, err := db.Pool.Query(ctx, `SELECT GROUPING(t.name) = 1, coalesce(t.name, ''), sum(round(p.cost_wan::numeric, 2))::numeric(14, 2)::text, count(*)
			FROM projects p LEFT JOIN townships t ON t.code = p.township_code WHERE p.id = ANY ($1)
			GROUP BY ROLLUP (t.name)`, ids)
		if err != nil {
			t.Fatal(err)
		}
		var all bool
		var town, sum string
		var count int
		var grouping []string
		if _, err := pgx.ForEachRow(rows, []any{&all, &town, &sum, &count}, func() error {
			label := fmt.Sprintf("小计：%s（%d 个项目）", town, count)
			if all {
				label = fmt.Sprintf("合计（%d 个项目）", count)
			}
			want[label] = sum
			grouping = append(grouping, label)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		data, checked := 0, 0
		for _, row := range sheet[5:] {
			if s, ok := want[row[0]]; ok {
				if row[cost] != s {
					t.Errorf("%s: LibreOffice %s, SQL %s", row[0], row[cost], s)
				}
				checked++
			} else if _, err := strconv.Atoi(row[0]); err == nil {
				data++
			}
		}
		if data != len(ids) || checked != len(want) {
			t.Errorf("%d project rows of %d, %d totals checked of %d (%v)", data, len(ids), checked, len(want), grouping)
		}
	})

	t.Run("apply", func(t *testing.T) {
		before := libraryState(t, db)
		rec := send(t, r, http.MethodPost, "/api/v1/plan-scenarios/"+strconv.FormatInt(b.ID, 10)+"/apply", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("apply: %d %s", rec.Code, rec.Body)
		}
		if got := decode[planning.Scenario](t, rec); got.AppliedAt == nil || got.AppliedBy == "" {
			t.Errorf("applied scenario %+v", got)
		}
		// The oracle: SQL lists the projects now in the annual plan; they
		// must be exactly the scenario's rows, in its years.
		after := libraryState(t, db)
		want := map[int64]string{}
		for _, x := range b.Plan.Rows {
			want[x.ID] = fmt.Sprintf("%d|纳入年度计划|", x.Year)
		}
		got := map[int64]string{}
		for id, s := range after {
			if strings.Contains(s, "|纳入年度计划|") {
				got[id] = s
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("in the annual plan after applying:\n got %v\nwant %v", got, want)
		}
		for id, s := range after {
			if _, ok := want[id]; !ok && strings.Split(s, "|")[1] != strings.Split(before[id], "|")[1] {
				t.Errorf("project %d not in the scenario moved: %s → %s", id, before[id], s)
			}
		}
		var moves int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM project_transitions WHERE to_status = '纳入年度计划' AND from_status = '已入库'`).Scan(&moves); err != nil || moves != len(want) {
			t.Errorf("%d recorded moves for %d projects (%v)", moves, len(want), err)
		}
		if auditCount(t, db, "plan.scenario.apply", b.ID) != 1 {
			t.Error("no audit entry of the apply")
		}

		// 甲 was made from the library before: stale, naming a project.
		before = after
		rec = send(t, r, http.MethodPost, "/api/v1/plan-scenarios/"+strconv.FormatInt(a.ID, 10)+"/apply", "")
		if msg := errorMessage(rec); rec.Code != http.StatusConflict || !strings.Contains(msg, "已过期：项目 ") || !strings.Contains(msg, "有改动") {
			t.Errorf("stale apply: %d %s", rec.Code, rec.Body)
		}
		if !maps.Equal(before, libraryState(t, db)) {
			t.Error("a stale apply changed the library")
		}

		// The applied plan's 年度实施计划 lists the projects of 2017 in it.
		x := get(t, r, "/api/v1/plans/annual.xlsx?year=2017")
		if x.Code != http.StatusOK {
			t.Fatalf("annual.xlsx: %d %s", x.Code, x.Body)
		}
		if rec := get(t, r, "/api/v1/plans/annual.xlsx"); rec.Code != http.StatusBadRequest || !strings.Contains(errorMessage(rec), "year") {
			t.Errorf("annual.xlsx without year: %d %s", rec.Code, rec.Body)
		}
	})

	t.Run("a move the rules refuse writes nothing", func(t *testing.T) {
		// Not library-only: the plan chooses projects still at 需求摸底,
		// which cannot go to 纳入年度计划.
		c := save("丙：含未入库项目", total/2, false)
		var survey *planning.PlanRow
		for i, x := range c.Plan.Rows {
			if !x.Fixed && strings.Split(libraryState(t, db)[x.ID], "|")[1] == planning.StateSurvey {
				survey = &c.Plan.Rows[i]
				break
			}
		}
		if survey == nil {
			t.Fatal("the scenario chose no project at 需求摸底")
		}
		before := libraryState(t, db)
		rec := send(t, r, http.MethodPost, "/api/v1/plan-scenarios/"+strconv.FormatInt(c.ID, 10)+"/apply", "")
		if msg := errorMessage(rec); rec.Code != http.StatusConflict || !strings.Contains(msg, "未应用（项目 ") || !strings.Contains(msg, "不能直接转为“纳入年度计划”") {
			t.Errorf("apply with a 需求摸底 project: %d %s", rec.Code, rec.Body)
		}
		if !maps.Equal(before, libraryState(t, db)) {
			t.Error("a refused apply changed the library")
		}
		if auditCount(t, db, "plan.scenario.apply", c.ID) != 0 {
			t.Error("a refused apply was audited as done")
		}
	})

	t.Run("delete", func(t *testing.T) {
		id := strconv.FormatInt(a.ID, 10)
		if rec := send(t, r, http.MethodDelete, "/api/v1/plan-scenarios/"+id, ""); rec.Code != http.StatusNoContent {
			t.Fatalf("delete: %d %s", rec.Code, rec.Body)
		}
		if rec := get(t, r, "/api/v1/plan-scenarios/"+id); rec.Code != http.StatusNotFound {
			t.Errorf("deleted scenario: %d", rec.Code)
		}
		if rec := send(t, r, http.MethodDelete, "/api/v1/plan-scenarios/"+id, ""); rec.Code != http.StatusNotFound {
			t.Errorf("deleted twice: %d", rec.Code)
		}
		if auditCount(t, db, "plan.scenario.delete", a.ID) != 1 {
			t.Error("no audit entry of the delete")
		}
	})
}
