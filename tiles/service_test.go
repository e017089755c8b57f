package tiles_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// fixture is the demo county, scored, behind a Service configured as the
// binary configures it. The HTTP side is tested in cmd/gapmap/api.
type fixture struct {
	db      *datatest.DB
	service *tiles.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := datatest.NewDemo(t)
	if _, _, err := planning.Score(datatest.Context(), db.Store, planning.DefaultProfile(), demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	s := tiles.NewService(db.Store, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := s.Refresh(datatest.Context()); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, service: s}
}

// tile returns the layers of a tile as the Service serves it, keyed by
// name, in tile coordinates.
func (f *fixture) tile(t *testing.T, set string, tile maptile.Tile) map[string]*mvt.Layer {
	t.Helper()
	got, _, _, err := f.service.Tile(datatest.Context(), set, int(tile.Z), int(tile.X), int(tile.Y), tiles.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mvt.Layer{}
	if got == nil || got.RawSize == 0 {
		return out
	}
	layers, err := mvt.UnmarshalGzipped(got.Gzip)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

// seatTile returns the tile at zoom z holding the county seat.
func seatTile(t *testing.T, db *datatest.DB, z int) maptile.Tile {
	t.Helper()
	var lon, lat float64
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT ST_X(seat), ST_Y(seat) FROM townships WHERE code = '430682001'`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
}

// blockingSource holds every render until its context ends; its data
// covers the whole world.
type blockingSource struct {
	started chan struct{}
}

func (b *blockingSource) Tile(ctx context.Context, _ tiles.Request) ([]byte, []string, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	return nil, nil, ctx.Err()
}

func (b *blockingSource) Versions(context.Context) (map[string]int64, error) {
	return map[string]int64{}, nil
}

func (b *blockingSource) Bounds(context.Context) ([4]float64, bool, error) {
	return [4]float64{-180, -85, 180, 85}, true, nil
}

func (b *blockingSource) Attribution(context.Context) (string, error) { return "", nil }

func (*blockingSource) Changes(context.Context, string, int64, int64) ([][4]float64, bool, error) {
	return nil, false, nil
}

// TestServiceErrors checks the typed errors the HTTP layer maps to
// responses: an unknown set, a busy engine, and an empty tile that needs
// no render.
func TestServiceErrors(t *testing.T) {
	src := &blockingSource{started: make(chan struct{}, 1)}
	s := tiles.NewService(src, tiles.NewCache(0), time.Minute, admit.NewGate(1, 8, 2*time.Second))
	if err := s.Refresh(datatest.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := datatest.Context()

	var unknown *tiles.UnknownSetError
	if _, _, _, err := s.Tile(ctx, "nothing", 3, 1, 1, tiles.Filter{}); !errors.As(err, &unknown) || unknown.Set != "nothing" {
		t.Errorf("Tile of an unknown set: %v, want *UnknownSetError naming it", err)
	}
	if _, err := s.TileJSON("nothing", "http://example.com"); !errors.As(err, &unknown) {
		t.Errorf("TileJSON of an unknown set: %v, want *UnknownSetError", err)
	}
	if tile, version, _, err := s.Tile(ctx, "transformers", 5, 25, 13, tiles.Filter{}); err != nil || tile != nil || version == "" {
		t.Errorf("below every layer's zoom: tile %v version %q err %v, want no tile, a version and no error", tile, version, err)
	}

	// One render holds the only slot; the next request for another tile
	// gives up after the queue wait.
	hold, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Tile(hold, "review", 12, 3352, 1694, tiles.Filter{})
	}()
	<-src.started
	start := time.Now()
	if _, _, _, err := s.Tile(ctx, "review", 12, 3353, 1694, tiles.Filter{}); !errors.Is(err, tiles.ErrBusy) {
		t.Errorf("second render while the slot is held: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > s.MaxDuration() {
		t.Errorf("ErrBusy after %s, want within the queue wait", d)
	}
	cancel()
	wg.Wait()
}
