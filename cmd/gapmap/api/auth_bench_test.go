package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// BenchmarkWarmTileAuth measures what authentication adds to a warm tile
// request: the same cached tile through the same handler, asked by an
// anonymous client of a public-read deployment (no authentication at all),
// by a browser session (cookie) and by an API token, side by side. The
// difference between the first and the others is the cost of a login on
// every request: one indexed lookup of the session or token with its
// user's grants.
func BenchmarkWarmTileAuth(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	ts := tiles.NewService(db.Store, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := ts.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	h := newRawRouter(b, db.Store, func(c *api.Config) { c.PublicRead, c.Tiles = true, ts })
	// A township reviewer: a user with the grants of a real account.
	if _, err := db.Store.CreateUser(ctx, "bench", "bench", "bench-password-1"); err != nil {
		b.Fatal(err)
	}
	org, err := db.Store.Org(ctx, access.Default(), access.Township, "430682101")
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []access.Role{access.Editor, access.Reviewer} {
		if _, err := db.Store.SetGrant(ctx, "bench", org, r, true); err != nil {
			b.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(`{"login": "bench", "password": "bench-password-1"}`)))
	if rec.Code != http.StatusCreated {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookie := rec.Result().Cookies()[0]
	token, _, err := db.Store.CreateToken(ctx, "bench", "bench", []access.Action{access.Read}, nil)
	if err != nil {
		b.Fatal(err)
	}
	tile := tileURL("review", seatTile(b, db, 12), "")
	for _, c := range []struct {
		name string
		set  func(*http.Request)
	}{
		{"anonymous", func(*http.Request) {}},
		{"session", func(r *http.Request) { r.AddCookie(cookie) }},
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			get := func() {
				req := httptest.NewRequest(http.MethodGet, tile, nil)
				c.set(req)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
				}
			}
			get() // warm the tile cache
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get()
			}
		})
	}
}
