package data

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
)

// viaStaging imports src through the staging table: load, check, write
// (see the top of import.go). It returns errRollback when reject mode
// finds errors.
func (im *importer) viaStaging(ctx context.Context, tx pgx.Tx, src ingest.Source, mode planning.ImportMode) error {
	if err := im.createStage(ctx, tx); err != nil {
		return err
	}
	phase := time.Now()
	lap := func(name string) {
		im.rep.Phases[name] = time.Since(phase).Seconds()
		phase = time.Now()
	}
	if err := im.load(ctx, tx, src); err != nil {
		return err
	}
	lap("read")
	if err := im.check(ctx, tx); err != nil {
		return err
	}
	lap("check")
	if im.rep.Errors > 0 && mode == planning.ImportReject || im.suspectErr {
		return errRollback
	}
	if err := im.write(ctx, tx, mode); err != nil {
		return err
	}
	lap("write")
	return nil
}

// stageType is the staging column type of a field: wide types, so that a
// value out of the target's range reaches the CHECK evaluation as a row
// problem rather than failing COPY.
func stageType(f *catalog.Field) string {
	switch f.Kind {
	case catalog.Int:
		return "bigint"
	case catalog.Float:
		return "double precision"
	case catalog.Bool:
		return "boolean"
	case catalog.Date:
		return "date"
	case catalog.TextList:
		return "text[]"
	}
	return "text"
}

// createStage creates the staging table: the row number, part and
// feature id, the geometry, the fields the import fills and the
// references it resolves.
func (im *importer) createStage(ctx context.Context, tx pgx.Tx) error {
	defs := []string{"row_no integer NOT NULL", "part integer NOT NULL", "fid text", "geom geometry"}
	for _, c := range im.cols {
		defs = append(defs, pgx.Identifier{c}.Sanitize()+" "+stageType(im.layer.Field(c)))
	}
	for _, ref := range im.layer.Reference {
		defs = append(defs, pgx.Identifier{ref}.Sanitize()+" bigint")
	}
	_, err := tx.Exec(ctx, "CREATE TEMP TABLE import_stage ("+strings.Join(defs, ", ")+") ON COMMIT DROP")
	return err
}

// load streams src into the staging table.
func (im *importer) load(ctx context.Context, tx pgx.Tx, src ingest.Source) error {
	plan := copyPlan{table: "import_stage", cols: append([]string{"row_no", "part", "fid", "geom"}, im.cols...), build: im.stagedRows}
	if _, err := im.copy(ctx, tx, src, plan); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "ANALYZE import_stage")
	return err
}

// stagedRows is the staging table's ingest.Build: a row per part.
func (im *importer) stagedRows(r ingest.Record) ([][]any, bool) {
	out := make([][]any, 0, len(r.Parts))
	for i := range r.Parts {
		geom, ok := im.conv.EWKB(r, i)
		if !ok {
			return nil, false
		}
		row := make([]any, 0, 4+len(r.Values))
		row = append(row, r.Row, i+1, nullIfZero(r.ID), geom)
		for j := range r.Values {
			row = append(row, r.Value(j, i))
		}
		out = append(out, row)
	}
	return out, true
}

// project materialises the rows as the table would receive them, in a
// second temporary table: every table column, with defaults where the
// file is silent, so that the table's own constraints can be evaluated on
// it and the final INSERT reads it as is.
func (im *importer) project(ctx context.Context, tx pgx.Tx) error {
	list := []string{"s.row_no", "s.part", "s.fid"}
	for _, c := range im.table.Columns {
		id := pgx.Identifier{c.Name}.Sanitize()
		var expr string
		switch {
		case im.geomExpr(c.Name) != "":
			expr = im.geomExpr(c.Name)
		case slices.Contains(im.cols, c.Name) && c.NotNull && c.Default != "":
			expr = fmt.Sprintf("coalesce(s.%s, %s)", id, c.Default)
		case slices.Contains(im.cols, c.Name), slices.Contains(im.layer.Reference, c.Name):
			expr = "s." + id
		case c.Default != "":
			expr = c.Default
		default:
			expr = "NULL::" + c.Type
		}
		list = append(list, expr+" AS "+id)
	}
	// Expressions are catalog defaults and fixed role expressions;
	// identifiers are sanitised catalog names.
	_, err := tx.Exec(ctx, "CREATE TEMP TABLE import_rows ON COMMIT DROP AS SELECT "+strings.Join(list, ", ")+" FROM import_stage s")
	return err
}
