package data_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestProgressByYear: on the demo, the generated 通村硬化路 projects are
// completed, half dated 2017 and half 2018, and paid through the ledger;
// progress 2016–2018 must equal, figure by figure, counts written here in
// SQL over the year-end runs' stored scores, the projects' layer writes and
// the ledger; 2017's R1 passes rise in a township where a 2017 road closed a
// gap; a second call reads the same runs instead of scoring again.
func TestProgressByYear(t *testing.T) {
	db, prof := scoredDemo(t)
	ctx := datatest.Context()
	if _, err := planning.Generate(ctx, db.Store, prof, 0, true); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT id FROM projects WHERE subtype = '通村硬化路' AND gap_after_est IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 2 {
		t.Fatalf("the demo generates %d 通村硬化路 projects; the test needs two years of them", len(ids))
	}
	mustExec(t, db, `UPDATE projects SET year = 2016, status = '县级审定' WHERE id = ANY ($1)`, ids)
	for i, id := range ids {
		year := 2017 + i%2
		// Each kind a different amount: only 拨付 counts as spent.
		f := float64(i)
		buildInYear(t, db, id, year, [3]float64{3.25 + f, 2.25 + f, 1.25 + f}, fmt.Sprintf("测〔%d〕%d号", year, i))
	}
	// Completion writes the layers dated: 2017's before 2018's.
	for _, year := range []int{2017, 2018} {
		for i, id := range ids {
			if 2017+i%2 == year {
				move(t, db, id, "", planning.StateAccepted)
			}
		}
	}

	years, err := planning.YearEndScores(ctx, db.Store, prof, 2016, 2018, true)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := db.Store.ProgressFacts(ctx, 2016, 2018)
	if err != nil {
		t.Fatal(err)
	}
	got := planning.Progress(years, facts)

	want, runOf := progressOracle(t, db, prof, 2016, 2018)
	checkProgress(t, got, want, runOf)

	// A 2017 road closed R1: its township's R1 passes rise from 2016 to
	// 2017, and the row counts closed gaps and the project.
	var town string
	if err := db.Pool.QueryRow(ctx, `SELECT township_code FROM projects WHERE id = $1`, ids[0]).Scan(&town); err != nil {
		t.Fatal(err)
	}
	r1 := func(y int) int {
		return int(queryFloat(t, db, `SELECT count(*) FROM run_indicators i JOIN villages v ON v.id = i.village_id
			WHERE i.run_id = $1 AND i.indicator = 'R1' AND i.status = 'pass' AND v.township_code = $2`, runOf[y], town))
	}
	if r1(2017) <= r1(2016) {
		t.Errorf("township %s: R1 passes %d at 2016 year-end, %d at 2017's; want a rise from the 2017 road", town, r1(2016), r1(2017))
	}
	var g2017 *planning.ProgressRow
	for i := range got {
		if got[i].Year == 2017 && got[i].TownshipCode == town {
			g2017 = &got[i]
		}
	}
	if g2017 == nil || g2017.GapsClosed == nil || *g2017.GapsClosed == 0 || g2017.Projects == 0 || g2017.KmPaved <= 0 || g2017.Meeting[planning.DimRoad] == 0 && g2017.Exit[planning.ExitRoad] == 0 {
		t.Errorf("township %s 2017: %+v; want closed gaps, a completed road and its km", town, g2017)
	}

	// A second call reads the year-end runs.
	again, err := planning.YearEndScores(ctx, db.Store, prof, 2016, 2018, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range again {
		if !y.Reused || y.RunID != years[i].RunID {
			t.Errorf("year %d: run %d reused %v; want run %d read again", y.Year, y.RunID, y.Reused, years[i].RunID)
		}
	}
}

// progressKey is a row of the progress table: a year and a township.
type progressKey struct {
	year int
	code string
}

// progressOracle counts, in SQL written here, every figure of the progress
// table for the years from … to: the year-end runs' stored scores and
// indicators, the completed projects (by their as-built date) and the
// ledger's 拨付. runOf is each year's year-end run, from the year before
// from on.
func progressOracle(t *testing.T, db *datatest.DB, prof planning.Profile, from, to int) (map[progressKey]*planning.ProgressRow, map[int]int64) {
	t.Helper()
	ctx := datatest.Context()
	type key = progressKey
	want := map[key]*planning.ProgressRow{}
	row := func(k key) *planning.ProgressRow {
		if want[k] == nil {
			want[k] = &planning.ProgressRow{Year: k.year, TownshipCode: k.code, Meeting: map[string]int{}, Exit: map[string]int{}}
		}
		return want[k]
	}
	runOf := map[int]int64{}
	for y := from - 1; y <= to; y++ {
		var id int64
		if err := db.Pool.QueryRow(ctx, `SELECT max(id) FROM scoring_runs WHERE status = 'done' AND as_of = make_date($1, 12, 31)
			AND layers_as_of = make_date($1, 12, 31) AND profile_hash = $2`, y, prof.Hash()).Scan(&id); err != nil {
			t.Fatalf("year-end run %d: %v", y, err)
		}
		runOf[y] = id
	}
	// Counted villages: the poor ones when any is flagged.
	const counted = `SELECT rs.*, v.township_code FROM run_scores rs JOIN villages v ON v.id = rs.village_id
		WHERE rs.run_id = $1 AND ((rs.score ->> 'is_poor_village')::boolean OR NOT EXISTS (
			SELECT FROM run_scores x WHERE x.run_id = $1 AND (x.score ->> 'is_poor_village')::boolean))`
	scan := func(sql string, args []any, f func(k key, r *planning.ProgressRow, n int64, item string)) {
		t.Helper()
		rows, err := db.Pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var item string
			var n int64
			if err := rows.Scan(&k.year, &k.code, &item, &n); err != nil {
				t.Fatal(err)
			}
			f(k, row(k), n, item)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
	}
	for y := from; y <= to; y++ {
		args := []any{runOf[y], y, runOf[y-1]}
		scan(`SELECT $2::int, c.township_code, '', count(*) FROM (`+counted+`) c GROUP BY 2`, args[:2],
			func(_ key, r *planning.ProgressRow, n int64, _ string) { r.Villages = int(n) })
		scan(`SELECT $2::int, c.township_code, d.dim, count(*) FROM (`+counted+`) c,
			LATERAL (VALUES ('通路', c.gap_road), ('饮水', c.gap_water), ('农网', c.gap_grid), ('光伏', c.gap_pv)) d (dim, gap)
			WHERE d.gap = 0 AND NOT d.dim = ANY (c.unknown_gaps) GROUP BY 2, 3`, args[:2],
			func(_ key, r *planning.ProgressRow, n int64, dim string) { r.Meeting[dim] = int(n) })
		scan(`SELECT $2::int, c.township_code, e ->> 'item', count(*) FROM (`+counted+`) c,
			jsonb_array_elements(c.score -> 'exit_checklist') e WHERE e ->> 'status' = 'pass' GROUP BY 2, 3`, args[:2],
			func(_ key, r *planning.ProgressRow, n int64, item string) { r.Exit[item] = int(n) })
		scan(`SELECT $2::int, c.township_code, '', count(*) FROM (`+counted+`) c WHERE c.exit_fail = 0 AND c.exit_no_data = 0
			AND jsonb_array_length(c.score -> 'exit_checklist') > 0 GROUP BY 2`, args[:2],
			func(_ key, r *planning.ProgressRow, n int64, _ string) { r.ExitAll = int(n) })
		scan(`SELECT $2::int, c.township_code, '', count(*) FROM (`+counted+`) c
			JOIN run_indicators now ON now.run_id = $1 AND now.village_id = c.village_id AND now.status = 'pass'
			JOIN run_indicators was ON was.run_id = $3 AND was.village_id = c.village_id AND was.indicator = now.indicator
				AND was.status = 'fail' GROUP BY 2`, args,
			func(_ key, r *planning.ProgressRow, n int64, _ string) { r.GapsClosed = ptr(int(n)) })
	}
	// Every project of the tests is completed with an as-built date.
	rows, err := db.Pool.Query(ctx, `SELECT extract(year FROM (p.as_built ->> 'completed_on')::date)::int, coalesce(p.township_code, ''),
			count(*), coalesce(sum(p.quantity) FILTER (WHERE p.category = '基础设施-道路' AND p.unit = 'km'), 0)::float8
		FROM projects p WHERE p.status IN ('已完工', '已验收', '绩效评价') GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		var n int
		var km float64
		if err := rows.Scan(&k.year, &k.code, &n, &km); err != nil {
			t.Fatal(err)
		}
		if k.year >= from && k.year <= to {
			row(k).Projects, row(k).KmPaved = n, km
		}
	}
	rows, err = db.Pool.Query(ctx, `SELECT extract(year FROM e.entry_date)::int, p.township_code, sum(e.amount_wan)::float8
		FROM fund_entries e JOIN projects p ON p.id = e.project_id WHERE e.kind = '拨付' GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	paid := 0.0
	for rows.Next() {
		var k key
		var wan float64
		if err := rows.Scan(&k.year, &k.code, &wan); err != nil {
			t.Fatal(err)
		}
		if k.year >= from && k.year <= to {
			row(k).PaidWan = wan
			paid += wan
		}
	}
	if paid == 0 {
		t.Fatalf("no 拨付 in %d–%d: the money check proves nothing", from, to)
	}

	// Every year and its previous have a run: every row knows its gaps closed.
	for _, r := range want {
		if r.GapsClosed == nil {
			r.GapsClosed = new(int)
		}
	}
	return want, runOf
}

// checkProgress compares the progress table got with the oracle's.
func checkProgress(t *testing.T, got []planning.ProgressRow, want map[progressKey]*planning.ProgressRow, runOf map[int]int64) {
	t.Helper()
	type key = progressKey
	if len(got) != len(want) {
		t.Errorf("%d rows, oracle %d", len(got), len(want))
	}
	for _, g := range got {
		k := key{g.Year, g.TownshipCode}
		w := want[k]
		if w == nil {
			t.Errorf("row %v not in the oracle", k)
			continue
		}
		if g.RunID != runOf[g.Year] {
			t.Errorf("%v: run %d, want the year-end run %d", k, g.RunID, runOf[g.Year])
		}
		if g.Villages != w.Villages || g.ExitAll != w.ExitAll || !sameInt(g.GapsClosed, w.GapsClosed) || g.Projects != w.Projects ||
			math.Abs(g.KmPaved-w.KmPaved) > 1e-9 || math.Abs(g.PaidWan-w.PaidWan) > 1e-9 {
			t.Errorf("%v: got villages %d exit-all %d closed %d projects %d km %v paid %v;\nwant villages %d exit-all %d closed %d projects %d km %v paid %v",
				k, g.Villages, g.ExitAll, deref(g.GapsClosed), g.Projects, g.KmPaved, g.PaidWan,
				w.Villages, w.ExitAll, deref(w.GapsClosed), w.Projects, w.KmPaved, w.PaidWan)
		}
		for _, d := range planning.Dimensions {
			if g.Meeting[d] != w.Meeting[d] {
				t.Errorf("%v: %d villages meet %s, oracle %d", k, g.Meeting[d], d, w.Meeting[d])
			}
		}
		for _, e := range planning.ExitItems {
			if g.Exit[e] != w.Exit[e] {
				t.Errorf("%v: %d villages pass %s, oracle %d", k, g.Exit[e], e, w.Exit[e])
			}
		}
	}

}

func sameInt(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
