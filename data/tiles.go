package data

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// tileKey identifies the statement that renders layers: their ids and
// most detailed zooms, which is all tileSQL reads of them.
func tileKey(layers []tiles.Layer) string {
	var b strings.Builder
	for _, l := range layers {
		b.WriteString(l.ID)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(l.MaxZoom))
		b.WriteByte(';')
	}
	return b.String()
}

// tileSQL returns the one statement that renders the given layers, composed
// from their catalogue entries on first use and kept: a tile request
// costs a map lookup, not the statement's composition.
func (c *storeLayers) tileSQL(layers []tiles.Layer) (string, error) {
	key := tileKey(layers)
	if q, ok := c.tileStmts.Load(key); ok {
		return q.(string), nil
	}
	q, err := c.composeTileSQL(layers)
	if err != nil {
		return "", err
	}
	c.tileStmts.Store(key, q)
	return q, nil
}

// composeTileSQL composes the statement that renders the given layers: a
// row per layer with its MVT bytes and whether its budget cut it. Each
// layer takes one more feature than its budget to tell a cut from a fit.
// Every fragment is SQL text of the catalogue; request values reach the
// query only through the bound parameters of Tile (as columns of p).
func (c *storeLayers) composeTileSQL(layers []tiles.Layer) (string, error) {
	var ctes, selects []string
	for _, l := range layers {
		entry := c.TileLayer(l.ID)
		if entry == nil {
			return "", fmt.Errorf("tile layer %q is not in the catalogue", l.ID)
		}
		spec := entry.Tile.SQL
		lowBudget := spec.Budget
		if spec.LowBudget > 0 {
			lowBudget = spec.LowBudget
		}
		limit := fmt.Sprintf(`(SELECT CASE WHEN p.z >= %d THEN NULL WHEN p.z < %d THEN %d ELSE %d END FROM p)`,
			l.MaxZoom, catalog.LowZoomBelow, lowBudget, spec.Budget)
		body := featuresSQL(spec, "true", limit)
		if spec.Low != nil {
			// $1 is the zoom: both conditions are one-time filters, so only
			// one branch ever runs.
			use := fmt.Sprintf(`$1::int < %d AND (SELECT fresh FROM lowzoom)`, spec.LowBelow)
			body = fmt.Sprintf("(%s)\n\tUNION ALL\n\t(%s)", featuresSQL(*spec.Low, use, limit), featuresSQL(spec, "NOT ("+use+")", limit))
		}
		ctes = append(ctes, fmt.Sprintf("c_%s AS (\n\t%s)", l.ID, body))
		selects = append(selects, fmt.Sprintf(
			`SELECT '%[1]s'::text, (SELECT ST_AsMVT(t, '%[1]s', 4096, 'geom', 'id') FROM (SELECT * FROM c_%[1]s LIMIT %[2]s) t),
	(SELECT count(*) > coalesce(%[2]s, 1e18) FROM c_%[1]s)`, l.ID, limit))
	}
	return `WITH p AS (SELECT $1::int AS z, $2::int AS x, $3::int AS y, $4::text AS township, $5::text AS dim,
		$6::float8 AS min_score, $7::text AS status, $8::int AS year),
	env AS (SELECT ST_TileEnvelope(p.z, p.x, p.y) AS e3857,
		ST_TileEnvelope(p.z, p.x, p.y, margin => 64.0 / 4096) AS b3857,
		(ST_XMax(ST_TileEnvelope(p.z, p.x, p.y)) - ST_XMin(ST_TileEnvelope(p.z, p.x, p.y))) / 4096 AS px FROM p),
	run AS (SELECT coalesce($9::bigint, (SELECT max(id) FROM scoring_runs WHERE status = 'done')) AS id),
	lowzoom AS (SELECT coalesce((SELECT built_from FROM lowzoom_state WHERE layer = 'roads') =
		(SELECT version FROM layer_versions WHERE layer = 'roads'), false) AS fresh),
	` + strings.Join(ctes, ",\n") + "\n" + strings.Join(selects, "\nUNION ALL\n"), nil
}

// featuresSQL selects the features of one layer's SQL where use holds,
// most important first, one more than the limit.
func featuresSQL(spec catalog.TileSQL, use, limit string) string {
	// The geometry is already in Web Mercator (the _3857 copies of
	// migration 0028): nothing is reprojected per row.
	geom := spec.Geom
	if spec.Simplify {
		geom = fmt.Sprintf(`CASE WHEN p.z < 12 THEN ST_Simplify(%[1]s, env.px, true) ELSE %[1]s END`, geom)
	}
	where := spec.Where
	if where == "" {
		where = "true"
	}
	return fmt.Sprintf(`SELECT %[1]s, ST_AsMVTGeom(%[2]s, env.e3857, 4096, 64, true) AS geom
	FROM %[3]s, p, env
	WHERE %[4]s AND (%[5]s) AND %[6]s
	ORDER BY %[7]s
	LIMIT %[8]s + 1`, spec.Attrs, geom, spec.From, spec.Filter, where, use, spec.Order, limit)
}

// RefreshLowZoom rebuilds the tables that low-zoom tiles read (roads_lowzoom)
// when the roads changed since they were built, and reports whether it did.
// A write on record keeps them current itself (migration 0034 rebuilds
// the cells it touches); one that is not (TRUNCATE, a bulk load) leaves
// them behind, and until this has run tiles draw the live roads: slower,
// never stale. A whole rebuild records no changes, so tile servers drop
// every low-zoom roads tile.
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
			// roads_lowzoom_build (migration 0034) is the table's one
			// definition; the roads' triggers keep it current per cell.
			`DELETE FROM roads_lowzoom`,
			`INSERT INTO roads_lowzoom (id, grade, surface, ref, width_m, cell_x, cell_y, geom)
			SELECT * FROM roads_lowzoom_build(NULL, NULL)`,
			`ANALYZE roads_lowzoom`,
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lowzoom_state (layer, built_from) VALUES ('roads', $1)
			ON CONFLICT (layer) DO UPDATE SET built_from = EXCLUDED.built_from, built_at = now()`, version); err != nil {
			return err
		}
		// Low-zoom road tiles now draw the prepared table: tell tile
		// servers (Versions reports it as roads_lowzoom).
		_, err := tx.Exec(ctx, `SELECT pg_notify('gapmap_versions', current_schema() || '.' || $1)`, catalog.LowZoomTable("roads"))
		rebuilt = true
		return err
	})
	return rebuilt, translate(err, "refresh low-zoom roads")
}

// Tile implements tiles.Source on the read-only tile pool. It draws every
// layer of req: the caller keeps those in range of req.Z (tiles.LayersAt).
func (s *Store) Tile(ctx context.Context, req tiles.Request) ([]byte, []string, error) {
	if len(req.Layers) == 0 {
		return nil, nil, nil
	}
	if req.Filter.AsOf != "" {
		return s.pastTile(ctx, req)
	}
	return s.tile(ctx, req, nil)
}

// tile renders req with the village scores of run (nil: the latest run).
func (s *Store) tile(ctx context.Context, req tiles.Request, run *int64) ([]byte, []string, error) {
	q, err := s.layers.tileSQL(req.Layers)
	if err != nil {
		return nil, nil, err
	}
	f := req.Filter
	var mvt []byte
	var truncated []string
	err = s.onReplica(ctx, s.tilePool, func(r *replica) *pgxpool.Pool { return r.tile }, func(pool *pgxpool.Pool) error {
		mvt, truncated = nil, nil
		rows, err := pool.Query(ctx, q, req.Z, req.X, req.Y, f.Township, f.Dimension, f.MinScore, f.Status, f.Year, run)
		if err != nil {
			return err
		}
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
		return err
	})
	if err != nil {
		return nil, nil, translate(err, "tile")
	}
	return mvt, truncated, nil
}

// Versions implements tiles.Source: the layer versions, and for each
// table prepared for low-zoom tiles (catalog.LowZoomTable) the version of
// its layer it was built from.
func (s *Store) Versions(ctx context.Context) (map[string]int64, error) {
	// The WAL insert position, read after the statement's snapshot was
	// taken, is past the commit record of every write the versions count:
	// a read replica that has replayed it shows them all (replica). At a
	// WAL page boundary the insert position lies past the page header, which
	// replay reaches only with the next record (on an idle primary, the
	// standby snapshot it logs within 15 s): reads stay on the primary until then.
	rows, err := s.tilePool.Query(ctx, `SELECT layer, version, false, 0::bigint FROM layer_versions
		UNION ALL SELECT layer, built_from, true, 0 FROM lowzoom_state
		UNION ALL SELECT NULL, 0, false, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint`)
	if err != nil {
		return nil, translate(err, "versions")
	}
	out := map[string]int64{}
	var layer *string
	var v, lsn, need int64
	var low bool
	_, err = pgx.ForEachRow(rows, []any{&layer, &v, &low, &lsn}, func() error {
		switch {
		case layer == nil:
			need = lsn
		case low:
			out[catalog.LowZoomTable(*layer)] = v
		default:
			out[*layer] = v
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "versions")
	}
	if s.replica != nil {
		s.replica.needLSN(need)
	}
	return out, nil
}

// Changes implements tiles.Source from the tile change log (migration
// 0027): the boxes of the rows that the writes moving table's version from
// after to upTo wrote, complete only when every one of those versions has
// its record.
func (s *Store) Changes(ctx context.Context, table string, after, upTo int64) ([][4]float64, bool, error) {
	if upTo <= after {
		return nil, upTo == after, nil
	}
	rows, err := s.tilePool.Query(ctx, `SELECT version, west, south, east, north FROM tile_changes
		WHERE layer = $1 AND version > $2 AND version <= $3`, table, after, upTo)
	if err != nil {
		return nil, false, translate(err, "tile changes")
	}
	var boxes [][4]float64
	seen := map[int64]bool{}
	var v int64
	var b [4]*float64
	_, err = pgx.ForEachRow(rows, []any{&v, &b[0], &b[1], &b[2], &b[3]}, func() error {
		seen[v] = true
		if b[0] != nil {
			boxes = append(boxes, [4]float64{*b[0], *b[1], *b[2], *b[3]})
		}
		return nil
	})
	if err != nil {
		return nil, false, translate(err, "tile changes")
	}
	return boxes, int64(len(seen)) == upTo-after, nil
}

// Bounds implements tiles.Source: the extent of the counties, or, for a
// county set up from its code list whose outline is not loaded yet, of
// the townships and villages located so far.
func (s *Store) Bounds(ctx context.Context) ([4]float64, bool, error) {
	var b [4]*float64
	err := s.tilePool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT coalesce((SELECT ST_Extent(outline) FROM counties),
			(SELECT ST_Extent(g) FROM (SELECT seat AS g FROM townships UNION ALL SELECT coalesce(outline, office) FROM villages) x)) AS e) x`).
		Scan(&b[0], &b[1], &b[2], &b[3])
	if err != nil || b[0] == nil {
		return [4]float64{}, false, translate(err, "bounds")
	}
	return [4]float64{*b[0], *b[1], *b[2], *b[3]}, true, nil
}

// newTilePool opens a tile pool of conns connections (0: as many as cfg's)
// with settings derived from the main pool's cfg: read-only, no parallel
// workers (on two cores a worker per tile query cost pg_tileserv 3.5–4.5×
// its throughput at z13), and a statement timeout. The primary's tile pool
// and the read replica's are both made here.
func newTilePool(cfg *pgxpool.Config, conns int32) (*pgxpool.Pool, error) {
	t := cfg.Copy()
	if conns > 0 {
		t.MaxConns = conns
	}
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
	return pgxpool.NewWithConfig(context.Background(), t)
}

// ListenVersions calls changed whenever a layer version is bumped (by any
// process: the trigger notifies on the gapmap_versions channel), until ctx
// ends. It reconnects after errors, and calls changed after every
// (re)connection since notifications may have been missed meanwhile. While
// it is connected, past dates' tiles trust what they remember until the
// next notification (pastTile).
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
	// The channel is the database's: notifications name their schema
	// (migration 0035), and those of other schemas are passed over.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN gapmap_versions`); err != nil {
		return err
	}
	// Notifications may have been missed before LISTEN: what was
	// remembered under the count before is stale (pastTile).
	s.snaps.notified.Add(1)
	s.snaps.listening.Store(true)
	defer s.snaps.listening.Store(false)
	changed()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if !ofSchema(n.Payload, schema) {
			continue
		}
		s.snaps.notified.Add(1)
		changed()
	}
}

// ofSchema reports whether a gapmap_versions payload ("schema.layer=v")
// is of schema. One without a schema comes from a schema that has not
// had migration 0035, so not the listener's: the server migrates before
// it listens (tests share a database with other branches' schemas).
func ofSchema(payload, schema string) bool {
	s, _, ok := strings.Cut(payload, ".")
	return ok && s == schema
}

// Attribution implements tiles.Source: the distinct credits that the
// sources of the loaded data require (an OpenStreetMap import records
// "© OpenStreetMap contributors" in its source detail), and, when a
// source is marked synthetic (the demo generator), that its geometry is
// not real: TileJSON and MBTiles packs carry it, whatever the county.
func (s *Store) Attribution(ctx context.Context) (string, error) {
	credits, synthetic, err := s.provenance(ctx)
	if len(synthetic) > 0 {
		credits = append(credits, export.SyntheticNote(synthetic))
	}
	return strings.Join(credits, "; "), err
}

// provenance returns the distinct credits the sources require and the
// names of the sources marked synthetic (migration 0016).
func (s *Store) provenance(ctx context.Context) (credits, synthetic []string, err error) {
	err = s.tilePool.QueryRow(ctx, `SELECT
			array(SELECT DISTINCT detail->>'attribution' FROM sources WHERE detail ? 'attribution' ORDER BY 1),
			array(SELECT name FROM sources WHERE synthetic ORDER BY name)`).Scan(&credits, &synthetic)
	return credits, synthetic, translate(err, "attribution")
}

// pastTile renders req from the layers as of req.Filter.AsOf (the live
// ones for a day from today on), with the snapshot's low-zoom roads and
// the villages scored by the run of that date (planning.RunOn; none when
// it has no run: their gaps are then unknown, never today's).
//
// The snapshot and the run a date's tiles draw are remembered under the
// state they were found in (pastTileStateSQL): while the layers, the runs
// and the county profile stay as they were, a tile of that date costs its
// statement alone, as a live tile does (BenchmarkTileReview). Every change
// to that state bumps a layer version (the scoring runs are the "scores"
// layer, the profile is the counties'), which is notified: while
// ListenVersions is connected, a memo is current as long as no
// notification came since it was made. Without the listener (the command
// line), reading the state costs a round trip per tile: measured at z8, on
// a loaded machine, 0.16 ms of PostgreSQL's CPU and 0.09 ms of Go's.
func (s *Store) pastTile(ctx context.Context, req tiles.Request) ([]byte, []string, error) {
	d, err := planning.ParseAsOf(req.Filter.AsOf)
	if err != nil {
		return nil, nil, err
	}
	date := req.Filter.AsOf
	req.Filter.AsOf = ""
	// Read before the state: a notification that comes while the memo is
	// made leaves it stale.
	notified, listening := s.snaps.notified.Load(), s.snaps.listening.Load()
	s.snaps.mu.Lock()
	m, ok := s.snaps.pastTiles[date]
	s.snaps.mu.Unlock()
	// A memo older than snapshotMarkEvery goes the long way once, which
	// marks its snapshot used (AsOf) so that it is not dropped as stale.
	fresh := ok && time.Since(m.at) < snapshotMarkEvery
	if fresh && listening && m.notified == notified {
		return m.store.tile(ctx, req, &m.run)
	}
	var state string
	if err := s.pool.QueryRow(ctx, pastTileStateSQL, s.historyTables()).Scan(&state); err != nil {
		return nil, nil, translate(err, "layers as of "+date)
	}
	if fresh && m.state == state {
		// A notification of something else (another layer, another
		// schema of the database): current again as of this count.
		if listening {
			s.snaps.mu.Lock()
			if cur, ok := s.snaps.pastTiles[date]; ok && cur.at == m.at && cur.notified < notified {
				cur.notified = notified
				s.snaps.pastTiles[date] = cur
			}
			s.snaps.mu.Unlock()
		}
		return m.store.tile(ctx, req, &m.run)
	}
	past, err := s.ForDate(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	run, err := planning.RunOn(ctx, s, d)
	if err != nil && planning.ErrorCode(err) != planning.ENotFound {
		return nil, nil, err
	}
	if past != s {
		past.snaps.mu.Lock()
		done := past.snaps.lowZoom
		past.snaps.mu.Unlock()
		if !done {
			if _, err := past.RefreshLowZoom(ctx); err != nil {
				return nil, nil, err
			}
			past.snaps.mu.Lock()
			past.snaps.lowZoom = true
			past.snaps.mu.Unlock()
		}
	}
	s.snaps.mu.Lock()
	s.snaps.pastTiles[date] = pastTileMemo{state: state, notified: notified, store: past, run: run, at: time.Now()}
	s.snaps.mu.Unlock()
	return past.tile(ctx, req, &run)
}

// pastTileMemo is what a past date's tile drew: the snapshot Store and
// the scoring run, found when the state read pastTileStateSQL and the
// listener had had notified notifications.
type pastTileMemo struct {
	state    string
	notified uint64
	store    *Store
	run      int64
	at       time.Time
}

// pastTileStateSQL reads, in one row, what decides a past date's snapshot
// and run: the layers' versions (which snapshot), the finished runs (a
// new year-end run, or the latest for today) and the county profile
// (whose hash picks the year-end run). $1 is the history layers' tables.
const pastTileStateSQL = `SELECT (` + layerVersionsSQL + `)
	|| '|' || (SELECT count(*) || ':' || coalesce(max(id), 0) FROM scoring_runs WHERE status = 'done')
	|| '|' || md5(coalesce((SELECT profile::text FROM counties WHERE code = ` + theCounty + `), ''))`
