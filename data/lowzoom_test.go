package data_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// roadsTile renders the demo's roads layer at zoom z over the county seat
// and returns the features' ids and surfaces.
func roadsTile(t *testing.T, db *datatest.DB, z maptile.Zoom) (ids []int64, surfaces map[string]int) {
	t.Helper()
	layers, ok := tiles.SetLayers("roads")
	if !ok {
		t.Fatal("no roads layer")
	}
	tile := maptile.At(orb.Point{113.45, 29.48}, z)
	raw, _, err := db.Store.Tile(datatest.Context(), tiles.Request{Layers: layers, Z: int(z), X: int(tile.X), Y: int(tile.Y)})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(raw)
	if err != nil || len(ls) != 1 || len(ls[0].Features) == 0 {
		t.Fatalf("z%d roads tile: %v, %d layers", z, err, len(ls))
	}
	surfaces = map[string]int{}
	for _, f := range ls[0].Features {
		id, _ := f.ID.(float64) // orb decodes MVT ids as float64
		ids = append(ids, int64(id))
		if s, ok := f.Properties["surface"].(string); ok {
			surfaces[s]++
		}
	}
	return ids, surfaces
}

// merged says whether the tile came from roads_lowzoom, whose merged lines
// have ids from 10^12.
func merged(ids []int64) bool {
	for _, id := range ids {
		if id < 1e12 {
			return false
		}
	}
	return true
}

// TestLowZoomRoads: below z10 roads come from the prepared table, which a
// write on record keeps current (migration 0034); after a write off the
// record (as a bulk load makes, its triggers off) from the live table,
// and from the rebuilt table after RefreshLowZoom.
func TestLowZoomRoads(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if ids, _ := roadsTile(t, db, 9); !merged(ids) {
		t.Fatalf("z9 roads after the demo load are not the prepared lines: ids %v", ids[:min(5, len(ids))])
	}
	if ids, _ := roadsTile(t, db, 10); merged(ids) {
		t.Fatal("z10 roads come from the low-zoom table")
	}

	mustExec(t, db, `UPDATE roads SET surface = '土' WHERE grade = '县道'`)
	if ids, kept := roadsTile(t, db, 9); !merged(ids) || kept["土"] == 0 {
		t.Fatalf("after an edit z9 roads must be the prepared lines, kept current, with the new surface: merged %v, surfaces %v", merged(ids), kept)
	}
	if again, err := db.Store.RefreshLowZoom(ctx); err != nil || again {
		t.Errorf("a refresh after a write that kept the table current rebuilt %v (%v); want nothing to do", again, err)
	}

	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, sql := range []string{`ALTER TABLE roads DISABLE TRIGGER roads_version_tiles_update`,
		`UPDATE roads SET surface = '砂石' WHERE grade = '县道'`,
		`ALTER TABLE roads ENABLE TRIGGER roads_version_tiles_update`} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ids, live := roadsTile(t, db, 9)
	if merged(ids) || live["砂石"] == 0 {
		t.Fatalf("after a write off the record z9 roads must be the live ones with the new surface: merged %v, surfaces %v", merged(ids), live)
	}
	rebuilt, err := db.Store.RefreshLowZoom(ctx)
	if err != nil || !rebuilt {
		t.Fatalf("refresh: rebuilt %v, %v", rebuilt, err)
	}
	ids, prepared := roadsTile(t, db, 9)
	if !merged(ids) || prepared["砂石"] == 0 {
		t.Errorf("after the refresh z9 roads must be prepared and show the edit: merged %v, surfaces %v", merged(ids), prepared)
	}
	if again, err := db.Store.RefreshLowZoom(ctx); err != nil || again {
		t.Errorf("a second refresh rebuilt %v (%v); want nothing to do", again, err)
	}
}
