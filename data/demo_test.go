package data_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
)

func TestDemoLoadFacts(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()

	facts := []struct {
		name string
		sql  string
		want int64
	}{
		{"village units", `SELECT count(*) FROM villages WHERE kind IN ('行政村', '社区')`, 161},
		{"poor villages", `SELECT count(*) FROM villages WHERE is_poor_village`, 26},
		{"建档立卡 poor people in poor villages", `SELECT sum(poor_population) FROM villages WHERE is_poor_village`, 14895},
		{"建档立卡 poor people in the county", `SELECT sum(poor_population) FROM villages`, 14895},
		{"townships", `SELECT count(*) FROM townships`, 14},
		{"townships without an outline", `SELECT count(*) FROM townships WHERE outline IS NULL OR ST_IsEmpty(outline)`, 0},
		{"village units without an outline", `SELECT count(*) FROM villages WHERE kind IN ('行政村', '社区') AND (outline IS NULL OR ST_IsEmpty(outline))`, 0},
		{"poor villages in 黄盖镇 or 桃矿街道", `SELECT count(*) FROM villages WHERE is_poor_village AND township_code IN ('430682113', '430682003')`, 0},
		{"village offices outside their township", `SELECT count(*) FROM villages v JOIN townships t ON t.code = v.township_code WHERE NOT ST_Covers(t.outline, v.office)`, 0},
		{"village offices outside their own outline", `SELECT count(*) FROM villages WHERE outline IS NOT NULL AND NOT ST_Covers(outline, office)`, 0},
		{"村民组 without a parent 行政村", `SELECT count(*) FROM villages g LEFT JOIN villages p ON p.id = g.parent_id WHERE g.kind = '村民组' AND (p.kind IS DISTINCT FROM '行政村')`, 0},
		{"中型 reservoirs named in the plan", `SELECT count(*) FROM reservoirs WHERE scale = '中型' AND name IN ('龙源水库', '团湾水库', '忠防水库')`, 3},
		{"小(2)型 reservoirs 病险", `SELECT count(*) FROM reservoirs WHERE scale = '小(2)型' AND safety_status = '病险'`, 177},
		{"drinking-water reservoirs", `SELECT count(*) FROM reservoirs WHERE is_drinking_source`, 17},
		{"tourism site at 梅池村", `SELECT count(*) FROM tourism_sites s JOIN villages v ON v.id = s.village_id WHERE v.code = '430682114236'`, 1},
		{"rows without provenance", `SELECT count(*) FROM villages v JOIN sources s ON s.id = v.source_id WHERE s.name <> 'demo:430682'`, 0},
	}
	for _, f := range facts {
		var got int64
		if err := db.Pool.QueryRow(ctx, f.sql).Scan(&got); err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if got != f.want {
			t.Errorf("%s = %d, want %d", f.name, got, f.want)
		}
	}

	// Every layer is non-empty, valid, and inside the county outline (to
	// 1e-7°, about 1 cm: outlines clipped by ST_Intersection carry rounding).
	for _, l := range []struct{ table, col string }{
		{"townships", "seat"}, {"townships", "outline"}, {"villages", "office"}, {"villages", "outline"},
		{"roads", "geom"}, {"bridges", "geom"}, {"bus_stops", "geom"}, {"reservoirs", "geom"},
		{"water_works", "geom"}, {"water_mains", "geom"}, {"substations", "geom"}, {"power_lines", "geom"},
		{"transformers", "geom"}, {"pv_stations", "geom"}, {"tourism_sites", "geom"},
	} {
		var total, invalid, outside int64
		sql := fmt.Sprintf(`SELECT count(g.%[1]s), count(*) FILTER (WHERE NOT ST_IsValid(g.%[1]s)),
			count(*) FILTER (WHERE NOT ST_CoveredBy(g.%[1]s, ST_Buffer(c.outline, 1e-7)))
			FROM %[2]s g CROSS JOIN counties c WHERE g.%[1]s IS NOT NULL`,
			pgx.Identifier{l.col}.Sanitize(), pgx.Identifier{l.table}.Sanitize())
		if err := db.Pool.QueryRow(ctx, sql).Scan(&total, &invalid, &outside); err != nil {
			t.Errorf("%s.%s: %v", l.table, l.col, err)
			continue
		}
		if total == 0 || invalid != 0 || outside != 0 {
			t.Errorf("%s.%s: %d features, %d invalid, %d outside the county; want >0, 0, 0", l.table, l.col, total, invalid, outside)
		}
	}
}

// TestDemoRoadNetwork checks the network as designed: all roads form one
// connected network, every township seat reaches the county seat on
// hardened road, and some poor villages do not (so 通路 gaps are real).
func TestDemoRoadNetwork(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var clusters int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT unnest(ST_ClusterIntersecting(geom)) FROM roads) c`).Scan(&clusters); err != nil {
		t.Fatal(err)
	}
	if clusters != 1 {
		t.Errorf("roads form %d connected clusters, want 1", clusters)
	}

	// Hardened connectivity: cluster the 沥青/水泥 roads and check which
	// cluster each seat and poor village office touches.
	const hardened = `WITH h AS (SELECT unnest(ST_ClusterIntersecting(geom)) AS g FROM roads WHERE surface IN ('沥青', '水泥')),
		n AS (SELECT row_number() OVER () AS k, g FROM h),
		seat AS (SELECT n.k FROM n, townships t WHERE t.code = '430682001' AND ST_DWithin(n.g, t.seat, 1e-9))`
	var seatsCut int
	if err := db.Pool.QueryRow(ctx, hardened+`
		SELECT count(*) FROM townships t WHERE NOT EXISTS (
			SELECT 1 FROM n JOIN seat USING (k) WHERE ST_DWithin(n.g, t.seat, 1e-9))`).Scan(&seatsCut); err != nil {
		t.Fatal(err)
	}
	if seatsCut != 0 {
		t.Errorf("%d township seats do not reach the county seat on hardened road, want 0", seatsCut)
	}
	var poorCut int
	if err := db.Pool.QueryRow(ctx, hardened+`
		SELECT count(*) FROM villages v WHERE v.is_poor_village AND NOT EXISTS (
			SELECT 1 FROM n JOIN seat USING (k) WHERE ST_DWithin(n.g, v.office, 1e-9))`).Scan(&poorCut); err != nil {
		t.Fatal(err)
	}
	if poorCut < 5 {
		t.Errorf("%d poor villages lack hardened access, want at least 5 so that 通路 gaps are real", poorCut)
	}
	t.Logf("poor villages without hardened access to the county seat: %d", poorCut)
}

// TestDemoLoadIsIdempotentAndDeterministic loads the demo twice into one
// schema and once into another: the second load changes nothing and both
// schemas hold identical rows with identical ids.
func TestDemoLoadIsIdempotentAndDeterministic(t *testing.T) {
	a := datatest.NewDemo(t)
	ctx := datatest.Context()
	before := fingerprint(t, a)
	loaded, err := a.Store.LoadDemo(ctx, datatest.Demo())
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	if loaded {
		t.Error("second load reported loading again, want a no-op")
	}
	if after := fingerprint(t, a); after != before {
		t.Errorf("second load changed the data:\nbefore %s\nafter  %s", before, after)
	}
	b := datatest.NewDemo(t)
	if other := fingerprint(t, b); other != before {
		t.Errorf("two loads differ:\n%s\n%s", before, other)
	}
}

// fingerprint hashes every layer's ids, attributes and geometry.
func fingerprint(tb testing.TB, db *datatest.DB) string {
	tb.Helper()
	var out string
	for _, table := range []string{"townships", "villages", "roads", "bridges", "bus_stops", "reservoirs", "water_works",
		"water_mains", "substations", "power_lines", "transformers", "pv_stations", "tourism_sites"} {
		var n int64
		var sum string
		sql := fmt.Sprintf(`SELECT count(*), md5(coalesce(string_agg(to_jsonb(t)::jsonb - 'created_at' - 'updated_at' - 'source_id' #>> '{}', '|' ORDER BY t.id), ''))
			FROM %s t`, pgx.Identifier{table}.Sanitize())
		if err := db.Pool.QueryRow(datatest.Context(), sql).Scan(&n, &sum); err != nil {
			tb.Fatalf("fingerprint %s: %v", table, err)
		}
		out += fmt.Sprintf("%s:%d:%s ", table, n, sum[:8])
	}
	return out
}
