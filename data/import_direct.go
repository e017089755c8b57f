package data

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/ingest"
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
// to find) and the layer's only key, ext_id within its source (or ext_id
// alone, for a layer without source_key), has a unique index that refuses
// what the key check would report.
func (im *importer) directable() bool {
	if len(im.layer.Reference) > 0 || im.conv.SRID() != SRID {
		return false
	}
	switch im.layer.Role {
	case catalog.RoleLine, catalog.RoleAny, catalog.RolePoint:
	default:
		return false
	}
	for _, k := range keysets(im.layer) {
		if !slices.Equal(k.cols, catalog.ExtKey) && !slices.Equal(k.cols, []string{catalog.ExtID.Column}) {
			return false
		}
	}
	for _, c := range im.cols {
		if im.table.column(c) == nil {
			return false
		}
	}
	return true
}

// directLoad is the state of one direct load.
type directLoad struct {
	im       *importer
	cols     []string       // target columns in COPY order, then source_id
	geomAt   int            // index of the geometry column in cols
	at       []int          // per column, its index in the converted values (importer.cols)
	source   any            // the provenance row's id
	defaults map[string]any // NOT NULL columns with a default: the value for a record that lacks one
	cells    cellBoxes
}

// tryDirect attempts the direct load. It returns true when the file is
// in the table, false when the import must go through staging (the
// savepoint is rolled back), and an error only for failures that are not
// about the file's content.
func (im *importer) tryDirect(ctx context.Context, tx pgx.Tx, src ingest.Source) (bool, error) {
	d := &directLoad{im: im, source: im.sourceID, cells: cellBoxes{}, defaults: map[string]any{}}
	d.cols = im.targetCols()
	d.geomAt = slices.IndexFunc(d.cols, func(c string) bool { return im.geomExpr(c) != "" })
	for _, name := range d.cols {
		c := im.table.column(name)
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
		d.at = append(d.at, slices.Index(im.cols, c))
	}
	d.cols = append(d.cols, "source_id")

	sp, err := tx.Begin(ctx) // a savepoint
	if err != nil {
		return false, err
	}
	start := time.Now()
	var bulk *bulkLoad
	n, err := im.copy(ctx, sp, src, copyPlan{
		table: im.layer.Table, cols: d.cols, build: d.rows, abandon: errAbandon, hold: bulkThreshold + 1,
		ready: func(held int, more bool) error {
			if more {
				// More than bulkThreshold rows. How many is known only
				// at the end; a feature takes a few hundred bytes in any
				// format, so size/1 KiB errs low, towards keeping indexes.
				var err error
				if bulk, err = beginBulk(ctx, sp, im.layer.Table, max(int64(held), im.size/1024), im.table.cells); err != nil {
					return err
				}
			}
			return im.writeSource(ctx, sp)
		},
	})
	im.rep.Phases["direct"] = time.Since(start).Seconds()
	if err == nil && bulk != nil {
		start = time.Now()
		err = bulk.end(ctx, sp)
		if err == nil && bulk.cells {
			err = d.cells.log(ctx, sp, im.layer.Table)
		}
		im.rep.Phases["index"] = time.Since(start).Seconds()
	}
	if err == nil {
		// Where the rows lie: any finding sends the file through staging,
		// which names the rows.
		var found []suspicion
		if found, err = im.spatial(ctx, sp, im.writtenSpatialRows()); err == nil && len(found) > 0 {
			err = errSpatial
		}
	}
	if err == nil {
		im.rep.Valid, im.rep.Inserted = im.rep.Read, n
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
	im.log.Info("import: direct load gave way to the staging table", "layer", im.layer.Table, "reason", err)
	return false, nil
}

// errSpatial gives a direct load up for a spatial finding.
var errSpatial = errors.New("spatial finding")

// errAbandon stops a direct load at a record with an error.
var errAbandon = errors.New("direct load abandoned")

// rows is the direct load's ingest.Build. It refuses (false) what only
// the staging path can write: a polygon where the layer keeps a point.
func (d *directLoad) rows(r ingest.Record) ([][]any, bool) {
	out := make([][]any, 0, len(r.Parts))
	for i, g := range r.Parts {
		if _, point := g.(orb.Point); d.im.layer.Role == catalog.RolePoint && !point {
			return nil, false
		}
		geom, ok := d.im.conv.EWKB(r, i)
		if !ok {
			return nil, false
		}
		row := make([]any, len(d.cols))
		for j, c := range d.cols[:len(d.cols)-1] {
			if j == d.geomAt {
				row[j] = geom
				continue
			}
			v := r.Value(d.at[j], i)
			if v == nil {
				v = d.defaults[c]
			}
			row[j] = v
		}
		row[len(row)-1] = d.source
		if g != nil {
			d.cells.add(g.Bound())
		}
		out = append(out, row)
	}
	return out, true
}
