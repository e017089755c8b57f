package data

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

//go:embed queries/fund_rollup.sql
var fundRollupSQL string

//go:embed queries/fund_ledger.sql
var fundLedgerSQL string

// FundSources implements planning.FundsStore, in the list's order.
func (s *Store) FundSources(ctx context.Context) ([]planning.FundSource, error) {
	list, err := fundSources(ctx, s.pool)
	return list, translate(err, "fund sources")
}

// SetFundSources implements planning.FundsStore. The list is the county's
// setup (county.setup); its order is kept.
func (s *Store) SetFundSources(ctx context.Context, list []planning.FundSource) error {
	if err := planning.ValidateFundSources(list); err != nil {
		return err
	}
	if err := s.allow(ctx, access.CountySetup, access.Object{}); err != nil {
		return err
	}
	codes := make([]string, len(list))
	for i, fs := range list {
		codes[i] = fs.Code
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE fund_sources IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		before, err := fundSources(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code FROM fund_sources s WHERE NOT (code = ANY ($1))
			AND (EXISTS (SELECT 1 FROM fund_entries e WHERE e.source_code = s.code)
			     OR EXISTS (SELECT 1 FROM fund_allocations a WHERE a.source_code = s.code)) ORDER BY code`, codes)
		if err != nil {
			return err
		}
		used, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(used) > 0 {
			return planning.Errorf(planning.EConflict, "资金来源 %v 已有台账分录或年度下达额，不能从列表中删除", used)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM fund_sources WHERE NOT (code = ANY ($1))`, codes); err != nil {
			return err
		}
		// Names move last: a list that swaps two names would otherwise
		// meet the unique name of a row not yet rewritten.
		if _, err := tx.Exec(ctx, `UPDATE fund_sources SET name = code || ' ' || name`); err != nil {
			return err
		}
		for i, fs := range list {
			if _, err := tx.Exec(ctx, `INSERT INTO fund_sources (code, name, level, kind, department, position)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE
				SET name = excluded.name, level = excluded.level, kind = excluded.kind,
				    department = excluded.department, position = excluded.position`,
				fs.Code, fs.Name, fs.Level, fs.Kind, fs.Department, i+1); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, auditEntry{Action: "funds.sources", Kind: "county", ID: "fund_sources",
			Detail: map[string]any{"before": before, "after": list}})
	})
	return translate(err, "set fund sources")
}

// fundSources reads the list, in its order.
func fundSources(ctx context.Context, q querier) ([]planning.FundSource, error) {
	rows, err := q.Query(ctx, `SELECT code, name, level, kind, department FROM fund_sources ORDER BY position, code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[planning.FundSource])
}

const allocationColumns = `a.source_code, s.name, a.year::int, a.amount_wan::float8, a.doc_no, a.note`

// Allocations implements planning.FundsStore: a year's (every year's for
// 0), by year and the list's order.
func (s *Store) Allocations(ctx context.Context, year int) ([]planning.Allocation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+allocationColumns+` FROM fund_allocations a
		JOIN fund_sources s ON s.code = a.source_code WHERE $1 = 0 OR a.year = $1 ORDER BY a.year, s.position, s.code`, year)
	if err != nil {
		return nil, translate(err, "allocations")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planning.Allocation])
	if list == nil {
		list = []planning.Allocation{}
	}
	return list, translate(err, "allocations")
}

// SetAllocation implements planning.FundsStore: a source's 年度下达总额 is
// recorded by whoever records 下达 (财政).
func (s *Store) SetAllocation(ctx context.Context, a planning.Allocation) (planning.Allocation, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	if err := s.allow(ctx, access.FundsEdit, access.Object{Ledger: planning.LedgerAllocated}); err != nil {
		return a, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := sourceName(ctx, tx, a.Source); err != nil {
			return err
		}
		var before *planning.Allocation
		rows, err := tx.Query(ctx, `SELECT `+allocationColumns+` FROM fund_allocations a
			JOIN fund_sources s ON s.code = a.source_code WHERE a.source_code = $1 AND a.year = $2 FOR UPDATE OF a`, a.Source, a.Year)
		if err != nil {
			return err
		}
		old, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planning.Allocation])
		if err != nil {
			return err
		}
		if len(old) == 1 {
			before = &old[0]
		}
		if err := tx.QueryRow(ctx, `WITH a AS (
				INSERT INTO fund_allocations (source_code, year, amount_wan, doc_no, note) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (source_code, year) DO UPDATE SET amount_wan = excluded.amount_wan, doc_no = excluded.doc_no, note = excluded.note
				RETURNING *)
			SELECT `+allocationColumns+` FROM a JOIN fund_sources s ON s.code = a.source_code`,
			a.Source, a.Year, a.AmountWan, a.DocNo, a.Note).Scan(&a.Source, &a.SourceName, &a.Year, &a.AmountWan, &a.DocNo, &a.Note); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "funds.allocation", Kind: "county", ID: a.Source + "/" + strconv.Itoa(a.Year),
			Detail: map[string]any{"before": before, "after": a}})
	})
	return a, translate(err, "set allocation")
}

// sourceName returns a source's name, or ENotFound naming the code.
func sourceName(ctx context.Context, tx pgx.Tx, code string) (string, error) {
	var name string
	err := tx.QueryRow(ctx, `SELECT name FROM fund_sources WHERE code = $1`, code).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", planning.Errorf(planning.ENotFound, "资金来源（source）%q 不存在；见 GET /api/v1/funds/sources", code)
	}
	return name, err
}

const entryColumns = `e.id, e.project_id, e.kind, e.source_code, s.name, e.amount_wan::float8, to_char(e.entry_date, 'YYYY-MM-DD'),
	e.doc_no, e.note, coalesce(e.reverses, 0), e.actor, e.at`

// AddFundEntry implements planning.FundsStore. The project's row lock
// serialises entries on one project, so two payments entered at once are
// checked one after the other against the same totals.
func (s *Store) AddFundEntry(ctx context.Context, e planning.FundEntry) (planning.FundEntry, error) {
	if err := e.Validate(); err != nil {
		return e, err
	}
	pr, ok := access.From(ctx)
	if !ok || pr.Login == "" {
		return e, errNoActor
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if e.Reverses != 0 {
			if err := reversal(ctx, tx, &e); err != nil {
				return err
			}
		}
		p, err := lockProject(ctx, tx, e.ProjectID)
		if err != nil {
			return err
		}
		name, err := sourceName(ctx, tx, e.Source)
		if err != nil {
			return err
		}
		obj := access.ProjectObject(p)
		obj.Ledger = e.Kind
		if err := s.allow(ctx, access.FundsEdit, obj); err != nil {
			return err
		}
		sums, err := projectSums(ctx, tx, e.ProjectID)
		if err != nil {
			return err
		}
		if err := planning.CheckEntry(e, p.Status, name, sums[e.Source]); err != nil {
			return err
		}
		var actorID *int64
		if pr.UserID != 0 {
			actorID = &pr.UserID
		}
		if err := tx.QueryRow(ctx, `INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, doc_no, note, reverses, actor, actor_id)
			VALUES ($1, $2, $3, $4, $5::date, $6, $7, nullif($8, 0), $9, $10) RETURNING id`,
			e.ProjectID, e.Kind, e.Source, e.AmountWan, e.Date, e.DocNo, e.Note, e.Reverses, pr.Title(), actorID).Scan(&id); err != nil {
			return err
		}
		action := "funds.entry"
		if e.Reverses != 0 {
			action = "funds.reverse"
		}
		// Kind project: the entry shows in the project's history.
		return s.audit(ctx, tx, auditEntry{Action: action, Kind: "project", ID: strconv.FormatInt(e.ProjectID, 10),
			Detail: map[string]any{"after": map[string]any{"entry_id": id, "kind": e.Kind, "source": e.Source,
				"amount_wan": e.AmountWan, "date": e.Date, "doc_no": e.DocNo, "note": e.Note, "reverses": e.Reverses}}})
	})
	if err != nil {
		return e, translate(err, "add fund entry")
	}
	return fundEntry(ctx, s.pool, id)
}

// reversal fills a reversal from the entry it reverses, locked: the same
// project, kind, source and date, the opposite amount.
func reversal(ctx context.Context, tx pgx.Tx, e *planning.FundEntry) error {
	var orig planning.FundEntry
	var reversed bool
	err := tx.QueryRow(ctx, `SELECT e.project_id, e.kind, e.source_code, e.amount_wan::float8, to_char(e.entry_date, 'YYYY-MM-DD'),
			coalesce(e.reverses, 0), EXISTS (SELECT 1 FROM fund_entries r WHERE r.reverses = e.id)
		FROM fund_entries e WHERE e.id = $1 FOR UPDATE`, e.Reverses).
		Scan(&orig.ProjectID, &orig.Kind, &orig.Source, &orig.AmountWan, &orig.Date, &orig.Reverses, &reversed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return planning.Errorf(planning.ENotFound, "要冲销的分录（reverses）%d 不存在", e.Reverses)
	case err != nil:
		return err
	case orig.Reverses != 0:
		return planning.Errorf(planning.EConflict, "分录 %d 本身是冲销分录，不能再冲销", e.Reverses)
	case reversed:
		return planning.Errorf(planning.EConflict, "分录 %d 已被冲销", e.Reverses)
	case e.ProjectID != 0 && e.ProjectID != orig.ProjectID:
		return planning.Errorf(planning.EInvalid, "分录 %d 属于项目 %d，不属于项目（project_id）%d", e.Reverses, orig.ProjectID, e.ProjectID)
	}
	e.ProjectID, e.Kind, e.Source, e.AmountWan, e.Date = orig.ProjectID, orig.Kind, orig.Source, -orig.AmountWan, orig.Date
	return nil
}

// planAdjustNote is the reason of the reversals syncPlanned writes.
const planAdjustNote = "资金来源调整"

// syncPlanned is the one writer of 计划 entries: it makes a project's
// ledger say, per source, Σ计划 = its 资金来源 (p.Funding), within tx and
// under the project's row lock (the caller holds it). For each source
// whose amount differs it reverses the live 计划 entries (reason
// 资金来源调整, each keeping its date, as any reversal does) and enters the
// new amount, dated today, with a note naming the change and why (cause:
// 项目入库, 编辑项目). Sources are matched by name to the county's list.
// A lowering below what is already 下达 is refused with the ledger's
// message, before anything is written; the caller's transaction then
// writes nothing either.
func (s *Store) syncPlanned(ctx context.Context, tx pgx.Tx, p planning.Project, cause string) error {
	sources, err := fundSources(ctx, tx)
	if err != nil {
		return err
	}
	target, err := planning.PlannedBySource(p.Funding, sources)
	if err != nil {
		return err
	}
	sums, err := projectSums(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	type change struct {
		Source    string  `json:"source"`
		BeforeWan float64 `json:"before_wan"`
		AfterWan  float64 `json:"after_wan"`
		Reversed  []int64 `json:"reversed,omitempty"`
		Entered   int64   `json:"entered,omitempty"`
	}
	var changes []change
	// The list's order: the entries and the audit read in it.
	for _, src := range sources {
		now := sums[src.Code]
		want := target[src.Code]
		if now.Planned == want {
			continue
		}
		after := now
		after.Planned = want
		if err := after.Check(src.Name); err != nil {
			return err
		}
		changes = append(changes, change{Source: src.Code, BeforeWan: planning.CentsWan(now.Planned), AfterWan: planning.CentsWan(want)})
	}
	if len(changes) == 0 {
		return nil
	}
	pr, ok := access.From(ctx)
	if !ok || pr.Login == "" {
		return errNoActor
	}
	var actorID *int64
	if pr.UserID != 0 {
		actorID = &pr.UserID
	}
	name := map[string]string{}
	for _, src := range sources {
		name[src.Code] = src.Name
	}
	for i, c := range changes {
		// The live entries: not reversals, not yet reversed.
		rows, err := tx.Query(ctx, `INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, note, reverses, actor, actor_id)
			SELECT e.project_id, e.kind, e.source_code, -e.amount_wan, e.entry_date, $3, e.id, $4, $5
			FROM fund_entries e
			WHERE e.project_id = $1 AND e.source_code = $2 AND e.kind = '计划' AND e.reverses IS NULL
			  AND NOT EXISTS (SELECT 1 FROM fund_entries r WHERE r.reverses = e.id)
			ORDER BY e.id RETURNING reverses`, p.ID, c.Source, planAdjustNote, pr.Title(), actorID)
		if err != nil {
			return err
		}
		if changes[i].Reversed, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		if c.AfterWan == 0 {
			continue
		}
		note := fmt.Sprintf("%s：%s 由 %.2f 万元调整为 %.2f 万元（%s）", planAdjustNote, name[c.Source], c.BeforeWan, c.AfterWan, cause)
		if err := tx.QueryRow(ctx, `INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, note, actor, actor_id)
			VALUES ($1, '计划', $2, $3::bigint / 100.0, current_date, $4, $5, $6) RETURNING id`,
			p.ID, c.Source, target[c.Source], note, pr.Title(), actorID).Scan(&changes[i].Entered); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, auditEntry{Action: "funds.plan", Kind: "project", ID: strconv.FormatInt(p.ID, 10),
		Detail: map[string]any{"cause": cause, "changes": changes}})
}

// projectSums are a project's totals by source code, in cents.
func projectSums(ctx context.Context, tx pgx.Tx, projectID int64) (map[string]planning.LedgerSums, error) {
	out := map[string]planning.LedgerSums{}
	rows, err := tx.Query(ctx, `SELECT source_code, kind, sum(amount_cents)::bigint FROM fund_entries
		WHERE project_id = $1 GROUP BY source_code, kind`, projectID)
	if err != nil {
		return nil, err
	}
	var source, kind string
	var cents int64
	_, err = pgx.ForEachRow(rows, []any{&source, &kind, &cents}, func() error {
		sums := out[source]
		sums.Add(kind, cents)
		out[source] = sums
		return nil
	})
	return out, err
}

func fundEntry(ctx context.Context, q querier, id int64) (planning.FundEntry, error) {
	list, err := fundEntries(ctx, q, `e.id = $1`, id)
	if err == nil && len(list) == 0 {
		err = planning.Errorf(planning.ENotFound, "分录 %d 不存在", id)
	}
	if err != nil {
		return planning.FundEntry{}, translate(err, "fund entry")
	}
	return list[0], nil
}

// fundEntries reads the entries where cond holds, oldest first.
func fundEntries(ctx context.Context, q querier, cond string, args ...any) ([]planning.FundEntry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryColumns+` FROM fund_entries e JOIN fund_sources s ON s.code = e.source_code
		WHERE `+cond+` ORDER BY e.id`, args...)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (planning.FundEntry, error) {
		var e planning.FundEntry
		err := row.Scan(&e.ID, &e.ProjectID, &e.Kind, &e.Source, &e.SourceName, &e.AmountWan, &e.Date,
			&e.DocNo, &e.Note, &e.Reverses, &e.Actor, &e.At)
		return e, err
	})
	if list == nil {
		list = []planning.FundEntry{}
	}
	return list, err
}

// ProjectLedger implements planning.FundsStore.
func (s *Store) ProjectLedger(ctx context.Context, projectID int64) (planning.ProjectLedger, error) {
	p, err := s.Project(ctx, projectID)
	if err != nil {
		return planning.ProjectLedger{}, err
	}
	l := planning.ProjectLedger{ProjectID: p.ID, Code: p.Code, Name: p.Name, Status: p.Status, CostWan: p.CostWan,
		Sources: []planning.FundTotals{}}
	if l.Entries, err = fundEntries(ctx, s.pool, `e.project_id = $1`, projectID); err != nil {
		return l, translate(err, "project ledger")
	}
	sources, err := s.FundSources(ctx)
	if err != nil {
		return l, err
	}
	bySource := map[string]*planning.LedgerSums{}
	var total planning.LedgerSums
	for _, e := range l.Entries {
		if bySource[e.Source] == nil {
			bySource[e.Source] = &planning.LedgerSums{}
		}
		c := planning.Scaled(e.AmountWan, planning.MoneyDecimals)
		bySource[e.Source].Add(e.Kind, c)
		total.Add(e.Kind, c)
	}
	for _, src := range sources {
		if sums := bySource[src.Code]; sums != nil {
			l.Sources = append(l.Sources, planning.NewFundTotals(src.Code, src.Name, 1, *sums))
		}
	}
	l.Total = planning.NewFundTotals("", "合计", 1, total)
	l.PlanDiffWan = planning.CentsWan(total.Planned - planning.Scaled(p.CostWan, planning.MoneyDecimals))
	return l, nil
}

// FundRollup implements planning.FundsStore (fund_rollup.sql).
func (s *Store) FundRollup(ctx context.Context, f planning.FundFilter) ([]planning.FundTotals, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	by := f.By
	if by == "" {
		by = planning.BySource
	}
	out := []planning.FundTotals{}
	err := s.report(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, fundRollupSQL, by, f.Year, f.Source, f.Township, f.Village, f.Category,
			f.Scoped, nonNil(f.Categories), nonNil(f.Townships), nonNil(f.Villages))
		if err != nil {
			return err
		}
		var key, name string
		var n int
		var sums planning.LedgerSums
		_, err = pgx.ForEachRow(rows, []any{&key, &name, &n, &sums.Planned, &sums.Allocated, &sums.Arrived, &sums.Paid}, func() error {
			out = append(out, planning.NewFundTotals(key, name, n, sums))
			return nil
		})
		return err
	})
	return out, translate(err, "fund rollup")
}

// FundLedger implements planning.FundsStore (fund_ledger.sql): the
// projects with entries, by township, category and code.
func (s *Store) FundLedger(ctx context.Context, f planning.FundFilter) ([]planning.LedgerRow, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	out := []planning.LedgerRow{}
	err := s.report(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, fundLedgerSQL, f.Year, f.Source, f.Township, f.Village, f.Category,
			f.Scoped, nonNil(f.Categories), nonNil(f.Townships), nonNil(f.Villages))
		if err != nil {
			return err
		}
		var r planning.LedgerRow
		var sources []string
		var planned, allocated, arrived, paid []int64
		_, err = pgx.ForEachRow(rows, []any{&r.ProjectID, &r.Code, &r.Name, &r.Category, &r.Status, &r.Year,
			&r.TownshipCode, &r.TownshipName, &r.VillageCode, &r.VillageName, &r.CostWan,
			&sources, &planned, &allocated, &arrived, &paid}, func() error {
			row := r
			row.BySource = make(map[string]planning.LedgerSums, len(sources))
			for i, src := range sources {
				row.BySource[src] = planning.LedgerSums{Planned: planned[i], Allocated: allocated[i], Arrived: arrived[i], Paid: paid[i]}
			}
			out = append(out, row)
			return nil
		})
		return err
	})
	return out, translate(err, "fund ledger")
}

// reportWorkMem lets a ledger report aggregate and sort a province's
// 200,000 entries in memory: at the server's default 4 MB they spill to
// disk and take several times as long.
const reportWorkMem = "48MB"

// report runs a ledger report in a read-only transaction with
// reportWorkMem.
func (s *Store) report(ctx context.Context, f func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', $1, true)`, reportWorkMem); err != nil {
			return err
		}
		return f(tx)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clip(s)
}

var _ planning.FundsStore = (*Store)(nil)
