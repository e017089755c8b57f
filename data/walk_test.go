package data_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestFiveYearWalk walks the demo's plan from 2016 to 2020 (issue 19): the
// projects generated for the poor villages (the demo's plan, as `gapmap
// demo` generates it) are given years by rank — the need ranking, gap
// before, a village's 通村硬化路 before its other road projects, in five
// equal slices — and each year's are taken through the lifecycle by the
// store's principal (已入库 … 已验收, paid through the ledger, completed on
// June 30th, written into the layers by completion), then the year-end run
// scores the county as of December 31st. Then:
//   - every road project's (通路: 通村/通组硬化路, 窄路加宽, 招呼站, 危桥改造)
//     predicted 缺口后 equals the realised gap exactly: the realised gap is
//     its village's after every road project of the village written
//     before the year-end run, and the prediction compared is the one
//     generation measured for exactly that set (data/predict.go); the set
//     is checked against the plan's years here;
//   - the progress table 2016–2020 equals the counts written in SQL here
//     (progressOracle);
//   - the county's measured road gaps close year over year, and fewer
//     indicators fail in 2020 than at the end of 2015.
//
// The other dimensions' predictions against the realised gaps are logged,
// with their sets, for the note.
func TestFiveYearWalk(t *testing.T) {
	db, prof := scoredDemo(t)
	ctx := datatest.Context()
	if _, err := planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
		t.Fatal(err)
	}
	// Years by rank; a village's other road projects after its 通村硬化路.
	mustExec(t, db, `WITH r AS (
			SELECT id, 2015 + ntile(5) OVER (ORDER BY gap_before DESC NULLS LAST, 'R1' = ANY (source_indicator_ids) DESC, id) AS y
			FROM projects WHERE cost_wan > 0)
		UPDATE projects p SET year = r.y FROM r WHERE r.id = p.id`)
	mustExec(t, db, `UPDATE projects p SET year = least(r1.year + 1, 2020) FROM projects r1
		WHERE r1.village_id = p.village_id AND r1.id <> p.id AND 'R1' = ANY (r1.source_indicator_ids)
		  AND p.gap_dimension = '通路' AND p.year <= r1.year`)
	type walked struct {
		id   int64
		year int
	}
	rows, err := db.Pool.Query(ctx, `SELECT id, year FROM projects WHERE year IS NOT NULL ORDER BY year, id`)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (walked, error) {
		var w walked
		return w, r.Scan(&w.id, &w.year)
	})
	if err != nil {
		t.Fatal(err)
	}
	left := int(queryFloat(t, db, `SELECT count(*) FROM projects WHERE year IS NULL`))
	t.Logf("%d projects walked, %d without a cost left out", len(plan), left)

	for y := 2016; y <= 2020; y++ {
		n := 0
		for _, w := range plan {
			if w.year != y {
				continue
			}
			n++
			mustExec(t, db, `UPDATE projects SET status = '县级审定' WHERE id = $1`, w.id)
			buildInYear(t, db, w.id, y, [3]float64{0.5, 0.5, 0.5}, fmt.Sprintf("走〔%d〕%d号", y, w.id))
			move(t, db, w.id, "", planning.StateAccepted)
		}
		run, _, err := planning.ScoreOn(ctx, db.Store, prof, planning.YearEnd(y), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d: %d projects completed, year-end run %d", y, n, run.ID)
	}

	// Predicted against realised.
	rs, err := db.Store.Realised(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no project was written into the layers")
	}
	// The set each realised gap reflects, from the plan: the village's
	// projects of the dimension written in the project's year or before.
	yearOf := map[int64]int{}
	for _, w := range plan {
		yearOf[w.id] = w.year
	}
	type tally struct{ n, equal, unknown, alone, measured int }
	kinds := map[string]*tally{}
	roads := map[string]int{}
	for _, r := range rs {
		var want []int64
		for _, o := range rs {
			if o.ProjectID != r.ProjectID && o.VillageCode == r.VillageCode && o.Dimension == r.Dimension &&
				yearOf[o.ProjectID] <= yearOf[r.ProjectID] {
				want = append(want, o.ProjectID)
			}
		}
		if !slices.Equal(r.CompletedWith, want) {
			t.Errorf("%s (%d): realised with %v, want the plan's %v", r.Name, yearOf[r.ProjectID], r.CompletedWith, want)
		}
		k := kinds[r.Subtype]
		if k == nil {
			k = &tally{}
			kinds[r.Subtype] = k
		}
		k.n++
		if len(r.CompletedWith) == 0 {
			k.alone++
		}
		if r.Measured {
			k.measured++
		}
		d := r.Diff()
		switch {
		case d == nil:
			k.unknown++
		case math.Abs(*d) < 1e-9:
			k.equal++
		}
		if r.Dimension == planning.DimRoad {
			roads[r.Subtype]++
			if r.RunID == 0 || d == nil || *d != 0 || !r.Measured || !slices.Equal(r.PredictedWith, r.CompletedWith) {
				t.Errorf("%s %s (%s, run %d): predicted 缺口后 %v with %v, realised %v with %v; want them equal",
					r.Subtype, r.Name, r.CompletedOn, r.RunID, deref(r.Predicted), r.PredictedWith, deref(r.Realised), r.CompletedWith)
			}
			if a := r.PredictedAlone; a == nil || r.Realised == nil || *a != *r.Realised {
				t.Logf("%s %s (%s): own 缺口后 %v, realised %v with %v, indicators %v", r.Subtype, r.Name, r.CompletedOn,
					deref(a), deref(r.Realised), r.CompletedWith, r.Indicators)
			}
			continue
		}
		if d == nil || math.Abs(*d) >= 1e-9 {
			t.Logf("%s %s (%s): predicted %v with %v (measured %v, alone %v), realised %v with %v, indicators %v", r.Subtype, r.Name,
				r.CompletedOn, deref(r.Predicted), r.PredictedWith, r.Measured, deref(r.PredictedAlone), deref(r.Realised), r.CompletedWith, r.Indicators)
		}
	}
	for _, k := range []string{"通村硬化路", "通组硬化路", "窄路加宽", "招呼站", "危桥改造"} {
		if roads[k] == 0 {
			t.Errorf("the walk completed no %s", k)
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("%s: %d written (%d alone in their village's set, %d predicted for their set by measuring), %d predicted exactly, %d unknown",
			k, kinds[k].n, kinds[k].alone, kinds[k].measured, kinds[k].equal, kinds[k].unknown)
	}

	// The progress table against the oracle.
	years, err := planning.YearEndScores(ctx, db.Store, prof, 2016, 2020, true)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := db.Store.ProgressFacts(ctx, 2016, 2020)
	if err != nil {
		t.Fatal(err)
	}
	got := planning.Progress(years, facts)
	want, runOf := progressOracle(t, db, prof, 2016, 2020)
	checkProgress(t, got, want, runOf)
	for y := 2016; y <= 2020; y++ {
		if !years[y-2015].Reused {
			t.Errorf("%d: the progress table made its own year-end run, want the walk's read", y)
		}
	}

	// Gaps close year over year in the dimensions only projects change.
	// Water is logged: its gaps also open as the demo's water tests age
	// past their validity (W2, counted to each year-end), which no
	// generated project renews but 净化消毒 and a new works.
	dims := []string{"gap_road", "gap_grid", "gap_pv", "gap_water"}
	prev := map[string]float64{}
	first := map[string]float64{}
	for y := 2015; y <= 2020; y++ {
		var line []string
		for _, d := range dims {
			// The column names come from the fixed list above.
			sum := queryFloat(t, db, `SELECT coalesce(sum(`+d+`), 0) FROM run_scores WHERE run_id = $1`, runOf[y])
			line = append(line, fmt.Sprintf("%s %.1f", d, sum))
			if d != "gap_water" && y > 2015 && sum > prev[d]+1e-9 {
				t.Errorf("%d: %s sums to %.1f, more than %.1f a year before", y, d, sum, prev[d])
			}
			if d != "gap_water" && y == 2020 && sum >= first[d] {
				t.Errorf("%s sums to %.1f at the end of 2020, %.1f at the end of 2015; want less", d, sum, first[d])
			}
			if y == 2015 {
				first[d] = sum
			}
			prev[d] = sum
		}
		rows, err := db.Pool.Query(ctx, `SELECT indicator || ' ' || count(*) FROM run_indicators WHERE run_id = $1 AND status = 'fail'
			AND indicator LIKE 'W%' GROUP BY indicator ORDER BY indicator`, runOf[y])
		if err != nil {
			t.Fatal(err)
		}
		water, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d year-end (run %d): gap sums %v; water failures %v", y, runOf[y], line, water)
	}
}
