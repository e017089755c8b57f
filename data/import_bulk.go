package data

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

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
	// tileLog: the tile change log's insert trigger is off (migration 0027).
	tileLog bool
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
// entry each): 11 s of a million-road insert. With cells (a table whose
// change rows carry nothing but geometry, see tableDesc) it is switched
// off for this transaction (which blocks other writers of the
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
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s", id, pgx.Identifier{changesInsertTrigger(table)}.Sanitize())); err != nil {
			return nil, err
		}
	}
	// The tile change log's trigger would keep the rows in a transition
	// table too; without its record the load's version tells tile servers
	// to drop every tile of the layer, which a load this size touches
	// much of anyway (migration 0027). A layer added later may not log.
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2)`,
		table, tileChangesInsertTrigger(table)).Scan(&b.tileLog); err != nil {
		return nil, err
	}
	if b.tileLog {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s", id, pgx.Identifier{tileChangesInsertTrigger(table)}.Sanitize())); err != nil {
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
	id := pgx.Identifier{b.table}.Sanitize()
	if b.cells {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s", id, pgx.Identifier{changesInsertTrigger(b.table)}.Sanitize())); err != nil {
			return err
		}
	}
	if b.tileLog {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s", id, pgx.Identifier{tileChangesInsertTrigger(b.table)}.Sanitize())); err != nil {
			return err
		}
	}
	return nil
}
