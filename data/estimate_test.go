package data_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/audit"
	"github.com/gapmap/gapmap/planning/table"
)

// storedEstimate is a project's own 缺口后 and why an edit cleared it.
type storedEstimate struct {
	gap     *float64
	cleared *string
}

// storedEstimates reads every project's own 缺口后 with plain SQL.
func storedEstimates(t *testing.T, db *datatest.DB) map[int64]storedEstimate {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id, gap_after_est, estimate_cleared FROM projects`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]storedEstimate{}
	var id int64
	var e storedEstimate
	if _, err := pgx.ForEachRow(rows, []any{&id, &e.gap, &e.cleared}, func() error {
		out[id] = storedEstimate{gap: copyGap(e.gap), cleared: e.cleared}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func copyGap(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// TestEditClearsOwnEstimate (issue 19's leftover, migration 0038): an
// edit of a generated project's 工程量, path or village clears its own
// 缺口后 (gap_after_est), with the reason, and no other project's; a text
// edit keeps it. The oracle is the rule computed here from what each edit
// changed, checked against every project's stored figure before and after.
// The cleared figure is unknown everywhere: the value ranking puts it after
// every known value, the plan leaves it out as 无预测 with the reason
// (unless included by hand), and the projects whose sequence assumed the
// edited one built each get an audit entry of their own. A writer that
// writes its own figure with the edit (an API client's estimate, a
// generation) keeps it, and the next generation restores what it sized.
// Which projects are edited is drawn at random (the seed is logged).
func TestEditClearsOwnEstimate(t *testing.T) {
	db, prof := scoredDemo(t)
	ctx := datatest.Context()
	if _, err := planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	generated := storedEstimates(t, db)

	// Projects with an own 缺口后, a geometry and a later project in their
	// sequence (whose set prediction assumes them built), and the others.
	rows, err := db.Pool.Query(ctx, `SELECT p.id, EXISTS (SELECT 1 FROM projects q WHERE q.predicted_after && ARRAY[p.id])
		FROM projects p WHERE p.gap_after_est IS NOT NULL AND p.geom IS NOT NULL AND p.village_id IS NOT NULL ORDER BY p.id`)
	if err != nil {
		t.Fatal(err)
	}
	var withDeps, others []int64
	var id int64
	var deps bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &deps}, func() error {
		if deps {
			withDeps = append(withDeps, id)
		} else {
			others = append(others, id)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(withDeps) < 1 || len(others) < 4 {
		t.Fatalf("%d projects with a later one in their sequence, %d others; want 1 and 4", len(withDeps), len(others))
	}
	rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	qty, path, moved, text := withDeps[rng.IntN(len(withDeps))], others[0], others[1], others[2]
	t.Logf("工程量 %d, 几何 %d, 所在村 %d, text %d", qty, path, moved, text)

	// The projects whose set prediction assumes the 工程量-edited one built.
	var dependants []int64
	if err := db.Pool.QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM projects WHERE predicted_after && ARRAY[$1::bigint]`,
		qty).Scan(&dependants); err != nil {
		t.Fatal(err)
	}
	var elsewhere string
	if err := db.Pool.QueryRow(ctx, `SELECT v.code FROM villages v WHERE v.kind = '行政村'
		AND v.id <> (SELECT village_id FROM projects WHERE id = $1) ORDER BY v.code OFFSET $2 LIMIT 1`,
		moved, rng.IntN(20)).Scan(&elsewhere); err != nil {
		t.Fatal(err)
	}

	edit := func(id int64, f func(p *planning.Project)) { editProject(t, db, id, f) }
	// Each edit, and the oracle: the own-figure fields it changes.
	edits := []struct {
		id   int64
		want string // the changed field named in the reason; "" keeps the figure
		f    func(p *planning.Project)
	}{
		{text, "", func(p *planning.Project) {
			p.Content += "（备注：村民代表大会已讨论）"
			p.ResponsibleUnit = "县发展改革局"
		}},
		{qty, "工程量", func(p *planning.Project) { p.Quantity = planning.RoundQuantity(p.Quantity * (1.2 + rng.Float64())) }},
		{path, "几何", func(p *planning.Project) {
			p.Geometry = project.Geometry(orb.Clone(p.Geometry), func(q orb.Point) orb.Point { return orb.Point{q[0] + 0.0003, q[1]} })
		}},
		{moved, "所在村", func(p *planning.Project) { p.VillageCode, p.TownshipCode = elsewhere, "" }},
	}
	cleared := map[int64]string{} // project → the field its reason names
	for _, e := range edits {
		before := storedEstimates(t, db)
		edit(e.id, e.f)
		if e.want != "" {
			cleared[e.id] = e.want
		}
		after := storedEstimates(t, db)
		for id, b := range before {
			a := after[id]
			if id != e.id || e.want == "" {
				if !sameGap(a.gap, b.gap) || !sameText(a.cleared, b.cleared) {
					t.Errorf("editing %d (%q) changed project %d's 缺口后: %v (%v), was %v (%v)",
						e.id, e.want, id, deref(a.gap), deref(a.cleared), deref(b.gap), deref(b.cleared))
				}
				continue
			}
			if a.gap != nil || a.cleared == nil || !strings.Contains(*a.cleared, "项目 "+strconv.FormatInt(id, 10)+" ") ||
				!strings.Contains(*a.cleared, e.want) {
				t.Errorf("project %d after its %s edit: 缺口后 %v, reason %v; want none, naming it and %s",
					id, e.want, deref(a.gap), deref(a.cleared), e.want)
			}
		}
	}

	// The moved project's 实施前缺口 is its new village's gap in its
	// dimension from its run, as the run's stored score (the whole
	// planning.VillageScore, read in Go) has it, not the old village's.
	var (
		gapBefore *float64
		dim       string
		stored    []byte
	)
	if err := db.Pool.QueryRow(ctx, `SELECT p.gap_before, p.gap_dimension, s.score FROM projects p
		JOIN run_scores s ON s.run_id = p.run_id AND s.village_id = p.village_id WHERE p.id = $1`, moved).Scan(&gapBefore, &dim, &stored); err != nil {
		t.Fatal(err)
	}
	var vs planning.VillageScore
	if err := json.Unmarshal(stored, &vs); err != nil {
		t.Fatal(err)
	}
	if want := vs.Gap(dim); !sameGap(gapBefore, want) {
		t.Errorf("project %d moved to %s: 实施前缺口 %v, want the village's %s gap %v", moved, elsewhere, deref(gapBefore), dim, deref(want))
	}

	// Read through the store: unknown, with the reason, and ranked after
	// every known value (0 included).
	page, err := db.Store.Projects(ctx, planning.ProjectFilter{Sort: planning.RankValue})
	if err != nil {
		t.Fatal(err)
	}
	lastKnown, firstUnknown := 0, len(page.Projects)+1
	for _, r := range page.Projects {
		why := r.BenefitUnknown()
		if _, ok := cleared[r.ID]; ok {
			if r.GapAfter != nil || r.EstimateCleared == "" || !strings.Contains(why, r.EstimateCleared) {
				t.Errorf("project %d listed with 缺口后 %v, reason %q, unknown %q", r.ID, deref(r.GapAfter), r.EstimateCleared, why)
			}
		}
		if why == "" {
			lastKnown = max(lastKnown, r.RankValue)
		} else {
			firstUnknown = min(firstUnknown, r.RankValue)
		}
	}
	if firstUnknown <= lastKnown {
		t.Errorf("an unknown 缺口后 ranks %d by value, a known one %d: unknown must come after every known value", firstUnknown, lastKnown)
	}

	// The export: the figure's cell is empty (unknown, not 0) and the
	// reason is beside it.
	var layer bytes.Buffer
	if err := db.Store.Export(ctx, &layer, planning.ExportOptions{Layers: []string{"projects"}, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(layer.String(), "实施后缺口清除原因") {
		t.Errorf("the projects export has no 实施后缺口清除原因 column")
	}
	for id, field := range cleared {
		if !strings.Contains(layer.String(), "项目 "+strconv.FormatInt(id, 10)+" "+field) {
			t.Errorf("the projects export does not say why project %d's 缺口后 is empty", id)
		}
	}

	// The 申报表 (its 评分依据 columns, in the CSV): the figure's cell is
	// empty and the reason is beside it, in the plan's words; a project
	// with its figure has none.
	var decl bytes.Buffer
	if err := table.WriteCSV(&decl, page.Unranked(), table.Meta{County: "临湘市"}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(decl.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("申报表 CSV: %d records, %v", len(recs), err)
	}
	codeAt, gapAt, whyAt := slices.Index(recs[0], "项目编号"), slices.Index(recs[0], "预计补短板后缺口"), slices.Index(recs[0], "预计补短板后缺口为空原因")
	if min(codeAt, gapAt, whyAt) < 0 {
		t.Fatalf("申报表 CSV header %q", recs[0])
	}
	declared := map[string][]string{}
	for _, r := range recs[1:] {
		declared[r[codeAt]] = r
	}
	for _, r := range page.Projects {
		field, isCleared := cleared[r.ID]
		if !isCleared && r.ID != text {
			continue
		}
		d := declared[r.Code]
		switch {
		case d == nil:
			t.Errorf("申报表: project %d (%s) missing", r.ID, r.Code)
		case isCleared && (d[gapAt] != "" || !strings.HasPrefix(d[whyAt], "无预测：项目 "+strconv.FormatInt(r.ID, 10)+" "+field)):
			t.Errorf("申报表: project %d (%s edited): 预计补短板后缺口 %q, why empty %q; want empty, the reason naming the edit", r.ID, field, d[gapAt], d[whyAt])
		case !isCleared && (d[gapAt] == "" || d[whyAt] != ""):
			t.Errorf("申报表: text-edited project %d: 预计补短板后缺口 %q, why empty %q; want its figure and no reason", r.ID, d[gapAt], d[whyAt])
		}
	}

	// The plan, with money for everything: the cleared ones are left out
	// as 无预测 with their reason, the text-edited one is planned; one
	// included by hand is planned.
	req := planning.PlanRequest{Years: []int{2017}, Budgets: map[string]float64{"2017": 1e7}}
	plan, err := planning.MakePlan(ctx, db.Store, prof, req)
	if err != nil {
		t.Fatal(err)
	}
	planned := map[int64]bool{}
	for _, r := range plan.Rows {
		planned[r.ID] = true
	}
	outs := map[int64]planning.PlanOut{}
	for _, o := range plan.LeftOut {
		outs[o.ID] = o
	}
	for id, field := range cleared {
		if o, ok := outs[id]; !ok || o.ReasonCode != planning.OutNoEstimate || !strings.Contains(o.Reason, field) ||
			!strings.Contains(o.Reason, "项目 "+strconv.FormatInt(id, 10)) {
			t.Errorf("plan: project %d (%s edited) planned %v, left out %+v; want 无预测 naming the edit", id, field, planned[id], o)
		}
	}
	if !planned[text] {
		t.Errorf("plan: text-edited project %d not planned (%+v)", text, outs[text])
	}
	req.Include = []int64{qty}
	if plan, err = planning.MakePlan(ctx, db.Store, prof, req); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(plan.Rows, func(r planning.PlanRow) bool { return r.ID == qty && r.Included }) {
		t.Errorf("plan: project %d included by hand is not planned", qty)
	}

	// Each project whose sequence assumed the 工程量-edited one built has
	// an entry of its own in the audit trail (its card's history), why.
	if len(dependants) == 0 {
		t.Fatalf("project %d has no dependants", qty)
	}
	for _, d := range dependants {
		es, err := db.Store.AuditLog(ctx, audit.Filter{Kind: "project", ID: strconv.FormatInt(d, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(es, func(e audit.Entry) bool {
			return e.Action == "project.prediction_cleared" && strings.Contains(string(e.Detail), "项目 "+strconv.FormatInt(qty, 10)+" 工程量")
		}) {
			t.Errorf("project %d (its sequence assumed %d built): no audit entry naming the 工程量 edit among %d", d, qty, len(es))
		}
	}
	if r, err := db.Store.VerifyAudit(ctx); err != nil || !r.OK {
		t.Errorf("audit chain after the edits: %+v, %v", r, err)
	}

	// A writer that writes its own figure with the edit keeps it: an API
	// client's estimate, and generation (in its transaction, plain SQL).
	own := 12.5
	edit(text, func(p *planning.Project) { p.Quantity = planning.RoundQuantity(p.Quantity * 2); p.GapAfter = &own })
	if e := storedEstimates(t, db)[text]; e.gap == nil || *e.gap != own || e.cleared != nil {
		t.Errorf("project %d edited with its own 缺口后 %v: stored %v (%v)", text, own, deref(e.gap), deref(e.cleared))
	}
	for _, sized := range []bool{false, true} {
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sized {
			mustTx(t, tx, `SELECT set_config('gapmap.estimates', 'sized', true)`)
		}
		mustTx(t, tx, `UPDATE projects SET quantity = quantity * 2 WHERE id = $1`, others[3])
		var gap *float64
		if err := tx.QueryRow(ctx, `SELECT gap_after_est FROM projects WHERE id = $1`, others[3]).Scan(&gap); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if want := generated[others[3]].gap; sized != (gap != nil) || sized && *gap != *want {
			t.Errorf("工程量 changed in plain SQL, sized %v: 缺口后 %v, generated %v", sized, deref(gap), deref(want))
		}
	}

	// Generation sizes the candidates afresh: every figure it wrote comes
	// back, without a reason, also where the 工程量 it writes back differs
	// and its figure does not (others[3], doubled with its figure kept).
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustTx(t, tx, `SELECT set_config('gapmap.estimates', 'sized', true)`)
	mustTx(t, tx, `UPDATE projects SET quantity = quantity * 2 WHERE id = $1`, others[3])
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
		t.Fatal(err)
	}
	again := storedEstimates(t, db)
	for id, g := range generated {
		if a := again[id]; !sameGap(a.gap, g.gap) || a.cleared != nil {
			t.Errorf("project %d regenerated: 缺口后 %v (%v), generated %v", id, deref(a.gap), deref(a.cleared), deref(g.gap))
		}
	}
}

func mustTx(t *testing.T, tx pgx.Tx, sql string, args ...any) {
	t.Helper()
	if _, err := tx.Exec(datatest.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}
