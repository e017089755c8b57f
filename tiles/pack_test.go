package tiles_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/protomaps/go-pmtiles/pmtiles"

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

// TestPackPMTilesMatchesServedTiles packs the demo's review set as PMTiles
// and reads it back through go-pmtiles' own reader (its file server, as
// static hosting does) and its archive check: every tile the service
// renders non-empty is in the archive with the same bytes once inflated,
// and no other tile is.
func TestPackPMTilesMatchesServedTiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "county.pmtiles")
	const maxZoom = 12
	st, err := tiles.Pack(ctx, f.db.Store, tiles.PackOptions{Set: "review", MinZoom: 0, MaxZoom: maxZoom, Format: tiles.PackPMTiles, Out: out, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored == 0 {
		t.Fatalf("stats %+v", st)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".*")); len(names) != 0 {
		t.Errorf("the pack left its spool: %v", names)
	}
	logger := log.New(io.Discard, "", 0)
	if err := pmtiles.Verify(logger, out); err != nil {
		t.Fatalf("go-pmtiles finds the archive invalid: %v", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h, err := pmtiles.DeserializeHeader(raw[:127])
	if err != nil {
		t.Fatal(err)
	}
	if h.AddressedTilesCount != uint64(st.Stored) || h.MaxZoom != maxZoom || h.TileType != pmtiles.Mvt || !h.Clustered {
		t.Fatalf("header %+v, stats %+v", h, st)
	}

	server, err := pmtiles.NewServer("file://"+dir, "", logger, 64, "")
	if err != nil {
		t.Fatal(err)
	}
	server.Start() // its directory cache answers Get
	b, ok, err := f.db.Store.Bounds(ctx)
	if err != nil || !ok {
		t.Fatalf("bounds: %v %v", ok, err)
	}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	var compared int
	for z := 0; z <= maxZoom; z++ {
		for _, tile := range tiles.TileList(bound, z, 0) {
			served, _, _, err := f.service.Tile(ctx, "review", z, int(tile.X), int(tile.Y), tiles.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			status, _, packed := server.Get(ctx, fmt.Sprintf("/county/%d/%d/%d.mvt", z, tile.X, tile.Y))
			if served == nil || served.RawSize == 0 {
				if status != http.StatusNoContent && status != http.StatusNotFound {
					t.Errorf("tile %d/%d/%d is empty when served but the archive answers %d with %d bytes", z, tile.X, tile.Y, status, len(packed))
				}
				continue
			}
			if status != http.StatusOK {
				t.Fatalf("tile %d/%d/%d: the archive answers %d", z, tile.X, tile.Y, status)
			}
			want, err := tiles.Gunzip(served.Gzip)
			if err != nil {
				t.Fatal(err)
			}
			if got := inflate(t, packed); !bytes.Equal(got, want) {
				t.Fatalf("tile %d/%d/%d: packed %d bytes, served %d", z, tile.X, tile.Y, len(got), len(want))
			}
			compared++
		}
	}
	if compared != st.Stored {
		t.Errorf("compared %d non-empty tiles, the pack stored %d", compared, st.Stored)
	}
}

// inflate returns a tile's bytes, gunzipped when the reader left them
// compressed (as PMTiles stores them).
func inflate(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
		out, err := tiles.Gunzip(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return b
}
