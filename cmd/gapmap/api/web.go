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

// maplibreFile is the file whose presence means MapLibre was built in.
const maplibreFile = "vendor/maplibre-gl.mjs"

// WebConfig is what the page is told at /config.json.
type WebConfig struct {
	Basemap *BasemapConfig `json:"basemap"` // nil: no basemap (the default; works offline)
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

// BasemapConfig is one raster XYZ basemap.
type BasemapConfig struct {
	Tiles       []string `json:"tiles"` // XYZ URL templates with {z}, {x}, {y}
	Attribution string   `json:"attribution"`
	// CRS is the datum the tiles are drawn in: "wgs84" (also CGCS2000,
	// e.g. 天地图) or "gcj02" (most commercial Chinese maps). The page warps
	// GCJ-02 tiles onto the WGS84 grid as it draws them; the data stay in
	// CGCS2000.
	CRS     string `json:"crs"`
	MaxZoom int    `json:"maxzoom"`
}

// tiandituURL is 天地图's Web-Mercator WMTS as an XYZ template: the vector
// map and its Chinese annotation. 天地图 is drawn in CGCS2000, so it needs
// no datum shift.
const tiandituURL = "https://t0.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"

// WebConfigFromEnv reads the basemap settings: GAPMAP_BASEMAP_URL (an XYZ
// template), GAPMAP_BASEMAP_CRS (wgs84, cgcs2000 or gcj02),
// GAPMAP_BASEMAP_ATTRIBUTION, GAPMAP_BASEMAP_MAXZOOM, or
// GAPMAP_TIANDITU_KEY for 天地图. Nothing set means no basemap. A bad setting
// does not stop the server: the page shows why the basemap is off.
func WebConfigFromEnv(getenv func(string) string) WebConfig {
	var c WebConfig
	key, tmpl := strings.TrimSpace(getenv("GAPMAP_TIANDITU_KEY")), strings.TrimSpace(getenv("GAPMAP_BASEMAP_URL"))
	if tmpl == "" && key == "" {
		return c
	}
	b := &BasemapConfig{CRS: "wgs84", MaxZoom: 18, Attribution: strings.TrimSpace(getenv("GAPMAP_BASEMAP_ATTRIBUTION"))}
	if tmpl != "" {
		b.Tiles = []string{tmpl}
	} else {
		q := url.QueryEscape(key)
		b.Tiles = []string{fmt.Sprintf(tiandituURL, "vec", "vec", q), fmt.Sprintf(tiandituURL, "cva", "cva", q)}
		if b.Attribution == "" {
			b.Attribution = "© 天地图"
		}
	}
	switch crs := strings.ToLower(strings.TrimSpace(getenv("GAPMAP_BASEMAP_CRS"))); crs {
	case "", "wgs84", "cgcs2000":
	case "gcj02", "gcj-02":
		b.CRS = "gcj02"
	default:
		c.BasemapError = fmt.Sprintf("底图坐标系 GAPMAP_BASEMAP_CRS=%q 无效，应为 wgs84、cgcs2000 或 gcj02；底图未加载", crs)
		return c
	}
	if v := getenv("GAPMAP_BASEMAP_MAXZOOM"); v != "" {
		if _, err := fmt.Sscan(v, &b.MaxZoom); err != nil || b.MaxZoom < 1 || b.MaxZoom > 22 {
			c.BasemapError = fmt.Sprintf("底图最大级别 GAPMAP_BASEMAP_MAXZOOM=%q 无效，应为 1 到 22 的整数；底图未加载", v)
			return c
		}
	}
	for _, t := range b.Tiles {
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			!strings.Contains(t, "{z}") || !strings.Contains(t, "{x}") || !strings.Contains(t, "{y}") {
			c.BasemapError = fmt.Sprintf("底图地址 GAPMAP_BASEMAP_URL=%q 无效：应为含 {z}、{x}、{y} 的 http(s) 瓦片地址；底图未加载", t)
			return c
		}
	}
	c.Basemap = b
	return c
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
	s.index = newWebFile(bytes.ReplaceAll(page.body, []byte(web.AssetsMark), []byte("/static/"+s.build)), page.contentType)
	_, cfg.MapLibre = s.files[maplibreFile]
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
