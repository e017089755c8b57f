package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// TestAsBuiltAndRealisedRoutes: the as-built route stores the values (400
// with a Chinese message for a bad one), the move to 已验收 writes the
// project into the layers, and the realised route lists it — without a
// run yet, and without a prediction (entered with no 缺口维度), saying so —
// to users whose scope holds its village only.
func TestAsBuiltAndRealisedRoutes(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	h := newRouter(t, db.Store)
	var village, township, other string
	var lon, lat float64
	if err := db.Pool.QueryRow(ctx, `SELECT v.code, v.township_code, ST_X(v.office), ST_Y(v.office),
			(SELECT min(code) FROM townships WHERE code <> v.township_code)
		FROM villages v WHERE v.kind = '行政村' AND v.office IS NOT NULL ORDER BY v.code LIMIT 1`).Scan(&village, &township, &lon, &lat, &other); err != nil {
		t.Fatal(err)
	}
	p, err := db.Store.CreateProject(ctx, planning.Project{Name: "招呼站", Category: planning.CatRoad, Subtype: "招呼站", Nature: "新建",
		Year: 2016, TownshipCode: township, VillageCode: village, Quantity: 1, CostWan: 3,
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
	id := strconv.FormatInt(p.ID, 10)
	rec := do(t, h, http.MethodPut, "/api/v1/projects/"+id+"/as-built", `{"completed_on": "2016-13-40"}`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "完工日期") {
		t.Errorf("bad date: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, h, http.MethodPut, "/api/v1/projects/"+id+"/as-built", `{"completed_on": "2016-06-30"}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"as_built":{"completed_on":"2016-06-30"}`) {
		t.Errorf("as-built: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodPost, "/api/v1/projects/"+id+"/transitions", `{"to": "已验收"}`); rec.Code != http.StatusCreated {
		t.Fatalf("→ 已验收: %d %s", rec.Code, rec.Body)
	}
	var body struct {
		Projects []struct {
			ProjectID   int64    `json:"project_id"`
			CompletedOn string   `json:"completed_on"`
			RunID       int64    `json:"run_id"`
			Realised    *float64 `json:"realised"`
			Diff        *float64 `json:"diff"`
			Predicted   *float64 `json:"predicted"`
			Why         string   `json:"no_prediction"`
		} `json:"projects"`
	}
	rec = do(t, h, http.MethodGet, "/api/v1/projects/realised", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("realised: %d %s", rec.Code, rec.Body)
	}
	if len(body.Projects) != 1 || body.Projects[0].ProjectID != p.ID || body.Projects[0].CompletedOn != "2016-06-30" ||
		body.Projects[0].RunID != 0 || body.Projects[0].Realised != nil || body.Projects[0].Diff != nil ||
		body.Projects[0].Predicted != nil || body.Projects[0].Why != "无预测：项目没有所在村或缺口维度" {
		t.Errorf("realised %s", rec.Body)
	}
	account(t, db.Store, "twother", grantOf{access.Township, other, access.Viewer})
	b := newBrowser("twother").mustLogIn(t, h)
	rec = b.do(h, http.MethodGet, "/api/v1/projects/realised", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"projects":[]`) {
		t.Errorf("another township's viewer: %d %s", rec.Code, rec.Body)
	}
}
