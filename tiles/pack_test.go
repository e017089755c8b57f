package tiles_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/tiles"
)

// TestPackMatchesServedTiles packs the demo's review set and checks the
// MBTiles file: its tiles are the served tiles, every village is in it at
// the most detailed zoom, and GDAL (an independent reader) opens it.
func TestPackMatchesServedTiles(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	f := newFixture(t)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "county.mbtiles")
	var calls, total int
	st, err := tiles.Pack(ctx, f.db.Store, tiles.PackOptions{Set: "review", MinZoom: 0, MaxZoom: tiles.MaxZoom, Out: out, Workers: 2,
		Progress: func(done, n int) { calls, total = done, n }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored == 0 || st.Stored > st.Tiles || calls != total || total != st.Tiles {
		t.Fatalf("stats %+v, progress %d/%d", st, calls, total)
	}

	db, err := sql.Open("sqlite", out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var format, maxzoom string
	if err := db.QueryRow(`SELECT (SELECT value FROM metadata WHERE name = 'format'), (SELECT value FROM metadata WHERE name = 'maxzoom')`).
		Scan(&format, &maxzoom); err != nil || format != "pbf" || maxzoom != "14" {
		t.Fatalf("metadata format %q maxzoom %q: %v", format, maxzoom, err)
	}
	var stored int
	if err := db.QueryRow(`SELECT count(*) FROM tiles`).Scan(&stored); err != nil || stored != st.Stored {
		t.Fatalf("tiles table holds %d, stats say %d (%v)", stored, st.Stored, err)
	}

	// The packed seat tile (TMS row) decodes to the same layers as the served one.
	tile := seatTile(t, f.db, 13)
	var gz []byte
	if err := db.QueryRow(`SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`,
		tile.Z, tile.X, (1<<tile.Z)-1-tile.Y).Scan(&gz); err != nil {
		t.Fatal(err)
	}
	packed, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		t.Fatal(err)
	}
	served := f.tile(t, "review", tile)
	if len(packed) != len(served) {
		t.Fatalf("packed tile has %d layers, served %d", len(packed), len(served))
	}
	for _, l := range packed {
		if s := served[l.Name]; s == nil || len(s.Features) != len(l.Features) {
			t.Errorf("layer %s: packed %d features, served %v", l.Name, len(l.Features), s)
		}
	}

	// GDAL reads the pack at its most detailed zoom: every 行政村/社区 is there.
	outText := gdaltest.Run(t, "ogrinfo", "-ro", out, "-dialect", "SQLite", "-sql",
		"SELECT COUNT(DISTINCT code) AS n FROM villages WHERE code IS NOT NULL")
	m := regexp.MustCompile(`n \(Integer\) = (\d+)`).FindStringSubmatch(outText)
	var want string
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*)::text FROM villages WHERE code IS NOT NULL`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if m == nil || m[1] != want {
		t.Fatalf("GDAL counts %s distinct village codes in the pack, the database holds %s:\n%s", m, want, outText)
	}
}
