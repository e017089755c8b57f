package data

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
)

// Layers keep their history (migration 0025): every layer row has
// valid_from, and <table>_history holds the versions that UPDATE and DELETE
// replaced, closed at valid_to. The county as of a date is read through a
// snapshot: a schema holding, under the live tables' names, every layer
// row valid then, plus empty derived tables (the road graph, the low-zoom
// roads) that build there as they do on the live tables. A Store whose
// connections put the snapshot first on the search_path then runs the same
// scoring, tile and export SQL: no rule is written twice.

// Baseline is the effective date of the rows the demo load and county init
// write: the eve of the 十三五 plans (2016–2020), whose baseline they
// describe, so that a county as of any date of the plans sees them.
const Baseline = "2015-12-31"

// historyTables are the layers that keep history (migration 0025): the
// county's data, not the 项目库 (which has its own lifecycle record) nor a
// catalogue's added layers.
var historyTables = map[string]bool{"counties": true, "townships": true, "villages": true, "roads": true, "bridges": true,
	"bus_stops": true, "reservoirs": true, "water_works": true, "water_mains": true, "substations": true,
	"power_lines": true, "transformers": true, "pv_stations": true, "tourism_sites": true}

// historyLayers are s's layers that keep history, in catalogue order.
func (s *Store) historyLayers() []*catalog.Layer {
	var out []*catalog.Layer
	for _, l := range s.layers.Layers() {
		if historyTables[l.Table] {
			out = append(out, l)
		}
	}
	return out
}

// historyTables are the tables of historyLayers.
func (s *Store) historyTables() []string {
	var tables []string
	for _, l := range s.historyLayers() {
		tables = append(tables, l.Table)
	}
	return tables
}

// snapshotDerived are the tables derived from layers that a snapshot holds
// (empty at first, then built from its layers by RebuildRoadGraph and
// RefreshLowZoom, which compare their state with layer_versions).
var snapshotDerived = []string{"road_vertices", "road_edges", "road_graph_state", "roads_lowzoom", "lowzoom_state"}

// snapshotKeepStale is how long a snapshot of an older data version is
// kept after its last use: a reader still holding its Store keeps reading
// it, never the live tables behind it on the search_path.
const snapshotKeepStale = 10 * time.Minute

// snapshotMax bounds the snapshots kept (of the current data version,
// least recently used dropped first).
const snapshotMax = 16

// snapshotLockKey serialises building and dropping snapshots.
const snapshotLockKey = 0x67616873 // "gahs"

// snapshots are the Stores reading snapshots, shared by a Store and its
// copies (WithCatalog, WithPolicy).
type snapshots struct {
	mu     sync.Mutex
	build  sync.Mutex        // held while registering a snapshot (registerSnapshot)
	stores map[string]*Store // by schema name
	// recent remembers, per date, the snapshot last returned and the data
	// version it holds, so that a tile of a past date costs one read of
	// the versions, not a transaction.
	recent map[string]recentSnapshot
	// lowZoom is set once a snapshot Store's low-zoom roads are built:
	// its layers never change.
	lowZoom bool
	// pastTiles remembers, per date, what the last tile of that date drew
	// (pastTile).
	pastTiles map[string]pastTileMemo
	// notified counts the notifications of version bumps ListenVersions
	// has received, and its (re)connections; listening is set while it
	// is connected. While it is, a memo made at the same count is current
	// without reading the state it was made in (pastTile).
	notified  atomic.Uint64
	listening atomic.Bool
}

func newSnapshots() *snapshots {
	return &snapshots{stores: map[string]*Store{}, recent: map[string]recentSnapshot{}, pastTiles: map[string]pastTileMemo{}}
}

// recentSnapshot is a snapshot AsOf returned, and when it last marked
// it used.
type recentSnapshot struct {
	versions string
	store    *Store
	marked   time.Time
}

// snapshotMarkEvery is how often a snapshot in use is marked used in
// layer_snapshots (which keeps it from being dropped as stale).
const snapshotMarkEvery = time.Minute

// SetEffective sets the effective time of the layer changes tx writes
// (migration 0025's gapmap.valid_from) to date, a YYYY-MM-DD day or a
// timestamptz text, until tx ends. Imports' 数据日期, project completion
// dates and the baseline of the demo and county init go through it.
func SetEffective(ctx context.Context, tx pgx.Tx, date string) error {
	_, err := tx.Exec(ctx, `SELECT set_config('gapmap.valid_from', $1::timestamptz::text, true)`, date)
	return err
}

// LayersAsOf is the date whose layers s reads, or nil for the layers as
// they are.
func (s *Store) LayersAsOf() *time.Time {
	if s.asOf != nil {
		return s.asOf
	}
	return s.sameAsOf
}

// AsOf returns a Store that reads every layer as it was at the end of day
// (its date, in the database's time zone): the rows valid then, from the
// live tables and their history. Scoring runs it saves record the date
// (layers_as_of); its change watermark is 0 and its runs re-score every
// village, so it never touches the live change log or runs. The snapshot
// is built once per date and data version and dropped when stale. The
// returned Store is s's (closed with it); do not Close it.
func (s *Store) AsOf(ctx context.Context, day time.Time) (*Store, error) {
	if s.asOf != nil {
		return nil, fmt.Errorf("as of %s: %w", day.Format(time.DateOnly), errors.New("already a snapshot"))
	}
	date := day.Format(time.DateOnly)
	tables := s.historyTables()
	var current string
	if err := s.pool.QueryRow(ctx, layerVersionsSQL, tables).Scan(&current); err != nil {
		return nil, translate(err, "layer versions")
	}
	s.snaps.mu.Lock()
	r, ok := s.snaps.recent[date]
	s.snaps.mu.Unlock()
	if ok && r.versions == current && time.Since(r.marked) < snapshotMarkEvery {
		return r.store, nil
	}
	// A snapshot being built is finished even when the request that asked
	// for it gives up (a tile's budget is short): the next one finds it.
	ctx = context.WithoutCancel(ctx)
	// One builder per process at a time (the map asks for a dozen tiles of
	// a date at once): the others wait here, not on a pooled connection.
	s.snaps.build.Lock()
	schema, versions, err := s.registerSnapshot(ctx, date, tables)
	s.snaps.build.Unlock()
	if err != nil {
		return nil, translate(err, "layers as of "+date)
	}
	st, err := s.snapshotStore(ctx, schema, day)
	if err != nil {
		return nil, err
	}
	s.snaps.mu.Lock()
	s.snaps.recent[date] = recentSnapshot{versions: versions, store: st, marked: time.Now()}
	s.snaps.mu.Unlock()
	return st, nil
}

// registerSnapshot finds the snapshot of date at the current data
// version, building it when there is none, and returns its schema and the
// versions it holds. The advisory lock serialises builders across
// processes; it is taken on the connection before the transaction begins,
// because a repeatable-read transaction's snapshot is taken at its first
// statement: a lock taken inside it left a waiting builder blind to the
// snapshot the one before it registered (it built the date again: 23505
// on layer_snapshots, or 40001 on its UPDATE). The lock and the connection
// are given back before the caller opens the snapshot's pools.
func (s *Store) registerSnapshot(ctx context.Context, date string, tables []string) (schema, versions string, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return "", "", err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, snapshotLockKey); err != nil {
		return "", "", err
	}
	defer func() {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, snapshotLockKey); err != nil {
			// A lock that cannot be released is released with its session.
			conn.Conn().Close(ctx)
		}
	}()
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, layerVersionsSQL, tables).Scan(&versions); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(versions))
		version := hex.EncodeToString(sum[:8])
		err := tx.QueryRow(ctx, `UPDATE layer_snapshots SET used_at = now() WHERE as_of = $1 AND data_version = $2 RETURNING schema_name`,
			date, version).Scan(&schema)
		if errors.Is(err, pgx.ErrNoRows) {
			schema, err = s.buildSnapshot(ctx, tx, date, version)
		}
		if err != nil {
			return err
		}
		return s.dropStaleSnapshots(ctx, tx, version)
	})
	return schema, versions, err
}

// layerVersionsSQL renders the versions of the layers $1, the data
// version a snapshot is built from.
const layerVersionsSQL = `SELECT coalesce(string_agg(layer || '=' || version, ';' ORDER BY layer), '')
	FROM layer_versions WHERE layer = ANY ($1)`

// buildSnapshot creates the snapshot of the layers at the end of date in a
// new schema and registers it.
func (s *Store) buildSnapshot(ctx context.Context, tx pgx.Tx, date, version string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	// Random: snapshots of several databases' schemas (tests) share the
	// database's namespace.
	schema := "asof_" + hex.EncodeToString(b[:])
	sch := pgx.Identifier{schema}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE SCHEMA `+sch); err != nil {
		return "", err
	}
	for _, l := range s.historyLayers() {
		live, hist := pgx.Identifier{l.Table}.Sanitize(), pgx.Identifier{l.Table + "_history"}.Sanitize()
		snap := pgx.Identifier{schema, l.Table}.Sanitize()
		var cols string
		if err := tx.QueryRow(ctx, `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, l.Table).Scan(&cols); err != nil {
			return "", err
		}
		// The instant T is the start of the next day: a row is valid at
		// the end of date when valid_from < T <= valid_to.
		for _, q := range []string{
			fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING INDEXES)`, snap, live),
			fmt.Sprintf(`INSERT INTO %[1]s (%[2]s)
				SELECT %[2]s FROM %[3]s WHERE valid_from < ($1::date + 1)::timestamptz
				UNION ALL
				SELECT %[2]s FROM %[4]s WHERE valid_from < ($1::date + 1)::timestamptz AND valid_to >= ($1::date + 1)::timestamptz`,
				snap, cols, live, hist),
		} {
			args := []any{date}
			if q[0] == 'C' {
				args = nil
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return "", fmt.Errorf("snapshot %s: %w", l.Table, err)
			}
		}
	}
	for _, t := range snapshotDerived {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING ALL)`,
			pgx.Identifier{schema, t}.Sanitize(), pgx.Identifier{t}.Sanitize())); err != nil {
			return "", fmt.Errorf("snapshot %s: %w", t, err)
		}
	}
	// The scoring plans need the tables' sizes (autovacuum comes later).
	for _, l := range s.historyLayers() {
		if _, err := tx.Exec(ctx, `ANALYZE `+pgx.Identifier{schema, l.Table}.Sanitize()); err != nil {
			return "", err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO layer_snapshots (schema_name, as_of, data_version) VALUES ($1, $2, $3)`, schema, date, version)
	s.log.Info("layer snapshot built", "schema", schema, "as_of", date, "data_version", version)
	return schema, err
}

// dropStaleSnapshots drops the snapshots of other data versions not used
// for snapshotKeepStale, and the least recently used beyond snapshotMax.
func (s *Store) dropStaleSnapshots(ctx context.Context, tx pgx.Tx, version string) error {
	rows, err := tx.Query(ctx, `SELECT schema_name FROM layer_snapshots
		WHERE data_version <> $1 AND used_at < now() - $2 * interval '1 second'
		UNION
		SELECT schema_name FROM (SELECT schema_name FROM layer_snapshots ORDER BY used_at DESC OFFSET $3) x`,
		version, snapshotKeepStale.Seconds(), snapshotMax)
	if err != nil {
		return err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, schema := range stale {
		if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM layer_snapshots WHERE schema_name = $1`, schema); err != nil {
			return err
		}
		s.snaps.mu.Lock()
		if st := s.snaps.stores[schema]; st != nil {
			for d, r := range s.snaps.recent {
				if r.store == st {
					delete(s.snaps.recent, d)
				}
			}
			st.Close()
			delete(s.snaps.stores, schema)
		}
		s.snaps.mu.Unlock()
	}
	return nil
}

// snapshotStore returns the Store reading schema: s's pools' settings with
// the snapshot first on the search_path, made once per snapshot.
func (s *Store) snapshotStore(ctx context.Context, schema string, day time.Time) (*Store, error) {
	s.snaps.mu.Lock()
	defer s.snaps.mu.Unlock()
	if st := s.snaps.stores[schema]; st != nil {
		return st, nil
	}
	var path string
	if err := s.pool.QueryRow(ctx, `SELECT current_setting('search_path')`).Scan(&path); err != nil {
		return nil, translate(err, "search path")
	}
	path = pgx.Identifier{schema}.Sanitize() + ", " + path
	withPath := func(c *pgxpool.Config) *pgxpool.Config {
		c = c.Copy()
		c.ConnConfig.RuntimeParams["search_path"] = path
		// Up to snapshotMax snapshots share the server's connections
		// with the live pools: few each, closed when idle.
		c.MinConns, c.MaxConns, c.MaxConnIdleTime = 0, min(c.MaxConns, 2), time.Minute
		return c
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), withPath(s.pool.Config()))
	if err != nil {
		return nil, fmt.Errorf("snapshot pool: %w", err)
	}
	tilePool, err := pgxpool.NewWithConfig(context.Background(), withPath(s.tilePool.Config()))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("snapshot tile pool: %w", err)
	}
	st := *s
	st.pool, st.tilePool = pool, tilePool
	// Snapshot schemas are read on the primary, where they are built.
	st.replica = nil
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	st.asOf = &d
	st.snaps = newSnapshots() // a snapshot has none of its own
	if s.snaps.stores == nil {
		s.snaps.stores = map[string]*Store{}
	}
	s.snaps.stores[schema] = &st
	return &st, nil
}

// closeSnapshots closes the pools of every snapshot Store of s.
func (s *Store) closeSnapshots() {
	s.snaps.mu.Lock()
	defer s.snaps.mu.Unlock()
	for k, st := range s.snaps.stores {
		st.pool.Close()
		st.tilePool.Close()
		delete(s.snaps.stores, k)
	}
	clear(s.snaps.recent)
}

// ReadsPast reports whether scoring as of day should read the layers as
// they were (a day before today) rather than as they are.
func ReadsPast(day time.Time) bool {
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC).Before(today)
}

// LayersOn implements planning.PastLayers: see ForDate.
func (s *Store) LayersOn(ctx context.Context, day time.Time) (planning.ScoreStore, error) {
	if !ReadsPast(day) {
		return s, nil
	}
	// A day after which no layer changed reads as the layers are: scoring
	// it on them keeps the run incremental (a county scored as of its
	// survey date, the demo as of 2016-12-31, re-scores only what edits
	// reach) and spares the snapshot.
	changed, err := s.changedSince(ctx, day)
	if err != nil {
		return nil, err
	}
	if !changed {
		live := *s
		d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		live.sameAsOf = &d
		return &live, nil
	}
	st, err := s.AsOf(ctx, day)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// changedSince reports whether any layer row changed after the end of day:
// a live row valid from then on, or a version closed then or later.
func (s *Store) changedSince(ctx context.Context, day time.Time) (bool, error) {
	for _, l := range s.historyLayers() {
		// Table names come from the catalogue, never from a request.
		live, hist := pgx.Identifier{l.Table}.Sanitize(), pgx.Identifier{l.Table + "_history"}.Sanitize()
		var changed bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+live+` WHERE valid_from >= ($1::date + 1)::timestamptz)
			OR EXISTS (SELECT 1 FROM `+hist+` WHERE valid_to >= ($1::date + 1)::timestamptz)`, day.Format(time.DateOnly)).Scan(&changed); err != nil {
			return false, translate(err, "layers as of "+day.Format(time.DateOnly))
		}
		if changed {
			return true, nil
		}
	}
	return false, nil
}

// ForDate returns s itself for a day from today on, else the Store of the
// layers as of day (AsOf).
func (s *Store) ForDate(ctx context.Context, day time.Time) (*Store, error) {
	if !ReadsPast(day) {
		return s, nil
	}
	return s.AsOf(ctx, day)
}
