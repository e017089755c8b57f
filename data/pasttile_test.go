package data_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// TestPastTileFollowsNotifications: while ListenVersions is connected, a
// past date's tiles are drawn from what the date's first tile found (its
// snapshot and run) without reading the state again, until a version bump
// is notified. A run of that date scored after its tiles were drawn shows
// from the tiles after its notification on, and each tile equals the one a
// second Store, which remembers nothing yet, draws (it fails when the
// memo outlives a notification).
func TestPastTileFollowsNotifications(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	stop := listen(t, db)
	defer stop()
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *data.Store {
		s, err := data.OpenConfig(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	const asOf = "2016-12-31"
	layers, _ := tiles.SetLayers("review")
	tile := maptile.At(orb.Point{113.45, 29.48}, 12)
	req := tiles.Request{Layers: tiles.LayersAt(layers, 12), Z: 12, X: int(tile.X), Y: int(tile.Y), Filter: tiles.Filter{AsOf: asOf}}
	draw := func(s *data.Store) []byte {
		t.Helper()
		b, _, err := s.Tile(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := draw(db.Store)
	if again, oracle := draw(db.Store), draw(fresh()); !bytes.Equal(again, before) || !bytes.Equal(oracle, before) {
		t.Fatalf("as of %s before scoring: %d bytes, then %d; a new Store draws %d", asOf, len(before), len(again), len(oracle))
	}

	scoreAsOf(t, db, asOf)
	oracle := draw(fresh())
	if bytes.Equal(oracle, before) {
		t.Fatalf("as of %s: the tile is the same before and after scoring that date (%d bytes): the test sees nothing", asOf, len(before))
	}
	// The notification comes on the listener's own connection, shortly.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := draw(db.Store)
		if bytes.Equal(got, oracle) {
			break
		}
		if !bytes.Equal(got, before) || time.Now().After(deadline) {
			t.Fatalf("as of %s after scoring it: %d bytes, want the new Store's %d (before: %d)", asOf, len(got), len(oracle), len(before))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scoreAsOf scores the county, with its profile, as of date on the
// layers as they were then: a run of that date.
func scoreAsOf(t *testing.T, db *datatest.DB, date string) {
	t.Helper()
	ctx := datatest.Context()
	past, err := db.Store.AsOf(ctx, day(date))
	if err != nil {
		t.Fatal(err)
	}
	p, err := planning.CountyProfile(ctx, db.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := planning.Score(ctx, past, p, day(date), true, nil); err != nil {
		t.Fatal(err)
	}
}

// TestListenerPassesOverOtherSchemas: the version channel is the
// database's; a listener counts the bumps of its own schema only (a write
// of another schema's, made first, then one of its own: exactly one more).
func TestListenerPassesOverOtherSchemas(t *testing.T) {
	db, other := datatest.New(t), datatest.New(t)
	stop := listen(t, db)
	defer stop()
	start := db.Store.Notified()
	// A statement trigger bumps the version even when no row matches.
	mustExec(t, other, `UPDATE roads SET name = name WHERE false`)
	mustExec(t, db, `UPDATE roads SET name = name WHERE false`)
	deadline := time.Now().Add(10 * time.Second)
	for db.Store.Notified() == start {
		if time.Now().After(deadline) {
			t.Fatal("no notification of the listener's own schema within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Notifications come in commit order: the other schema's first.
	time.Sleep(200 * time.Millisecond)
	if got := db.Store.Notified() - start; got != 1 {
		t.Errorf("%d notifications counted after one write of another schema and one of its own, want 1", got)
	}
}
