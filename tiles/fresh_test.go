package tiles_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// freshFixture is the demo county, scored and its 项目库 generated, with two engines on it: warm,
// whose cache is filled and then kept through edits by Refresh, and cold,
// which caches nothing and so renders every tile from the data as it is:
// the oracle.
type freshFixture struct {
	db   *datatest.DB
	warm *tiles.Service
	cold *tiles.Service
	refs []tiles.Ref // what warm cached
	// renders counts the tiles warm rendered (not taken from a cache).
	renders *countingSource
}

// countingSource counts the tiles it renders.
type countingSource struct {
	tiles.Source
	n atomic.Int64
}

func (c *countingSource) Tile(ctx context.Context, req tiles.Request) ([]byte, []string, error) {
	c.n.Add(1)
	return c.Source.Tile(ctx, req)
}

// newEngine returns an engine on f's database with a cache of 256 MB,
// counting its renders in c.
func (f *freshFixture) newEngine(c *countingSource) *tiles.Service {
	return tiles.NewService(c, tiles.NewCache(256<<20), 30*time.Second, admit.NewGate(2, 8, 2*time.Second))
}

// keep makes s keep its tiles in the database (at most maxBytes),
// writing them until the test ends.
func (f *freshFixture) keep(t *testing.T, s *tiles.Service, maxBytes int64) {
	t.Helper()
	s.Keep(f.db.Store, maxBytes)
	ctx, cancel := context.WithCancel(datatest.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Persist(ctx, func(err error) { t.Errorf("store tiles: %v", err) })
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// stored waits until s has stored every tile it rendered.
func stored(t *testing.T, s *tiles.Service) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for s.PersistPending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tiles still not stored after a minute", s.PersistPending())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newFreshFixture builds the fixture; keep makes warm keep its tiles in
// the database (tiles.Store) as it renders them.
func newFreshFixture(t *testing.T, keep bool, sets ...string) *freshFixture {
	t.Helper()
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := planning.Generate(ctx, db.Store, planning.DefaultProfile(), 0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.RefreshLowZoom(ctx); err != nil {
		t.Fatal(err)
	}
	f := &freshFixture{db: db, renders: &countingSource{Source: db.Store},
		cold: tiles.NewService(db.Store, tiles.NewCache(0), 30*time.Second, admit.NewGate(2, 8, 2*time.Second))}
	f.warm = f.newEngine(f.renders)
	if keep {
		f.keep(t, f.warm, 256<<20)
	}
	f.refresh(t)
	// Every tile of the county's extent from z6 to z14: what a user who
	// looked at all of it at every zoom leaves in the cache.
	var w, s, e, n float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(outline) x FROM counties) c`).
		Scan(&w, &s, &e, &n); err != nil {
		t.Fatal(err)
	}
	for _, set := range sets {
		for z := 6; z <= tiles.MaxZoom; z++ {
			lo := maptile.At(orb.Point{w, n}, maptile.Zoom(z))
			hi := maptile.At(orb.Point{e, s}, maptile.Zoom(z))
			for x := lo.X; x <= hi.X; x++ {
				for y := lo.Y; y <= hi.Y; y++ {
					r := tiles.Ref{Set: set, Z: z, X: int(x), Y: int(y)}
					if tile, _, _, err := f.warm.Tile(ctx, set, z, int(x), int(y), tiles.Filter{}); err != nil {
						t.Fatal(err)
					} else if tile != nil {
						f.refs = append(f.refs, r)
					}
				}
			}
		}
	}
	return f
}

func (f *freshFixture) refresh(t *testing.T) {
	t.Helper()
	for _, s := range []*tiles.Service{f.warm, f.cold} {
		if err := s.Refresh(datatest.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// cached returns the refs the warm cache holds now.
func (f *freshFixture) cached() map[tiles.Ref]bool {
	out := map[tiles.Ref]bool{}
	for _, r := range f.refs {
		if f.warm.Cached(r.Set, r.Z, r.X, r.Y, r.Filter) {
			out[r] = true
		}
	}
	return out
}

// etag returns the ETag s serves for r ("" for no tile).
func etag(t *testing.T, s *tiles.Service, r tiles.Ref) string {
	t.Helper()
	tile, _, _, err := s.Tile(datatest.Context(), r.Set, r.Z, r.X, r.Y, r.Filter)
	if err != nil {
		t.Fatal(err)
	}
	if tile == nil {
		return ""
	}
	return tile.ETag
}

// touched is the oracle of the tiles a change touches, in SQL of its own:
// those among refs whose rendering envelope (ST_TileEnvelope with the
// tile SQL's 64/4096 margin, in EPSG:4490) meets one of geoms (EWKT), at
// zooms from minZoom.
func (f *freshFixture) touched(t *testing.T, geoms []string, minZoom int) map[tiles.Ref]bool {
	t.Helper()
	return f.touchedWithin(t, geoms, minZoom, tiles.MaxZoom, 64)
}

// touchedWithin is touched at zooms minZoom..maxZoom with a margin of
// margin/4096 of a tile.
func (f *freshFixture) touchedWithin(t *testing.T, geoms []string, minZoom, maxZoom int, margin float64) map[tiles.Ref]bool {
	t.Helper()
	var zs, xs, ys []int32
	for _, r := range f.refs {
		zs, xs, ys = append(zs, int32(r.Z)), append(xs, int32(r.X)), append(ys, int32(r.Y))
	}
	rows, err := f.db.Pool.Query(datatest.Context(), `SELECT i FROM unnest($1::int[], $2::int[], $3::int[]) WITH ORDINALITY AS t (z, x, y, i)
		WHERE t.z BETWEEN $5 AND $6 AND EXISTS (SELECT FROM unnest($4::text[]) g
			WHERE ST_Transform(ST_TileEnvelope(t.z, t.x, t.y, margin => $7::float8 / 4096), 4490) && ST_GeomFromEWKT(g))`,
		zs, xs, ys, geoms, minZoom, maxZoom, margin)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[tiles.Ref]bool{}
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			t.Fatal(err)
		}
		out[f.refs[i-1]] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ewkt returns the EWKT of the geometry col of the row id of table
// (all rows when id is 0), none for NULL.
func (f *freshFixture) ewkt(t *testing.T, table, col string, id int64) []string {
	t.Helper()
	rows, err := f.db.Pool.Query(datatest.Context(), fmt.Sprintf(`SELECT ST_AsEWKT(%s) FROM %s WHERE %[1]s IS NOT NULL AND ($1 = 0 OR id = $1)`, col, table), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// check refreshes both engines and compares every tile in want (and a
// sample of the others) as the warm engine serves it with the cold
// render.
func (f *freshFixture) check(t *testing.T, what string, want map[tiles.Ref]bool, sample int, rnd *rand.Rand) {
	t.Helper()
	for r := range want {
		if a, b := etag(t, f.warm, r), etag(t, f.cold, r); a != b {
			t.Errorf("%s: touched tile %v serves %s, a cold render %s", what, r, a, b)
		}
	}
	for range sample {
		r := f.refs[rnd.IntN(len(f.refs))]
		if a, b := etag(t, f.warm, r), etag(t, f.cold, r); a != b {
			t.Errorf("%s: tile %v serves %s, a cold render %s", what, r, a, b)
		}
	}
}

// lowZoomRows returns the rows of roads_lowzoom, each as the text of all
// its columns, with the EWKT of its line.
func (f *freshFixture) lowZoomRows(t *testing.T) map[string]string {
	t.Helper()
	rows, err := f.db.Pool.Query(datatest.Context(), `SELECT concat_ws('|', id, grade, surface, ref, width_m, cell_x, cell_y, encode(ST_AsEWKB(geom), 'hex')),
		ST_AsEWKT(geom) FROM roads_lowzoom`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var row, g string
		if err := rows.Scan(&row, &g); err != nil {
			t.Fatal(err)
		}
		out[row] = g
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lowZoomChanged returns the lines of the merged rows that are in one of
// before and after but not in the other.
func lowZoomChanged(before, after map[string]string) []string {
	var out []string
	for row, g := range before {
		if _, ok := after[row]; !ok {
			out = append(out, g)
		}
	}
	for row, g := range after {
		if _, ok := before[row]; !ok {
			out = append(out, g)
		}
	}
	return out
}

// checkLowZoomWhole checks that roads_lowzoom, as the writes kept it, is
// current and row for row what a whole rebuild makes now.
func (f *freshFixture) checkLowZoomWhole(t *testing.T, what string) {
	t.Helper()
	var missing, extra int
	var current bool
	if err := f.db.Pool.QueryRow(datatest.Context(), `WITH kept AS (SELECT id, grade, surface, ref, width_m, cell_x, cell_y, ST_AsEWKB(geom) g FROM roads_lowzoom),
		whole AS (SELECT id, grade, surface, ref, width_m, cell_x, cell_y, ST_AsEWKB(geom) g FROM roads_lowzoom_build(NULL, NULL))
		SELECT (SELECT count(*) FROM (SELECT * FROM whole EXCEPT ALL SELECT * FROM kept) a),
		       (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM whole) b),
		       coalesce((SELECT built_from = (SELECT version FROM layer_versions WHERE layer = 'roads') FROM lowzoom_state WHERE layer = 'roads'), false)`).
		Scan(&missing, &extra, &current); err != nil {
		t.Fatal(err)
	}
	if missing != 0 || extra != 0 || !current {
		t.Errorf("%s: roads_lowzoom lacks %d rows of a whole rebuild and has %d others; current %v", what, missing, extra, current)
	}
}

// roadEdit runs sql (with $1 the road's id) on road id and returns the
// tiles it touches by the oracle: from z10 those the road's old and new
// lines meet, below z10 those the merged low-zoom lines it changed meet
// (with the tile SQL's margin of 64/4096, and with 66/4096 for the tiles
// a refresh may drop: the engine adds a pixel against rounding).
func (f *freshFixture) roadEdit(t *testing.T, sql string, id int64) (must, may map[tiles.Ref]bool) {
	t.Helper()
	ctx := datatest.Context()
	geoms := f.ewkt(t, "roads", "geom", id)
	low := f.lowZoomRows(t)
	if _, err := f.db.Pool.Exec(ctx, sql, id); err != nil {
		t.Fatal(err)
	}
	geoms = append(geoms, f.ewkt(t, "roads", "geom", id)...)
	changed := lowZoomChanged(low, f.lowZoomRows(t))
	must, may = f.touchedWithin(t, geoms, 10, tiles.MaxZoom, 64), f.touchedWithin(t, geoms, 10, tiles.MaxZoom, 66)
	// Roads are drawn from their MinZoom; the merged lines below z10.
	roads, _ := tiles.SetLayers("roads")
	maps.Copy(must, f.touchedWithin(t, changed, roads[0].MinZoom, 9, 64))
	maps.Copy(may, f.touchedWithin(t, changed, roads[0].MinZoom, 9, 66))
	return must, may
}

// TestOneRoadEditKeepsTheCache edits one road, a 村道 (its surface, and
// its line moved by about 100 m) and then a 县道, which the low-zoom
// tiles draw (moved the same way), and checks after each that the tiles
// it touches (an oracle in SQL: from z10 the tiles its old and new lines
// meet, below the tiles the merged low-zoom lines it changed meet) are
// dropped and no other; that at least 99 % of the warm cache of every
// tile of the county from z6 to z14 survives; that the low-zoom table is
// what a whole rebuild makes; that Rewarm renders the dropped tiles up
// to z12 into the cache; and that every tile then equals a cold render.
func TestOneRoadEditKeepsTheCache(t *testing.T) {
	f := newFreshFixture(t, false, "all")
	ctx := datatest.Context()
	if n := len(f.cached()); n < 500 {
		t.Fatalf("warm cache holds %d tiles, want the county at z6–z14", n)
	}
	// The 99 % holds for a 村道 (most roads); a 县道 of the demo is a line
	// of about 10 km whose box alone meets 17 tiles from z10 to z14: it
	// must drop what it touches and, below z10, only that.
	for _, c := range []struct {
		grade, below string
		survive      float64
	}{
		{"村道", "the low-zoom lines are unchanged", 0.99},
		{"县道", "its merged low-zoom lines changed", 0.97},
	} {
		before := f.cached()
		var id int64
		if err := f.db.Pool.QueryRow(ctx, `SELECT id FROM roads WHERE grade = $1 ORDER BY ST_Length(geom), id
			LIMIT 1 OFFSET least(40, (SELECT count(*) / 3 FROM roads WHERE grade = $1))`, c.grade).Scan(&id); err != nil {
			t.Fatal(err)
		}
		must, may := f.roadEdit(t, `UPDATE roads SET surface = CASE WHEN surface = '土' THEN '砂石' ELSE '土' END,
			geom = ST_Translate(geom, 0.001, 0.0005) WHERE id = $1`, id)
		f.refresh(t)
		f.checkLowZoomWhole(t, c.grade+" edit")
		after := f.cached()
		dropped, low, lowDropped := 0, 0, 0
		for r := range before {
			if r.Z < 10 {
				low++
			}
			if after[r] {
				continue
			}
			dropped++
			if r.Z < 10 {
				lowDropped++
			}
			if !may[r] {
				t.Errorf("%s edit: tile %v was dropped but the edit does not touch it", c.grade, r)
			}
		}
		for r := range must {
			if after[r] {
				t.Errorf("%s edit: tile %v meets the edit but stayed cached", c.grade, r)
			}
		}
		survived := float64(len(before)-dropped) / float64(len(before))
		t.Logf("one %s edit (%s): %d of %d cached tiles dropped (%d touched by the oracle), %.2f %% survive; below z10 %d of %d dropped",
			c.grade, c.below, dropped, len(before), len(must), 100*survived, lowDropped, low)
		if survived < c.survive {
			t.Errorf("%s edit: %.2f %% of the cache survived, want at least %.0f %%", c.grade, 100*survived, 100*c.survive)
		}
		if c.grade == "县道" && (lowDropped == 0 || lowDropped == low) {
			t.Errorf("县道 edit: %d of %d tiles below z10 dropped; want those its merged lines touch, some and not all", lowDropped, low)
		}

		// Re-rendered in the background, up to z12.
		rctx, cancel := context.WithCancel(ctx)
		go f.warm.Rewarm(rctx, 1)
		deadline := time.Now().Add(time.Minute)
		for f.warm.RewarmPending() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		rewarmed := f.cached()
		for r := range before {
			if !after[r] && r.Z <= tiles.RewarmMaxZoom && !rewarmed[r] {
				t.Errorf("%s edit: dropped tile %v (z <= %d) is not cached after Rewarm", c.grade, r, tiles.RewarmMaxZoom)
			}
		}

		// Every tile, touched or not, as served equals a cold render.
		for _, r := range f.refs {
			if a, b := etag(t, f.warm, r), etag(t, f.cold, r); a != b {
				t.Errorf("after the %s edit tile %v serves %s, a cold render %s", c.grade, r, a, b)
			}
		}
	}
}

// TestIncrementalEqualsColdTiles is the randomized differential test:
// seeded edits of every kind that changes tiles (rows of drawn layers
// updated, moved, inserted, deleted; a small import; a township renamed; a
// scoring run; the low-zoom roads rebuilt), each followed by Refresh; after
// each, every tile the edit touches (oracle in SQL) and a sample of the
// others, served by the warm engine, equal a cold render. GAPMAP_TILE_SEED
// and GAPMAP_TILE_EDITS choose other seeds and counts.
func TestIncrementalEqualsColdTiles(t *testing.T) {
	f := newFreshFixture(t, false, "all")
	ctx := datatest.Context()
	seed, edits := uint64(22), 0 // 0: one edit of each kind
	if v := os.Getenv("GAPMAP_TILE_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	if v := os.Getenv("GAPMAP_TILE_EDITS"); v != "" {
		fmt.Sscan(v, &edits)
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	// pick returns a random id of table.
	pick := func(table, where string) int64 {
		var id int64
		if err := f.db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT id FROM %[1]s WHERE %[2]s ORDER BY id
			OFFSET floor($1 * (SELECT count(*) FROM %[1]s WHERE %[2]s)) LIMIT 1`, table, where),
			rnd.Float64()).Scan(&id); err != nil {
			t.Fatalf("pick a row of %s where %s: %v", table, where, err)
		}
		return id
	}
	type edit struct {
		name string
		run  func() (geoms []string, all bool)
	}
	// rowEdit runs sql on a random row of table and returns the old and
	// new geometries of cols.
	rowEdit := func(table, where, sql string, cols ...string) func() ([]string, bool) {
		return func() ([]string, bool) {
			id := pick(table, where)
			var geoms []string
			for _, c := range cols {
				geoms = append(geoms, f.ewkt(t, table, c, id)...)
			}
			if _, err := f.db.Pool.Exec(ctx, fmt.Sprintf(sql, table), id); err != nil {
				t.Fatal(err)
			}
			for _, c := range cols {
				geoms = append(geoms, f.ewkt(t, table, c, id)...)
			}
			return geoms, false
		}
	}
	kinds := []edit{
		{"road moved", rowEdit("roads", "true", `UPDATE %s SET geom = ST_Translate(geom, 0.002, -0.001) WHERE id = $1`, "geom")},
		{"road renamed", rowEdit("roads", "grade IN ('县道', '乡道')", `UPDATE %s SET name = name || '改' WHERE id = $1`, "geom")},
		{"road deleted", rowEdit("roads", "true", `DELETE FROM %s WHERE id = $1`, "geom")},
		{"county road moved", rowEdit("roads", "grade = '县道'", `UPDATE %s SET geom = ST_Translate(geom, -0.004, 0.003) WHERE id = $1`, "geom")},
		{"road regraded to 县道", rowEdit("roads", "grade = '乡道'", `UPDATE %s SET grade = '县道', ref = 'X' || id WHERE id = $1`, "geom")},
		{"provincial road deleted", rowEdit("roads", "grade IN ('省道', '县道')", `DELETE FROM %s WHERE id = $1`, "geom")},
		{"national road added", func() ([]string, bool) {
			var g string
			if err := f.db.Pool.QueryRow(ctx, `INSERT INTO roads (name, ref, grade, surface, geom, source_id)
				SELECT name || '复线', 'G' || id, '国道', '沥青', ST_Translate(geom, 0.002, 0.002), source_id FROM roads WHERE id = $1
				RETURNING ST_AsEWKT(geom)`, pick("roads", "grade = '县道'")).Scan(&g); err != nil {
				t.Fatal(err)
			}
			return []string{g}, false
		}},
		{"village moved", rowEdit("villages", "kind = '行政村'", `UPDATE %s SET office = ST_Translate(office, 0.001, 0.001) WHERE id = $1`, "office", "outline")},
		{"village renamed", rowEdit("villages", "kind = '行政村'", `UPDATE %s SET name = name || '改' WHERE id = $1`, "office", "outline")},
		{"power line deleted", rowEdit("power_lines", "true", `DELETE FROM %s WHERE id = $1`, "geom")},
		{"reservoir resized", rowEdit("reservoirs", "true", `UPDATE %s SET capacity_wan_m3 = coalesce(capacity_wan_m3, 1) * 2 WHERE id = $1`, "geom")},
		{"project renamed", rowEdit("projects", "geom IS NOT NULL", `UPDATE %s SET name = name || '改' WHERE id = $1`, "geom")},
		{"water works copied", func() ([]string, bool) {
			id := pick("water_works", "true")
			var g string
			if err := f.db.Pool.QueryRow(ctx, `INSERT INTO water_works (name, kind, geom, source_id)
				SELECT name || '二', kind, ST_Translate(geom, -0.003, 0.002), source_id FROM water_works WHERE id = $1
				RETURNING ST_AsEWKT(geom)`, id).Scan(&g); err != nil {
				t.Fatal(err)
			}
			return []string{g}, false
		}},
		{"bus stops imported", func() ([]string, bool) {
			lon, lat := 113.40+rnd.Float64()*0.25, 29.35+rnd.Float64()*0.35
			path := filepath.Join(t.TempDir(), "站点.geojson")
			body := `{"type": "FeatureCollection", "features": [`
			var geoms []string
			for i := range 3 {
				x, y := lon+float64(i)*0.004, lat+float64(i)*0.003
				if i > 0 {
					body += ","
				}
				body += fmt.Sprintf(`{"type": "Feature", "id": "s%d-%d", "properties": {"站点名称": "新站%d", "有无班车": "是"}, "geometry": {"type": "Point", "coordinates": [%f, %f]}}`, rnd.Uint32(), i, i, x, y)
				geoms = append(geoms, fmt.Sprintf("SRID=4490;POINT(%f %f)", x, y))
			}
			if err := os.WriteFile(path, []byte(body+"]}"), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := f.db.Store.Import(ctx, path, planning.ImportOptions{Layer: "bus_stops", Name: "站点.geojson", Source: fmt.Sprint("站点", rnd.Uint32())})
			if err != nil || !rep.Committed {
				t.Fatalf("import: %v %+v", err, rep)
			}
			return geoms, false
		}},
		{"township renamed", func() ([]string, bool) {
			if _, err := f.db.Pool.Exec(ctx, `UPDATE townships SET name = name || '改' WHERE id = $1`, pick("townships", "true")); err != nil {
				t.Fatal(err)
			}
			return nil, true
		}},
		{"scoring run", func() ([]string, bool) {
			if _, _, err := planning.Score(ctx, f.db.Store, planning.DefaultProfile(), demo.BaselineDate, false, nil); err != nil {
				t.Fatal(err)
			}
			return nil, true
		}},
		{"roads edited off the record, low-zoom roads rebuilt", func() ([]string, bool) {
			// As a bulk load does: the write's records and its upkeep of
			// the low-zoom table are off, so the table falls behind and
			// low-zoom tiles draw the live roads until it is rebuilt.
			tx, err := f.db.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			for _, sql := range []string{`ALTER TABLE roads DISABLE TRIGGER roads_version_tiles_update`,
				`UPDATE roads SET surface = CASE WHEN surface = '水泥' THEN '沥青' ELSE '水泥' END WHERE grade IN ('县道', '省道') AND id % 3 = 0`,
				`ALTER TABLE roads ENABLE TRIGGER roads_version_tiles_update`} {
				if _, err := tx.Exec(ctx, sql); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			f.refresh(t)
			sample := map[tiles.Ref]bool{}
			for _, r := range f.refs {
				if r.Z < 10 || rnd.IntN(4) == 0 {
					sample[r] = true
				}
			}
			f.check(t, "roads edited off the record", sample, 0, rnd)
			if rebuilt, err := f.db.Store.RefreshLowZoom(ctx); err != nil || !rebuilt {
				t.Fatalf("rebuild low-zoom roads after a write off the record: rebuilt %v, %v", rebuilt, err)
			}
			return nil, true
		}},
	}
	if edits == 0 {
		edits = len(kinds)
	}
	for i := range edits {
		k := kinds[rnd.IntN(len(kinds))]
		if i < len(kinds) {
			k = kinds[i] // every kind at least once
		}
		low := f.lowZoomRows(t)
		geoms, all := k.run()
		f.refresh(t)
		what := fmt.Sprintf("edit %d (%s)", i, k.name)
		// Every write keeps the low-zoom roads as a whole rebuild makes them.
		f.checkLowZoomWhole(t, what)
		want := map[tiles.Ref]bool{}
		if all {
			for _, r := range f.refs {
				if rnd.IntN(4) == 0 {
					want[r] = true
				}
			}
		} else {
			want = f.touched(t, geoms, 0)
			maps.Copy(want, f.touchedWithin(t, lowZoomChanged(low, f.lowZoomRows(t)), 0, 9, 64))
		}
		f.check(t, what, want, 40, rnd)
	}
}

// TestCacheSurvivesRestart: an engine that keeps its tiles in the
// database (tiles.Store) fills them for every tile of the county from z6
// to z14; a new engine on the same database (a restarted server) serves
// every one of them without rendering any, each equal to what the first
// served;
// after a road edit made while no engine ran (a 县道 moved, which changes
// low-zoom lines too), a third engine renders exactly the tiles the edit
// touches (the oracle of TestOneRoadEditKeepsTheCache) and serves every
// tile equal to a cold render; and a store bounded at a tenth of the
// tiles' bytes holds at most that, the most recently stored.
func TestCacheSurvivesRestart(t *testing.T) {
	f := newFreshFixture(t, true, "all")
	ctx := datatest.Context()
	stored(t, f.warm)
	var rows int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM tile_store`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(f.refs) {
		t.Fatalf("%d tiles stored, want the %d the engine rendered", rows, len(f.refs))
	}

	// restart returns a new engine keeping its tiles in the database, its
	// versions read, and its render count.
	restart := func() (*tiles.Service, *countingSource) {
		c := &countingSource{Source: f.db.Store}
		s := f.newEngine(c)
		f.keep(t, s, 256<<20)
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		return s, c
	}
	second, renders := restart()
	start := time.Now()
	for _, r := range f.refs {
		// Nothing changed since the first engine rendered its tiles: its
		// answers are the cold renders (what the tests above check).
		if a, b := etag(t, second, r), etag(t, f.warm, r); a != b {
			t.Errorf("after a restart tile %v serves %s, the engine before it %s", r, a, b)
		}
	}
	t.Logf("restarted: %d tiles served in %v with %d renders", len(f.refs), time.Since(start), renders.n.Load())
	if n := renders.n.Load(); n != 0 {
		t.Errorf("after a restart the engine rendered %d of %d stored tiles, want none", n, len(f.refs))
	}
	stored(t, second)

	// An edit while no engine runs.
	var id int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT id FROM roads WHERE grade = '县道' ORDER BY ST_Length(geom), id
		LIMIT 1 OFFSET (SELECT count(*) / 2 FROM roads WHERE grade = '县道')`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	must, may := f.roadEdit(t, `UPDATE roads SET geom = ST_Translate(geom, 0.001, -0.0005) WHERE id = $1`, id)
	third, renders := restart()
	for _, r := range f.refs {
		before := renders.n.Load()
		if a, b := etag(t, third, r), etag(t, f.cold, r); a != b {
			t.Errorf("after an edit while down tile %v serves %s, a cold render %s", r, a, b)
		}
		rendered := renders.n.Load() > before
		switch {
		case must[r] && !rendered:
			t.Errorf("tile %v meets the edit made while down but was served from the store", r)
		case rendered && !may[r]:
			t.Errorf("tile %v was rendered again but the edit does not touch it", r)
		}
	}
	t.Logf("edit while down: %d of %d tiles rendered again (%d touched by the oracle)", renders.n.Load(), len(f.refs), len(must))
	stored(t, third)

	// The bound: once the store passes it, the least recently used go.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE tile_store SET used_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	var total int64
	var since time.Time
	if err := f.db.Pool.QueryRow(ctx, `SELECT sum(size), clock_timestamp() FROM tile_store`).Scan(&total, &since); err != nil {
		t.Fatal(err)
	}
	bound := total / 10
	small := f.newEngine(&countingSource{Source: f.db.Store})
	f.keep(t, small, bound)
	if err := small.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := f.refs[len(f.refs)-20:]
	for _, r := range fresh {
		// A filter the stored tiles lack: new keys.
		if _, _, _, err := small.Tile(ctx, r.Set, r.Z, r.X, r.Y, tiles.Filter{Year: 2099}); err != nil {
			t.Fatal(err)
		}
	}
	stored(t, small)
	var kept, newKept int
	var size int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE used_at >= $1), coalesce(sum(size), 0) FROM tile_store`, since).
		Scan(&kept, &newKept, &size); err != nil {
		t.Fatal(err)
	}
	t.Logf("bound %d bytes (a tenth of %d): %d tiles kept, %d bytes, %d of them the %d just rendered", bound, total, kept, size, newKept, len(fresh))
	if size > bound || newKept != len(fresh) || kept >= rows {
		t.Errorf("store bounded at %d bytes holds %d tiles of %d bytes, %d of the %d newest; want at most the bound, all the newest, fewer than %d",
			bound, kept, size, newKept, len(fresh), rows)
	}
}
