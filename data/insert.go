package data

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/gapmap/gapmap/data/catalog"
)

// copyRows streams n rows into table with COPY; row(i) returns the values
// of row i in the order of cols. An orb.Geometry value is sent as EWKB in
// EPSG:4490, which PostGIS's binary input takes as is. Table and column
// names are compile-time constants of this package; the table must be a
// layer of the catalogue.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	if catalog.Default().Layer(table) == nil {
		panic("copyRows: table not in allowlist: " + table)
	}
	if n == 0 {
		return nil
	}
	src := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		vals := row(i)
		for k, v := range vals {
			if g, ok := v.(orb.Geometry); ok {
				b, err := ewkb.Marshal(g, SRID)
				if err != nil {
					return nil, fmt.Errorf("%s row %d column %s: %w", table, i+1, cols[k], err)
				}
				vals[k] = b
			}
		}
		return vals, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
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
