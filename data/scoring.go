package data

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gapmap/gapmap/planning"
)

var (
	//go:embed queries/road_pieces.sql
	roadPiecesSQL string
	//go:embed queries/score_facts.sql
	scoreFactsSQL string
)

// fullRebuildShare is the share of roads affected by changes above which
// a full rebuild of the graph is cheaper than patching it.
const fullRebuildShare = 0.2

// graphEdgeModel names how edges are derived from roads; a graph built by an
// older model is rebuilt whole. "tri": hardened is NULL where the road's
// surface is unknown (migration 0014).
const graphEdgeModel = "tri"

// RebuildRoadGraph brings the routable graph (road_vertices, road_edges) up
// to date with roads, villages and townships (村委会 and seats are graph
// vertices), and reports whether it changed anything. After edits it
// re-splits only the roads near what changed, keeping every other edge and
// vertex; the first build, a change of the profile's snap or graph
// tolerance (road.snap_tolerance_m, road.graph_tolerance_m: road ends this
// close are one vertex) or a change touching many roads rebuilds everything.
func (s *Store) RebuildRoadGraph(ctx context.Context, road planning.RoadParams) (bool, error) {
	snapM, graphM := road.SnapToleranceM.Value, road.GraphToleranceM.Value
	// The graph absorbs the changes up to a prefix watermark (see
	// changeWatermark): with max(id), a road edit still open then would be
	// below the graph's watermark once it commits, and never re-split.
	// Taken before the builder's transaction, whose statements then see at
	// least every change up to it; a change after it that they see too is
	// absorbed again by the next build.
	watermark, versions, err := s.changeWatermark(ctx)
	if err != nil {
		return false, err
	}
	var changed bool
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One builder at a time; a second waits and then finds it current.
		if _, err := tx.Exec(ctx, `LOCK TABLE road_graph_state IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		params := fmt.Sprintf("graph=%g;snap=%g;edges=%s", graphM, snapM, graphEdgeModel)
		var builtFrom, oldParams string
		var since int64
		err := tx.QueryRow(ctx, `SELECT
				coalesce((SELECT built_from FROM road_graph_state), ''),
				coalesce((SELECT params FROM road_graph_state), ''),
				coalesce((SELECT change_watermark FROM road_graph_state), 0)`).
			Scan(&builtFrom, &oldParams, &since)
		if err != nil {
			return err
		}
		// A builder that took its watermark later may have gone first: the
		// graph is then newer than this one would be.
		if oldParams == params && (builtFrom == versions || since > watermark) {
			return nil
		}
		var affected []int64 // nil: rebuild everything
		if oldParams == params {
			// The planner's row estimate is close enough for a threshold and
			// costs nothing; count(*) of a million roads takes 0.1 s.
			var total int64
			if err := tx.QueryRow(ctx, `SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint ELSE (SELECT count(*) FROM roads) END
				FROM pg_class WHERE oid = 'roads'::regclass`).Scan(&total); err != nil {
				return err
			}
			// Past staleFullAt change rows the graph is rebuilt without
			// tracing them, as the stale set re-scores every village: the
			// trace of a province survey's 400,000 rows ran 34 minutes on a
			// loaded machine where the whole graph builds in about 18. The
			// range is the graph's own, not a run's (manyChanges).
			many, err := manyChanges(ctx, tx, since, watermark)
			if err != nil {
				return err
			}
			if !many {
				if affected, err = affectedRoads(ctx, tx, since, watermark, graphM, snapM); err != nil {
					return err
				}
				if float64(len(affected)) > fullRebuildShare*float64(total) {
					affected = nil
				}
			} else {
				s.log.Info("road graph: too many changes to trace; rebuilding the whole graph", "limit", staleFullAt)
			}
		}
		if err := updateRoadGraph(ctx, tx, graphM, snapM, affected); err != nil {
			return fmt.Errorf("update road graph: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO road_graph_state (built_from, params, change_watermark) VALUES ($1, $2, $3)
			ON CONFLICT (singleton) DO UPDATE SET built_from = EXCLUDED.built_from, params = EXCLUDED.params,
				change_watermark = EXCLUDED.change_watermark, built_at = now()`, versions, params, watermark)
		changed = true
		if err == nil && s.asOf != nil {
			// A snapshot's graph is new: without statistics the scoring
			// plans take it for empty (the live one has autovacuum's).
			_, err = tx.Exec(ctx, `ANALYZE road_edges, road_vertices`)
		}
		return err
	})
	return changed, translate(err, "update road graph")
}

// affectedRoads lists the roads the graph must re-split for the changes
// (since, upTo] of the change log: those near a changed road, village or
// township (never nil).
func affectedRoads(ctx context.Context, tx pgx.Tx, since, upTo int64, graphM, snapM float64) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT r.id FROM layer_changes c JOIN roads r
		ON r.geom && ST_Expand(c.geom, $3 / 80000.0) AND ST_DWithin(r.geom::geography, c.geom::geography, $3)
		WHERE c.id > $1 AND c.id <= $2 AND c.layer IN ('roads', 'villages', 'townships') AND c.geom IS NOT NULL`,
		since, upTo, max(graphM, snapM))
	if err != nil {
		return nil, err
	}
	affected, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if affected == nil {
		affected = []int64{}
	}
	return affected, err
}

// updateRoadGraph re-splits the affected roads (all when nil) and joins the
// new pieces' end points to surviving vertices within the graph tolerance
// graphM, or to new vertices.
func updateRoadGraph(ctx context.Context, tx pgx.Tx, graphM, snapM float64, affected []int64) error {
	steps := []struct {
		sql  string
		args []any
	}{
		{`CREATE TEMP TABLE graph_pieces (pid bigint GENERATED ALWAYS AS IDENTITY, road_id bigint, surface text,
			width_m float8, geom geometry) ON COMMIT DROP`, nil},
		{roadPiecesSQL, []any{graphM, snapM, affected}},
		{`DELETE FROM road_edges WHERE $1::bigint[] IS NULL OR road_id = ANY ($1)`, []any{affected}},
		{`DELETE FROM road_vertices WHERE $1::bigint[] IS NULL`, []any{affected}},
		{`CREATE TEMP TABLE graph_ends ON COMMIT DROP AS
			SELECT pid, 0 AS which, ST_StartPoint(geom) AS pt, NULL::bigint AS vid FROM graph_pieces
			UNION ALL SELECT pid, 1, ST_EndPoint(geom), NULL::bigint FROM graph_pieces`, nil},
		// Keep vertex ids stable: reuse the nearest existing vertex.
		{`UPDATE graph_ends e SET vid = (SELECT v.id FROM road_vertices v
			WHERE v.geom && ST_Expand(e.pt, $1 / 80000.0) AND ST_DWithin(v.geom::geography, e.pt::geography, $1)
			ORDER BY v.geom <-> e.pt LIMIT 1)`, []any{graphM}},
		{`WITH c AS (SELECT pid, which, ST_ClusterDBSCAN(pt, eps := $1 / 111320.0, minpoints := 1) OVER () AS cid
			         FROM graph_ends WHERE vid IS NULL),
			  m AS (SELECT coalesce(max(id), 0) AS base FROM road_vertices)
			UPDATE graph_ends e SET vid = m.base + c.cid + 1 FROM c, m WHERE e.pid = c.pid AND e.which = c.which`,
			[]any{graphM}},
		{`INSERT INTO road_vertices (id, geom)
			SELECT vid, ST_Centroid(ST_Collect(pt)) FROM graph_ends
			WHERE NOT EXISTS (SELECT 1 FROM road_vertices v WHERE v.id = graph_ends.vid) GROUP BY vid`, nil},
		// hardened is NULL where the surface is unknown.
		{`INSERT INTO road_edges (road_id, source, target, length_m, hardened, width_m, geom)
			SELECT p.road_id, s.vid, t.vid, ST_Length(p.geom::geography), p.surface IN ('沥青', '水泥'), p.width_m, p.geom
			FROM graph_pieces p
			JOIN graph_ends s ON s.pid = p.pid AND s.which = 0
			JOIN graph_ends t ON t.pid = p.pid AND t.which = 1
			ORDER BY p.pid`, nil},
		// Prediction patches the graph once per step in one transaction.
		{`DROP TABLE graph_pieces, graph_ends`, nil},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// subgraphMarginDeg bounds the road network a partial scoring run routes
// on: the extent of its villages and their seats grown by about 50 km.
// Paths from a village to its own township seat stay well inside it.
const subgraphMarginDeg = 0.5

// VillageFacts implements planning.ScoreStore: it measures the village
// units with the given ids (every unit when ids is nil) under p, with test
// ages counted to asOf, and returns the layer versions it saw.
func (s *Store) VillageFacts(ctx context.Context, p planning.Profile, asOf time.Time, ids []int64) ([]planning.Facts, map[string]int64, error) {
	if _, err := s.RebuildRoadGraph(ctx, p.Road); err != nil {
		return nil, nil, err
	}
	var facts []planning.Facts
	versions := map[string]int64{}
	// REPEATABLE READ: every fact and the versions come from one snapshot.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT layer, version FROM layer_versions`)
		if err != nil {
			return err
		}
		var layer string
		var version int64
		if _, err := pgx.ForEachRow(rows, []any{&layer, &version}, func() error { versions[layer] = version; return nil }); err != nil {
			return err
		}
		if ids != nil && len(ids) == 0 {
			return nil
		}
		facts, err = s.villageFacts(ctx, tx, p, asOf, ids)
		return err
	})
	if err != nil {
		return nil, nil, translate(err, "village facts")
	}
	return facts, versions, nil
}

// villageFacts measures the village units ids (every unit when nil) in
// tx, on the road graph as tx sees it: VillageFacts in its snapshot, and
// prediction (predictGaps) on the layers as a project would leave them.
func (s *Store) villageFacts(ctx context.Context, tx pgx.Tx, p planning.Profile, asOf time.Time, ids []int64) ([]planning.Facts, error) {
	snap, minWidth := p.Road.SnapToleranceM.Value, p.Road.MinWidthM.Value
	steps := []struct {
		sql  string
		args []any
	}{
		// R1 in three states (connected): true when the 村委会 reaches its
		// seat on known-hardened road; false when it would not even with
		// every road of unknown surface hardened, or no road at all is near
		// it; NULL when the unknown surfaces decide, no road is loaded, or
		// no road is near the seat (a misplaced seat would fail every
		// village of its township).
		// The open network is the edges that may be hardened (hardened or
		// unknown surface).
		{`CREATE TEMP TABLE score_net (id bigint PRIMARY KEY, office geometry, village_hard_vid bigint, village_open_vid bigint,
			village_any_vid bigint, seat_vid bigint, seat_open_vid bigint, seat_any_vid bigint, seat_component bigint, seat_open_component bigint,
			connected boolean, unhardened_m float8, unhardened_geom geometry, straight boolean NOT NULL DEFAULT false,
			unknown_m float8, path_m float8, narrow_m float8, width_unknown_m float8, path_geom geometry) ON COMMIT DROP`, nil},
		// Snap each 村委会 and township seat to the graph.
		{`INSERT INTO score_net (id, office, village_hard_vid, village_open_vid, village_any_vid, seat_vid, seat_open_vid, seat_any_vid)
			SELECT v.id, v.office, nearest_road_vertex(v.office, $1, true), nearest_open_road_vertex(v.office, $1),
			       nearest_road_vertex(v.office, $1, false), nearest_road_vertex(t.seat, $1, true), nearest_open_road_vertex(t.seat, $1),
			       nearest_road_vertex(t.seat, $1, false)
			FROM villages v JOIN townships t ON t.code = v.township_code
			WHERE v.kind IN ('行政村', '社区') AND ($2::bigint[] IS NULL OR v.id = ANY ($2))`, []any{snap, ids}},
		// The edges to route on: all of them, or those near the villages scored.
		{`CREATE TEMP TABLE score_edges ON COMMIT DROP AS SELECT id, source, target, length_m, hardened, width_m, geom
			FROM road_edges WITH NO DATA`, nil},
		{`INSERT INTO score_edges
			SELECT e.id, e.source, e.target, e.length_m, e.hardened, e.width_m, e.geom FROM road_edges e
			WHERE $1::bigint[] IS NULL OR e.geom && (
				SELECT ST_Expand(ST_Extent(g), $2) FROM (
					SELECT v.office AS g FROM villages v WHERE v.id = ANY ($1)
					UNION ALL
					SELECT t.seat FROM villages v JOIN townships t ON t.code = v.township_code WHERE v.id = ANY ($1)) x)`,
			[]any{ids, subgraphMarginDeg}},
		// Paths come back as edge ids; without a key every path row would scan the edges.
		{`ALTER TABLE score_edges ADD PRIMARY KEY (id)`, nil},
		{`CREATE TEMP TABLE score_comp ON COMMIT DROP AS SELECT node, component FROM pgr_connectedComponents(
			'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM score_edges WHERE hardened')`, nil},
		{`ALTER TABLE score_comp ADD PRIMARY KEY (node)`, nil},
		{`CREATE TEMP TABLE score_open_comp ON COMMIT DROP AS SELECT node, component FROM pgr_connectedComponents(
			'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM score_edges WHERE hardened IS NOT FALSE')`, nil},
		{`ALTER TABLE score_open_comp ADD PRIMARY KEY (node)`, nil},
		// Where people live: the 村民组/自然村 points, and the 村委会 for the
		// people of the village not in any group (the village's 户数 and
		// 人口 less its groups'; unknown when the village's are). NULL
		// counts stay unknown.
		{`CREATE TEMP TABLE score_groups ON COMMIT DROP AS
			SELECT g.parent_id AS village_id, g.office AS pt, g.households AS hh, g.population AS pop
			FROM villages g JOIN score_net n ON n.id = g.parent_id WHERE g.office IS NOT NULL
			UNION ALL
			SELECT v.id, v.office, greatest(v.households - coalesce(k.hh, 0), 0), greatest(v.population - coalesce(k.pop, 0), 0)
			FROM villages v JOIN score_net n ON n.id = v.id
			LEFT JOIN LATERAL (SELECT sum(c.households) AS hh, sum(c.population) AS pop FROM villages c
			                   WHERE c.parent_id = v.id) k ON true
			WHERE v.office IS NOT NULL -- 未定位: its people are nowhere yet, not far from everything`, nil},
		{`CREATE INDEX ON score_groups (village_id)`, nil},
		// E4: the length of every 10 kV feeder serving the villages scored
		// (by 台区 link, or a transformer without one that may serve them).
		{`CREATE TEMP TABLE score_feeders ON COMMIT DROP AS
			SELECT l.feeder, sum(ST_Length(l.geom::geography)) / 1000.0 AS km
			FROM power_lines l
			WHERE l.voltage_kv = 10 AND l.feeder <> '' AND l.feeder IN (
				SELECT x.feeder FROM transformers x WHERE x.village_id IS NULL OR x.village_id IN (SELECT id FROM score_net))
			GROUP BY l.feeder`, nil},
		{`ALTER TABLE score_feeders ADD PRIMARY KEY (feeder)`, nil},
		// Temporary tables are never auto-analysed; the planner needs their sizes.
		{`ANALYZE score_net, score_edges, score_comp, score_open_comp, score_groups, score_feeders`, nil},
		// R1: same hardened component as the seat; else same open
		// component (undecided); else not connected. No road loaded at all
		// decides nothing.
		{`UPDATE score_net s SET seat_component = cs.component, seat_open_component = coalesce(os.component, os2.component),
			connected = CASE
				WHEN NOT EXISTS (SELECT 1 FROM road_edges) THEN NULL
				WHEN s2.seat_any_vid IS NULL THEN NULL
				WHEN cv.component = cs.component THEN true
				WHEN coalesce(ov.component, ov2.component) IS NOT NULL
				     AND (ov.component IN (os.component, os2.component) OR ov2.component IN (os.component, os2.component)) THEN NULL
				ELSE false END
			FROM score_net s2
			LEFT JOIN score_comp cv ON cv.node = s2.village_hard_vid
			LEFT JOIN score_comp cs ON cs.node = s2.seat_vid
			LEFT JOIN score_open_comp ov ON ov.node = s2.village_open_vid
			LEFT JOIN score_open_comp ov2 ON ov2.node = s2.village_hard_vid
			LEFT JOIN score_open_comp os ON os.node = s2.seat_vid
			LEFT JOIN score_open_comp os2 ON os2.node = s2.seat_open_vid
			WHERE s.id = s2.id`, nil},
		// Re-analyse: the path steps join on connected, which was all NULL
		// when score_net was first analysed; a stale estimate of one row
		// makes the planner re-aggregate every path once per village.
		{`ANALYZE score_net`, nil},
		// Build length: hardened edges cost 0, so the path cost is the
		// length to pave, unknown surfaces included (and reported). From
		// the seat's hardened network, or the seat's nearest road when no
		// hardened road is near the seat.
		{`WITH d AS (
			SELECT * FROM pgr_dijkstra(
				'SELECT id, source, target, CASE WHEN hardened THEN 0 ELSE length_m END AS cost,
				        CASE WHEN hardened THEN 0 ELSE length_m END AS reverse_cost FROM score_edges',
				'SELECT DISTINCT coalesce(seat_vid, seat_any_vid) AS source, village_any_vid AS target FROM score_net
				 WHERE NOT connected AND coalesce(seat_vid, seat_any_vid) IS NOT NULL AND village_any_vid IS NOT NULL
				   AND coalesce(seat_vid, seat_any_vid) <> village_any_vid',
				false)),
		  p AS (SELECT d.start_vid, d.end_vid, sum(e.length_m) FILTER (WHERE e.hardened IS NOT TRUE) AS m,
		               sum(e.length_m) FILTER (WHERE e.hardened IS NULL) AS unknown,
		               ST_Collect(e.geom) FILTER (WHERE e.hardened IS NOT TRUE) AS g
		        FROM d JOIN score_edges e ON e.id = d.edge GROUP BY d.start_vid, d.end_vid)
		  UPDATE score_net s SET unhardened_m = coalesce(p.m, 0), unknown_m = coalesce(p.unknown, 0), unhardened_geom = p.g
		  FROM p WHERE NOT s.connected AND coalesce(s.seat_vid, s.seat_any_vid) = p.start_vid AND s.village_any_vid = p.end_vid`, nil},
		// No road path from the 村委会 (no road near it, or none joining the
		// seat's): the straight line to the seat's hardened network × the
		// road detour factor (domain.md §1).
		{`UPDATE score_net s SET unhardened_m = $1 * x.d, unhardened_geom = x.line, straight = true, unknown_m = 0
			FROM (SELECT n.id, ST_Distance(e.geom::geography, n.office::geography) AS d, ST_ShortestLine(n.office, e.geom) AS line
			      FROM score_net n
			      -- Nearest on the ellipsoid among the nearest in degrees, ties by
			      -- edge: a partial run, routing on part of the graph, must pick the
			      -- same edge as a full one.
			      CROSS JOIN LATERAL (SELECT k.geom FROM (
			                              SELECT e.id, e.geom FROM score_edges e JOIN score_comp c ON c.node = e.source
			                              WHERE e.hardened AND c.component = n.seat_component
			                              ORDER BY e.geom <-> n.office LIMIT 8) k
			                          ORDER BY ST_Distance(k.geom::geography, n.office::geography), k.id LIMIT 1) e
			      WHERE NOT n.connected AND n.unhardened_m IS NULL) x
			WHERE s.id = x.id`, []any{p.Road.DetourFactor.Value}},
		// Undecided R1: the least length of unknown surface on an open path
		// to the seat, the road whose surface would decide.
		{`WITH d AS (
			SELECT * FROM pgr_dijkstra(
				'SELECT id, source, target, CASE WHEN hardened THEN 0 ELSE length_m END AS cost,
				        CASE WHEN hardened THEN 0 ELSE length_m END AS reverse_cost FROM score_edges WHERE hardened IS NOT FALSE',
				'SELECT DISTINCT coalesce(seat_vid, seat_open_vid) AS source, coalesce(village_hard_vid, village_open_vid) AS target
				 FROM score_net WHERE connected IS NULL AND coalesce(seat_vid, seat_open_vid) <> coalesce(village_hard_vid, village_open_vid)',
				false)),
		  p AS (SELECT d.start_vid, d.end_vid, sum(e.length_m) FILTER (WHERE e.hardened IS NULL) AS m
		        FROM d JOIN score_edges e ON e.id = d.edge GROUP BY d.start_vid, d.end_vid)
		  UPDATE score_net s SET unknown_m = coalesce(p.m, 0)
		  FROM p WHERE s.connected IS NULL AND coalesce(s.seat_vid, s.seat_open_vid) = p.start_vid
		    AND coalesce(s.village_hard_vid, s.village_open_vid) = p.end_vid`, nil},
		// R3: the shortest hardened path, its narrow length and the length
		// whose width is unknown.
		{`WITH d AS (
			SELECT * FROM pgr_dijkstra(
				'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM score_edges WHERE hardened',
				'SELECT DISTINCT seat_vid AS source, village_hard_vid AS target FROM score_net
				 WHERE connected AND seat_vid <> village_hard_vid',
				false)),
		  p AS (SELECT d.start_vid, d.end_vid, sum(e.length_m) AS m, sum(e.length_m) FILTER (WHERE e.width_m < $1) AS narrow,
		               sum(e.length_m) FILTER (WHERE e.width_m IS NULL) AS unknown, ST_Collect(e.geom) AS g
		        FROM d JOIN score_edges e ON e.id = d.edge GROUP BY d.start_vid, d.end_vid)
		  UPDATE score_net s SET path_m = p.m, narrow_m = coalesce(p.narrow, 0), width_unknown_m = coalesce(p.unknown, 0), path_geom = p.g
		  FROM p WHERE s.connected AND s.seat_vid = p.start_vid AND s.village_hard_vid = p.end_vid`, []any{minWidth}},
		// A village at its seat's vertex has a zero-length path.
		{`UPDATE score_net SET path_m = 0, narrow_m = 0, width_unknown_m = 0 WHERE connected AND seat_vid = village_hard_vid`, nil},
	}
	// Consecutive steps without parameters go to the server as one
	// statement list (pgx sends a statement without arguments by the
	// simple protocol, which takes several; each ends on a new line, as a
	// step may end in a comment): one round trip for up to 14 steps. A generation measures 27 times, and on a loaded machine a
	// round trip cost about 4 ms whatever the statement.
	var run []string
	first := 0 // the first step of run
	flush := func(next int) error {
		if len(run) > 0 {
			t := time.Now()
			if _, err := tx.Exec(ctx, strings.Join(run, "\n;\n")); err != nil {
				return err
			}
			s.log.Debug("village facts steps", "from", first, "to", next-1, "took", time.Since(t))
		}
		run, first = run[:0], next
		return nil
	}
	for i, st := range steps {
		// ANALYZE keeps the planner from a one-row estimate re-aggregating
		// every path once per village; for one village that costs nothing,
		// while analysing the routed network costs more than the measuring.
		if len(ids) == 1 && strings.HasPrefix(st.sql, "ANALYZE") {
			continue
		}
		if len(st.args) == 0 {
			run = append(run, st.sql)
			continue
		}
		if err := flush(i); err != nil {
			return nil, err
		}
		t := time.Now()
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return nil, err
		}
		s.log.Debug("village facts step", "step", i, "took", time.Since(t))
		first = i + 1
	}
	if err := flush(len(steps)); err != nil {
		return nil, err
	}
	t := time.Now()
	defer func() { s.log.Debug("village facts query", "took", time.Since(t)) }()
	rows, err := tx.Query(ctx, scoreFactsSQL,
		int(p.Road.GroupMinHouseholds.Value), p.Road.GroupNetworkRadiusM.Value, p.Road.AllSeasonRadiusM.Value,
		p.Water.MainRadiusM.Value, asOf, p.Grid.TransformerRadiusM.Value, p.Road.TourismRadiusM.Value)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanFacts)
}

// ChangeWatermark implements planning.ScoreStore: see changeWatermark.
// A snapshot (AsOf) accounts for no change of the live log: its runs leave
// the log to the live runs.
func (s *Store) ChangeWatermark(ctx context.Context) (int64, error) {
	if s.asOf != nil {
		return 0, nil
	}
	w, _, err := s.changeWatermark(ctx)
	return w, err
}

// changeWatermark returns a watermark w of the change log that is a
// prefix: every change with id ≤ w has committed (or rolled back) when it
// returns, and every change that commits later has an id > w. Runs and the
// road graph read the log as ranges (from, to] of ids, and SaveRun deletes
// the rows up to a watermark; with prefix watermarks a change is either in
// a run's range, committed before the run reads its facts, or in the next
// run's.
//
// max(id) alone is not a prefix: ids come from a sequence, which is not
// commit ordered. An edit whose change row took id 100 may still be open
// when one with id 101 has committed; a run reading max(id) = 101 then,
// and every run after it, skipped 100 for good. So the read takes SHARE on
// layer_changes, which waits for every open transaction that has written
// a change row (they hold ROW EXCLUSIVE from the first row they wrote to
// their commit) and holds new writers back for the one short read. The
// wait is for edits already under way, milliseconds for an edit, the rest
// of an import for an import (whose tables scoring would wait for anyway).
// (A lock-free alternative, an xid per change row and the run's snapshot
// in place of an id, would change every range query of the log.)
//
// versions are layer_versions of the road graph's layers, read in the
// same snapshot.
func (s *Store) changeWatermark(ctx context.Context) (w int64, versions string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t := time.Now()
		if _, err := tx.Exec(ctx, `LOCK TABLE layer_changes IN SHARE MODE`); err != nil {
			return err
		}
		if d := time.Since(t); d > time.Second {
			// A run that seems slow to start is waiting for an import.
			s.log.Info("change watermark: waited for edits being written", "waited", d)
		}
		// A new statement: its snapshot is taken once the lock is held.
		// The sequence's last value rather than max(id): every id it has
		// handed out belongs to a finished transaction now, and it does not
		// fall back to 0 when SaveRun has emptied the log, so watermarks
		// only grow (StaleVillages relies on it).
		return tx.QueryRow(ctx, `SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('layer_changes', 'id')::regclass), 0),
				coalesce((SELECT string_agg(layer || '=' || version, ';' ORDER BY layer) FROM layer_versions
				          WHERE layer IN ('roads', 'villages', 'townships')), '')`).Scan(&w, &versions)
	})
	return w, versions, translate(err, "change watermark")
}

func scanFacts(row pgx.CollectableRow) (planning.Facts, error) {
	var f planning.Facts
	var unhardened, path, busLine, works, trPts, tpLine wkbGeom
	err := row.Scan(&f.VillageID, &f.Code, &f.Name, &f.TownshipCode, &f.TownshipName, &f.IsPoor,
		&f.Households, &f.Population, &f.PoorHouseholds, &f.PoorPopulation, &f.PoorYear,
		&f.RoadData, &f.SeatOffRoad, &f.HardenedConnected, &f.UnhardenedM, &unhardened, &f.UnhardenedStraight, &f.UnknownSurfaceM,
		&f.LargeGroups, &f.LargeGroupsServed, &f.LargeGroupsOpen, &f.GroupsUnknownHouseholds,
		&f.PathM, &f.NarrowM, &f.WidthUnknownM, &path,
		&f.BusStopM, &busLine, &f.BusStopUnknownM, &f.BusStopAnyM,
		&f.AllSeasonShare, &f.AllSeasonShareMax, &f.TourismNearby,
		&f.WorksName, &f.LitresPerPersonDay, &f.TestAgeDays, &f.TestPassed, &f.GuaranteePct,
		&f.TapShare, &works, &f.SettlementsUnknownHouseholds, &f.SettlementsUnknownPopulation,
		&f.Transformers, &f.TransformerKVA, &trPts, &f.TransformersByRadius, &f.TransformerData,
		&f.ThreePhaseM, &tpLine,
		&f.FeederKm, &f.LVMaxM,
		&f.VillagePVKW, &f.CentralisedPVKW, &f.Unlocated)
	if err != nil {
		return f, err
	}
	f.Explain = map[string]orb.Geometry{}
	for id, g := range map[string]wkbGeom{"R1": unhardened, "R3": path, "R4": busLine, "W1": works, "E1": trPts, "E2": tpLine} {
		if g.g != nil {
			f.Explain[id] = g.g
		}
	}
	if f.Explain["R1"] == nil && path.g != nil {
		f.Explain["R1"] = path.g // connected: the hardened path itself explains R1
	}
	return f, nil
}

// wkbGeom scans a nullable WKB geometry of any type.
type wkbGeom struct{ g orb.Geometry }

func (w *wkbGeom) Scan(src any) error {
	if src == nil {
		w.g = nil
		return nil
	}
	s := wkb.Scanner(nil)
	if err := s.Scan(src); err != nil {
		return err
	}
	if s.Valid {
		w.g = s.Geometry
	}
	return nil
}
