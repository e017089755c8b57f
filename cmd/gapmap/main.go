// Command gapmap is the one binary of the gapmap service. It only wires the
// packages together; see usage for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
	"github.com/gapmap/gapmap/tiles"
)

const usage = `usage: gapmap <command> [flags]

commands:
  migrate   apply the database migrations and exit
  demo      migrate, load the built-in demo county (临湘市, synthetic geometry) and serve it
            (--load-only: load and exit)
  serve     serve the API on GAPMAP_ADDR (default 127.0.0.1:8080)
  score     score every village's gaps and print a summary per township
            (--profile FILE: county profile; --as-of DATE: reference date;
             --full: re-score every village, not only those changes can affect)
  tiles pack
            write the tiles of a layer set to an MBTiles file for offline use
            (--layerset review --maxzoom 14 --out county.mbtiles)
  bench-tiles
            load the tile server of this database with 16 clients per zoom, cold (no cache)
            and warm, and print tiles/s, p50/p99 and KB per zoom (--peer URL: also load
            another tile server, e.g. pg_tileserv, with the same tile lists)
  projects generate
            size candidate 项目库 projects from the latest scoring run's gaps (--run N, --all,
            --profile FILE for unit prices) and merge them into the library
  projects plan
            fit the library into yearly budgets (--years 2016-2020 --budget 3000 or
            --budgets 2016=3000,2017=2500, --township-cap, --library-only, --apply)
  projects export
            write the standard 项目库 table (--format xlsx|csv --out FILE, --township,
            --category, --status, --year)
  import    load a file into a layer in one transaction and print the problem report
            (--layer roads --file F; --srs EPSG:4547|gcj02|bd09|cgcs2000-gk3-114;
             --mapping FILE; --mode reject|skip|upsert; --dry-run; --report FILE.csv|.json)
            formats: GeoJSON, GeoJSONSeq, CSV, Shapefile (.shp or .zip), GeoPackage,
            OpenStreetMap (.osm.pbf, .osm)
  export    write layers with their attributes for GIS tools (--layer roads|village_gaps|projects|
            county (every layer, gpkg) --format gpkg|shp.zip|geojson|kml|csv|xlsx --out FILE;
            --srs EPSG:4490|EPSG:4326|cgcs2000-gk3-114e|gcj02; --encoding gbk for shp.zip;
            --township, --poor, --dimension, --min-score, --status, --year, --bbox)
  version   print the version

Run "gapmap <command> -h" for the flags of a command.
`

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
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	if cmd == "tiles" && len(args) > 0 && args[0] == "pack" {
		cmd, args = "tiles pack", args[1:]
	}
	if cmd == "projects" && len(args) > 0 && slices.Contains([]string{"generate", "plan", "export"}, args[0]) {
		cmd, args = "projects "+args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "gapmap", version())
		return nil
	case "migrate", "demo", "serve", "score", "bench-tiles", "tiles pack", "projects generate", "projects plan", "projects export", "import", "export":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	cfg, err := parseConfig(cmd, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	store, err := data.Open(cfg.DatabaseURL, int32(cfg.MaxConns), log)
	if err != nil {
		return err
	}
	defer store.Close()

	switch cmd {
	case "migrate":
		applied, err := store.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate database %s: %w", store.Target(), err)
		}
		fmt.Fprintf(stdout, "database %s: %d migration(s) applied, schema at version %v\n", store.Target(), len(applied), applied)
		return nil
	case "demo":
		if err := loadDemo(ctx, store, stdout); err != nil {
			return err
		}
		if cfg.LoadOnly {
			return nil
		}
	case "score":
		return score(ctx, cfg, store, stdout, stderr)
	case "bench-tiles":
		return benchTiles(ctx, cfg, store, log, stdout)
	case "tiles pack":
		return packTiles(ctx, cfg, store, stdout, stderr)
	case "projects generate", "projects plan", "projects export":
		return projects(ctx, cmd, cfg, store, stdout)
	case "import":
		return importFile(ctx, cfg.Import, store, stdout, stderr)
	case "export":
		return exportFile(ctx, cfg.Export, store, stdout)
	}
	return serve(ctx, cfg, store, log, stdout)
}

func loadDemo(ctx context.Context, store *data.Store, stdout io.Writer) error {
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database %s: %w", store.Target(), err)
	}
	county := demo.Generate()
	loaded, err := store.LoadDemo(ctx, county)
	if err != nil {
		return fmt.Errorf("load demo county into %s: %w", store.Target(), err)
	}
	state := "already loaded"
	if loaded {
		state = "loaded"
	}
	fmt.Fprintf(stdout, "demo county %s %s (%s, version %s; geometry is synthetic)\n", county.Name, state, county.Code, data.DemoVersion(county))
	if !loaded {
		return nil
	}
	// The demo is the county as its 2016 plan saw it: score it as of then.
	run, _, err := planning.Score(ctx, store, planning.DefaultProfile(), demo.BaselineDate, true, nil)
	if err != nil {
		return fmt.Errorf("score demo county: %w", err)
	}
	fmt.Fprintf(stdout, "demo county scored: run %d, %d villages, as of %s\n", run.ID, run.Villages, run.AsOf.Format(time.DateOnly))
	rep, err := planning.Generate(ctx, store, planning.DefaultProfile(), run.ID, false)
	if err != nil {
		return fmt.Errorf("generate the demo's 项目库: %w", err)
	}
	fmt.Fprintf(stdout, "demo 项目库: %d candidate projects, %.2f 万元\n", rep.Candidates, rep.CostWan)
	return nil
}

// score runs a full scoring and prints the per-township summary. On a
// terminal it shows progress on stderr.
func score(ctx context.Context, cfg Config, store *data.Store, stdout, stderr io.Writer) error {
	p, err := loadProfile(cfg.ProfilePath)
	if err != nil {
		return err
	}
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database %s: %w", store.Target(), err)
	}
	var progress func(done, total int)
	if isTerminal(stderr) {
		progress = func(done, total int) { fmt.Fprintf(stderr, "\r评分 %d/%d 个村", done, total) }
	}
	run, scores, err := planning.Score(ctx, store, p, cfg.AsOf, cfg.Full, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	fmt.Fprintf(stdout, "评分批次 %d：%d 个村（重新评分 %d 个），配置 %s（%s），基准日 %s，用时 %s\n\n", run.ID, run.Villages, run.Rescored,
		run.ProfileName, run.ProfileHash, run.AsOf.Format(time.DateOnly), run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	fmt.Fprintln(stdout, "各乡镇贫困村平均缺口（0 = 达标，100 = 最差）：")
	return planning.WriteSummary(stdout, planning.SummariseByTownship(scores))
}

// loadProfile reads a county profile, or returns the default for "".
func loadProfile(path string) (planning.Profile, error) {
	if path == "" {
		return planning.DefaultProfile(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return planning.Profile{}, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	p, err := planning.ParseProfile(f)
	if err != nil {
		return p, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// projects runs `gapmap projects generate|plan|export`.
func projects(ctx context.Context, cmd string, cfg Config, store *data.Store, stdout io.Writer) error {
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database %s: %w", store.Target(), err)
	}
	pc := cfg.Projects
	switch cmd {
	case "projects generate":
		p, err := loadProfile(cfg.ProfilePath)
		if err != nil {
			return err
		}
		rep, err := planning.Generate(ctx, store, p, pc.RunID, pc.All)
		if err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintf(stdout, "评分批次 %d：%d 个村生成 %d 个候选项目，共 %.2f 万元（新增 %d，更新 %d，移除 %d，已在流程中保留 %d）\n",
			rep.RunID, rep.Villages, rep.Candidates, rep.CostWan, rep.Added, rep.Updated, rep.Removed, rep.Kept)
	case "projects plan":
		plan, err := planning.MakePlan(ctx, store, planning.DefaultProfile(), planning.PlanRequest{Years: pc.Years,
			Budgets: pc.Budgets, TownshipCap: pc.TownshipCap, LibraryOnly: pc.LibraryOnly, Apply: pc.Apply})
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		state := fmt.Sprintf("最优（用时 %s）", plan.Elapsed)
		if !plan.Optimal {
			state = fmt.Sprintf("与最优之差不超过 %.2f%%（用时 %s）", plan.Gap*100, plan.Elapsed)
		}
		fmt.Fprintf(stdout, "%d 个候选项目中选定 %d 个，共 %.2f 万元，%s\n", plan.Candidates, plan.Chosen, plan.CostWan, state)
		for _, y := range plan.Years {
			fmt.Fprintln(stdout, y)
		}
		if plan.Applied {
			fmt.Fprintln(stdout, "已写入项目年度")
		}
	case "projects export":
		page, err := store.Projects(ctx, pc.Filter)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		ps := make([]planning.Project, len(page.Projects))
		for i, r := range page.Projects {
			ps[i] = r.Project
		}
		return writeFileAtomic(pc.Out, func(w io.Writer) error {
			return table.Formats[pc.Format].Write(w, ps, table.Meta{Title: "脱贫攻坚项目库", GeneratedAt: time.Now()})
		})
	}
	return nil
}

// writeFileAtomic writes path through a temporary file renamed into place,
// so a failed export leaves no half-written file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gapmap-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil { // CreateTemp makes it private
		return err
	}
	return os.Rename(f.Name(), path)
}

// packTiles writes the offline pack, with progress on a terminal.
func packTiles(ctx context.Context, cfg Config, store *data.Store, stdout, stderr io.Writer) error {
	opt := tiles.PackOptions{Set: cfg.Pack.LayerSet, MinZoom: cfg.Pack.MinZoom, MaxZoom: cfg.Pack.MaxZoom,
		Out: cfg.Pack.Out, Workers: 2}
	if isTerminal(stderr) {
		opt.Progress = func(done, total int) {
			if done%50 == 0 || done == total {
				fmt.Fprintf(stderr, "\r打包 %d/%d 个瓦片", done, total)
			}
		}
		defer fmt.Fprintln(stderr)
	}
	st, err := tiles.Pack(ctx, store, opt)
	if err != nil {
		return fmt.Errorf("tiles pack: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d tiles rendered, %d stored, %.1f MB (gzip), largest tile %.1f KB, %d truncated\n",
		cfg.Pack.Out, st.Tiles, st.Stored, float64(st.Bytes)/1e6, float64(st.MaxRawSize)/1024, st.Truncated)
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// serve answers HTTP until ctx is cancelled. The database may be down at
// start: migrations are retried with backoff while /healthz answers 503.
func serve(ctx context.Context, cfg Config, store *data.Store, log *slog.Logger, stdout io.Writer) error {
	tileService := tiles.NewService(store, tiles.NewCache(cfg.TileCacheBytes), cfg.RequestTimeout, cfg.MaxConns)
	handler, err := newHandler(cfg, store, tileService, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		migrateUntilReady(ctx, store, log)
		followVersions(ctx, store, tileService, log)
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "gapmap serving on http://%s/\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "database", store.Target())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// newHandler is the whole HTTP side of gapmap on store, as serve and
// bench-tiles serve it.
func newHandler(cfg Config, store *data.Store, ts *tiles.Service, log *slog.Logger) (http.Handler, error) {
	return api.New(api.Config{Store: store, Imports: store, Exports: store, Tiles: ts, Static: web.Static(), Web: cfg.Web,
		Log: log, RequestTimeout: cfg.RequestTimeout, ImportMaxBytes: cfg.ImportMaxBytes})
}

func migrateUntilReady(ctx context.Context, store *data.Store, log *slog.Logger) {
	backoff := 500 * time.Millisecond
	for {
		_, err := store.Migrate(ctx)
		if err == nil {
			log.Info("database ready", "database", store.Target())
			return
		}
		log.Warn("database not ready; retrying", "database", store.Target(), "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// followVersions keeps the tile server's data versions current: every
// bump in the database (from any process) refreshes them, coalesced so
// that a burst of writes costs one refresh.
func followVersions(ctx context.Context, store *data.Store, ts *tiles.Service, log *slog.Logger) {
	kick, lowKick := make(chan struct{}, 1), make(chan struct{}, 1)
	lowKick <- struct{}{} // build the low-zoom tables at start if they are stale
	go store.ListenVersions(ctx, func() {
		for _, c := range []chan struct{}{kick, lowKick} {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	})
	// Rebuilding the low-zoom tables takes seconds at province scale; it
	// runs apart so that tile versions keep following edits meanwhile.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-lowKick:
				if rebuilt, err := store.RefreshLowZoom(ctx); err != nil && ctx.Err() == nil {
					log.Warn("refresh low-zoom tables", "err", err)
				} else if rebuilt {
					log.Info("low-zoom tables rebuilt")
				}
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
			if err := ts.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refresh tile versions", "err", err)
			}
		}
	}
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
