package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/planning"
)

// Most files are clean, and for a clean file the staging table, the
// set-based checks and the second copy into the layer are pure cost: at a
// million roads they took three quarters of the import. So an import
// first tries a direct load: COPY straight into the layer's table inside
// a savepoint, each record converted and checked in Go exactly as for
// staging, the table's own constraints and unique indexes checking the
// rest as the rows arrive. The first problem of any kind (a record Go
// rejects, a row or key the database refuses) rolls back to the
// savepoint, and the import starts again through the staging table, which
// finds and reports every problem with its row. A clean file is written
// once; a file with problems is read twice.

// directable reports whether a direct load writes exactly what the
// staging path would: nothing needs SQL before the insert (a projected
// CRS to transform, a reference to resolve, a polygon's point on surface
// to find) and the layer's only key, ext_id, has a unique index that
// refuses what the key check would report.
func (st *staging) directable() bool {
	if len(st.spec.Reference) > 0 || st.stageSRID() != SRID {
		return false
	}
	switch st.spec.Role {
	case roleLine, roleAny, rolePoint:
	default:
		return false
	}
	for _, k := range st.keysets() {
		if !slices.Equal(k.cols, []string{"ext_id"}) {
			return false
		}
	}
	for _, c := range st.cols {
		if st.cat.column(c) == nil {
			return false
		}
	}
	return true
}

// directLoad is the state of one direct load.
type directLoad struct {
	st       *staging
	cols     []string       // target columns in COPY order, then source_id
	geomAt   int            // index of the geometry column in cols
	at       []int          // per column, its index in the converted values (staging.cols)
	defaults map[string]any // NOT NULL columns with a default: the value for a record that lacks one
	cells    cellBoxes
}

// tryDirect attempts the direct load. It returns true when the file is
// in the table, false when the import must go through staging (the
// savepoint is rolled back), and an error only for failures that are not
// about the file's content.
func (st *staging) tryDirect(ctx context.Context, tx pgx.Tx, src importSource) (bool, error) {
	d := &directLoad{st: st, cells: cellBoxes{}, defaults: map[string]any{}}
	d.cols = st.targetCols()
	d.geomAt = slices.IndexFunc(d.cols, func(c string) bool { return st.geomExpr(c) != "" })
	for _, name := range d.cols {
		c := st.cat.column(name)
		if !c.NotNull || c.Default == "" || d.geomAt >= 0 && name == d.cols[d.geomAt] {
			continue
		}
		// The default is the table's own expression, read from the
		// catalog, as project uses it.
		var v any
		if err := tx.QueryRow(ctx, "SELECT "+c.Default).Scan(&v); err != nil {
			return false, err
		}
		d.defaults[name] = v
	}
	for _, c := range d.cols {
		d.at = append(d.at, slices.Index(st.cols, c))
	}
	d.cols = append(d.cols, "source_id")

	sp, err := tx.Begin(ctx) // a savepoint
	if err != nil {
		return false, err
	}
	start := time.Now()
	var bulk *bulkLoad
	n, err := st.copy(ctx, sp, src, copyPlan{
		table: st.spec.Table, cols: d.cols, build: d.rows, stopOnError: true, hold: bulkThreshold + 1,
		ready: func(held int, more bool) error {
			if more {
				// More than bulkThreshold rows. How many is known only
				// at the end; a feature takes a few hundred bytes in any
				// format, so size/1 KiB errs low, towards keeping indexes.
				var err error
				if bulk, err = beginBulk(ctx, sp, st.spec.Table, max(int64(held), st.size/1024), cellLayers[st.spec.Table]); err != nil {
					return err
				}
			}
			return st.source.write(ctx, sp)
		},
	})
	st.rep.Phases["direct"] = time.Since(start).Seconds()
	if err == nil && bulk != nil {
		start = time.Now()
		err = bulk.end(ctx, sp)
		if err == nil && bulk.cells {
			err = d.cells.log(ctx, sp, st.spec.Table)
		}
		st.rep.Phases["index"] = time.Since(start).Seconds()
	}
	if err == nil {
		st.rep.Valid, st.rep.Inserted = st.rep.Read, n
		return true, sp.Commit(ctx)
	}
	// A file that breaks off, or a cancelled import, would fail the same
	// way through staging: the import ends here.
	var pe *planning.Error
	if ctx.Err() != nil || errors.As(err, &pe) {
		return false, err
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return false, err
	}
	st.log.Info("import: direct load gave way to the staging table", "layer", st.spec.Table, "reason", err)
	return false, nil
}

// rows is the direct load's rowBuilder. It refuses (false) what only the
// staging path can write: a polygon where the layer keeps a point.
func (d *directLoad) rows(row int, rec feature.Record) ([][]any, bool) {
	st := d.st
	vals, parts, ok := st.convert(row, rec)
	if !ok {
		return nil, false
	}
	out := make([][]any, 0, len(parts))
	for i, g := range parts {
		if _, point := g.(orb.Point); st.spec.Role == rolePoint && !point {
			return nil, false
		}
		geomVal, err := st.ewkb(g)
		if err != nil {
			return nil, false
		}
		r := make([]any, len(d.cols))
		for j, c := range d.cols[:len(d.cols)-1] {
			if j == d.geomAt {
				r[j] = geomVal
				continue
			}
			v := partValue(c, vals[d.at[j]], i, len(parts))
			if v == nil {
				v = d.defaults[c]
			}
			r[j] = v
		}
		r[len(r)-1] = st.source.id
		if g != nil {
			d.cells.add(g.Bound())
		}
		out = append(out, r)
	}
	return out, true
}

// cellLayers are the layers whose change rows carry nothing but geometry,
// so that a large insert can record its changes per cell (see cellBoxes).
var cellLayers = map[string]bool{"roads": true, "bus_stops": true, "tourism_sites": true}

// cellSize is the side in degrees of the cells a large insert records
// its changes in.
const cellSize = 0.05

// cellBoxes is the bounding box of the rows a large insert wrote, per
// cell of the grid their lower-left corners fall in. Re-scoring and the
// road graph reach villages and roads by distance from a change's
// geometry; every row lies inside its cell's box, so the distance to the
// box is never more than to the row, and the villages found stale are a
// superset of those per-row changes would give: a few thousand boxes
// stand in for a million rows, their geometry and its GiST entries.
type cellBoxes map[[2]int32]*orb.Bound

func (c cellBoxes) add(b orb.Bound) {
	k := [2]int32{int32(math.Floor(b.Min[0] / cellSize)), int32(math.Floor(b.Min[1] / cellSize))}
	if box := c[k]; box != nil {
		box.Min = orb.Point{min(box.Min[0], b.Min[0]), min(box.Min[1], b.Min[1])}
		box.Max = orb.Point{max(box.Max[0], b.Max[0]), max(box.Max[1], b.Max[1])}
		return
	}
	c[k] = &b
}

// log records the boxes as the changes of an insert into layer.
func (c cellBoxes) log(ctx context.Context, tx pgx.Tx, layer string) error {
	var x0, y0, x1, y1 []float64
	for _, b := range c {
		x0, y0, x1, y1 = append(x0, b.Min[0]), append(y0, b.Min[1]), append(x1, b.Max[0]), append(y1, b.Max[1])
	}
	_, err := tx.Exec(ctx, `INSERT INTO layer_changes (layer, row_id, geom)
		SELECT $1, 0, ST_SetSRID(ST_MakeBox2D(ST_Point(x0, y0), ST_Point(x1, y1))::geometry, 4490)
		FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[]) AS b (x0, y0, x1, y1)`, layer, x0, y0, x1, y1)
	return err
}

// logCellsOf records, per cell, the box of the rows source wrote into
// table: the staging path's counterpart of cellBoxes, whose rows are
// final only in SQL.
func logCellsOf(ctx context.Context, tx pgx.Tx, table string, source int64) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO layer_changes (layer, row_id, geom)
		SELECT $1, 0, ST_SetSRID(ST_Extent(geom)::geometry, 4490) FROM %s WHERE source_id = $2
		GROUP BY floor(ST_XMin(geom) / $3), floor(ST_YMin(geom) / $3)`, pgx.Identifier{table}.Sanitize()), table, source, cellSize)
	return err
}

// bulkLoad is a table prepared for a large insert.
type bulkLoad struct {
	table string
	// cells: the per-row change trigger is off, and the caller records
	// the insert's changes per cell instead.
	cells bool
	// restore re-creates the indexes and foreign keys dropped for the
	// load, from their definitions in the catalog.
	restore []string
}

// bulkThreshold is the number of rows above which an insert is a bulk
// load.
const bulkThreshold = 5000

// beginBulk prepares table for inserting about rows rows (a floor).
//
// Per-row change logging keeps every inserted row twice more (the
// statement trigger's transition table, then layer_changes with a GiST
// entry each): 11 s of a million-road insert. For the cellLayers it is
// switched off for this transaction (which blocks other writers of the
// table, not its readers, until commit) and the caller logs cells.
//
// When the table holds fewer rows than the load brings, its secondary
// indexes and foreign keys are dropped and rebuilt after the load: a
// sorted GiST build and one anti-join are several times faster than a
// million index insertions and foreign-key checks. Dropping them locks the
// table against readers too until commit, so this is kept to loads that at
// least double the table, as a layer's first import is.
func beginBulk(ctx context.Context, tx pgx.Tx, table string, rows int64, cells bool) (*bulkLoad, error) {
	b := &bulkLoad{table: table, cells: cells}
	id := pgx.Identifier{table}.Sanitize()
	if cells {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s", id, pgx.Identifier{table + "_changes_insert"}.Sanitize())); err != nil {
			return nil, err
		}
	}
	var existing int64
	if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM (SELECT FROM %s LIMIT $1) x", id), rows).Scan(&existing); err != nil {
		return nil, err
	}
	if existing >= rows {
		return b, nil
	}
	// Foreign keys, and indexes other than those behind the primary key
	// and UNIQUE constraints (rebuilding the primary key, and the foreign
	// keys that point at it, costs what it saves).
	q, err := tx.Query(ctx, `
		SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		UNION ALL
		SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
		       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, table)
	if err != nil {
		return nil, err
	}
	type change struct{ Drop, Restore string }
	changes, err := pgx.CollectRows(q, pgx.RowToStructByPos[change])
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if _, err := tx.Exec(ctx, c.Drop); err != nil {
			return nil, err
		}
		b.restore = append(b.restore, c.Restore)
	}
	return b, nil
}

// end rebuilds what beginBulk dropped and switches change logging back
// on. A rebuilt unique index or foreign key that the new rows break fails
// here, which the direct load treats like any refused row.
func (b *bulkLoad) end(ctx context.Context, tx pgx.Tx) error {
	for _, sql := range b.restore {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return err
		}
	}
	if b.cells {
		_, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s", pgx.Identifier{b.table}.Sanitize(), pgx.Identifier{b.table + "_changes_insert"}.Sanitize()))
		return err
	}
	return nil
}
