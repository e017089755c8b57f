package data

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations, so two gapmap processes starting together cannot race.
const migrationLockKey = 0x6761706d6170 // "gapmap"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. File names
// are NNNN_name.sql; a malformed name is a build mistake and panics.
func migrations() []migration {
	entries, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	out := make([]migration, 0, len(entries))
	for _, path := range entries {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic(fmt.Sprintf("migration %s: name must be NNNN_name.sql", path))
		}
		b, err := migrationFS.ReadFile(path)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out
}

func latestMigration() int {
	m := migrations()
	return m[len(m)-1].version
}

// Migrate applies every embedded migration the database lacks, each in its
// own transaction under an advisory lock, and records it in
// schema_migrations. It returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	return s.MigrateTo(ctx, latestMigration())
}

// MigrateTo is Migrate stopping after version: a database as an older
// binary left it (the restore tests make one).
func (s *Store) MigrateTo(ctx context.Context, version int) ([]int, error) {
	if err := s.checkExtensions(ctx); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, translate(err, "create schema_migrations")
	}
	var applied []int
	for _, m := range migrations() {
		if m.version > version {
			break
		}
		done, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.version)
			s.log.Info("migration applied", "version", m.version, "name", m.name)
		}
	}
	return applied, nil
}

func (s *Store) applyMigration(ctx context.Context, m migration) (bool, error) {
	var applied bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return err
		}
		applied = true
		return nil
	})
	return applied, translate(err, "migrate")
}

// checkExtensions fails early, with the package to install, when the server
// lacks PostGIS or pgRouting: otherwise the first migration would fail with
// a bare "could not open extension control file".
func (s *Store) checkExtensions(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT name FROM pg_available_extensions WHERE name IN ('postgis', 'pgrouting')`)
	if err != nil {
		return translate(err, "check extensions")
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return translate(err, "check extensions")
	}
	have := strings.Join(names, ",")
	for _, ext := range []struct{ name, pkg string }{
		{"postgis", "postgresql-15-postgis-3"},
		{"pgrouting", "postgresql-15-pgrouting"},
	} {
		if !strings.Contains(have, ext.name) {
			return planning.Errorf(planning.EUnavailable,
				"数据库服务器缺少 %s 扩展：请安装 %s（Debian: apt-get install %s），或运行 scripts/dbsetup.sh", ext.name, ext.pkg, ext.pkg)
		}
	}
	return nil
}
