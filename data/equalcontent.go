package data

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/catalog"
)

// equalContentBudget stands for "no budget": more features than any tile
// holds, and small enough that the tile statement's LIMIT budget + 1 stays
// an int4.
const equalContentBudget = 1 << 30

// EqualContent returns a Store on s's pools whose tiles hold what a
// generic table tile server (pg_tileserv) sends for each tile layer's own
// table: every row whose geometry column meets the tile grown by the
// 64-pixel buffer, with every column that is not a geometry as an
// attribute (read from the table itself, as pg_tileserv does), the integer
// id as feature id, and no feature budget, zoom-dependent filter,
// simplification or low-zoom table. `bench-tiles --equal-content` renders
// with it so that its ratios against such a server compare equal content.
// Only the catalogue entries differ: the tiles come from the same tile
// statement (tileSQL) as served ones, so every speed-up of it shows here.
func (s *Store) EqualContent(ctx context.Context) (*Store, error) {
	var entries []catalog.Layer
	for _, l := range s.layers.Layers() {
		e := *l
		if l.Tile != nil {
			attrs, err := s.tableAttrs(ctx, l.Table)
			if err != nil {
				return nil, err
			}
			t := *l.Tile
			// Geom and Filter are left to catalog.New: the layer's own
			// geometry column, through its Web Mercator copy.
			t.SQL = catalog.TileSQL{
				From:   pgx.Identifier{l.Table}.Sanitize() + " g",
				Attrs:  attrs,
				Order:  "g.id",
				Budget: equalContentBudget,
			}
			e.Tile = &t
		}
		entries = append(entries, e)
	}
	c, err := catalog.New(entries...)
	if err != nil {
		return nil, fmt.Errorf("equal-content catalogue: %w", err)
	}
	return s.WithCatalog(c), nil
}

// tableAttrs returns the attribute list of table's equal-content tiles:
// g.id first (the feature id), then every column whose type is not
// geometry or geography, id included, in column order, quoted. The table is one of the
// catalogue's (an identifier of the allowlist) and is passed as a bound
// parameter; the column names come from the database's own catalogue.
func (s *Store) tableAttrs(ctx context.Context, table string) (string, error) {
	rows, err := s.tilePool.Query(ctx, `SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		AND t.typname NOT IN ('geometry', 'geography') ORDER BY a.attnum`, table)
	if err != nil {
		return "", translate(err, "equal-content columns")
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", translate(err, "equal-content columns")
	}
	attrs := []string{"g.id"}
	hasID := false
	for _, c := range cols {
		// pg_tileserv selects the id column again among the properties,
		// and ST_AsMVT then writes it as an attribute as well as the
		// feature id: so does this list.
		hasID = hasID || c == "id"
		attrs = append(attrs, pgx.Identifier{"g", c}.Sanitize())
	}
	if !hasID {
		return "", fmt.Errorf("equal-content tiles of %s: the table has no id column for the feature id", table)
	}
	return strings.Join(attrs, ", "), nil
}
