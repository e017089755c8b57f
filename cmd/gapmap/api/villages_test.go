package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// store is what the API needs of package data; *data.Store is one.
type store interface {
	planning.Store
	planning.ImportStore
	planning.ExportStore
	planning.PovertyStore
	tiles.Source
	access.Store
	audit.Store
	planning.JobStore
}

// newRawRouter builds the whole handler on store exactly as the gapmap
// binary does, through api.New and its one route table; set changes the
// settings a test needs. Its clients authenticate themselves.
func newRawRouter(t testing.TB, store store, set ...func(*api.Config)) http.Handler {
	t.Helper()
	c := api.Config{Store: store, Imports: store, Exports: store, Poverty: store, Accounts: store, Audit: store, Jobs: store,
		Tiles:  tiles.NewService(store, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second)),
		Static: web.Static(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RequestTimeout: 5 * time.Second, ImportMaxBytes: 512 << 20}
	for _, f := range set {
		f(&c)
	}
	h, err := api.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newRouter is newRawRouter whose requests, unless they carry their own
// credentials, are made by "tester": a user with every role in every
// organisation of the loaded county, through an API token — the tests of
// what the routes do go through the same gate as any client.
func newRouter(t testing.TB, store store, set ...func(*api.Config)) http.Handler {
	t.Helper()
	h := newRawRouter(t, store, set...)
	token := allRoles(t, store, "tester")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.Header.Get("Cookie") == "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		h.ServeHTTP(w, r)
	})
}

// allRoles creates (or finds) the user login with every role in the
// county, its bureaus, townships and villages, and returns an API token of
// it with every scope.
func allRoles(t testing.TB, store store, login string) string {
	t.Helper()
	ctx := datatest.Context()
	if _, err := store.User(ctx, login); planning.ErrorCode(err) == planning.ENotFound {
		if _, err := store.CreateUser(ctx, login, login, ""); err != nil {
			t.Fatal(err)
		}
	}
	pol := access.Default()
	grant := func(kind access.Kind, code string, roles ...access.Role) {
		org, err := store.Org(ctx, pol, kind, code)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if _, err := store.SetGrant(ctx, login, org, r, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, b := range pol.Bureaus {
		grant(access.Bureau, b.Code, access.Editor, access.Reviewer, access.Approver)
	}
	vs, err := store.Villages(ctx, planning.VillageFilter{Limit: planning.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	// The county's roles come first, from the national code list, so that
	// the county can be set up (county init) by them.
	grant(access.County, "430682", access.Admin, access.Approver)
	// Township roles cover their villages' own steps, so no village role
	// is needed.
	seen := map[string]bool{"430682": true}
	for _, v := range vs.Villages {
		if t := v.TownshipCode; t != "" && !seen[t] {
			seen[t] = true
			grant(access.Township, t, access.Editor, access.Reviewer)
			if !seen[t[:6]] {
				seen[t[:6]] = true
				grant(access.County, t[:6], access.Admin, access.Approver)
			}
		}
	}
	secret, _, err := store.CreateToken(ctx, login, "tests", access.Actions, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func get(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	return rec
}

func TestVillagesAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store)

	t.Run("poor villages", func(t *testing.T) {
		rec := get(t, h, "/api/v1/villages?poor=true")
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
			t.Errorf("Content-Type = %q, want application/geo+json", ct)
		}
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) != 26 {
			t.Fatalf("got %d poor villages, want 26", len(fc.Features))
		}
		sum := 0.0
		for _, f := range fc.Features {
			if f.Properties["is_poor_village"] != true {
				t.Errorf("%v is not poor", f.Properties["name"])
			}
			sum += f.Properties["poor_population"].(float64)
		}
		if sum != 14895 {
			t.Errorf("poor population sums to %v, want 14895", sum)
		}
		if fc.ExtraMembers["total"] != float64(26) {
			t.Errorf("total = %v, want 26", fc.ExtraMembers["total"])
		}
	})

	t.Run("paging and township filter", func(t *testing.T) {
		rec := get(t, h, "/api/v1/villages?township=羊楼司镇&page=2&page_size=15")
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("status %d: %v", rec.Code, err)
		}
		// 羊楼司镇 has 20 units: page 2 of 15 holds the last 5.
		if len(fc.Features) != 5 || fc.ExtraMembers["total"] != float64(20) {
			t.Errorf("page 2: %d features of total %v, want 5 of 20", len(fc.Features), fc.ExtraMembers["total"])
		}
		byCode := get(t, h, "/api/v1/villages?township=430682114&page_size=1000")
		fc2, _ := geojson.UnmarshalFeatureCollection(byCode.Body.Bytes())
		if fc2 == nil || len(fc2.Features) != 20 {
			t.Errorf("township by code: want 20 features, got %s", byCode.Body.String()[:min(200, byCode.Body.Len())])
		}
	})

	t.Run("one village with outline", func(t *testing.T) {
		rec := get(t, h, "/api/v1/villages/430682114236?geometry=outline")
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		f, err := geojson.UnmarshalFeature(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if f.Properties["name"] != "梅池村" || f.Properties["township_name"] != "羊楼司镇" {
			t.Errorf("got %v in %v, want 梅池村 in 羊楼司镇", f.Properties["name"], f.Properties["township_name"])
		}
		if f.Geometry.GeoJSONType() != "MultiPolygon" {
			t.Errorf("geometry %s, want MultiPolygon", f.Geometry.GeoJSONType())
		}
	})

	errs := []struct {
		name, url string
		status    int
		message   string
	}{
		{"11-digit code", "/api/v1/villages/43068211423", 400, "12位"},
		{"unknown code", "/api/v1/villages/430682999999", 404, "没有代码为 430682999999 的村"},
		{"unknown township", "/api/v1/villages?township=不存在镇", 400, "没有名称或代码为"},
		{"bad poor flag", "/api/v1/villages?poor=maybe", 400, "poor"},
		{"page size too large", "/api/v1/villages?page_size=5000", 400, "page_size"},
		{"unknown parameter", "/api/v1/villages?town=1", 400, "未知的查询参数"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.url)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body is not JSON: %s", rec.Body)
			}
			if !strings.Contains(body.Error.Message, tc.message) {
				t.Errorf("message %q lacks %q", body.Error.Message, tc.message)
			}
		})
	}
}

func TestLayersAndHealth(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store)

	if rec := get(t, h, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200: %s", rec.Code, rec.Body)
	}
	rec := get(t, h, "/api/v1/layers")
	var body struct {
		CRS    string
		Layers []struct {
			Name   string
			Title  string
			Count  int64
			Extent *[4]float64
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("status %d: %v", rec.Code, err)
	}
	if body.CRS != "EPSG:4490" {
		t.Errorf("crs = %q", body.CRS)
	}
	counts := map[string]int64{}
	for _, l := range body.Layers {
		counts[l.Name] = l.Count
		if l.Count > 0 && (l.Extent == nil || l.Extent[0] < 113.30 || l.Extent[2] > 113.75 || l.Extent[1] < 29.20 || l.Extent[3] > 29.85) {
			t.Errorf("layer %s extent %v outside 临湘's 113.30–113.75 E, 29.20–29.85 N", l.Name, l.Extent)
		}
	}
	for _, name := range []string{"counties", "townships", "villages", "roads", "bridges", "bus_stops", "reservoirs",
		"water_works", "water_mains", "substations", "power_lines", "transformers", "pv_stations", "tourism_sites"} {
		if counts[name] == 0 {
			t.Errorf("layer %s: count 0, want features", name)
		}
	}
	if _, ok := counts["projects"]; !ok {
		t.Error("layer projects missing from the list")
	}
	if counts["townships"] != 14 {
		t.Errorf("townships count %d, want 14", counts["townships"])
	}
}

func TestHealthzUnavailable(t *testing.T) {
	db := datatest.New(t)
	// A schema with no migrations: reachable but not ready.
	if _, err := db.Pool.Exec(t.Context(), `DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	h := newRouter(t, db.Store)
	rec := get(t, h, "/healthz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/healthz without migrations = %d, want 503", rec.Code)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func do(t *testing.T, h http.Handler, method, url, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, strings.NewReader(body)))
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("status %d, body not JSON: %v: %s", rec.Code, err, rec.Body)
	}
	return v
}

func TestScoringAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store)

	if rec := get(t, h, "/api/v1/gaps"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "尚未进行评分") {
		t.Errorf("gaps before any run: %d %s, want 404 saying the county is not scored", rec.Code, rec.Body)
	}

	rec := do(t, h, http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-12-31"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST scoring-runs: %d %s", rec.Code, rec.Body)
	}
	run := decode[planning.Run](t, rec)
	if run.Villages != 161 || run.ProfileHash == "" || rec.Header().Get("Location") == "" {
		t.Errorf("run: %d villages, hash %q, Location %q; want 161, a hash and a Location", run.Villages, run.ProfileHash, rec.Header().Get("Location"))
	}

	got := decode[planning.Run](t, get(t, h, "/api/v1/scoring-runs/"+strconv.FormatInt(run.ID, 10)))
	if got.ID != run.ID || got.ProfileHash != run.ProfileHash || got.DataVersion["roads"] == 0 {
		t.Errorf("GET run = id %d hash %s roads version %d; want %d %s >0", got.ID, got.ProfileHash, got.DataVersion["roads"], run.ID, run.ProfileHash)
	}

	// The worst 通路 poor villages, worst first.
	list := decode[struct {
		Total    int
		Villages []planning.GapRow
	}](t, get(t, h, "/api/v1/gaps?dimension=通路&poor=true&page_size=100"))
	if list.Total != 26 || len(list.Villages) != 26 {
		t.Fatalf("gaps?dimension=通路&poor=true: total %d, %d rows; want 26", list.Total, len(list.Villages))
	}
	for i := 1; i < len(list.Villages); i++ {
		a, b := list.Villages[i-1].Gaps[planning.DimRoad], list.Villages[i].Gaps[planning.DimRoad]
		if a != nil && b != nil && *a < *b {
			t.Errorf("row %d (%.1f) sorts after a smaller gap (%.1f)", i, *b, *a)
		}
	}
	worst := list.Villages[0]

	// The breakdown explains the worst village down to measured values and geometry.
	body := decode[struct {
		Village planning.VillageScore
		Explain struct{ Features []json.RawMessage }
	}](t, get(t, h, "/api/v1/villages/"+worst.Code+"/gaps"))
	if len(body.Village.Dimensions) != 4 || len(body.Village.Exit) == 0 {
		t.Fatalf("breakdown has %d dimensions and %d exit items", len(body.Village.Dimensions), len(body.Village.Exit))
	}
	road := body.Village.Dimensions[0]
	if road.Dimension != planning.DimRoad || road.Gap == nil || *road.Gap != *worst.Gaps[planning.DimRoad] {
		t.Errorf("breakdown 通路 gap %v differs from the list's %v", road.Gap, *worst.Gaps[planning.DimRoad])
	}
	if len(body.Explain.Features) == 0 {
		t.Error("no explaining geometry for the worst 通路 village")
	}
	for _, is := range road.Indicators {
		if is.Status != planning.StatusNoData && is.Status != planning.StatusNotApplicable && is.Value == nil {
			t.Errorf("%s is %s without a measured value", is.ID, is.Status)
		}
	}

	// A county profile that allows 3 km to a bus stop can only lower gaps.
	rec = do(t, h, http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-12-31", "profile": {"road": {"bus_stop_radius_m": 3000}}}`)
	second := decode[planning.Run](t, rec)
	if second.Profile.Road.BusStopRadiusM.Source != planning.SourceCounty {
		t.Errorf("override source = %q, want county", second.Profile.Road.BusStopRadiusM.Source)
	}
	diff := decode[struct {
		Changed  int
		Villages []planning.VillageDiff
	}](t, get(t, h, "/api/v1/scoring-runs/"+strconv.FormatInt(run.ID, 10)+"/diff/"+strconv.FormatInt(second.ID, 10)))
	t.Logf("worst 通路 village %s %s gap %.1f; 3 km radius changed %d villages", worst.Code, worst.Name, *worst.Gaps[planning.DimRoad], diff.Changed)
	if diff.Changed == 0 {
		t.Error("a 3 km bus-stop radius changed no village")
	}
	for _, d := range diff.Villages {
		if d.Status["R4"] != [2]string{planning.StatusFail, planning.StatusPass} {
			t.Errorf("%s changed without R4 going fail→pass: %v", d.Code, d.Status)
		}
	}

	bad := []struct {
		name, method, url, body, want string
		status                        int
	}{
		{"unknown profile key", http.MethodPost, "/api/v1/scoring-runs", `{"profile": {"road": {"bus_stop_radius": 3000}}}`, "road.bus_stop_radius", 400},
		{"negative weight", http.MethodPost, "/api/v1/scoring-runs", `{"profile": {"road": {"weight_r2": -1}}}`, "road.weight_r2", 400},
		{"bad date", http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-13-01"}`, "as_of", 400},
		{"unknown dimension", http.MethodGet, "/api/v1/gaps?dimension=水", "", "未知的维度", 400},
		{"unknown run", http.MethodGet, "/api/v1/scoring-runs/99999", "", "99999", 404},
		{"min_score out of range", http.MethodGet, "/api/v1/gaps?min_score=101", "", "min_score", 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.method, tc.url, tc.body)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%d %s, want %d naming %q", rec.Code, rec.Body, tc.status, tc.want)
			}
		})
	}
}
