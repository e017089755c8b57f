package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
)

// Server serves vector tiles, TileJSON and the review map's style.
type Server struct {
	src     Source
	cache   *Cache
	log     *slog.Logger
	timeout time.Duration
	// slots bounds concurrent tile renders; a request that cannot get one
	// within queueWait is answered 503 at once instead of piling up.
	slots     chan struct{}
	queueWait time.Duration

	mu          sync.RWMutex
	versions    map[string]int64
	bounds      *[4]float64 // nil: nothing loaded
	attribution string      // credits for TileJSON, from the loaded sources
}

// NewServer returns a Server rendering from src through cache, with at most
// concurrent renders in flight and timeout per render.
func NewServer(src Source, cache *Cache, log *slog.Logger, timeout time.Duration, concurrent int) *Server {
	return &Server{src: src, cache: cache, log: log, timeout: timeout,
		slots: make(chan struct{}, max(concurrent, 1)), queueWait: 2 * time.Second}
}

// Refresh reloads the data versions and bounds; tiles rendered from older
// versions are never served again because versions are part of the key.
func (s *Server) Refresh(ctx context.Context) error {
	v, err := s.src.Versions(ctx)
	if err != nil {
		return err
	}
	b, ok, err := s.src.Bounds(ctx)
	if err != nil {
		return err
	}
	credit, err := s.src.Attribution(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = v
	s.attribution = attribution(credit)
	s.bounds = nil
	if ok {
		s.bounds = &b
	}
	return nil
}

// Register mounts the tile routes on r.
func (s *Server) Register(r *mux.Router) {
	r.HandleFunc("/tiles/style.json", s.style).Methods(http.MethodGet)
	r.HandleFunc("/tiles/{set}.json", s.tileJSON).Methods(http.MethodGet)
	r.HandleFunc("/tiles/{set}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.mvt", s.tile).Methods(http.MethodGet)
}

// requestError is a 4xx with a Chinese message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "瓦片生成失败，请稍后重试"
	var re *requestError
	switch {
	case errors.As(err, &re):
		status, msg = re.status, re.msg
	case r.Context().Err() != nil:
		s.log.Debug("tile request abandoned", "path", r.URL.Path)
		return
	case errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusGatewayTimeout, "瓦片生成超时"
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		s.log.Error("tile failed", "path", r.URL.Path, "status", status, "err", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
}

// parseTile validates z/x/y before any SQL runs.
func parseTile(vars map[string]string) (z, x, y int, err error) {
	z, errZ := strconv.Atoi(vars["z"])
	x, errX := strconv.Atoi(vars["x"])
	y, errY := strconv.Atoi(vars["y"])
	if errZ != nil || errX != nil || errY != nil || z > 22 {
		return 0, 0, 0, badRequest("瓦片坐标无效：z 应在 0 到 22 之间")
	}
	if n := 1 << z; x >= n || y >= n {
		return 0, 0, 0, badRequest("瓦片坐标无效：第 %d 级的 x、y 应小于 %d", z, n)
	}
	return z, x, y, nil
}

// parseFilter reads the typed filters; anything else is refused.
func parseFilter(q url.Values) (Filter, error) {
	var f Filter
	for key := range q {
		switch key {
		case "township", "dimension", "min_score", "status", "year", "v":
		default:
			return f, badRequest("未知的瓦片参数 %q；可用参数：township, dimension, min_score, status, year", key)
		}
	}
	f.Township = q.Get("township")
	switch d := q.Get("dimension"); d {
	case "", "综合":
	case "通路", "饮水", "农网", "光伏":
		f.Dimension = d
	default:
		return f, badRequest("参数 dimension 应为 通路、饮水、农网、光伏 或 综合，收到 %q", d)
	}
	if v := q.Get("min_score"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n > 100 {
			return f, badRequest("参数 min_score 应为 0 到 100 之间的数，收到 %q", v)
		}
		f.MinScore = &n
	}
	f.Status = q.Get("status")
	if v := q.Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 2100 {
			return f, badRequest("参数 year 应为年份，收到 %q", v)
		}
		f.Year = n
	}
	return f, nil
}

// key normalises a filter for the cache key.
func (f Filter) key() string {
	score := ""
	if f.MinScore != nil {
		score = strconv.FormatFloat(*f.MinScore, 'g', -1, 64)
	}
	return strings.Join([]string{f.Township, f.Dimension, score, f.Status, strconv.Itoa(f.Year)}, "|")
}

// version returns a short tag of the versions of the tables behind layers.
func (s *Server) version(layers []Layer) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var parts []string
	for _, l := range layers {
		for _, t := range l.Tables {
			parts = append(parts, t+"="+strconv.FormatInt(s.versions[t], 10))
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:6])
}

// outside reports whether tile z/x/y misses the loaded data entirely.
func (s *Server) outside(z, x, y int) bool {
	s.mu.RLock()
	b := s.bounds
	s.mu.RUnlock()
	if b == nil {
		return true
	}
	w, sth, e, n := tileBounds(z, x, y)
	return e < b[0] || w > b[2] || n < b[1] || sth > b[3]
}

func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	layers, ok := SetLayers(vars["set"])
	if !ok {
		s.writeError(w, r, &requestError{http.StatusNotFound, fmt.Sprintf("没有图层或图层组 %q", vars["set"])})
		return
	}
	z, x, y, err := parseTile(vars)
	if err == nil {
		var f Filter
		if f, err = parseFilter(r.URL.Query()); err == nil {
			err = s.serveTile(w, r, Request{Layers: layers, Z: z, X: x, Y: y, Filter: f}, vars["set"])
		}
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, req Request, set string) error {
	var inRange []Layer
	for _, l := range req.Layers {
		if req.Z >= l.MinZoom && req.Z <= l.MaxZoom {
			inRange = append(inRange, l)
		}
	}
	version := s.version(req.Layers)
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if r.URL.Query().Get("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// Empty without touching the database: no layer at this zoom, or no data here.
	if len(inRange) == 0 || s.outside(req.Z, req.X, req.Y) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	req.Layers = inRange
	key := fmt.Sprintf("%s/%d/%d/%d?%s#%s", set, req.Z, req.X, req.Y, req.Filter.key(), version)
	t, hit, err := s.cache.Get(r.Context(), key, func(ctx context.Context) ([]byte, string, error) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-time.After(s.queueWait):
			return nil, "", &requestError{http.StatusServiceUnavailable, "服务繁忙，请稍后重试"}
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		mvt, truncated, err := s.src.Tile(ctx, req)
		return mvt, strings.Join(truncated, ","), err
	})
	if err != nil {
		return err
	}
	h.Set("ETag", t.ETag)
	h.Set("X-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	if t.Truncated != "" {
		h.Set("X-Tile-Truncated", t.Truncated)
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == t.ETag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if t.RawSize == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Add("Vary", "Accept-Encoding")
	body := t.Gzip
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = Gunzip(t.Gzip); err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
