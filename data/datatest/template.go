package datatest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/data"
)

// Migrating a fresh schema is some thirty migrations of DDL: seconds on the 2-core
// test machine, paid by every test, and loading the demo county seconds
// more. A test that has a superuser (GAPMAP_TEST_ADMIN_DATABASE_URL, which
// `make test` sets) instead gets a database of its own, cloned with CREATE
// DATABASE … TEMPLATE from a template built once: the migrated schema, or
// the migrated schema with the demo county loaded, with PostGIS, pgRouting
// and the audit trail installed as scripts/dbsetup.sh installs them.

// A templateKind is what a template holds.
type templateKind int

const (
	migrated   templateKind = iota // every migration applied
	demoLoaded                     // and the demo county loaded (NewDemo)
)

var kindNames = [...]string{migrated: "migrated", demoLoaded: "demo"}

// templateSchema is the schema the templates, and so every clone, keep
// their tables in.
const templateSchema = "t_template"

// The databases are named clonePrefix or templatePrefix and a random or
// hashed part, and commented with the Unix time they were made. A
// template is used for templateMaxAge; a database of either kind older
// than twice that was left by an earlier run (a clone dropped as its test
// ends, in the background, may outlive the binary; a template is never
// dropped by the binary that made it) and is dropped when a template is
// made.
const (
	clonePrefix    = "gapmap_tc_"
	templatePrefix = "gapmap_tpl_"
	templateMaxAge = time.Hour
)

var templates [len(kindNames)]struct {
	once sync.Once
	name string
	err  error
}

// clone returns a DB on a new database made from the template of kind,
// dropped when the test ends.
func clone(tb testing.TB, admin string, kind templateKind) *DB {
	tb.Helper()
	appURL := URL(tb)
	tpl, err := template(admin, appURL, kind)
	if err != nil {
		tb.Fatalf("test database template (%s): %v", kindNames[kind], err)
	}
	name := clonePrefix + randomHex()
	if err := createDatabase(admin, appURL, name, tpl); err != nil {
		tb.Fatalf("clone the test database template: %v", err)
	}
	// Dropping a database takes seconds (a checkpoint): the next test
	// need not wait for it.
	tb.Cleanup(func() {
		go func() { _ = adminExec(admin, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)") }()
	})
	return open(tb, appURL, name, templateSchema)
}

// template returns the name of this binary's template of kind, made by
// its first caller.
func template(admin, appURL string, kind templateKind) (string, error) {
	t := &templates[kind]
	t.once.Do(func() { t.name, t.err = makeTemplate(admin, appURL, kind) })
	return t.name, t.err
}

// makeTemplate returns the name of the template of kind for this test
// binary, making it unless a run of the same binary made it within the
// hour (the name holds the binary's hash and the hour). It is built under
// a name of its own and renamed when done, so that a clone never sees it
// half made and two binaries making the same one do not collide.
func makeTemplate(admin, appURL string, kind templateKind) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	now := time.Now()
	fmt.Fprintf(h, "|%s|%d", kindNames[kind], now.Unix()/int64(templateMaxAge/time.Second))
	name := templatePrefix + kindNames[kind] + "_" + hex.EncodeToString(h.Sum(nil))[:16]
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
		return name, err
	}
	dropStale(ctx, c, now)

	tmp := name + "_" + randomHex()[:8]
	if err := build(admin, appURL, kind, tmp); err != nil {
		_ = adminExec(admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{tmp}.Sanitize()+" WITH (FORCE)")
		return "", err
	}
	_, err = c.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tmp}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize())
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "42P04" { // another binary made it first
		_, err = c.Exec(ctx, "DROP DATABASE "+pgx.Identifier{tmp}.Sanitize())
	}
	return name, err
}

// build makes the database tmp holding the template of kind.
func build(admin, appURL string, kind templateKind, tmp string) error {
	ctx := context.Background()
	if kind == demoLoaded {
		base, err := template(admin, appURL, migrated)
		if err != nil {
			return err
		}
		if err := createDatabase(admin, appURL, tmp, base); err != nil {
			return err
		}
	} else {
		if err := createDatabase(admin, appURL, tmp, ""); err != nil {
			return err
		}
		if err := installExtensions(admin, appURL, tmp); err != nil {
			return err
		}
	}
	cfg, err := pgxpool.ParseConfig(appURL)
	if err != nil {
		return err
	}
	cfg.ConnConfig.Database = tmp
	cfg.ConnConfig.RuntimeParams["search_path"] = templateSchema + ",public"
	store, err := data.OpenConfig(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	if kind == demoLoaded {
		_, err = store.LoadDemo(Context(), Demo())
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+templateSchema)
	conn.Close(ctx)
	if err != nil {
		return err
	}
	_, err = store.Migrate(ctx)
	return err
}

// installExtensions installs PostGIS, pgRouting and the audit trail
// (data/audit.sql, a psql script) in database name as a superuser, as
// scripts/dbsetup.sh does for the test database.
func installExtensions(admin, appURL, name string) error {
	role, err := data.ConnUser(appURL)
	if err != nil {
		return err
	}
	env, err := data.ConnEnv(admin)
	if err != nil {
		return err
	}
	cmd := exec.Command("psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-v", "app="+role,
		"-c", "CREATE EXTENSION postgis", "-c", "CREATE EXTENSION pgrouting", "-f", "-")
	cmd.Env = append(append(os.Environ(), env...), "PGDATABASE="+name, "PGOPTIONS=-c client_min_messages=warning")
	cmd.Stdin = strings.NewReader(data.AuditSQL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("install the extensions and the audit trail: %w: %s", err, out)
	}
	return nil
}

// createDatabase creates database name owned by the test role, from
// template ("" : the server's default), commented with the time it was
// made (see dropStale).
func createDatabase(admin, appURL, name, template string) error {
	role, err := data.ConnUser(appURL)
	if err != nil {
		return err
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " OWNER " + pgx.Identifier{role}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	// COMMENT takes no parameter; the literal is digits.
	return adminExec(admin, sql, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS '"+strconv.FormatInt(time.Now().Unix(), 10)+"'")
}

// dropStale drops the clones and templates made more than twice
// templateMaxAge ago, by the time their comment holds. One in use (a
// template being cloned) stays, for a later run to drop.
func dropStale(ctx context.Context, c *pgx.Conn, now time.Time) {
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database d
		WHERE (starts_with(datname, $1) OR starts_with(datname, $2))
		  AND shobj_description(d.oid, 'pg_database') ~ '^[0-9]+$'
		  AND shobj_description(d.oid, 'pg_database')::bigint < $3`,
		clonePrefix, templatePrefix, now.Add(-2*templateMaxAge).Unix())
	if err != nil {
		return
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	// A template being cloned is locked: wait no longer than a moment.
	if _, err := c.Exec(ctx, "SET lock_timeout = '2s'"); err != nil {
		return
	}
	for _, name := range stale {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

// adminExec runs the statements on a connection of its own as the
// superuser.
func adminExec(admin string, sqls ...string) error {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for _, sql := range sqls {
		if _, err := c.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
