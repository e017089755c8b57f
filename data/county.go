package data

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// CountySetup returns the county being set up (migration 0016's
// county_setup row): its code, name and outline, nil while it has none
// (a county from `county init` is 未定位 until its outline is imported).
// code is "" when no county has been set up: a database with the demo
// alone, or with counties imported by hand.
func (s *Store) CountySetup(ctx context.Context) (code, name string, outline orb.MultiPolygon, err error) {
	var g wkbGeom
	err = s.pool.QueryRow(ctx, `SELECT c.code, c.name, ST_AsBinary(c.outline)
		FROM county_setup cs JOIN counties c ON c.code = cs.county_code`).Scan(&code, &name, &g)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil, nil
	}
	if err != nil {
		return "", "", nil, translate(err, "county setup")
	}
	switch o := g.g.(type) {
	case orb.MultiPolygon:
		outline = o
	case orb.Polygon:
		outline = orb.MultiPolygon{o}
	}
	return code, name, outline, nil
}
