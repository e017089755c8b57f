package data_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// storedPrediction is a project's stored set prediction (migration 0033)
// and why it was cleared (0035).
type storedPrediction struct {
	gap     *float64
	after   []int64
	cleared *string
}

// storedPredictions reads every project's stored set prediction.
func storedPredictions(t *testing.T, db *datatest.DB) map[int64]storedPrediction {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id, gap_after_set, predicted_after, prediction_cleared FROM projects`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]storedPrediction{}
	var id int64
	var p storedPrediction
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.gap, &p.after, &p.cleared}, func() error {
		out[id] = storedPrediction{gap: p.gap, after: slices.Clone(p.after), cleared: p.cleared}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCleared compares every project's prediction after an edit of
// edited (deleted: it is gone) with the oracle computed from before: a
// project keeps its prediction unless it is the edited one or its
// sequence assumed it built (predicted_after holds it); those have none,
// with a reason that names the edited project and, unless deleted, what
// changed (want).
func checkCleared(t *testing.T, db *datatest.DB, before map[int64]storedPrediction, edited int64, clears bool, want string) {
	t.Helper()
	after := storedPredictions(t, db)
	cleared := 0
	for id, b := range before {
		a, ok := after[id]
		if !ok {
			if id != edited {
				t.Errorf("project %d vanished", id)
			}
			continue
		}
		hit := clears && (id == edited || slices.Contains(b.after, edited))
		if !hit {
			if !sameGap(a.gap, b.gap) || !slices.Equal(a.after, b.after) || !sameText(a.cleared, b.cleared) {
				t.Errorf("project %d (not in a set with %d): prediction %v after %v (%v), was %v after %v (%v)",
					id, edited, deref(a.gap), a.after, deref(a.cleared), deref(b.gap), b.after, deref(b.cleared))
			}
			continue
		}
		cleared++
		if a.gap != nil || a.after != nil || a.cleared == nil ||
			!strings.Contains(*a.cleared, "项目 "+strconv.FormatInt(edited, 10)+" ") || !strings.Contains(*a.cleared, want) {
			t.Errorf("project %d after editing %d: prediction %v after %v, reason %v; want none, the reason naming %d and %q",
				id, edited, deref(a.gap), a.after, deref(a.cleared), edited, want)
		}
	}
	if clears && cleared < 2 {
		t.Errorf("editing %d cleared %d predictions; the test wants a project with a later one in its sequence", edited, cleared)
	}
}

func sameText(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// TestEditClearsSetPrediction (issue 19): a generated project's stored set
// prediction, and those of the projects whose sequence assumed it built,
// are cleared when what its completion writes or the set it belongs to
// changes — its 工程量 or path edited, moved to another village, withdrawn,
// deleted, or changed by a regeneration — and kept through an unrelated
// edit (建设内容, 责任单位) and the lifecycle. The predicted-against-realised
// listing then shows 无预测 with the reason for the set whose prediction
// was cleared, and the prediction, equal to the realised gap, for a set
// edited only in its text.
func TestEditClearsSetPrediction(t *testing.T) {
	db, prof, seqs := generatedSequences(t, 7)
	ctx := datatest.Context()
	edit := func(id int64, f func(p *planning.Project)) { editProject(t, db, id, f) }

	// Unrelated edits and lifecycle steps keep every prediction.
	before := storedPredictions(t, db)
	edit(seqs[0][0], func(p *planning.Project) {
		p.Content += "（备注：村民代表大会已讨论）"
		p.ResponsibleUnit = "县交通运输局"
	})
	move(t, db, seqs[0][1], "", planning.StateVillage, planning.StateTownship)
	checkCleared(t, db, before, seqs[0][0], false, "")

	// 工程量 of a sequence's middle project: it and the ones after it.
	before = storedPredictions(t, db)
	edit(seqs[1][1], func(p *planning.Project) { p.Quantity *= 1.5 })
	checkCleared(t, db, before, seqs[1][1], true, "工程量")

	// The path of a first project: the whole sequence.
	before = storedPredictions(t, db)
	edit(seqs[2][0], func(p *planning.Project) {
		p.Geometry = project.Geometry(orb.Clone(p.Geometry), func(q orb.Point) orb.Point { return orb.Point{q[0] + 0.0005, q[1]} })
	})
	checkCleared(t, db, before, seqs[2][0], true, "几何")

	// Moved to another village (of another sequence's): it leaves its set.
	var other string
	if err := db.Pool.QueryRow(ctx, `SELECT v.code FROM projects p JOIN villages v ON v.id = p.village_id WHERE p.id = $1`,
		seqs[3][0]).Scan(&other); err != nil {
		t.Fatal(err)
	}
	before = storedPredictions(t, db)
	edit(seqs[4][0], func(p *planning.Project) { p.VillageCode, p.TownshipCode = other, "" })
	checkCleared(t, db, before, seqs[4][0], true, "所在村")

	// Withdrawn from the library.
	before = storedPredictions(t, db)
	move(t, db, seqs[5][0], "", toBuilt[:5]...)
	checkCleared(t, db, before, seqs[5][0], false, "")
	move(t, db, seqs[5][0], "乡镇调整规划，停建", planning.StateWithdrawn)
	checkCleared(t, db, before, seqs[5][0], true, "出库")

	// Deleted.
	before = storedPredictions(t, db)
	if err := db.Store.DeleteProject(ctx, seqs[6][0]); err != nil {
		t.Fatal(err)
	}
	checkCleared(t, db, before, seqs[6][0], true, "已删除")

	// The listing: the first project of seqs[2] (its path edited) and of
	// seqs[0] (its text edited), each completed alone, then scored.
	cleared, kept := seqs[2][0], seqs[0][0]
	mustExec(t, db, `UPDATE projects SET year = 2016, status = '已入库' WHERE id = ANY ($1)`, []int64{cleared, kept})
	for _, id := range []int64{cleared, kept} {
		move(t, db, id, "", planning.StateAnnualPlan, planning.StateBuilding, planning.StateBuilt, planning.StateAccepted)
	}
	if _, _, err := planning.Score(ctx, db.Store, prof, planning.YearEnd(2016), false, nil); err != nil {
		t.Fatal(err)
	}
	listed := realisedByProject(t, db)
	wantWhy := "无预测：预测后项目 " + strconv.FormatInt(cleared, 10) + " 几何"
	if r, ok := listed[cleared]; !ok || r.RunID == 0 || r.Predicted != nil || r.Diff() != nil || r.Measured ||
		!strings.HasPrefix(r.NoPrediction, wantWhy) || r.Row()[len(planning.RealisedHeaders)-1] != r.NoPrediction {
		t.Errorf("path-edited project %d listed %+v; want no prediction, %q…", cleared, r, wantWhy)
	}
	var measured float64
	if err := db.Pool.QueryRow(ctx, `SELECT gap_after_set FROM projects WHERE id = $1`, kept).Scan(&measured); err != nil {
		t.Fatal(err)
	}
	if r, ok := listed[kept]; !ok || r.RunID == 0 || r.Predicted == nil || *r.Predicted != measured || !r.Measured || r.NoPrediction != "" {
		t.Errorf("text-edited project %d listed %+v; want its measured prediction %v", kept, r, measured)
	} else {
		t.Logf("text-edited project %d: predicted %v, realised %v", kept, *r.Predicted, deref(r.Realised))
	}

	// Regeneration rewrites a candidate still at 需求摸底 with what the
	// generator sizes: its edited 工程量 comes back, which clears the
	// prediction of a later project a bureau has moved on (generation
	// leaves that one alone; its prediction is set here as generation
	// stored it before the edit cleared it), and measures the regenerated
	// ones afresh.
	movedOn := seqs[1][2]
	if _, err := db.Store.Transition(ctx, movedOn, planning.StateVillage, ""); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `UPDATE projects SET gap_after_set = 1, predicted_after = ARRAY[$1::bigint], prediction_cleared = NULL WHERE id = $2`,
		seqs[1][1], movedOn)
	if _, err := planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
		t.Fatal(err)
	}
	after := storedPredictions(t, db)
	if a := after[movedOn]; a.gap != nil || a.after != nil || a.cleared == nil || !strings.Contains(*a.cleared, "工程量") {
		t.Errorf("moved-on project %d after regeneration restored %d's 工程量: prediction %v after %v, reason %v; want none, 工程量",
			movedOn, seqs[1][1], deref(a.gap), a.after, deref(a.cleared))
	}
	if a := after[seqs[1][1]]; a.after == nil || a.cleared != nil {
		t.Errorf("regenerated project %d: prediction after %v, reason %v; want measured afresh", seqs[1][1], a.after, deref(a.cleared))
	}
}

// editProject reads project id, changes it with f and saves it as an API edit would.
func editProject(t *testing.T, db *datatest.DB, id int64, f func(p *planning.Project)) {
	t.Helper()
	ctx := datatest.Context()
	p, err := db.Store.Project(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	f(&p)
	if _, err := db.Store.UpdateProject(ctx, p); err != nil {
		t.Fatalf("edit %d: %v", id, err)
	}
}

// realisedByProject is the store's realised listing by project id.
func realisedByProject(t *testing.T, db *datatest.DB) map[int64]planning.Realised {
	t.Helper()
	rs, err := db.Store.Realised(datatest.Context())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]planning.Realised{}
	for _, r := range rs {
		byID[r.ProjectID] = r
	}
	return byID
}

// generatedSequences generates the scored demo's 项目库 and returns the
// database, its profile and its sequences of three or more measured
// projects (a village's projects in one dimension, each predicted assuming
// those before it built), first project first; it fails the test when
// there are fewer than want.
func generatedSequences(t *testing.T, want int) (*datatest.DB, planning.Profile, [][]int64) {
	t.Helper()
	db, prof := scoredDemo(t)
	ctx := datatest.Context()
	if _, err := planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT array_agg(id ORDER BY cardinality(predicted_after)) FROM projects
		WHERE predicted_after IS NOT NULL AND gap_after_set IS NOT NULL
		GROUP BY village_id, gap_dimension HAVING count(*) >= 3 ORDER BY min(id)`)
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[[]int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) < want {
		t.Fatalf("%d sequences of three measured projects, want %d", len(seqs), want)
	}
	return db, prof, seqs
}
