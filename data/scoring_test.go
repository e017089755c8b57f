package data_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// loadFixture writes a hand-checkable county: a seat at 113.50 E 29.50 N
// with a hardened road east to 113.52 E; village B's 村委会 on that road at
// 113.51 E; village A's 村委会 2.2 km north of the road's end, reached only
// by a 砂石 road. A's bus stop is 1,200 m away, B's 800 m. B has one
// 100 kVA transformer for its 80 households.
func loadFixture(t *testing.T, db *datatest.DB) {
	t.Helper()
	for _, sql := range []string{
		`INSERT INTO sources (kind, name) VALUES ('manual', 'fixture')`,
		`INSERT INTO counties (code, name, outline, source_id) VALUES ('430682', '测试县',
			ST_GeomFromText('MULTIPOLYGON(((113.4 29.4,113.6 29.4,113.6 29.6,113.4 29.6,113.4 29.4)))', 4490), 1)`,
		`INSERT INTO townships (code, county_code, name, seat, source_id) VALUES
			('430682101', '430682', '测试镇', ST_SetSRID(ST_MakePoint(113.50, 29.50), 4490), 1)`,
		`INSERT INTO villages (code, name, township_code, kind, office, households, population, is_poor_village, poor_households, poor_population, source_id) VALUES
			('430682101201', '甲村', '430682101', '行政村', ST_SetSRID(ST_MakePoint(113.52, 29.52), 4490), 300, 1000, true, 26, 80, 1),
			('430682101202', '乙村', '430682101', '行政村', ST_SetSRID(ST_MakePoint(113.51, 29.50), 4490), 80, 260, false, 0, 0, 1)`,
		`INSERT INTO roads (name, grade, surface, width_m, geom, source_id) VALUES
			('X001', '县道', '水泥', 6.5, ST_GeomFromText('LINESTRING(113.50 29.50, 113.51 29.50, 113.52 29.50)', 4490), 1),
			('甲村路', '村道', '砂石', 3.5, ST_GeomFromText('LINESTRING(113.52 29.50, 113.52 29.52)', 4490), 1)`,
		// Stops due north: 1,200 m and 800 m on the ellipsoid (set by ST_Project).
		// Both stops have buses (R4 counts only stops with service).
		`INSERT INTO bus_stops (name, service, geom, source_id) VALUES
			('甲村站', true, ST_Project(ST_SetSRID(ST_MakePoint(113.52, 29.52), 4490)::geography, 1200, 0)::geometry, 1),
			('乙村站', true, ST_Project(ST_SetSRID(ST_MakePoint(113.51, 29.50), 4490)::geography, 800, 0)::geometry, 1)`,
		`INSERT INTO transformers (name, kva, phases, households_served, village_id, geom, source_id)
			SELECT '乙村1号', 100, 3, 80, id, ST_SetSRID(ST_MakePoint(113.5101, 29.5001), 4490), 1 FROM villages WHERE code = '430682101202'`,
	} {
		// The fixture is the county as surveyed at the baseline, so that
		// changes dated after it (completed projects) are not backdated.
		if err := db.ExecOn(data.Baseline, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

func TestFixtureFactsAndScores(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	facts, _, err := db.Store.VillageFacts(ctx, p, time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]planning.Facts{}
	for _, f := range facts {
		byCode[f.Code] = f
	}
	a, b := byCode["430682101201"], byCode["430682101202"]

	var gravelM float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_Length(geom::geography) FROM roads WHERE name = '甲村路'`).Scan(&gravelM); err != nil {
		t.Fatal(err)
	}
	if a.HardenedConnected == nil || *a.HardenedConnected {
		t.Errorf("甲村 connected = %v, want false (only a 砂石 road)", a.HardenedConnected)
	}
	if a.UnhardenedM == nil || math.Abs(*a.UnhardenedM-gravelM) > 0.01 {
		t.Errorf("甲村 build length = %v m, want the 砂石 segment's %.2f m", a.UnhardenedM, gravelM)
	}
	if b.HardenedConnected == nil || !*b.HardenedConnected {
		t.Errorf("乙村 connected = %v, want true", b.HardenedConnected)
	}
	if b.PathM == nil || b.NarrowM == nil || *b.NarrowM != 0 || *b.PathM < 900 || *b.PathM > 1000 {
		t.Errorf("乙村 hardened path %v m with %v m narrow; want ≈968 m, none narrow", b.PathM, b.NarrowM)
	}
	for _, c := range []struct {
		name string
		f    planning.Facts
		want float64
	}{{"甲村", a, 1200}, {"乙村", b, 800}} {
		if c.f.BusStopM == nil || math.Abs(*c.f.BusStopM-c.want) > 0.5 {
			t.Errorf("%s bus stop at %v m, want %v", c.name, c.f.BusStopM, c.want)
		}
	}

	indicator := func(vs planning.VillageScore, id string) planning.IndicatorScore {
		for _, d := range vs.Dimensions {
			for _, is := range d.Indicators {
				if is.ID == id {
					return is
				}
			}
		}
		t.Fatalf("no indicator %s", id)
		return planning.IndicatorScore{}
	}
	sa, sb := planning.ScoreVillage(a, p), planning.ScoreVillage(b, p)
	checks := []struct {
		name       string
		got        planning.IndicatorScore
		wantStatus string
		wantValue  float64
	}{
		{"甲村 R4 at 1,200 m fails at the 1,000 m default", indicator(sa, "R4"), planning.StatusFail, 1200},
		{"乙村 R4 at 800 m passes", indicator(sb, "R4"), planning.StatusPass, 800},
		{"甲村 R1 fails", indicator(sa, "R1"), planning.StatusFail, 0},
		{"乙村 E1 is 100 kVA / 80 户 = 1.25 kVA/户", indicator(sb, "E1"), planning.StatusFail, 1.25},
	}
	for _, c := range checks {
		tol := 1e-9
		if c.wantValue > 10 {
			tol = 0.5 // metres on the ellipsoid
		}
		if c.got.Status != c.wantStatus || c.got.Value == nil || math.Abs(*c.got.Value-c.wantValue) > tol {
			t.Errorf("%s: status %s value %v, want %s %v (%s)", c.name, c.got.Status, c.got.Value, c.wantStatus, c.wantValue, c.got.Note)
		}
	}
	if g := sa.Dimensions[0].Gap; g == nil || *g != 100 {
		t.Errorf("甲村 通路 gap = %v, want 100 (R1 veto)", g)
	}
}

// TestHardeningAndBusStopsNeverWorsen is the monotonicity property on the
// demo county: paving every unhardened road of the poor villages and adding
// a bus stop at every 村委会 never makes any village's gap worse.
func TestHardeningAndBusStopsNeverWorsen(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	before, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `UPDATE roads r SET surface = '水泥' WHERE surface IN ('砂石', '土')
		AND EXISTS (SELECT 1 FROM villages v WHERE v.is_poor_village AND ST_DWithin(r.geom, v.office, 0.03))`)
	mustExec(t, db, `INSERT INTO bus_stops (name, service, geom, source_id) SELECT name || '招呼站', true, office, source_id FROM villages WHERE is_poor_village`)
	after, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := db.Store.DiffRuns(ctx, before.ID, after.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) == 0 {
		t.Fatal("paving and new stops changed no village's gaps")
	}
	improved := 0
	for _, d := range diffs {
		for dim, was := range d.Before {
			now := d.After[dim]
			if was != nil && now != nil && *now > *was+1e-9 {
				t.Errorf("%s %s: %s gap rose from %.1f to %.1f", d.Code, d.Name, dim, *was, *now)
			}
			if was != nil && now != nil && *now < *was {
				improved++
			}
		}
	}
	t.Logf("%d villages changed, %d dimension gaps improved", len(diffs), improved)
}

// TestIncrementalRescoreMatchesFull edits the demo county the way a bureau
// would and checks that the incremental run re-scores few villages and
// still agrees, village by village, with a full run on the same data.
func TestIncrementalRescoreMatchesFull(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	if _, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil); err != nil {
		t.Fatal(err)
	}

	unchanged, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if unchanged.Rescored != 0 || unchanged.Villages != 161 {
		t.Errorf("with no change: rescored %d of %d, want 0 of 161", unchanged.Rescored, unchanged.Villages)
	}

	edits := []struct {
		name string
		sql  string
	}{
		{"pave one poor village's gravel road", `UPDATE roads SET surface = '水泥' WHERE id = (
			SELECT r.id FROM roads r JOIN villages v ON v.is_poor_village AND ST_DWithin(r.geom, v.office, 1e-9)
			WHERE r.surface IN ('砂石', '土') ORDER BY r.id LIMIT 1)`},
		{"add a bus stop at a poor village", `INSERT INTO bus_stops (name, service, geom, source_id)
			SELECT name || '招呼站', true, office, source_id FROM villages WHERE is_poor_village ORDER BY code DESC LIMIT 1`},
		{"upgrade a transformer", `UPDATE transformers SET kva = 400 WHERE id = (
			SELECT t.id FROM transformers t JOIN villages v ON v.id = t.village_id WHERE v.is_poor_village ORDER BY t.id LIMIT 1)`},
		{"move a water main", `UPDATE water_mains SET geom = ST_Translate(geom, 0.002, 0) WHERE id = (SELECT min(id) FROM water_mains)`},
		// Its scores in earlier runs go with it; later runs must not carry it.
		{"delete a village", `DELETE FROM villages WHERE code = (SELECT max(code) FROM villages WHERE kind = '行政村' AND NOT is_poor_village)`},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			mustExec(t, db, e.sql)
			var units int
			if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM villages WHERE kind IN ('行政村', '社区')`).Scan(&units); err != nil {
				t.Fatal(err)
			}
			inc, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Rescored == 0 || inc.Rescored >= units || inc.Villages != units {
				t.Errorf("incremental run rescored %d of %d villages, want some but not all of %d", inc.Rescored, inc.Villages, units)
			}
			full, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			diffs, err := db.Store.DiffRuns(ctx, inc.ID, full.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Errorf("incremental and full runs differ at %s %s: %v vs %v", d.Code, d.Name, d.Status, d.After)
			}
			t.Logf("rescored %d villages", inc.Rescored)
		})
	}
}

// TestRoadGraphPatchEqualsRebuild edits roads and checks that the patched
// graph has the same edges, joined the same way, as a rebuild from scratch.
func TestRoadGraphPatchEqualsRebuild(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	road := planning.DefaultProfile().Road
	if _, err := db.Store.RebuildRoadGraph(ctx, road); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		// A new road from a 村委会 ending on the middle of another road (a T-junction).
		`INSERT INTO roads (name, grade, surface, width_m, geom, source_id)
		 SELECT '新建路', '村道', '水泥', 4.5, ST_MakeLine(v.office, ST_LineInterpolatePoint(r.geom, 0.5)), v.source_id
		 FROM villages v, LATERAL (SELECT geom FROM roads WHERE grade = '县道' ORDER BY geom <-> v.office LIMIT 1) r
		 WHERE v.code = (SELECT min(code) FROM villages WHERE is_poor_village)`,
		// Pave a road, move another, delete a third.
		`UPDATE roads SET surface = '沥青' WHERE id = (SELECT min(id) FROM roads WHERE surface = '砂石')`,
		`UPDATE roads SET geom = ST_Translate(geom, 0.0001, 0) WHERE id = (SELECT max(id) FROM roads WHERE grade = '通组路')`,
		`DELETE FROM roads WHERE id = (SELECT max(id) - 1 FROM roads WHERE grade = '通组路')`,
	} {
		mustExec(t, db, sql)
	}
	if changed, err := db.Store.RebuildRoadGraph(ctx, road); err != nil || !changed {
		t.Fatalf("patch: changed %v, err %v", changed, err)
	}
	patched := graphFingerprint(t, db)
	mustExec(t, db, `DELETE FROM road_graph_state`)
	if _, err := db.Store.RebuildRoadGraph(ctx, road); err != nil {
		t.Fatal(err)
	}
	if rebuilt := graphFingerprint(t, db); rebuilt != patched {
		t.Errorf("patched graph %s differs from rebuilt %s", patched, rebuilt)
	}
}

// graphFingerprint hashes the edges and, for each, which connected
// component it lies in (named by its smallest edge), independent of ids.
func graphFingerprint(tb testing.TB, db *datatest.DB) string {
	tb.Helper()
	var sum string
	var edges, vertices int
	err := db.Pool.QueryRow(datatest.Context(), `
		WITH comp AS (SELECT node, component FROM pgr_connectedComponents(
		         'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM road_edges')),
		     e AS (SELECT road_id || ':' || md5(ST_AsBinary(geom)) || ':' || hardened AS k, c.component
		           FROM road_edges JOIN comp c ON c.node = source),
		     lbl AS (SELECT component, min(k) AS label FROM e GROUP BY component)
		SELECT md5(string_agg(e.k || '@' || lbl.label, ',' ORDER BY e.k)), count(*),
		       (SELECT count(DISTINCT v) FROM road_edges, LATERAL (VALUES (source), (target)) x (v))
		FROM e JOIN lbl USING (component)`).Scan(&sum, &edges, &vertices)
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("%s (%d edges, %d vertices)", sum[:8], edges, vertices)
}
