package data

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

// LatestMigration is the schema version this binary's embedded migrations
// bring a database to.
func LatestMigration() int { return latestMigration() }

// SchemaVersion is the highest migration applied to the store's schema,
// 0 when none is. Backups record it so a restore can refuse a dump newer
// than its binary.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if isUndefinedTable(err) {
		return 0, nil
	}
	return v, translate(err, "schema version")
}

// UserTables lists (as schema.table) the tables of the database that an
// extension did not create, outside the system schemas and the audit
// trail, and the audit trail's chains if it holds any entries: a database
// a restore may fill is one where both are empty.
func (s *Store) UserTables(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'gapmap_audit')
		  AND n.nspname NOT LIKE 'pg\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 1`)
	if err != nil {
		return nil, translate(err, "list tables")
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "list tables")
	}
	var installed bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('gapmap_audit.heads') IS NOT NULL`).Scan(&installed); err != nil {
		return nil, translate(err, "list tables")
	}
	if installed {
		rows, err := s.pool.Query(ctx, `SELECT 'gapmap_audit.entries（' || chain || '）' FROM gapmap_audit.heads ORDER BY chain`)
		if err != nil {
			return nil, translate(err, "list audit chains")
		}
		chains, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, translate(err, "list audit chains")
		}
		tables = append(tables, chains...)
	}
	return tables, nil
}

// ConnEnv returns the libpq environment (PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE, PGSSLMODE) that points pg_dump, pg_restore and
// psql at the database of a gapmap URL. The URL itself cannot be passed
// to them: it may carry pgx-only settings (search_path, pool_max_conns),
// and a password in argv is visible to every local user.
func ConnEnv(dbURL string) ([]string, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, planning.Errorf(planning.EInvalid, "数据库地址无效：%v", err)
	}
	env := []string{
		"PGHOST=" + cfg.Host,
		"PGPORT=" + strconv.Itoa(int(cfg.Port)),
		"PGUSER=" + cfg.User,
		"PGPASSWORD=" + cfg.Password,
		"PGDATABASE=" + cfg.Database,
	}
	// pgx keeps sslmode only as a TLS config; libpq's own default is
	// "prefer", as pgx's is.
	if u, err := url.Parse(dbURL); err == nil && u.Query().Get("sslmode") != "" {
		env = append(env, "PGSSLMODE="+u.Query().Get("sslmode"))
	} else if cfg.TLSConfig == nil {
		env = append(env, "PGSSLMODE=disable")
	}
	return env, nil
}

// ConnUser is the role a gapmap URL connects as.
func ConnUser(dbURL string) (string, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return "", planning.Errorf(planning.EInvalid, "数据库地址无效：%v", err)
	}
	if cfg.User == "" {
		return "", fmt.Errorf("database URL names no user")
	}
	return cfg.User, nil
}
