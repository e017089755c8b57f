//go:build faults

package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBin is where Debian's postgresql-15 package puts initdb and pg_ctl.
const pgBin = "/usr/lib/postgresql/15/bin"

// cluster is a private PostgreSQL instance in a temporary directory, on a
// port of its own, so that the suite may stop and kill it without
// touching the shared test server.
type cluster struct {
	dir, log string
	port     int
	asUser   []string // runuser prefix when running as root, else empty
}

// startCluster initdb's a cluster, starts it and creates the gapmap role
// and database with PostGIS, pgRouting and the audit schema, as
// scripts/dbsetup.sh does for the shared one. It is stopped and removed
// at the end of the test.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	for _, b := range []string{"initdb", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(pgBin, b)); err != nil {
			t.Fatalf("the fault suite needs %s/%s (Debian postgresql-15; scripts/testdeps.sh installs it): %v", pgBin, b, err)
		}
	}
	base, err := os.MkdirTemp("", "gapmap-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: filepath.Join(base, "data"), log: filepath.Join(base, "pg.log"), port: freePort(t, 55432)}
	if os.Geteuid() == 0 {
		// initdb refuses root: the cluster belongs to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres OS user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	t.Cleanup(func() {
		c.ctl(t, "stop", "-m", "immediate")
		os.RemoveAll(base)
	})
	c.run(t, filepath.Join(pgBin, "initdb"), "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	c.ctl(t, "start")
	c.psql(t, "postgres", "-c", "CREATE ROLE gapmap LOGIN PASSWORD 'gapmap'", "-c", "CREATE DATABASE gapmap OWNER gapmap")
	c.psql(t, "gapmap", "-c", "CREATE EXTENSION postgis", "-c", "CREATE EXTENSION pgrouting")
	c.psql(t, "gapmap", "-v", "app=gapmap", "-f", "../../../data/audit.sql")
	return c
}

// URL is gapmap's connection string for the cluster.
func (c *cluster) URL() string {
	return fmt.Sprintf("postgres://gapmap:gapmap@127.0.0.1:%d/gapmap?sslmode=disable", c.port)
}

// ctl runs pg_ctl start|stop|restart on the cluster and waits for it.
func (c *cluster) ctl(t *testing.T, args ...string) {
	t.Helper()
	full := append([]string{args[0], "-D", c.dir, "-w", "-t", "60", "-l", c.log,
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=128MB", c.port, filepath.Dir(c.dir))},
		args[1:]...)
	if args[0] == "stop" {
		full = append([]string{"stop", "-D", c.dir, "-w", "-t", "60"}, args[1:]...)
	}
	c.run(t, filepath.Join(pgBin, "pg_ctl"), full...)
}

func (c *cluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	argv := append(append([]string{}, c.asUser...), append([]string{name}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/" // the postgres user may not read the test's directory
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.log)
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// psql runs psql as the superuser on database db.
func (c *cluster) psql(t *testing.T, db string, args ...string) {
	t.Helper()
	argv := append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", db}, args...)
	cmd := exec.Command("psql", argv...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// super opens a superuser connection to the gapmap database: the suite's
// own eyes, independent of gapmap's code.
func (c *cluster) super(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/gapmap?sslmode=disable", c.port))
	if err != nil {
		t.Fatalf("superuser connection: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// freePort returns the first port from want on that nothing listens on.
func freePort(t *testing.T, want int) int {
	t.Helper()
	for p := want; p < want+100; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatalf("no free port from %d", want)
	return 0
}

// snapshot is the state of the database the invariants compare: a
// checksum and row count per table, and the schema's indexes and
// triggers.
type snapshot struct {
	tables   map[string]string // schema.table → "rows:md5"
	indexes  []string          // schema.index, valid and ready
	invalid  []string          // indexes not valid or not ready
	triggers []string          // table.trigger
}

// volatile are the tables a request changes by itself (a login's session,
// its last use): left out of the checksums, whatever the faults do. So are
// UNLOGGED tables (the tile server's store of rendered tiles, migrations
// 0034 and 0037): caches by design, written by reads and emptied by
// PostgreSQL's crash recovery.
var volatile = map[string]bool{"public.sessions": true, "public.login_attempts": true}

// takeSnapshot checksums every table of gapmap's schemas with its own
// SQL: the md5 of the sorted md5s of its rows' text, so that neither a
// key nor the physical order matters.
func takeSnapshot(t *testing.T, conn *pgx.Conn) snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rows, err := conn.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 'u' AND n.nspname IN ('public', 'gapmap_audit') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var n [2]string
		err := r.Scan(&n[0], &n[1])
		return n, err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{tables: map[string]string{}}
	for _, n := range names {
		key := n[0] + "." + n[1]
		if volatile[key] || n[1] == "spatial_ref_sys" {
			continue
		}
		var count int64
		var sum string
		q := `SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) FROM (SELECT md5(t::text) AS h FROM ` +
			pgx.Identifier{n[0], n[1]}.Sanitize() + ` t) x`
		if err := conn.QueryRow(ctx, q).Scan(&count, &sum); err != nil {
			t.Fatalf("checksum %s: %v", key, err)
		}
		s.tables[key] = fmt.Sprintf("%d:%s", count, sum)
	}
	if s.indexes, err = strings1(ctx, conn, `SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'gapmap_audit') AND i.indisvalid AND i.indisready ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if s.invalid, err = strings1(ctx, conn, `SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'gapmap_audit') AND NOT (i.indisvalid AND i.indisready) ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if s.triggers, err = strings1(ctx, conn, `SELECT tgrelid::regclass::text || '.' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'gapmap_audit') AND NOT t.tgisinternal AND t.tgenabled <> 'D' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return s
}

func strings1(ctx context.Context, conn *pgx.Conn, q string) ([]string, error) {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// diff lists the tables whose checksums differ between a and b.
func (a snapshot) diff(b snapshot) []string {
	var out []string
	for k, v := range a.tables {
		if b.tables[k] != v {
			out = append(out, k)
		}
	}
	for k := range b.tables {
		if _, ok := a.tables[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// structureProblems names what differs in the schema's indexes and
// triggers between a (before) and b (after), and any invalid index.
func (a snapshot) structureProblems(b snapshot) []string {
	var out []string
	if len(b.invalid) > 0 {
		out = append(out, "invalid indexes: "+strings.Join(b.invalid, ", "))
	}
	if strings.Join(a.indexes, ",") != strings.Join(b.indexes, ",") {
		out = append(out, fmt.Sprintf("indexes changed: %d before, %d after", len(a.indexes), len(b.indexes)))
	}
	if strings.Join(a.triggers, ",") != strings.Join(b.triggers, ",") {
		out = append(out, fmt.Sprintf("triggers changed: %d before, %d after", len(a.triggers), len(b.triggers)))
	}
	if len(b.triggers) == 0 {
		out = append(out, "no triggers")
	}
	return out
}
