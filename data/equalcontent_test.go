package data_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// TestEqualContentTiles: the equal-content store (bench-tiles
// --equal-content) draws every road that meets a tile, beyond the budget the
// served tiles keep, with every column of the table as attributes (the id
// among them, as pg_tileserv sends it). The oracles are SQL of their own: a
// count of the roads meeting each tile's buffered envelope, and each row's
// non-null columns read as JSON.
func TestEqualContentTiles(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	// 7,000 short roads inside one z12 tile: more than the roads layer's
	// budget (6,000) below z14.
	z12 := maptile.At(orb.Point{113.45, 29.48}, 12)
	b := z12.Bound()
	mustExec(t, db, `INSERT INTO roads (name, grade, surface, width_m, geom, source_id)
		SELECT '测试路' || i, '县道', '水泥', 5, ST_SetSRID(ST_MakeLine(ST_MakePoint(x, y), ST_MakePoint(x + 0.001, y + 0.0005)), 4490),
		       (SELECT min(id) FROM sources)
		FROM (SELECT i, $1::float8 + 0.002 + random() * ($3::float8 - $1::float8 - 0.005) AS x,
		             $2::float8 + 0.002 + random() * ($4::float8 - $2::float8 - 0.005) AS y
		      FROM generate_series(1, 7000) i) r`, b.Min[0], b.Min[1], b.Max[0], b.Max[1])

	equal, err := db.Store.EqualContent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	layers, ok := tiles.SetLayers("roads")
	if !ok {
		t.Fatal("no roads layer")
	}
	decode := func(raw []byte) []*mvt.Layer {
		t.Helper()
		ls, err := mvt.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	z14 := maptile.At(orb.Point{(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2}, 14)
	for _, tile := range []maptile.Tile{z12.Parent(), z12, maptile.At(z14.Center(), 13), z14} {
		req := tiles.Request{Layers: layers, Z: int(tile.Z), X: int(tile.X), Y: int(tile.Y)}
		raw, truncated, err := equal.Tile(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var want int
		// pg_tileserv's selection, written apart from the tile statement:
		// the rows meeting the buffered envelope whose clipped geometry
		// keeps at least a pixel (a line crossing a corner by less than a
		// pixel is dropped by ST_AsMVTGeom, by both servers).
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM roads
			WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4490))
			AND ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) IS NOT NULL`,
			req.Z, req.X, req.Y).Scan(&want); err != nil {
			t.Fatal(err)
		}
		ls := decode(raw)
		if len(ls) != 1 || len(ls[0].Features) != want || len(truncated) > 0 {
			t.Fatalf("equal-content tile %d/%d/%d: %d layers, features %d, truncated %v; want every one of the %d roads SQL counts",
				tile.Z, tile.X, tile.Y, len(ls), len(ls[0].Features), truncated, want)
		}
		if tile == z12 {
			// The served tile keeps its budget: what equal content removes.
			raw, truncated, err := db.Store.Tile(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if served := decode(raw); len(served) != 1 || len(served[0].Features) > 6000 || !slices.Equal(truncated, []string{"roads"}) {
				t.Fatalf("served z12 tile: %d layers, truncated %v; want at most 6,000 of the %d roads, truncated", len(served), truncated, want)
			}
		}
		if tile != z14 {
			continue
		}
		// Every feature carries exactly its row's non-null columns but the
		// geometry and its Web Mercator copy, the id included, and its id
		// as feature id.
		rows, err := db.Pool.Query(ctx, `SELECT id, array(SELECT key FROM jsonb_each(to_jsonb(r) - 'geom' - 'geom_3857') WHERE value <> 'null' ORDER BY key)
			FROM roads r WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4490)`, req.Z, req.X, req.Y)
		if err != nil {
			t.Fatal(err)
		}
		cols := map[int64][]string{}
		var id int64
		var keys []string
		if _, err := pgx.ForEachRow(rows, []any{&id, &keys}, func() error {
			cols[id] = slices.Clone(keys)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, f := range ls[0].Features {
			fid, _ := f.ID.(float64) // orb decodes MVT ids as float64
			got := slices.Sorted(maps.Keys(f.Properties))
			if want, ok := cols[int64(fid)]; !ok || !slices.Equal(got, want) {
				t.Fatalf("feature %v: attributes %v; want its row's non-null columns %v", f.ID, got, want)
			}
			if pid, _ := f.Properties["id"].(float64); pid != fid {
				t.Fatalf("feature %v: id attribute %v", f.ID, f.Properties["id"])
			}
		}
	}
}
