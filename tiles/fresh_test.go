package tiles_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
}

func newFreshFixture(t *testing.T, sets ...string) *freshFixture {
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
	f := &freshFixture{db: db,
		warm: tiles.NewService(db.Store, tiles.NewCache(256<<20), 30*time.Second, admit.NewGate(2, 8, 2*time.Second)),
		cold: tiles.NewService(db.Store, tiles.NewCache(0), 30*time.Second, admit.NewGate(2, 8, 2*time.Second))}
	f.refresh(t)
	// Every tile of the county's extent from z7 to z14: what a user who
	// looked at all of it at every zoom leaves in the cache.
	var w, s, e, n float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(outline) x FROM counties) c`).
		Scan(&w, &s, &e, &n); err != nil {
		t.Fatal(err)
	}
	for _, set := range sets {
		for z := 7; z <= tiles.MaxZoom; z++ {
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
	var zs, xs, ys []int32
	for _, r := range f.refs {
		zs, xs, ys = append(zs, int32(r.Z)), append(xs, int32(r.X)), append(ys, int32(r.Y))
	}
	rows, err := f.db.Pool.Query(datatest.Context(), `SELECT i FROM unnest($1::int[], $2::int[], $3::int[]) WITH ORDINALITY AS t (z, x, y, i)
		WHERE t.z >= $5 AND EXISTS (SELECT FROM unnest($4::text[]) g
			WHERE ST_Transform(ST_TileEnvelope(t.z, t.x, t.y, margin => 64.0 / 4096), 4490) && ST_GeomFromEWKT(g))`, zs, xs, ys, geoms, minZoom)
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

// TestOneRoadEditKeepsTheCache edits one road (its surface, and its line
// moved by about 100 m) and checks that the tiles its old and new lines
// touch (an oracle in SQL) are dropped, and equal a cold render when asked
// for again; that at least 99 % of the warm cache survives; that every
// surviving tile equals a cold render; and that Rewarm renders the dropped
// tiles up to z12 into the cache.
func TestOneRoadEditKeepsTheCache(t *testing.T) {
	f := newFreshFixture(t, "all")
	ctx := datatest.Context()
	before := f.cached()
	if len(before) < 500 {
		t.Fatalf("warm cache holds %d tiles, want the county at z7–z14", len(before))
	}
	var id int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT id FROM roads WHERE grade = '村道' ORDER BY ST_Length(geom), id LIMIT 1 OFFSET 40`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	geoms := f.ewkt(t, "roads", "geom", id)
	if _, err := f.db.Pool.Exec(ctx, `UPDATE roads SET surface = '土', geom = ST_Translate(geom, 0.001, 0.0005) WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	geoms = append(geoms, f.ewkt(t, "roads", "geom", id)...)
	touched := f.touched(t, geoms, 0)
	f.refresh(t)
	after := f.cached()
	for r := range touched {
		if after[r] {
			t.Errorf("tile %v meets the edited road but stayed cached", r)
		}
	}
	dropped := 0
	var lowDropped []tiles.Ref
	for r := range before {
		if !after[r] {
			dropped++
			if !touched[r] {
				lowDropped = append(lowDropped, r)
			}
		}
	}
	// Only low-zoom road tiles (the prepared table went out of date) drop
	// beyond those the road touches.
	for _, r := range lowDropped {
		if r.Z >= 10 {
			t.Errorf("tile %v was dropped but the road does not touch it", r)
		}
	}
	// At z10 and above, where no derived table plays a part, at least
	// 99 % survive; below, every road tile is dropped while the prepared
	// low-zoom table is out of date (left out: invalidating it per cell).
	high, highDropped := 0, 0
	for r := range before {
		if r.Z >= 10 {
			high++
			if !after[r] {
				highDropped++
			}
		}
	}
	survived := float64(len(before)-dropped) / float64(len(before))
	highSurvived := float64(high-highDropped) / float64(high)
	t.Logf("one road edit: %d of %d cached tiles dropped (%d touched, %d more below z10), %.2f %% survive; z10–z14: %d of %d dropped, %.2f %% survive",
		dropped, len(before), len(touched), len(lowDropped), 100*survived, highDropped, high, 100*highSurvived)
	if highSurvived < 0.99 || survived < 0.98 {
		t.Errorf("%.2f %% of the cache (%.2f %% at z10–z14) survived one road edit, want at least 98 %% (99 %%)", 100*survived, 100*highSurvived)
	}

	// Re-rendered in the background, up to z12.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go f.warm.Rewarm(rctx, 1)
	deadline := time.Now().Add(time.Minute)
	for f.warm.RewarmPending() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	rewarmed := f.cached()
	for r := range before {
		if !after[r] && r.Z <= tiles.RewarmMaxZoom && !rewarmed[r] {
			t.Errorf("dropped tile %v (z <= %d) is not cached after Rewarm", r, tiles.RewarmMaxZoom)
		}
	}
	cancel()

	// Every tile, touched or not, as served equals a cold render.
	for _, r := range f.refs {
		if a, b := etag(t, f.warm, r), etag(t, f.cold, r); a != b {
			t.Errorf("after the road edit tile %v serves %s, a cold render %s", r, a, b)
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
	f := newFreshFixture(t, "all")
	ctx := datatest.Context()
	seed, edits := uint64(22), 16
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
		{"low-zoom roads rebuilt", func() ([]string, bool) {
			if _, err := f.db.Store.RefreshLowZoom(ctx); err != nil {
				t.Fatal(err)
			}
			return nil, true
		}},
	}
	for i := range edits {
		k := kinds[rnd.IntN(len(kinds))]
		if i < len(kinds) {
			k = kinds[i] // every kind at least once
		}
		geoms, all := k.run()
		f.refresh(t)
		want := map[tiles.Ref]bool{}
		if all {
			for _, r := range f.refs {
				if rnd.IntN(4) == 0 {
					want[r] = true
				}
			}
		} else {
			want = f.touched(t, geoms, 0)
		}
		f.check(t, fmt.Sprintf("edit %d (%s)", i, k.name), want, 40, rnd)
	}
}
