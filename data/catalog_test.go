package data_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// kindTypes are the column types a field of each kind may be stored as.
var kindTypes = map[catalog.Kind][]string{
	catalog.Text: {"text"}, catalog.Code: {"text"}, catalog.Int: {"smallint", "integer", "bigint"},
	catalog.Float: {"double precision", "real", "numeric"}, catalog.Bool: {"boolean"}, catalog.Date: {"date"},
	catalog.TextList: {"text[]"},
}

// unexplained are the CHECK constraints whose users' message names the
// constraint rather than giving a reason: the rule is plain from the field
// (a name that must not be blank, a valid geometry, a year in range). A new
// constraint must be explained in the catalogue or listed here.
var unexplained = []string{
	"counties_name_check", "counties_outline_check", "counties_ext_id_check",
	"townships_name_check", "townships_outline_check", "townships_ext_id_check",
	"villages_code_year_check", "villages_name_check", "villages_outline_check", "villages_households_check",
	"villages_population_check", "villages_exit_year_check", "villages_ext_id_check",
	"roads_year_check", "roads_geom_check", "roads_ext_id_check",
	"bridges_length_m_check", "bridges_ext_id_check",
	"bus_stops_ext_id_check",
	"reservoirs_name_check", "reservoirs_safety_year_check", "reservoirs_geom_check", "reservoirs_ext_id_check",
	"water_works_name_check", "water_works_design_m3_per_day_check", "water_works_population_served_check",
	"water_works_last_test_date_check", "water_works_last_test_passed_check", "water_works_ext_id_check",
	"water_mains_diameter_mm_check", "water_mains_geom_check", "water_mains_ext_id_check",
	"substations_name_check", "substations_secondary_kv_check", "substations_capacity_mva_check", "substations_ext_id_check",
	"power_lines_geom_check", "power_lines_ext_id_check",
	"transformers_primary_kv_check", "transformers_secondary_kv_check", "transformers_households_served_check", "transformers_ext_id_check",
	"pv_stations_year_check", "pv_stations_ext_id_check",
	"tourism_sites_name_check", "tourism_sites_ext_id_check",
	"projects_year_check", "projects_name_check", "projects_category_check", "projects_nature_check", "projects_quantity_check",
	"projects_unit_price_wan_check", "projects_cost_wan_check", "projects_beneficiary_households_check",
	"projects_beneficiary_population_check", "projects_beneficiary_poor_households_check",
	"projects_beneficiary_poor_population_check", "projects_planned_end_check", "projects_gap_dimension_check",
	"projects_gap_before_check", "projects_gap_after_est_check", "projects_geom_check", "projects_price_source_check",
	"projects_ext_id_check",
}

// TestCatalogMatchesSchema checks every catalogue entry against the
// migrated schema: tables, geometry columns and their declared types,
// fields and their types, keys, references, the tables tiles depend on,
// and the CHECK constraints the catalogue explains; and that the tiles
// carry only the attributes the catalogue declares.
func TestCatalogMatchesSchema(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	c := catalog.Default()

	// Type is without modifiers (numeric, not numeric(14,2)); Full has them
	// (geometry(Point,4490)).
	type column struct{ Table, Name, Type, Full string }
	rows, err := db.Pool.Query(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, NULL), format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(table, col string) column {
		for _, c := range cols {
			if c.Table == table && c.Name == col {
				return c
			}
		}
		return column{}
	}
	typeOf := func(table, col string) string { return lookup(table, col).Type }
	// unique lists each table's unique constraints and indexes as column lists.
	rows, err = db.Pool.Query(ctx, `SELECT c.relname, array_agg(a.attname::text ORDER BY k.n)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE c.relnamespace = $1::regnamespace AND i.indisunique GROUP BY c.relname, i.indexrelid`, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	type unique struct {
		Table string
		Cols  []string
	}
	uniques, err := pgx.CollectRows(rows, pgx.RowToStructByPos[unique])
	if err != nil {
		t.Fatal(err)
	}
	var versioned []string
	if rows, err = db.Pool.Query(ctx, `SELECT layer FROM layer_versions`); err == nil {
		versioned, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatal(err)
	}

	for _, l := range c.Layers() {
		geomType := func(col, want string) {
			if got := lookup(l.Table, col).Full; got != "geometry("+want+",4490)" {
				t.Errorf("%s.%s is %q, the catalogue says geometry(%s,4490)", l.Table, col, got, want)
			}
		}
		geomType(l.GeomCol, l.Geometry)
		if l.Role == catalog.RoleSeat {
			geomType(l.AreaCol, catalog.GeomMultiPolygon)
		}
		for _, f := range l.Fields {
			got := typeOf(l.Table, f.Column)
			if f.Read != "" {
				if got != "" {
					t.Errorf("%s: reference field %s is a column", l.Table, f.Column)
				}
				continue
			}
			if !slices.Contains(kindTypes[f.Kind], got) {
				t.Errorf("%s.%s is %q, want one of %v for its kind", l.Table, f.Column, got, kindTypes[f.Kind])
			}
		}
		for _, f := range l.Export.Extra {
			if got := typeOf(l.Table, f.Column); !slices.Contains(kindTypes[f.Kind], got) {
				t.Errorf("%s.%s (exported) is %q, want one of %v", l.Table, f.Column, got, kindTypes[f.Kind])
			}
		}
		for _, ref := range l.Reference {
			if got := typeOf(l.Table, ref); got != "bigint" {
				t.Errorf("%s: reference %s is %q, want bigint", l.Table, ref, got)
			}
		}
		if !slices.ContainsFunc(uniques, func(u unique) bool { return u.Table == l.Table && slices.Equal(u.Cols, l.Key) }) {
			t.Errorf("%s: no unique constraint or index on its key %v", l.Table, l.Key)
		}
		if l.AltKey != nil && !slices.ContainsFunc(uniques, func(u unique) bool { return u.Table == l.Table && slices.Equal(u.Cols, l.AltKey) }) {
			t.Errorf("%s: no unique constraint or index on its alternative key %v", l.Table, l.AltKey)
		}
		if l.Tile != nil {
			for _, table := range l.Tile.Tables {
				if !slices.Contains(versioned, table) {
					t.Errorf("tile layer %s depends on %s, which has no layer version", l.Tile.ID, table)
				}
			}
		}
	}

	// Every reason explains a constraint that exists; every constraint of
	// a layer is explained or listed as plain.
	rows, err = db.Pool.Query(ctx, `SELECT t.relname, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE c.connamespace = $1::regnamespace AND c.contype = 'c'`, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	type check struct{ Table, Name string }
	checks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[check])
	if err != nil {
		t.Fatal(err)
	}
	exists := func(table, name string) bool { return slices.Contains(checks, check{table, name}) }
	for _, l := range c.Layers() {
		for _, f := range l.Fields {
			if f.Check != "" && !exists(l.Table, l.Table+"_"+f.Column+"_check") {
				t.Errorf("%s: field %s explains %s_%s_check, which does not exist", l.Table, f.Column, l.Table, f.Column)
			}
		}
		for name := range l.Checks {
			if !exists(l.Table, l.Table+"_"+name+"_check") {
				t.Errorf("%s: the catalogue explains %s_%s_check, which does not exist", l.Table, l.Table, name)
			}
		}
	}
	for _, k := range checks {
		if c.Layer(k.Table) == nil {
			continue
		}
		if !strings.HasPrefix(k.Name, k.Table+"_") || !strings.HasSuffix(k.Name, "_check") {
			t.Errorf("check constraint %s of %s is not named <table>_<column>_check", k.Name, k.Table)
		}
		switch reason := c.CheckReason(k.Table, k.Name); {
		case reason != "" && slices.Contains(unexplained, k.Name):
			t.Errorf("%s is explained and listed as plain", k.Name)
		case reason == "" && !slices.Contains(unexplained, k.Name):
			t.Errorf("%s: check constraint without a reason in the catalogue", k.Name)
		}
	}
	for _, name := range unexplained {
		if !slices.ContainsFunc(checks, func(k check) bool { return k.Name == name }) {
			t.Errorf("%s is listed as plain but does not exist", name)
		}
	}
	// The tiles carry the attributes the catalogue declares, at a low and
	// the most detailed zoom.
	undeclared := map[string]bool{}
	for _, z := range []maptile.Zoom{9, tiles.MaxZoom} {
		tile := maptile.At(orb.Point{113.45, 29.48}, z)
		raw, _, err := db.Store.Tile(ctx, tiles.Request{Layers: tiles.LayersAt(tiles.Layers, int(z)), Z: int(z), X: int(tile.X), Y: int(tile.Y)})
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := mvt.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, ml := range decoded {
			l := c.TileLayer(ml.Name)
			if l == nil {
				t.Errorf("z%d: tile layer %s is not in the catalogue", z, ml.Name)
				continue
			}
			fields := l.Tile.Fields()
			for _, f := range ml.Features {
				for key := range f.Properties {
					if _, ok := fields[key]; !ok && !undeclared[ml.Name+"."+key] {
						undeclared[ml.Name+"."+key] = true
						t.Errorf("z%d: %s features have attribute %s, which the catalogue does not declare", z, ml.Name, key)
					}
				}
			}
		}
	}
}
