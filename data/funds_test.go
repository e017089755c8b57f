package data_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// fundsPlaces adds a second township and villages to loadFixture's, so
// that roll-ups by village and township have several groups.
func fundsPlaces(t *testing.T, db *datatest.DB) {
	t.Helper()
	loadFixture(t, db)
	for _, sql := range []string{
		`INSERT INTO townships (code, county_code, name, seat, source_id) VALUES
			('430682102', '430682', '二镇', ST_SetSRID(ST_MakePoint(113.45, 29.45), 4490), 1)`,
		`INSERT INTO villages (code, name, township_code, kind, office, households, population, source_id) VALUES
			('430682102201', '丙村', '430682102', '行政村', ST_SetSRID(ST_MakePoint(113.46, 29.46), 4490), 100, 300, 1)`,
	} {
		if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// insertProject adds a project straight into the table at a given status.
func insertProject(t *testing.T, db *datatest.DB, name, category, village, status string, costWan float64) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `INSERT INTO projects
		(name, category, township_code, village_id, cost_wan, status, year, targets, source_id)
		SELECT $1, $2, v.township_code, v.id, $4, $3, 2018, '[{"level1":"产出指标","level3":"x","value":"1"}]', 1
		FROM villages v WHERE v.code = $5 RETURNING id`, name, category, status, costWan, village).Scan(&id); err != nil {
		t.Fatalf("insert project %s: %v", name, err)
	}
	return id
}

// counts are the ledger's entries and the schema's audit entries.
func fundCounts(t *testing.T, db *datatest.DB) (entries, audits int) {
	t.Helper()
	if err := db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM fund_entries),
		(SELECT count(*) FROM gapmap_audit.entries WHERE chain = current_schema() AND action LIKE 'funds.%')`).Scan(&entries, &audits); err != nil {
		t.Fatal(err)
	}
	return entries, audits
}

func TestFundLedgerChecks(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := datatest.Context()
	pid := insertProject(t, db, "甲村产业路", planning.CatRoad, "430682101201", planning.StateApproved, 100)
	setFunding(t, db, pid, `[{"source": "中央财政专项扶贫资金", "amount_wan": 80}, {"source": "县级财政专项扶贫资金", "amount_wan": 20}]`)
	add := func(e planning.FundEntry) (planning.FundEntry, error) {
		if e.ProjectID == 0 {
			e.ProjectID = pid
		}
		if e.Date == "" {
			e.Date = "2018-03-01"
		}
		return db.Store.AddFundEntry(ctx, e)
	}
	ok := func(e planning.FundEntry) planning.FundEntry {
		t.Helper()
		got, err := add(e)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		return got
	}
	// refused checks the code and the message, and that nothing was
	// written: no entry and no audit entry.
	refused := func(e planning.FundEntry, code string, want ...string) {
		t.Helper()
		n0, a0 := fundCounts(t, db)
		_, err := add(e)
		if planning.ErrorCode(err) != code {
			t.Errorf("%+v: error %v, want code %s", e, err, code)
		}
		for _, w := range want {
			if !strings.Contains(planning.ErrorMessage(err), w) {
				t.Errorf("%+v: message %q lacks %q", e, planning.ErrorMessage(err), w)
			}
		}
		if n, a := fundCounts(t, db); n != n0 || a != a0 {
			t.Errorf("%+v refused but written: entries %d → %d, audit %d → %d", e, n0, n, a0, a)
		}
	}
	const c = "central"
	// The ledger starts at 已入库; 计划 is never recorded, it is the
	// project's 资金来源.
	refused(planning.FundEntry{Kind: "下达", Source: c, AmountWan: 10, DocNo: "临财农〔2018〕1号"}, planning.EConflict,
		"项目处于“县级审定”，不能记账")
	refused(planning.FundEntry{Kind: "计划", Source: c, AmountWan: 80}, planning.EInvalid, "计划由项目的资金来源确定，请编辑项目")
	moveProject(t, db, pid, planning.StateInLibrary)
	refused(planning.FundEntry{Kind: "计划", Source: c, AmountWan: 1}, planning.EInvalid, "计划由项目的资金来源确定，请编辑项目")
	refused(planning.FundEntry{Reverses: ledgerEntry(t, db, pid, "计划", 80), Note: "改计划"}, planning.EInvalid, "计划由项目的资金来源确定")
	refused(planning.FundEntry{Kind: "下达", Source: c, AmountWan: 90, DocNo: "临财农〔2018〕1号"}, planning.EInvalid,
		"中央财政专项扶贫资金", "下达合计 90.00 万元将超过计划合计 80.00 万元")
	refused(planning.FundEntry{Kind: "下达", Source: c, AmountWan: 10}, planning.EInvalid, "文号（doc_no）")
	refused(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 0}, planning.EInvalid, "金额（amount_wan）须大于 0")
	refused(planning.FundEntry{Kind: "到位", Source: c, AmountWan: -5}, planning.EInvalid, "金额（amount_wan）须大于 0")
	refused(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 0.004}, planning.EInvalid, "金额（amount_wan）须大于 0")
	refused(planning.FundEntry{Kind: "结余", Source: c, AmountWan: 1}, planning.EInvalid, "类型（kind）")
	refused(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 1, Date: "2018-02-30"}, planning.EInvalid, "日期（date）")
	refused(planning.FundEntry{Kind: "到位", Source: "nowhere", AmountWan: 1}, planning.ENotFound, "资金来源（source）\"nowhere\" 不存在")
	refused(planning.FundEntry{ProjectID: pid + 1000, Kind: "到位", Source: c, AmountWan: 1}, planning.ENotFound, "项目")
	ok(planning.FundEntry{Kind: "下达", Source: c, AmountWan: 60, DocNo: "临财农〔2018〕1号"})
	ok(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 50})
	// 拨付 only from 纳入年度计划 on.
	refused(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 10, DocNo: "记-001"}, planning.EConflict, "项目处于“已入库”，不能拨付")
	if _, err := db.Pool.Exec(context.Background(), `UPDATE projects SET status = '已出库' WHERE id = $1`, pid); err != nil {
		t.Fatal(err)
	}
	refused(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 10, DocNo: "记-001"}, planning.EConflict, "不能拨付")
	if _, err := db.Pool.Exec(context.Background(), `UPDATE projects SET status = '实施中' WHERE id = $1`, pid); err != nil {
		t.Fatal(err)
	}
	refused(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 50.01, DocNo: "记-001"}, planning.EInvalid, "拨付合计 50.01 万元将超过到位合计 50.00 万元")
	refused(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 10}, planning.EInvalid, "凭证号（doc_no）")
	// Another source has its own totals: planned, nothing arrived there.
	refused(planning.FundEntry{Kind: "拨付", Source: "county", AmountWan: 1, DocNo: "记-002"}, planning.EInvalid, "县级财政专项扶贫资金")
	paid := ok(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 40, DocNo: "记-001"})
	// Cents add exactly: 0.1 + 0.2 ≤ 10 − 9.7.
	arrived := ok(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 0.1})
	ok(planning.FundEntry{Kind: "到位", Source: c, AmountWan: 0.2})

	// Corrections are reversals, with a reason; each entry once.
	refused(planning.FundEntry{Reverses: paid.ID}, planning.EInvalid, "冲销须填写理由（note）")
	refused(planning.FundEntry{Reverses: 999999, Note: "错"}, planning.ENotFound, "要冲销的分录（reverses）999999 不存在")
	// Reversing what arrived would leave 40 paid over 0.3 arrived… and 10 more.
	first := ledgerEntry(t, db, pid, "到位", 50)
	refused(planning.FundEntry{Reverses: first, Note: "金额错"}, planning.EInvalid, "拨付合计 40.00 万元将超过到位合计 0.30 万元")
	rev := ok(planning.FundEntry{Reverses: paid.ID, Note: "凭证号录错"})
	if rev.AmountWan != -40 || rev.Kind != "拨付" || rev.Source != c || rev.Date != paid.Date || rev.ProjectID != pid {
		t.Errorf("reversal = %+v, want −40 拨付 central on %s", rev, paid.Date)
	}
	refused(planning.FundEntry{Reverses: paid.ID, Note: "再冲"}, planning.EConflict, "已被冲销")
	refused(planning.FundEntry{Reverses: rev.ID, Note: "冲冲销"}, planning.EConflict, "本身是冲销分录")
	ok(planning.FundEntry{Kind: "拨付", Source: c, AmountWan: 40, DocNo: "记-003"})
	_ = arrived

	// A project with entries is withdrawn, never deleted: one that entered
	// the library, was withdrawn and taken back to 需求摸底 keeps its 计划.
	planned := insertProject(t, db, "乙村产业路", planning.CatRoad, "430682101202", planning.StateApproved, 10)
	setFunding(t, db, planned, `[{"source": "中央财政专项扶贫资金", "amount_wan": 10}]`)
	moveProject(t, db, planned, planning.StateInLibrary, planning.StateWithdrawn, planning.StateSurvey)
	if err := db.Store.DeleteProject(ctx, planned); planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "已有资金台账分录") {
		t.Errorf("delete a planned project: %v", err)
	}

	l, err := db.Store.ProjectLedger(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	pct := 66.6
	want := planning.FundTotals{Key: c, Name: "中央财政专项扶贫资金", Projects: 1, PlannedWan: 80, AllocatedWan: 60,
		ArrivedWan: 50.3, PaidWan: 40, PaidPct: &pct}
	if len(l.Sources) != 2 || !reflect.DeepEqual(l.Sources[0], want) {
		t.Errorf("ledger sources = %+v, want %+v", l.Sources, want)
	}
	// 计划 100 (80 + 20) against 投资估算 100; two 计划 entries written on
	// entering the library, seven recorded.
	if l.PlanDiffWan != 0 || len(l.Entries) != 9 || len(l.Sources) != 2 || l.Sources[1].PlannedWan != 20 {
		t.Errorf("plan diff %v with %d entries, sources %+v; want 0, 9 and county's 20 planned", l.PlanDiffWan, len(l.Entries), l.Sources)
	}
	// Every entry written is in the audit trail, under the project: the
	// recorded ones each, the 计划 ones in the move's funds.plan entry.
	var audited, plans int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE action IN ('funds.entry', 'funds.reverse')),
			count(*) FILTER (WHERE action = 'funds.plan')
		FROM gapmap_audit.entries WHERE chain = current_schema() AND object_kind = 'project' AND object_id = $1`,
		fmt.Sprint(pid)).Scan(&audited, &plans); err != nil {
		t.Fatal(err)
	}
	if audited != len(l.Entries)-2 || plans != 1 {
		t.Errorf("%d entry audits and %d plan audits for %d ledger entries, want %d and 1", audited, plans, len(l.Entries), len(l.Entries)-2)
	}
}

// setFunding stores a project's 资金来源 straight into its row, as a
// project from before the ledger would have it.
func setFunding(t *testing.T, db *datatest.DB, id int64, funding string) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), `UPDATE projects SET funding = $2::jsonb WHERE id = $1`, id, funding); err != nil {
		t.Fatal(err)
	}
}

// moveProject moves a project through the store, state after state.
func moveProject(t *testing.T, db *datatest.DB, id int64, states ...string) {
	t.Helper()
	for _, st := range states {
		if _, err := db.Store.Transition(datatest.Context(), id, st, "测试"); err != nil {
			t.Fatalf("move project %d to %s: %v", id, st, err)
		}
	}
}

// ledgerEntry finds the id of a project's first entry of kind and amount.
func ledgerEntry(t *testing.T, db *datatest.DB, pid int64, kind string, amount float64) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT min(id) FROM fund_entries WHERE project_id = $1 AND kind = $2 AND amount_wan = $3`,
		pid, kind, amount).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// randomEntry is a ledger entry of the random ledger, with what the
// brute-force sums group it by.
type randomEntry struct {
	project  int
	source   string
	kind     string
	cents    int64
	year     int
	reversal bool
}

func TestFundRollupsMatchBruteForce(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := datatest.Context()
	rng := rand.New(rand.NewPCG(20, 2026))
	villages := []struct{ code, name, township, townshipName string }{
		{"430682101201", "甲村", "430682101", "测试镇"}, {"430682101202", "乙村", "430682101", "测试镇"},
		{"430682102201", "丙村", "430682102", "二镇"}}
	cats := []string{planning.CatRoad, planning.CatWater, "产业发展"}
	sources, err := db.Store.FundSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type proj struct {
		id       int64
		village  int
		category string
	}
	var projects []proj
	for i := range 24 {
		v, c := rng.IntN(len(villages)), cats[rng.IntN(len(cats))]
		id := insertProject(t, db, fmt.Sprintf("项目%02d", i), c, villages[v].code, planning.StateBuilding, 100)
		projects = append(projects, proj{id, v, c})
	}
	// Valid by construction: per project and source, each kind's parts
	// sum to at most the one before; some entries are reversed.
	var entries []randomEntry
	for pi := range projects {
		for range 1 + rng.IntN(3) {
			src := sources[rng.IntN(len(sources))].Code
			limit := int64(1 + rng.IntN(100000))
			for _, kind := range planning.LedgerKinds {
				total := limit * int64(50+rng.IntN(51)) / 100
				if kind == planning.LedgerPlanned {
					total = limit
				}
				for left := total; left > 0; {
					part := min(left, 1+rng.Int64N(total))
					left -= part
					e := randomEntry{project: pi, source: src, kind: kind, cents: part, year: 2017 + rng.IntN(3)}
					entries = append(entries, e)
					if rng.IntN(8) == 0 { // a wrong entry, reversed and entered again
						wrong := e
						wrong.cents = part + 1 + rng.Int64N(500)
						entries = append(entries, wrong, randomEntry{project: pi, source: src, kind: kind, cents: -wrong.cents, year: e.year, reversal: true})
					}
				}
				limit = total
			}
		}
	}
	batch := db.Pool
	for _, e := range entries {
		// A reversal points at the entry just before it.
		sql := `INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, note, actor, reverses)
			VALUES ($1, $2, $3, $4::numeric / 100, make_date($5, 1 + $6, 1), $7, 'test',
			        CASE WHEN $8 THEN (SELECT max(id) FROM fund_entries) END)`
		note := ""
		if e.reversal {
			note = "录错"
		}
		if _, err := batch.Exec(context.Background(), sql, projects[e.project].id, e.kind, e.source, e.cents, e.year, rng.IntN(12), note, e.reversal); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d projects, %d entries", len(projects), len(entries))

	sourceName := map[string]string{}
	for _, s := range sources {
		sourceName[s.Code] = s.Name
	}
	brute := func(f planning.FundFilter) []planning.FundTotals {
		type acc struct {
			name     string
			sums     planning.LedgerSums
			projects map[int]bool
		}
		groups := map[string]*acc{}
		for _, e := range entries {
			p := projects[e.project]
			v := villages[p.village]
			if f.Year != 0 && e.year != f.Year || f.Source != "" && e.source != f.Source ||
				f.Township != "" && v.township != f.Township || f.Category != "" && p.category != f.Category ||
				f.Scoped && !slices.Contains(f.Categories, p.category) && !slices.Contains(f.Townships, v.township) && !slices.Contains(f.Villages, v.code) {
				continue
			}
			var key, name string
			switch f.By {
			case planning.ByVillage:
				key, name = v.code, v.name
			case planning.ByTownship:
				key, name = v.township, v.townshipName
			case planning.BySource:
				key, name = e.source, sourceName[e.source]
			case planning.ByCategory:
				key, name = p.category, p.category
			case planning.ByYear:
				key, name = fmt.Sprint(e.year), fmt.Sprint(e.year)
			}
			if groups[key] == nil {
				groups[key] = &acc{name: name, projects: map[int]bool{}}
			}
			groups[key].sums.Add(e.kind, e.cents)
			groups[key].projects[e.project] = true
		}
		out := []planning.FundTotals{}
		for k, g := range groups {
			out = append(out, planning.NewFundTotals(k, g.name, len(g.projects), g.sums))
		}
		return out
	}
	byKey := func(ts []planning.FundTotals) []planning.FundTotals {
		return slices.SortedFunc(slices.Values(ts), func(a, b planning.FundTotals) int { return strings.Compare(a.Key, b.Key) })
	}
	filters := []planning.FundFilter{{}, {Year: 2018}, {Source: sources[0].Code}, {Township: "430682102"},
		{Category: planning.CatWater, Year: 2019},
		{Scoped: true, Categories: []string{planning.CatRoad}}, {Scoped: true, Townships: []string{"430682101"}},
		{Scoped: true, Villages: []string{"430682102201"}, Categories: []string{"产业发展"}}}
	for _, by := range planning.FundGroupings {
		for _, f := range filters {
			f.By = by
			got, err := db.Store.FundRollup(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := brute(f)
			if len(want) == 0 {
				t.Fatalf("%+v: the random ledger left this filter empty; it tests nothing", f)
			}
			if w, g := byKey(want), byKey(got); !reflect.DeepEqual(w, g) {
				t.Errorf("roll-up %+v:\n sql   %s\n brute %s", f, totalsText(g), totalsText(w))
			}
		}
	}
	// The ledger table's rows add up to the same totals.
	for _, f := range filters {
		rows, err := db.Store.FundLedger(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got, want planning.LedgerSums
		for _, r := range rows {
			got = got.Plus(r.Total())
		}
		f.By = planning.ByYear
		for _, g := range brute(f) {
			want = want.Plus(planning.LedgerSums{Planned: planning.Scaled(g.PlannedWan, 2), Allocated: planning.Scaled(g.AllocatedWan, 2),
				Arrived: planning.Scaled(g.ArrivedWan, 2), Paid: planning.Scaled(g.PaidWan, 2)})
		}
		if got != want {
			t.Errorf("ledger %+v: rows sum to %+v, want %+v", f, got, want)
		}
	}
}

func totalsText(ts []planning.FundTotals) string {
	var b strings.Builder
	for _, t := range ts {
		pct := "nil"
		if t.PaidPct != nil {
			pct = fmt.Sprint(*t.PaidPct)
		}
		fmt.Fprintf(&b, "[%s %s %d %.2f/%.2f/%.2f/%.2f %s] ", t.Key, t.Name, t.Projects, t.PlannedWan, t.AllocatedWan, t.ArrivedWan, t.PaidWan, pct)
	}
	return b.String()
}

// TestFundsMigrationConvertsFreeText runs 0022's conversion of the
// free-text projects.funding again, over projects at every stage: only
// those in the library (and those withdrawn after entering it) get 计划
// entries; a name of the list becomes one, another stays only in the JSON
// and is counted in the migration's audit entry.
func TestFundsMigrationConvertsFreeText(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := context.Background()
	raw, err := os.ReadFile("migrations/0022_funds.sql")
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(string(raw), "CREATE TEMP TABLE funds_0022_library")
	if at < 0 {
		t.Fatal("0022 has no conversion section")
	}
	conversion := string(raw[at:])
	const funding = `[{"source": "统筹整合涉农资金", "amount_wan": 60},
		{"source": " 统筹整合涉农资金", "amount_wan": 0.5}, {"source": "村集体自筹", "amount_wan": 4.5}]`
	cases := []struct {
		status   string
		entered  bool // moved to 已入库 once (project_transitions)
		ledgered bool
	}{
		{planning.StateSurvey, false, false}, {planning.StateApproved, false, false},
		{planning.StateWithdrawn, false, false}, {planning.StateSurvey, true, false},
		{planning.StateInLibrary, false, true}, {planning.StateAnnualPlan, true, true}, {planning.StateBuilding, false, true},
		{planning.StateBuilt, false, true}, {planning.StateAccepted, false, true}, {planning.StateEvaluated, false, true},
		{planning.StateWithdrawn, true, true},
	}
	ids := make([]int64, len(cases))
	for i, tc := range cases {
		ids[i] = insertProject(t, db, fmt.Sprintf("饮水%02d", i), planning.CatWater, "430682101201", tc.status, 65)
		setFunding(t, db, ids[i], funding)
		if tc.entered {
			if _, err := db.Pool.Exec(ctx, `INSERT INTO project_transitions (project_id, from_status, to_status, actor)
				VALUES ($1, '县级审定', '已入库', 'test')`, ids[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.Pool.Exec(ctx, conversion); err != nil {
		t.Fatal(err)
	}
	ledgered := 0
	for i, tc := range cases {
		l, err := db.Store.ProjectLedger(datatest.Context(), ids[i])
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !tc.ledgered && len(l.Entries) != 0:
			t.Errorf("%s (entered %v): %d entries, want none before the library", tc.status, tc.entered, len(l.Entries))
		case tc.ledgered && (len(l.Entries) != 1 || l.Entries[0].Kind != "计划" || l.Entries[0].Source != "integrated" ||
			l.Entries[0].AmountWan != 60.5 || l.Entries[0].Date != "2018-01-01" || l.PlanDiffWan != -4.5):
			t.Errorf("%s (entered %v): converted ledger %+v (diff %v), want one 计划 of 60.5 from integrated on 2018-01-01, diff −4.5",
				tc.status, tc.entered, l.Entries, l.PlanDiffWan)
		}
		if tc.ledgered {
			ledgered++
		}
	}
	var detail string
	if err := db.Pool.QueryRow(ctx, `SELECT detail::text FROM gapmap_audit.entries WHERE chain = current_schema() AND action = 'funds.migrate'`).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"entries": %d, "unmatched": %d}`, ledgered, ledgered); detail != want {
		t.Errorf("migration audit detail %s, want %s", detail, want)
	}
}

func TestFundSourcesAndAllocations(t *testing.T) {
	db := datatest.New(t)
	fundsPlaces(t, db)
	ctx := datatest.Context()
	list, err := db.Store.FundSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 13 || list[0].Name != "中央财政专项扶贫资金" || list[12].Name != "群众自筹" {
		t.Fatalf("default list: %+v", list)
	}
	a, err := db.Store.SetAllocation(ctx, planning.Allocation{Source: "central", Year: 2018, AmountWan: 1200, DocNo: "湘财农指〔2018〕1号"})
	if err != nil || a.SourceName != "中央财政专项扶贫资金" {
		t.Fatalf("allocation: %+v %v", a, err)
	}
	if _, err := db.Store.SetAllocation(ctx, planning.Allocation{Source: "central", Year: 2018, AmountWan: 1300}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.SetAllocation(ctx, planning.Allocation{Source: "nowhere", Year: 2018, AmountWan: 1}); planning.ErrorCode(err) != planning.ENotFound {
		t.Errorf("allocation of an unknown source: %v", err)
	}
	if _, err := db.Store.SetAllocation(ctx, planning.Allocation{Source: "central", Year: 2018, AmountWan: -1}); planning.ErrorCode(err) != planning.EInvalid ||
		!strings.Contains(planning.ErrorMessage(err), "年度下达总额（amount_wan）不能为负") {
		t.Errorf("negative allocation: %v", err)
	}
	got, err := db.Store.Allocations(ctx, 2018)
	if err != nil || len(got) != 1 || got[0].AmountWan != 1300 {
		t.Errorf("allocations 2018: %+v %v", got, err)
	}
	// A county's own list: central is kept (it has an allocation), a name
	// changes, the rest go; dropping central is refused, nothing changes.
	own := []planning.FundSource{
		{Code: "self", Name: "群众自筹（投工投劳）", Level: "其他", Kind: "群众自筹"},
		{Code: "central", Name: "中央财政专项扶贫资金", Level: "中央", Kind: "财政专项"},
		{Code: "zj-water", Name: "整合资金（水务）", Level: "县", Kind: "整合涉农资金", Department: "水务"},
	}
	if err := db.Store.SetFundSources(ctx, own[:1]); planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "central") {
		t.Errorf("dropping a used source: %v", err)
	}
	if err := db.Store.SetFundSources(ctx, []planning.FundSource{own[0], own[0]}); planning.ErrorCode(err) != planning.EInvalid ||
		!strings.Contains(planning.ErrorMessage(err), "代码（code）重复") {
		t.Errorf("duplicate codes: %v", err)
	}
	if after, _ := db.Store.FundSources(ctx); len(after) != 13 {
		t.Errorf("a refused list changed the sources: %d", len(after))
	}
	if err := db.Store.SetFundSources(ctx, own); err != nil {
		t.Fatal(err)
	}
	after, err := db.Store.FundSources(ctx)
	if err != nil || !reflect.DeepEqual(after, own) {
		t.Errorf("stored list %+v (%v), want %+v", after, err, own)
	}
	var audits int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM gapmap_audit.entries
		WHERE chain = current_schema() AND action IN ('funds.allocation', 'funds.sources')`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 3 {
		t.Errorf("%d audit entries for 2 allocations and 1 list", audits)
	}
}

// TestGenerationKeepsProjectsWithLedger: generation writes no 资金台账
// entries (candidates are not in the library), and a candidate whose gap
// closes is removed by the next generation unless money was recorded
// against it — a project that entered the library, was withdrawn and
// taken back to 需求摸底 keeps its 计划 — then it stays, with its ledger
// (the entries cannot lose their project), and generation still succeeds.
func TestGenerationKeepsProjectsWithLedger(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	scoreAndGenerate(t, db)
	if n, _ := fundCounts(t, db); n != 0 {
		t.Fatalf("generation wrote %d ledger entries, want none", n)
	}
	ps := allProjects(t, db, planning.ProjectFilter{Sort: "code"})
	if len(ps) < 3 {
		t.Fatalf("%d candidates", len(ps))
	}
	withLedger, without := ps[0].Project, ps[1].Project
	moveProject(t, db, withLedger.ID, planning.StateVillage, planning.StateTownship, planning.StateReview, planning.StateApproved,
		planning.StateInLibrary, planning.StateWithdrawn, planning.StateSurvey)
	var entries int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM fund_entries WHERE project_id = $1 AND kind = '计划'`,
		withLedger.ID).Scan(&entries); err != nil || entries == 0 {
		t.Fatalf("the project that entered the library has %d 计划 entries (%v)", entries, err)
	}
	// Both gaps "closed": the next generation lacks both candidates.
	var rest []planning.Project
	for _, p := range ps[2:] {
		rest = append(rest, p.Project)
	}
	rep, err := db.Store.SaveCandidates(ctx, 0, rest, nil)
	if err != nil {
		t.Fatalf("generation with a ledger on a closed candidate: %v", err)
	}
	if rep.Removed != 1 {
		t.Errorf("removed %d, want 1 (the one without a ledger)", rep.Removed)
	}
	if _, err := db.Store.Project(ctx, withLedger.ID); err != nil {
		t.Errorf("the candidate with a ledger is gone: %v", err)
	}
	if _, err := db.Store.Project(ctx, without.ID); planning.ErrorCode(err) != planning.ENotFound {
		t.Errorf("the candidate without a ledger stays: %v", err)
	}
	if n, _ := fundCounts(t, db); n != entries {
		t.Errorf("generation changed the ledger: %d entries, want the %d of the withdrawn project", n, entries)
	}
}
