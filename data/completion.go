package data

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

//go:embed queries/road_cover.sql
var roadCoverSQL string

// completionLayers are the layers a completed project may write, with
// their Chinese names for messages: the allowlist of identifiers the
// completion SQL is built from.
var completionLayers = map[string]string{
	"roads": "道路", "bridges": "桥梁", "bus_stops": "公交站点", "water_works": "水厂",
	"water_mains": "供水管网", "power_lines": "电力线路", "transformers": "配电变压器", "pv_stations": "光伏电站",
}

// Geometry tolerances of completion, in degrees (80,000 m/° as elsewhere
// for index boxes; a metre is at most 1/80,000°).
const (
	coverTolDeg   = 1.0 / 80000 // a road within ~1 m of the path is under it
	coverPieceDeg = 5.0 / 80000 // a covered piece shorter than ~5 m is a crossing
	snapEndM      = 1.0         // a split this near a road's end is its end
	worksReachDeg = 200.0 / 80000
)

// completion is one project being written into the layers in its
// lifecycle move's transaction.
type completion struct {
	tx      pgx.Tx
	p       planning.Project
	ab      planning.AsBuilt
	prof    planning.Profile
	on      time.Time // the completion date
	source  int64     // the project's sources row
	written int       // rows inserted or updated
	skipped []string  // why something was not written (Chinese)
}

// projectSource returns the id of the sources row of kind 'project' that
// links to project p, creating it.
func projectSource(ctx context.Context, tx pgx.Tx, p planning.Project) (int64, error) {
	var id int64
	// One round trip: prediction completes every candidate.
	err := tx.QueryRow(ctx, `WITH old AS (SELECT id FROM sources WHERE project_id = $2),
			new AS (INSERT INTO sources (kind, name, project_id, detail)
			        SELECT 'project', $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM old) RETURNING id)
		SELECT id FROM old UNION ALL SELECT id FROM new`,
		cmp.Or(p.Code, strconv.FormatInt(p.ID, 10))+" "+p.Name, p.ID, map[string]any{"project_id": p.ID, "subtype": p.Subtype}).Scan(&id)
	return id, err
}

// completeProject writes what project p built into the layers (README:
// "What completion writes"), keeping the pre-image of every row it writes
// in project_layer_writes. It returns what the audit entry records.
func (s *Store) completeProject(ctx context.Context, tx pgx.Tx, p planning.Project, prof planning.Profile) (map[string]any, error) {
	c := &completion{tx: tx, p: p, prof: prof}
	if err := tx.QueryRow(ctx, `SELECT as_built FROM projects WHERE id = $1`, p.ID).Scan(&c.ab); err != nil {
		return nil, err
	}
	c.on = c.ab.Date(time.Now())
	var err error
	if c.source, err = projectSource(ctx, tx, p); err != nil {
		return nil, err
	}
	// Completed today: effective now, after today's earlier edits of the
	// same rows (the date alone is midnight, which would backdate the
	// write before them). Completed earlier: effective that day.
	effective := c.on.Format(time.DateOnly)
	if now := time.Now(); effective == now.Format(time.DateOnly) {
		effective = now.Format(time.RFC3339Nano)
	}
	if err := SetEffective(ctx, tx, effective); err != nil {
		return nil, err
	}
	if p.Geometry == nil {
		c.skipped = append(c.skipped, "项目没有位置（几何），未写入图层")
	} else if err := c.write(ctx); err != nil {
		return nil, err
	}
	if err := c.finish(ctx); err != nil {
		return nil, err
	}
	return map[string]any{"completed_on": c.on.Format(time.DateOnly), "rows_written": c.written, "skipped": c.skipped,
		"as_built": c.ab}, nil
}

// write dispatches on the project's 子类.
func (c *completion) write(ctx context.Context) error {
	if w, ok := completionWriters[c.p.Subtype]; ok {
		return w(ctx, c)
	}
	c.skipped = append(c.skipped, fmt.Sprintf("子类“%s”完工后不写入图层", c.p.Subtype))
	return nil
}

// completionWriters write a completed project of each 子类 into the
// layers; a 子类 not here writes nothing (prediction passes it over).
var completionWriters = map[string]func(ctx context.Context, c *completion) error{
	"通村硬化路": func(ctx context.Context, c *completion) error {
		return c.pave(ctx, "村道", or(c.ab.WidthM, c.prof.Road.MinWidthM.Value))
	},
	"通组硬化路": func(ctx context.Context, c *completion) error { return c.pave(ctx, "通组路", or(c.ab.WidthM, 3.5)) },
	"窄路加宽": func(ctx context.Context, c *completion) error {
		return c.widen(ctx, or(c.ab.WidthM, c.prof.Road.MinWidthM.Value))
	},
	"招呼站": func(ctx context.Context, c *completion) error {
		return c.insert(ctx, "bus_stops", `INSERT INTO bus_stops (name, service, geom, source_id)
			SELECT $2 || '招呼站', true, ST_PointOnSurface(geom), $3 FROM projects WHERE id = $1 RETURNING id`,
			c.p.ID, c.p.VillageName, c.source)
	},
	"危桥改造":   func(ctx context.Context, c *completion) error { return c.bridge(ctx) },
	"管网延伸":   func(ctx context.Context, c *completion) error { return c.main(ctx) },
	"单村供水工程": func(ctx context.Context, c *completion) error { return c.works(ctx) },
	"净化消毒":   func(ctx context.Context, c *completion) error { return c.treatment(ctx) },
	"配变增容":   func(ctx context.Context, c *completion) error { return c.transformers(ctx) },
	"10kV线路": func(ctx context.Context, c *completion) error { return c.line(ctx, 10) },
	"动力电改造":  func(ctx context.Context, c *completion) error { return c.line(ctx, 0.4) },
	"村级光伏电站": func(ctx context.Context, c *completion) error { return c.pv(ctx) },
}

func or[T any](p *T, v T) T {
	if p != nil {
		return *p
	}
	return v
}

// record keeps the pre-images of rows about to be updated (the first
// write of a row by this project only) or the ids of rows just inserted.
func (c *completion) record(ctx context.Context, layer, op string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	tbl := pgx.Identifier{layer}.Sanitize()
	old := "NULL"
	if op == "update" {
		old = "t::text"
	}
	tag, err := c.tx.Exec(ctx, `INSERT INTO project_layer_writes (project_id, layer, row_id, op, old_row, completed_on)
		SELECT $1, $2, t.id, $3, `+old+`, $4 FROM `+tbl+` t WHERE t.id = ANY ($5)
		ON CONFLICT (project_id, layer, row_id) DO NOTHING`, c.p.ID, layer, op, c.on, ids)
	if err != nil {
		return err
	}
	c.written += int(tag.RowsAffected())
	return nil
}

// insert runs an INSERT … RETURNING id into layer and records the rows.
func (c *completion) insert(ctx context.Context, layer, sql string, args ...any) error {
	rows, err := c.tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	return c.record(ctx, layer, "insert", ids)
}

// update records the pre-images of rows ids of layer, then runs sql.
func (c *completion) update(ctx context.Context, layer string, ids []int64, sql string, args ...any) error {
	if err := c.record(ctx, layer, "update", ids); err != nil {
		return err
	}
	_, err := c.tx.Exec(ctx, sql, args...)
	return err
}

// finish stores the hash of every row as written, which undo compares.
func (c *completion) finish(ctx context.Context) error {
	_, err := c.tx.Exec(ctx, finishSQL, append([]any{c.p.ID}, finishLayers...)...)
	return err
}

// finishLayers are the layers of completionLayers in the order of
// finishSQL's parameters $2 onwards.
var finishLayers = func() []any {
	var ls []any
	for _, l := range slices.Sorted(maps.Keys(completionLayers)) {
		ls = append(ls, l)
	}
	return ls
}()

// finishSQL hashes the project's ($1) written rows of every layer in one
// statement: prediction completes every candidate, and a statement per
// layer was 1,760 of a demo generation's 4,796 round trips.
var finishSQL = func() string {
	parts := make([]string, len(finishLayers))
	for i, l := range finishLayers {
		parts[i] = fmt.Sprintf(`SELECT w.id, md5(t::text) AS hash FROM project_layer_writes w JOIN %s t ON t.id = w.row_id
			WHERE w.project_id = $1 AND w.layer = $%d`, pgx.Identifier{l.(string)}.Sanitize(), i+2)
	}
	return `UPDATE project_layer_writes w SET new_hash = h.hash FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) h
		WHERE w.id = h.id`
}()

// cover is one road under a project's path: the fractions [a, b] of its
// length the path covers, and its length in metres.
type cover struct {
	id      int64
	a, b, m float64
}

// covered lists the roads under the project's path (road_cover.sql).
func (c *completion) covered(ctx context.Context, paving bool, minWidth float64) ([]cover, error) {
	rows, err := c.tx.Query(ctx, roadCoverSQL, c.p.ID, coverTolDeg, coverPieceDeg, paving, minWidth)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (cover, error) {
		var x cover
		err := r.Scan(&x.id, &x.a, &x.b, &x.m)
		if x.a*x.m < snapEndM {
			x.a = 0
		}
		if (1-x.b)*x.m < snapEndM {
			x.b = 1
		}
		return x, err
	})
}

// split makes each covered road's covered part a row of its own: the
// road's row keeps the covered part [a, b], and the parts before and after
// become new rows with the road's attributes and provenance (the file's
// ext_id stays with the original row). set is the SET list for the
// covered part, reading $2 onwards from args.
func (c *completion) split(ctx context.Context, covers []cover, set string, args ...any) error {
	for _, x := range covers {
		if err := c.record(ctx, "roads", "update", []int64{x.id}); err != nil {
			return err
		}
		for _, part := range [][2]float64{{0, x.a}, {x.b, 1}} {
			if part[1]-part[0] <= 0 {
				continue
			}
			if err := c.insert(ctx, "roads", `INSERT INTO roads (name, ref, grade, surface, width_m, year, geom, source_id)
				SELECT name, ref, grade, surface, width_m, year, ST_LineSubstring(geom, $2, $3), source_id FROM roads WHERE id = $1
				RETURNING id`, x.id, part[0], part[1]); err != nil {
				return err
			}
		}
		if _, err := c.tx.Exec(ctx, `UPDATE roads SET geom = ST_LineSubstring(geom, $`+strconv.Itoa(len(args)+2)+`, $`+strconv.Itoa(len(args)+3)+`), `+set+`
			WHERE id = $1`, append(append([]any{x.id}, args...), x.a, x.b)...); err != nil {
			return err
		}
	}
	return nil
}

// pave hardens the roads under the project's path and builds a road of
// grade where the path runs off every road.
func (c *completion) pave(ctx context.Context, grade string, width float64) error {
	surface := cmp.Or(c.ab.Surface, "水泥")
	covers, err := c.covered(ctx, true, 0)
	if err != nil {
		return err
	}
	if err := c.split(ctx, covers, `surface = $2, width_m = $3, year = $4, source_id = $5`,
		surface, width, c.on.Year(), c.source); err != nil {
		return err
	}
	return c.insert(ctx, "roads", `INSERT INTO roads (grade, surface, width_m, year, geom, source_id)
		SELECT $2, $3, $4, $5, d.geom, $6 FROM projects p
		CROSS JOIN LATERAL ST_Dump(ST_LineMerge(ST_Difference(ST_CollectionExtract(p.geom, 2), coalesce(
			(SELECT ST_Buffer(ST_Collect(r.geom), $7) FROM roads r WHERE r.geom && ST_Expand(p.geom, $7)),
			ST_SetSRID('GEOMETRYCOLLECTION EMPTY'::geometry, 4490))))) d
		WHERE p.id = $1 AND GeometryType(d.geom) = 'LINESTRING' AND ST_Length(d.geom) >= $8
		RETURNING id`, c.p.ID, grade, surface, width, c.on.Year(), c.source, coverTolDeg, coverPieceDeg)
}

// widen sets the width of the narrow roads under the project's path.
func (c *completion) widen(ctx context.Context, width float64) error {
	covers, err := c.covered(ctx, false, width)
	if err != nil {
		return err
	}
	if len(covers) == 0 {
		c.skipped = append(c.skipped, "路径上没有宽度不足或宽度未知的道路")
	}
	return c.split(ctx, covers, `width_m = $2, source_id = $3`, width, c.source)
}

// bridgeKey reads the bridge id from a 危桥改造 candidate's key.
var bridgeKey = regexp.MustCompile(`:危桥改造:([0-9]+)$`)

// bridge restores the 危桥's condition: the bridge of the candidate's key,
// else the dangerous bridge at the project's point.
func (c *completion) bridge(ctx context.Context) error {
	class := or(c.ab.ConditionClass, 1)
	var id int64
	var err error
	if m := bridgeKey.FindStringSubmatch(c.p.Key); m != nil {
		id, _ = strconv.ParseInt(m[1], 10, 64)
		err = c.tx.QueryRow(ctx, `SELECT id FROM bridges WHERE id = $1`, id).Scan(&id)
	} else {
		err = c.tx.QueryRow(ctx, `SELECT b.id FROM bridges b, projects p WHERE p.id = $1 AND b.is_dangerous
			AND ST_DWithin(b.geom, p.geom, $2) ORDER BY b.geom <-> p.geom LIMIT 1`, c.p.ID, 50.0/80000).Scan(&id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		c.skipped = append(c.skipped, "图层中找不到要改造的危桥")
		return nil
	} else if err != nil {
		return err
	}
	return c.update(ctx, "bridges", []int64{id}, `UPDATE bridges SET condition_class = $2, is_dangerous = false, source_id = $3 WHERE id = $1`,
		id, class, c.source)
}

// main lays the extension as mains linked to the works it extends: the
// works of the main, or the works, nearest the project's line.
func (c *completion) main(ctx context.Context) error {
	var works *int64
	err := c.tx.QueryRow(ctx, `SELECT x.works_id FROM projects p CROSS JOIN LATERAL (
			SELECT m.works_id, m.geom FROM water_mains m WHERE m.works_id IS NOT NULL AND m.geom && ST_Expand(p.geom, $2)
			UNION ALL SELECT k.id, k.geom FROM water_works k WHERE k.geom && ST_Expand(p.geom, $2)) x
		WHERE p.id = $1 ORDER BY ST_Distance(x.geom, p.geom) LIMIT 1`, c.p.ID, worksReachDeg).Scan(&works)
	if errors.Is(err, pgx.ErrNoRows) {
		c.skipped = append(c.skipped, "管线 200 米内没有水厂或已关联水厂的管网，新管网未关联水厂")
	} else if err != nil {
		return err
	}
	return c.insert(ctx, "water_mains", `INSERT INTO water_mains (works_id, diameter_mm, geom, source_id)
		SELECT $2, $3, d.geom, $4 FROM projects p CROSS JOIN LATERAL ST_Dump(ST_LineMerge(ST_CollectionExtract(p.geom, 2))) d
		WHERE p.id = $1 AND ST_Length(d.geom) > 0 RETURNING id`, c.p.ID, works, c.ab.DiameterMM, c.source)
}

// works builds a 单村供水工程, tested and disinfected as built.
func (c *completion) works(ctx context.Context) error {
	pop := or(c.ab.PopulationServed, int(math.Round(c.p.Quantity)))
	design := or(c.ab.DesignM3PerDay, float64(pop)*c.prof.Projects.WaterDesignLitres.Value/1000)
	var designArg *float64
	if design > 0 {
		designArg = &design
	}
	return c.insert(ctx, "water_works", `INSERT INTO water_works (name, kind, design_m3_per_day, population_served,
			last_test_date, last_test_passed, guarantee_pct, treatment, geom, source_id)
		SELECT $2, '单村供水', $3, $4, $5, true, $6, '净化消毒', ST_PointOnSurface(geom), $7 FROM projects WHERE id = $1 RETURNING id`,
		c.p.ID, c.p.Name, designArg, pop, c.on, c.ab.GuaranteePct, c.source)
}

// treatment installs 净化消毒 at the works that supplies the village (as
// scoring finds it: the works of the nearest main within main_radius_m,
// else the nearest works within it), which passes its test that day.
func (c *completion) treatment(ctx context.Context) error {
	var id int64
	r := c.prof.Water.MainRadiusM.Value
	err := c.tx.QueryRow(ctx, `SELECT x.works_id FROM projects p CROSS JOIN LATERAL (
			SELECT m.works_id, 0 AS pref, ST_Distance(m.geom::geography, p.geom::geography) AS d FROM water_mains m
			WHERE m.works_id IS NOT NULL AND m.geom && ST_Expand(p.geom, $2 / 80000.0) AND ST_DWithin(m.geom::geography, p.geom::geography, $2)
			UNION ALL
			SELECT k.id, 1, ST_Distance(k.geom::geography, p.geom::geography) FROM water_works k
			WHERE k.geom && ST_Expand(p.geom, $2 / 80000.0) AND ST_DWithin(k.geom::geography, p.geom::geography, $2)) x
		WHERE p.id = $1 ORDER BY x.pref, x.d LIMIT 1`, c.p.ID, r).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		c.skipped = append(c.skipped, "找不到为该村供水的水厂")
		return nil
	} else if err != nil {
		return err
	}
	return c.update(ctx, "water_works", []int64{id}, `UPDATE water_works SET treatment = '净化消毒', last_test_date = $2,
		last_test_passed = true, source_id = $3 WHERE id = $1`, id, c.on, c.source)
}

// kvaTarget reads the kVA of a 配变增容 candidate's 绩效目标 ("≥400 kVA").
var kvaTarget = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)\s*kVA`)

// transformers installs the project's transformers (工程量 台) at the
// village, sharing the added kVA.
func (c *completion) transformers(ctx context.Context) error {
	kva := c.ab.KVA
	for _, t := range c.p.Targets {
		if m := kvaTarget.FindStringSubmatch(t.Value); kva == nil && m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			kva = &v
		}
	}
	if kva == nil {
		return planning.Errorf(planning.EInvalid, "配变增容项目“%s”没有新增容量：请先登记竣工实际值 kva（kVA）", c.p.Name)
	}
	n := max(int(math.Round(c.p.Quantity)), 1)
	if *kva/float64(n) > 2500 {
		return planning.Errorf(planning.EInvalid, "配变增容项目“%s”：%g kVA 分 %d 台，每台超过 2500 kVA，请核对竣工实际值", c.p.Name, *kva, n)
	}
	return c.insert(ctx, "transformers", `INSERT INTO transformers (name, kva, phases, village_id, geom, source_id)
		SELECT $2 || ' #' || i, $3, 3, p.village_id, ST_PointOnSurface(p.geom), $4 FROM projects p, generate_series(1, $5) i
		WHERE p.id = $1 RETURNING id`, c.p.ID, c.p.Name, *kva/float64(n), c.source, n)
}

// line builds three-phase power lines of voltage kV along the project's line.
func (c *completion) line(ctx context.Context, kv float64) error {
	return c.insert(ctx, "power_lines", `INSERT INTO power_lines (name, voltage_kv, phases, geom, source_id)
		SELECT $2, $3, 3, d.geom, $4 FROM projects p CROSS JOIN LATERAL ST_Dump(ST_LineMerge(ST_CollectionExtract(p.geom, 2))) d
		WHERE p.id = $1 AND ST_Length(d.geom) > 0 RETURNING id`, c.p.ID, c.p.Name, kv, c.source)
}

// pv builds the village's PV station.
func (c *completion) pv(ctx context.Context) error {
	kw := or(c.ab.KW, c.p.Quantity)
	if !(kw > 0) {
		return planning.Errorf(planning.EInvalid, "光伏项目“%s”没有装机容量：请先登记竣工实际值 kw（kW）", c.p.Name)
	}
	return c.insert(ctx, "pv_stations", `INSERT INTO pv_stations (name, kw, type, grid_connected, village_id, year, beneficiary_households, geom, source_id)
		SELECT $2, $3, '村级', true, p.village_id, $4, $5, ST_PointOnSurface(p.geom), $6 FROM projects p WHERE p.id = $1 RETURNING id`,
		c.p.ID, c.p.Name, kw, c.on.Year(), or(c.ab.Households, c.p.PoorHouseholds), c.source)
}

// layerWrite is one row of project_layer_writes.
type layerWrite struct {
	id             int64
	layer          string
	rowID          int64
	op             string
	oldRow         *string
	newHash        string
	currentHash    *string
	completedOnDay time.Time
}

// undoCompletion restores every row project p wrote into the layers to
// its pre-image (deleting the rows it inserted), newest first, or refuses
// when a later change touched one of them.
func (s *Store) undoCompletion(ctx context.Context, tx pgx.Tx, p planning.Project) (map[string]any, error) {
	rows, err := tx.Query(ctx, `SELECT id, layer, row_id, op, old_row, new_hash, completed_on FROM project_layer_writes
		WHERE project_id = $1 ORDER BY id DESC`, p.ID)
	if err != nil {
		return nil, err
	}
	ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (layerWrite, error) {
		var w layerWrite
		return w, r.Scan(&w.id, &w.layer, &w.rowID, &w.op, &w.oldRow, &w.newHash, &w.completedOnDay)
	})
	if err != nil {
		return nil, err
	}
	for i := range ws {
		w := &ws[i]
		if _, ok := completionLayers[w.layer]; !ok {
			return nil, fmt.Errorf("project_layer_writes %d: layer %q not allowed", w.id, w.layer)
		}
		err := tx.QueryRow(ctx, `SELECT md5(t::text) FROM `+pgx.Identifier{w.layer}.Sanitize()+` t WHERE t.id = $1 FOR UPDATE`, w.rowID).Scan(&w.currentHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		if w.currentHash == nil || *w.currentHash != w.newHash {
			what := "修改"
			if w.currentHash == nil {
				what = "删除"
			}
			return nil, planning.Errorf(planning.EConflict, "不能撤销项目“%s”的完工：它写入的%s第 %d 行在完工后已被%s，自动恢复会覆盖这次修改；请先核对该行",
				p.Name, completionLayers[w.layer], w.rowID, what)
		}
	}
	// Undone now, not at the completion date: the past keeps what was
	// recorded as built until the undo.
	if err := SetEffective(ctx, tx, time.Now().Format(time.RFC3339Nano)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.restoring', 'on', true)`); err != nil {
		return nil, err
	}
	for _, w := range ws {
		tbl := pgx.Identifier{w.layer}.Sanitize()
		if w.op == "insert" {
			_, err = tx.Exec(ctx, `DELETE FROM `+tbl+` WHERE id = $1`, w.rowID)
		} else {
			err = restoreRow(ctx, tx, w.layer, w.rowID, *w.oldRow)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.restoring', 'off', true)`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM project_layer_writes WHERE project_id = $1`, p.ID); err != nil {
		return nil, err
	}
	return map[string]any{"rows_restored": len(ws)}, nil
}

// restoreRow sets every column of row id of layer but id (and generated
// columns, which follow) to its value in old, the row's text form.
func restoreRow(ctx context.Context, tx pgx.Tx, layer string, id int64, old string) error {
	rows, err := tx.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
		AND NOT attisdropped AND attgenerated = '' AND attname <> 'id' ORDER BY attnum`, layer)
	if err != nil {
		return err
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	tbl := pgx.Identifier{layer}.Sanitize()
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = pgx.Identifier{col}.Sanitize()
	}
	list := strings.Join(quoted, ", ")
	_, err = tx.Exec(ctx, `UPDATE `+tbl+` SET (`+list+`) = (SELECT `+list+` FROM (SELECT ($2::text::`+tbl+`).*) o) WHERE id = $1`, id, old)
	return err
}

// SetAsBuilt implements planning.LibraryStore.
func (s *Store) SetAsBuilt(ctx context.Context, id int64, ab planning.AsBuilt) (planning.Project, error) {
	if err := ab.Validate(); err != nil {
		return planning.Project{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := lockProject(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.allow(ctx, access.AsBuilt, access.ProjectObject(p)); err != nil {
			return err
		}
		var before planning.AsBuilt
		var written bool
		if err := tx.QueryRow(ctx, `SELECT as_built, EXISTS (SELECT 1 FROM project_layer_writes WHERE project_id = $1)
			FROM projects WHERE id = $1`, id).Scan(&before, &written); err != nil {
			return err
		}
		if written {
			return planning.Errorf(planning.EConflict, "项目“%s”已写入图层（%s），不能再改竣工实际值；请先撤销完工（退回上一状态并填写理由）", p.Name, p.Status)
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET as_built = $2 WHERE id = $1`, id, ab); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "project.asbuilt", Kind: "project", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"before": before, "after": ab}})
	})
	if err != nil {
		return planning.Project{}, translate(err, "project as-built")
	}
	return s.Project(ctx, id)
}

//go:embed queries/realised.sql
var realisedSQL string

// Realised implements planning.LibraryStore.
func (s *Store) Realised(ctx context.Context) ([]planning.Realised, error) {
	rows, err := s.pool.Query(ctx, realisedSQL)
	if err != nil {
		return nil, translate(err, "realised")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planning.Realised])
	if out == nil {
		out = []planning.Realised{}
	}
	return out, translate(err, "realised")
}
