package api_test

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning/access"
)

// TestTileAuthRecheck: a tile request trusts the session or token another
// tile request proved within TileRecheck, and only a tile request; past it,
// or after any write through this server, the secret is looked up again.
// The session is ended in SQL, as another instance would end it.
func TestTileAuthRecheck(t *testing.T) {
	ctx := datatest.Context()
	const recheck = 600 * time.Millisecond
	f := newAuthFixture(t, func(c *api.Config) {
		c.Sessions = access.SessionTimes{Idle: time.Hour, Max: 8 * time.Hour, TileRecheck: recheck}
	})
	const tile = "/tiles/review/8/208/105.mvt"
	ok := func(code int) bool { return code == http.StatusOK || code == http.StatusNoContent }
	end := func(b *browser) {
		h := sha256.Sum256([]byte(b.cookie))
		if _, err := f.db.Pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h[:]); err != nil {
			t.Fatal(err)
		}
	}

	b := newBrowser("jt").mustLogIn(t, f.h)
	if rec := b.do(f.h, http.MethodGet, tile, nil); !ok(rec.Code) {
		t.Fatalf("a tile in a live session: %d %s", rec.Code, rec.Body)
	}
	start := time.Now()
	end(b)
	if rec := b.do(f.h, http.MethodGet, tile, nil); !ok(rec.Code) && time.Since(start) < recheck/2 {
		t.Errorf("a tile just after the session ended elsewhere: %d, want it answered from the proved session", rec.Code)
	}
	if got := f.whoAmI(b); got != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/session after the session ended elsewhere: %d, want 401 (only tiles trust a proved session)", got)
	}
	time.Sleep(recheck)
	if rec := b.do(f.h, http.MethodGet, tile, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("a tile %s after the session ended elsewhere: %d, want 401", recheck, rec.Code)
	}

	// A write through this server makes every tile look its secret up.
	c := newBrowser("jt").mustLogIn(t, f.h)
	if rec := c.do(f.h, http.MethodGet, tile, nil); !ok(rec.Code) {
		t.Fatalf("a tile: %d", rec.Code)
	}
	end(c)
	writer := newBrowser("jt").mustLogIn(t, f.h) // the login itself is a write
	if rec := writer.do(f.h, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("写入"))); rec.Code != http.StatusCreated {
		t.Fatalf("a write: %d %s", rec.Code, rec.Body)
	}
	if rec := c.do(f.h, http.MethodGet, tile, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("a tile of a session ended elsewhere, after a write through this server: %d, want 401", rec.Code)
	}

	// A token likewise.
	secret, tok, err := f.db.Store.CreateToken(ctx, "jt", "瓦片", []access.Action{access.Read}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec := bearer(f.h, secret, http.MethodGet, tile, nil); !ok(rec.Code) {
		t.Fatalf("a tile with a token: %d %s", rec.Code, rec.Body)
	}
	start = time.Now()
	if err := f.db.Store.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if rec := bearer(f.h, secret, http.MethodGet, tile, nil); !ok(rec.Code) && time.Since(start) < recheck/2 {
		t.Errorf("a tile just after the token was revoked elsewhere: %d, want it answered from the proved token", rec.Code)
	}
	time.Sleep(recheck)
	if rec := bearer(f.h, secret, http.MethodGet, tile, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("a tile %s after the token was revoked: %d, want 401", recheck, rec.Code)
	}

	// Without a recheck time every tile looks its secret up.
	g := newAuthFixture(t, func(c *api.Config) {
		c.Sessions = access.SessionTimes{Idle: time.Hour, Max: 8 * time.Hour}
	})
	d := newBrowser("jt").mustLogIn(t, g.h)
	if rec := d.do(g.h, http.MethodGet, tile, nil); !ok(rec.Code) {
		t.Fatalf("a tile: %d", rec.Code)
	}
	h := sha256.Sum256([]byte(d.cookie))
	if _, err := g.db.Pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h[:]); err != nil {
		t.Fatal(err)
	}
	if rec := d.do(g.h, http.MethodGet, tile, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a recheck time, a tile after the session ended: %d, want 401", rec.Code)
	}
}
