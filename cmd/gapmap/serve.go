package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// serve runs `gapmap serve`: it answers HTTP until ctx is cancelled. The
// database may be down at start: migrations are retried with backoff while
// /healthz answers 503.
func serve(ctx context.Context, a app) error {
	cfg, store, log := a.cfg, a.store, a.log
	// A killed server leaves its uploads in the temporary directory.
	sweepTemp(os.TempDir(), time.Now(), log)
	// A stopped server leaves the files of its export jobs, past their
	// expiry timers.
	api.SweepExportResults(os.TempDir(), cfg.ExportResultTTL, time.Now(), log)
	tileService := tiles.NewService(store, tiles.NewCache(cfg.TileCacheBytes), cfg.RequestTimeout, tileGate(cfg))
	if cfg.TileStoreBytes > 0 {
		tileService.Keep(store, cfg.TileStoreBytes)
	}
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
		// No job of a server that was killed runs any more.
		if n, err := store.AbandonJobs(ctx); err != nil {
			log.Error("mark interrupted jobs failed", "err", err)
		} else if n > 0 {
			log.Warn("jobs interrupted by a restart marked failed", "jobs", n)
		}
		followVersions(ctx, store, tileService, log)
	}()
	// One worker: re-rendering dropped low-zoom tiles is the lowest
	// priority and must leave the render slots to users.
	go tileService.Rewarm(ctx, 1)
	go tileService.Persist(ctx, func(err error) { log.Warn("store tiles", "err", err) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(a.stdout, "gapmap serving on http://%s/\n", ln.Addr())
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
	return api.New(api.Config{Store: store, Imports: store, Exports: store, Poverty: store, Tiles: ts, Static: web.Static(), Web: cfg.Web,
		Accounts: store, Audit: store, Jobs: store, JobSlots: cfg.JobSlots, JobTimeouts: cfg.JobTimeouts, ExportResultTTL: cfg.ExportResultTTL, Policy: cfg.Policy, PublicRead: cfg.PublicRead, Sessions: cfg.Sessions, OIDC: cfg.OIDC,
		Log: log, RequestTimeout: cfg.RequestTimeout, ImportMaxBytes: cfg.ImportMaxBytes, Admission: cfg.Admission})
}

// tileGate is the tile class's admission: one render per connection of
// the tile pool, a 2 s wait (a map asks again for what it still shows),
// and a queue of tileQueuePerSlot a slot.
func tileGate(cfg Config) *admit.Gate {
	return admit.NewGate(cfg.TileConns, cfg.TileConns*tileQueuePerSlot, 2*time.Second)
}

// tileQueuePerSlot is about what a render slot clears within the 2 s wait
// (a cold tile takes 10–50 ms): a longer queue would only time out, a
// shorter one refuses renders that would have been served in time, and
// every request for a tile being rendered shares its render, not a place
// in the queue.
const tileQueuePerSlot = 64

// migrateUntilReady applies the migrations, retrying with backoff until
// they succeed or ctx ends.
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
// bump in the database (from any process, and every rebuild of the
// low-zoom tables) refreshes them, coalesced so that a burst of writes
// costs one refresh. gapmap's own write routes refresh before they answer
// (api's freshTiles); this brings the writes of other processes.
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
