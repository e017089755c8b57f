package data

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// field is one column value of a row to insert. An orb.Geometry value is
// sent as WKB and stored in EPSG:4490.
type field struct {
	col string
	val any
}

// insertable lists the tables rows may be inserted into: the identifier
// allowlist for queueInsert.
var insertable = func() map[string]bool {
	m := map[string]bool{"sources": true}
	for _, l := range layers {
		m[l.table] = true
	}
	return m
}()

// queueInsert queues an INSERT of one row into table on b and returns the
// queued query, whose QueryRow callback receives the new id. Table and
// column names are compile-time constants of this package; values are bound.
func queueInsert(b *pgx.Batch, table string, row ...field) *pgx.QueuedQuery {
	if !insertable[table] {
		panic("queueInsert: table not in allowlist: " + table)
	}
	cols := make([]string, len(row))
	params := make([]string, len(row))
	args := make([]any, len(row))
	for i, f := range row {
		cols[i] = pgx.Identifier{f.col}.Sanitize()
		if g, ok := f.val.(orb.Geometry); ok {
			params[i] = fmt.Sprintf("ST_GeomFromWKB($%d, %d)", i+1, SRID)
			args[i] = wkb.MustMarshal(g)
			continue
		}
		params[i] = fmt.Sprintf("$%d", i+1)
		args[i] = f.val
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id",
		pgx.Identifier{table}.Sanitize(), strings.Join(cols, ", "), strings.Join(params, ", "))
	return b.Queue(sql, args...)
}

// nullIfZero maps the zero value to SQL NULL, for optional columns whose
// source uses 0 or "" for "unknown".
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}
