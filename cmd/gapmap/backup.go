package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/planning"
)

// backupOptions are the flags of `gapmap backup`.
type backupOptions struct {
	Out string // the dump, pg_dump's custom format
}

func backupFlags(fs *flag.FlagSet, o *backupOptions) func() error {
	fs.StringVar(&o.Out, "out", "", "the backup file to write (pg_dump custom format, e.g. gapmap-2026-12-01.dump)")
	return func() error {
		if o.Out == "" {
			return errors.New("--out is required")
		}
		return nil
	}
}

// backup runs `gapmap backup`: pg_dump of the whole database (the
// application's schemas, the audit trail and the extensions' own rows) in
// custom format. The migrations' version travels in the dump as the
// schema_migrations table, which restore reads before it writes anything.
func backup(ctx context.Context, a app, o backupOptions) error {
	version, err := a.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if version == 0 {
		return planning.Errorf(planning.EConflict, "数据库 %s 尚未初始化（未执行迁移），没有可备份的 gapmap 数据", a.store.Target())
	}
	trail, err := a.store.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	env, err := data.ConnEnv(a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	// The dump holds password hashes and the audit trail: it is written
	// private (CreateTemp's 0600) and appears under its name only when
	// pg_dump has finished.
	f, err := os.CreateTemp(filepath.Dir(o.Out), ".gapmap-backup-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	if err := f.Close(); err != nil {
		return err
	}
	if _, err := pgTool(ctx, env, nil, "pg_dump", "--format=custom", "--no-password", "--file="+tmp); err != nil {
		return fmt.Errorf("备份失败：%w", err)
	}
	if err := os.Rename(tmp, o.Out); err != nil {
		return err
	}
	st, err := os.Stat(o.Out)
	if err != nil {
		return err
	}
	state := "哈希链完整"
	if !trail.OK {
		state = fmt.Sprintf("哈希链校验未通过（%d 处问题，见 gapmap audit verify），已照原样备份", len(trail.Problems))
	}
	fmt.Fprintf(a.stdout, "备份完成：%s（%.1f MB），数据库结构版本 %d；审计日志（%s）%d 条，%s，链尾哈希 %s\n",
		o.Out, float64(st.Size())/(1<<20), version, trail.Chain, trail.Entries, state, trail.Head)
	return nil
}

// restoreOptions are the flags of `gapmap restore`.
type restoreOptions struct {
	File     string // a dump written by gapmap backup
	AdminURL string // a superuser's connection to the same database; "" : DATABASE_URL
}

func restoreFlags(fs *flag.FlagSet, o *restoreOptions) func() error {
	fs.StringVar(&o.File, "file", "", "the backup file (written by gapmap backup)")
	fs.StringVar(&o.AdminURL, "admin-url", "", "a superuser's URL for the same database (default DATABASE_URL): the audit trail and the extensions need one")
	return func() error {
		if o.File == "" {
			return errors.New("--file is required")
		}
		return nil
	}
}

// restore runs `gapmap restore`: it loads a backup into an empty database
// (as scripts/dbsetup.sh leaves it, or a bare CREATE DATABASE) in one
// transaction, then migrates it forward. In order:
//   - a dump whose schema version is newer than this binary's migrations is
//     refused, before anything is written;
//   - a database that holds tables or audit entries is refused;
//   - in one psql transaction on the superuser's connection: the
//     extensions and the audit schema (data/audit.sql, owned by the NOLOGIN
//     role gapmap_audit, exactly as a fresh install makes it); the
//     application's objects and rows as the application's role, so that it
//     owns them as it owns what its migrations create; then, as the
//     superuser, the audit trail's rows (the application's role may only
//     append to it) and the extensions' own rows;
//   - the migrations the dump lacks, and the audit trail's hash chain.
func restore(ctx context.Context, a app, o restoreOptions) error {
	version, err := dumpVersion(ctx, o.File)
	if err != nil {
		return err
	}
	if latest := data.LatestMigration(); version > latest {
		return planning.Errorf(planning.EConflict,
			"备份 %s 的数据库结构版本为 %d，高于本程序的 %d：请用不低于生成该备份的 gapmap 版本恢复，未写入任何数据", o.File, version, latest)
	}
	tables, err := a.store.UserTables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return planning.Errorf(planning.EConflict,
			"目标数据库 %s 不是空库（已有 %d 个表或审计记录，如 %s）：请恢复到新建的空数据库，未写入任何数据", a.store.Target(), len(tables), tables[0])
	}
	appEnv, err := data.ConnEnv(a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	appRole, err := data.ConnUser(a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	adminURL := o.AdminURL
	if adminURL == "" {
		adminURL = a.cfg.DatabaseURL
	}
	adminEnv, err := data.ConnEnv(adminURL)
	if err != nil {
		return err
	}
	if !sameDatabase(appEnv, adminEnv) {
		return planning.Errorf(planning.EInvalid, "--admin-url 指向的数据库与 DATABASE_URL 不同，请指向同一个数据库")
	}
	super, err := pgTool(ctx, adminEnv, nil, "psql", "-XAtq", "-c", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
	if err != nil {
		return err
	}
	if strings.TrimSpace(super) != "t" {
		return planning.Errorf(planning.EForbidden,
			"恢复需要以超级用户连接目标数据库（--admin-url）：审计日志属于 gapmap_audit 角色，应用角色不能写入；PostGIS 扩展也只能由超级用户创建。未写入任何数据")
	}
	toc, err := pgTool(ctx, nil, nil, "pg_restore", "--list", o.File)
	if err != nil {
		return fmt.Errorf("无法读取备份文件 %s：%w", o.File, err)
	}
	appList, superList := splitTOC(toc)
	dir, err := os.MkdirTemp("", "gapmap-restore-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	appPath, superPath := filepath.Join(dir, "app.list"), filepath.Join(dir, "superuser.list")
	if err := errors.Join(os.WriteFile(appPath, []byte(appList), 0o600), os.WriteFile(superPath, []byte(superList), 0o600)); err != nil {
		return err
	}
	script := func(w io.Writer) error {
		if _, err := io.WriteString(w, "BEGIN;\nCREATE EXTENSION IF NOT EXISTS postgis;\nCREATE EXTENSION IF NOT EXISTS pgrouting;\n"+data.AuditSQL+"\n"); err != nil {
			return err
		}
		if err := pgToolTo(ctx, w, "pg_restore", "--no-owner", "--role="+appRole, "--use-list="+appPath, "--file=-", o.File); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\nRESET ROLE;\n"); err != nil {
			return err
		}
		if err := pgToolTo(ctx, w, "pg_restore", "--data-only", "--use-list="+superPath, "--file=-", o.File); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\nCOMMIT;\n")
		return err
	}
	// One transaction, committed only by the script's last line: a script
	// that fails half-way (a truncated dump) ends psql's input without it,
	// and the server rolls back what psql sent. (psql --single-transaction
	// would commit at the end of its input, whole or not.)
	pr, pw := io.Pipe()
	scriptDone := make(chan error, 1)
	go func() {
		err := script(pw)
		pw.CloseWithError(err)
		scriptDone <- err
	}()
	_, psqlErr := pgTool(ctx, adminEnv, pr, "psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-v", "app="+appRole,
		"--output=/dev/null", "--file=-")
	pr.CloseWithError(errors.New("psql has ended")) // unblocks the script if psql stopped reading
	scriptErr := <-scriptDone
	switch {
	case psqlErr != nil:
		return fmt.Errorf("恢复失败，事务已回滚，未写入任何数据：%w", psqlErr)
	case scriptErr != nil:
		return fmt.Errorf("恢复失败，事务已回滚，未写入任何数据：读取备份文件 %s 出错：%w", o.File, scriptErr)
	}
	applied, err := a.store.Migrate(ctx)
	if err != nil {
		return migrateError(a.store, err)
	}
	migrated := "结构已是最新"
	if len(applied) > 0 {
		migrated = fmt.Sprintf("之后执行迁移 %v", applied)
	}
	fmt.Fprintf(a.stdout, "恢复完成：%s（结构版本 %d）已恢复到 %s，%s\n", o.File, version, a.store.Target(), migrated)
	return auditVerify(ctx, a)
}

// dumpVersion reads the highest migration recorded in a dump's
// schema_migrations rows, without restoring anything.
func dumpVersion(ctx context.Context, file string) (int, error) {
	if _, err := os.Stat(file); err != nil {
		return 0, planning.Errorf(planning.EInvalid, "无法读取备份文件 %s：%v", file, err)
	}
	out, err := pgTool(ctx, nil, nil, "pg_restore", "--data-only", "--table=schema_migrations", "--file=-", file)
	if err != nil {
		return 0, planning.Errorf(planning.EInvalid, "无法读取备份文件 %s（应为 gapmap backup 写的 pg_dump 自定义格式）：%v", file, err)
	}
	version, found, inCopy := 0, false, false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "COPY ") && strings.Contains(line, "schema_migrations"):
			inCopy, found = true, true
		case line == `\.`:
			inCopy = false
		case inCopy:
			first, _, _ := strings.Cut(line, "\t")
			v, err := strconv.Atoi(first)
			if err != nil {
				return 0, planning.Errorf(planning.EInvalid, "备份文件 %s 的 schema_migrations 有无法识别的版本 %q", file, first)
			}
			version = max(version, v)
		}
	}
	if !found {
		return 0, planning.Errorf(planning.EInvalid, "备份文件 %s 中没有 schema_migrations 表：不是 gapmap 的备份", file)
	}
	return version, nil
}

// splitTOC divides a dump's table of contents (pg_restore --list) into
// what the application's role restores and what only a superuser may: the
// rows of the audit trail and of extension tables (PostGIS's
// spatial_ref_sys). The extensions and the audit schema's own objects are
// left out of both: restore creates them itself, as a fresh install does.
func splitTOC(toc string) (app, super string) {
	var a, s strings.Builder
	for _, line := range strings.Split(toc, "\n") {
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		_, entry, _ := strings.Cut(line, "; ")
		words := strings.Fields(entry) // oid, oid, kind…, schema, name…, owner
		switch {
		case len(words) < 3:
			continue
		case strings.Contains(entry, " EXTENSION "):
			continue // created before, by the superuser
		case strings.Contains(entry, " TABLE DATA ") && (slices.Contains(words, "gapmap_audit") || slices.Contains(words, "spatial_ref_sys")):
			s.WriteString(line + "\n")
		case slices.Contains(words, "gapmap_audit"):
			continue // installed by data/audit.sql
		default:
			a.WriteString(line + "\n")
		}
	}
	return a.String(), s.String()
}

// sameDatabase reports whether two libpq environments (ConnEnv) name the
// same database and port. Hosts are not compared: a superuser often comes
// through the Unix socket where the application uses 127.0.0.1.
func sameDatabase(a, b []string) bool {
	pick := func(env []string) string {
		var out []string
		for _, kv := range env {
			for _, k := range []string{"PGPORT=", "PGDATABASE="} {
				if strings.HasPrefix(kv, k) {
					out = append(out, kv)
				}
			}
		}
		return strings.Join(out, " ")
	}
	return pick(a) == pick(b)
}

// pgTool runs a PostgreSQL client program with the libpq environment env
// (nil: none needed) and stdin, and returns its standard output; an error
// carries its standard error.
func pgTool(ctx context.Context, env []string, stdin io.Reader, name string, args ...string) (string, error) {
	var out bytes.Buffer
	if err := runPgTool(ctx, env, stdin, &out, name, args...); err != nil {
		return "", err
	}
	return out.String(), nil
}

// pgToolTo is pgTool writing the program's output to w.
func pgToolTo(ctx context.Context, w io.Writer, name string, args ...string) error {
	return runPgTool(ctx, nil, nil, w, name, args...)
}

func runPgTool(ctx context.Context, env []string, stdin io.Reader, stdout io.Writer, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return planning.Errorf(planning.EUnavailable, "找不到 %s：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client-15）", name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	// NOTICEs (audit.sql's "skipping") are noise in a restore.
	cmd.Env = append(append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning"), env...)
	cmd.Stdin, cmd.Stdout = stdin, stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
