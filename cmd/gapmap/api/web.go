package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/planning"
)

// WebConfig is what the page is told at /config.json.
type WebConfig struct {
	// Basemaps are the page's basemap choices besides 无底图, in the order
	// shown: 天地图 矢量 and 影像 always (with a Hint and no tiles until a
	// key is configured), then a GAPMAP_BASEMAP_URL basemap if set.
	Basemaps []BasemapConfig `json:"basemaps"`
	// DefaultBasemap is the ID of the basemap shown first; "" is none (the
	// default, which works offline).
	DefaultBasemap string `json:"default_basemap"`
	// BasemapError says in Chinese why a configured basemap is not used.
	BasemapError string `json:"basemap_error,omitempty"`
	MapLibre     bool   `json:"maplibre"` // MapLibre's files are built in
	// UnknownShare is planning.UnknownShare, for the legend's words: the
	// tiles and the API say themselves which gaps are 数据不足.
	UnknownShare float64 `json:"unknown_share"`
	// PublicRead: reading needs no login (GAPMAP_PUBLIC_READ); SSO: a
	// single sign-on login starts at /auth/oidc/login.
	PublicRead bool `json:"public_read"`
	SSO        bool `json:"sso"`
}

// BasemapConfig is one basemap choice: raster XYZ layers drawn one over
// the other.
type BasemapConfig struct {
	ID   string `json:"id"`   // stable, for the page to remember the choice
	Name string `json:"name"` // the choice's Chinese label
	// Tiles are XYZ URL templates with {z}, {x}, {y}, each its own raster
	// layer drawn over the previous one (天地图: the map, then its 注记).
	// Empty when the basemap cannot be used; Hint says why.
	Tiles       []string `json:"tiles"`
	Hint        string   `json:"hint,omitempty"`
	Attribution string   `json:"attribution"`
	// CRS is the datum the tiles are drawn in: "wgs84" (also CGCS2000,
	// e.g. 天地图) or "gcj02" (most commercial Chinese maps). The page warps
	// GCJ-02 tiles onto the WGS84 grid as it draws them; the data stay in
	// CGCS2000.
	CRS     string `json:"crs"`
	MaxZoom int    `json:"maxzoom"`
}

// tiandituURL is 天地图's Web-Mercator WMTS (TILEMATRIXSET w) as an XYZ
// template, by layer (vec, cva, img, cia) and key. 天地图 is drawn in
// CGCS2000, which is WGS84 to within centimetres, so it lines up with the
// data with no datum shift (unlike GCJ-02 maps).
const tiandituURL = "https://t0.tianditu.gov.cn/%[1]s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%[1]s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%[2]s"

// tiandituNoKey is the hint of the 天地图 choices on a server without a key.
const tiandituNoKey = "需要配置天地图密钥：在服务器上设置 GAPMAP_TIANDITU_KEY（天地图开放平台申请的浏览器端密钥）后重启 gapmap"

// tianditu lists the 天地图 basemaps: ID, label, then the map and its
// Chinese annotation layers.
var tianditu = []struct{ id, name, layer, notes string }{
	{"tianditu-vec", "天地图 矢量", "vec", "cva"},
	{"tianditu-img", "天地图 影像", "img", "cia"},
}

// WebConfigFromEnv reads the basemap settings: GAPMAP_TIANDITU_KEY for
// 天地图 (vector and imagery, each with its annotation), and
// GAPMAP_BASEMAP_URL (an XYZ template), GAPMAP_BASEMAP_CRS (wgs84,
// cgcs2000 or gcj02), GAPMAP_BASEMAP_ATTRIBUTION and GAPMAP_BASEMAP_MAXZOOM
// for a basemap of one's own. Nothing set means no basemap. A bad setting
// does not stop the server: the page shows why the basemap is off.
func WebConfigFromEnv(getenv func(string) string) WebConfig {
	var c WebConfig
	key := strings.TrimSpace(getenv("GAPMAP_TIANDITU_KEY"))
	for _, t := range tianditu {
		b := BasemapConfig{ID: t.id, Name: t.name, Attribution: "© 天地图", CRS: "wgs84", MaxZoom: 18}
		if key == "" {
			b.Tiles, b.Hint = []string{}, tiandituNoKey // [], not null, for the page
		} else {
			q := url.QueryEscape(key)
			b.Tiles = []string{fmt.Sprintf(tiandituURL, t.layer, q), fmt.Sprintf(tiandituURL, t.notes, q)}
		}
		c.Basemaps = append(c.Basemaps, b)
	}
	if key != "" {
		c.DefaultBasemap = tianditu[0].id
	}
	custom, err := customBasemap(getenv)
	if err != nil {
		c.BasemapError = err.Error()
	} else if custom != nil {
		c.Basemaps = append(c.Basemaps, *custom)
		c.DefaultBasemap = custom.ID // one's own basemap was set on purpose: it shows first
	}
	return c
}

// customBasemap reads GAPMAP_BASEMAP_*: nil when GAPMAP_BASEMAP_URL is
// unset, an error in Chinese naming the bad setting.
func customBasemap(getenv func(string) string) (*BasemapConfig, error) {
	tmpl := strings.TrimSpace(getenv("GAPMAP_BASEMAP_URL"))
	if tmpl == "" {
		return nil, nil
	}
	b := &BasemapConfig{ID: "custom", Name: "自定义底图", Tiles: []string{tmpl}, CRS: "wgs84", MaxZoom: 18,
		Attribution: strings.TrimSpace(getenv("GAPMAP_BASEMAP_ATTRIBUTION"))}
	switch crs := strings.ToLower(strings.TrimSpace(getenv("GAPMAP_BASEMAP_CRS"))); crs {
	case "", "wgs84", "cgcs2000":
	case "gcj02", "gcj-02":
		b.CRS = "gcj02"
	default:
		return nil, fmt.Errorf("底图坐标系 GAPMAP_BASEMAP_CRS=%q 无效，应为 wgs84、cgcs2000 或 gcj02；底图未加载", crs)
	}
	if v := getenv("GAPMAP_BASEMAP_MAXZOOM"); v != "" {
		if _, err := fmt.Sscan(v, &b.MaxZoom); err != nil || b.MaxZoom < 1 || b.MaxZoom > 22 {
			return nil, fmt.Errorf("底图最大级别 GAPMAP_BASEMAP_MAXZOOM=%q 无效，应为 1 到 22 的整数；底图未加载", v)
		}
	}
	u, err := url.Parse(tmpl)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.Contains(tmpl, "{z}") || !strings.Contains(tmpl, "{x}") || !strings.Contains(tmpl, "{y}") {
		return nil, fmt.Errorf("底图地址 GAPMAP_BASEMAP_URL=%q 无效：应为含 {z}、{x}、{y} 的 http(s) 瓦片地址；底图未加载", tmpl)
	}
	return b, nil
}

// webFile is one embedded asset, ready to serve.
type webFile struct {
	body, gz    []byte // gz is nil when compression does not pay
	contentType string
	etag        string
}

// webSite serves the embedded review map.
type webSite struct {
	build  string // hash of every asset: the URL prefix that makes them immutable
	index  webFile
	config webFile
	files  map[string]webFile // by path below the static root
}

// contentTypes are set by extension rather than from the OS's MIME table,
// which differs between machines (.mjs in particular).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

// newWebSite reads every file below root of fsys. index.html's
// web.AssetsMark becomes the asset prefix /static/<build>.
func newWebSite(fsys fs.FS, root string, cfg WebConfig) (*webSite, error) {
	sub, err := fs.Sub(fsys, root)
	if err != nil {
		return nil, err
	}
	s := &webSite{files: map[string]webFile{}}
	var names []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, p := range names {
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return nil, err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			continue // source maps, licences of bundled code and the like are not served
		}
		f := newWebFile(body, ct)
		fmt.Fprintf(all, "%s\x00%s\x00", p, f.etag)
		s.files[p] = f
	}
	s.build = hex.EncodeToString(all.Sum(nil))[:12]
	page, ok := s.files["index.html"]
	if !ok {
		return nil, fmt.Errorf("%s/index.html is missing", root)
	}
	delete(s.files, "index.html")
	_, cfg.MapLibre = s.files[web.MapLibreFile]
	body, err := web.Page(page.body, sub, "/static/"+s.build)
	if err != nil {
		return nil, err
	}
	s.index = newWebFile(body, page.contentType)
	cfg.UnknownShare = planning.UnknownShare
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	s.config = newWebFile(js, contentTypes[".json"])
	return s, nil
}

func newWebFile(body []byte, contentType string) webFile {
	sum := sha256.Sum256(body)
	f := webFile{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if len(body) > 1024 && !strings.HasPrefix(contentType, "image/png") {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body)*9/10 {
			f.gz = b.Bytes()
		}
	}
	return f
}

// page answers the review map. The page names its assets by build, so
// only the page itself must be revalidated to pick up a new release.
func (s *server) page(w http.ResponseWriter, r *http.Request) error {
	s.site.serve(w, r, s.site.index, "no-cache")
	return nil
}

// pageConfig answers the page's settings (WebConfig).
func (s *server) pageConfig(w http.ResponseWriter, r *http.Request) error {
	s.site.serve(w, r, s.site.config, "no-cache")
	return nil
}

// asset answers a file of the page under /static/<build>/. A missing file
// is a plain-text 404: assets are the page's, not the API's.
func (s *server) asset(w http.ResponseWriter, r *http.Request) error {
	site := s.site
	vars := mux.Vars(r)
	f, ok := site.files[vars["path"]]
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "没有这个文件：%s\n", r.URL.Path)
		return nil
	}
	cache := "public, max-age=31536000, immutable"
	if vars["build"] != site.build {
		// A page from an older build asks for its assets: answer with the
		// current ones, but let nobody keep them under the old name.
		cache = "no-cache"
	}
	site.serve(w, r, f, cache)
	return nil
}

// serve writes f with its ETag (so revalidation costs a 304), gzipped when
// the client takes it.
func (s *webSite) serve(w http.ResponseWriter, r *http.Request, f webFile, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(coding) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
