package data_test

import (
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

// TestManyChangesRescoreEveryVillage: past the change limit an incremental
// run re-scores every village and rebuilds the whole road graph (a bulk
// upsert's change set costs its trace more than a full run), and below it
// only the villages the changes reach, on a patched graph.
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

	// kept counts the graph's vertex rows a run left as they were (same row
	// version, xmin): a patch rewrites only those near the change, a
	// rebuild every one.
	kept := func(before map[int64]string) (n int) {
		t.Helper()
		for id, x := range vertexVersions(t, db) {
			if before[id] == x {
				n++
			}
		}
		return n
	}

	restore := data.SetStaleFullAt(6)
	edit()
	vertices := vertexVersions(t, db)
	below, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if below.BaseRunID == 0 || below.Rescored >= units {
		t.Fatalf("6 changes at a limit of 6: re-scored %d of %d (base %d), want the traced few", below.Rescored, units, below.BaseRunID)
	}

	if n := kept(vertices); n == 0 {
		t.Fatalf("6 changes at a limit of 6: every graph vertex was rewritten, want a patch")
	}

	data.SetStaleFullAt(5)
	edit()
	vertices = vertexVersions(t, db)
	above, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, false, nil)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if above.Rescored != units {
		t.Fatalf("6 changes past a limit of 5: re-scored %d of %d villages, want all", above.Rescored, units)
	}
	if n := kept(vertices); n != 0 {
		t.Fatalf("6 changes past a limit of 5: %d of %d graph vertices kept, want the graph rebuilt", n, len(vertices))
	}
	if diffs := diffRun(t, db, p, demo.BaselineDate, above.ID); len(diffs) != 0 {
		t.Fatalf("the run past the limit differs from a full run: %v", diffs)
	}
}

// vertexVersions maps each road graph vertex to its row version (xmin).
func vertexVersions(t *testing.T, db *datatest.DB) map[int64]string {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id, xmin::text FROM road_vertices`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var x string
		if err := rows.Scan(&id, &x); err != nil {
			t.Fatal(err)
		}
		out[id] = x
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
