package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// matrixUsers are the columns of the role × route matrix: one role each,
// then anonymous. The order is the order of each row's letters.
var matrixUsers = []string{"none", "viewer", "cadmin", "capprover", "xczx", "jt_ed", "jt_rev", "sl_ed", "twA_ed", "twA_rev", "vA_ed", "cz_ed", "anon"}

// place is a village of the demo county with its 村委会.
type place struct {
	village, township string
	lon, lat          float64
}

// matrixFixture is the demo county with a scoring run, two townships A and
// B, and one browser logged in per matrix user.
type matrixFixture struct {
	db       *datatest.DB
	h        http.Handler
	a, a2, b place // a and a2 in township A, b in township B
	users    map[string]*browser
}

func newMatrixFixture(t *testing.T, set ...func(*api.Config)) *matrixFixture {
	t.Helper()
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	f := &matrixFixture{db: db, h: newRawRouter(t, db.Store, append([]func(*api.Config){func(c *api.Config) { c.RequestTimeout = 30 * time.Second }}, set...)...)}
	rows, err := db.Pool.Query(ctx, `SELECT code, township_code, ST_X(office), ST_Y(office) FROM villages
		WHERE office IS NOT NULL AND kind = '行政村' ORDER BY township_code, code`)
	if err != nil {
		t.Fatal(err)
	}
	var places []place
	for rows.Next() {
		var p place
		if err := rows.Scan(&p.village, &p.township, &p.lon, &p.lat); err != nil {
			t.Fatal(err)
		}
		places = append(places, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A: the first township with two located villages; B: the next township.
	for i := 0; i+1 < len(places) && f.a.village == ""; i++ {
		if places[i].township == places[i+1].township {
			f.a, f.a2 = places[i], places[i+1]
		}
	}
	for _, p := range places {
		if f.a.village != "" && p.township > f.a.township {
			f.b = p
			break
		}
	}
	if f.a.village == "" || f.b.village == "" {
		t.Fatalf("the demo county lacks two townships with located villages: %+v", places)
	}

	county := f.a.township[:6]
	grants := map[string][]grantOf{
		"none":      nil,
		"viewer":    {{access.County, county, access.Viewer}},
		"cadmin":    {{access.County, county, access.Admin}},
		"capprover": {{access.County, county, access.Approver}},
		"xczx":      {{access.Bureau, "乡村振兴", access.Approver}},
		"jt_ed":     {{access.Bureau, "交通", access.Editor}},
		"jt_rev":    {{access.Bureau, "交通", access.Reviewer}},
		"sl_ed":     {{access.Bureau, "水利", access.Editor}},
		"twA_ed":    {{access.Township, f.a.township, access.Editor}},
		"twA_rev":   {{access.Township, f.a.township, access.Reviewer}},
		"vA_ed":     {{access.Village, f.a.village, access.Editor}},
		"cz_ed":     {{access.Bureau, "财政", access.Editor}},
	}
	f.users = map[string]*browser{}
	for _, u := range matrixUsers {
		if u == "anon" {
			f.users[u] = newBrowser("")
			continue
		}
		account(t, db.Store, u, grants[u]...)
		f.users[u] = newBrowser(u).mustLogIn(t, f.h)
	}
	return f
}

// project stores a road project (交通's category) at 需求摸底 in p's village.
func (f *matrixFixture) project(t *testing.T, p place, name string) int64 {
	t.Helper()
	pr, err := f.db.Store.CreateProject(datatest.Context(), planning.Project{Name: name, Category: planning.CatRoad, Nature: "新建",
		TownshipCode: p.township, VillageCode: p.village, Quantity: 1, Unit: "km", UnitPriceWan: 50, CostWan: 50})
	if err != nil {
		t.Fatal(err)
	}
	return pr.ID
}

// fundedProject stores a road project in p's village at 实施中 with 50
// 万元 of central money planned (its 资金来源, entered as it enters the
// library), allocated and arrived, so that a payment of it can succeed.
func (f *matrixFixture) fundedProject(t *testing.T, p place, name string) int64 {
	t.Helper()
	id := f.project(t, p, name)
	ctx := datatest.Context()
	if _, err := f.db.Pool.Exec(ctx, `UPDATE projects SET status = '县级审定', year = 2018,
		funding = '[{"source": "中央财政专项扶贫资金", "amount_wan": 50}]',
		targets = '[{"level1": "产出指标", "level3": "硬化路", "value": "1 km"}]' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{planning.StateInLibrary, planning.StateAnnualPlan, planning.StateBuilding} {
		if _, err := f.db.Store.Transition(ctx, id, st, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range planning.RecordedKinds[:2] {
		if _, err := f.db.Store.AddFundEntry(ctx, planning.FundEntry{ProjectID: id, Kind: kind, Source: "central",
			AmountWan: 50, Date: "2018-03-01", DocNo: "湘财农〔2018〕2号"}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// queuedJob stores a queued scoring job of owner, as a server that has
// not yet started it holds it.
func (f *matrixFixture) queuedJob(t *testing.T, owner string) int64 {
	t.Helper()
	var id int64
	if err := f.db.Pool.QueryRow(datatest.Context(), `INSERT INTO jobs (kind, owner_id, owner, deadline)
		SELECT 'score', id, login, now() + interval '1 hour' FROM users WHERE login = $1 RETURNING id`, owner).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// projectBody is a road project in p's village as the API takes it.
func projectBody(name string, p place) string {
	return fmt.Sprintf(`{"name": %q, "category": %q, "nature": "新建", "township_code": %q, "village_code": %q, "quantity": 1, "unit": "km", "unit_price_wan": 50, "cost_wan": 50}`,
		name, planning.CatRoad, p.township, p.village)
}

// lineUpload is a multipart upload of one GeoJSON line near p into layer,
// as a dry run (the gate and the store's check are what is tested; a dry
// run reads the whole file and writes nothing).
func lineUpload(t *testing.T, layer string, p place, props string) func() *http.Request {
	return func() *http.Request {
		gj := fmt.Sprintf(`{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": %s,
			"geometry": {"type": "LineString", "coordinates": [[%f, %f], [%f, %f]]}}]}`, props, p.lon, p.lat, p.lon+0.01, p.lat+0.005)
		return upload(t, "/api/v1/layers/"+layer+"/imports", map[string]string{layer + ".geojson": gj}, map[string]string{"dry_run": "1"})
	}
}

// matrixRow is one state-changing request and, per matrix user (in
// matrixUsers order), what must happen: A allowed (the handler ran: 2xx or
// a domain error such as 400, 404, 409 or 422, never 401, 403 or 5xx),
// F forbidden (403 naming a role), U unauthenticated (401).
type matrixRow struct {
	route  string // method and path template, as mux.Walk names it
	name   string
	expect string // letters in matrixUsers order, spaces ignored
	// request builds a fresh request each time (a delete needs its own
	// project), for the user it is sent by.
	request func(t *testing.T, f *matrixFixture, user string) *http.Request
}

// matrixRows is written by hand from the rules (village 申报s its
// own, township edits and 审核s its villages, a bureau edits its layers and
// categories, 乡村振兴局/领导小组 审定, approves, plans; the county admin sets
// the county up), not read from default.json: a change of the policy that
// moves a line here must be a decision, made in both places.
//
//	none viewer cadmin capprover xczx jt_ed jt_rev sl_ed twA_ed twA_rev vA_ed cz_ed anon
var matrixRows = []matrixRow{
	{"POST /api/v1/session", "log in (a malformed body: 400 from the handler)",
		"A A A A A A A A A A A A A",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(`{"login": 1}`))
		}},
	{"DELETE /api/v1/session", "log out (any logged-in user)",
		"A A A A A A A A A A A A U",
		nil}, // sent with a fresh session of its own: see TestAuthzMatrix
	{"POST /api/v1/county/init", "county init (county admin)",
		"F F A F F F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/county/init", strings.NewReader(`{"code": "`+f.a.township[:6]+`"}`))
		}},
	{"PUT /api/v1/villages/{code}/location", "locate a village of A (A's editor; 乡村振兴's editor, not in the matrix)",
		"F F F F F F F F A F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPut, "/api/v1/villages/"+f.a.village+"/location",
				strings.NewReader(fmt.Sprintf(`{"lon": %f, "lat": %f}`, f.a.lon+0.0001, f.a.lat)))
		}},
	{"POST /api/v1/scoring-runs", "score (county approver, a bureau's editor or approver)",
		"F F F A A A F A F F F A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/scoring-runs", strings.NewReader(`{"as_of": "2016-12-31"}`))
		}},
	{"POST /api/v1/projects", "create a road project in a village of A (交通's editor, A's editor, the village's editor)",
		"F F F F F A F F A F A F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/projects", strings.NewReader(projectBody("矩阵-新建-"+user, f.a)))
		}},
	{"POST /api/v1/projects/generate", "generate the library (county approver, 乡村振兴's approver)",
		"F F F A A F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/projects/generate", strings.NewReader(`{}`))
		}},
	{"PUT /api/v1/projects/{id:[0-9]+}", "edit a road project of A",
		"F F F F F A F F A F A F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.project(t, f.a, "矩阵-修改前-"+user)
			return httptest.NewRequest(http.MethodPut, "/api/v1/projects/"+strconv.FormatInt(id, 10),
				strings.NewReader(projectBody("矩阵-修改后-"+user, f.a)))
		}},
	{"DELETE /api/v1/projects/{id:[0-9]+}", "delete a road project of A at 需求摸底",
		"F F F F F A F F A F A F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.project(t, f.a, "矩阵-删除-"+user)
			return httptest.NewRequest(http.MethodDelete, "/api/v1/projects/"+strconv.FormatInt(id, 10), nil)
		}},
	{"POST /api/v1/projects/{id:[0-9]+}/transitions", "declare a project of A's village (需求摸底 → 村级申报: the village's or A's editor)",
		"F F F F F F F F A F A F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.project(t, f.a, "矩阵-申报-"+user)
			return httptest.NewRequest(http.MethodPost, "/api/v1/projects/"+strconv.FormatInt(id, 10)+"/transitions",
				strings.NewReader(`{"to": "村级申报"}`))
		}},
	{"PUT /api/v1/projects/{id:[0-9]+}/as-built", "correct the as-built values of a road project of A (交通's editor or reviewer)",
		"F F F F F A A F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.project(t, f.a, "矩阵-竣工-"+user)
			return httptest.NewRequest(http.MethodPut, "/api/v1/projects/"+strconv.FormatInt(id, 10)+"/as-built",
				strings.NewReader(`{"width_m": 5, "surface": "沥青"}`))
		}},
	{"POST /api/v1/plans", "apply a budget plan (county approver, 乡村振兴's or 财政's approver)",
		"F F F A A F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/plans",
				strings.NewReader(`{"years": [2017], "budgets": {"2017": 200}, "apply": true}`))
		}},
	{"POST /api/v1/plan-scenarios", "save a budget plan as a 方案 (as applying one)",
		"F F F A A F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/plan-scenarios",
				strings.NewReader(`{"name": "矩阵-`+user+`", "request": {"years": [2017], "budgets": {"2017": 200}}}`))
		}},
	// Deleting and applying a 方案 that does not exist: the gate decides,
	// and an allowed user reaches the store's 404 (TestScenariosAPI deletes
	// and applies real ones).
	{"DELETE /api/v1/plan-scenarios/{id:[0-9]+}", "delete a 方案 (as applying one)",
		"F F F A A F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodDelete, "/api/v1/plan-scenarios/999999", nil)
		}},
	{"POST /api/v1/plan-scenarios/{id:[0-9]+}/apply", "apply a 方案 (county approver, 乡村振兴's or 财政's approver)",
		"F F F A A F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/plan-scenarios/999999/apply", nil)
		}},
	{"POST /api/v1/poverty/imports", "import a 建档立卡 row of A's village (A's editor; 乡村振兴's editor, not in the matrix)",
		"F F F F F F F F A F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return upload(t, "/api/v1/poverty/imports", map[string]string{"2018.csv": "村代码,年度,贫困户数\n" + f.a.village + ",2018,3\n"},
				map[string]string{"dry_run": "1"})
		}},
	{"POST /api/v1/layers/{layer}/imports", "import roads (交通's editor)",
		"F F F F F A F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return lineUpload(t, "roads", f.a, `{"name": "矩阵路", "grade": "村道"}`)()
		}},
	{"POST /api/v1/layers/{layer}/imports", "import water mains (水利's editor)",
		"F F F F F F F A F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return lineUpload(t, "water_mains", f.a, `{"diameter_mm": 110}`)()
		}},
	{"PUT /api/v1/funds/sources", "set the county's fund sources (county admin)",
		"F F A F F F F F F F F F U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPut, "/api/v1/funds/sources", strings.NewReader(
				`{"sources": [{"code": "central", "name": "中央财政专项扶贫资金", "level": "中央", "kind": "财政专项"},
				{"code": "province", "name": "省级财政专项扶贫资金", "level": "省", "kind": "财政专项"},
				{"code": "city", "name": "市级财政专项扶贫资金", "level": "市", "kind": "财政专项"},
				{"code": "county", "name": "县级财政专项扶贫资金", "level": "县", "kind": "财政专项"},
				{"code": "integrated", "name": "统筹整合涉农资金", "level": "县", "kind": "整合涉农资金"},
				{"code": "int-transport", "name": "整合涉农资金（交通）", "level": "县", "kind": "整合涉农资金", "department": "交通"},
				{"code": "int-water", "name": "整合涉农资金（水利）", "level": "县", "kind": "整合涉农资金", "department": "水利"},
				{"code": "int-agri", "name": "整合涉农资金（农业农村）", "level": "县", "kind": "整合涉农资金", "department": "农业农村"},
				{"code": "sector", "name": "行业部门资金", "level": "县", "kind": "行业部门"},
				{"code": "bond", "name": "地方政府债券", "level": "省", "kind": "债券"},
				{"code": "social", "name": "社会帮扶资金", "level": "其他", "kind": "社会帮扶"},
				{"code": "credit", "name": "金融信贷资金", "level": "其他", "kind": "金融信贷"},
				{"code": "self", "name": "群众自筹", "level": "其他", "kind": "群众自筹"}]}`))
		}},
	{"PUT /api/v1/funds/allocations", "record a source's yearly allocation (财政's editor)",
		"F F F F F F F F F F F A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPut, "/api/v1/funds/allocations",
				strings.NewReader(`{"source": "central", "year": 2018, "amount_wan": 500, "doc_no": "湘财农指〔2018〕1号"}`))
		}},
	{"POST /api/v1/funds/entries", "record a payment (拨付) on a road project of A being built (财政's editor, not 交通's)",
		"F F F F F F F F F F F A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.fundedProject(t, f.a, "矩阵-拨付-"+user)
			return httptest.NewRequest(http.MethodPost, "/api/v1/funds/entries", strings.NewReader(fmt.Sprintf(
				`{"project_id": %d, "kind": "拨付", "source": "central", "amount_wan": 10, "date": "2018-06-01", "doc_no": "记-1"}`, id)))
		}},
	// A job is its owner's (and visible to an administrator of accounts);
	// cancelling takes the action that starts its kind.
	{"POST /api/v1/jobs/{id:[0-9]+}/cancel", "cancel capprover's queued scoring job (its owner; the county admin sees it but may not score; others: 404)",
		"A A F A A A A A A A A A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", f.queuedJob(t, "capprover")), nil)
		}},
	{"DELETE /api/v1/jobs/{id:[0-9]+}", "cancel capprover's queued scoring job by DELETE",
		"A A F A A A A A A A A A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			return httptest.NewRequest(http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", f.queuedJob(t, "capprover")), nil)
		}},
	// 计划 is the project's 资金来源: no role records it; 财政 passes the
	// gate and is refused by the store (TestFundsReadScopeAndPayment).
	{"POST /api/v1/funds/entries", "record the plan (计划) of a road project of A (nobody: it is the project's 资金来源)",
		"F F F F F F F F F F F A U",
		func(t *testing.T, f *matrixFixture, user string) *http.Request {
			id := f.project(t, f.a, "矩阵-计划-"+user)
			return httptest.NewRequest(http.MethodPost, "/api/v1/funds/entries", strings.NewReader(fmt.Sprintf(
				`{"project_id": %d, "kind": "计划", "source": "central", "amount_wan": 50, "date": "2018-01-10"}`, id)))
		}},
}

// forbiddenNamesRole matches a 403 that names the roles that may act.
var forbiddenNamesRole = regexp.MustCompile(`没有权限：.+需要以下角色之一：.*·(查看|编辑|审核|审定|管理员)`)

// checkOutcome checks rec against one letter of the matrix.
func checkOutcome(t *testing.T, what string, want byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch want {
	case 'A':
		if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code >= 500 {
			t.Errorf("%s: %d %s, want the handler to run (allowed)", what, rec.Code, rec.Body)
		}
	case 'F':
		if rec.Code != http.StatusForbidden || !forbiddenNamesRole.MatchString(errorMessage(rec)) {
			t.Errorf("%s: %d %s, want 403 naming a role", what, rec.Code, rec.Body)
		}
	case 'U':
		if rec.Code != http.StatusUnauthorized || !strings.Contains(errorMessage(rec), "登录") {
			t.Errorf("%s: %d %s, want 401 asking to log in", what, rec.Code, rec.Body)
		}
	default:
		t.Fatalf("%s: bad matrix letter %q", what, want)
	}
}

// walkRoutes lists the router's routes as "METHOD template", one per method.
func walkRoutes(t *testing.T, h http.Handler) []string {
	t.Helper()
	r, ok := h.(*mux.Router)
	if !ok {
		t.Fatalf("api.New returned %T, want *mux.Router to walk", h)
	}
	var out []string
	err := r.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil {
			return err
		}
		ms, err := rt.GetMethods()
		if err != nil {
			return fmt.Errorf("%s: %w", tpl, err)
		}
		for _, m := range ms {
			out = append(out, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuthzMatrix sends every state-changing route as each single-role
// user and anonymously, and checks the outcome against matrixRows; a
// state-changing route the matrix does not list fails it.
func TestAuthzMatrix(t *testing.T) {
	f := newMatrixFixture(t)

	covered := map[string]bool{}
	for _, row := range matrixRows {
		covered[row.route] = true
		if n := len(strings.Fields(row.expect)); n != len(matrixUsers) {
			t.Fatalf("%s: %d letters for %d users", row.name, n, len(matrixUsers))
		}
	}
	for _, rt := range walkRoutes(t, f.h) {
		method, _, _ := strings.Cut(rt, " ")
		if method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions && !covered[rt] {
			t.Errorf("state-changing route %s is not in the role × route matrix: add a row", rt)
		}
		delete(covered, rt)
	}
	for rt := range covered {
		t.Errorf("the matrix lists %s, which the router does not serve", rt)
	}

	for _, row := range matrixRows {
		letters := strings.Fields(row.expect)
		for i, user := range matrixUsers {
			what := fmt.Sprintf("%s as %s", row.name, user)
			var rec *httptest.ResponseRecorder
			if row.request == nil { // log out: a session of its own, so the user's stays
				b := f.users[user]
				if user != "anon" {
					b = newBrowser(user).mustLogIn(t, f.h)
				}
				rec = b.do(f.h, http.MethodDelete, "/api/v1/session", nil)
				if user != "anon" && rec.Code == http.StatusNoContent {
					if after := b.do(f.h, http.MethodGet, "/api/v1/session", nil); after.Code != http.StatusUnauthorized {
						t.Errorf("%s: the session still answers %d after logging out", what, after.Code)
					}
				}
			} else {
				rec = httptest.NewRecorder()
				f.h.ServeHTTP(rec, f.users[user].sign(row.request(t, f, user)))
			}
			checkOutcome(t, what, letters[i][0], rec)
		}
	}
}

// TestAuthzObjectScope checks what depends on the object, which the
// route-level gate cannot see: a township's editor acts on its own
// villages' projects only, a village's editor on its own village's, a
// bureau's editor imports into its own layers. A refused write changes
// nothing.
func TestAuthzObjectScope(t *testing.T) {
	f := newMatrixFixture(t)
	twA, jt, vA := f.users["twA_ed"], f.users["jt_ed"], f.users["vA_ed"]
	inB := f.project(t, f.b, "乙乡镇的路")
	inA := f.project(t, f.a, "甲乡镇的路")
	inA2 := f.project(t, f.a2, "甲乡镇另一村的路")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	row := func(n int64) string {
		var s string
		if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT name || '|' || status || '|' || township_code FROM projects WHERE id = $1`, n).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := map[int64]string{inA: row(inA), inA2: row(inA2), inB: row(inB)}
	var projects int
	count := func() int {
		var n int
		if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM projects`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	projects = count()
	send := func(b *browser, method, url, body string) *httptest.ResponseRecorder {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		return b.do(f.h, method, url, r)
	}
	refused := []struct {
		name string
		rec  *httptest.ResponseRecorder
	}{
		{"A's editor edits a project of B", send(twA, http.MethodPut, "/api/v1/projects/"+id(inB), projectBody("改名", f.b))},
		{"A's editor deletes a project of B", send(twA, http.MethodDelete, "/api/v1/projects/"+id(inB), "")},
		{"A's editor declares a project of B", send(twA, http.MethodPost, "/api/v1/projects/"+id(inB)+"/transitions", `{"to": "村级申报"}`)},
		{"A's editor creates a project in B", send(twA, http.MethodPost, "/api/v1/projects", projectBody("越界", f.b))},
		{"A's editor moves A's project into B", send(twA, http.MethodPut, "/api/v1/projects/"+id(inA), projectBody("搬走", f.b))},
		{"A's editor locates a village of B", send(twA, http.MethodPut, "/api/v1/villages/"+f.b.village+"/location",
			fmt.Sprintf(`{"lon": %f, "lat": %f}`, f.b.lon+0.0001, f.b.lat))},
		{"the village's editor edits another village's project", send(vA, http.MethodPut, "/api/v1/projects/"+id(inA2), projectBody("改名", f.a2))},
		{"the village's editor declares another village's project", send(vA, http.MethodPost, "/api/v1/projects/"+id(inA2)+"/transitions", `{"to": "村级申报"}`)},
		{"交通's editor imports water mains", func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, jt.sign(lineUpload(t, "water_mains", f.a, `{"diameter_mm": 110}`)()))
			return rec
		}()},
	}
	for _, c := range refused {
		checkOutcome(t, c.name, 'F', c.rec)
	}
	for n, want := range before {
		if got := row(n); got != want {
			t.Errorf("project %d changed by refused writes: %s, was %s", n, got, want)
		}
	}
	if n := count(); n != projects {
		t.Errorf("refused writes changed the number of projects: %d, was %d", n, projects)
	}
	var located string
	if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT coalesce(location_source, '') FROM villages WHERE code = $1`, f.b.village).Scan(&located); err != nil {
		t.Fatal(err)
	}
	if located == planning.LocationMap {
		t.Errorf("a refused locate placed village %s", f.b.village)
	}

	allowed := []struct {
		name string
		rec  *httptest.ResponseRecorder
		want int
	}{
		{"A's editor edits A's project in another village of A", send(twA, http.MethodPut, "/api/v1/projects/"+id(inA2), projectBody("甲乡镇改名", f.a2)), http.StatusOK},
		{"the village's editor edits its own project", send(vA, http.MethodPut, "/api/v1/projects/"+id(inA), projectBody("本村改名", f.a)), http.StatusOK},
		{"交通's editor imports roads", func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, jt.sign(lineUpload(t, "roads", f.a, `{"name": "矩阵路", "grade": "村道"}`)()))
			return rec
		}(), http.StatusOK},
	}
	for _, c := range allowed {
		if c.rec.Code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, c.rec.Code, c.rec.Body, c.want)
		}
	}
}

// readRoutes classifies every GET route by hand: public (anyone, the page's
// shell and logging in), read (any role; anonymous only with
// GAPMAP_PUBLIC_READ) or audit (the audit trail: its own roles, never
// public). A GET route not listed fails TestAuthzReads.
var readRoutes = map[string]string{
	"GET /healthz":            "public",
	"HEAD /healthz":           "public",
	"GET /api/v1/session":     "public",
	"GET /auth/oidc/login":    "public",
	"GET /auth/oidc/callback": "public",
	"GET /":                   "public",
	"HEAD /":                  "public",
	"GET /config.json":        "public",
	"HEAD /config.json":       "public",
	"GET /static/{build:[0-9a-f]+}/{path:.+}":                                 "public",
	"HEAD /static/{build:[0-9a-f]+}/{path:.+}":                                "public",
	"GET /api/v1/audit":                                                       "audit",
	"GET /api/v1/audit/verify":                                                "audit",
	"GET /api/v1/layers":                                                      "read",
	"GET /api/v1/villages":                                                    "read",
	"GET /api/v1/villages/{code}":                                             "read",
	"GET /api/v1/villages/{code}/history":                                     "read",
	"GET /api/v1/county":                                                      "read",
	"GET /api/v1/scoring-runs":                                                "read",
	"GET /api/v1/scoring-runs/{id:[0-9]+}":                                    "read",
	"GET /api/v1/scoring-runs/{a:[0-9]+}/diff/{b:[0-9]+}":                     "read",
	"GET /api/v1/villages/{code}/gaps":                                        "read",
	"GET /api/v1/gaps":                                                        "read",
	"GET /api/v1/village-table":                                               "read",
	"GET /api/v1/projects":                                                    "read",
	"GET /api/v1/projects/targets":                                            "read",
	"GET /api/v1/projects/realised":                                           "read",
	"GET /api/v1/projects/export.{format}":                                    "read",
	"GET /api/v1/projects/{id:[0-9]+}":                                        "read",
	"GET /api/v1/projects/{id:[0-9]+}/transitions":                            "read",
	"GET /api/v1/projects/{id:[0-9]+}/history":                                "read",
	"GET /api/v1/data-needs":                                                  "read",
	"GET /api/v1/data-needs/export.{format}":                                  "read",
	"GET /api/v1/progress":                                                    "read",
	"GET /api/v1/progress/export.xlsx":                                        "read",
	"GET /api/v1/villages/{code}/poverty":                                     "read",
	"GET /api/v1/poverty":                                                     "read",
	"GET /api/v1/poverty/export.{format:csv|xlsx}":                            "read",
	`GET /api/v1/exports/{layer}.{format:gpkg|shp\.zip|geojson|kml|csv|xlsx}`: "read",
	"GET /api/v1/funds/sources":                                               "read",
	"GET /api/v1/funds/allocations":                                           "read",
	"GET /api/v1/funds/rollup":                                                "read",
	"GET /api/v1/funds/export.xlsx":                                           "read",
	"GET /api/v1/projects/{id:[0-9]+}/funds":                                  "read",
	"GET /api/v1/plans/annual.xlsx":                                           "read",
	"GET /api/v1/plan-scenarios":                                              "read",
	"GET /api/v1/plan-scenarios/compare":                                      "read",
	"GET /api/v1/plan-scenarios/{id:[0-9]+}":                                  "read",
	"GET /api/v1/plan-scenarios/{id:[0-9]+}/export.xlsx":                      "read",
	"GET /api/v1/jobs":                                                        "own",
	"GET /api/v1/jobs/{id:[0-9]+}":                                            "own",
	"GET /api/v1/jobs/{id:[0-9]+}/result":                                     "own",
	"GET /tiles/style.json":                                                   "read",
	"GET /tiles/{set}.json":                                                   "read",
	"GET /tiles/{set}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.mvt":                   "read",
}

var routeVar = regexp.MustCompile(`\{(\w+)(?::[^}]*)?\}`)

// readURL fills a GET route's template with values of the fixture.
func (f *matrixFixture) readURL(tpl string, project int64) string {
	return routeVar.ReplaceAllStringFunc(tpl, func(v string) string {
		name := routeVar.FindStringSubmatch(v)[1]
		return map[string]string{"code": f.a.village, "id": strconv.FormatInt(project, 10), "a": "1", "b": "1",
			"format": "csv", "layer": "roads", "set": "review", "z": "12", "x": "3352", "y": "1694",
			"build": "0", "path": "app.js"}[name]
	})
}

// TestAuthzReads checks every GET route: anonymous 401 unless the route is
// public or reading is opened (GAPMAP_PUBLIC_READ; never the audit trail
// nor one's own jobs),
// a user without roles 403, a viewer reads but not the audit trail. Rows:
// a township's user lists, exports and opens only its own projects.
func TestAuthzReads(t *testing.T) {
	f := newMatrixFixture(t)
	inA := f.project(t, f.a, "甲乡镇的路")
	inA2 := f.project(t, f.a2, "甲乡镇另一村的路")
	inB := f.project(t, f.b, "乙乡镇的路")
	open := newRawRouter(t, f.db.Store, func(c *api.Config) { c.PublicRead = true })

	for _, rt := range walkRoutes(t, f.h) {
		method, tpl, _ := strings.Cut(rt, " ")
		if method != http.MethodGet && method != http.MethodHead {
			continue
		}
		class, ok := readRoutes[rt]
		if !ok {
			t.Errorf("GET route %s is not classified in readRoutes: add it (public, read or audit)", rt)
			continue
		}
		url := f.readURL(tpl, inA)
		send := func(h http.Handler, user string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, f.users[user].sign(httptest.NewRequest(method, url, nil)))
			return rec
		}
		ok2xx := func(rec *httptest.ResponseRecorder) bool {
			return rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden && rec.Code < 500
		}
		anon, anonOpen, none, viewer, admin := send(f.h, "anon"), send(open, "anon"), send(f.h, "none"), send(f.h, "viewer"), send(f.h, "cadmin")
		switch class {
		case "public":
			if rt == "GET /api/v1/session" { // who am I: 401 for nobody, from the handler
				if anon.Code != http.StatusUnauthorized || !ok2xx(viewer) || !ok2xx(none) {
					t.Errorf("%s: anonymous %d, no roles %d, viewer %d", rt, anon.Code, none.Code, viewer.Code)
				}
				continue
			}
			if !ok2xx(anon) || !ok2xx(none) {
				t.Errorf("%s (public): anonymous %d, no roles %d", rt, anon.Code, none.Code)
			}
		case "read":
			checkOutcome(t, rt+" anonymously", 'U', anon)
			if !ok2xx(anonOpen) {
				t.Errorf("%s anonymously with public reading: %d %s", rt, anonOpen.Code, anonOpen.Body)
			}
			if none.Code != http.StatusForbidden || !strings.Contains(errorMessage(none), "没有任何角色") {
				t.Errorf("%s by a user without roles: %d %s, want 403 saying it has no role", rt, none.Code, none.Body)
			}
			if !ok2xx(viewer) {
				t.Errorf("%s by a viewer: %d %s", rt, viewer.Code, viewer.Body)
			}
		case "own": // the caller's own jobs: any logged-in user, never the public
			checkOutcome(t, rt+" anonymously", 'U', anon)
			checkOutcome(t, rt+" anonymously with public reading", 'U', anonOpen)
			checkOutcome(t, rt+" by a user without roles", 'A', none)
			checkOutcome(t, rt+" by a viewer", 'A', viewer)
		case "audit":
			checkOutcome(t, rt+" anonymously", 'U', anon)
			checkOutcome(t, rt+" anonymously with public reading", 'U', anonOpen)
			checkOutcome(t, rt+" by a user without roles", 'F', none)
			checkOutcome(t, rt+" by a viewer", 'F', viewer)
			checkOutcome(t, rt+" by the county admin", 'A', admin)
		}
	}
	// Public reading opens reads only: a write is still 401.
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/projects", strings.NewReader(projectBody("匿名", f.a))))
	checkOutcome(t, "an anonymous write with public reading", 'U', rec)

	// Row scope.
	type listing struct {
		Total    int                      `json:"total"`
		Projects []planning.RankedProject `json:"projects"`
	}
	ids := func(l listing) []int64 {
		var out []int64
		for _, p := range l.Projects {
			out = append(out, p.ID)
		}
		return out
	}
	list := func(user string) listing {
		return decode[listing](t, f.users[user].do(f.h, http.MethodGet, "/api/v1/projects?page_size=1000&sort=code", nil))
	}
	if got := ids(list("twA_rev")); !slicesEqual(got, []int64{inA, inA2}) {
		t.Errorf("township A's reviewer lists projects %v, want A's %v", got, []int64{inA, inA2})
	}
	if got := ids(list("vA_ed")); !slicesEqual(got, []int64{inA}) {
		t.Errorf("village A's editor lists projects %v, want its own %v", got, []int64{inA})
	}
	if got := ids(list("jt_rev")); !slicesEqual(got, []int64{inA, inA2, inB}) {
		t.Errorf("交通's reviewer lists projects %v, want all %v", got, []int64{inA, inA2, inB})
	}
	if got := list("twA_rev"); got.Total != 2 {
		t.Errorf("township A's listing totals %d projects, want 2", got.Total)
	}
	twA := f.users["twA_rev"]
	for _, path := range []string{"", "/transitions", "/history"} {
		url := "/api/v1/projects/" + strconv.FormatInt(inB, 10) + path
		if rec := twA.do(f.h, http.MethodGet, url, nil); rec.Code != http.StatusForbidden || !strings.Contains(errorMessage(rec), "不属于") {
			t.Errorf("township A's reviewer opens %s: %d %s, want 403", url, rec.Code, rec.Body)
		}
		url = "/api/v1/projects/" + strconv.FormatInt(inA, 10) + path
		if rec := twA.do(f.h, http.MethodGet, url, nil); rec.Code != http.StatusOK {
			t.Errorf("township A's reviewer opens %s: %d %s", url, rec.Code, rec.Body)
		}
	}
	for _, url := range []string{"/api/v1/projects/export.csv", "/api/v1/exports/projects.csv", "/api/v1/exports/projects.geojson"} {
		rec := twA.do(f.h, http.MethodGet, url, nil)
		if rec.Code == http.StatusOK && (strings.Contains(rec.Body.String(), "乙乡镇的路") || !strings.Contains(rec.Body.String(), "甲乡镇的路")) ||
			rec.Code != http.StatusOK && rec.Code != http.StatusForbidden {
			t.Errorf("township A's reviewer exports %s: %d, want A's projects only (or 403)\n%.400s", url, rec.Code, rec.Body)
		}
	}
	if rec := twA.do(f.h, http.MethodGet, "/api/v1/exports/county.gpkg", nil); rec.Code != http.StatusForbidden {
		t.Errorf("township A's reviewer exports the county package with every project: %d, want 403", rec.Code)
	}
	if rec := twA.do(f.h, http.MethodGet, "/api/v1/exports/roads.csv", nil); rec.Code != http.StatusOK {
		t.Errorf("township A's reviewer exports roads: %d %.300s", rec.Code, rec.Body)
	}
}

func slicesEqual(a, b []int64) bool { return slices.Equal(a, b) }

// TestHistoryAddresses: a village's or project's history names who changed
// what, for anyone who may read the object (the public too, with
// GAPMAP_PUBLIC_READ); the address written from only for those who may
// read the audit trail.
func TestHistoryAddresses(t *testing.T) {
	f := newMatrixFixture(t)
	open := newRawRouter(t, f.db.Store, func(c *api.Config) { c.PublicRead = true })
	twA := f.users["twA_ed"]
	if rec := twA.do(f.h, http.MethodPut, "/api/v1/villages/"+f.a.village+"/location",
		strings.NewReader(fmt.Sprintf(`{"lon": %f, "lat": %f}`, f.a.lon+0.0001, f.a.lat))); rec.Code != http.StatusOK {
		t.Fatalf("locate: %d %s", rec.Code, rec.Body)
	}
	id := f.project(t, f.a, "有历史的项目")
	if rec := twA.do(f.h, http.MethodPost, "/api/v1/projects/"+strconv.FormatInt(id, 10)+"/transitions", strings.NewReader(`{"to": "村级申报"}`)); rec.Code != http.StatusCreated {
		t.Fatalf("declare: %d %s", rec.Code, rec.Body)
	}
	addr, _, _ := strings.Cut(twA.addr, ":")
	type entries struct {
		Entries []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
			Addr   string `json:"addr"`
		} `json:"entries"`
	}
	for _, url := range []string{"/api/v1/villages/" + f.a.village + "/history", "/api/v1/projects/" + strconv.FormatInt(id, 10) + "/history"} {
		for _, c := range []struct {
			who      string
			h        http.Handler
			user     string
			seesAddr bool
		}{{"the public", open, "anon", false}, {"a viewer", f.h, "viewer", false}, {"the county admin", f.h, "cadmin", true}} {
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, f.users[c.user].sign(httptest.NewRequest(http.MethodGet, url, nil)))
			got := decode[entries](t, rec)
			if rec.Code != http.StatusOK || len(got.Entries) == 0 {
				t.Fatalf("%s reads %s: %d %s", c.who, url, rec.Code, rec.Body)
			}
			last := got.Entries[0] // newest first
			if !strings.HasPrefix(last.Actor, "twA_ed") || (last.Addr == addr) != c.seesAddr || !c.seesAddr && last.Addr != "" {
				t.Errorf("%s reads %s: newest entry %+v; want twA_ed's, address shown: %v", c.who, url, last, c.seesAddr)
			}
		}
	}
}

// TestVillageDeclaresTownshipReviews walks a project a village's editor
// enters by its village code alone: it belongs to the village's township,
// so the township's reviewer sees it and takes its 乡镇审核.
func TestVillageDeclaresTownshipReviews(t *testing.T) {
	f := newMatrixFixture(t)
	vA, twA := f.users["vA_ed"], f.users["twA_rev"]
	rec := vA.do(f.h, http.MethodPost, "/api/v1/projects", strings.NewReader(fmt.Sprintf(
		`{"name": "村里报的路", "category": %q, "nature": "新建", "village_code": %q, "cost_wan": 20}`, planning.CatRoad, f.a.village)))
	created := decode[struct {
		Project planning.Project `json:"project"`
	}](t, rec)
	if rec.Code != http.StatusCreated || created.Project.TownshipCode != f.a.township || created.Project.Code == "" {
		t.Fatalf("create by village code: %d, township %q code %q; want township %s and a project code", rec.Code,
			created.Project.TownshipCode, created.Project.Code, f.a.township)
	}
	id := strconv.FormatInt(created.Project.ID, 10)
	if rec := vA.do(f.h, http.MethodPost, "/api/v1/projects/"+id+"/transitions", strings.NewReader(`{"to": "村级申报"}`)); rec.Code != http.StatusCreated {
		t.Fatalf("declare: %d %s", rec.Code, rec.Body)
	}
	list := decode[struct {
		Total int `json:"total"`
	}](t, twA.do(f.h, http.MethodGet, "/api/v1/projects?status="+url.QueryEscape(planning.StateVillage), nil))
	if list.Total != 1 {
		t.Errorf("township A's reviewer lists %d declared projects, want the village's 1", list.Total)
	}
	if rec := twA.do(f.h, http.MethodPost, "/api/v1/projects/"+id+"/transitions", strings.NewReader(`{"to": "乡镇审核"}`)); rec.Code != http.StatusCreated {
		t.Errorf("township A's reviewer reviews it: %d %s", rec.Code, rec.Body)
	}
}
