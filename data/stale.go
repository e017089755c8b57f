package data

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

//go:embed queries/stale_villages.sql
var staleVillagesSQL string

// Bounds of the walk over the hardened graph that finds the components a
// change touches. A component larger than componentCap vertices is not
// walked to its end; more than maxTouchStarts start vertices (a bulk
// import) are not walked at all. Either way, when the change could alter
// which of two large components an edge or seat belongs to, every village
// whose paths may pass the change is stale instead.
const (
	componentCap   = 300
	maxTouchStarts = 400
)

// emptiableLayers are the layers whose emptiness scoring reads as a fact of
// its own (no bus stops at all: R4 has no data; no transformers: E1 has no
// data): when a batch of changes leaves one of them empty, or fills it from
// empty, every village is stale.
var emptiableLayers = []string{"roads", "bus_stops", "water_works", "water_mains", "power_lines", "transformers", "pv_stations", "tourism_sites"}

// StaleVillages implements planning.ScoreStore: the rules of
// queries/stale_villages.sql, after finding the hardened components the
// changes touch.
//
// Of a snapshot (AsOf) every village unit: the live change log does not
// describe how a snapshot differs from the one its base run read.
func (s *Store) StaleVillages(ctx context.Context, base planning.Run, p planning.Profile, watermark int64) ([]int64, error) {
	if s.asOf != nil {
		rows, err := s.pool.Query(ctx, `SELECT id FROM villages WHERE kind IN ('行政村', '社区') ORDER BY id`)
		if err != nil {
			return nil, translate(err, "stale villages")
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		return ids, translate(err, "stale villages")
	}
	ids, err := s.staleVillages(ctx, base, p, watermark)
	if err != nil {
		return nil, err
	}
	// The log after base's watermark must still be whole: SaveRun deletes
	// the rows up to the watermark of the run it saves, and a run saved
	// before base with a later watermark (two runs at once: the one that
	// started later finished first) has deleted rows base never read.
	// Watermarks only grow (changeWatermark), so only such a run has one
	// above base's.
	// Checked after the reads above: no such run had committed, with its
	// deletion, before it, so none had before them.
	var truncated bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scoring_runs WHERE change_watermark > $1)`,
		base.ChangeWatermark).Scan(&truncated); err != nil {
		return nil, translate(err, "stale villages")
	}
	if truncated {
		s.log.Info("stale villages: the change log after the base run was consumed by a concurrent run; re-scoring every village",
			"base_run", base.ID)
		return s.allVillages(ctx)
	}
	return ids, nil
}

// staleFullAt is the number of change-log rows past which an incremental
// run re-scores every village instead of tracing which a change reaches,
// and the road graph is rebuilt instead of patched (RebuildRoadGraph):
// tracing costs per change, re-scoring per village, and a bulk upsert of
// 200,000 province roads (400,000 rows) kept the trace running past 40
// minutes where a full run of the province takes about 3. A county's day
// of edits stays far below it. A variable so that tests can lower it.
var staleFullAt int64 = 10_000

// manyChanges reports whether the change log holds more than staleFullAt
// rows in (from, to]. It reads at most staleFullAt+1 of them: a province
// survey's 400,000 rows need not all be counted to know they are too many.
//
// An incremental run asks twice, of two ranges: StaleVillages from its
// base run's watermark to the run's, and RebuildRoadGraph from the graph's
// own watermark to the one its builder takes. One count cannot serve both:
// candidate generation (planning.Generate) builds the live graph too and
// stores no run, so the graph's watermark moves apart from the base run's;
// and the builder learns its range only under its lock, after the stale set
// is listed, with a watermark taken later (a change that commits in between
// is in the graph's range and left to the next run's).
func manyChanges(ctx context.Context, q querier, from, to int64) (bool, error) {
	var many bool
	err := q.QueryRow(ctx, `SELECT count(*) > $3 FROM (SELECT FROM layer_changes WHERE id > $1 AND id <= $2 LIMIT $3 + 1) c`,
		from, to, staleFullAt).Scan(&many)
	return many, err
}

// allVillages lists every village unit.
func (s *Store) allVillages(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM villages WHERE kind IN ('行政村', '社区')`)
	if err != nil {
		return nil, translate(err, "stale villages")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "stale villages")
}

// staleVillages is StaleVillages on a whole change log.
func (s *Store) staleVillages(ctx context.Context, base planning.Run, p planning.Profile, watermark int64) ([]int64, error) {
	from := base.ChangeWatermark
	t := time.Now()
	many, err := manyChanges(ctx, s.pool, from, watermark)
	if err != nil {
		return nil, translate(err, "stale villages")
	}
	if many {
		s.log.Info("stale villages: too many changes since the base run to trace; re-scoring every village",
			"base_run", base.ID, "limit", staleFullAt)
		return s.allVillages(ctx)
	}
	if all, err := s.layerEmptied(ctx, from, watermark); err != nil || all {
		if err != nil {
			return nil, err
		}
		return s.allVillages(ctx)
	}
	snap := p.Road.SnapToleranceM.Value
	// A 村委会 or seat lies within the snap tolerance of its vertex, which
	// the graph may have moved by its own tolerance; a change re-splits
	// roads within the snap tolerance of it.
	slack := snap + 2*p.Road.GraphToleranceM.Value
	reach := max(p.Road.AllSeasonRadiusM.Value, p.Road.BusStopRadiusM.Value, p.Road.GroupNetworkRadiusM.Value, snap,
		p.Grid.ThreePhaseRadiusM.Value, p.Grid.LVMaxM.Value, p.Grid.TransformerRadiusM.Value, p.Water.MainRadiusM.Value,
		p.Road.TourismRadiusM.Value)
	// R1, R2 and R5 read two networks: the known-hardened one and the open
	// one (hardened or of unknown surface); a change may join or split
	// components of either.
	s.log.Debug("stale villages: emptied layers", "took", time.Since(t))
	t = time.Now()
	var touched []int64
	unbounded := false
	for _, net := range []string{hardenedNetwork, openNetwork} {
		v, unb, err := s.touchedComponents(ctx, net, from, watermark, slack, p.Road.GraphToleranceM.Value)
		if err != nil {
			return nil, translate(err, "stale villages")
		}
		touched, unbounded = append(touched, v...), unbounded || unb
	}
	s.log.Debug("stale villages: touched components", "took", time.Since(t), "vertices", len(touched), "unbounded", unbounded)
	t = time.Now()
	rows, err := s.pool.Query(ctx, staleVillagesSQL, from, watermark, base.ID, reach, p.Water.MainRadiusM.Value,
		slack, subgraphMarginDeg, max(p.Road.GroupNetworkRadiusM.Value, slack), touched, unbounded)
	if err != nil {
		return nil, translate(err, "stale villages")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	s.log.Debug("stale villages: rules", "took", time.Since(t), "villages", len(ids))
	return ids, translate(err, "stale villages")
}

// layerEmptied reports whether the changes in (from, to] touched every row
// of a layer in emptiableLayers, or a layer now empty: the batch may have
// emptied it or filled it from empty.
func (s *Store) layerEmptied(ctx context.Context, from, to int64) (bool, error) {
	for _, layer := range emptiableLayers {
		// The table name comes from the fixed list above.
		var all bool
		err := s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM layer_changes WHERE layer = $1 AND id > $2 AND id <= $3)
			AND NOT EXISTS (SELECT 1 FROM %s x WHERE NOT EXISTS (
				SELECT 1 FROM layer_changes c WHERE c.layer = $1 AND c.id > $2 AND c.id <= $3 AND c.row_id = x.id))`,
			pgx.Identifier{layer}.Sanitize()), layer, from, to).Scan(&all)
		if err != nil || all {
			return all, err
		}
	}
	return false, nil
}

// The two road networks scoring reads (data/scoring.go): known-hardened
// edges, and edges that may be hardened (hardened or of unknown surface).
const (
	hardenedNetwork = "e.hardened"
	openNetwork     = "e.hardened IS NOT FALSE"
)

// touchedComponents returns the vertices of the hardened components whose
// membership the network changes in (from, to] may alter, or unbounded when
// they cannot be listed.
//
// It runs before the graph absorbs the changes, on the graph as the base
// run saw it (H_before). Let H_common be H_before without the hardened
// edges of changed roads and those a changed 村委会 or seat re-cuts: the
// graph after the changes also differs from H_common only by such edges,
// whose end vertices are those edges' ends or vertices near a change — the
// start vertices. A component of H_common
// that no start vertex lies in is a component, or inside one, both before
// and after. So whether an edge near a 自然村 belongs to its seat's
// component (R2), or a 村委会 to its seat's (R1), can change only for pairs
// in different touched components: listing every touched component but
// one (the largest) covers every such pair. A walk stops at componentCap
// vertices; two capped walks that do not meet may be different large
// components, and then the change is unbounded.
//
// network is hardenedNetwork or openNetwork, the edge predicate of the
// network walked.
func (s *Store) touchedComponents(ctx context.Context, network string, from, to int64, slack, graphTolerance float64) (vertices []int64, unbounded bool, err error) {
	// The graph is the base run's when no network change lies between the
	// two watermarks. (Either may be the greater: a run saved before
	// watermarks came from the sequence had 0 when it found the log empty.)
	var current bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM road_graph_state g WHERE NOT EXISTS (
			SELECT 1 FROM layer_changes c WHERE c.id > least(g.change_watermark, $1) AND c.id <= greatest(g.change_watermark, $1)
			  AND c.layer IN ('roads', 'townships', 'villages')))`, from).Scan(&current)
	if err != nil || !current {
		// The graph is not the one the base run saw.
		return nil, err == nil, err
	}
	var changed, starts []int64
	// The changed edges: a changed road's own (a deleted road's are gone
	// already, with it), and any within the slack of a changed 村委会 or
	// seat, which re-cuts the roads there. Other roads re-cut where a
	// changed road ends keep their connectivity.
	// network is one of two fixed predicates, never user input.
	err = s.pool.QueryRow(ctx, strings.ReplaceAll(`WITH ch AS (
			SELECT layer, row_id, geom, CASE WHEN layer = 'roads' THEN 1.0 ELSE $3 END + $4 AS tol FROM layer_changes
			WHERE id > $1 AND id <= $2 AND geom IS NOT NULL
			  AND (layer IN ('roads', 'townships') OR (layer = 'villages' AND village_id = row_id))),
		e AS (SELECT e.id, e.source, e.target FROM road_edges e
			WHERE NETWORK AND e.road_id IN (SELECT row_id FROM ch WHERE layer = 'roads')
			UNION
			SELECT e.id, e.source, e.target FROM ch JOIN road_edges e
			ON ch.layer <> 'roads' AND NETWORK AND e.geom && ST_Expand(ch.geom, ch.tol / 80000.0)
			AND ST_DWithin(e.geom::geography, ch.geom::geography, ch.tol))
		SELECT coalesce((SELECT array_agg(id) FROM e), '{}'),
		       coalesce((SELECT array_agg(DISTINCT v) FROM (
		           SELECT x.v FROM e, LATERAL (VALUES (e.source), (e.target)) x (v)
		           UNION ALL
		           SELECT w.id FROM ch JOIN road_vertices w
		             ON w.geom && ST_Expand(ch.geom, ch.tol / 80000.0) AND ST_DWithin(w.geom::geography, ch.geom::geography, ch.tol)) y), '{}')`,
		"NETWORK", network),
		from, to, slack, graphTolerance).Scan(&changed, &starts)
	if err != nil || len(starts) == 0 {
		return nil, false, err
	}
	if len(starts) > maxTouchStarts {
		return nil, true, nil
	}
	// The changed edges themselves, and their neighbours, are listed too:
	// an edge a 村委会 or seat re-cuts may be long, and reach settlements far
	// from the change that the distance rules do not see.
	vertices = append(vertices, starts...)
	seen := map[int64]bool{}
	var comps [][]int64
	capped := -1 // index in comps of the one walk that hit the cap
	for _, start := range starts {
		if seen[start] {
			continue
		}
		rows, err := s.pool.Query(ctx, strings.ReplaceAll(`WITH RECURSIVE r (v) AS (
				SELECT $1::bigint
				UNION
				SELECT n.v FROM r CROSS JOIN LATERAL (
					SELECT e.target AS v FROM road_edges e WHERE e.source = r.v AND NETWORK AND NOT (e.id = ANY ($2))
					UNION ALL
					SELECT e.source FROM road_edges e WHERE e.target = r.v AND NETWORK AND NOT (e.id = ANY ($2))) n)
			SELECT v FROM r LIMIT $3`, "NETWORK", network), start, changed, componentCap)
		if err != nil {
			return nil, false, err
		}
		comp, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, false, err
		}
		meets := false
		for _, v := range comp {
			meets = meets || seen[v]
			seen[v] = true
		}
		if len(comp) >= componentCap {
			switch {
			case capped < 0:
				capped = len(comps)
			case !meets:
				return nil, true, nil // two large components, perhaps distinct
			default:
				continue // the same large component, walked from elsewhere
			}
		}
		comps = append(comps, comp)
	}
	largest := capped
	if largest < 0 {
		for i, c := range comps {
			if largest < 0 || len(c) > len(comps[largest]) {
				largest = i
			}
		}
	}
	for i, c := range comps {
		if i != largest {
			vertices = append(vertices, c...)
		}
	}
	return vertices, false, nil
}
