package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// stuckSource never finishes a render before its context ends; its data
// covers the whole world, so no tile is skipped as outside it.
type stuckSource struct {
	started chan struct{}
}

func (s *stuckSource) Tile(ctx context.Context, _ tiles.Request) ([]byte, []string, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	return nil, nil, ctx.Err()
}

func (s *stuckSource) Versions(context.Context) (map[string]int64, error) {
	return map[string]int64{}, nil
}

func (s *stuckSource) Bounds(context.Context) ([4]float64, bool, error) {
	return [4]float64{-180, -85, 180, 85}, true, nil
}

func (s *stuckSource) Attribution(context.Context) (string, error) { return "", nil }

func (*stuckSource) Changes(context.Context, string, int64, int64) ([][4]float64, bool, error) {
	return nil, false, nil
}

// tileRouter builds the whole handler, as the binary does, around a tile
// engine rendering from a stuckSource with the given render timeout.
func tileRouter(t *testing.T, timeout time.Duration) (http.Handler, *stuckSource) {
	t.Helper()
	src := &stuckSource{started: make(chan struct{}, 8)}
	ts := tiles.NewService(src, tiles.NewCache(0), timeout, admit.NewGate(1, 8, 2*time.Second))
	if err := ts.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Reading is public here: the test is about the tiles' errors, not
	// about who may see them.
	h, err := New(Config{Store: noStore{}, Imports: noStore{}, Exports: noStore{}, Accounts: noAccounts{}, Audit: noAudit{}, Poverty: noPoverty{}, Jobs: noJobs{},
		PublicRead: true, Tiles: ts, Static: web.Static(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: time.Second, ImportMaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return h, src
}

// TestTileErrorsHaveCodeAndMessage checks that the tiles answer errors in
// the API's shape {"error": {"code", "message"}}, with their own statuses:
// 400 and 404 for bad requests, 503 with Retry-After 1 when every render
// slot is taken, 504 when a render outlasts its timeout.
func TestTileErrorsHaveCodeAndMessage(t *testing.T) {
	check := func(t *testing.T, rec *httptest.ResponseRecorder, status int, code, message string) {
		t.Helper()
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("status %d, body not JSON: %s", rec.Code, rec.Body)
		}
		if rec.Code != status || body.Error.Code != code || body.Error.Message != message {
			t.Errorf("%d %+v, want %d with code %q and message %q", rec.Code, body.Error, status, code, message)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q, want JSON", ct)
		}
	}
	get := func(h http.Handler, ctx context.Context, url string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil))
		return rec
	}
	ctx := context.Background()

	t.Run("bad requests", func(t *testing.T) {
		h, _ := tileRouter(t, time.Second)
		check(t, get(h, ctx, "/tiles/review/3/8/1.mvt"), 400, "invalid", "瓦片坐标无效：第 3 级的 x、y 应小于 8")
		check(t, get(h, ctx, "/tiles/review/12/3352/1694.mvt?colour=red"), 400, "invalid",
			`未知的瓦片参数 "colour"；可用参数：township, dimension, min_score, status, year, as_of`)
		check(t, get(h, ctx, "/tiles/nothing/3/1/1.mvt"), 404, "not_found", `没有图层或图层组 "nothing"`)
		check(t, get(h, ctx, "/tiles/nothing.json"), 404, "not_found", `没有图层或图层组 "nothing"`)
	})

	t.Run("render timeout", func(t *testing.T) {
		h, _ := tileRouter(t, 50*time.Millisecond)
		rec := get(h, ctx, "/tiles/review/12/3352/1694.mvt")
		check(t, rec, 504, "timeout", "瓦片生成超时")
		if cc := rec.Header().Get("Cache-Control"); cc != "" {
			t.Errorf("a failed tile says Cache-Control %q: nothing may keep it", cc)
		}
	})

	t.Run("busy", func(t *testing.T) {
		h, src := tileRouter(t, time.Minute)
		hold, cancel := context.WithCancel(ctx)
		done := make(chan *httptest.ResponseRecorder)
		go func() { done <- get(h, hold, "/tiles/review/12/3352/1694.mvt") }()
		<-src.started // the only render slot is taken
		rec := get(h, ctx, "/tiles/review/12/3353/1694.mvt")
		check(t, rec, 503, "unavailable", "服务器繁忙（地图瓦片），请 1 秒后重试")
		if ra := rec.Header().Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q, want 1", ra)
		}
		cancel()
		// The client that went away gets nothing written.
		if gone := <-done; gone.Body.Len() != 0 {
			t.Errorf("abandoned request answered %d %s, want no body", gone.Code, gone.Body)
		}
	})
}
