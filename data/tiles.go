package data

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/tiles"
)

// tileSpec is how one tile layer is drawn from the store. Every string is a
// constant SQL fragment of this file; request values reach the query only
// through the bound parameters of tileParams (as columns of p).
type tileSpec struct {
	from   string // FROM clause; the layer's table is aliased g
	geom   string // the feature geometry in EPSG:4490
	filter string // the index condition against env.e4490
	where  string // zoom-dependent and user filters
	attrs  string // attribute columns; must include the integer id
	order  string // importance, most important first, ending in a unique key
	budget int    // features per tile below the layer's maximum zoom
	// lowBudget, when set, is the budget below lowZoomBelow, where a tile
	// spans a prefecture and per-feature bytes add up.
	lowBudget int
	// simplify lines and polygons below z12 to about a pixel.
	simplify bool
	// low, when set, draws the layer below zoom lowBelow from a table
	// prepared in advance (see RefreshLowZoom), while that table is
	// current; its attrs must match the layer's.
	low      *tileSpec
	lowBelow int
}

const townshipFilter = `(p.township = '' OR g.township_code = p.township OR g.township_code IN (SELECT code FROM townships WHERE name = p.township))`

var tileSpecs = map[string]tileSpec{
	"county": {
		from: `counties g`, geom: `g.outline`, filter: `g.outline && env.e4490`,
		attrs: `g.id, g.code, g.name`, order: `g.id`, budget: 100, simplify: true,
	},
	"townships": {
		from: `townships g`, geom: `g.outline`, filter: `g.outline && env.e4490`,
		attrs: `g.id, g.code, g.name`, order: `g.code`, budget: 1000, simplify: true,
	},
	"villages": {
		// LATERAL: a lookup per village of the tile; a plain join hashes every
		// village's score of the run (100 ms at province scale).
		from: `villages g JOIN townships t ON t.code = g.township_code
			LEFT JOIN LATERAL (SELECT * FROM run_scores r WHERE r.village_id = g.id AND r.run_id = (SELECT id FROM run) OFFSET 0) s ON true`,
		// Points while villages are dots; outlines once they are areas.
		geom:   `CASE WHEN p.z >= 11 AND g.outline IS NOT NULL THEN g.outline ELSE g.office END`,
		filter: `(g.office && env.e4490 OR g.outline && env.e4490)`,
		where: `g.kind IN ('行政村', '社区') AND ` + townshipFilter + `
			AND (p.min_score IS NULL OR CASE p.dim WHEN '通路' THEN s.gap_road WHEN '饮水' THEN s.gap_water
				WHEN '农网' THEN s.gap_grid WHEN '光伏' THEN s.gap_pv ELSE s.composite END >= p.min_score)`,
		// Below z10, where a tile holds thousands of villages, only what
		// colours, filters and labels them: a province z8 tile was 157 KB.
		attrs: `g.id, g.code, CASE WHEN p.z >= 10 OR g.is_poor_village THEN g.name END AS name, t.name AS township,
			CASE WHEN p.z >= 10 THEN g.kind END AS kind, g.is_poor_village AS is_poor,
			CASE WHEN p.z >= 10 THEN g.poor_population END AS poor_population,
			` + lowZoomRounded("composite") + `, ` + lowZoomRounded("gap_road") + `, ` + lowZoomRounded("gap_water") + `,
			` + lowZoomRounded("gap_grid") + `, ` + lowZoomRounded("gap_pv") + `,
			CASE WHEN p.z >= 10 THEN s.missing_weight END AS missing_weight,
			CASE WHEN p.z >= 10 THEN s.exit_fail::int END AS exit_fail, CASE WHEN p.z >= 10 THEN s.exit_no_data::int END AS exit_no_data`,
		order:  `g.is_poor_village DESC, s.composite DESC NULLS LAST, g.id`,
		budget: 3000, lowBudget: 1500, simplify: true,
	},
	"roads": {
		from: `roads g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		where: `array_position(ARRAY['高速', '国道', '省道', '县道', '乡道', '村道', '通组路', '专用'], g.grade) <=
			CASE WHEN p.z < 9 THEN 3 WHEN p.z < 11 THEN 4 WHEN p.z < 12 THEN 5 ELSE 8 END`,
		attrs:  `g.id, g.grade, g.surface, g.width_m, CASE WHEN p.z >= 12 THEN g.name END AS name, g.ref`,
		order:  `array_position(ARRAY['高速', '国道', '省道', '县道', '乡道', '村道', '通组路', '专用'], g.grade), g.id`,
		budget: 6000, simplify: true,
		// Merged lines have ids of their own, above any road's (MVT ids are
		// unsigned, so not negative).
		low: &tileSpec{from: `roads_lowzoom g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
			attrs:  `g.id + ` + lowZoomIDBase + ` AS id, g.grade, g.surface, g.width_m, NULL::text AS name, g.ref`,
			order:  `array_position(ARRAY['高速', '国道', '省道', '县道'], g.grade), g.id`,
			budget: 6000, simplify: true},
		lowBelow: lowZoomBelow,
	},
	"bridges": {
		from: `bridges g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.condition_class, g.is_dangerous`, order: `g.is_dangerous DESC, g.id`, budget: 2000,
	},
	"bus_stops": {
		from: `bus_stops g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, array_to_string(g.routes, '、') AS routes`, order: `cardinality(g.routes) DESC, g.id`, budget: 2000,
	},
	"reservoirs": {
		from: `reservoirs g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		where: `array_position(ARRAY['大(1)型', '大(2)型', '中型', '小(1)型', '小(2)型'], g.scale) <=
			CASE WHEN p.z < 10 THEN 3 WHEN p.z < 12 THEN 4 ELSE 5 END`,
		attrs: `g.id, g.name, g.scale, g.capacity_wan_m3, g.is_drinking_source, g.safety_status`,
		order: `g.capacity_wan_m3 DESC NULLS LAST, g.id`, budget: 2000, simplify: true,
	},
	"water_works": {
		from: `water_works g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.kind, g.design_m3_per_day, g.population_served, g.last_test_passed, g.guarantee_pct`,
		order: `g.design_m3_per_day DESC NULLS LAST, g.id`, budget: 2000,
	},
	"water_mains": {
		from: `water_mains g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.diameter_mm`, order: `g.diameter_mm DESC NULLS LAST, g.id`, budget: 4000, simplify: true,
	},
	"substations": {
		from: `substations g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.voltage_kv, g.capacity_mva`, order: `g.voltage_kv DESC, g.id`, budget: 1000,
	},
	"power_lines": {
		from: `power_lines g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		where: `g.voltage_kv >= CASE WHEN p.z < 11 THEN 35 WHEN p.z < 13 THEN 10 ELSE 0 END`,
		attrs: `g.id, g.voltage_kv, g.phases, g.feeder`, order: `g.voltage_kv DESC, g.id`, budget: 6000, simplify: true,
	},
	"transformers": {
		from: `transformers g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.kva, g.phases, g.households_served`, order: `g.kva DESC, g.id`, budget: 4000,
	},
	"pv_stations": {
		from: `pv_stations g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.kw, g.type, g.grid_connected`, order: `g.kw DESC, g.id`, budget: 2000,
	},
	"tourism_sites": {
		from: `tourism_sites g`, geom: `g.geom`, filter: `g.geom && env.e4490`,
		attrs: `g.id, g.name, g.a_level, g.kind`, order: `g.a_level DESC, g.id`, budget: 1000,
	},
	"projects": {
		// Below z11 a project is a dot without its name: a province's
		// 35,000 candidates as lines and names made z8 tiles 175 KB.
		from: `projects g`, geom: `CASE WHEN p.z < 11 THEN ST_PointOnSurface(g.geom) ELSE g.geom END`, filter: `g.geom && env.e4490`,
		where: townshipFilter + ` AND (p.status = '' OR g.status = p.status) AND (p.year = 0 OR g.year = p.year)`,
		attrs: `g.id, CASE WHEN p.z >= 11 THEN g.name END AS name, g.category, g.status, g.year, g.cost_wan::float8 AS cost_wan`,
		order: `g.cost_wan DESC, g.id`, budget: 3000, simplify: true,
	},
}

// tileSQL composes the one statement that renders the given layers: a row
// per layer with its MVT bytes and whether its budget cut it. Each layer
// takes one more feature than its budget to tell a cut from a fit.
func tileSQL(layers []tiles.Layer) string {
	var ctes, selects []string
	for _, l := range layers {
		spec, ok := tileSpecs[l.ID]
		if !ok {
			panic("tile layer without a spec: " + l.ID)
		}
		lowBudget := spec.budget
		if spec.lowBudget > 0 {
			lowBudget = spec.lowBudget
		}
		limit := fmt.Sprintf(`(SELECT CASE WHEN p.z >= %d THEN NULL WHEN p.z < %d THEN %d ELSE %d END FROM p)`,
			l.MaxZoom, lowZoomBelow, lowBudget, spec.budget)
		body := featuresSQL(spec, "true", limit)
		if spec.low != nil {
			// $1 is the zoom: both conditions are one-time filters, so only
			// one branch ever runs.
			use := fmt.Sprintf(`$1::int < %d AND (SELECT fresh FROM lowzoom)`, spec.lowBelow)
			body = fmt.Sprintf("(%s)\n\tUNION ALL\n\t(%s)", featuresSQL(*spec.low, use, limit), featuresSQL(spec, "NOT ("+use+")", limit))
		}
		ctes = append(ctes, fmt.Sprintf("c_%s AS (\n\t%s)", l.ID, body))
		selects = append(selects, fmt.Sprintf(
			`SELECT '%[1]s'::text, (SELECT ST_AsMVT(t, '%[1]s', 4096, 'geom', 'id') FROM (SELECT * FROM c_%[1]s LIMIT %[2]s) t),
	(SELECT count(*) > coalesce(%[2]s, 1e18) FROM c_%[1]s)`, l.ID, limit))
	}
	return `WITH p AS (SELECT $1::int AS z, $2::int AS x, $3::int AS y, $4::text AS township, $5::text AS dim,
		$6::float8 AS min_score, $7::text AS status, $8::int AS year),
	env AS (SELECT ST_TileEnvelope(p.z, p.x, p.y) AS e3857,
		ST_Transform(ST_TileEnvelope(p.z, p.x, p.y, margin => 64.0 / 4096), 4490) AS e4490,
		(ST_XMax(ST_TileEnvelope(p.z, p.x, p.y)) - ST_XMin(ST_TileEnvelope(p.z, p.x, p.y))) / 4096 AS px FROM p),
	run AS (SELECT max(id) AS id FROM scoring_runs WHERE status = 'done'),
	lowzoom AS (SELECT coalesce((SELECT built_from FROM lowzoom_state WHERE layer = 'roads') =
		(SELECT version FROM layer_versions WHERE layer = 'roads'), false) AS fresh),
	` + strings.Join(ctes, ",\n") + "\n" + strings.Join(selects, "\nUNION ALL\n")
}

// featuresSQL selects the features of one layer spec where use holds, most
// important first, one more than the limit.
func featuresSQL(spec tileSpec, use, limit string) string {
	geom := fmt.Sprintf(`ST_Transform(%s, 3857)`, spec.geom)
	if spec.simplify {
		geom = fmt.Sprintf(`CASE WHEN p.z < 12 THEN ST_Simplify(%[1]s, env.px, true) ELSE %[1]s END`, geom)
	}
	where := spec.where
	if where == "" {
		where = "true"
	}
	return fmt.Sprintf(`SELECT %[1]s, ST_AsMVTGeom(%[2]s, env.e3857, 4096, 64, true) AS geom
	FROM %[3]s, p, env
	WHERE %[4]s AND (%[5]s) AND %[6]s
	ORDER BY %[7]s
	LIMIT %[8]s + 1`, spec.attrs, geom, spec.from, spec.filter, where, use, spec.order, limit)
}

// lowZoomRounded is score column col of s, whole points below z10: an MVT
// stores each distinct value once, and colours need no decimals there.
func lowZoomRounded(col string) string {
	return fmt.Sprintf(`CASE WHEN p.z >= 10 THEN s.%[1]s ELSE round(s.%[1]s) END AS %[1]s`, col)
}

// lowZoomIDBase offsets the ids of roads_lowzoom's merged lines.
const lowZoomIDBase = "1000000000000"

// lowZoomBelow is the zoom below which roads come from roads_lowzoom.
const lowZoomBelow = 10

// RefreshLowZoom rebuilds the tables that low-zoom tiles read (roads_lowzoom)
// when the roads changed since they were built, and reports whether it did.
// Until it has run, tiles draw the live roads: slower, never stale.
func (s *Store) RefreshLowZoom(ctx context.Context) (bool, error) {
	var rebuilt bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One builder at a time; a second waits and then finds it current.
		if _, err := tx.Exec(ctx, `LOCK TABLE lowzoom_state IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var version int64
		var current bool
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT version FROM layer_versions WHERE layer = 'roads'), 0),
				coalesce((SELECT built_from = (SELECT version FROM layer_versions WHERE layer = 'roads')
				          FROM lowzoom_state WHERE layer = 'roads'), false)`).Scan(&version, &current); err != nil {
			return err
		}
		if current {
			return nil
		}
		for _, sql := range []string{
			`DELETE FROM roads_lowzoom`,
			// Cells of 0.25° keep merged lines short enough for tile
			// indexes; 0.0005° (~50 m) is under a z9 pixel (~300 m).
			`INSERT INTO roads_lowzoom (grade, surface, ref, width_m, geom)
			SELECT grade, surface, ref, width_m, ST_Multi(g) FROM (
				SELECT grade, surface, ref, min(width_m) AS width_m,
				       ST_Simplify(ST_LineMerge(ST_Collect(geom)), 0.0005, true) AS g
				FROM roads WHERE grade IN ('高速', '国道', '省道', '县道')
				GROUP BY grade, surface, ref, floor(ST_X(ST_StartPoint(geom)) * 4), floor(ST_Y(ST_StartPoint(geom)) * 4)) m
			WHERE NOT ST_IsEmpty(g) AND GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING')`,
			`ANALYZE roads_lowzoom`,
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO lowzoom_state (layer, built_from) VALUES ('roads', $1)
			ON CONFLICT (layer) DO UPDATE SET built_from = EXCLUDED.built_from, built_at = now()`, version)
		rebuilt = true
		return err
	})
	return rebuilt, translate(err, "refresh low-zoom roads")
}

// Tile implements tiles.Source on the read-only tile pool.
func (s *Store) Tile(ctx context.Context, req tiles.Request) ([]byte, []string, error) {
	var inRange []tiles.Layer
	for _, l := range req.Layers {
		if req.Z >= l.MinZoom && req.Z <= l.MaxZoom {
			inRange = append(inRange, l)
		}
	}
	if len(inRange) == 0 {
		return nil, nil, nil
	}
	f := req.Filter
	rows, err := s.tilePool.Query(ctx, tileSQL(inRange), req.Z, req.X, req.Y, f.Township, f.Dimension, f.MinScore, f.Status, f.Year)
	if err != nil {
		return nil, nil, translate(err, "tile")
	}
	var mvt []byte
	var truncated []string
	var layer string
	var part []byte
	var cut bool
	_, err = pgx.ForEachRow(rows, []any{&layer, &part, &cut}, func() error {
		// MVT layers are repeated protobuf fields: tiles concatenate.
		mvt = append(mvt, part...)
		if cut {
			truncated = append(truncated, layer)
		}
		return nil
	})
	if err != nil {
		return nil, nil, translate(err, "tile")
	}
	return mvt, truncated, nil
}

// Versions implements tiles.Source.
func (s *Store) Versions(ctx context.Context) (map[string]int64, error) {
	rows, err := s.tilePool.Query(ctx, `SELECT layer, version FROM layer_versions`)
	if err != nil {
		return nil, translate(err, "versions")
	}
	out := map[string]int64{}
	var layer string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&layer, &v}, func() error { out[layer] = v; return nil })
	return out, translate(err, "versions")
}

// Bounds implements tiles.Source: the extent of the counties.
func (s *Store) Bounds(ctx context.Context) ([4]float64, bool, error) {
	var b [4]*float64
	err := s.tilePool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(outline) AS e FROM counties) x`).Scan(&b[0], &b[1], &b[2], &b[3])
	if err != nil || b[0] == nil {
		return [4]float64{}, false, translate(err, "bounds")
	}
	return [4]float64{*b[0], *b[1], *b[2], *b[3]}, true, nil
}

// tilePoolConfig derives the tile pool's settings from the main pool's:
// read-only, no parallel workers (on two cores a worker per tile query cost
// pg_tileserv 3.5–4.5× its throughput at z13), and a statement
// timeout.
func tilePoolConfig(cfg *pgxpool.Config) *pgxpool.Config {
	t := cfg.Copy()
	t.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	t.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	t.ConnConfig.RuntimeParams["statement_timeout"] = "10000"
	t.ConnConfig.RuntimeParams["application_name"] = "gapmap-tiles"
	// A backend loads PROJ's transformation on its first ST_Transform:
	// 70 ms that would land on some user's tile. Pay it at connect.
	t.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SELECT ST_Transform(ST_TileEnvelope(0, 0, 0), 4490)`)
		return err
	}
	return t
}

// ListenVersions calls changed whenever a layer version is bumped (by any
// process: the trigger notifies on the gapmap_versions channel), until ctx
// ends. It reconnects after errors, and calls changed after every
// (re)connection since notifications may have been missed meanwhile.
func (s *Store) ListenVersions(ctx context.Context, changed func()) {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, changed)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("version listener stopped; reconnecting", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, changed func()) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is dedicated to LISTEN: it never returns to the pool.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN gapmap_versions`); err != nil {
		return err
	}
	changed()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		changed()
	}
}

// Attribution implements tiles.Source: the distinct credits that the
// sources of the loaded data require (an OpenStreetMap import records
// "© OpenStreetMap contributors" in its source detail).
func (s *Store) Attribution(ctx context.Context) (string, error) {
	var credit string
	err := s.tilePool.QueryRow(ctx, `SELECT coalesce(string_agg(DISTINCT detail->>'attribution', '; '), '')
		FROM sources WHERE detail ? 'attribution'`).Scan(&credit)
	return credit, translate(err, "attribution")
}
