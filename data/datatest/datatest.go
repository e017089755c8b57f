// Package datatest gives integration tests a migrated, private PostGIS
// database or schema (see New). It reads GAPMAP_TEST_DATABASE_URL; when
// that is unset the test is skipped on a developer machine but fails when
// CI is set, so CI cannot go green by skipping.
package datatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning/access"
)

// DB is a test database: a Store and a raw pool on the same private schema.
type DB struct {
	Store  *data.Store
	Pool   *pgxpool.Pool // for assertions and deliberately bad rows
	Schema string
	URL    string // a connection URL whose search_path is the schema
	// RoundTrips counts what Store sends (not Pool).
	RoundTrips *RoundTrips
}

// URL returns the test database URL, skipping or failing tb when unset.
func URL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("GAPMAP_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("GAPMAP_TEST_DATABASE_URL is not set but CI is: integration tests must run against PostGIS (use `make test`)")
		}
		tb.Skip("GAPMAP_TEST_DATABASE_URL not set; run `make test` for integration tests")
	}
	return url
}

// New returns a DB with every migration applied, of the test's own: a
// database cloned from a migrated template (see clone) when
// GAPMAP_TEST_ADMIN_DATABASE_URL names a superuser, else a fresh schema
// t_<random> of the shared test database. Either is dropped when the test
// ends.
func New(tb testing.TB) *DB {
	tb.Helper()
	if admin := os.Getenv("GAPMAP_TEST_ADMIN_DATABASE_URL"); admin != "" {
		return clone(tb, admin, migrated)
	}
	return newSchema(tb)
}

// NewDemo returns a DB with the demo county loaded.
func NewDemo(tb testing.TB) *DB {
	tb.Helper()
	if admin := os.Getenv("GAPMAP_TEST_ADMIN_DATABASE_URL"); admin != "" {
		return clone(tb, admin, demoLoaded)
	}
	db := newSchema(tb)
	if _, err := db.Store.LoadDemo(Context(), Demo()); err != nil {
		tb.Fatalf("load demo: %v", err)
	}
	return db
}

// newSchema makes a schema t_<random> in the test database and migrates
// it; the schema is dropped when the test ends.
func newSchema(tb testing.TB) *DB {
	tb.Helper()
	dbURL := URL(tb)
	ctx := context.Background()

	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		tb.Fatalf("connect to test database: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		// The schemas of the layers as of past dates (data.Store.AsOf)
		// are the test's too.
		rows, err := c.Query(context.Background(), "SELECT schema_name FROM "+pgx.Identifier{schema, "layer_snapshots"}.Sanitize())
		if err == nil {
			snaps, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				tb.Errorf("list snapshots of %s: %v", schema, err)
			}
			for _, s := range snaps {
				if _, err := c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
					tb.Errorf("drop snapshot schema %s: %v", s, err)
				}
			}
		}
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	db := open(tb, dbURL, "", schema)
	if _, err := db.Store.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}

// open returns a DB on schema of database (the one of dbURL when "")
// on dbURL's server, closed when the test ends.
func open(tb testing.TB, dbURL, database, schema string) *DB {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		tb.Fatalf("parse GAPMAP_TEST_DATABASE_URL: %v", err)
	}
	if database != "" {
		cfg.ConnConfig.Database = database
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	cfg.MaxConns = 4
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		// GAPMAP_TEST_LOG=debug shows the stores' step timings (e.g. of a
		// benchmark run by hand); warnings otherwise.
		level := slog.LevelWarn
		if os.Getenv("GAPMAP_TEST_LOG") == "debug" {
			level = slog.LevelDebug
		}
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	storeCfg := cfg.Copy()
	trips := &RoundTrips{}
	storeCfg.ConnConfig.Tracer = trips
	store, err := data.OpenConfig(storeCfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(store.Close)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return &DB{Store: store, Pool: pool, Schema: schema, URL: withSearchPath(cfg, schema), RoundTrips: trips}
}

// RoundTrips counts the statements and batches the store sends, for
// benchmarks to report beside their time: on a machine shared with other
// work the time varies twofold from run to run, the count not at all.
type RoundTrips struct{ n atomic.Int64 }

// N is the count so far.
func (r *RoundTrips) N() int64 { return r.n.Load() }

func (r *RoundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (r *RoundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *RoundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (r *RoundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (r *RoundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// withSearchPath renders a URL that pins the schema, for code under test
// that opens its own connections (the gapmap binary's run).
func withSearchPath(cfg *pgxpool.Config, schema string) string {
	c := cfg.ConnConfig
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(c.User, c.Password),
		Host:     net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))),
		Path:     "/" + c.Database,
		RawQuery: url.Values{"sslmode": {"disable"}, "search_path": {schema + ",public"}}.Encode(),
	}
	return u.String()
}

var (
	demoOnce   sync.Once
	demoCounty *demo.County
)

// Demo returns the generated demo county, generated once per test binary.
func Demo() *demo.County {
	demoOnce.Do(func() { demoCounty = demo.Generate() })
	return demoCounty
}

// ExecOn runs sql in one transaction whose layer changes take effect on
// date, a YYYY-MM-DD day (data.SetEffective, as an import's 数据日期 or a
// completion date would date them), and commits it.
func (db *DB) ExecOn(date, sql string, args ...any) error {
	ctx := Context()
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := data.SetEffective(ctx, tx, date); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql, args...)
		return err
	})
}

// Context returns a context whose principal is the command line's "test"
// user: every write in package data needs someone to record in the audit
// trail, and the command line's user may do anything.
func Context() context.Context {
	return access.WithPrincipal(context.Background(), access.CLI("test"))
}
