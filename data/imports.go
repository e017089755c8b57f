package data

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// An import runs in one transaction:
//
//  1. the file is streamed, each record mapped to the layer's fields,
//     parsed, its coordinates checked (and GCJ-02/BD-09 converted), and
//     COPYed into a temporary staging table; a reading goroutine feeds
//     COPY so that parsing and the database work in parallel;
//  2. set-based SQL on the staging table transforms projected input,
//     repairs invalid geometry where the repair keeps its meaning,
//     resolves references (村代码 → village, 所属供水工程 → works), and
//     evaluates the target table's own NOT NULL, CHECK and foreign-key
//     constraints and its keys against every row, so that each problem is
//     reported with its row instead of aborting the whole statement;
//  3. in reject mode any error rolls everything back; otherwise the good
//     rows go into the table with one INSERT … SELECT (ON CONFLICT for
//     upsert), whose triggers bump the layer's tile version and record the
//     changes that mark villages stale for re-scoring.
//
// A crash or a killed process at any point leaves the database as it was.

// importLockKey serialises imports into the same layer: two concurrent
// imports could otherwise both find a key absent and then collide.
const importLockKey = 0x67617069 // "gapi"

// batchRows is the number of rows the reading goroutine hands to COPY at
// once; progress is reported per batch.
const batchRows = 2000

// Import implements planning.ImportStore.
func (s *Store) Import(ctx context.Context, path string, opt planning.ImportOptions) (planning.ImportReport, error) {
	start := time.Now()
	spec := s.layers.Layer(opt.Layer)
	if spec == nil {
		return planning.ImportReport{}, planning.Errorf(planning.ENotFound, "没有可导入的图层 %q；可导入：%s", opt.Layer, strings.Join(s.layers.Tables(), "、"))
	}
	mode, err := planning.ParseImportMode(string(opt.Mode))
	if err != nil {
		return planning.ImportReport{}, err
	}
	name := opt.Name
	if name == "" {
		name = filepath.Base(path)
	}
	rep := planning.ImportReport{Layer: opt.Layer, File: name, Mode: mode, DryRun: opt.DryRun, Problems: []planning.ImportProblem{}}

	src, info, err := openSource(path, name, opt.Layer)
	if err != nil {
		return rep, err
	}
	defer func() { src.Close() }()
	rep.Format, rep.Encoding = info.Format, info.Encoding
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}

	srs, how, err := resolveSRS(opt.SRS, info)
	if err != nil {
		return rep, inFile(name, err)
	}
	rep.SRS = srs.Name + "（" + how + "）"

	cat, err := s.catalog(ctx, spec.Table)
	if err != nil {
		return rep, err
	}
	m, err := newColumnMap(spec, info, opt.Mapping, cat, &rep)
	if err != nil {
		return rep, inFile(name, err)
	}

	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, importLockKey, spec.Table); err != nil {
			return err
		}
		// The key checks sort and hash every staged row.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return err
		}
		st := &staging{spec: spec, layers: s.layers.Catalog, cat: cat, m: m, cols: m.provided, srs: srs, rep: &rep, info: info, size: size, progress: opt.Progress, log: s.log}
		rep.Phases = map[string]float64{}
		// The provenance row's id is reserved now; the row is written only
		// once the import holds the locks a bulk load takes (beginBulk),
		// so that two imports never wait on sources for each other.
		var srcID int64
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('sources', 'id'))`).Scan(&srcID); err != nil {
			return err
		}
		st.source = sourceRow{id: srcID, write: func(ctx context.Context, tx pgx.Tx) error {
			return s.insertSource(ctx, tx, srcID, name, opt, &rep, info)
		}}
		done := false
		if st.directable() {
			before := rep
			var err error
			if done, err = st.tryDirect(ctx, tx, src); err != nil {
				return err
			}
			if !done { // start again through the staging table
				phases := rep.Phases
				rep, rep.Phases = before, phases
				src.Close()
				if src, _, err = openSource(path, name, opt.Layer); err != nil {
					return err
				}
			}
		}
		if !done {
			if err := st.viaStaging(ctx, tx, src, mode); err != nil {
				return err
			}
		}
		if opt.DryRun {
			return errRollback
		}
		rep.SourceID = srcID
		return s.finishImport(ctx, tx, &rep)
	})
	switch {
	case errors.Is(err, errRollback):
		if opt.DryRun {
			rep.SourceID, rep.DataVersion = 0, 0
		} else {
			rep.Inserted, rep.Updated, rep.Skipped = 0, 0, 0
		}
	case err != nil:
		var pe *planning.Error
		if errors.As(err, &pe) {
			return rep, err
		}
		return rep, translate(err, "import "+opt.Layer)
	default:
		rep.Committed = true
	}
	rep.Summarise(time.Since(start))
	// The low-zoom road tables are not rebuilt here: tiles read them only
	// while current, and the server rebuilds them when it hears the
	// version bump (cmd/gapmap followVersions).
	return rep, nil
}

// viaStaging imports src through the staging table (see the top of this
// file). It returns errRollback when reject mode finds errors.
func (st *staging) viaStaging(ctx context.Context, tx pgx.Tx, src importSource, mode planning.ImportMode) error {
	if err := st.create(ctx, tx); err != nil {
		return err
	}
	phase := time.Now()
	lap := func(name string) {
		st.rep.Phases[name] = time.Since(phase).Seconds()
		phase = time.Now()
	}
	if err := st.load(ctx, tx, src); err != nil {
		return err
	}
	lap("read")
	if err := st.check(ctx, tx); err != nil {
		return err
	}
	lap("check")
	if st.rep.Errors > 0 && mode == planning.ImportReject {
		return errRollback
	}
	if err := st.write(ctx, tx, mode); err != nil {
		return err
	}
	lap("write")
	return nil
}

// finishImport records the rows read on the import's source and reads the
// layer's new tile version.
func (s *Store) finishImport(ctx context.Context, tx pgx.Tx, rep *planning.ImportReport) error {
	if _, err := tx.Exec(ctx, `UPDATE sources SET detail = detail || jsonb_build_object('rows', $2::bigint) WHERE id = $1`, rep.SourceID, rep.Read); err != nil {
		return err
	}
	return tx.QueryRow(ctx, `SELECT coalesce((SELECT version FROM layer_versions WHERE layer = $1), 0)`, rep.Layer).Scan(&rep.DataVersion)
}

// userMessage is err's message for users: a *planning.Error's Message, or
// the Chinese text of the readers' format errors.
func userMessage(err error) string {
	var pe *planning.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// inFile prefixes a whole-file error with the file's name.
func inFile(name string, err error) error {
	var pe *planning.Error
	if errors.As(err, &pe) {
		return &planning.Error{Code: pe.Code, Message: name + "：" + pe.Message, Err: err}
	}
	return &planning.Error{Code: planning.EInvalid, Message: name + "：" + err.Error(), Err: err}
}

// errRollback ends the import transaction without an error to report.
var errRollback = errors.New("import rolled back")

// resolveSRS decides the input coordinate system: the --srs option, else
// the file's .prj or crs member, else what the format implies (WGS84 lon/lat,
// taken as CGCS2000). how says which, for the report.
func resolveSRS(option string, info sourceInfo) (srs geo.SRS, how string, err error) {
	switch {
	case option != "":
		srs, err = geo.ParseSRS(option)
		how = "由 --srs 指定"
	case info.PRJ != "":
		srs, err = geo.SRSFromPRJ(info.PRJ)
		how = "读自 .prj"
		if err != nil {
			err = planning.Errorf(planning.EInvalid, "无法识别 .prj 中的坐标系：%v；请用 --srs 指定，例如 --srs EPSG:4547", err)
		}
	case info.CRS != "":
		srs, err = geo.ParseSRS(info.CRS)
		how = "读自文件"
	default:
		srs, err = geo.ParseSRS("EPSG:4490")
		how = "文件未声明，按 CGCS2000/WGS84 经纬度"
	}
	if err != nil {
		var pe *planning.Error
		if errors.As(err, &pe) {
			return srs, how, err
		}
		return srs, how, &planning.Error{Code: planning.EInvalid, Message: err.Error(), Err: err}
	}
	return srs, how, nil
}

// sourceRow is an import's provenance row: its id, and how to write it.
type sourceRow struct {
	id    int64
	write func(ctx context.Context, tx pgx.Tx) error
}

// insertSource writes the sources row id that records the import as the
// provenance of the rows it writes.
func (s *Store) insertSource(ctx context.Context, tx pgx.Tx, id int64, name string, opt planning.ImportOptions, rep *planning.ImportReport, info sourceInfo) error {
	detail := map[string]any{
		"layer": opt.Layer, "format": rep.Format, "encoding": rep.Encoding, "srs": rep.SRS,
		"mode": string(rep.Mode), "actor": opt.Actor, "columns": rep.Columns,
	}
	if info.Attribution != "" {
		detail["attribution"] = info.Attribution
	}
	_, err := tx.Exec(ctx, `INSERT INTO sources (id, kind, name, version, detail) OVERRIDING SYSTEM VALUE VALUES ($1, 'import', $2, $3, $4)`,
		id, name, time.Now().UTC().Format(time.RFC3339), detail)
	return err
}

// column is one column of the target table, as the catalog describes it.
type column struct {
	Name    string
	Type    string // format_type, e.g. "smallint", "geometry(Point,4490)"
	NotNull bool
	Default string // default expression, "" if none
}

// constraint is a CHECK or single-column foreign key of the target table.
type constraint struct {
	Name    string
	Expr    string   // CHECK: the boolean expression
	Columns []string // the columns it reads
	RefTab  string   // foreign key: referenced table and column
	RefCol  string
}

// tableCatalog is what an import needs to know of its target table.
type tableCatalog struct {
	Columns     []column
	Checks      []constraint
	ForeignKeys []constraint
}

func (c *tableCatalog) column(name string) *column {
	for i := range c.Columns {
		if c.Columns[i].Name == name {
			return &c.Columns[i]
		}
	}
	return nil
}

// catalog reads table's columns and constraints. table comes from the
// import spec (the allowlist); it is bound as a parameter all the same.
func (s *Store) catalog(ctx context.Context, table string) (*tableCatalog, error) {
	var c tableCatalog
	rows, err := s.pool.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attname NOT IN ('id', 'created_at', 'updated_at', 'source_id')
		ORDER BY a.attnum`, table)
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	c.Columns, err = pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	rows, err = s.pool.Query(ctx, `
		SELECT c.conname, CASE c.contype WHEN 'c' THEN pg_get_expr(c.conbin, c.conrelid) ELSE '' END,
		       array(SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = ANY (c.conkey) ORDER BY attnum)::text[],
		       coalesce(c.confrelid::regclass::text, ''),
		       coalesce((SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = c.confkey[1]), '')
		FROM pg_constraint c
		WHERE c.conrelid = $1::regclass AND (c.contype = 'c' OR (c.contype = 'f' AND cardinality(c.conkey) = 1))
		ORDER BY c.conname`, table)
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[constraint])
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	for _, k := range all {
		if k.Expr != "" {
			c.Checks = append(c.Checks, k)
		} else if k.RefTab != "" && k.Columns[0] != "source_id" {
			c.ForeignKeys = append(c.ForeignKeys, k)
		}
	}
	return &c, nil
}

// columnMap says which file column fills which field.
type columnMap struct {
	from     map[string]string            // file column → staging column
	defaults map[string]any               // staging column → parsed default from the mapping file
	values   map[string]map[string]string // staging column → mapping file value aliases
	provided []string                     // staging columns the import fills, in spec order
}

// newColumnMap matches the file's columns to spec fields: the mapping
// file first, then the built-in aliases. A required field nothing can fill
// is an error naming the file's columns and the accepted names; unused
// columns are one warning.
func newColumnMap(spec *importSpec, info sourceInfo, mp planning.Mapping, cat *tableCatalog, rep *planning.ImportReport) (*columnMap, error) {
	m := &columnMap{from: map[string]string{}, defaults: map[string]any{}, values: map[string]map[string]string{}}
	known := func(col string) *importField { return spec.Field(col) }
	allowed := func() string {
		var names []string
		for _, f := range spec.Fields {
			names = append(names, f.Column+"（"+f.Title+"）")
		}
		return strings.Join(names, "、")
	}
	for from, to := range mp.Columns {
		if known(to) == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件把列“%s”映射到未知字段 %q；%s图层可用字段：%s", from, to, spec.Title, allowed())
		}
		if !slices.Contains(info.Fields, from) && !info.Mapped {
			rep.Add(planning.ImportProblem{Field: to, Value: from, Severity: planning.SeverityWarning, Reason: fmt.Sprintf("映射文件中的列“%s”不在文件中", from)})
		}
	}
	for to, vals := range mp.Values {
		if known(to) == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件的 values 含未知字段 %q；可用字段：%s", to, allowed())
		}
		m.values[to] = vals
	}
	for to, v := range mp.Defaults {
		f := known(to)
		if f == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件的 defaults 含未知字段 %q；可用字段：%s", to, allowed())
		}
		val, err := convert(f, v, m.values[to])
		if err != nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件中字段 %s 的默认值 %q %v", to, v, err)
		}
		m.defaults[to] = val
	}
	taken := map[string]string{}
	var unused []string
	for _, col := range info.Fields {
		to := mp.Columns[col]
		if to == "" && info.Mapped && known(col) != nil {
			to = col
		}
		if to == "" && !info.Mapped {
			key := normaliseName(col)
		match:
			for _, f := range spec.Fields {
				if normaliseName(f.Column) == key {
					to = f.Column
					break
				}
				for _, a := range f.Aliases {
					if normaliseName(a) == key {
						to = f.Column
						break match
					}
				}
			}
		}
		switch {
		case to == "":
			if !slices.Contains(mp.Ignore, col) {
				unused = append(unused, col)
			}
		case taken[to] != "":
			rep.Add(planning.ImportProblem{Field: to, Value: col, Severity: planning.SeverityWarning,
				Reason: fmt.Sprintf("列“%s”与列“%s”都对应字段 %s，使用前者", taken[to], col, to)})
		default:
			taken[to] = col
			m.from[col] = to
			rep.Columns = append(rep.Columns, col+" → "+to)
		}
	}
	if len(unused) > 0 {
		rep.Add(planning.ImportProblem{Severity: planning.SeverityWarning, Value: strings.Join(unused, "、"),
			Reason: "这些列没有对应字段，未导入", Hint: "如需导入，请在映射文件 columns 中指定；不需要的列可列入 ignore"})
	}
	for _, f := range spec.Fields {
		_, mapped := taken[f.Column]
		_, def := m.defaults[f.Column]
		if mapped || def || (info.Mapped && slices.Contains(info.Fields, f.Column)) || f.Derived {
			m.provided = append(m.provided, f.Column)
		}
	}
	for _, col := range cat.Columns {
		f := spec.Field(col.Name)
		if f == nil || !col.NotNull || col.Default != "" || slices.Contains(m.provided, col.Name) {
			continue
		}
		return nil, planning.Errorf(planning.EInvalid,
			"文件缺少必填字段 %s（%s）：文件的列为 %s；可识别的列名：%s。请改列名，或在映射文件 columns 中指定，或在 defaults 中给出默认值",
			f.Column, f.Title, strings.Join(info.Fields, "、"), strings.Join(f.Aliases, "、"))
	}
	return m, nil
}

// staging is the temporary table one import fills and checks.
type staging struct {
	spec     *importSpec
	layers   *catalog.Catalog // for the titles of referenced tables
	cat      *tableCatalog
	m        *columnMap
	srs      geo.SRS
	rep      *planning.ImportReport
	info     sourceInfo
	size     int64 // the file's size in bytes
	progress func(int64)
	log      *slog.Logger
	source   sourceRow
	cols     []string              // the fields the import fills (columnMap.provided): staged in this order after row_no, part, fid, geom
	plans    map[string]*fieldPlan // per file column, see planFor
	bad      map[int]bool          // rows with an error found in SQL
	skip     map[int]bool          // rows left out because their key exists (skip mode)
}

// stageType is the staging column type of a field: wide types, so that a
// value out of the target's range reaches the CHECK evaluation as a row
// problem rather than failing COPY.
func stageType(f *importField) string {
	switch f.Kind {
	case kInt:
		return "bigint"
	case kFloat:
		return "double precision"
	case kBool:
		return "boolean"
	case kDate:
		return "date"
	case kTextList:
		return "text[]"
	}
	return "text"
}

func (st *staging) create(ctx context.Context, tx pgx.Tx) error {
	defs := []string{"row_no integer NOT NULL", "part integer NOT NULL", "fid text", "geom geometry"}
	for _, c := range st.cols {
		defs = append(defs, pgx.Identifier{c}.Sanitize()+" "+stageType(st.spec.Field(c)))
	}
	for _, ref := range st.spec.Reference {
		defs = append(defs, pgx.Identifier{ref}.Sanitize()+" bigint")
	}
	_, err := tx.Exec(ctx, "CREATE TEMP TABLE import_stage ("+strings.Join(defs, ", ")+") ON COMMIT DROP")
	return err
}

// rowBuilder turns one record into COPY rows (several when a multi-line
// is split), or false when the record has an error, which it reported.
type rowBuilder func(row int, rec feature.Record) ([][]any, bool)

// copyPlan is one COPY of a file's records into a table.
type copyPlan struct {
	table string
	cols  []string
	build rowBuilder
	// stopOnError ends the read at the first record with an error, with
	// errAbandon: the direct load gives way to the staging table then.
	stopOnError bool
	// hold rows are read before COPY starts, and ready, if set, is called
	// with their number and whether more follow, so that the caller can
	// prepare the table for the size of the load.
	hold  int
	ready func(held int, more bool) error
}

// load streams src into the staging table.
func (st *staging) load(ctx context.Context, tx pgx.Tx, src importSource) error {
	plan := copyPlan{table: "import_stage", cols: append([]string{"row_no", "part", "fid", "geom"}, st.cols...), build: st.stagedRows}
	if _, err := st.copy(ctx, tx, src, plan); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "ANALYZE import_stage")
	return err
}

// stagedRows is the rowBuilder of the staging table.
func (st *staging) stagedRows(row int, rec feature.Record) ([][]any, bool) {
	vals, parts, ok := st.convert(row, rec)
	if !ok {
		return nil, false
	}
	out := make([][]any, 0, len(parts))
	for i, g := range parts {
		geomVal, err := st.ewkb(g)
		if err != nil {
			st.rep.Add(planning.ImportProblem{Row: row, ID: rec.ID, Field: "geom", Value: geomSummary(g), Severity: planning.SeverityError, Reason: err.Error()})
			return nil, false
		}
		r := make([]any, 0, 4+len(st.cols))
		r = append(r, row, i+1, nullIfZero(rec.ID), geomVal)
		for j, c := range st.cols {
			r = append(r, partValue(c, vals[j], i, len(parts)))
		}
		out = append(out, r)
	}
	return out, true
}

// copy runs plan and returns the number of rows copied: a reading
// goroutine parses and converts the records while COPY sends the rows, so
// that Go and the database work in parallel.
func (st *staging) copy(ctx context.Context, tx pgx.Tx, src importSource, plan copyPlan) (int64, error) {
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 4)
	var readErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(batches)
		readErr = st.read(readCtx, src, batches, plan)
	}()
	finish := func(n int64, err error) (int64, error) {
		cancel()
		for range batches { // let the reader finish when COPY failed
		}
		<-done
		if readErr != nil && !errors.Is(readErr, context.Canceled) {
			return n, readErr
		}
		return n, err
	}
	from := &batchSource{ch: batches}
	if plan.hold > 0 {
		more := true
		for len(from.held) < plan.hold && more {
			var batch [][]any
			batch, more = <-batches
			from.held = append(from.held, batch...)
		}
		if !more {
			<-done // the whole file is held: stop now if it failed
			if readErr != nil {
				return finish(0, nil)
			}
		}
		if err := plan.ready(len(from.held), more); err != nil {
			return finish(0, err)
		}
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{plan.table}, plan.cols, from)
	if err != nil {
		err = fmt.Errorf("copy into %s: %w", plan.table, err)
	}
	return finish(n, err)
}

// batchSource is pgx.CopyFromSource over the reading goroutine's batches,
// after the rows held before COPY started.
type batchSource struct {
	ch   <-chan [][]any
	held [][]any
	cur  [][]any
	i    int
}

func (b *batchSource) Next() bool {
	if b.held != nil {
		b.cur, b.held, b.i = b.held, nil, -1
	}
	for b.i+1 >= len(b.cur) {
		batch, ok := <-b.ch
		if !ok {
			return false
		}
		b.cur, b.i = batch, -1
	}
	b.i++
	return true
}

func (b *batchSource) Values() ([]any, error) { return b.cur[b.i], nil }
func (b *batchSource) Err() error             { return nil }

// errAbandon stops a direct load at a record with an error.
var errAbandon = errors.New("direct load abandoned")

// read runs on its own goroutine: it owns st.rep until it returns.
func (st *staging) read(ctx context.Context, src importSource, out chan<- [][]any, plan copyPlan) error {
	var batch [][]any
	send := func() bool {
		if st.progress != nil {
			st.progress(st.rep.Read)
		}
		select {
		case out <- batch:
			batch = make([][]any, 0, batchRows)
			return true
		case <-ctx.Done():
			return false
		}
	}
	pctx, stop := context.WithCancel(ctx)
	chunks := parse(pctx, src)
	defer func() { // src is the caller's again only once parse has returned
		stop()
		for range chunks {
		}
	}()
	var chunk recordChunk
	for chunk = range chunks {
		for _, rec := range chunk.recs {
			st.rep.Read++
			row := rec.Index + 1
			if st.info.RowIsLine && rec.Line > 0 {
				row = rec.Line
			}
			rows, ok := plan.build(row, rec)
			if !ok {
				if plan.stopOnError {
					return errAbandon
				}
				st.rep.Rejected++
			}
			batch = append(batch, rows...)
			if len(batch) >= batchRows && !send() {
				return ctx.Err()
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := chunk.err; err != nil {
		// A file that breaks off is reported as a whole-file problem:
		// nothing of it is written, whatever the mode, because the rows
		// after the break are unknown.
		return &planning.Error{Code: planning.EInvalid, Message: fmt.Sprintf("%s：%s（已读取 %d 行；文件损坏或不完整，未导入任何数据）", st.rep.File, userMessage(err), st.rep.Read), Err: err}
	}
	if st.info.Summary != nil {
		for _, p := range st.info.Summary() {
			st.rep.Add(p)
		}
	}
	if len(batch) > 0 && !send() {
		return ctx.Err()
	}
	if st.progress != nil {
		st.progress(st.rep.Read)
	}
	return nil
}

// recordChunk is what the parsing goroutine hands on: records, and with
// the last chunk the reader's error.
type recordChunk struct {
	recs []feature.Record
	err  error
}

// parse reads src on its own goroutine, so that parsing a file and
// converting its records overlap: at full COPY speed each takes about
// half a core.
func parse(ctx context.Context, src importSource) <-chan recordChunk {
	const size = 256
	out := make(chan recordChunk, 4)
	go func() {
		defer close(out)
		chunk := make([]feature.Record, 0, size)
		for src.Next() {
			if chunk = append(chunk, src.Record()); len(chunk) == size {
				select {
				case out <- recordChunk{recs: chunk}:
				case <-ctx.Done():
					return
				}
				chunk = make([]feature.Record, 0, size)
			}
		}
		select {
		case out <- recordChunk{recs: chunk, err: src.Err()}:
		case <-ctx.Done():
		}
	}()
	return out
}

// convert maps, parses and checks one record: its field values (in
// st.cols order) and its geometry parts (several when a multi-line is
// split), and false when the record has an error, which it has reported.
func (st *staging) convert(row int, rec feature.Record) (vals []any, parts []orb.Geometry, ok bool) {
	ok = true
	problem := func(field, value, sev, reason, hint string) {
		if sev == planning.SeverityError {
			ok = false
		}
		st.rep.Add(planning.ImportProblem{Row: row, ID: rec.ID, Field: field, Value: cut(value), Severity: sev, Reason: reason, Hint: hint})
	}
	vals = make([]any, len(st.cols))
	for fileCol, raw := range rec.Attrs {
		p := st.planFor(fileCol)
		if p == nil {
			continue
		}
		v, err := convert(p.field, raw, p.values)
		if err != nil {
			to := p.field.Column
			reason := fmt.Sprintf("“%s”列的值%s", fileCol, err)
			if rule := p.field.Check; rule != "" {
				reason += "；" + rule
			}
			problem(to, text(raw), planning.SeverityError, reason, "可在映射文件 values 中把该值映射为允许的值")
			continue
		}
		vals[p.at] = v
	}
	for col, v := range st.m.defaults {
		if st.get(vals, col) == nil {
			st.set(vals, col, v)
		}
	}
	st.derive(vals, problem)

	parts, reason := st.geometry(rec.Geometry)
	if reason != "" {
		problem("geom", geomSummary(rec.Geometry), planning.SeverityError, reason, "")
	}
	if !ok {
		return nil, nil, false
	}
	if len(parts) > 1 {
		problem("geom", geomSummary(rec.Geometry), planning.SeverityWarning, fmt.Sprintf("多段线拆分为 %d 条线分别导入", len(parts)), "")
	}
	return vals, parts, true
}

// ewkb encodes a staged geometry part for COPY; nil stays NULL.
func (st *staging) ewkb(g orb.Geometry) (any, error) {
	if g == nil {
		return nil, nil
	}
	b, err := ewkb.Marshal(g, st.stageSRID())
	if err != nil {
		return nil, fmt.Errorf("几何无法编码：%w", err)
	}
	return b, nil
}

// partValue is column c's value for part i of n: the parts of a split
// multi-line keep distinct feature ids.
func partValue(c string, v any, i, n int) any {
	if c == "ext_id" && v != nil && n > 1 {
		return fmt.Sprintf("%s#%d", v, i+1)
	}
	return v
}

// cut shortens a value for the report.
func cut(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// stageSRID is the SRID staged geometry carries: 4490 for lon/lat (GCJ-02
// and BD-09 are converted in Go), else the input's EPSG code, which SQL
// transforms.
func (st *staging) stageSRID() int {
	if st.srs.Projected || (st.srs.EPSG != 0 && st.srs.EPSG != geo.CGCS2000 && st.srs.EPSG != geo.WGS84) {
		return st.srs.EPSG
	}
	return SRID
}

// fieldPlan is how one file column fills its field.
type fieldPlan struct {
	at     int // the field's index in st.cols
	field  *importField
	values map[string]string // the mapping file's value aliases
}

// planFor returns how file column col is imported, or nil when it is not.
// Plans are made when a column is first seen: records need not all have
// the same columns.
func (st *staging) planFor(col string) *fieldPlan {
	if p, seen := st.plans[col]; seen {
		return p
	}
	to := st.m.from[col]
	if to == "" && st.info.Mapped {
		to = col
	}
	var p *fieldPlan
	if i := slices.Index(st.cols, to); to != "" && i >= 0 {
		p = &fieldPlan{at: i, field: st.spec.Field(to), values: st.m.values[to]}
	}
	if st.plans == nil {
		st.plans = map[string]*fieldPlan{}
	}
	st.plans[col] = p
	return p
}

// get and set read and write field col of a record's values.
func (st *staging) get(vals []any, col string) any {
	if i := slices.Index(st.cols, col); i >= 0 {
		return vals[i]
	}
	return nil
}

func (st *staging) set(vals []any, col string, v any) {
	if i := slices.Index(st.cols, col); i >= 0 {
		vals[i] = v
	}
}

// derive fills fields a file may leave out: a township's county and a
// village's township from their codes, a village's kind from its name.
func (st *staging) derive(vals []any, problem func(field, value, sev, reason, hint string)) {
	code, _ := st.get(vals, "code").(string)
	switch st.spec.Table {
	case "townships":
		if st.get(vals, "county_code") == nil && len(code) >= 6 {
			st.set(vals, "county_code", code[:6])
		}
	case "villages":
		if st.get(vals, "township_code") == nil && len(code) >= 9 {
			st.set(vals, "township_code", code[:9])
		}
		if st.get(vals, "kind") == nil {
			name, _ := st.get(vals, "name").(string)
			switch {
			case code == "" || st.get(vals, "parent_code") != nil:
				st.set(vals, "kind", "自然村")
			case strings.HasSuffix(name, "社区") || strings.HasSuffix(name, "居委会"):
				st.set(vals, "kind", "社区")
			default:
				st.set(vals, "kind", "行政村")
				if name != "" && !strings.HasSuffix(name, "村") && !strings.HasSuffix(name, "村委会") {
					problem("name", name, planning.SeverityWarning, "名称不以“村”或“社区”结尾，已按行政村导入", "请核对名称（常见错字如“村民委委会”）或在文件中给出类型")
				}
			}
		}
		if st.get(vals, "code_year") == nil && code != "" {
			st.set(vals, "code_year", int64(2023))
		}
	}
}

// geometry checks one record's geometry against the layer's role and the
// input SRS, converts GCJ-02/BD-09 to WGS-84, and splits multi-lines. A
// non-empty reason is an error.
func (st *staging) geometry(g orb.Geometry) (parts []orb.Geometry, reason string) {
	if g == nil {
		if st.spec.Role == roleOptional {
			return []orb.Geometry{nil}, ""
		}
		return nil, "缺少几何（坐标为空）"
	}
	switch st.spec.Role {
	case roleLine:
		switch x := g.(type) {
		case orb.LineString:
			parts = []orb.Geometry{x}
		case orb.MultiLineString:
			for _, l := range x {
				parts = append(parts, l)
			}
		default:
			return nil, fmt.Sprintf("应为线，实为%s", geomTypeName(g))
		}
	case rolePoint:
		switch x := g.(type) {
		case orb.Point, orb.Polygon, orb.MultiPolygon:
			parts = []orb.Geometry{x}
		case orb.MultiPoint:
			if len(x) != 1 {
				return nil, fmt.Sprintf("应为点，实为含 %d 个点的多点", len(x))
			}
			parts = []orb.Geometry{x[0]}
		default:
			return nil, fmt.Sprintf("应为点，实为%s", geomTypeName(g))
		}
	case roleArea:
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
			parts = []orb.Geometry{g}
		default:
			return nil, fmt.Sprintf("应为面，实为%s", geomTypeName(g))
		}
	case roleSeat:
		switch x := g.(type) {
		case orb.Point, orb.Polygon, orb.MultiPolygon:
			parts = []orb.Geometry{x}
		case orb.MultiPoint:
			if len(x) != 1 {
				return nil, fmt.Sprintf("应为点或面，实为含 %d 个点的多点", len(x))
			}
			parts = []orb.Geometry{x[0]}
		default:
			return nil, fmt.Sprintf("应为点或面，实为%s", geomTypeName(g))
		}
	default:
		parts = []orb.Geometry{g}
	}
	for i, p := range parts {
		if st.stageSRID() != SRID {
			if err := firstVertexErr(p, func(pt orb.Point) error { return geo.CheckProjected(st.srs, pt) }); err != nil {
				return nil, err.Error()
			}
			continue
		}
		if err := firstVertexErr(p, geo.CheckLonLat); err != nil {
			return nil, err.Error()
		}
		if st.srs.Datum != "" && st.srs.Datum != geo.DatumWGS84 {
			parts[i] = geo.ToWGS84(p, st.srs.Datum)
		}
	}
	return parts, ""
}

// firstVertexErr returns check's error for the first vertex of g that
// fails it.
func firstVertexErr(g orb.Geometry, check func(orb.Point) error) error {
	var err error
	visit(g, func(p orb.Point) bool {
		err = check(p)
		return err == nil
	})
	return err
}

// visit calls f on every vertex of g until f returns false.
func visit(g orb.Geometry, f func(orb.Point) bool) bool {
	switch x := g.(type) {
	case orb.Point:
		return f(x)
	case orb.MultiPoint:
		for _, p := range x {
			if !f(p) {
				return false
			}
		}
	case orb.LineString:
		return visit(orb.MultiPoint(x), f)
	case orb.Ring:
		return visit(orb.MultiPoint(x), f)
	case orb.MultiLineString:
		for _, l := range x {
			if !visit(orb.MultiPoint(l), f) {
				return false
			}
		}
	case orb.Polygon:
		for _, r := range x {
			if !visit(orb.MultiPoint(r), f) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range x {
			if !visit(p, f) {
				return false
			}
		}
	case orb.Collection:
		for _, c := range x {
			if !visit(c, f) {
				return false
			}
		}
	}
	return true
}

// geomTypeName names a geometry type in Chinese.
func geomTypeName(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point:
		return "点"
	case orb.MultiPoint:
		return "多点"
	case orb.LineString:
		return "线"
	case orb.MultiLineString:
		return "多线"
	case orb.Polygon, orb.Ring:
		return "面"
	case orb.MultiPolygon:
		return "多面"
	case orb.Collection:
		return "几何集合"
	}
	return g.GeoJSONType()
}

// geomSummary shows a geometry in a report: its type and first vertex.
func geomSummary(g orb.Geometry) string {
	if g == nil {
		return ""
	}
	var first orb.Point
	visit(g, func(p orb.Point) bool { first = p; return false })
	return fmt.Sprintf("%s (%g %g …)", g.GeoJSONType(), first[0], first[1])
}
