package data

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/planning"
)

// layer is one stored layer. The list below is the allowlist of table and
// column identifiers that may appear in generated SQL.
type layer struct {
	table    string
	geomCol  string
	geometry string // geometry type as declared
}

// layers are in the order a user reads them: boundaries, villages, then the
// four infrastructure families, then the project library.
var layers = []layer{
	{"counties", "outline", "MultiPolygon"},
	{"townships", "seat", "Point"},
	{"villages", "office", "Point"},
	{"roads", "geom", "LineString"},
	{"bridges", "geom", "Point"},
	{"bus_stops", "geom", "Point"},
	{"reservoirs", "geom", "Geometry"},
	{"water_works", "geom", "Point"},
	{"water_mains", "geom", "LineString"},
	{"substations", "geom", "Point"},
	{"power_lines", "geom", "LineString"},
	{"transformers", "geom", "Point"},
	{"pv_stations", "geom", "Point"},
	{"tourism_sites", "geom", "Point"},
	{"projects", "geom", "Geometry"},
}

// layersSQL counts every layer and its extent in one statement. Identifiers
// come from the allowlist above; the ordinal is a bound parameter.
var layersSQL = func() string {
	parts := make([]string, len(layers))
	for i, l := range layers {
		parts[i] = fmt.Sprintf(
			`SELECT $%d::int, count(*), ST_XMin(ST_Extent(%[2]s)), ST_YMin(ST_Extent(%[2]s)), ST_XMax(ST_Extent(%[2]s)), ST_YMax(ST_Extent(%[2]s)) FROM %[3]s`,
			i+1, pgx.Identifier{l.geomCol}.Sanitize(), pgx.Identifier{l.table}.Sanitize())
	}
	return strings.Join(parts, "\nUNION ALL\n")
}()

// Layers implements planning.Store.
func (s *Store) Layers(ctx context.Context) ([]planning.Layer, error) {
	args := make([]any, len(layers))
	for i := range layers {
		args[i] = i
	}
	rows, err := s.pool.Query(ctx, layersSQL, args...)
	if err != nil {
		return nil, translate(err, "layers")
	}
	out := make([]planning.Layer, len(layers))
	var i int
	var count int64
	var minX, minY, maxX, maxY *float64
	_, err = pgx.ForEachRow(rows, []any{&i, &count, &minX, &minY, &maxX, &maxY}, func() error {
		l := layers[i]
		out[i] = planning.Layer{Name: l.table, Title: tableTitles[l.table], Geometry: l.geometry, Count: count}
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
