package data

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// SRID is the storage CRS of every geometry column: EPSG:4490, CGCS2000
// geographic longitude/latitude, the legal standard for Chinese survey data.
// At county precision it is numerically identical to WGS84 (EPSG:4326).
const SRID = 4490

// Store is the PostGIS implementation of planning.Store.
type Store struct {
	pool     *pgxpool.Pool
	tilePool *pgxpool.Pool // read-only sessions tuned for tile queries
	// replica is the streaming standby that serves tiles and read-only
	// API reads once it has replayed what they need (WithReadReplica);
	// nil: the primary serves everything.
	replica *replica
	log     *slog.Logger
	layers  *storeLayers // the layers it serves: catalog.Default() unless WithCatalog
	// policy decides the object-level checks of writes (a township's own
	// villages, a bureau's layers and categories, lifecycle steps), made
	// under the row lock of what they change: access.Default() unless
	// WithPolicy.
	policy *access.Policy
	// asOf is the date whose layers a snapshot Store reads (AsOf); nil
	// for the live layers.
	asOf *time.Time
	// sameAsOf is the date whose layers a live Store stands for when no
	// layer changed after it (LayersOn): it reads the live tables, and its
	// runs record that date, so that the next run of the date is
	// incremental on them.
	sameAsOf *time.Time
	// snaps are the snapshot Stores made from this one and its copies.
	snaps *snapshots
}

var _ planning.Store = (*Store)(nil)

// defaultLayers is the built-in catalogue, prepared once for every Store.
var defaultLayers = newStoreLayers(catalog.Default())

// CheckURL reports whether url is a PostgreSQL connection string gapmap can
// use, without connecting.
func CheckURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return fmt.Errorf("invalid database URL: %w", err)
	}
	return nil
}

// Open returns a Store on the database at url. It does not connect: the
// pool dials on first use, so a server can start while the database is still
// coming up and answer 503 until it is reachable. maxConns bounds the main
// pool and tileConns the tile pool (0: pgx's default), so that tiles and
// everything else each have connections the other cannot take.
func Open(url string, maxConns, tileConns int32, log *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	return openConfig(cfg, tileConns, log)
}

// OpenConfig is Open with a parsed pool configuration (tests use it to pin
// a search_path); the tile pool is as large as the main pool.
func OpenConfig(cfg *pgxpool.Config, log *slog.Logger) (*Store, error) {
	return openConfig(cfg, cfg.MaxConns, log)
}

func openConfig(cfg *pgxpool.Config, tileConns int32, log *slog.Logger) (*Store, error) {
	// JIT compiles the scoring query's many lateral joins for ~2 s to save
	// milliseconds: gapmap's queries are index-bound, so it is off.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	// Imports stage rows in temporary tables, which live in session-local
	// buffers (8 MB by default, and settable only before a session's first
	// temporary table): with more, a county's file stays in memory. The
	// memory is taken only by sessions that use it.
	if _, set := cfg.ConnConfig.RuntimeParams["temp_buffers"]; !set {
		cfg.ConnConfig.RuntimeParams["temp_buffers"] = "256MB"
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	tilePool, err := newTilePool(cfg, tileConns)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("create tile pool: %w", err)
	}
	return &Store{pool: pool, tilePool: tilePool, log: log, layers: defaultLayers, policy: access.Default(),
		snaps: newSnapshots()}, nil
}

// Close closes every connection of both pools.
func (s *Store) Close() {
	s.closeSnapshots()
	s.pool.Close()
	s.tilePool.Close()
	if s.replica != nil {
		s.replica.tile.Close()
		s.replica.read.Close()
		s.replica.check.Close()
	}
}

// ConnsInUse is how many connections of the main pool and of the tile
// pool are acquired now (by a query, a transaction or a stream).
func (s *Store) ConnsInUse() (main, tile int) {
	return int(s.pool.Stat().AcquiredConns()), int(s.tilePool.Stat().AcquiredConns())
}

// Target names the database the store talks to (host:port/db), for messages.
func (s *Store) Target() string {
	return target(s.pool.Config().ConnConfig)
}

// target names the database c connects to (host:port/db), for messages.
func target(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Ping reports whether the database is reachable and carries every embedded
// migration. Errors are *planning.Error with code EUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	var applied int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		if isUndefinedTable(err) {
			return planning.Errorf(planning.EUnavailable, "数据库尚未初始化（未执行迁移）")
		}
		return translate(err, "ping")
	}
	if want := latestMigration(); applied < want {
		return planning.Errorf(planning.EUnavailable, "数据库结构版本 %d 低于程序需要的 %d，请运行 gapmap migrate", applied, want)
	}
	return nil
}

// WithPolicy returns a copy of s that decides writes by p.
func (s *Store) WithPolicy(p *access.Policy) *Store {
	out := *s
	out.policy = p
	return &out
}

// allow asks the policy whether the context's principal may take action a
// on obj.
func (s *Store) allow(ctx context.Context, a access.Action, obj access.Object) error {
	p, ok := access.From(ctx)
	if !ok || p.Login == "" {
		return errNoActor
	}
	return s.policy.Allow(p, a, obj)
}
