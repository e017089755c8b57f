package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// TestTileAfterWriteIsFresh moves a 村委会 through the API again and again
// and asks for its tile at once after each answer: the tile served must be
// the one a cold render draws from the data as it is now (never the old
// bytes), and TileJSON's ?v= must have moved. Nothing here listens for the
// database's notifications: the write route's own refresh is what makes
// the tile fresh. A scoring run through the API, which recolours the
// villages, likewise.
func TestTileAfterWriteIsFresh(t *testing.T) {
	f := newFixture(t)
	ctx := datatest.Context()
	cold := tiles.NewService(f.db.Store, tiles.NewCache(0), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := cold.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var code string
	var lon, lat float64
	if err := f.db.Pool.QueryRow(ctx, `SELECT code, ST_X(office), ST_Y(office) FROM villages
		WHERE kind = '行政村' AND office IS NOT NULL AND outline IS NOT NULL
		ORDER BY ST_Distance(office, ST_Centroid(outline)), id LIMIT 1`).Scan(&code, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 10)
	url := tileURL("all", tile, "")
	coldETag := func() string {
		got, _, _, err := cold.Tile(ctx, "all", int(tile.Z), int(tile.X), int(tile.Y), tiles.Filter{})
		if err != nil || got == nil {
			t.Fatalf("cold render: %v %v", got, err)
		}
		return got.ETag
	}
	version := func() string {
		var doc tiles.TileJSON
		if err := json.Unmarshal(f.get(t, "/tiles/all.json").Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Tiles[0]
	}
	prev := f.get(t, url).Header().Get("ETag")
	prevVersion := version()
	for i := range 30 {
		// Within about 100 m of where it was, back and forth.
		dx := 0.0008 * float64(1+i%3)
		rec := send(t, f.router, http.MethodPut, "/api/v1/villages/"+code+"/location",
			fmt.Sprintf(`{"lon": %f, "lat": %f}`, lon+dx, lat))
		if rec.Code != http.StatusOK {
			t.Fatalf("move %d: %d %s", i, rec.Code, rec.Body)
		}
		got := f.get(t, url)
		etag := got.Header().Get("ETag")
		if want := coldETag(); etag != want {
			t.Fatalf("move %d: the tile served after the answer is %s (X-Cache %s), a cold render %s; before the move it was %s",
				i, etag, got.Header().Get("X-Cache"), want, prev)
		}
		if v := version(); v == prevVersion {
			t.Fatalf("move %d: TileJSON's tile URL %s did not change", i, v)
		} else {
			prevVersion = v
		}
		prev = etag
	}

	// A scoring run recolours villages: the tile follows it too.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE villages SET poor_population = NULL WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	rec := send(t, f.router, http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-12-31"}`)
	if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
		t.Fatalf("scoring run: %d %s", rec.Code, rec.Body)
	}
	if got, want := f.get(t, url).Header().Get("ETag"), coldETag(); got != want {
		t.Errorf("after a scoring run the tile served is %s, a cold render %s", got, want)
	}
}
