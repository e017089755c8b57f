package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/planning"
)

// Config is gapmap's whole configuration, read once from flags and the
// environment (flags win) and passed down as values.
type Config struct {
	DatabaseURL    string        // DATABASE_URL
	Addr           string        // GAPMAP_ADDR, host:port to listen on
	LogLevel       slog.Level    // GAPMAP_LOG_LEVEL: debug, info, warn, error
	RequestTimeout time.Duration // GAPMAP_REQUEST_TIMEOUT: database budget of one API request
	MaxConns       int           // GAPMAP_MAX_CONNS: database pool size
	TileCacheBytes int64         // GAPMAP_TILE_CACHE_MB: in-process tile cache size
	ImportMaxBytes int64         // GAPMAP_IMPORT_MAX_MB: largest upload to POST /api/v1/layers/{layer}/imports
	LoadOnly       bool          // demo: load the demo county and exit
	ProfilePath    string        // score: a county profile overriding the default
	AsOf           time.Time     // score: reference date for ages (water tests); default today
	Full           bool          // score: re-score every village
	Bench          BenchConfig   // bench-tiles
	Pack           PackConfig    // tiles pack
	Projects       ProjectsConfig
	Import         ImportConfig
	Export         ExportConfig
	Web            api.WebConfig // serve, demo: the review map's basemap (GAPMAP_BASEMAP_*, GAPMAP_TIANDITU_KEY)
}

// ProjectsConfig is what `gapmap projects generate|plan|export` do.
type ProjectsConfig struct {
	RunID       int64              // generate: the run (0: latest)
	All         bool               // generate: every village with a gap, not only those with poor people
	Years       []int              // plan
	Budgets     map[string]float64 // plan: 万元 per year
	TownshipCap float64            // plan
	LibraryOnly bool               // plan
	Apply       bool               // plan
	Format      string             // export: xlsx or csv
	Out         string             // export: file
	Filter      planning.ProjectFilter
}

// ImportConfig is what `gapmap import` loads.
type ImportConfig struct {
	File    string // the file (a .shp, or a .zip holding one shapefile set)
	Mapping string // mapping file (JSON)
	Report  string // write the report here too, as .csv or .json
	Options planning.ImportOptions
}

// ExportConfig is what `gapmap export` writes.
type ExportConfig struct {
	Out     string
	Options planning.ExportOptions
}

// PackConfig is what `gapmap tiles pack` writes.
type PackConfig struct {
	LayerSet         string
	MinZoom, MaxZoom int
	Out              string // MBTiles file
}

// BenchConfig is the tile load benchmark's setting.
type BenchConfig struct {
	LayerSet string // layer set to request
	MinZoom  int    // zooms MinZoom..MaxZoom, one run each
	MaxZoom  int
	Duration time.Duration // per zoom and mode
	Clients  int           // concurrent HTTP clients
	MaxTiles int           // tiles per zoom list
	Peer     string        // URL template of another tile server to load with the same lists, e.g. pg_tileserv
}

// DefaultDatabaseURL is the database scripts/dbsetup.sh creates.
const DefaultDatabaseURL = "postgres://gapmap:gapmap@127.0.0.1:5432/gapmap?sslmode=disable"

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		DatabaseURL:    DefaultDatabaseURL,
		Addr:           "127.0.0.1:8080",
		LogLevel:       slog.LevelInfo,
		RequestTimeout: 10 * time.Second,
		MaxConns:       8,
		TileCacheBytes: 256 << 20,
		ImportMaxBytes: 512 << 20,
	}
}

// parseConfig fills a Config for subcommand cmd from args and getenv.
func parseConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	if v := getenv("DATABASE_URL"); v != "" {
		cfg.DatabaseURL = v
	}
	if v := getenv("GAPMAP_ADDR"); v != "" {
		cfg.Addr = v
	}
	logLevel := cfg.LogLevel.String()
	if v := getenv("GAPMAP_LOG_LEVEL"); v != "" {
		logLevel = v
	}
	timeout := cfg.RequestTimeout.String()
	if v := getenv("GAPMAP_REQUEST_TIMEOUT"); v != "" {
		timeout = v
	}
	maxConns := fmt.Sprint(cfg.MaxConns)
	if v := getenv("GAPMAP_MAX_CONNS"); v != "" {
		maxConns = v
	}
	cacheMB := fmt.Sprint(cfg.TileCacheBytes >> 20)
	if v := getenv("GAPMAP_TILE_CACHE_MB"); v != "" {
		cacheMB = v
	}
	importMB := fmt.Sprint(cfg.ImportMaxBytes >> 20)
	if v := getenv("GAPMAP_IMPORT_MAX_MB"); v != "" {
		importMB = v
	}

	fs := flag.NewFlagSet("gapmap "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL (env DATABASE_URL)")
	fs.StringVar(&logLevel, "log-level", logLevel, "debug, info, warn or error (env GAPMAP_LOG_LEVEL)")
	if cmd == "serve" || cmd == "demo" {
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address host:port (env GAPMAP_ADDR)")
		fs.StringVar(&timeout, "request-timeout", timeout, "database time budget per request (env GAPMAP_REQUEST_TIMEOUT)")
		fs.StringVar(&maxConns, "max-conns", maxConns, "database pool size (env GAPMAP_MAX_CONNS)")
		fs.StringVar(&cacheMB, "tile-cache-mb", cacheMB, "tile cache size in MiB, 0 to disable (env GAPMAP_TILE_CACHE_MB)")
		fs.StringVar(&importMB, "import-max-mb", importMB, "largest upload to the import API in MiB (env GAPMAP_IMPORT_MAX_MB)")
	}
	if cmd == "serve" || cmd == "demo" {
		cfg.Web = api.WebConfigFromEnv(getenv)
	}
	if cmd == "demo" {
		fs.BoolVar(&cfg.LoadOnly, "load-only", false, "load the demo county and exit without serving")
	}
	asOf := time.Now().Format(time.DateOnly)
	if cmd == "score" {
		fs.StringVar(&cfg.ProfilePath, "profile", "", "county profile file (JSON) overriding the default thresholds and weights")
		fs.StringVar(&asOf, "as-of", asOf, "reference date YYYY-MM-DD for ages such as water-quality tests")
		fs.BoolVar(&cfg.Full, "full", false, "re-score every village instead of only those that changes can affect")
	}
	zooms, benchDuration := "8-15", "5s"
	if cmd == "bench-tiles" {
		cfg.Bench = BenchConfig{LayerSet: "review", Clients: 16, MaxTiles: 200}
		fs.StringVar(&cacheMB, "tile-cache-mb", cacheMB, "tile cache size in MiB for the warm runs (env GAPMAP_TILE_CACHE_MB)")
		fs.StringVar(&maxConns, "max-conns", maxConns, "database pool size (env GAPMAP_MAX_CONNS)")
		fs.StringVar(&cfg.Bench.LayerSet, "layerset", cfg.Bench.LayerSet, "layer set to request")
		fs.StringVar(&zooms, "zooms", zooms, "zoom range, e.g. 8-15")
		fs.StringVar(&benchDuration, "duration", benchDuration, "load duration per zoom and mode")
		fs.IntVar(&cfg.Bench.Clients, "clients", cfg.Bench.Clients, "concurrent clients")
		fs.IntVar(&cfg.Bench.MaxTiles, "max-tiles", cfg.Bench.MaxTiles, "tiles in each zoom's fixed list")
		fs.StringVar(&cfg.Bench.Peer, "peer", "", "URL template of another tile server to load with the same tile lists, e.g. http://127.0.0.1:7800/public.roads/{z}/{x}/{y}.pbf")
	}
	var years, budget, budgets, mode string
	switch cmd {
	case "projects generate":
		fs.StringVar(&cfg.ProfilePath, "profile", "", "county profile file (JSON): unit prices, sizing, 责任单位")
		fs.Int64Var(&cfg.Projects.RunID, "run", 0, "scoring run to generate from (default the latest)")
		fs.BoolVar(&cfg.Projects.All, "all", false, "every village with a gap, not only those with 建档立卡 poor people")
	case "projects plan":
		fs.StringVar(&years, "years", "2016-2020", "plan years, e.g. 2016-2020")
		fs.StringVar(&budget, "budget", "", "budget per year in 万元, the same every year")
		fs.StringVar(&budgets, "budgets", "", "budgets by year in 万元, e.g. 2016=3000,2017=2500 (overrides --budget)")
		fs.Float64Var(&cfg.Projects.TownshipCap, "township-cap", 0, "at most this many 万元 per township per year (0: no cap)")
		fs.BoolVar(&cfg.Projects.LibraryOnly, "library-only", false, "plan only projects already in the library (已入库)")
		fs.BoolVar(&cfg.Projects.Apply, "apply", false, "write the chosen years into the projects")
	case "projects export":
		fs.StringVar(&cfg.Projects.Format, "format", "xlsx", "xlsx or csv")
		fs.StringVar(&cfg.Projects.Out, "out", "", "file to write, e.g. 项目库.xlsx")
		fs.StringVar(&cfg.Projects.Filter.Township, "township", "", "township code or name")
		fs.StringVar(&cfg.Projects.Filter.Category, "category", "", "项目类别, e.g. 基础设施-道路")
		fs.StringVar(&cfg.Projects.Filter.Status, "status", "", "项目状态, e.g. 已入库")
		fs.IntVar(&cfg.Projects.Filter.Year, "year", 0, "年度")
	}
	if cmd == "import" {
		fs.StringVar(&cfg.Import.Options.Layer, "layer", "", "layer to load: counties, townships, villages, roads, bridges, bus_stops, reservoirs, water_works, water_mains, substations, power_lines, transformers, pv_stations, tourism_sites, projects")
		fs.StringVar(&cfg.Import.File, "file", "", "file to load")
		fs.StringVar(&cfg.Import.Options.SRS, "srs", "", "input coordinate system, overriding the file's: EPSG:4547, gcj02, bd09, cgcs2000-gk3-114 …")
		fs.StringVar(&cfg.Import.Mapping, "mapping", "", "mapping file (JSON): {\"columns\": {…}, \"values\": {…}, \"defaults\": {…}, \"ignore\": […]}")
		fs.StringVar(&mode, "mode", "reject", "reject (nothing written if any row is bad), skip (write the good rows) or upsert (also update existing keys)")
		fs.BoolVar(&cfg.Import.Options.DryRun, "dry-run", false, "check and count, then roll back")
		fs.StringVar(&cfg.Import.Report, "report", "", "also write the report to FILE (.csv or .json)")
	}
	var exportLayer, exportQuery string
	if cmd == "export" {
		fs.StringVar(&exportLayer, "layer", "", "layer, comma-separated layers, village_gaps, projects, or county (every layer; gpkg)")
		fs.StringVar(&cfg.Export.Options.Format, "format", "gpkg", "gpkg, shp.zip, geojson, kml, csv or xlsx")
		fs.StringVar(&cfg.Export.Out, "out", "", "file to write")
		fs.StringVar(&exportQuery, "filter", "", "filters as in the API query, e.g. township=羊楼司镇&poor=true&dimension=通路&min_score=50&srs=EPSG:4547&encoding=gbk")
	}
	if cmd == "tiles pack" {
		cfg.Pack = PackConfig{LayerSet: "review", MaxZoom: 14}
		fs.StringVar(&cfg.Pack.LayerSet, "layerset", cfg.Pack.LayerSet, "layer set or layer to pack")
		fs.IntVar(&cfg.Pack.MinZoom, "minzoom", 0, "first zoom")
		fs.IntVar(&cfg.Pack.MaxZoom, "maxzoom", cfg.Pack.MaxZoom, "last zoom (at most 14; clients over-zoom)")
		fs.StringVar(&cfg.Pack.Out, "out", "", "MBTiles file to write, e.g. county.mbtiles")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	var errs []error
	if cmd == "projects plan" {
		errs = append(errs, parsePlanFlags(&cfg.Projects, years, budget, budgets))
	}
	if cmd == "projects export" && cfg.Projects.Format != "xlsx" && cfg.Projects.Format != "csv" {
		errs = append(errs, fmt.Errorf("--format %q: want xlsx or csv", cfg.Projects.Format))
	}
	if cmd == "import" {
		if cfg.Import.File == "" || cfg.Import.Options.Layer == "" {
			errs = append(errs, errors.New("--layer and --file are required"))
		}
		m, err := planning.ParseImportMode(mode)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Import.Options.Mode = m
	}
	if cmd == "export" {
		q, err := url.ParseQuery(exportQuery)
		if err != nil {
			errs = append(errs, fmt.Errorf("--filter: %w", err))
		}
		opt, err := planning.ParseExportQuery(exportLayer, cfg.Export.Options.Format, q)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Export.Options = opt
		if exportLayer == "" || cfg.Export.Out == "" {
			errs = append(errs, errors.New("--layer and --out are required"))
		}
	}
	if cmd == "projects export" && cfg.Projects.Out == "" {
		errs = append(errs, errors.New("--out is required"))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn or error", logLevel))
	}
	d, err := time.ParseDuration(timeout)
	if err != nil {
		errs = append(errs, fmt.Errorf("request timeout %q: want a duration such as 10s", timeout))
	}
	cfg.RequestTimeout = d
	if cfg.AsOf, err = time.Parse(time.DateOnly, asOf); err != nil {
		errs = append(errs, fmt.Errorf("as-of %q: want a date YYYY-MM-DD", asOf))
	}
	if _, err := fmt.Sscan(maxConns, &cfg.MaxConns); err != nil {
		errs = append(errs, fmt.Errorf("max conns %q: want a whole number", maxConns))
	}
	var mb int64
	if _, err := fmt.Sscan(cacheMB, &mb); err != nil || mb < 0 {
		errs = append(errs, fmt.Errorf("tile cache %q MiB: want a whole number ≥ 0", cacheMB))
	}
	cfg.TileCacheBytes = mb << 20
	if _, err := fmt.Sscan(importMB, &mb); err != nil || mb <= 0 {
		errs = append(errs, fmt.Errorf("import max %q MiB: want a whole number > 0", importMB))
	}
	cfg.ImportMaxBytes = mb << 20
	if cmd == "bench-tiles" {
		if _, err := fmt.Sscanf(zooms, "%d-%d", &cfg.Bench.MinZoom, &cfg.Bench.MaxZoom); err != nil ||
			cfg.Bench.MinZoom < 0 || cfg.Bench.MinZoom > cfg.Bench.MaxZoom || cfg.Bench.MaxZoom > 22 {
			errs = append(errs, fmt.Errorf("zooms %q: want a range such as 8-15 within 0-22", zooms))
		}
		if cfg.Bench.Duration, err = time.ParseDuration(benchDuration); err != nil || cfg.Bench.Duration <= 0 {
			errs = append(errs, fmt.Errorf("duration %q: want a positive duration such as 5s", benchDuration))
		}
		if cfg.Bench.Clients < 1 || cfg.Bench.MaxTiles < 1 {
			errs = append(errs, fmt.Errorf("clients %d, max tiles %d: both must be at least 1", cfg.Bench.Clients, cfg.Bench.MaxTiles))
		}
	}
	if cmd == "tiles pack" && cfg.Pack.Out == "" {
		errs = append(errs, errors.New("--out: name the MBTiles file to write, e.g. --out county.mbtiles"))
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	return cfg, cfg.Validate()
}

// Validate reports every problem with c, each naming its setting.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is empty"))
	} else if err := data.CheckURL(c.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("GAPMAP_ADDR %q: want host:port, such as 127.0.0.1:8080", c.Addr))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("request timeout %s: must be positive", c.RequestTimeout))
	}
	if c.MaxConns < 1 || c.MaxConns > 1000 {
		errs = append(errs, fmt.Errorf("max conns %d: must be between 1 and 1000", c.MaxConns))
	}
	return errors.Join(errs...)
}

// parsePlanFlags reads --years A-B and the budgets into c.
func parsePlanFlags(c *ProjectsConfig, years, budget, budgets string) error {
	from, to, ok := strings.Cut(years, "-")
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	if !ok || errA != nil || errB != nil || a > b || a < 2000 || b > 2100 {
		return fmt.Errorf("--years %q: want a range such as 2016-2020", years)
	}
	c.Budgets = map[string]float64{}
	for y := a; y <= b; y++ {
		c.Years = append(c.Years, y)
		if budget != "" {
			v, err := strconv.ParseFloat(budget, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("--budget %q: want 万元, e.g. 3000", budget)
			}
			c.Budgets[strconv.Itoa(y)] = v
		}
	}
	if budgets != "" {
		c.Budgets = map[string]float64{}
		for _, kv := range strings.Split(budgets, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || f < 0 {
				return fmt.Errorf("--budgets: %q is not year=万元", kv)
			}
			c.Budgets[k] = f
		}
	}
	if len(c.Budgets) == 0 {
		return errors.New("give --budget or --budgets")
	}
	return nil
}
