package data

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

//go:embed queries/poverty_rollup.sql
var povertyRollupSQL string

// povertyCols lists the figure columns of village_poverty (the fixed
// planning.PovertyFields, never user input), for the statements below.
func povertyCols(prefix string) string {
	out := make([]string, len(planning.PovertyFields))
	for i, f := range planning.PovertyFields {
		out[i] = prefix + pgx.Identifier{f}.Sanitize()
	}
	return strings.Join(out, ", ")
}

// ImportPoverty implements planning.PovertyStore. The rows are staged in a
// temporary table, resolved to villages by code (the newest code year, as
// every look-up by code), checked against the stored years (the 脱贫 bound
// of migration 0023 spans years: a file's 2018 row can break a stored 2019
// row), and written in one transaction with one audit entry per village
// and one for the file; any error writes nothing. The table's change log
// trigger marks each village stale for the next scoring run.
func (s *Store) ImportPoverty(ctx context.Context, path string, opt planning.PovertyImportOptions) (planning.PovertyImport, error) {
	name := opt.Name
	if name == "" {
		name = filepath.Base(path)
	}
	rep := planning.PovertyImport{File: name, DryRun: opt.DryRun, Rows: []planning.PovertyRowResult{}, Problems: []planning.ImportProblem{}}
	if err := requireActor(ctx); err != nil {
		return rep, err
	}
	t, err := ingest.ReadPovertyTable(path, name, opt.Year)
	if err != nil {
		return rep, err
	}
	rep.Format, rep.Columns, rep.Read, rep.Problems = t.Format, t.Columns, t.Read, append(rep.Problems, t.Problems...)
	im := &povertyImport{s: s, t: t, rep: &rep, byRow: map[int]int{}, source: name}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := im.run(ctx, tx); err != nil {
			return err
		}
		if im.failed() || opt.DryRun {
			return errRollback
		}
		return im.audit(ctx, tx)
	})
	switch {
	case errors.Is(err, errRollback):
	case err != nil:
		return rep, translate(err, "import poverty "+name)
	default:
		rep.Committed = true
	}
	im.finish()
	return rep, nil
}

// povertyImport is one import of a yearly table in its transaction.
type povertyImport struct {
	s      *Store
	t      *ingest.PovertyTable
	rep    *planning.PovertyImport
	source string
	byRow  map[int]int // file row → index in rep.Rows
	// changes are the rows written or to be written, with what they
	// replace, for the audit trail.
	changes []povertyChange
	exits   []exitChange
}

type povertyChange struct {
	code, name    string
	year          int
	before, after planning.PovertyFigures
	inserted      bool
}

type exitChange struct {
	code          string
	before, after *int
}

func (im *povertyImport) failed() bool {
	for _, p := range im.rep.Problems {
		if p.Severity == planning.SeverityError {
			return true
		}
	}
	return false
}

func (im *povertyImport) problem(row int, code, field, val, reason, hint string) {
	im.rep.Problems = append(im.rep.Problems, planning.ImportProblem{Row: row, ID: code, Field: field, Value: val,
		Severity: planning.SeverityError, Reason: reason, Hint: hint})
}

func (im *povertyImport) run(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE poverty_in (row integer PRIMARY KEY, code text NOT NULL, name text NOT NULL,
			year smallint NOT NULL, exit_year smallint, village_id bigint, `+povertyColDefs()+`) ON COMMIT DROP`); err != nil {
		return err
	}
	rows := im.t.Rows
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"poverty_in"},
		append([]string{"row", "code", "name", "year", "exit_year"}, planning.PovertyFields...),
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			vals := []any{r.Row, r.VillageCode, r.VillageName, r.Year, r.ExitYear}
			for _, v := range r.Values() {
				vals = append(vals, v)
			}
			return vals, nil
		})); err != nil {
		return err
	}
	// Resolve the codes; check each village's kind, name and whether the
	// principal may edit it.
	if _, err := tx.Exec(ctx, `UPDATE poverty_in i SET village_id = (
			SELECT v.id FROM villages v WHERE v.code = i.code ORDER BY v.code_year DESC LIMIT 1)`); err != nil {
		return err
	}
	type resolved struct {
		row                           int
		code, given, name, town, kind string
		found                         bool
		year                          int
	}
	var rs []resolved
	var r resolved
	q, err := tx.Query(ctx, `SELECT i.row, i.code, i.name, coalesce(v.name, ''), coalesce(v.township_code, ''), coalesce(v.kind, ''),
			v.id IS NOT NULL, i.year
		FROM poverty_in i LEFT JOIN villages v ON v.id = i.village_id ORDER BY i.row`)
	if err != nil {
		return err
	}
	if _, err := pgx.ForEachRow(q, []any{&r.row, &r.code, &r.given, &r.name, &r.town, &r.kind, &r.found, &r.year}, func() error {
		rs = append(rs, r)
		return nil
	}); err != nil {
		return err
	}
	allowed := map[string]bool{}
	for _, r := range rs {
		im.byRow[r.row] = len(im.rep.Rows)
		im.rep.Rows = append(im.rep.Rows, planning.PovertyRowResult{Row: r.row, Village: r.code, Name: r.name, Year: r.year})
		switch {
		case !r.found:
			im.problem(r.row, r.code, "village_code", r.code, "没有代码为 "+r.code+" 的村", "先导入村名录（gapmap county init 或 villages 图层）")
			continue
		case r.kind != "行政村" && r.kind != "社区":
			im.problem(r.row, r.code, "village_code", r.code, fmt.Sprintf("代码 %s 是%s，建档立卡按行政村或社区填报", r.code, r.kind), "")
			continue
		case r.given != "" && ingest.ReadVillageName(r.given, "").Name != r.name:
			im.rep.Problems = append(im.rep.Problems, planning.ImportProblem{Row: r.row, ID: r.code, Field: "village_name", Value: r.given,
				Severity: planning.SeverityWarning, Reason: fmt.Sprintf("村名与代码 %s 的村（%s）不一致，按代码导入", r.code, r.name),
				Hint: "核对村代码"})
		}
		if !allowed[r.code] {
			if err := im.s.allow(ctx, access.LayerEdit, access.Object{Layer: "villages", Township: r.town, Village: r.code}); err != nil {
				return err
			}
			allowed[r.code] = true
		}
	}
	if err := im.merge(ctx, tx); err != nil {
		return err
	}
	if err := im.exitYears(ctx, tx); err != nil {
		return err
	}
	if im.failed() {
		return nil
	}
	// The write: a row equal to the stored one is left alone (no change
	// logged, nothing re-scored).
	cols := povertyCols("")
	set := make([]string, len(planning.PovertyFields))
	for i, f := range planning.PovertyFields {
		set[i] = fmt.Sprintf("%[1]s = EXCLUDED.%[1]s", pgx.Identifier{f}.Sanitize())
	}
	if _, err := tx.Exec(ctx, `INSERT INTO village_poverty (village_id, year, `+cols+`, source)
			SELECT village_id, year, `+cols+`, $1 FROM poverty_in ORDER BY village_id, year
			ON CONFLICT (village_id, year) DO UPDATE SET `+strings.Join(set, ", ")+`, source = EXCLUDED.source, updated_at = now()
			WHERE (`+povertyCols("village_poverty.")+`) IS DISTINCT FROM (`+povertyCols("EXCLUDED.")+`)`, im.source); err != nil {
		return err
	}
	// The 脱贫 bound across years, in every village the file touched,
	// reported at the file's row of the year (or of the year before, when
	// the file changed that one).
	q, err = tx.Query(ctx, `SELECT x.year, x.field, x.exited, x.prev_stock, x.new, x.returned,
			coalesce((SELECT i.row FROM poverty_in i WHERE i.village_id = x.village_id AND i.year IN (x.year, x.year - 1)
				ORDER BY i.year = x.year DESC LIMIT 1), 0),
			(SELECT v.code FROM villages v WHERE v.id = x.village_id)
		FROM village_poverty_violations x WHERE x.village_id IN (SELECT village_id FROM poverty_in)
		ORDER BY 7, x.year, x.field`)
	if err != nil {
		return err
	}
	var (
		year, exited, prev, added, back, row int
		field, code                          string
	)
	_, err = pgx.ForEachRow(q, []any{&year, &field, &exited, &prev, &added, &back, &row, &code}, func() error {
		what, f := "户数", "exited_households"
		if field == "population" {
			what, f = "人数", "exited_population"
		}
		im.problem(row, code, f, fmt.Sprint(exited),
			fmt.Sprintf("%d 年脱贫%s %d 超过 %d 年末贫困%s %d + 当年新识别 %d + 返贫 %d = %d：脱贫的只能是上年末在册、当年新识别或返贫的",
				year, what, exited, year-1, what, prev, added, back, prev+added+back),
			"核对脱贫、新识别、返贫数与上年末存量")
		return nil
	})
	return err
}

// povertyColDefs declares the figure columns of the staging table.
func povertyColDefs() string {
	out := make([]string, len(planning.PovertyFields))
	for i, f := range planning.PovertyFields {
		out[i] = pgx.Identifier{f}.Sanitize() + " integer"
	}
	return strings.Join(out, ", ")
}

// merge fills the figures the file has no column for from the stored row
// (an update replaces only what the file gives), then records each row's
// outcome and what it replaces, and checks households against people
// once merged.
func (im *povertyImport) merge(ctx context.Context, tx pgx.Tx) error {
	var keep []string
	for _, f := range planning.PovertyFields {
		if !im.t.Has[f] {
			keep = append(keep, fmt.Sprintf("%[1]s = p.%[1]s", pgx.Identifier{f}.Sanitize()))
		}
	}
	if len(keep) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE poverty_in i SET `+strings.Join(keep, ", ")+`
				FROM village_poverty p WHERE p.village_id = i.village_id AND p.year = i.year`); err != nil {
			return err
		}
	}
	q, err := tx.Query(ctx, `SELECT i.row, i.code, v.name, i.year, p.village_id IS NULL, `+povertyCols("p.")+`, `+povertyCols("i.")+`
		FROM poverty_in i JOIN villages v ON v.id = i.village_id
		LEFT JOIN village_poverty p ON p.village_id = i.village_id AND p.year = i.year ORDER BY i.row`)
	if err != nil {
		return err
	}
	var (
		row int
		c   povertyChange
	)
	dest := []any{&row, &c.code, &c.name, &c.year, &c.inserted}
	for _, p := range c.before.Ptrs() {
		dest = append(dest, p)
	}
	for _, p := range c.after.Ptrs() {
		dest = append(dest, p)
	}
	_, err = pgx.ForEachRow(q, dest, func() error {
		out := &im.rep.Rows[im.byRow[row]]
		a := c.after.Values()
		for k := 0; k < len(a); k += 2 {
			if a[k] != nil && a[k+1] != nil && *a[k] > *a[k+1] {
				im.problem(row, c.code, planning.PovertyFields[k], fmt.Sprint(*a[k]),
					fmt.Sprintf("%s %d 大于%s %d（含已存的数）：每户至少一人", planning.PovertyFieldTitles[k], *a[k], planning.PovertyFieldTitles[k+1], *a[k+1]), "")
			}
		}
		switch {
		case c.inserted:
			out.Outcome = planning.PovertyInserted
		case sameFigures(c.before, c.after):
			out.Outcome = planning.PovertyUnchanged
			return nil
		default:
			out.Outcome = planning.PovertyUpdated
		}
		im.changes = append(im.changes, c)
		return nil
	})
	return err
}

func sameFigures(a, b planning.PovertyFigures) bool {
	return slices.EqualFunc(a.Values(), b.Values(), func(x, y *int) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y })
}

// exitYears checks that the file gives each village one 退出年度 and sets
// it on the village.
func (im *povertyImport) exitYears(ctx context.Context, tx pgx.Tx) error {
	if !im.t.Has["exit_year"] {
		return nil
	}
	q, err := tx.Query(ctx, `SELECT v.code, v.exit_year, min(i.row), array_agg(DISTINCT i.exit_year ORDER BY i.exit_year)
		FROM poverty_in i JOIN villages v ON v.id = i.village_id
		WHERE i.exit_year IS NOT NULL GROUP BY v.id ORDER BY 3`)
	if err != nil {
		return err
	}
	var (
		code   string
		before *int
		row    int
		given  []int
	)
	if _, err := pgx.ForEachRow(q, []any{&code, &before, &row, &given}, func() error {
		switch {
		case len(given) > 1:
			im.problem(row, code, "exit_year", fmt.Sprint(given), fmt.Sprintf("同一村的贫困村退出年度不一致：%v", given), "每村只填一个退出年度")
		case before == nil || *before != given[0]:
			after := given[0]
			im.exits = append(im.exits, exitChange{code: code, before: before, after: &after})
		}
		return nil
	}); err != nil {
		return err
	}
	if im.failed() {
		return nil
	}
	for _, e := range im.exits {
		if _, err := tx.Exec(ctx, `UPDATE villages SET exit_year = $2 WHERE id = (
				SELECT id FROM villages WHERE code = $1 ORDER BY code_year DESC LIMIT 1)`, e.code, *e.after); err != nil {
			return err
		}
	}
	return nil
}

// audit records, per village, the years written with the before and after
// of each changed figure and its 退出年度, then the file's summary.
func (im *povertyImport) audit(ctx context.Context, tx pgx.Tx) error {
	type yearChange struct {
		Year   int            `json:"year"`
		Before map[string]any `json:"before"`
		After  map[string]any `json:"after"`
	}
	byVillage := map[string][]yearChange{}
	var order []string
	for _, c := range im.changes {
		before, after := map[string]any{}, map[string]any{}
		b, a := c.before.Values(), c.after.Values()
		for k, f := range planning.PovertyFields {
			if c.inserted || !sameFigures(planning.PovertyFigures{PoorHouseholds: b[k]}, planning.PovertyFigures{PoorHouseholds: a[k]}) {
				before[f], after[f] = b[k], a[k]
				if c.inserted {
					before[f] = nil
				}
			}
		}
		if _, ok := byVillage[c.code]; !ok {
			order = append(order, c.code)
		}
		byVillage[c.code] = append(byVillage[c.code], yearChange{Year: c.year, Before: before, After: after})
	}
	exitOf := map[string]exitChange{}
	for _, e := range im.exits {
		exitOf[e.code] = e
		if _, ok := byVillage[e.code]; !ok {
			order = append(order, e.code)
			byVillage[e.code] = nil
		}
	}
	slices.Sort(order)
	for _, code := range order {
		d := map[string]any{"file": im.source, "years": byVillage[code]}
		if e, ok := exitOf[code]; ok {
			d["exit_year"] = map[string]any{"before": e.before, "after": e.after}
		}
		if err := im.s.audit(ctx, tx, auditEntry{Action: "village.poverty", Kind: "village", ID: code, Detail: d}); err != nil {
			return err
		}
	}
	im.finish()
	return im.s.audit(ctx, tx, auditEntry{Action: "poverty.import", Kind: "layer", ID: "village_poverty",
		Detail: map[string]any{"file": im.source, "years": im.rep.Years, "read": im.rep.Read, "inserted": im.rep.Inserted,
			"updated": im.rep.Updated, "unchanged": im.rep.Unchanged, "exit_years_set": im.rep.ExitYears}})
}

// finish counts the outcomes; rows with an error are 错误 (and, when the
// file is refused, every row's outcome says what it would have been).
func (im *povertyImport) finish() {
	rep := im.rep
	rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected = 0, 0, 0, 0
	bad := map[int]bool{}
	for _, p := range rep.Problems {
		if p.Severity == planning.SeverityError && p.Row > 0 {
			bad[p.Row] = true
		}
	}
	for _, r := range im.t.Rejected {
		if _, ok := im.byRow[r.Row]; !ok {
			im.byRow[r.Row] = len(rep.Rows)
			rep.Rows = append(rep.Rows, planning.PovertyRowResult{Row: r.Row, Village: r.VillageCode, Year: r.Year})
		}
	}
	years := map[int]bool{}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if bad[r.Row] {
			r.Outcome = planning.PovertyRejected
		}
		switch r.Outcome {
		case planning.PovertyInserted:
			rep.Inserted++
		case planning.PovertyUpdated:
			rep.Updated++
		case planning.PovertyUnchanged:
			rep.Unchanged++
		case planning.PovertyRejected:
			rep.Rejected++
		}
		if r.Year != 0 {
			years[r.Year] = true
		}
	}
	slices.SortFunc(rep.Rows, func(a, b planning.PovertyRowResult) int { return a.Row - b.Row })
	rep.Years = rep.Years[:0]
	for y := range years {
		rep.Years = append(rep.Years, y)
	}
	slices.Sort(rep.Years)
	rep.ExitYears = len(im.exits)
}

// VillagePoverty implements planning.PovertyStore.
func (s *Store) VillagePoverty(ctx context.Context, code string) (planning.VillagePoverty, error) {
	var vp planning.VillagePoverty
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT v.id, v.code, v.name, v.township_code, t.name, v.is_poor_village, v.exit_year::int
		FROM villages v JOIN townships t ON t.code = v.township_code
		WHERE v.code = $1 ORDER BY v.code_year DESC LIMIT 1`, code).
		Scan(&id, &vp.Code, &vp.Name, &vp.TownshipCode, &vp.TownshipName, &vp.IsPoor, &vp.ExitYear)
	if errors.Is(err, pgx.ErrNoRows) {
		return vp, planning.Errorf(planning.ENotFound, "没有代码为 %s 的村", code)
	}
	if err != nil {
		return vp, translate(err, "village poverty "+code)
	}
	// The remainder the flows do not explain, against the row of the
	// year before (none: unknown).
	rows, err := s.pool.Query(ctx, `SELECT p.year, `+povertyCols("p.")+`,
			p.poor_households - (q.poor_households - p.exited_households + p.new_households + p.returned_households),
			p.poor_population - (q.poor_population - p.exited_population + p.new_population + p.returned_population),
			p.source
		FROM village_poverty p LEFT JOIN village_poverty q ON q.village_id = p.village_id AND q.year = p.year - 1
		WHERE p.village_id = $1 ORDER BY p.year`, id)
	if err != nil {
		return vp, translate(err, "village poverty "+code)
	}
	vp.Years, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (planning.PovertyYear, error) {
		var y planning.PovertyYear
		dest := []any{&y.Year}
		for _, p := range y.Ptrs() {
			dest = append(dest, p)
		}
		err := r.Scan(append(dest, &y.OtherHouseholds, &y.OtherPopulation, &y.Source)...)
		return y, err
	})
	if vp.Years == nil {
		vp.Years = []planning.PovertyYear{}
	}
	return vp, translate(err, "village poverty "+code)
}

// PovertyRollup implements planning.PovertyStore (queries/poverty_rollup.sql).
func (s *Store) PovertyRollup(ctx context.Context, f planning.PovertyFilter) ([]planning.PovertyRollup, error) {
	rows, err := s.pool.Query(ctx, povertyRollupSQL, f.Township, f.From, f.To)
	if err != nil {
		return nil, translate(err, "poverty rollup")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (planning.PovertyRollup, error) {
		var p planning.PovertyRollup
		unknown := make([]int, len(planning.PovertyFields))
		dest := []any{&p.Year, &p.TownshipCode, &p.TownshipName, &p.Villages}
		for _, ptr := range p.Ptrs() {
			dest = append(dest, ptr)
		}
		for i := range unknown {
			dest = append(dest, &unknown[i])
		}
		if err := r.Scan(append(dest, &p.VillagesExited)...); err != nil {
			return p, err
		}
		for i, n := range unknown {
			if n > 0 {
				if p.Unknown == nil {
					p.Unknown = map[string]int{}
				}
				p.Unknown[planning.PovertyFields[i]] = n
			}
		}
		return p, nil
	})
	if out == nil {
		out = []planning.PovertyRollup{}
	}
	return out, translate(err, "poverty rollup")
}
