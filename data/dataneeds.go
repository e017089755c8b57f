package data

import (
	"context"

	"github.com/gapmap/gapmap/planning"
)

// dataNeedsSQL selects the 补充数据 rows of a run: every stored indicator
// whose status is no_data, and every failure whose project is sized from a
// village field that is unknown ($2/$3 pair indicators with fields; the
// field names are matched in a CASE, never spliced in). Villages are paged
// in township and village code order; indicators follow $4, the display
// order. $5 township (code or name), $6 village code, $7 dimension,
// $8 offset and $9 limit in villages (NULL: all). The counts come on every
// row, and on a lone row of NULLs when the page is empty.
const dataNeedsSQL = `WITH s AS (SELECT * FROM unnest($2::text[], $3::text[]) AS s(indicator, field)),
r AS (
	SELECT i.village_id, i.indicator, i.dimension, i.status, i.note, '' AS missing
	FROM run_indicators i WHERE i.run_id = $1 AND i.status = 'no_data'
	UNION ALL
	SELECT i.village_id, i.indicator, i.dimension, i.status, i.note, s.field
	FROM run_indicators i JOIN s ON s.indicator = i.indicator JOIN villages v ON v.id = i.village_id
	WHERE i.run_id = $1 AND i.status = 'fail'
	  AND CASE s.field WHEN 'households' THEN v.households IS NULL WHEN 'population' THEN v.population IS NULL ELSE false END),
m AS (
	SELECT r.*, v.code, v.name, v.township_code, t.name AS township_name, v.is_poor_village, v.poor_population
	FROM r JOIN villages v ON v.id = r.village_id JOIN townships t ON t.code = v.township_code
	WHERE ($5 = '' OR v.township_code = $5 OR t.name = $5) AND ($6 = '' OR v.code = $6) AND ($7 = '' OR r.dimension = $7)),
p AS (
	SELECT village_id, row_number() OVER (ORDER BY township_code, code, village_id) AS rk
	FROM (SELECT DISTINCT village_id, township_code, code FROM m) x)
SELECT c.villages, c.needs, q.code, q.name, q.township_code, q.township_name, q.is_poor_village, q.poor_population,
       q.indicator, q.dimension, q.status, q.note, q.missing
FROM (SELECT (SELECT count(*) FROM p)::int AS villages, (SELECT count(*) FROM m)::int AS needs) c
LEFT JOIN LATERAL (
	SELECT coalesce(m.code, '') AS code, m.name, m.township_code, m.township_name, m.is_poor_village, m.poor_population,
	       m.indicator, m.dimension, m.status, m.note, m.missing, p.rk, array_position($4::text[], m.indicator) AS pos
	FROM m JOIN p USING (village_id)
	WHERE p.rk > $8 AND ($9::bigint IS NULL OR p.rk <= $8 + $9)) q ON true
ORDER BY q.rk, q.pos, q.indicator, q.missing`

// DataNeedRows implements planning.DataNeedStore.
func (s *Store) DataNeedRows(ctx context.Context, f planning.DataNeedFilter, sizing []planning.SizingField) ([]planning.DataNeedRow, int, int, error) {
	inds, fields := make([]string, len(sizing)), make([]string, len(sizing))
	for i, sf := range sizing {
		inds[i], fields[i] = sf.Indicator, sf.Field
	}
	var limit any
	if f.Limit > 0 {
		limit = f.Limit
	}
	if _, err := s.Run(ctx, f.RunID); err != nil {
		return nil, 0, 0, err
	}
	rows, err := s.pool.Query(ctx, dataNeedsSQL, f.RunID, inds, fields, planning.IndicatorIDs,
		f.Township, f.Village, f.Dimension, f.Offset, limit)
	if err != nil {
		return nil, 0, 0, translate(err, "data needs")
	}
	var villages, needs int
	var out []planning.DataNeedRow
	for rows.Next() {
		var r planning.DataNeedRow
		var code, name, tcode, tname, ind, dim, status, note, missing *string
		var poor *bool
		v := &r.Village
		if err := rows.Scan(&villages, &needs, &code, &name, &tcode, &tname, &poor, &v.PoorPopulation,
			&ind, &dim, &status, &note, &missing); err != nil {
			rows.Close()
			return nil, 0, 0, translate(err, "data needs")
		}
		if ind == nil {
			continue
		}
		v.Code, v.Name, v.TownshipCode, v.TownshipName, v.IsPoor = *code, *name, *tcode, *tname, *poor
		r.Indicator, r.Dimension, r.Status, r.Note, r.MissingField = *ind, *dim, *status, *note, *missing
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, translate(err, "data needs")
	}
	return out, villages, needs, nil
}
