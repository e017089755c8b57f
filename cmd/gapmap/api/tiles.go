package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// tile answers one vector tile: z/x/y and the filters are validated before
// the engine (and any SQL) runs; an empty tile, or one outside the data or
// below every layer's zoom, is a 204; the ETag gives 304s; the body is gzip
// when the client takes it; a URL carrying the current data version
// (TileJSON's ?v=) is immutable.
func (s *server) tile(w http.ResponseWriter, r *http.Request) error {
	vars := mux.Vars(r)
	set := vars["set"]
	// The set is checked first, so an unknown one is a 404 whatever its z/x/y.
	if !tiles.KnownSet(set) {
		return unknownSet(set)
	}
	z, x, y, err := parseTile(vars)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := parseTileFilter(q)
	if err != nil {
		return err
	}
	t, version, hit, err := s.tiles.Tile(r.Context(), set, z, x, y, f)
	if err != nil {
		return tileError(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if q.Get("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Set("ETag", t.ETag)
	if hit {
		h.Set("X-Cache", "hit")
	} else {
		h.Set("X-Cache", "miss")
	}
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
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = tiles.Gunzip(t.Gzip); err != nil {
		return tileError(err)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// tileJSON answers the TileJSON of a layer set.
func (s *server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.tiles.TileJSON(mux.Vars(r)["set"], baseURL(r))
	if err != nil {
		return tileError(err)
	}
	w.Header().Set("Cache-Control", "no-cache")
	return writeJSON(w, http.StatusOK, doc)
}

// style answers the review map's MapLibre style.
func (s *server) style(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, tiles.Style(baseURL(r)))
}

// baseURL is the scheme and host the client reached this server by.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func unknownSet(set string) error {
	return planning.Errorf(planning.ENotFound, "没有图层或图层组 %q", set)
}

// tileError gives the engine's errors their response: a busy engine is a
// 503 (retry in a second), a render over its timeout a 504, a database
// that is unreachable the store's 503, and any other failure a 500 that
// says the tile failed.
func tileError(err error) error {
	var unknown *tiles.UnknownSetError
	switch {
	case errors.As(err, &unknown):
		return unknownSet(unknown.Set)
	case errors.Is(err, tiles.ErrBusy):
		return busy(classTile, time.Second, err)
	case errors.Is(err, context.DeadlineExceeded):
		return &planning.Error{Code: planning.ETimeout, Message: "瓦片生成超时", Err: err}
	case planning.ErrorCode(err) == planning.EUnavailable:
		// The database is down or cut the connection (restart,
		// pg_terminate_backend): a 503 to retry, not a failed tile.
		return err
	}
	return &planning.Error{Code: planning.EInternal, Message: "瓦片生成失败，请稍后重试", Err: err}
}

// parseTile reads z/x/y; it runs before any SQL.
func parseTile(vars map[string]string) (z, x, y int, err error) {
	z, errZ := strconv.Atoi(vars["z"])
	x, errX := strconv.Atoi(vars["x"])
	y, errY := strconv.Atoi(vars["y"])
	if errZ != nil || errX != nil || errY != nil || z > 22 {
		return 0, 0, 0, planning.Errorf(planning.EInvalid, "瓦片坐标无效：z 应在 0 到 22 之间")
	}
	if n := 1 << z; x >= n || y >= n {
		return 0, 0, 0, planning.Errorf(planning.EInvalid, "瓦片坐标无效：第 %d 级的 x、y 应小于 %d", z, n)
	}
	return z, x, y, nil
}

// parseTileFilter reads the typed filters; anything else is refused. v is
// the data version of TileJSON's URLs, which only sets the caching.
func parseTileFilter(q url.Values) (tiles.Filter, error) {
	var f tiles.Filter
	for key := range q {
		switch key {
		case "township", "dimension", "min_score", "status", "year", "as_of", "v":
		default:
			return f, planning.Errorf(planning.EInvalid, "未知的瓦片参数 %q；可用参数：township, dimension, min_score, status, year, as_of", key)
		}
	}
	f.Township = q.Get("township")
	switch d := q.Get("dimension"); d {
	case "", "综合":
	case "通路", "饮水", "农网", "光伏":
		f.Dimension = d
	default:
		return f, planning.Errorf(planning.EInvalid, "参数 dimension 应为 通路、饮水、农网、光伏 或 综合，收到 %q", d)
	}
	var err error
	if f.MinScore, err = minScoreParam(q); err != nil {
		return f, err
	}
	f.Status = q.Get("status")
	if v := q.Get("year"); v != "" {
		if f.Year, err = planning.ParseYear(v); err != nil {
			return f, err
		}
	}
	if v := q.Get("as_of"); v != "" {
		d, err := planning.ParseAsOf(v)
		if err != nil {
			return f, err
		}
		f.AsOf = d.Format(time.DateOnly)
	}
	return f, nil
}
