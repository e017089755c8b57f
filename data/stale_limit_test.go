package data_test

import (
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

// TestManyChangesRescoreEveryVillage: past the change limit an incremental
// run re-scores every village (a bulk upsert's change set costs its trace
// more than a full run), and below it only the villages the changes reach.
func TestManyChangesRescoreEveryVillage(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	if _, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	var units int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM villages WHERE kind IN ('行政村', '社区')`).Scan(&units); err != nil {
		t.Fatal(err)
	}
	edit := func() {
		t.Helper()
		// Three roads resurfaced: six change rows (old and new).
		if _, err := db.Pool.Exec(ctx, `UPDATE roads SET surface = '沥青' WHERE id IN (SELECT id FROM roads ORDER BY id LIMIT 3)`); err != nil {
			t.Fatal(err)
		}
	}

	restore := data.SetStaleFullAt(6)
	edit()
	below, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if below.BaseRunID == 0 || below.Rescored >= units {
		t.Fatalf("6 changes at a limit of 6: re-scored %d of %d (base %d), want the traced few", below.Rescored, units, below.BaseRunID)
	}

	data.SetStaleFullAt(5)
	edit()
	above, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, false, nil)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if above.Rescored != units {
		t.Fatalf("6 changes past a limit of 5: re-scored %d of %d villages, want all", above.Rescored, units)
	}
	if diffs := diffRun(t, db, p, demo.BaselineDate, above.ID); len(diffs) != 0 {
		t.Fatalf("the run past the limit differs from a full run: %v", diffs)
	}
}
