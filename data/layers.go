package data

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
)

// storeLayers is the catalogue a Store serves, with the statements
// composed from it once. Its layers are the allowlist of the table and
// column identifiers that may appear in generated SQL.
type storeLayers struct {
	*catalog.Catalog
	countSQL string // see newStoreLayers
	// tileStmts maps the key of a list of tile layers (see tileKey) to the
	// statement that renders them. Requests name a set and their zoom
	// keeps the set's layers in range, so the keys are few.
	tileStmts sync.Map
}

// newStoreLayers prepares c for a Store. countSQL counts every layer and
// its extent in one statement; the ordinal is a bound parameter.
func newStoreLayers(c *catalog.Catalog) *storeLayers {
	ls := c.Layers()
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf(
			`SELECT $%d::int, count(*), ST_XMin(ST_Extent(%[2]s)), ST_YMin(ST_Extent(%[2]s)), ST_XMax(ST_Extent(%[2]s)), ST_YMax(ST_Extent(%[2]s)) FROM %[3]s`,
			i+1, pgx.Identifier{l.GeomCol}.Sanitize(), pgx.Identifier{l.Table}.Sanitize())
	}
	return &storeLayers{Catalog: c, countSQL: strings.Join(parts, "\nUNION ALL\n")}
}

// WithCatalog returns a Store on s's connection pools that serves the
// layers of c instead of s's (tests add a layer this way, each its own
// Store, without touching the built-in catalogue). Closing either closes
// both.
func (s *Store) WithCatalog(c *catalog.Catalog) *Store {
	out := *s
	out.layers = newStoreLayers(c)
	return &out
}

// Layers implements planning.Store.
func (s *Store) Layers(ctx context.Context) ([]planning.Layer, error) {
	layers := s.layers.Layers()
	args := make([]any, len(layers))
	for i := range layers {
		args[i] = i
	}
	rows, err := s.pool.Query(ctx, s.layers.countSQL, args...)
	if err != nil {
		return nil, translate(err, "layers")
	}
	out := make([]planning.Layer, len(layers))
	var i int
	var count int64
	var minX, minY, maxX, maxY *float64
	_, err = pgx.ForEachRow(rows, []any{&i, &count, &minX, &minY, &maxX, &maxY}, func() error {
		l := layers[i]
		out[i] = planning.Layer{Name: l.Table, Title: l.Title, Geometry: l.Geometry, Count: count}
		if minX != nil {
			out[i].Extent = &orb.Bound{Min: orb.Point{*minX, *minY}, Max: orb.Point{*maxX, *maxY}}
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "layers")
	}
	return out, nil
}
