package data

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/catalog"
)

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

// tableDesc is what an import needs to know of its target table: the
// schema, not the catalogue, is the source of its rules.
type tableDesc struct {
	Columns     []column
	Checks      []constraint
	ForeignKeys []constraint
	// cells: the table's insert trigger logs nothing but each row's
	// geometry, so that a large insert may log its changes per cell
	// instead (see cellBoxes).
	cells bool
}

func (t *tableDesc) column(name string) *column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// required are the columns a row must fill: NOT NULL without a default,
// in table order.
func (t *tableDesc) required() []string {
	var out []string
	for _, c := range t.Columns {
		if c.NotNull && c.Default == "" {
			out = append(out, c.Name)
		}
	}
	return out
}

// describe reads table's columns, constraints and change trigger. table
// comes from the catalogue (the allowlist); it is bound as a parameter all
// the same.
func (s *Store) describe(ctx context.Context, table string) (*tableDesc, error) {
	var t tableDesc
	rows, err := s.pool.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attname NOT IN ('id', 'created_at', 'updated_at', 'source_id')
		  -- Generated columns (the Web Mercator copies, migration 0028) are never written.
		  AND a.attgenerated = ''
		ORDER BY a.attnum`, table)
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	t.Columns, err = pgx.CollectRows(rows, pgx.RowToStructByPos[column])
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
			t.Checks = append(t.Checks, k)
		} else if k.RefTab != "" && k.Columns[0] != "source_id" {
			t.ForeignKeys = append(t.ForeignKeys, k)
		}
	}
	// record_changes(geometry column[, the row's village, feeder, works
	// and township]): see migration 0003.
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2 AND tgnargs = 1)`,
		table, changesInsertTrigger(table)).Scan(&t.cells)
	if err != nil {
		return nil, translate(err, "catalog "+table)
	}
	return &t, nil
}

// changesInsertTrigger names table's trigger that logs inserted rows as
// changes.
func changesInsertTrigger(table string) string { return table + "_changes_insert" }

// tileChangesInsertTrigger names table's trigger that logs where inserted
// rows change the tiles (migration 0027).
func tileChangesInsertTrigger(table string) string { return table + "_version_tiles_insert" }

// targetCols are the table columns the import writes, beside source_id:
// provided fields that are table columns, the geometry columns, resolved
// references.
func (im *importer) targetCols() []string {
	var out []string
	for _, c := range im.table.Columns {
		switch {
		case slices.Contains(im.cols, c.Name), slices.Contains(im.layer.Reference, c.Name), im.geomExpr(c.Name) != "":
			out = append(out, c.Name)
		}
	}
	return out
}

// geomExpr is the expression that fills geometry column col from the
// staged geometry, or "" if col is not one the layer's role fills.
func (im *importer) geomExpr(col string) string {
	l := im.layer
	point := `CASE WHEN GeometryType(s.geom) = 'POINT' THEN s.geom ELSE ST_PointOnSurface(s.geom) END`
	switch l.Role {
	case catalog.RoleLine, catalog.RoleAny, catalog.RoleOptional:
		if col == l.GeomCol {
			return "s.geom"
		}
	case catalog.RolePoint:
		if col == l.PointCol {
			return point
		}
	case catalog.RoleArea:
		if col == l.AreaCol {
			return "ST_Multi(s.geom)"
		}
	case catalog.RoleSeat:
		switch col {
		case l.PointCol:
			return point
		case l.AreaCol:
			return `CASE WHEN ST_Dimension(s.geom) = 2 THEN ST_Multi(s.geom) END`
		}
	}
	return ""
}

// keyset is one way a layer's rows are identified.
type keyset struct {
	cols  []string
	where string // which rows it applies to, besides non-null key columns, on the row aliased p
}

// keysets are the layer's keys in order (see catalog.Layer): its Key, and
// its AltKey for the rows that lack the Key (a 自然村 has no code: its
// 行政村 and name identify it).
func keysets(l *catalog.Layer) []keyset {
	out := []keyset{{cols: l.Key}}
	if len(l.AltKey) > 0 {
		var lacks []string
		for _, c := range l.Key {
			lacks = append(lacks, "p."+pgx.Identifier{c}.Sanitize()+" IS NULL")
		}
		out = append(out, keyset{cols: l.AltKey, where: "(" + strings.Join(lacks, " OR ") + ")"})
	}
	return out
}

// filter is the SQL condition, on the row aliased p, of the rows k
// identifies.
func (k keyset) filter() string {
	var parts []string
	for _, c := range k.cols {
		parts = append(parts, "p."+pgx.Identifier{c}.Sanitize()+" IS NOT NULL")
	}
	if k.where != "" {
		parts = append(parts, k.where)
	}
	return strings.Join(parts, " AND ")
}

// join is the condition that a stored row aliased t has the key of the
// row aliased p.
func (k keyset) join() string {
	var on []string
	for _, c := range k.cols {
		id := pgx.Identifier{c}.Sanitize()
		on = append(on, "t."+id+" = p."+id)
	}
	return strings.Join(on, " AND ")
}

// conflict is the ON CONFLICT target of k: its columns, and a predicate
// that infers a unique index on them whether it is partial (ext_id's,
// WHERE ext_id IS NOT NULL) or not.
func (k keyset) conflict() string {
	var notNull []string
	for _, c := range k.cols {
		notNull = append(notNull, pgx.Identifier{c}.Sanitize()+" IS NOT NULL")
	}
	return "(" + strings.Join(quoteAll(k.cols), ", ") + ") WHERE " + strings.Join(notNull, " AND ")
}

// show is the SQL text of a row's key, for the report: a feature id
// without its source, which is the file's (the report names it).
func (k keyset) show() string {
	var parts []string
	for _, c := range k.shown() {
		parts = append(parts, "p."+pgx.Identifier{c}.Sanitize()+"::text")
	}
	return "concat_ws(' / ', " + strings.Join(parts, ", ") + ")"
}

// field names k's columns in the report, as show shows them.
func (k keyset) field() string { return strings.Join(k.shown(), "+") }

func (k keyset) shown() []string {
	if k.sourced() {
		return []string{catalog.ExtID.Column}
	}
	return k.cols
}

// sourced reports whether k is a feature id within its source.
func (k keyset) sourced() bool { return slices.Equal(k.cols, catalog.ExtKey) }

// keyProvided reports whether the import fills every column of k.
func (im *importer) keyProvided(k keyset) bool {
	for _, c := range k.cols {
		if !slices.Contains(im.cols, c) && !slices.Contains(im.layer.Reference, c) {
			return false
		}
	}
	return true
}

func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = pgx.Identifier{c}.Sanitize()
	}
	return out
}
