package data

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
)

// check runs the set-based checks on the staged rows and records their
// problems; rows with an error are remembered in im.bad.
func (im *importer) check(ctx context.Context, tx pgx.Tx) error {
	im.bad = map[int]bool{}
	if im.conv.SRID() != SRID {
		if err := im.transform(ctx, tx); err != nil {
			return err
		}
	}
	if err := im.repair(ctx, tx); err != nil {
		return err
	}
	if err := im.resolve(ctx, tx); err != nil {
		return err
	}
	if err := im.project(ctx, tx); err != nil {
		return err
	}
	if err := im.constraints(ctx, tx); err != nil {
		return err
	}
	if err := im.keys(ctx, tx); err != nil {
		return err
	}
	found, err := im.spatial(ctx, tx, im.stagedSpatialRows())
	if err != nil {
		return err
	}
	im.reportSpatial(found)
	im.rep.Valid = im.rep.Read - im.rep.Rejected
	return nil
}

// rowProblem records a problem found in SQL for staged row row.
func (im *importer) rowProblem(row int, fid, field, value, sev, reason, hint string) {
	if sev == planning.SeverityError && !im.bad[row] {
		im.bad[row] = true
		im.rep.Rejected++
	}
	im.rep.Add(planning.ImportProblem{Row: row, ID: fid, Field: field, Value: ingest.Cut(value), Severity: sev, Reason: reason, Hint: hint})
}

// collect runs q and hands each row's values to f.
func collect(ctx context.Context, tx pgx.Tx, q string, args []any, dest []any, f func()) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	_, err = pgx.ForEachRow(rows, dest, func() error { f(); return nil })
	return err
}

// transform moves projected input to EPSG:4490 and rejects rows that land
// outside China, which means the .prj or --srs is wrong.
func (im *importer) transform(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE import_stage SET geom = ST_Transform(geom, 4490) WHERE geom IS NOT NULL`); err != nil {
		return &planning.Error{Code: planning.EInvalid, Err: err,
			Message: fmt.Sprintf("按 %s 转换坐标失败：%v；坐标系（.prj 或 --srs）可能不对", im.srs.Name, err)}
	}
	var row int
	var fid, where string
	return collect(ctx, tx, `
		SELECT row_no, coalesce(fid, ''), ST_AsText(ST_PointN(ST_Boundary(ST_Envelope(geom)), 1), 6)
		FROM import_stage
		WHERE geom IS NOT NULL AND NOT ST_Within(geom, ST_MakeEnvelope(72.004, 0.8293, 137.8347, 55.8271, 4490))`,
		nil, []any{&row, &fid, &where}, func() {
			im.rowProblem(row, fid, "geom", where, planning.SeverityError,
				fmt.Sprintf("按 %s 转换后不在中国范围内", im.srs.Name), "坐标系（.prj 或 --srs）可能不对，请核对数据的坐标系")
		})
}

// repair makes invalid geometries valid where the repair keeps the
// feature's meaning: the same kind of geometry and, for areas and lines,
// the same area or length within 1%. Other invalid geometries are errors.
func (im *importer) repair(ctx context.Context, tx pgx.Tx) error {
	var row int
	var fid, reason, kept string
	err := collect(ctx, tx, `
		WITH bad AS (
			SELECT ctid AS at, row_no, fid, geom, ST_IsValidReason(geom) AS reason,
			       ST_CollectionExtract(ST_MakeValid(geom), ST_Dimension(geom) + 1) AS fixed
			FROM import_stage WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)
		), judged AS (
			SELECT *, NOT ST_IsEmpty(fixed) AND ST_IsValid(fixed) AND CASE ST_Dimension(geom)
				WHEN 2 THEN abs(ST_Area(fixed) - abs(ST_Area(geom))) <= 0.01 * greatest(ST_Area(fixed), 1e-12)
				WHEN 1 THEN ST_NumGeometries(fixed) = 1 AND abs(ST_Length(fixed) - ST_Length(geom)) <= 0.01 * greatest(ST_Length(geom), 1e-12)
				ELSE true END AS ok
			FROM bad
		), fixed AS (
			UPDATE import_stage s SET geom = CASE WHEN ST_Dimension(j.fixed) = 1 THEN ST_GeometryN(j.fixed, 1) ELSE j.fixed END
			FROM judged j WHERE s.ctid = j.at AND j.ok
			RETURNING s.row_no
		)
		SELECT row_no, coalesce(fid, ''), reason, CASE WHEN ok THEN 'y' ELSE 'n' END FROM judged ORDER BY row_no`,
		nil, []any{&row, &fid, &reason, &kept}, func() {
			if kept == "y" {
				im.rep.Repaired++
				im.rowProblem(row, fid, "geom", reason, planning.SeverityRepaired, "几何无效，已自动修复（形状与面积/长度基本不变）："+reason, "请在源数据中核对该处")
				return
			}
			im.rowProblem(row, fid, "geom", reason, planning.SeverityError, "几何无效，且自动修复会改变其形状："+reason, "请在 GIS 软件中修复后再导入")
		})
	return err
}

// resolve fills the reference columns: a feature's village from 村代码 or,
// without one, from the village outline it lies in; a 自然村's 行政村 from
// its code or the nearest 行政村 within about 5 km; a main's works by name.
func (im *importer) resolve(ctx context.Context, tx pgx.Tx) error {
	has := func(c string) bool { return slices.Contains(im.cols, c) }
	var row int
	var fid, val string
	unresolved := func(q, field, reason, hint string) error {
		return collect(ctx, tx, q, nil, []any{&row, &fid, &val}, func() {
			im.rowProblem(row, fid, field, val, planning.SeverityError, fmt.Sprintf(reason, val), hint)
		})
	}
	// byCode resolves ref from a village code column (the code's newest
	// year) and reports the codes that name no village. ref and codeCol
	// are the literals below, never file input.
	byCode := func(ref, codeCol, reason, hint string) error {
		r, c := pgx.Identifier{ref}.Sanitize(), pgx.Identifier{codeCol}.Sanitize()
		if _, err := tx.Exec(ctx, `UPDATE import_stage s SET `+r+` = v.id
			FROM (SELECT DISTINCT ON (code) id, code FROM villages WHERE code IS NOT NULL ORDER BY code, code_year DESC) v
			WHERE s.`+c+` = v.code`); err != nil {
			return err
		}
		return unresolved(`SELECT row_no, coalesce(fid, ''), `+c+` FROM import_stage WHERE `+c+` IS NOT NULL AND `+r+` IS NULL`,
			codeCol, reason, hint)
	}
	for _, ref := range im.layer.Reference {
		switch ref {
		case "village_id":
			if has("village_code") {
				if err := byCode("village_id", "village_code", "所在村代码 %s 不存在", "请先导入村，或核对代码"); err != nil {
					return err
				}
			}
			q := `UPDATE import_stage s SET village_id = (
					SELECT v.id FROM villages v WHERE v.kind IN ('行政村', '社区') AND v.outline IS NOT NULL
					  AND ST_Intersects(v.outline, ST_PointOnSurface(s.geom)) ORDER BY v.id LIMIT 1)
				WHERE s.geom IS NOT NULL AND s.village_id IS NULL`
			if has("village_code") {
				q += ` AND s.village_code IS NULL`
			}
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		case "parent_id":
			if has("parent_code") {
				if err := byCode("parent_id", "parent_code", "所属行政村代码 %s 不存在", "请先导入行政村，或核对代码"); err != nil {
					return err
				}
			}
			q := `UPDATE import_stage s SET parent_id = (
					SELECT v.id FROM villages v WHERE v.kind IN ('行政村', '社区')
					  AND ST_DWithin(v.office, ST_PointOnSurface(s.geom), 0.05)
					ORDER BY v.office <-> ST_PointOnSurface(s.geom) LIMIT 1)
				WHERE s.geom IS NOT NULL AND s.parent_id IS NULL AND s.kind IN ('自然村', '村民组')`
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE import_stage s SET township_code = v.township_code
				FROM villages v WHERE v.id = s.parent_id AND s.township_code IS NULL`); err != nil {
				return err
			}
		case "works_id":
			if !has("works_name") {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE import_stage s SET works_id = w.id
				FROM (SELECT DISTINCT ON (name) id, name FROM water_works ORDER BY name, id) w WHERE s.works_name = w.name`); err != nil {
				return err
			}
			if err := unresolved(`SELECT row_no, coalesce(fid, ''), works_name FROM import_stage WHERE works_name IS NOT NULL AND works_id IS NULL`,
				"works_name", "供水工程“%s”不存在", "请先导入供水工程，或核对名称"); err != nil {
				return err
			}
		}
	}
	return nil
}

// test is one per-row rule evaluated in SQL.
type test struct {
	cond   string // true when the row breaks the rule
	field  string
	reason string
	hint   string
}

// constraints evaluates the table's NOT NULL, CHECK and foreign-key rules
// on every projected row in one pass.
func (im *importer) constraints(ctx context.Context, tx pgx.Tx) error {
	var tests []test
	written := im.targetCols()
	for _, c := range im.table.Columns {
		if c.NotNull && c.Default == "" {
			reason := "不能为空"
			if im.geomExpr(c.Name) != "" {
				reason = "缺少几何"
			}
			tests = append(tests, test{cond: pgx.Identifier{c.Name}.Sanitize() + " IS NULL", field: c.Name, reason: reason})
		}
	}
	for _, k := range im.table.Checks {
		reason := im.layer.CheckReason(k.Name)
		if reason == "" {
			reason = "取值不符合约束 " + k.Name
		}
		field := k.Name
		if len(k.Columns) > 0 {
			field = k.Columns[0]
			if strings.HasPrefix(k.Name, im.layer.Table+"_") {
				field = strings.TrimSuffix(strings.TrimPrefix(k.Name, im.layer.Table+"_"), "_check")
			}
		}
		tests = append(tests, test{cond: "(" + k.Expr + ") IS FALSE", field: field, reason: reason})
	}
	for _, k := range im.table.ForeignKeys {
		col := k.Columns[0]
		if !slices.Contains(written, col) {
			continue
		}
		id := pgx.Identifier{col}.Sanitize()
		tests = append(tests, test{
			cond:   fmt.Sprintf("%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s r WHERE r.%s = p.%s)", id, k.RefTab, pgx.Identifier{k.RefCol}.Sanitize(), id),
			field:  col,
			reason: fmt.Sprintf("引用的%s不存在", im.refTitle(col, im.layers.Title(strings.Trim(k.RefTab, `"`)))),
			hint:   fmt.Sprintf("请先导入%s，或核对该值", im.layers.Title(strings.Trim(k.RefTab, `"`))),
		})
	}
	if len(tests) == 0 {
		return nil
	}
	var cases, vals []string
	for i, t := range tests {
		cases = append(cases, fmt.Sprintf("CASE WHEN %s THEN %d END", t.cond, i))
		if im.table.column(t.field) != nil {
			vals = append(vals, pgx.Identifier{t.field}.Sanitize()+"::text")
		} else {
			vals = append(vals, "NULL::text")
		}
	}
	q := fmt.Sprintf(`SELECT row_no, coalesce(fid, ''), fails, vals FROM (
		SELECT row_no, fid, array_remove(ARRAY[%s], NULL) AS fails, ARRAY[%s] AS vals FROM import_rows p) q
		WHERE cardinality(fails) > 0 ORDER BY row_no`, strings.Join(cases, ", "), strings.Join(vals, ", "))
	var row int
	var fid string
	var fails []int32
	var values []*string
	return collect(ctx, tx, q, nil, []any{&row, &fid, &fails, &values}, func() {
		for _, i := range fails {
			t := tests[i]
			v := ""
			if values[i] != nil {
				v = *values[i]
			}
			title := t.field
			if f := im.layer.Field(t.field); f != nil {
				title = f.Title
			}
			im.rowProblem(row, fid, t.field, v, planning.SeverityError, title+"："+t.reason, t.hint)
		}
	})
}

// refTitle names what foreign-key column col points at, given the
// referenced table's title: the field's own title where col is a field
// ("乡镇代码"), else the table's title and the column.
func (im *importer) refTitle(col, title string) string {
	if f := im.layer.Field(col); f != nil {
		return f.Title
	}
	return title + "（" + col + "）"
}

// keys reports keys repeated within the file (always an error: one row
// cannot be written twice) and keys that already exist, which the mode
// decides: an error in reject mode, a skipped row in skip mode, an update
// in upsert mode (listed in a dry run, see upsertNotices). Feature ids
// exist only within their source: another file's id 5 is another feature.
func (im *importer) keys(ctx context.Context, tx pgx.Tx) error {
	im.skip = map[int]bool{}
	for _, k := range keysets(im.layer) {
		if !im.keyProvided(k) {
			continue
		}
		var part string
		for _, c := range k.cols {
			part += ", p." + pgx.Identifier{c}.Sanitize()
		}
		var row, first int
		var fid, key string
		err := collect(ctx, tx, fmt.Sprintf(`SELECT row_no, coalesce(fid, ''), key, first FROM (
			SELECT row_no, fid, %s AS key, min(row_no) OVER (PARTITION BY %s) AS first FROM import_rows p WHERE %s) x
			WHERE row_no <> first ORDER BY row_no`, k.show(), strings.TrimPrefix(part, ", "), k.filter()),
			nil, []any{&row, &fid, &key, &first}, func() {
				im.rowProblem(row, fid, k.field(), key, planning.SeverityError, fmt.Sprintf("与第 %d 行重复", first), "同一文件中每条记录只能出现一次")
			})
		if err != nil {
			return err
		}
		if im.rep.Mode == planning.ImportUpsert {
			if im.dryRun {
				if err := im.upsertNotices(ctx, tx, k); err != nil {
					return err
				}
			}
			continue
		}
		// For a feature id, how far the stored feature lies from the
		// file's: a file that merely shares the source's name (another
		// county's 道路.shp) has its ids far from the stored ones, and an
		// upsert would move them there.
		far, source := "NULL::float8", "''"
		if k.sourced() {
			source = "p." + pgx.Identifier{catalog.SourceKey.Column}.Sanitize()
			if im.table.column(im.layer.GeomCol) != nil {
				g := pgx.Identifier{im.layer.GeomCol}.Sanitize()
				far = fmt.Sprintf("ST_DistanceSphere(t.%s, p.%s)", g, g)
			}
		}
		var dist *float64
		var src string
		err = collect(ctx, tx, fmt.Sprintf(`SELECT p.row_no, coalesce(p.fid, ''), %s, %s, %s FROM import_rows p
			JOIN %s t ON %s WHERE %s ORDER BY p.row_no`, k.show(), far, source, pgx.Identifier{im.layer.Table}.Sanitize(), k.join(), k.filter()),
			nil, []any{&row, &fid, &key, &dist, &src}, func() {
				if im.rep.Mode == planning.ImportSkip {
					if !im.bad[row] && !im.skip[row] {
						im.skip[row] = true
						im.rep.Skipped++
					}
					im.rowProblem(row, fid, k.field(), key, planning.SeverityWarning, "数据库中已存在，已跳过", "")
					return
				}
				reason, hint := "数据库中已存在", "用 --mode upsert 更新已有记录，或 --mode skip 跳过"
				if k.sourced() {
					reason = fmt.Sprintf("数据库中已存在（来源数据集“%s”中的同一要素编号）", src)
					hint = "同一数据的新版本：用 --mode upsert 更新该来源的这些记录，或 --mode skip 跳过；另一份数据：用 --source 给它另起名称"
					if dist != nil && *dist > farMetres {
						hint = fmt.Sprintf("已有记录在 %.1f 公里外，这很可能是另一份同名数据，不要用 upsert 覆盖：请用 --source 给这份数据另起名称", *dist/1000)
					}
				}
				im.rowProblem(row, fid, k.field(), key, planning.SeverityError, reason, hint)
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// farMetres is the distance beyond which a stored feature and the file's
// feature with the same id are taken for two features: a new version of
// a dataset corrects positions by metres, not kilometres.
const farMetres = 1000

// upsertNotices lists, for a dry run in upsert mode, the rows whose key
// exists: each one an update, or unchanged when every column the file
// fills equals the stored one (write leaves those as they are, so the
// counts the dry run reports are the same).
func (im *importer) upsertNotices(ctx context.Context, tx pgx.Tx, k keyset) error {
	var row int
	var fid, key string
	var changed bool
	return collect(ctx, tx, fmt.Sprintf(`SELECT p.row_no, coalesce(p.fid, ''), %s, %s FROM import_rows p
		JOIN %s t ON %s WHERE %s AND NOT (p.row_no = ANY ($1)) ORDER BY p.row_no`, k.show(), im.differs("t", "p"),
		pgx.Identifier{im.layer.Table}.Sanitize(), k.join(), k.filter()),
		[]any{im.badRows()}, []any{&row, &fid, &key, &changed}, func() {
			if changed {
				im.rowProblem(row, fid, k.field(), key, planning.SeverityNotice, "数据库中已存在，将更新", "")
				return
			}
			im.rowProblem(row, fid, k.field(), key, planning.SeverityNotice, "数据库中已存在且各字段相同，将保持不变", "")
		})
}

// differs is the SQL condition, on the stored row aliased t and the new
// one aliased n, that some column the import writes differs.
func (im *importer) differs(t, n string) string {
	var a, b []string
	for _, c := range im.targetCols() {
		id := pgx.Identifier{c}.Sanitize()
		// As the table stores it (numeric(14,2) rounds): the type is
		// the catalog's own.
		a, b = append(a, t+"."+id), append(b, "CAST("+n+"."+id+" AS "+im.table.column(c).Type+")")
	}
	return "(" + strings.Join(a, ", ") + ") IS DISTINCT FROM (" + strings.Join(b, ", ") + ")"
}

// badRows are the rows left out of the write: rows with errors and rows
// skipped.
func (im *importer) badRows() []int32 {
	out := []int32{} // not nil: pgx sends a nil slice as NULL, and NOT (x = ANY (NULL)) is never true
	for r := range im.bad {
		out = append(out, int32(r))
	}
	for r := range im.skip {
		out = append(out, int32(r))
	}
	return out
}
