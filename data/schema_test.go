package data_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gapmap/gapmap/data/datatest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	db := datatest.New(t) // applies every migration to an empty schema
	ctx := datatest.Context()
	applied, err := db.Store.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	if err := db.Store.Ping(ctx); err != nil {
		t.Errorf("Ping after migrate: %v", err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n < 1 {
		t.Errorf("schema_migrations rows = %d (%v), want ≥1", n, err)
	}
}

// layerTables are the tables that hold a county's data (as opposed to
// derived tables such as the road graph and scoring results).
var layerTables = []string{"counties", "townships", "villages", "roads", "bridges", "bus_stops", "reservoirs",
	"water_works", "water_mains", "substations", "power_lines", "transformers", "pv_stations", "tourism_sites", "projects"}

// TestEveryTableHasPlumbing checks the conventions every layer relies on:
// provenance, timestamps, a GiST index per geometry column, EPSG:4490.
func TestEveryTableHasPlumbing(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	rows, err := db.Pool.Query(ctx, `
		SELECT c.relname,
		       bool_or(a.attname = 'source_id'), bool_or(a.attname = 'created_at'), bool_or(a.attname = 'updated_at')
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND c.relname = ANY ($2)
		GROUP BY c.relname ORDER BY c.relname`, db.Schema, layerTables)
	if err != nil {
		t.Fatal(err)
	}
	type plumbing struct {
		Table                    string
		Source, Created, Updated bool
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[plumbing])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(layerTables) {
		t.Errorf("found %d layer tables, want %d", len(tables), len(layerTables))
	}
	for _, p := range tables {
		if !p.Source || !p.Created || !p.Updated {
			t.Errorf("table %s: source_id %v, created_at %v, updated_at %v; want all", p.Table, p.Source, p.Created, p.Updated)
		}
	}

	// The catalog is read directly rather than through geometry_columns or
	// pg_indexes: those views open every schema's tables (pg_get_indexdef)
	// before they filter, so a test dropping its schema at the same moment
	// failed this one ("could not open relation with OID").
	rows, err = db.Pool.Query(ctx, `
		SELECT c.relname || '.' || a.attname, postgis_typmod_srid(a.atttypmod),
		       EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
		               WHERE i.indrelid = c.oid AND am.amname = 'gist' AND i.indnatts = 1 AND i.indkey[0] = a.attnum)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' -- views have no indexes
		  -- History tables are read by date, never by place (a snapshot copies
		  -- a date's rows whole): indexed on valid_to, not on geometry.
		  AND c.relname NOT LIKE '%\_history'
		  AND a.atttypid = 'geometry'::regtype AND a.attnum > 0 AND NOT a.attisdropped`, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	type geomCol struct {
		Name    string
		SRID    int
		Indexed bool
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[geomCol])
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 17 {
		t.Errorf("found %d geometry columns, want ≥17", len(cols))
	}
	for _, c := range cols {
		// The Web Mercator copies that tiles read (migration 0028).
		want := 4490
		if strings.HasSuffix(c.Name, "_3857") {
			want = 3857
		}
		if c.SRID != want || !c.Indexed {
			t.Errorf("%s: srid %d, gist index %v; want %d and indexed", c.Name, c.SRID, c.Indexed, want)
		}
	}
}

// TestConstraintsRejectBadRows inserts one bad row per rule and expects the
// database to refuse it with a check violation that names the table and,
// through the constraint name, the field. Each case's good twin must pass,
// so a case cannot pass by failing for another reason.
func TestConstraintsRejectBadRows(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	mustExec(t, db, `INSERT INTO sources (kind, name) VALUES ('manual', 'test') `)
	mustExec(t, db, `INSERT INTO counties (code, name, outline, source_id) VALUES ('430682', '临湘市',
		ST_GeomFromText('MULTIPOLYGON(((113.3 29.2,113.75 29.2,113.75 29.85,113.3 29.85,113.3 29.2)))', 4490), 1)`)
	mustExec(t, db, `INSERT INTO townships (code, county_code, name, seat, source_id) VALUES
		('430682101', '430682', '忠防镇', ST_SetSRID(ST_MakePoint(113.4, 29.4), 4490), 1)`)

	const village = `INSERT INTO villages (code, name, township_code, kind, office, households, population, poor_population, source_id)
		VALUES ($1, '测试村', '430682101', '行政村', ST_SetSRID(ST_MakePoint(113.41, 29.41), 4490), 500, $2, $3, 1)`
	const line = `INSERT INTO power_lines (voltage_kv, phases, geom, source_id)
		VALUES ($1, $2, ST_GeomFromText('LINESTRING(113.4 29.4, 113.5 29.5)', 4490), 1)`
	const reservoir = `INSERT INTO reservoirs (name, scale, capacity_wan_m3, geom, source_id)
		VALUES ('团湾水库', $1, $2, ST_SetSRID(ST_MakePoint(113.45, 29.45), 4490), 1)`
	const outline = `INSERT INTO townships (code, county_code, name, seat, outline, source_id)
		VALUES ($1, '430682', '测试镇', ST_SetSRID(ST_MakePoint(113.5, 29.5), 4490), ST_GeomFromText($2, 4490), 1)`
	const road = `INSERT INTO roads (grade, surface, width_m, geom, source_id)
		VALUES ($1, $2, $3, ST_GeomFromText('LINESTRING(113.4 29.4, 113.41 29.41)', 4490), 1)`
	const bridge = `INSERT INTO bridges (condition_class, is_dangerous, geom, source_id)
		VALUES ($1, $2, ST_SetSRID(ST_MakePoint(113.4, 29.4), 4490), 1)`

	cases := []struct {
		name           string
		sql            string
		good, bad      []any
		wantTable      string
		wantConstraint string
	}{
		{"11-digit village code", village, []any{"430682101201", 2000, 300}, []any{"43068210120", 2000, 300}, "villages", "villages_code_check"},
		{"village code outside its township", village, []any{"430682101202", 2000, 300}, []any{"430682103202", 2000, 300}, "villages", "villages_code_check"},
		{"more poor people than people", village, []any{"430682101203", 2000, 2000}, []any{"430682101204", 2000, 2001}, "villages", "villages_poor_population_check"},
		{"11 kV line", line, []any{10.0, 3}, []any{11.0, 3}, "power_lines", "power_lines_voltage_kv_check"},
		{"three-phase 220 V line", line, []any{0.22, 1}, []any{0.22, 3}, "power_lines", "power_lines_phases_check"},
		{"negative capacity", reservoir, []any{"小(2)型", 50.0}, []any{"小(2)型", -5.0}, "reservoirs", "reservoirs_capacity_wan_m3_check"},
		{"unknown reservoir scale", reservoir, []any{"中型", 2000.0}, []any{"特大型", 2000.0}, "reservoirs", "reservoirs_scale_check"},
		{"self-intersecting outline", outline,
			[]any{"430682998", "MULTIPOLYGON(((113.5 29.5,113.6 29.5,113.6 29.6,113.5 29.6,113.5 29.5)))"},
			[]any{"430682999", "MULTIPOLYGON(((113.5 29.5,113.6 29.6,113.6 29.5,113.5 29.6,113.5 29.5)))"},
			"townships", "townships_outline_check"},
		{"unknown surface", road, []any{"村道", "砂石", 3.5}, []any{"村道", "碎石", 3.5}, "roads", "roads_surface_check"},
		{"zero width", road, []any{"村道", "水泥", 4.5}, []any{"村道", "水泥", 0.0}, "roads", "roads_width_m_check"},
		{"bridge class 6", bridge, []any{5, true}, []any{6, true}, "bridges", "bridges_condition_class_check"},
		{"class 4 bridge not flagged 危桥", bridge, []any{4, true}, []any{4, false}, "bridges", "bridges_is_dangerous_check"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Pool.Exec(ctx, tc.sql, tc.good...); err != nil {
				t.Fatalf("good row refused: %v", err)
			}
			_, err := db.Pool.Exec(ctx, tc.sql, tc.bad...)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("bad row: err = %v, want a check violation", err)
			}
			if pgErr.Code != "23514" || pgErr.TableName != tc.wantTable || pgErr.ConstraintName != tc.wantConstraint {
				t.Errorf("bad row: code %s table %q constraint %q; want 23514 %q %q",
					pgErr.Code, pgErr.TableName, pgErr.ConstraintName, tc.wantTable, tc.wantConstraint)
			}
		})
	}
}

func mustExec(tb testing.TB, db *datatest.DB, sql string, args ...any) {
	tb.Helper()
	if _, err := db.Pool.Exec(datatest.Context(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
