package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/tiles"
)

// benchTiles runs the tile load benchmark against this database: an
// in-process tile server without cache (cold) and one with cache (warm,
// primed by one pass over the list), and optionally a peer server, all
// loaded over loopback HTTP with the same fixed tile list per zoom.
func benchTiles(ctx context.Context, cfg Config, store *data.Store, log *slog.Logger, stdout io.Writer) error {
	b, ok, err := store.Bounds(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the database holds no data: load the demo (gapmap demo --load-only) or an import first")
	}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	coldCache := tiles.NewCache(0)
	cold, err := startTileServer(ctx, store, coldCache, cfg, quiet)
	if err != nil {
		return err
	}
	warm, err := startTileServer(ctx, store, tiles.NewCache(cfg.TileCacheBytes), cfg, quiet)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * cfg.Bench.Clients}}
	bc := cfg.Bench
	fmt.Fprintf(stdout, "tile load: layer set %s, %d clients, %s per zoom and mode, up to %d tiles per zoom, bounds %.3f,%.3f,%.3f,%.3f\n",
		bc.LayerSet, bc.Clients, bc.Duration, bc.MaxTiles, b[0], b[1], b[2], b[3])
	for z := bc.MinZoom; z <= bc.MaxZoom; z++ {
		list := tiles.TileList(bound, z, bc.MaxTiles)
		runs := []struct{ name, url string }{
			{"cold", cold + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"},
			{"warm", warm + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"},
		}
		if bc.Peer != "" {
			runs = append(runs, struct{ name, url string }{"peer", bc.Peer})
		}
		for _, run := range runs {
			if run.name == "warm" {
				if err := tiles.Prime(ctx, client, run.url, list); err != nil {
					return fmt.Errorf("prime the cache: %w", err)
				}
			}
			before := coldCache.Stats()
			res := tiles.Load(ctx, client, run.url, z, list, bc.Clients, bc.Duration)
			fmt.Fprintf(stdout, "%-4s %s", run.name, res)
			if run.name == "cold" {
				// Without a cache, concurrent requests for one tile still share
				// one render; renders/s is the database's throughput.
				after := coldCache.Stats()
				fmt.Fprintf(stdout, "  %.1f renders/s", float64(after.Misses-before.Misses)/res.Duration.Seconds())
			}
			fmt.Fprintln(stdout)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return nil
}

// startTileServer serves the tiles of store with cache on a loopback port
// until ctx ends and returns its base URL.
func startTileServer(ctx context.Context, store *data.Store, cache *tiles.Cache, cfg Config, log *slog.Logger) (string, error) {
	ts := tiles.NewServer(store, cache, log, cfg.RequestTimeout, cfg.MaxConns)
	if err := ts.Refresh(ctx); err != nil {
		return "", err
	}
	r := mux.NewRouter()
	ts.Register(r)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}
