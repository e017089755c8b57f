package data_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// reprojectingSQL turns the tile statement into the one gapmap ran before
// the Web Mercator copies (migration 0028): every geometry read from the
// EPSG:4490 column and reprojected per row, rows selected by the box of
// that reprojected geometry against the buffered tile envelope (the
// source column's index narrowing them first). It is the identity test's
// oracle and never runs outside it.
func reprojectingSQL(t testing.TB, q string) string {
	t.Helper()
	const b3857 = `ST_TileEnvelope(p.z, p.x, p.y, margin => 64.0 / 4096) AS b3857`
	if !strings.Contains(q, b3857) {
		t.Fatalf("the tile statement has no %s", b3857)
	}
	// The oracle finds a row by its reprojected geometry's box, as the
	// copy's box is found (PostGIS boxes are float4, rounded outward: a
	// box in degrees is not the same test at a tile's edge); the index
	// on the source column, on an envelope in degrees widened by about
	// 10 m, only narrows the rows to reproject.
	q = strings.Replace(q, b3857, b3857+`, ST_Expand(ST_Transform(ST_TileEnvelope(p.z, p.x, p.y, margin => 64.0 / 4096), 4490), 1e-4) AS e4490`, 1)
	q = regexp.MustCompile(`\bg\.(\w+)_3857 && env\.b3857`).ReplaceAllString(q, `g.$1 && env.e4490 AND ST_Transform(g.$1, 3857) && env.b3857`)
	q = regexp.MustCompile(`\bg\.(\w+)_3857\b`).ReplaceAllString(q, `ST_Transform(g.$1, 3857)`)
	if strings.Contains(q, "_3857") {
		t.Fatalf("the oracle still reads a Web Mercator copy:\n%s", q)
	}
	return q
}

// queryer runs the oracle on the live schema or on a snapshot's.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// oracleTile renders req with the reprojecting statement, the villages
// scored by run (nil: the latest run): the layers' MVT bytes
// concatenated, and the layers cut by their budget.
func oracleTile(t *testing.T, db *datatest.DB, on queryer, req tiles.Request, run *int64) ([]byte, []string) {
	t.Helper()
	q, err := data.TileSQL(db.Store, req.Layers)
	if err != nil {
		t.Fatal(err)
	}
	f := req.Filter
	rows, err := on.Query(datatest.Context(), reprojectingSQL(t, q), req.Z, req.X, req.Y, f.Township, f.Dimension, f.MinScore, f.Status, f.Year, run)
	if err != nil {
		t.Fatal(err)
	}
	var mvt []byte
	var cut []string
	var layer string
	var part []byte
	var over bool
	if _, err := pgx.ForEachRow(rows, []any{&layer, &part, &over}, func() error {
		mvt = append(mvt, part...)
		if over {
			cut = append(cut, layer)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return mvt, cut
}

// TestTilesEqualReprojectingRender: tiles read from the Web Mercator
// copies are byte for byte the tiles of the statement that reprojected
// every row (reprojectingSQL), on random tiles around random features of
// every drawn table, at z6–z16, with random filters, on the demo as loaded,
// with and without its low-zoom roads built, after random edits (moves,
// inserts, deletes of roads, villages, outlines, points and lines, which
// the generated copies must follow), and as of a past date (a snapshot,
// whose copies come from the history tables). GAPMAP_TILE_SEED replays a
// run; GAPMAP_TILE_IDENTITY_TILES sets the tiles per round (default 60).
func TestTilesEqualReprojectingRender(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	seed := uint64(rand.Int64())
	if s := os.Getenv("GAPMAP_TILE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("GAPMAP_TILE_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	perRound := 60
	if s := os.Getenv("GAPMAP_TILE_IDENTITY_TILES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		perRound = v
	}
	townships, err := pgx.CollectRows(must(db.Pool.Query(ctx, `SELECT code FROM townships ORDER BY code`)), pgx.RowTo[string])
	if err != nil || len(townships) == 0 {
		t.Fatalf("townships %v: %v", townships, err)
	}
	drawn := []string{"counties.outline", "townships.outline", "villages.office", "villages.outline", "roads.geom",
		"bridges.geom", "bus_stops.geom", "reservoirs.geom", "water_works.geom", "water_mains.geom", "substations.geom",
		"power_lines.geom", "transformers.geom", "pv_stations.geom", "tourism_sites.geom", "projects.geom"}
	sets := []string{"all", "review", "roads", "villages", "projects", "county", "townships", "power_lines", "reservoirs"}

	// anchor is a random point of a random feature of a drawn table.
	anchor := func() orb.Point {
		for {
			tc := strings.Split(drawn[rng.IntN(len(drawn))], ".")
			var x, y *float64
			// Identifiers from the fixed list above.
			err := db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(%[2]s) AS p FROM %[1]s
				WHERE %[2]s IS NOT NULL OFFSET floor($1 * (SELECT count(*) FROM %[1]s WHERE %[2]s IS NOT NULL)) LIMIT 1) a`,
				pgx.Identifier{tc[0]}.Sanitize(), pgx.Identifier{tc[1]}.Sanitize()), rng.Float64()).Scan(&x, &y)
			if err == pgx.ErrNoRows {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			return orb.Point{*x, *y}
		}
	}
	randomFilter := func() tiles.Filter {
		var f tiles.Filter
		switch rng.IntN(6) {
		case 0:
			f.Township = townships[rng.IntN(len(townships))]
		case 1:
			f.Dimension = []string{"通路", "饮水", "农网", "光伏", "综合"}[rng.IntN(5)]
			v := rng.Float64() * 60
			f.MinScore = &v
		case 2:
			f.Status = []string{"候选", "入库", "已完成"}[rng.IntN(3)]
			f.Year = 2016 + rng.IntN(5)
		}
		return f
	}
	var rendered, nonEmpty, cutSeen int
	one := func(round, asOf string, on queryer, set string, z int, at orb.Point, f tiles.Filter) {
		all, _ := tiles.SetLayers(set)
		layers := tiles.LayersAt(all, z)
		if z > tiles.MaxZoom {
			// Past the engine's zooms the statement still draws every
			// layer it is given, with no budget.
			layers = all
		}
		if len(layers) == 0 {
			return
		}
		tile := maptile.At(at, maptile.Zoom(z))
		req := tiles.Request{Layers: layers, Z: z, X: int(tile.X), Y: int(tile.Y), Filter: f}
		// A past date's villages are scored by that date's run (none: 0).
		var run *int64
		if asOf != "" {
			d, err := planning.ParseAsOf(asOf)
			if err != nil {
				t.Fatal(err)
			}
			id, err := planning.RunOn(ctx, db.Store, d)
			if err != nil && planning.ErrorCode(err) != planning.ENotFound {
				t.Fatal(err)
			}
			run = &id
		}
		want, wantCut := oracleTile(t, db, on, req, run)
		req.Filter.AsOf = asOf
		got, gotCut, err := db.Store.Tile(ctx, req)
		if err != nil {
			t.Fatalf("%s: tile %s %d/%d/%d: %v", round, set, z, tile.X, tile.Y, err)
		}
		rendered++
		if len(got) > 0 {
			nonEmpty++
		}
		if len(gotCut) > 0 {
			cutSeen++
		}
		if !bytes.Equal(got, want) || strings.Join(gotCut, ",") != strings.Join(wantCut, ",") {
			t.Errorf("%s: tile %s %d/%d/%d filter %+v: %d bytes cut %v, the reprojecting render %d bytes cut %v",
				round, set, z, tile.X, tile.Y, req.Filter, len(got), gotCut, len(want), wantCut)
		}
	}
	compare := func(round string, asOf string, on queryer) {
		for i := 0; i < perRound; i++ {
			one(round, asOf, on, sets[rng.IntN(len(sets))], 6+rng.IntN(11), anchor(), randomFilter())
		}
	}

	compare("as loaded, live low-zoom roads", "", db.Pool)
	if _, err := db.Store.RefreshLowZoom(ctx); err != nil {
		t.Fatal(err)
	}
	compare("low-zoom roads built", "", db.Pool)

	// Random edits, dated today: the copies must follow every write.
	for i := 0; i < 40; i++ {
		tc := strings.Split(drawn[rng.IntN(len(drawn))], ".")
		tbl, col := pgx.Identifier{tc[0]}.Sanitize(), pgx.Identifier{tc[1]}.Sanitize()
		dx, dy := (rng.Float64()-0.5)*0.02, (rng.Float64()-0.5)*0.02
		pick := fmt.Sprintf(`(SELECT id FROM %[1]s WHERE %[2]s IS NOT NULL ORDER BY id OFFSET floor($3 * (SELECT count(*) FROM %[1]s WHERE %[2]s IS NOT NULL)) LIMIT 1)`, tbl, col)
		var sql string
		switch op := rng.IntN(4); {
		case op == 3 && tc[0] == "roads":
			sql = `INSERT INTO roads (grade, surface, width_m, name, ref, geom, source_id)
				SELECT grade, surface, width_m, name || '（测试）', ref, ST_Translate(geom, $1, $2), source_id FROM roads WHERE id = ` + pick
		case op == 3 && tc[0] != "counties" && tc[0] != "townships" && tc[0] != "villages":
			sql = `DELETE FROM ` + tbl + ` WHERE $1::float8 IS NOT NULL AND $2::float8 IS NOT NULL AND id = ` + pick
		default:
			sql = fmt.Sprintf(`UPDATE %[1]s SET %[2]s = ST_Translate(%[2]s, $1, $2) WHERE id = `+pick, tbl, col)
		}
		if _, err := db.Pool.Exec(ctx, sql, dx, dy, rng.Float64()); err != nil {
			t.Fatalf("edit %s: %v", sql, err)
		}
	}
	// A dense cluster of 8,000 short roads (within 0.006°, well inside a z13
	// tile most of the time) round a random 村委会, so that
	// tiles there pass the roads' budget of 6,000 below z14: which rows a
	// budget keeps must not change either.
	var cluster orb.Point
	// setseed first, in the same transaction: GAPMAP_TILE_SEED replays it.
	if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT setseed($1)`, rng.Float64()*2-1); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO roads (grade, surface, width_m, name, geom, source_id)
		SELECT (ARRAY['乡道', '村道', '通组路'])[1 + i % 3], '水泥', 4, '密集路' || i,
			ST_SetSRID(ST_MakeLine(ST_MakePoint(x, y), ST_MakePoint(x + (random() - 0.5) * 0.002, y + (random() - 0.5) * 0.002)), 4490),
			(SELECT min(id) FROM sources)
		FROM (SELECT i, c.x + (random() - 0.5) * 0.006 AS x, c.y + (random() - 0.5) * 0.006 AS y
			FROM generate_series(1, 8000) i,
			(SELECT ST_X(office) AS x, ST_Y(office) AS y FROM villages ORDER BY id OFFSET floor($1 * (SELECT count(*) FROM villages)) LIMIT 1) c) r`,
			rng.Float64())
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT avg(ST_X(ST_StartPoint(geom))), avg(ST_Y(ST_StartPoint(geom))) FROM roads WHERE name LIKE '密集路%'`).Scan(&cluster[0], &cluster[1])
	}); err != nil {
		t.Fatal(err)
	}
	var stale int
	if err := db.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM roads WHERE geom_3857 IS DISTINCT FROM ST_Transform(geom, 3857)) +
		(SELECT count(*) FROM villages WHERE office_3857 IS DISTINCT FROM ST_Transform(office, 3857)
			OR outline_3857 IS DISTINCT FROM ST_Transform(outline, 3857))`).Scan(&stale); err != nil || stale != 0 {
		t.Fatalf("%d copies differ from their source after the edits (%v)", stale, err)
	}
	atCluster := func(round string) {
		for z := 6; z <= 16; z++ {
			for _, set := range []string{"all", "review", "roads"} {
				one(round+", the cluster", "", db.Pool, set, z, cluster, tiles.Filter{})
			}
		}
	}
	compare("after edits, low-zoom roads stale", "", db.Pool)
	atCluster("after edits, low-zoom roads stale")
	if _, err := db.Store.RefreshLowZoom(ctx); err != nil {
		t.Fatal(err)
	}
	compare("after edits, low-zoom roads rebuilt", "", db.Pool)
	atCluster("after edits, low-zoom roads rebuilt")

	// As of a date before the edits: the snapshot's copies come from the
	// live rows and the history tables.
	const asOf = "2020-06-30"
	all, _ := tiles.SetLayers("all")
	if _, _, err := db.Store.Tile(ctx, tiles.Request{Layers: tiles.LayersAt(all, 8), Z: 8, X: 208, Y: 105, Filter: tiles.Filter{AsOf: asOf}}); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.Pool.QueryRow(ctx, `SELECT schema_name FROM layer_snapshots WHERE as_of = $1`, asOf).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The connection leaves the pool: its search_path becomes the snapshot's.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT set_config('search_path', $1 || ',' || current_setting('search_path'), false)`, schema); err != nil {
		t.Fatal(err)
	}
	compare("as of "+asOf, asOf, conn)
	// A run of that date saved after its tiles were drawn is drawn from
	// the next tile on: a date's tiles remember their run only while the
	// runs stay as they were. Before it the date has no run (villages
	// unknown); after it they are scored.
	if id, err := planning.RunOn(ctx, db.Store, day(asOf)); err != nil || id != 0 {
		t.Fatalf("as of %s: a run %d before it was made (%v)", asOf, id, err)
	}
	scoreAsOf(t, db, asOf)
	if id, err := planning.RunOn(ctx, db.Store, day(asOf)); err != nil || id == 0 {
		t.Fatalf("as of %s: no run after scoring it (%v)", asOf, err)
	}
	compare("as of "+asOf+", scored since", asOf, conn)

	t.Logf("%d tiles, %d with features, %d cut by their budget", rendered, nonEmpty, cutSeen)
	if nonEmpty < rendered/2 || cutSeen == 0 {
		t.Errorf("%d of %d tiles had features, %d were cut: the comparison is too thin", nonEmpty, rendered, cutSeen)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkTileCopiesVsReprojecting renders the review set's tile over the
// demo county seat at z8 and z12 with the tile statement (copies) and with
// the reprojecting one, on the same database, alternating: what reading
// the Web Mercator copies saves, the rest of the work being equal.
func BenchmarkTileCopiesVsReprojecting(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	set, _ := tiles.SetLayers("review")
	for _, z := range []int{8, 12} {
		tile := maptile.At(orb.Point{113.45, 29.48}, maptile.Zoom(z))
		layers := tiles.LayersAt(set, z)
		q, err := data.TileSQL(db.Store, layers)
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range []struct{ name, sql string }{{"copies", q}, {"reprojecting", reprojectingSQL(b, q)}} {
			b.Run(fmt.Sprintf("z%02d/%s", z, v.name), func(b *testing.B) {
				run := func() {
					rows, err := db.Pool.Query(ctx, v.sql, z, int(tile.X), int(tile.Y), "", "", nil, "", 0)
					if err != nil {
						b.Fatal(err)
					}
					rows.Close()
					if rows.Err() != nil {
						b.Fatal(rows.Err())
					}
				}
				run()
				for b.Loop() {
					run()
				}
			})
		}
	}
}
