package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// outsideWriteBound is how soon a write made outside gapmap (psql, another
// process) reaches the tiles: the notification's trip plus one refresh.
// README states it.
const outsideWriteBound = 2 * time.Second

// TestOutsideWriteReachesTilesWithinBound updates a road with plain SQL,
// as psql would, 20 times, while the server follows the versions as `gapmap
// serve` does (followVersions), and measures how long until the warm
// engine serves what a cold render draws: every time within
// outsideWriteBound.
func TestOutsideWriteReachesTilesWithinBound(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx, cancel := context.WithCancel(datatest.Context())
	defer cancel()
	warm := tiles.NewService(db.Store, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	cold := tiles.NewService(db.Store, tiles.NewCache(0), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := cold.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	go followVersions(ctx, db.Store, warm, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if doc, err := warm.TileJSON("all", ""); err == nil && doc.Bounds != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tile engine never refreshed")
		}
	}
	var id int64
	var lon, lat float64
	if err := db.Pool.QueryRow(ctx, `SELECT id, ST_X(ST_PointN(geom, 1)), ST_Y(ST_PointN(geom, 1)) FROM roads
		WHERE grade = '县道' ORDER BY id LIMIT 1`).Scan(&id, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{lon, lat}, 14)
	etag := func(s *tiles.Service) string {
		got, _, _, err := s.Tile(ctx, "all", int(tile.Z), int(tile.X), int(tile.Y), tiles.Filter{})
		if err != nil || got == nil {
			t.Fatalf("tile: %v %v", got, err)
		}
		return got.ETag
	}
	etag(warm)
	var took []time.Duration
	for i := range 20 {
		surface := []string{"土", "沥青"}[i%2]
		if _, err := db.Pool.Exec(ctx, `UPDATE roads SET surface = $2 WHERE id = $1`, id, surface); err != nil {
			t.Fatal(err)
		}
		committed := time.Now()
		want := etag(cold)
		for etag(warm) != want {
			if time.Since(committed) > 10*outsideWriteBound {
				t.Fatalf("write %d: the tile is still old after %s", i, 10*outsideWriteBound)
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(committed))
	}
	slices.Sort(took)
	t.Logf("outside writes reached the tiles in %s (median) to %s (max) over %d writes", took[len(took)/2], took[len(took)-1], len(took))
	if took[len(took)-1] > outsideWriteBound {
		t.Errorf("an outside write took %s to reach the tiles, want within %s", took[len(took)-1], outsideWriteBound)
	}
}
