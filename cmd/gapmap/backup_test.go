package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// testAdminURL is a superuser's URL on the test server:
// GAPMAP_TEST_ADMIN_DATABASE_URL (make test sets it), else the test URL
// with the user postgres and no password (a server trusting local TCP).
// Without one the test fails under CI, and is skipped otherwise.
func testAdminURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GAPMAP_TEST_ADMIN_DATABASE_URL")
	if u == "" {
		pu, err := url.Parse(datatest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		pu.User = url.User("postgres")
		u = pu.String()
	}
	c, err := pgx.Connect(context.Background(), u)
	if err == nil {
		var super bool
		err = c.QueryRow(context.Background(), `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super)
		c.Close(context.Background())
		if err == nil && !super {
			err = fmt.Errorf("%s is not a superuser", u)
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no superuser connection for the backup tests (set GAPMAP_TEST_ADMIN_DATABASE_URL): %v", err)
		}
		t.Skipf("no superuser connection (set GAPMAP_TEST_ADMIN_DATABASE_URL): %v", err)
	}
	return u
}

// withDatabase returns u pointing at database name.
func withDatabase(t *testing.T, u, name string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pu.Path = "/" + name
	q := pu.Query()
	q.Del("search_path")
	pu.RawQuery = q.Encode()
	return pu.String()
}

// newDatabase creates an empty database owned by the test role, dropped
// when the test ends, and returns the test role's URL for it. With
// prepared, a superuser then installs the extensions and the audit trail,
// as scripts/dbsetup.sh does.
func newDatabase(t *testing.T, admin string, prepared bool) string {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gapmap_bk_" + hex.EncodeToString(b[:])
	appURL := withDatabase(t, datatest.URL(t), name)
	role, err := data.ConnUser(appURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	if prepared {
		env, err := data.ConnEnv(withDatabase(t, admin, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pgTool(ctx, env, strings.NewReader(data.AuditSQL), "psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-v", "app="+role,
			"-c", "CREATE EXTENSION postgis", "-c", "CREATE EXTENSION pgrouting", "-f", "-"); err != nil {
			t.Fatal(err)
		}
	}
	return appURL
}

// checksums is the oracle of a restore, written apart from it: for every
// table of every schema (from the catalog, system schemas aside) its row
// count and the md5 of its rows as text in sorted order, and for every
// sequence its state.
func checksums(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	type rel struct{ schema, name, kind string }
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		return x, r.Scan(&x.schema, &x.name, &x.kind)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rels {
		id := pgx.Identifier{r.schema, r.name}.Sanitize()
		q := `SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM ` + id + ` t`
		if r.kind == "S" {
			q = `SELECT last_value || ' ' || is_called FROM ` + id
		}
		var sum string
		if err := c.QueryRow(ctx, q).Scan(&sum); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out[r.schema+"."+r.name] = sum
	}
	return out
}

// TestBackupRestoreRoundTrip backs up the demo county with a project, a
// ledger entry and audited writes, restores it into a bare new database,
// and compares every table and sequence, and the audit chain.
func TestBackupRestoreRoundTrip(t *testing.T) {
	admin := testAdminURL(t)
	ctx := datatest.Context()
	src := newDatabase(t, admin, true)
	srcEnv := urlEnv(src)
	if err := run(ctx, []string{"demo", "--load-only"}, srcEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	store, err := data.Open(src, 2, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	vs, err := store.Villages(ctx, planning.VillageFilter{PoorOnly: true, Limit: 1})
	if err != nil || len(vs.Villages) == 0 {
		t.Fatalf("a poor village: %v", err)
	}
	v := vs.Villages[0]
	p, err := store.CreateProject(ctx, planning.Project{Name: "备份测试村道硬化", Category: "基础设施-道路", Subtype: "通村硬化路", Nature: "新建",
		VillageCode: v.Code, Content: "硬化 1.2 公里", Quantity: 1.2, Unit: "公里", UnitPriceWan: 50, CostWan: 60,
		Funding: []planning.Funding{{Source: "中央财政专项扶贫资金", AmountWan: 60}}, Year: 2017,
		Targets:  []planning.Target{{Level1: "产出指标", Level3: "硬化里程", Value: "1.2 公里"}},
		Geometry: v.Office})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"村级申报", "乡镇审核", "县级论证", "县级审定", "已入库", "纳入年度计划"} {
		if _, err := store.Transition(ctx, p.ID, st, ""); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	if err := run(ctx, []string{"funds", "entry", "--project", fmt.Sprint(p.ID), "--kind", "下达", "--source", "central",
		"--amount", "60", "--date", "2017-03-01", "--doc-no", "临财农〔2017〕8号"}, srcEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	dump := t.TempDir() + "/gapmap.dump"
	var out bytes.Buffer
	if err := run(ctx, []string{"backup", "--out", dump}, srcEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("数据库结构版本 %d", data.LatestMigration()); !strings.Contains(out.String(), want) {
		t.Errorf("backup says %q, want %q", out.String(), want)
	}
	if st, err := os.Stat(dump); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the dump should be private: %v %v", st.Mode(), err)
	}

	dst := newDatabase(t, admin, false) // a bare CREATE DATABASE: no extensions, no audit schema
	dstEnv := urlEnv(dst)
	// A dump cut short in its last table's rows fails half-way through the
	// restore's script: the transaction rolls back, the database stays bare.
	whole, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	cut := t.TempDir() + "/cut.dump"
	if err := os.WriteFile(cut, whole[:len(whole)-2000], 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"restore", "--file", cut, "--admin-url", asAdmin(t, admin, dst)}, dstEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "事务已回滚") {
		t.Errorf("restore of a cut dump: %v", err)
	}
	if got := checksums(t, asAdmin(t, admin, dst)); len(got) != 0 {
		t.Fatalf("the failed restore left %d relations behind", len(got))
	}
	// The application's role alone cannot restore the audit trail.
	err = run(ctx, []string{"restore", "--file", dump}, dstEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "恢复需要以超级用户连接目标数据库") {
		t.Fatalf("restore without a superuser: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "--file", dump, "--admin-url", asAdmin(t, admin, dst)}, dstEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "哈希链完整") {
		t.Errorf("restore output lacks the verified chain:\n%s", out.String())
	}

	want, got := checksums(t, asAdmin(t, admin, src)), checksums(t, asAdmin(t, admin, dst))
	for _, must := range []string{"public.projects", "public.fund_entries", "public.villages", "public.scoring_runs", "public.users",
		"gapmap_audit.entries", "gapmap_audit.heads", "public.schema_migrations"} {
		if strings.HasPrefix(want[must], "0 ") || want[must] == "" {
			t.Errorf("the source's %s is empty or missing (%q): the comparison would prove nothing", must, want[must])
		}
	}
	if len(want) < 40 {
		t.Errorf("only %d relations compared", len(want))
	}
	for rel, sum := range want {
		if got[rel] != sum {
			t.Errorf("%s: restored %q, backed up %q", rel, got[rel], sum)
		}
	}
	for rel := range got {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s: restored but not in the source", rel)
		}
	}
	// The restored database is the application's: it can write, and the
	// new entry continues the restored chain.
	out.Reset()
	if err := run(ctx, []string{"funds", "entry", "--project", fmt.Sprint(p.ID), "--kind", "到位", "--source", "central",
		"--amount", "20", "--date", "2017-04-01"}, dstEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"audit", "verify"}, dstEnv, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}

	// A second restore into the now full database is refused.
	err = run(ctx, []string{"restore", "--file", dump, "--admin-url", asAdmin(t, admin, dst)}, dstEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "不是空库") {
		t.Errorf("restore into a full database: %v", err)
	}
}

// TestRestoreRefusesNewerDump refuses a dump whose schema is newer than the
// binary's migrations, before writing anything.
func TestRestoreRefusesNewerDump(t *testing.T) {
	admin := testAdminURL(t)
	ctx := datatest.Context()
	src := newDatabase(t, admin, true)
	srcEnv := urlEnv(src)
	if err := run(ctx, []string{"migrate"}, srcEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	store, err := data.Open(src, 1, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	newer := data.LatestMigration() + 1
	c, err := pgx.Connect(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')`, newer); err != nil {
		t.Fatal(err)
	}
	dump := t.TempDir() + "/newer.dump"
	if err := run(ctx, []string{"backup", "--out", dump}, srcEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	dst := newDatabase(t, admin, false)
	dstEnv := urlEnv(dst)
	err = run(ctx, []string{"restore", "--file", dump, "--admin-url", asAdmin(t, admin, dst)}, dstEnv, io.Discard, io.Discard)
	if want := fmt.Sprintf("数据库结构版本为 %d，高于本程序的 %d", newer, data.LatestMigration()); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("restore of a newer dump: %v, want %q", err, want)
	}
	got := checksums(t, asAdmin(t, admin, dst))
	if len(got) != 0 {
		t.Errorf("the refused restore wrote %d relations", len(got))
	}
}

// asAdmin is the superuser's URL admin for the database of appURL.
func asAdmin(t *testing.T, admin, appURL string) string {
	t.Helper()
	pu, err := url.Parse(appURL)
	if err != nil {
		t.Fatal(err)
	}
	return withDatabase(t, admin, strings.TrimPrefix(pu.Path, "/"))
}

// TestRestoreMigratesOlderDump restores a dump an older binary wrote (the
// schema one migration behind) and brings it to this binary's version.
func TestRestoreMigratesOlderDump(t *testing.T) {
	admin := testAdminURL(t)
	ctx := datatest.Context()
	src := newDatabase(t, admin, true)
	store, err := data.Open(src, 1, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.MigrateTo(ctx, data.LatestMigration()-1); err != nil {
		t.Fatal(err)
	}
	// Migration numbers have gaps (unused ones): the older schema is the
	// highest migration applied below the latest.
	older, err := store.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if older == 0 || older >= data.LatestMigration() {
		t.Fatalf("migrated below %d, the schema is at %d", data.LatestMigration(), older)
	}
	dump := t.TempDir() + "/older.dump"
	var out bytes.Buffer
	if err := run(ctx, []string{"backup", "--out", dump}, urlEnv(src), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("数据库结构版本 %d", older); !strings.Contains(out.String(), want) {
		t.Fatalf("backup says %q, want %q", out.String(), want)
	}
	dst := newDatabase(t, admin, false)
	out.Reset()
	if err := run(ctx, []string{"restore", "--file", dump, "--admin-url", asAdmin(t, admin, dst)}, urlEnv(dst), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("之后执行迁移 [%d]", data.LatestMigration()); !strings.Contains(out.String(), want) {
		t.Errorf("restore says %q, want %q", out.String(), want)
	}
	restored, err := data.Open(dst, 1, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if v, err := restored.SchemaVersion(ctx); err != nil || v != data.LatestMigration() {
		t.Errorf("restored schema version %d (%v), want %d", v, err, data.LatestMigration())
	}
	if err := restored.Ping(ctx); err != nil {
		t.Errorf("the restored database is not ready: %v", err)
	}
}
