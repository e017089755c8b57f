package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/planning/access"
)

// A command is one subcommand of gapmap, with its line in the usage text,
// its flags and what it does.
type command struct {
	name string // as typed: "serve", "tiles pack"
	// usage says what the command does, for the usage text: its first line
	// follows the name, the others are indented under it.
	usage string
	// shared registers the shared settings the command takes as flags,
	// beyond -database-url and -log-level (see settings); nil: none.
	shared func(*settings, *flag.FlagSet)
	// setup registers the command's own flags.
	setup setup
}

// setup registers a command's own flags on fs and returns check, which
// validates them once fs is parsed (nil: nothing to check), and run,
// which runs the command with them.
type setup func(fs *flag.FlagSet) (check func() error, run func(context.Context, app) error)

// app is what a command runs with: the shared configuration, the store it
// opened, the log and the output streams.
type app struct {
	cfg            Config
	store          *data.Store
	log            *slog.Logger
	stdout, stderr io.Writer
}

// withOptions makes the setup of a command whose flags fill options O:
// flags registers them on fs and returns their check, and run runs the
// command with them once they are parsed.
func withOptions[O any](flags func(fs *flag.FlagSet, o *O) (check func() error), run func(context.Context, app, O) error) setup {
	return func(fs *flag.FlagSet) (func() error, func(context.Context, app) error) {
		o := new(O)
		check := flags(fs, o)
		return check, func(ctx context.Context, a app) error { return run(ctx, a, *o) }
	}
}

// noOptions is the setup of a command without flags of its own.
func noOptions(run func(context.Context, app) error) setup {
	return func(*flag.FlagSet) (func() error, func(context.Context, app) error) { return nil, run }
}

// commands are gapmap's subcommands, in the order of the usage text. Each
// one's options, flags and code are in its own file.
var commands = []command{
	{name: "migrate", usage: "apply the database migrations and exit", setup: noOptions(migrate)},
	{name: "county init", usage: `set up a county from the national code list (NBS 2023): its townships and
villages with codes and names, without locations (未定位), recorded as the
county being set up (--code 430682; --replace to drop another county's data)`, setup: withOptions(countyInitFlags, countyInit)},
	{name: "county locate", usage: `place 未定位 villages at the points of a GeoJSON file whose names match theirs
(--points F --name-field name --township-field 乡镇 --srs wgs84|gcj02|bd09
 --dry-run); names that fit several villages or repeat are listed, never guessed`, setup: withOptions(countyLocateFlags, countyLocate)},
	{name: "county profile", usage: `print the county's own profile (targets, prices, responsible units), which
score, projects and the API apply over the defaults (--set FILE: store one)`, setup: withOptions(countyProfileFlags, countyProfile)},
	{name: "demo", usage: `migrate, load the built-in demo county (临湘市, synthetic geometry) and serve it
(--load-only: load and exit)`, shared: (*settings).serveFlags, setup: withOptions(demoFlags, serveDemo)},
	{name: "serve", usage: "serve the API on GAPMAP_ADDR (default 127.0.0.1:8080)", shared: (*settings).serveFlags, setup: noOptions(serve)},
	{name: "score", usage: `score every village's gaps and print a summary per township
(--profile FILE: county profile; --as-of DATE: reference date;
 --full: re-score every village, not only those changes can affect)`, setup: withOptions(scoreFlags, score)},
	{name: "tiles pack", usage: `write the tiles of a layer set to an MBTiles or PMTiles file for offline use
or static hosting (--layerset review --maxzoom 14 --out county.mbtiles | county.pmtiles; --page also
writes the review map beside a PMTiles archive: host the folder, open index.html?pmtiles=county.pmtiles)`, setup: withOptions(packFlags, packTiles)},
	{name: "bench-tiles", usage: `load the tile server of this database with 16 clients per zoom, cold (no cache)
and warm, and print tiles/s, p50/p99 and KB per zoom (--peer URL: also load
another tile server, e.g. pg_tileserv, with the same tile lists; --equal-content:
also load gapmap drawing what pg_tileserv sends, and compare the tiles' content)`, shared: (*settings).benchFlags, setup: withOptions(benchFlags, benchTiles)},
	{name: "projects generate", usage: `size candidate 项目库 projects from the latest scoring run's gaps (--run N, --all,
--profile FILE for unit prices) and merge them into the library`, setup: withOptions(generateFlags, generate)},
	{name: "projects plan", usage: `fit the library into yearly budgets (--years 2016-2020 --budget 3000 or
--budgets 2016=3000,2017=2500, --township-cap, --library-only, --fill beneficiaries|none, --apply;
--budgets-from-allocations: per-source caps from the 资金台账's yearly allocations;
--include 12,34 --exclude 56: 纳入/排除 projects by ID by hand; --json: print the plan as the API answers)`, setup: withOptions(planFlags, plan)},
	{name: "projects needs", usage: `list the 补充数据: per village, the missing data that would decide each
undecided indicator (--run N, --township, --village, --dimension;
--out FILE.xlsx|.csv writes it instead)`, setup: withOptions(needsFlags, needs)},
	{name: "projects export", usage: `write the standard 项目库 table (--format xlsx|csv --out FILE, --township,
--category, --status, --year)`, setup: withOptions(projectsExportFlags, projectsExport)},
	{name: "projects asbuilt", usage: `record what a project actually built, which its completion writes into the
layers (--project ID --values '{"width_m": 5, "kva": 400, "completed_on": "2016-06-30"}')`, setup: withOptions(asBuiltFlags, asBuilt)},
	{name: "projects realised", usage: `list every completed project's predicted 缺口后 against the gap of the first
scoring run after it was written into the layers (--out FILE.xlsx|.csv writes it)`, setup: withOptions(realisedFlags, realised)},
	{name: "progress", usage: `print per year-end and township the villages meeting each dimension and each
贫困村退出 item, gaps closed, projects completed, km paved and 拨付 paid; reads or makes
the year-end runs (--from 2016 --to 2020; --profile FILE; --out FILE.xlsx writes it)`, setup: withOptions(progressFlags, progress)},
	{name: "funds sources", usage: `print the county's funding sources (--set FILE.json: store a list instead of the
default one)`, setup: withOptions(fundsFlags("sources"), fundsSources)},
	{name: "funds allocate", usage: "record a source's yearly allocation (--source central --year 2018 --amount 1200 --doc-no 文号)", setup: withOptions(fundsFlags("allocate"), fundsAllocate)},
	{name: "funds allocations", usage: "print the yearly allocations (--year)", setup: withOptions(fundsFlags("allocations"), fundsAllocations)},
	{name: "funds entry", usage: `record a 资金台账 entry (--project ID --kind 下达|到位|拨付 --source CODE --amount 万元; 计划 is the project's 资金来源
--date YYYY-MM-DD --doc-no 文号/凭证号 --note)`, setup: withOptions(fundsFlags("entry"), fundsEntry)},
	{name: "funds reverse", usage: "reverse a wrong entry (--entry ID --note 理由); then record the right one", setup: withOptions(fundsFlags("reverse"), fundsEntry)},
	{name: "funds rollup", usage: `print the totals and 拨付进度 by village|township|source|category|year (--by; --year
--source --township --village --category)`, setup: withOptions(fundsFlags("rollup"), fundsRollup)},
	{name: "funds export", usage: "write the 资金台账 XLSX (--out FILE.xlsx; --year --source --township --village --category)", setup: withOptions(fundsFlags("export"), fundsExport)},
	{name: "import", usage: `load a file into a layer in one transaction and print the problem report
(--layer roads --file F; --srs EPSG:4547|gcj02|bd09|cgcs2000-gk3-114;
 --mapping FILE; --mode reject|skip|upsert; --source NAME; --encoding utf-8|gbk;
 --dry-run (exit 1 when rows have errors); --report FILE.csv|.json)
formats: GeoJSON, GeoJSONSeq, CSV, Shapefile (.shp or .zip), GeoPackage,
OpenStreetMap (.osm.pbf, .osm)`, setup: withOptions(importFlags, importFile)},
	{name: "poor import", usage: `import the county's yearly 建档立卡 table (CSV or XLSX with 村代码): per village
and year the year-end stock and 脱贫/返贫/新识别 households and people, 退出年度
(--file F --year 2018, or the table's 年度 column; --dry-run); all rows or none`, setup: withOptions(poorImportFlags, poorImport)},
	{name: "poor show", usage: "print a village's 建档立卡 register by year (--village 430682101201)", setup: withOptions(poorShowFlags, poorShow)},
	{name: "poor rollup", usage: `print the 建档立卡 register summed by year, per township and for the county
(--township CODE --from 2015 --to 2020; --out FILE.xlsx|.csv writes it)`, setup: withOptions(poorRollupFlags, poorRollup)},
	{name: "users list", usage: "list the accounts with their roles", setup: withOptions(userFlags("list"), usersList)},
	{name: "users add", usage: `create an account (--login zhangsan --name 张三（县交通运输局）; --password-stdin, or a
generated password is printed; --sso: single sign-on only)`, setup: withOptions(userFlags("add"), usersAdd)},
	{name: "users passwd", usage: "set a new password (--login, --password-stdin); unlocks and ends the sessions", setup: withOptions(userFlags("passwd"), usersPasswd)},
	{name: "users role", usage: `give or take a role (--login --org township:430682101|bureau:交通|county:430682|
village:430682101201 --role viewer|editor|reviewer|approver|admin [--remove])`, setup: withOptions(userFlags("role"), usersRole)},
	{name: "users token", usage: `issue an API token for scripts (--login --name 用途 --scopes read,layer.edit
--expires 2160h), list them (--list) or revoke one (--revoke ID)`, setup: withOptions(userFlags("token"), usersToken)},
	{name: "users disable", usage: "disable an account and end its sessions (--login; --enable to undo)", setup: withOptions(userFlags("disable"), usersDisable)},
	{name: "audit verify", usage: "check the audit trail's hash chain; exit 1 on any edited, deleted or reordered entry", setup: noOptions(auditVerify)},
	{name: "audit log", usage: "print the newest audit entries (--kind project --id 12 --limit 50)", setup: withOptions(auditLogFlags, auditLog)},
	{name: "audit schema", usage: "print the SQL a superuser runs once to install the audit trail (psql -v app=ROLE)", setup: noOptions(auditSchema)},
	{name: "backup", usage: `write the whole database (layers, runs, 项目库, ledger, accounts and the audit
trail) to a pg_dump custom-format file (--out FILE.dump)`, setup: withOptions(backupFlags, backup)},
	{name: "restore", usage: `load a backup into an empty database in one transaction, then migrate it
forward; a backup newer than this binary is refused (--file FILE.dump;
--admin-url: a superuser's URL for the same database, default DATABASE_URL)`, setup: withOptions(restoreFlags, restore)},
	{name: "export", usage: `write layers with their attributes for GIS tools (--layer roads|village_gaps|projects|
county (every layer, gpkg) --format gpkg|shp.zip|geojson|kml|csv|xlsx --out FILE;
--srs EPSG:4490|EPSG:4326|cgcs2000-gk3-114e|gcj02; --encoding gbk for shp.zip;
--filter 'township=…&poor=true&dimension=通路&min_score=50&status=…&year=…&bbox=…')`, setup: withOptions(exportFlags, exportFile)},
}

// versionUsage is the usage of `gapmap version`, which run answers
// itself: it takes no flags and no database.
const versionUsage = "print the version"

// usage is the text `gapmap help` prints: every command and what it does.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: gapmap <command> [flags]\n\ncommands:\n")
	line := func(name, text string) {
		const indent = "            " // the usage column
		if len(name) < len(indent)-3 {
			fmt.Fprintf(&b, "  %-*s", len(indent)-2, name)
		} else {
			fmt.Fprintf(&b, "  %s\n%s", name, indent)
		}
		b.WriteString(strings.ReplaceAll(text, "\n", "\n"+indent))
		b.WriteString("\n")
	}
	for _, c := range commands {
		line(c.name, c.usage)
	}
	line("version", versionUsage)
	b.WriteString("\nRun \"gapmap <command> -h\" for the flags of a command.\n")
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gapmap:", err)
		}
		os.Exit(1)
	}
}

// run is main without the process: it returns when ctx is cancelled or the
// command is done, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errors.New("no command given")
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "gapmap", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	c, args, ok := lookup(args)
	if !ok {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	cfg, runCommand, err := c.parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	store, err := data.Open(cfg.DatabaseURL, int32(cfg.Admission.Conns()), int32(cfg.TileConns), log)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.ReadDatabaseURL != "" {
		if err := store.WithReadReplica(cfg.ReadDatabaseURL, int32(cfg.Admission.Conns()), int32(cfg.TileConns)); err != nil {
			return err
		}
	}
	// A command's writes are the operating-system user's: whoever can run
	// the binary against the database. The server's requests carry their
	// own user instead.
	ctx = access.WithPrincipal(ctx, access.CLI(osUser(getenv)))
	return runCommand(ctx, app{cfg: cfg, store: store.WithPolicy(cfg.Policy), log: log, stdout: stdout, stderr: stderr})
}

// osUser names the operating-system user running the command.
func osUser(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// lookup finds the command args start with, one word or two ("tiles
// pack"), and returns its arguments.
func lookup(args []string) (command, []string, bool) {
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, args, false
}

// parse reads the command's flags and the shared settings from args and
// getenv, checks them, and returns the shared Config and the command,
// ready to run.
func (c command) parse(args []string, getenv func(string) string, stderr io.Writer) (Config, func(context.Context, app) error, error) {
	s := readSettings(getenv)
	fs := flag.NewFlagSet("gapmap "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s.commonFlags(fs)
	if c.shared != nil {
		c.shared(s, fs)
	}
	check, runCommand := c.setup(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	if fs.NArg() > 0 {
		return Config{}, nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var errs []error
	if check != nil {
		errs = append(errs, check())
	}
	cfg, err := s.config()
	if err := errors.Join(append(errs, err)...); err != nil {
		return cfg, nil, err
	}
	return cfg, runCommand, cfg.Validate()
}

// isTerminal reports whether w is a terminal, where commands show
// progress.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
