package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// noStore stands in for the stores in tests that must not reach them: a
// call panics (a 500 through the chain).
type noStore struct {
	planning.Store
	planning.ImportStore
	planning.ExportStore
}

// noAccounts, noAudit, noPoverty and noJobs stand in for the stores the
// test does not reach.
type (
	noAccounts struct{ access.Store }
	noAudit    struct{ audit.Store }
	noPoverty  struct{ planning.PovertyStore }
	noJobs     struct{ planning.JobStore }
)

// pageRouter builds the whole handler as the binary does, through New,
// serving static as the review map, with stand-ins for everything else.
func pageRouter(t *testing.T, static fs.FS, cfg WebConfig) http.Handler {
	t.Helper()
	var src struct{ tiles.Source }
	h, err := New(Config{Store: noStore{}, Imports: noStore{}, Exports: noStore{}, Accounts: noAccounts{}, Audit: noAudit{}, Poverty: noPoverty{}, Jobs: noJobs{},
		Tiles: tiles.NewService(src, tiles.NewCache(0), time.Second, admit.NewGate(1, 8, 2*time.Second)), Static: static, Web: cfg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: time.Second, ImportMaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// webServer serves the review map from fsys the way serve mounts it.
func webServer(t *testing.T, fsys fstest.MapFS, cfg WebConfig) *httptest.Server {
	t.Helper()
	static, err := fs.Sub(fsys, "web/static")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pageRouter(t, static, cfg))
	t.Cleanup(srv.Close)
	return srv
}

func webGet(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The test reads exactly what the server sent, compressed or not.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

var assetURL = regexp.MustCompile(`/static/[0-9a-f]{12}/app\.js`)

// TestEmbeddedPage checks the page as the binary embeds it: whatever make
// web has or has not copied into static/vendor, / is the Chinese page and
// its assets are served with the right types and caching.
func TestEmbeddedPage(t *testing.T) {
	site, err := newWebSite(web.Static(), ".", WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pageRouter(t, web.Static(), WebConfig{}))
	defer srv.Close()

	res, body := webGet(t, srv.URL+"/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<html lang="zh-CN">`, "村级基础设施缺口审核图", "项目库", "下载 申报表 XLSX"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("page Cache-Control = %q, want no-cache so a new build is picked up", got)
	}
	if bytes.Contains(body, []byte("{{static}}")) || bytes.Contains(body, []byte("https://")) {
		t.Error("the page keeps its template marker or loads something from the internet")
	}
	// Every module of the page is preloaded, and only those: a name the page
	// does not import would be fetched for nothing.
	var preloaded []string
	for _, m := range regexp.MustCompile(`<link rel="modulepreload" href="/static/[0-9a-f]{12}/([^"]+)">`).FindAllSubmatch(body, -1) {
		preloaded = append(preloaded, string(m[1]))
	}
	want, _ := fs.Glob(web.Static(), "*.js")
	if _, ok := site.files[web.MapLibreFile]; ok {
		want = append(want, web.MapLibreFile)
	}
	slices.Sort(want)
	slices.Sort(preloaded)
	if len(want) < 20 || !slices.Equal(preloaded, want) {
		t.Errorf("the page preloads %v; its modules are %v", preloaded, want)
	}
	app := assetURL.Find(body)
	if app == nil {
		t.Fatalf("the page names no versioned app.js:\n%s", body)
	}
	res, js := webGet(t, srv.URL+string(app))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET %s = %d %q", app, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control = %q, want immutable", got)
	}
	if !bytes.Contains(js, []byte("import")) {
		t.Error("app.js is not the page's module")
	}
	// No asset of the page reaches out of the machine. The SVG namespace
	// is a name, never fetched.
	url := regexp.MustCompile(`https?://[a-z0-9./-]+`)
	for name, f := range site.files {
		if strings.HasPrefix(name, "vendor/") {
			continue
		}
		for _, m := range url.FindAll(f.body, -1) {
			if !bytes.Contains(m, []byte("127.0.0.1")) && string(m) != "http://www.w3.org/2000/svg" {
				t.Errorf("%s refers to %s: the page must work without internet", name, m)
			}
		}
	}
}

// TestWebAssets uses a small stand-in tree to check what the real one may
// or may not hold: MapLibre present or not, and each kind of file.
func TestWebAssets(t *testing.T) {
	files := fstest.MapFS{
		"web/static/index.html":                 {Data: []byte(`<html lang="zh-CN">` + web.PreloadMark + `<script type="module" src="{{static}}/app.js"></script>审核图</html>`)},
		"web/static/app.js":                     {Data: []byte(strings.Repeat("export const x = 1;\n", 200))},
		"web/static/style.css":                  {Data: []byte("body { margin: 0 }")},
		"web/static/vendor/maplibre-gl.mjs":     {Data: []byte("export {};")},
		"web/static/vendor/maplibre-gl.mjs.map": {Data: []byte("{}")},
	}
	srv := webServer(t, files, WebConfig{})
	_, page := webGet(t, srv.URL+"/")
	prefix := regexp.MustCompile(`/static/[0-9a-f]{12}`).Find(page)
	if prefix == nil {
		t.Fatalf("no asset prefix in %s", page)
	}

	cases := []struct {
		name, path  string
		status      int
		contentType string
		cache       string
	}{
		{"module", string(prefix) + "/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"MapLibre as an ES module", string(prefix) + "/vendor/maplibre-gl.mjs", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"stylesheet", string(prefix) + "/style.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"older build", "/static/000000000000/style.css", 200, "text/css; charset=utf-8", "no-cache"},
		{"source maps are not shipped", string(prefix) + "/vendor/maplibre-gl.mjs.map", 404, "text/plain; charset=utf-8", "no-cache"},
		{"no such file", string(prefix) + "/nothing.js", 404, "text/plain; charset=utf-8", "no-cache"},
		{"no directory listing", string(prefix) + "/vendor/", 404, "", ""},
		{"the page's settings", "/config.json", 200, "application/json; charset=utf-8", "no-cache"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := webGet(t, srv.URL+tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, res.StatusCode, tc.status)
			}
			if tc.contentType != "" && res.Header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tc.contentType)
			}
			if tc.cache != "" && res.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tc.cache)
			}
		})
	}

	t.Run("gzip and revalidation", func(t *testing.T) {
		path := srv.URL + string(prefix) + "/app.js"
		res, body := webGet(t, path, "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("app.js not gzipped: %v", res.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, files["web/static/app.js"].Data) {
			t.Error("gzipped app.js differs from the file")
		}
		res, _ = webGet(t, path, "Accept-Encoding", "gzip", "If-None-Match", res.Header.Get("ETag"))
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation = %d, want 304", res.StatusCode)
		}
		res, _ = webGet(t, srv.URL+"/", "If-None-Match", "\"stale\"")
		if res.StatusCode != http.StatusOK {
			t.Errorf("stale page revalidation = %d, want 200", res.StatusCode)
		}
	})

	t.Run("MapLibre missing", func(t *testing.T) {
		without := fstest.MapFS{}
		for k, v := range files {
			if !strings.Contains(k, "vendor/") {
				without[k] = v
			}
		}
		var cfg WebConfig
		bare := webServer(t, without, WebConfig{})
		_, body := webGet(t, bare.URL+"/config.json")
		if err := json.Unmarshal(body, &cfg); err != nil || cfg.MapLibre {
			t.Errorf("config.json = %s, want maplibre false", body)
		}
		// The page preloads MapLibre only when it is there to load.
		if _, page := webGet(t, bare.URL+"/"); bytes.Contains(page, []byte("maplibre-gl.mjs")) {
			t.Errorf("the page without MapLibre preloads it: %s", page)
		}
		_, body = webGet(t, srv.URL+"/config.json")
		if err := json.Unmarshal(body, &cfg); err != nil || !cfg.MapLibre {
			t.Errorf("config.json = %s, want maplibre true", body)
		}
		for _, f := range []string{"vendor/maplibre-gl.mjs", "app.js"} {
			if !bytes.Contains(page, []byte(`<link rel="modulepreload" href="`+string(prefix)+"/"+f+`">`)) {
				t.Errorf("the page does not preload %s: %s", f, page)
			}
		}
	})

	t.Run("the page is required", func(t *testing.T) {
		if _, err := newWebSite(fstest.MapFS{"web/static/app.js": files["web/static/app.js"]}, "web/static", WebConfig{}); err == nil {
			t.Error("a tree without index.html was accepted")
		}
	})
}

func TestBasemapConfig(t *testing.T) {
	const custom = "http://tiles.local/{z}/{x}/{y}.png"
	tdt := func(layer, key string) string {
		return "https://t0.tianditu.gov.cn/" + layer + "_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=" + layer +
			"&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + key
	}
	// want is the tiles of each choice by ID ("hint" for a 天地图 choice
	// without a key), then the default and the part of the error.
	type want struct {
		tiles   map[string][]string
		def     string
		errPart string
	}
	noKey := map[string][]string{"tianditu-vec": {"hint"}, "tianditu-img": {"hint"}}
	withCustom := func(crsTiles string) map[string][]string {
		return map[string][]string{"tianditu-vec": {"hint"}, "tianditu-img": {"hint"}, "custom": {crsTiles}}
	}
	cases := []struct {
		name string
		env  map[string]string
		crs  string // of the custom basemap
		want want
	}{
		{"none by default, for offline use; 天地图 offered with its hint", nil, "", want{tiles: noKey}},
		{"XYZ in WGS84", map[string]string{"GAPMAP_BASEMAP_URL": custom}, "wgs84", want{tiles: withCustom(custom), def: "custom"}},
		{"GCJ-02", map[string]string{"GAPMAP_BASEMAP_URL": custom, "GAPMAP_BASEMAP_CRS": "GCJ02"}, "gcj02", want{tiles: withCustom(custom), def: "custom"}},
		{"天地图 by key: vector and imagery, each with its annotation", map[string]string{"GAPMAP_TIANDITU_KEY": " a&b "}, "", want{
			tiles: map[string][]string{"tianditu-vec": {tdt("vec", "a%26b"), tdt("cva", "a%26b")}, "tianditu-img": {tdt("img", "a%26b"), tdt("cia", "a%26b")}},
			def:   "tianditu-vec"}},
		{"天地图 and one's own: one's own first", map[string]string{"GAPMAP_TIANDITU_KEY": "k", "GAPMAP_BASEMAP_URL": custom}, "wgs84", want{
			tiles: map[string][]string{"tianditu-vec": {tdt("vec", "k"), tdt("cva", "k")}, "tianditu-img": {tdt("img", "k"), tdt("cia", "k")}, "custom": {custom}},
			def:   "custom"}},
		{"URL without {z}", map[string]string{"GAPMAP_BASEMAP_URL": "http://tiles.local/{x}/{y}.png"}, "", want{tiles: noKey, errPart: "GAPMAP_BASEMAP_URL"}},
		{"not http", map[string]string{"GAPMAP_BASEMAP_URL": "file:///{z}/{x}/{y}.png"}, "", want{tiles: noKey, errPart: "GAPMAP_BASEMAP_URL"}},
		{"unknown datum", map[string]string{"GAPMAP_BASEMAP_URL": custom, "GAPMAP_BASEMAP_CRS": "bd09"}, "", want{tiles: noKey, errPart: "GAPMAP_BASEMAP_CRS"}},
		{"bad max zoom", map[string]string{"GAPMAP_BASEMAP_URL": custom, "GAPMAP_BASEMAP_MAXZOOM": "30"}, "", want{tiles: noKey, errPart: "GAPMAP_BASEMAP_MAXZOOM"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := WebConfigFromEnv(func(k string) string { return tc.env[k] })
			got := map[string][]string{}
			var ids []string
			for _, b := range c.Basemaps {
				ids = append(ids, b.ID)
				got[b.ID] = b.Tiles
				if b.Hint != "" {
					got[b.ID] = append(got[b.ID], "hint")
					if !strings.Contains(b.Hint, "需要配置天地图密钥") || !strings.Contains(b.Hint, "GAPMAP_TIANDITU_KEY") {
						t.Errorf("%s hint %q does not say how to configure the key", b.ID, b.Hint)
					}
				}
				if strings.HasPrefix(b.ID, "tianditu-") && b.CRS != "wgs84" {
					t.Errorf("%s CRS = %q, want wgs84: 天地图 is CGCS2000, no shift", b.ID, b.CRS)
				}
				if b.ID == "custom" && b.CRS != tc.crs {
					t.Errorf("custom CRS = %q, want %q", b.CRS, tc.crs)
				}
			}
			if !reflect.DeepEqual(got, tc.want.tiles) {
				t.Errorf("basemap tiles by ID:\ngot  %q\nwant %q", got, tc.want.tiles)
			}
			if ids[0] != "tianditu-vec" || ids[1] != "tianditu-img" {
				t.Errorf("choices in order %v, want 天地图 矢量, 影像 first", ids)
			}
			if c.DefaultBasemap != tc.want.def {
				t.Errorf("default basemap %q, want %q", c.DefaultBasemap, tc.want.def)
			}
			if (tc.want.errPart == "") != (c.BasemapError == "") || !strings.Contains(c.BasemapError, tc.want.errPart) {
				t.Errorf("basemap error %q, want one naming %q", c.BasemapError, tc.want.errPart)
			}
		})
	}
}
