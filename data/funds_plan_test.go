package data_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// plannedSQL is a project's Σ计划 by source code, in cents, summed by SQL
// over the entries (reversals included), sources netting to zero left out.
func plannedSQL(t *testing.T, db *datatest.DB, id int64) map[string]int64 {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT source_code, sum(amount_cents)::bigint FROM fund_entries
		WHERE project_id = $1 AND kind = '计划' GROUP BY source_code HAVING sum(amount_cents) <> 0`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var cents int64
		if err := rows.Scan(&code, &cents); err != nil {
			t.Fatal(err)
		}
		out[code] = cents
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ledgerState is everything a refused step must leave alone: the ledger,
// the audit trail and the project rows.
func ledgerState(t *testing.T, db *datatest.DB) string {
	t.Helper()
	var s string
	if err := db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM fund_entries) || '/' ||
		(SELECT count(*) FROM gapmap_audit.entries WHERE chain = current_schema()) || '/' ||
		(SELECT count(*) FROM project_transitions) || '/' ||
		(SELECT md5(string_agg(id || status || funding::text || cost_wan, ',' ORDER BY id)) FROM projects)`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlannedFollowsFunding: a project's 计划 entries are written from its
// 资金来源 when it enters the library and when the 资金来源 changes there;
// a lowering under what is 下达 and an unknown source are refused with
// nothing written.
func TestPlannedFollowsFunding(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := datatest.Context()
	pid := insertProject(t, db, "甲村产业路", planning.CatRoad, "430682101201", planning.StateApproved, 100)
	setFunding(t, db, pid, `[{"source": "中央财政专项扶贫资金", "amount_wan": 80}, {"source": "县级财政专项扶贫资金", "amount_wan": 20}]`)
	if got := plannedSQL(t, db, pid); len(got) != 0 {
		t.Fatalf("计划 before the library: %v", got)
	}
	moveProject(t, db, pid, planning.StateInLibrary)
	if got, want := plannedSQL(t, db, pid), map[string]int64{"central": 8000, "county": 2000}; !maps.Equal(got, want) {
		t.Fatalf("计划 on entering the library: %v, want %v", got, want)
	}
	l, err := db.Store.ProjectLedger(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var today string
	if err := db.Pool.QueryRow(context.Background(), `SELECT to_char(current_date, 'YYYY-MM-DD')`).Scan(&today); err != nil {
		t.Fatal(err)
	}
	if e := l.Entries[0]; e.Date != today || e.Note != "资金来源调整：中央财政专项扶贫资金 由 0.00 万元调整为 80.00 万元（项目入库）" || e.Actor == "" {
		t.Errorf("the first 计划 entry: %+v", e)
	}
	if _, err := db.Store.AddFundEntry(ctx, planning.FundEntry{ProjectID: pid, Kind: "下达", Source: "central", AmountWan: 60,
		Date: "2018-03-01", DocNo: "临财农〔2018〕1号"}); err != nil {
		t.Fatal(err)
	}
	edit := func(cost float64, funding ...planning.Funding) error {
		p, err := db.Store.Project(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		p.CostWan, p.Funding = cost, funding
		_, err = db.Store.UpdateProject(ctx, p)
		return err
	}
	refused := func(err error, want ...string) {
		t.Helper()
		if planning.ErrorCode(err) != planning.EInvalid {
			t.Errorf("error %v, want invalid", err)
		}
		for _, w := range want {
			if !strings.Contains(planning.ErrorMessage(err), w) {
				t.Errorf("message %q lacks %q", planning.ErrorMessage(err), w)
			}
		}
	}
	before := ledgerState(t, db)
	refused(edit(100, planning.Funding{Source: "中央财政专项扶贫资金", AmountWan: 50}, planning.Funding{Source: "县级财政专项扶贫资金", AmountWan: 50}),
		"资金来源“中央财政专项扶贫资金”：下达合计 60.00 万元将超过计划合计 50.00 万元")
	refused(edit(100, planning.Funding{Source: "中央财政专项扶贫资金", AmountWan: 70}, planning.Funding{Source: "村集体自筹", AmountWan: 30}),
		"资金来源“村集体自筹”不在本县资金来源列表中", "gapmap funds sources")
	if after := ledgerState(t, db); after != before {
		t.Errorf("refused edits wrote: %s → %s", before, after)
	}
	// central 80 → 70, county stays 20, integrated 10 comes.
	if err := edit(100, planning.Funding{Source: "中央财政专项扶贫资金", AmountWan: 70}, planning.Funding{Source: "县级财政专项扶贫资金", AmountWan: 20},
		planning.Funding{Source: "统筹整合涉农资金", AmountWan: 10}); err != nil {
		t.Fatal(err)
	}
	if got, want := plannedSQL(t, db, pid), map[string]int64{"central": 7000, "county": 2000, "integrated": 1000}; !maps.Equal(got, want) {
		t.Errorf("计划 after the edit: %v, want %v", got, want)
	}
	l, err = db.Store.ProjectLedger(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range l.Entries[3:] {
		kinds = append(kinds, fmt.Sprintf("%s %s %.2f %d %s", e.Kind, e.Source, e.AmountWan, e.Reverses, e.Note))
	}
	want := []string{
		fmt.Sprintf("计划 central -80.00 %d 资金来源调整", l.Entries[0].ID),
		"计划 central 70.00 0 资金来源调整：中央财政专项扶贫资金 由 80.00 万元调整为 70.00 万元（编辑项目）",
		"计划 integrated 10.00 0 资金来源调整：统筹整合涉农资金 由 0.00 万元调整为 10.00 万元（编辑项目）",
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("entries of the edit:\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
	if l.Entries[3].Date != l.Entries[0].Date {
		t.Errorf("the reversal is dated %s, its entry %s", l.Entries[3].Date, l.Entries[0].Date)
	}
	// An edit that leaves the 资金来源 alone writes no entry.
	n0, _ := fundCounts(t, db)
	p, err := db.Store.Project(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "甲村产业路（改线）"
	if _, err := db.Store.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n, _ := fundCounts(t, db); n != n0 {
		t.Errorf("a rename wrote %d entries", n-n0)
	}
}

// TestPlannedFundingDifferential walks random projects through random
// edits of their 资金来源, moves along the lifecycle (into the library,
// beyond, out of it and back) and 下达 entries, and after every step
// compares each project's Σ计划 per source, summed by SQL over the
// entries, with a model kept in Go: a project's 计划 is its 资金来源 while
// it is in the library (or withdrawn from it) and stays what it was
// otherwise. The model also says which steps the store must refuse
// (lowering under 下达, an unknown source, 下达 over the plan or before
// the library); a refused step must write nothing at all.
func TestPlannedFundingDifferential(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := datatest.Context()
	rng := rand.New(rand.NewPCG(20, 1215))
	names := map[string]string{"中央财政专项扶贫资金": "central", "县级财政专项扶贫资金": "county",
		"统筹整合涉农资金": "integrated", "社会帮扶资金": "social"}
	nameList := slices.Sorted(maps.Keys(names))
	const unknownName = "村集体自筹"

	type model struct {
		id        int64
		entered   bool             // has been 已入库 (its ledger opened)
		planned   map[string]int64 // Σ计划 by code, cents: what the ledger must say
		allocated map[string]int64 // Σ下达 by code, cents
	}
	// target is the 资金来源 by code in cents, computed here apart from
	// the store; ok is false when a name is not in the list.
	target := func(fs []planning.Funding) (map[string]int64, bool) {
		out := map[string]int64{}
		for _, f := range fs {
			code, ok := names[f.Source]
			if !ok {
				return nil, false
			}
			if c := int64(f.AmountWan*100 + 0.5); c > 0 {
				out[code] += c
			}
		}
		return out, true
	}
	// fits says whether the ledger may take a new 计划 without going
	// under what is 下达.
	fits := func(m *model, want map[string]int64) bool {
		for code, a := range m.allocated {
			if want[code] < a {
				return false
			}
		}
		return true
	}
	randomFunding := func() ([]planning.Funding, float64) {
		var fs []planning.Funding
		var cents int64
		for range 1 + rng.IntN(3) {
			name := nameList[rng.IntN(len(nameList))]
			if rng.IntN(12) == 0 {
				name = unknownName
			}
			c := int64(rng.IntN(5) * 1000) // often equal to what was, sometimes 0
			if rng.IntN(2) == 0 {
				c = 1 + rng.Int64N(9000)
			}
			fs = append(fs, planning.Funding{Source: name, AmountWan: float64(c) / 100})
			cents += c
		}
		if cents == 0 { // a project needs a cost to enter the library
			fs[0].AmountWan, cents = 1, 100
		}
		return fs, float64(cents) / 100
	}

	var ms []*model
	for i := range 8 {
		id := insertProject(t, db, fmt.Sprintf("项目%d", i), planning.CatRoad, "430682101201", planning.StateApproved, 100)
		setFunding(t, db, id, `[{"source": "中央财政专项扶贫资金", "amount_wan": 60}, {"source": "统筹整合涉农资金", "amount_wan": 40}]`)
		ms = append(ms, &model{id: id, planned: map[string]int64{}, allocated: map[string]int64{}})
	}
	steps := map[string]int{}
	for step := range 500 {
		m := ms[rng.IntN(len(ms))]
		p, err := db.Store.Project(ctx, m.id)
		if err != nil {
			t.Fatal(err)
		}
		synced := planning.InLibrary(p.Status) || p.Status == planning.StateWithdrawn && m.entered
		before := ledgerState(t, db)
		var what string
		var accept bool
		var after func()
		switch r := rng.IntN(10); {
		case r < 4: // edit the 资金来源
			fs, cost := randomFunding()
			want, known := target(fs)
			what = fmt.Sprintf("edit %s funding %v", p.Status, fs)
			accept = !synced || known && fits(m, want)
			after = func() {
				if synced {
					m.planned = want
				}
			}
			p.Funding, p.CostWan = fs, cost
			_, err = db.Store.UpdateProject(ctx, p)
		case r < 8: // a move, forward more often than not
			moves := planning.Moves(p)
			if len(moves) == 0 {
				continue
			}
			to := moves[rng.IntN(len(moves))]
			for _, mv := range moves {
				if slices.Index(planning.States, mv) > slices.Index(planning.States, p.Status) && mv != planning.StateWithdrawn && rng.IntN(3) > 0 {
					to = mv
				}
			}
			// Withdrawal from the library, its ledger open, now and then.
			if planning.InLibrary(p.Status) && slices.Contains(moves, planning.StateWithdrawn) && rng.IntN(4) == 0 {
				to = planning.StateWithdrawn
			}
			if planning.CheckTransition(p, to, "测试") != nil {
				continue
			}
			what = fmt.Sprintf("move %s → %s", p.Status, to)
			accept = true
			var want map[string]int64
			if to == planning.StateInLibrary {
				var known bool
				want, known = target(p.Funding)
				accept = known && fits(m, want)
			}
			after = func() {
				if to == planning.StateInLibrary {
					m.entered, m.planned = true, want
				}
			}
			_, err = db.Store.Transition(ctx, m.id, to, "测试")
		default: // a 下达
			code := names[nameList[rng.IntN(len(nameList))]]
			c := 1 + rng.Int64N(max(m.planned[code]-m.allocated[code], 0)+300)
			what = fmt.Sprintf("下达 %s %d on %s", code, c, p.Status)
			accept = planning.LedgerOpen(p.Status) && m.allocated[code]+c <= m.planned[code]
			after = func() { m.allocated[code] += c }
			_, err = db.Store.AddFundEntry(ctx, planning.FundEntry{ProjectID: m.id, Kind: planning.LedgerAllocated, Source: code,
				AmountWan: float64(c) / 100, Date: "2018-05-01", DocNo: fmt.Sprintf("文-%d", step)})
		}
		switch {
		case accept && err != nil:
			t.Fatalf("step %d, %s: refused: %v", step, what, err)
		case !accept && err == nil:
			t.Fatalf("step %d, %s: accepted, want a refusal", step, what)
		case err != nil:
			if planning.ErrorCode(err) == planning.EInternal {
				t.Fatalf("step %d, %s: %v", step, what, err)
			}
			if got := ledgerState(t, db); got != before {
				t.Fatalf("step %d, %s: refused (%v) but written: %s → %s", step, what, err, before, got)
			}
			steps["refused"]++
			steps["refused "+strings.Fields(what)[0]]++
		default:
			after()
			steps[strings.Fields(what)[0]]++
			if strings.HasPrefix(what, "move") {
				steps[what]++
			}
		}
		for _, m := range ms {
			if got := plannedSQL(t, db, m.id); !maps.Equal(got, m.planned) {
				t.Fatalf("step %d, %s: project %d Σ计划 %v, want %v", step, what, m.id, got, m.planned)
			}
			p, err := db.Store.Project(ctx, m.id)
			if err != nil {
				t.Fatal(err)
			}
			// The rule itself: in the library, Σ计划 is the 资金来源.
			if planning.InLibrary(p.Status) {
				if want, _ := target(p.Funding); !maps.Equal(m.planned, want) {
					t.Fatalf("step %d, %s: project %d at %s plans %v, its 资金来源 says %v", step, what, m.id, p.Status, m.planned, want)
				}
			}
		}
	}
	t.Logf("steps: %v", steps)
	for _, k := range []string{"edit", "move", "下达", "refused edit", "refused move", "refused 下达",
		"move 县级审定 → 已入库", "move 已入库 → 已出库", "move 已出库 → 需求摸底"} {
		if steps[k] < 3 {
			t.Errorf("only %d accepted %q steps: the walk tests too little", steps[k], k)
		}
	}
}
