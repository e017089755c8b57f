package api_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
)

// TestAnswersCompressed asks the real routes on the demo county for their
// answers with and without Accept-Encoding: gzip. The JSON API answers
// come gzipped and decode to exactly the bytes of the plain answer (the
// oracle); a tile, gzipped once by the tile cache, is never compressed a
// second time; an export is sent as it is.
func TestAnswersCompressed(t *testing.T) {
	f := newFixture(t)
	// Generating the 项目库 takes a while on a shared machine.
	f.router = newRouter(t, f.db.Store, func(c *api.Config) { c.Tiles = f.server; c.RequestTimeout = 30 * time.Second })
	if gen := send(t, f.router, http.MethodPost, "/api/v1/projects/generate", `{}`); gen.Code != http.StatusOK {
		t.Fatalf("generate projects: %d %s", gen.Code, gen.Body)
	}
	for _, url := range []string{"/api/v1/villages?page_size=1000", "/api/v1/gaps?page_size=1000", "/api/v1/projects?page_size=1000", "/api/v1/village-table"} {
		t.Run(url, func(t *testing.T) {
			plain := f.get(t, url)
			zipped := f.get(t, url, "Accept-Encoding", "gzip")
			if plain.Code != http.StatusOK || zipped.Code != http.StatusOK {
				t.Fatalf("status %d and %d, want 200: %s", plain.Code, zipped.Code, plain.Body)
			}
			if plain.Header().Get("Content-Encoding") != "" {
				t.Fatalf("compressed for a client that did not ask: %v", plain.Header())
			}
			if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Header().Get("Vary") == "" {
				t.Fatalf("not compressed: %v", zipped.Header())
			}
			if got := api.Gunzip(t, zipped.Body.Bytes()); !bytes.Equal(got, plain.Body.Bytes()) {
				t.Fatalf("decoded answer (%d bytes) differs from the plain one (%d bytes)", len(got), plain.Body.Len())
			}
			t.Logf("%s: %d bytes plain, %d gzipped", url, plain.Body.Len(), zipped.Body.Len())
		})
	}

	t.Run("a tile is gzipped once", func(t *testing.T) {
		url := tileURL("review", seatTile(t, f.db, 12), "")
		plain := f.get(t, url)
		zipped := f.get(t, url, "Accept-Encoding", "gzip")
		if got := zipped.Header().Values("Content-Encoding"); len(got) != 1 || got[0] != "gzip" {
			t.Fatalf("Content-Encoding %v, want one gzip", got)
		}
		once := api.Gunzip(t, zipped.Body.Bytes())
		if !bytes.Equal(once, plain.Body.Bytes()) {
			t.Fatalf("the tile decoded once (%d bytes) is not the plain tile (%d bytes)", len(once), plain.Body.Len())
		}
		if _, err := mvt.Unmarshal(once); err != nil {
			t.Fatalf("the tile decoded once is no MVT: %v", err)
		}
	})

	t.Run("an export is sent as it is", func(t *testing.T) {
		rec := f.get(t, "/api/v1/exports/villages.geojson", "Accept-Encoding", "gzip")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "" {
			t.Fatalf("export: %d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
		}
	})
}
