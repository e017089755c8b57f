package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestProgressRoutes: a 招呼站 completed 2017-06-30 counts in its
// township's 2017 row; the rows come from the 2017 year-end run, which a
// second call and the XLSX export read instead of scoring again; bad
// ranges are 400 with a Chinese message.
func TestProgressRoutes(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	h := newRouter(t, db.Store)
	var village, township string
	var lon, lat float64
	if err := db.Pool.QueryRow(ctx, `SELECT v.code, v.township_code, ST_X(v.office), ST_Y(v.office)
		FROM villages v WHERE v.kind = '行政村' AND v.office IS NOT NULL ORDER BY v.code LIMIT 1`).Scan(&village, &township, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	p, err := db.Store.CreateProject(ctx, planning.Project{Name: "招呼站", Category: planning.CatRoad, Subtype: "招呼站", Nature: "新建",
		Year: 2017, TownshipCode: township, VillageCode: village, Quantity: 1, CostWan: 3,
		Targets: []planning.Target{{Level1: "产出指标", Level3: "招呼站", Value: "1 座"}}, Geometry: orb.Point{lon, lat}})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{planning.StateVillage, planning.StateTownship, planning.StateReview, planning.StateApproved,
		planning.StateInLibrary, planning.StateAnnualPlan, planning.StateBuilding, planning.StateBuilt} {
		if _, err := db.Store.Transition(ctx, p.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Store.SetAsBuilt(ctx, p.ID, planning.AsBuilt{CompletedOn: "2017-06-30"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Transition(ctx, p.ID, planning.StateAccepted, ""); err != nil {
		t.Fatal(err)
	}

	runs := func() (n int64, yearEnd int64) {
		if err := db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(max(id) FILTER (WHERE as_of = '2017-12-31' AND layers_as_of = '2017-12-31'), 0)
			FROM scoring_runs WHERE status = 'done'`).Scan(&n, &yearEnd); err != nil {
			t.Fatal(err)
		}
		return n, yearEnd
	}
	var body struct {
		From, To int
		Headers  []string
		Rows     []planning.ProgressRow
	}
	rec := do(t, h, http.MethodGet, "/api/v1/progress?from=2017&to=2017", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("progress: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	n, run2017 := runs()
	if n != 2 || run2017 == 0 {
		t.Errorf("after the first call %d runs, 2017 year-end run %d; want the 2016 and 2017 year-ends", n, run2017)
	}
	found := false
	for _, r := range body.Rows {
		if r.Year != 2017 || r.RunID != run2017 {
			t.Errorf("row %+v: want year 2017 from run %d", r, run2017)
		}
		if r.TownshipCode == township {
			found = true
			if r.Projects != 1 || r.Villages == 0 {
				t.Errorf("township %s 2017: %+v; want the 招呼站 completed", township, r)
			}
		} else if r.Projects != 0 {
			t.Errorf("township %s 2017: %d projects, want 0", r.TownshipCode, r.Projects)
		}
	}
	if !found || body.From != 2017 || body.To != 2017 || len(body.Headers) == 0 || body.Headers[0] != "年度" {
		t.Errorf("progress body: from %d to %d, headers %v, township %s found %v", body.From, body.To, body.Headers, township, found)
	}

	rec = do(t, h, http.MethodGet, "/api/v1/progress/export.xlsx?from=2017&to=2017", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "PK") || !strings.Contains(rec.Header().Get("Content-Disposition"), "progress.xlsx") {
		t.Errorf("export: %d %q %q", rec.Code, rec.Header().Get("Content-Disposition"), rec.Body.String()[:min(20, rec.Body.Len())])
	}
	if again, _ := runs(); again != n {
		t.Errorf("the export scored again: %d runs, want %d", again, n)
	}

	for q, want := range map[string]string{
		"from=2019&to=2017": "起始年份 2019 晚于结束年份 2017",
		"from=abc":          "from",
		"from=1990":         "from",
		"from=2000&to=2030": "一次最多 20 年",
		"township=1":        "未知的查询参数",
	} {
		rec := do(t, h, http.MethodGet, "/api/v1/progress?"+q, "")
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("?%s: %d %s, want 400 with %q", q, rec.Code, rec.Body, want)
		}
	}
	if again, _ := runs(); again != n {
		t.Errorf("refused requests scored: %d runs, want %d", again, n)
	}
}
