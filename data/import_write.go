package data

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

// write inserts the good rows, upserting on the layer's keys in upsert
// mode, and counts what it did.
func (im *importer) write(ctx context.Context, tx pgx.Tx, mode planning.ImportMode) error {
	src := im.sourceID
	cols := im.targetCols()
	ids := make([]string, len(cols))
	for i, c := range cols {
		ids[i] = pgx.Identifier{c}.Sanitize()
	}
	excluded := im.badRows()
	table := pgx.Identifier{im.layer.Table}.Sanitize()
	// An upsert's updates need the unique indexes and log old geometry
	// per row; a large insert is a bulk load.
	var bulk *bulkLoad
	if mode != planning.ImportUpsert && im.rep.Valid > bulkThreshold {
		var err error
		if bulk, err = beginBulk(ctx, tx, im.layer.Table, im.rep.Valid, im.table.cells); err != nil {
			return err
		}
	}
	if err := im.writeSource(ctx, tx); err != nil {
		return err
	}
	insert := fmt.Sprintf("INSERT INTO %s (%s, source_id) SELECT %s, $2 FROM import_rows p WHERE NOT (p.row_no = ANY ($1))",
		table, strings.Join(ids, ", "), "p."+strings.Join(ids, ", p."))
	var covered []string
	for _, k := range keysets(im.layer) {
		if !im.keyProvided(k) {
			continue
		}
		q := insert + " AND " + k.filter()
		for _, c := range covered {
			q += " AND NOT (" + c + ")"
		}
		covered = append(covered, k.filter())
		if mode == planning.ImportUpsert {
			// A row whose every written column equals the stored one is
			// left as it is: no update, no change logged, nothing to
			// re-score. Those are the rows of the key the statement
			// neither inserted nor updated.
			var set []string
			for _, id := range ids {
				set = append(set, id+" = EXCLUDED."+id)
			}
			rows := "SELECT count(*) FROM import_rows p WHERE NOT (p.row_no = ANY ($1)) AND " + k.filter()
			for _, c := range covered[:len(covered)-1] {
				rows += " AND NOT (" + c + ")"
			}
			q = strings.Replace(q, "INSERT INTO "+table+" ", "INSERT INTO "+table+" AS t ", 1)
			q = fmt.Sprintf(`WITH w AS (%s ON CONFLICT %s DO UPDATE SET %s, source_id = EXCLUDED.source_id WHERE %s RETURNING (xmax = 0) AS fresh)
				SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh), (%s) FROM w`,
				q, k.conflict(), strings.Join(set, ", "), im.differs("t", "EXCLUDED"), rows)
			var ins, upd, all int64
			if err := tx.QueryRow(ctx, q, excluded, src).Scan(&ins, &upd, &all); err != nil {
				return err
			}
			im.rep.Inserted += ins
			im.rep.Updated += upd
			im.rep.Unchanged += all - ins - upd
			continue
		}
		tag, err := tx.Exec(ctx, q, excluded, src)
		if err != nil {
			return err
		}
		im.rep.Inserted += tag.RowsAffected()
	}
	rest := insert
	for _, c := range covered {
		rest += " AND NOT coalesce(" + c + ", false)"
	}
	tag, err := tx.Exec(ctx, rest, excluded, src)
	if err != nil {
		return err
	}
	im.rep.Inserted += tag.RowsAffected()
	if bulk == nil {
		return nil
	}
	if err := bulk.end(ctx, tx); err != nil {
		return err
	}
	if bulk.cells {
		return logCellsOf(ctx, tx, im.layer.Table, src)
	}
	return nil
}
