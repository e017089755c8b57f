package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// TestMalformedInputNever5xx is the server-side property test of issue 23:
// for every route of the route table (walked, so a new route is covered
// without editing this test) it sends malformed values for each path
// variable, each query parameter any handler reads, and, for writes, JSON
// bodies of the wrong shape (wrong types, huge and NaN-like numbers, deep
// nesting, invalid UTF-8, coordinates of 1e308, unclosed rings), drawn from
// a seeded generator, and asserts that no answer is a 5xx. Afterwards a
// Gauss-Krüger export must still succeed: one poisoned row must not break
// the county's exports for everyone.
//
// GAPMAP_FUZZ_N sets the random values drawn per route and parameter (2:
// about 6,000 requests in 10 s; 50 for a long run); GAPMAP_FUZZ_SEED
// replays a run, whose seed the test logs.
func TestMalformedInputNever5xx(t *testing.T) {
	n := envInt(t, "GAPMAP_FUZZ_N", 2)
	seed := uint64(envInt(t, "GAPMAP_FUZZ_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("GAPMAP_FUZZ_SEED=%d GAPMAP_FUZZ_N=%d", seed, n)
	rng := rand.New(rand.NewPCG(seed, 23))

	f := newMalformedFixture(t)
	h, db, run, project, logs := f.h, f.db, f.run, f.project, f.logs

	// good holds, per path variable, a value that reaches the handler,
	// so that a malformed value elsewhere is read by it.
	seat := seatTile(t, db, 12)
	good := map[string]string{
		"code": datatest.Demo().Villages[0].Code, "id": strconv.FormatInt(project.ID, 10),
		"a": strconv.FormatInt(run.ID, 10), "b": strconv.FormatInt(run.ID, 10),
		"layer": "projects", "format": "geojson", "set": "review",
		"z": strconv.Itoa(int(seat.Z)), "x": strconv.Itoa(int(seat.X)), "y": strconv.Itoa(int(seat.Y)),
		"build": "0", "path": "app.js",
	}
	g := &malformed{rng: rng}
	var fails []string
	check := func(route string, req *http.Request, sent string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code >= 400 && !userMessage(rec) {
			body := rec.Body.String()
			if len(body) > 200 {
				body = body[:200]
			}
			if len(sent) > 200 {
				sent = sent[:200] + "…"
			}
			fails = append(fails, fmt.Sprintf("%s: %s %s %q → %d %s", route, req.Method, req.URL.String(), sent, rec.Code, body))
		}
	}
	requests := 0
	var examples []string // routes whose example body was mutated
	readKeys := sourceQueryKeys(t)
	for _, route := range walkRoutes(t, newRawRouter(t, db.Store)) {
		method, tpl, _ := strings.Cut(route, " ")
		// Logging out would revoke the tester's token for every later request.
		if route == "DELETE /api/v1/session" {
			continue
		}
		vars := pathVars.FindAllStringSubmatch(tpl, -1)
		path := func(bad string) string {
			return pathVars.ReplaceAllStringFunc(tpl, func(v string) string {
				m := pathVars.FindStringSubmatch(v)
				if m[1] == bad {
					return url.PathEscape(g.value())
				}
				if s, ok := good[m[1]]; ok {
					return s
				}
				return "x"
			})
		}
		body := func() string {
			if method == http.MethodPost || method == http.MethodPut {
				return g.body()
			}
			return ""
		}
		for _, v := range vars {
			for range n {
				b := body()
				check(route, httptest.NewRequest(method, path(v[1]), strings.NewReader(b)), b)
				requests++
			}
		}
		// A route that refuses unknown parameters says which it reads:
		// each of those gets every known bad shape, the others a few
		// random values (a route that reads no query ignores them all).
		validates := !takes(h, method, path(""), "no_such_parameter")
		keys := slices.Concat(queryKeys, readKeys, listedKeys(h, method, path("")))
		slices.Sort(keys)
		for _, key := range slices.Compact(keys) {
			vals := []string{}
			for range n {
				vals = append(vals, g.value())
			}
			if validates && takes(h, method, path(""), key) {
				vals = append(vals, values...)
			}
			for _, v := range vals {
				if key == "async" && (v == "1" || v == "true") {
					// A job, not a malformed value (exportjobs_test.go): each
					// would hold a slot of its class while the fuzzing goes
					// on, and the class answer 503 as it should.
					continue
				}
				b := body()
				req := httptest.NewRequest(method, path(""), strings.NewReader(b))
				req.URL.RawQuery = url.QueryEscape(key) + "=" + url.QueryEscape(v)
				check(route, req, b)
				requests++
			}
		}
		if method == http.MethodPost || method == http.MethodPut {
			for range 4 * n {
				b := body()
				check(route, httptest.NewRequest(method, path(""), strings.NewReader(b)), b)
				requests++
			}
			for _, b := range fixedBodies {
				check(route, httptest.NewRequest(method, path(""), strings.NewReader(b)), b)
				requests++
			}
			// The route's own example body (its 400 shows it), with one
			// value at a time made hostile: the shape the handler reads
			// gets past decoding to the checks and the database.
			if ex, ok := example(h, method, path("")); ok {
				examples = append(examples, route)
				for range 8 * n {
					b := g.mutate(ex)
					check(route, httptest.NewRequest(method, path(""), strings.NewReader(b)), b)
					requests++
				}
			}
		}
	}
	// Hostile files through the import route: the converter must refuse
	// their rows (422 with a report), never fail.
	for _, layer := range []string{"projects", "roads", "bus_stops", "villages"} {
		for name, file := range hostileFiles {
			req := upload(t, "/api/v1/layers/"+layer+"/imports", map[string]string{name: file}, map[string]string{"mode": "skip"})
			check("POST /api/v1/layers/{layer}/imports", req, name+": "+file)
			requests++
		}
	}
	// A good file with one hostile form field.
	stops := "站名,经度,纬度,线路\n甲村招呼站,113.45,29.47,\n"
	for _, field := range []string{"srs", "mode", "dry_run", "mapping", "source", "encoding", "strict", "margin_km", "attribution", "year"} {
		for _, v := range append([]string{g.value(), "NaN", "Inf", "1e308", "-1", "\x00", "\xff"}, hostileJSON[:8]...) {
			for _, u := range []string{"/api/v1/layers/bus_stops/imports", "/api/v1/poverty/imports"} {
				req := upload(t, u, map[string]string{"stops.csv": stops}, map[string]string{field: v, "dry_run": "true"})
				check("POST "+u, req, field+"="+v)
				requests++
			}
		}
	}
	t.Logf("%d requests, %d answered 5xx or not in Chinese; example bodies mutated for %s", requests, len(fails), strings.Join(examples, ", "))
	for _, f := range fails {
		t.Error(f)
	}
	if len(fails) > 0 {
		t.Logf("server log:\n%s", logs.String())
	}

	// Whatever was written above, the county still exports in
	// Gauss-Krüger and its projects still draw.
	for _, u := range []string{"/api/v1/exports/projects.gpkg?srs=EPSG:4547", "/api/v1/exports/county.gpkg?srs=EPSG:4547",
		"/api/v1/exports/projects.shp.zip?srs=EPSG:4547"} {
		if rec := get(t, h, u); rec.Code != http.StatusOK {
			t.Errorf("after the fuzzing, %s: %d %.300s", u, rec.Code, rec.Body)
		}
	}
}

// userMessage says whether a 4xx answer tells the user what is wrong in
// their language: a JSON error whose message has Chinese text and none of
// PostgreSQL's English (an import's 422 report says it row by row).
func userMessage(rec *httptest.ResponseRecorder) bool {
	if rec.Code == http.StatusUnprocessableEntity || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		return true
	}
	msg := errorMessage(rec)
	han := strings.IndexFunc(msg, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
	return han && !strings.Contains(msg, "SQLSTATE") && !strings.Contains(msg, "invalid byte sequence")
}

// takes says whether the route at path reads the query parameter key:
// its handler does not refuse it as unknown (未知的…参数).
func takes(h http.Handler, method, path, key string) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false // a write reads its body, and an empty one may do work
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path+"?"+url.QueryEscape(key)+"=1", nil))
	return !strings.Contains(rec.Body.String(), "未知的")
}

// TestMalformedInputAnswers400 pins the answers to the inputs issue 23 saw
// answer 500, or be accepted: each is a 400 whose Chinese message names
// what is wrong.
func TestMalformedInputAnswers400(t *testing.T) {
	f := newMalformedFixture(t)
	tile := tileURL("review", seatTile(t, f.db, 12), "")
	village := datatest.Demo().Villages[0].Code
	project := "/api/v1/projects/" + strconv.FormatInt(f.project.ID, 10)
	cases := []struct {
		method, url, body string
		want              string // in the error message
	}{
		{"GET", tile + "?township=%FF%FE", "", "参数 township 不是有效的 UTF-8 文本"},
		{"GET", tile + "?status=a%C3", "", "参数 status 不是有效的 UTF-8 文本"},
		{"GET", tile + "?township=%00", "", "参数 township 含有空字符"},
		{"GET", tile + "?min_score=NaN", "", "min_score"},
		{"GET", tile + "?min_score=-Inf", "", "min_score"},
		{"GET", tile + "?year=2147483648", "", "year"},
		{"GET", "/api/v1/villages/%FF/history", "", "路径 不是有效的 UTF-8 文本"},
		{"GET", "/api/v1/villages?township=%FF", "", "参数 township 不是有效的 UTF-8 文本"},
		{"GET", "/api/v1/projects?village=%FF", "", "参数 village 不是有效的 UTF-8 文本"},
		{"GET", "/api/v1/gaps?min_score=NaN", "", "min_score"},
		{"GET", "/api/v1/exports/projects.geojson?year=2147483648", "", "year"},
		{"GET", "/api/v1/exports/projects.geojson?year=-9223372036854775809", "", "year"},
		{"GET", "/api/v1/exports/village_gaps.geojson?min_score=NaN", "", "min_score"},
		{"GET", "/api/v1/exports/villages.geojson?bbox=NaN,NaN,NaN,NaN", "", "bbox"},
		{"GET", "/api/v1/exports/villages.geojson?bbox=-Inf,-Inf,Inf,Inf", "", "bbox"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "Point", "coordinates": [1e308, 1e308]}`), "几何（geometry）的坐标"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.5, 29.5], [113.45, 29.45]]]}`), "未闭合"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.5, 29.5]]]}`), "至少需要 4 个点"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "LineString", "coordinates": [[113.4, 29.4]]}`), "至少需要 2 个点"},
		{"PUT", project, projectBodyWith(`{"type": "LineString", "coordinates": [[113.4, 29.4], [113.5, -1e308]]}`), "几何（geometry）的坐标"},
		{"PUT", project, projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.5], [113.5, 29.4], [113.4, 29.5], [113.4, 29.4]]]}`), "几何（geometry）无效"},
		{"GET", "/api/v1/projects/99999999999999999999", "", "项目编号应为"},
		{"DELETE", "/api/v1/projects/9223372036854775808", "", "项目编号应为"},
		{"GET", "/api/v1/projects/0/history", "", "项目编号应为"},
		{"GET", "/api/v1/scoring-runs/99999999999999999999", "", "评分批次编号应为"},
		{"GET", "/api/v1/scoring-runs/1/diff/99999999999999999999", "", "评分批次编号应为"},
		{"POST", "/api/v1/session", `{"login": "\u0000", "password": "x"}`, "空字符"},
		{"POST", "/api/v1/projects", `{"name": "甲\u0000", "category": "` + planning.CatRoad + `"}`, "空字符"},
		{"PUT", "/api/v1/villages/" + village + "/location", `{"lon": 1e308, "lat": 1e308}`, "村委会位置"},
		{"PUT", "/api/v1/villages/" + village + "/location", `{"lon": 29.48, "lat": 113.45}`, "颠倒"},
		{"PUT", "/api/v1/villages/" + village + "/location", `{"lon": -74.0, "lat": 40.7}`, "不在中国范围内"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "Point", "coordinates": [-74.0, 40.7]}`), "不在中国范围内"},
		{"POST", "/api/v1/projects", projectBodyWith(`{"type": "Point", "coordinates": [112.4, 29.5]}`), "位于县界外"},
		{"PUT", project, projectBodyWith(`{"type": "LineString", "coordinates": [[113.45, 29.48], [116.0, 29.5]]}`), "位于县界外"},
	}
	for _, tc := range cases {
		rec := do(t, f.h, tc.method, tc.url, tc.body)
		if msg := errorMessage(rec); rec.Code != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s: %d %q, want 400 with %q", tc.method, tc.url, rec.Code, msg, tc.want)
		}
	}
	// An upload with one row at 1e308, outside China or swapped, in any
	// format the route reads, is refused (422) naming that row, and
	// writes nothing; the same file corrected goes in.
	for name, file := range map[string]string{
		"stops.csv": "站名,经度,纬度,线路\n甲村招呼站,113.45,29.47,\n乙村招呼站,1e308,29.47,\n",
		"stops.geojson": `{"type": "FeatureCollection", "features": [
			{"type": "Feature", "properties": {"name": "甲村招呼站"}, "geometry": {"type": "Point", "coordinates": [113.45, 29.47]}},
			{"type": "Feature", "properties": {"name": "乙村招呼站"}, "geometry": {"type": "Point", "coordinates": [-74.0, 40.7]}}]}`,
	} {
		var before int
		if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM bus_stops`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{name: file}, nil))
		rep := decode[planning.ImportReport](t, rec)
		row := 2 // a GeoJSON's second feature
		if strings.HasSuffix(name, ".csv") {
			row = 3 // as Excel numbers it
		}
		named := slices.ContainsFunc(rep.Problems, func(p planning.ImportProblem) bool {
			return p.Row == row && p.Severity == planning.SeverityError && strings.Contains(p.Reason, "坐标")
		})
		var after int
		if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM bus_stops`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusUnprocessableEntity || rep.Committed || !named || after != before {
			t.Errorf("import %s with a bad coordinate: %d, committed %v, row %d named %v, bus stops %d → %d\n%s", name, rec.Code, rep.Committed, row, named, before, after, rec.Body)
		}
	}
	// A NaN margin passed "> 0" and, compared false with every distance,
	// let rows from anywhere past the county check.
	stops := "站名,经度,纬度,线路\n甲村招呼站,113.45,29.47,\n"
	for field, v := range map[string]string{"margin_km": "NaN", "srs": "\xff", "source": "a\x00"} {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"stops.csv": stops}, map[string]string{field: v}))
		if msg := errorMessage(rec); rec.Code != http.StatusBadRequest || !strings.Contains(msg, field) {
			t.Errorf("import with %s=%q: %d %q, want 400 naming %s", field, v, rec.Code, msg, field)
		}
	}
}

// malformedFixture is the demo county scored once, with one project, its
// tile engine refreshed, behind the whole router as the all-roles tester.
type malformedFixture struct {
	h       http.Handler
	db      *datatest.DB
	run     planning.Run
	project planning.Project
	logs    *strings.Builder // the server's error lines
}

func newMalformedFixture(t *testing.T) *malformedFixture {
	t.Helper()
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	run, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The tile engine knows the data's extent only once refreshed: until
	// then every tile is an empty 204 that reads no filter.
	ts := tiles.NewService(db.Store, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := ts.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// The 5xx the handlers log say what broke.
	logs := &strings.Builder{}
	h := newRouter(t, db.Store, func(c *api.Config) {
		c.Tiles, c.RequestTimeout = ts, 10*time.Second
		c.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	created := send(t, h, http.MethodPost, "/api/v1/projects", projectBodyWith(`{"type": "Point", "coordinates": [113.45, 29.48]}`))
	if created.Code != http.StatusCreated {
		t.Fatalf("seed project: %d %s", created.Code, created.Body)
	}
	project := decode[struct {
		Project planning.Project `json:"project"`
	}](t, created).Project

	return &malformedFixture{h: h, db: db, run: run, project: project, logs: logs}
}

// pathVars matches a mux path variable, {name} or {name:regexp}.
var pathVars = regexp.MustCompile(`\{([^}:]+)(?::[^}]*)?\}`)

// queryKeys are query parameters the handlers read, beside those
// sourceQueryKeys finds and those a route lists when it refuses an
// unknown one (listedKeys); a key a route does not take must be refused
// with 400.
var queryKeys = []string{"bbox", "by", "category", "code", "dimension", "encoding", "error", "from", "geometry", "id",
	"json", "kind", "limit", "min_score", "page", "page_size", "poor", "report", "run", "sort", "source", "srs",
	"state", "status", "to", "township", "v", "village", "year"}

// sourceQueryKeys finds the query parameters the handlers read in their
// source (q.Get("key"), Has("key") in the api, planning and tiles
// packages), so that a parameter added to any route is fuzzed without
// editing this test.
func sourceQueryKeys(t *testing.T) []string {
	t.Helper()
	read := regexp.MustCompile(`\.(?:Get|Has)\("([a-z][a-z_0-9]*)"\)`)
	var keys []string
	for _, dir := range []string{".", "../../../planning", "../../../tiles"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range read.FindAllSubmatch(b, -1) {
				keys = append(keys, string(m[1]))
			}
		}
	}
	// A scan that finds little has stopped matching the code's shape.
	for _, want := range []string{"township", "as_of", "page_size", "async"} {
		if !slices.Contains(keys, want) {
			t.Fatalf("the source scan found %v, not %q: update its pattern", keys, want)
		}
	}
	return keys
}

// listedKeys are the parameters a route names when it refuses an unknown
// one (…可用参数：a, b, c).
func listedKeys(h http.Handler, method, path string) []string {
	if method != http.MethodGet && method != http.MethodHead {
		return nil
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path+"?no_such_parameter=1", nil))
	_, list, ok := strings.Cut(errorMessage(rec), "可用参数：")
	if !ok {
		return nil
	}
	return strings.Split(list, ", ")
}

// projectBodyWith is a valid project whose geometry is geometry (GeoJSON).
func projectBodyWith(geometry string) string {
	return `{"name": "模糊测试项目", "category": "` + planning.Categories[0] + `", "geometry": ` + geometry + `}`
}

// fixedBodies are the write bodies issue 23 saw answer 500 or poison the
// database, sent to every write route.
var fixedBodies = []string{
	projectBodyWith(`{"type": "Point", "coordinates": [1e308, 1e308]}`),
	projectBodyWith(`{"type": "Point", "coordinates": [113.4, -1e308]}`),
	projectBodyWith(`{"type": "LineString", "coordinates": [[113.4, 29.4], [1e308, 29.5]]}`),
	projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.5, 29.5]]]}`),
	projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.5, 29.5], [113.45, 29.45]]]}`),
	projectBodyWith(`{"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.5], [113.5, 29.4], [113.4, 29.5], [113.4, 29.4]]]}`),
	projectBodyWith(`{"type": "LineString", "coordinates": [[113.4, 29.4]]}`),
	projectBodyWith(`{"type": "Point", "coordinates": [-74.0, 40.7]}`),
	projectBodyWith(`{"type": "Point", "coordinates": []}`),
	projectBodyWith(`{"type": "MultiPolygon", "coordinates": [[[[113.4, 29.4], [113.5, 29.4]]]]}`),
	`{"name": "模糊测试项目", "category": "` + planning.Categories[0] + `", "cost_wan": 1e308, "quantity": 1e308, "unit_price_wan": 1e308}`,
	`{"name": "模糊测试项目", "category": "` + planning.Categories[0] + `", "households": 9223372036854775807, "population": 2147483648, "year": 2147483648}`,
	`{"lon": 1e308, "lat": 1e308}`, `{"lon": 113.45, "lat": -1e308}`, `{"lon": -1e308, "lat": 29.4}`,
	`{"lon": "NaN", "lat": "Infinity"}`, `{"lon": 4.9e-324, "lat": 0}`,
	`{"run_id": 9223372036854775807}`, `{"run_id": 1e308}`, `{"run_id": -1}`,
	`{"as_of": "99999-12-31"}`, `{"as_of": "0000-01-01"}`, `{"profile": {"weights": {"通路": 1e308}}}`,
	`{"code": "` + "\xff\xfe" + `"}`, `{"to": "` + "\xff" + `", "reason": "` + "\x00" + `"}`,
	`{"year": 2147483648, "amount_wan": 1e308}`, `{"year": -2147483649}`,
	`{"login": "\u0000", "password": "\u0000"}`, `{"name": "\u0000", "category": "` + planning.CatRoad + `"}`,
	`{"profile": {"name": "\u0000"}}`, `{"to": "\u0000", "reason": "\u0000"}`,
}

// hostileFiles are uploads whose coordinates or shapes no layer can take.
var hostileFiles = map[string]string{
	"open-ring.geojson": `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "开口面", "category": "基础设施-道路"},
		"geometry": {"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.5, 29.5], [113.45, 29.45]]]}}]}`,
	"short-ring.geojson": `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "三点面"},
		"geometry": {"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.4], [113.4, 29.4]]]}}]}`,
	"bowtie.geojson": `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "自相交"},
		"geometry": {"type": "Polygon", "coordinates": [[[113.4, 29.4], [113.5, 29.5], [113.5, 29.4], [113.4, 29.5], [113.4, 29.4]]]}}]}`,
	"huge.geojson": `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "巨大"},
		"geometry": {"type": "LineString", "coordinates": [[1e308, 1e308], [113.5, -1e308]]}}]}`,
	"one-point-line.geojson": `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "单点线"},
		"geometry": {"type": "LineString", "coordinates": [[113.4, 29.4]]}}]}`,
	"nan.csv":     "名称,经度,纬度\n甲,NaN,Inf\n乙,1e308,1e308\n丙,-Inf,29.4\n",
	"nan.wkt.csv": "名称,WKT\n甲,\"POINT(NaN NaN)\"\n乙,\"LINESTRING(113.4 29.4)\"\n丙,\"POLYGON((113.4 29.4, 113.5 29.4, 113.5 29.5, 113.45 29.45))\"\n",
	"utf8.csv":    "名称,经度,纬度\n\xff\xfe,113.45,29.47\n",
}

// malformed draws hostile values from a seeded generator.
type malformed struct{ rng *rand.Rand }

// values are the shapes of input issue 23 saw break handlers.
var values = []string{
	"\xff\xfe", "a\xc3", "\x00", "%00", "99999999999999999999", "9223372036854775807", "9223372036854775808",
	"-9223372036854775809", "2147483648", "-2147483649", "4294967296", "0", "-1", "NaN", "nan", "Inf", "-Inf",
	"+Inf", "1e308", "-1e308", "1e309", "4.9e-324", "NaN,NaN,NaN,NaN", "-Inf,-Inf,Inf,Inf", "1,2,NaN,4",
	"0,0,1e308,1e308", "113,29,114,30", "', 1); DROP TABLE projects; --", "../../etc/passwd", "EPSG:99999999999",
	"EPSG:2147483648", "EPSG:-1", "+proj=tmerc +lon_0=1e308", "true", "null", "[]", "{}", "综合", " ", "😀",
}

// value returns one hostile string: a known bad shape, random digits of
// any length, random bytes, or a long string.
func (g *malformed) value() string {
	switch g.rng.IntN(8) {
	case 0:
		return strings.Repeat("9", 1+g.rng.IntN(40))
	case 1:
		b := make([]byte, 1+g.rng.IntN(12))
		for i := range b {
			b[i] = byte(g.rng.IntN(256))
		}
		return string(b)
	case 2:
		return strings.Repeat("村", 1+g.rng.IntN(5000))
	default:
		return values[g.rng.IntN(len(values))]
	}
}

// bodyFields are JSON keys the write routes read.
var bodyFields = []string{"name", "category", "code", "lon", "lat", "run_id", "all", "to", "reason", "profile", "as_of",
	"full", "year", "amount_wan", "source", "geometry", "login", "password", "targets", "funding", "replace", "budget_wan"}

// body returns one hostile JSON body: a wrong-typed field, a
// deeply nested or non-JSON document, or invalid UTF-8.
func (g *malformed) body() string {
	weird := []string{"1e308", "-1e308", "1e999", `"NaN"`, `"Infinity"`, "true", "[]", "{}", "null", "99999999999999999999",
		`"` + "\xff\xfe" + `"`, `"` + strings.Repeat("x", 100000) + `"`, `"\u0000"`, "-0", "[1e308, 1e308]"}
	switch g.rng.IntN(6) {
	case 0:
		d := 1 + g.rng.IntN(20000)
		return strings.Repeat("[", d) + strings.Repeat("]", d)
	case 1:
		return g.value()
	case 2:
		return `{"` + bodyFields[g.rng.IntN(len(bodyFields))] + `": ` + strings.Repeat(`{"a": `, 1+g.rng.IntN(2000)) + "1" + strings.Repeat("}", 1+g.rng.IntN(2000)) + "}"
	default:
		return `{"` + bodyFields[g.rng.IntN(len(bodyFields))] + `": ` + weird[g.rng.IntN(len(weird))] + `}`
	}
}

// example returns the example body a write route shows in its 400 for a
// body that is not JSON ("请求体应为 JSON：{…}（…）"), decoded; false when
// it shows none or the example is not JSON itself.
func example(h http.Handler, method, path string) (any, bool) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader("[")))
	msg := errorMessage(rec)
	_, ex, ok := strings.Cut(msg, "请求体应为 JSON：")
	if i := strings.LastIndex(ex, "（"); ok && i > 0 {
		ex = ex[:i]
	}
	var v any
	if !ok || json.Unmarshal([]byte(ex), &v) != nil {
		return nil, false
	}
	return v, true
}

// hostileJSON are JSON values a field of any type may be given instead of
// its own.
var hostileJSON = []string{"1e308", "-1e308", "4.9e-324", "99999999999999999999", "9223372036854775807", "-9223372036854775809",
	"2147483648", "-1", "0", `"NaN"`, `"Infinity"`, `"1e308"`, `"\u0000"`, `"` + strings.Repeat("村", 20000) + `"`, `""`, "true",
	"null", "[]", "{}", `[1e308, 1e308]`, `{"type": "Point", "coordinates": [1e308, 1e308]}`, `"\ud800"`,
	`"2016-02-30"`, `"99999-12-31"`}

// mutate returns the JSON of ex with one value, chosen at random, replaced
// by a hostile one.
func (g *malformed) mutate(ex any) string {
	var leaves [][]any // paths: map keys and slice indexes
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		leaves = append(leaves, slices.Clone(path))
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k], append(path, k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(path, i))
			}
		}
	}
	walk(ex, nil)
	target := leaves[g.rng.IntN(len(leaves))]
	bad := json.RawMessage(hostileJSON[g.rng.IntN(len(hostileJSON))])
	var rebuild func(v any, path []any) any
	rebuild = func(v any, path []any) any {
		if len(path) == 0 {
			return bad
		}
		switch x := v.(type) {
		case map[string]any:
			out := maps.Clone(x)
			out[path[0].(string)] = rebuild(x[path[0].(string)], path[1:])
			return out
		case []any:
			out := slices.Clone(x)
			out[path[0].(int)] = rebuild(x[path[0].(int)], path[1:])
			return out
		}
		return bad
	}
	b, err := json.Marshal(rebuild(ex, target))
	if err != nil {
		panic(err) // the hostile values are all JSON
	}
	return string(b)
}

// envInt reads a positive integer setting of a test, def when unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}
