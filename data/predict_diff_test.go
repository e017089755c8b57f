package data_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestPredictionEqualsPlain checks generation's prediction against the
// plain one (data.PlainPredictions: each village's projects completed one
// after another, the village measured alone after each on the graph
// patched for everything since its first): the same gap_after_set and
// predicted_after for every project, on the demo's generated 项目库 as
// stored, and on random halves of it, whose sequences and batches differ.
func TestPredictionEqualsPlain(t *testing.T) {
	db, prof := scoredDemo(t)
	ctx := datatest.Context()
	rep, err := planning.Generate(ctx, db.Store, prof, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	var asOf time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT as_of FROM scoring_runs WHERE id = $1`, rep.RunID).Scan(&asOf); err != nil {
		t.Fatal(err)
	}
	pred := &planning.Prediction{Profile: prof, AsOf: asOf}
	rows, err := db.Pool.Query(ctx, `SELECT id FROM projects WHERE key IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int64]data.Prediction{}
	rows, err = db.Pool.Query(ctx, `SELECT id, gap_after_set, predicted_after FROM projects WHERE predicted_after IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	var p data.Prediction
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.Gap, &p.After}, func() error {
		stored[id] = data.Prediction{Gap: p.Gap, After: slices.Clone(p.After)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(stored) != rep.Predicted || len(stored) == 0 {
		t.Fatalf("%d stored predictions, generation reported %d", len(stored), rep.Predicted)
	}
	comparePredictions(t, "demo", db, pred, ids, stored)

	seed := uint64(time.Now().UnixNano())
	t.Logf("random halves from seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 19))
	for k := range 2 {
		var half []int64
		for _, id := range ids {
			if r.IntN(2) == 0 {
				half = append(half, id)
			}
		}
		got, err := data.PredictGaps(ctx, db.Store, pred, half)
		if err != nil {
			t.Fatal(err)
		}
		comparePredictions(t, fmt.Sprintf("half %d (seed %d)", k, seed), db, pred, half, got)
	}
}

// comparePredictions compares got, the predictions of ids, with the plain
// ones.
func comparePredictions(t *testing.T, name string, db *datatest.DB, pred *planning.Prediction, ids []int64, got map[int64]data.Prediction) {
	t.Helper()
	want, err := data.PlainPredictions(datatest.Context(), db.Store, pred, ids)
	if err != nil {
		t.Fatal(err)
	}
	str := func(p data.Prediction) string {
		if p.Gap == nil {
			return fmt.Sprintf("gap 数据不足 after %v", p.After)
		}
		return fmt.Sprintf("gap %v after %v", *p.Gap, p.After)
	}
	for _, id := range ids {
		g, gok := got[id]
		w, wok := want[id]
		switch {
		case gok != wok:
			t.Errorf("%s: project %d predicted %v, plainly %v", name, id, gok, wok)
		case gok && str(g) != str(w):
			t.Errorf("%s: project %d: %s, plainly %s", name, id, str(g), str(w))
		}
	}
	t.Logf("%s: %d of %d projects predicted, as plainly", name, len(got), len(ids))
}
