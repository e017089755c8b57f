-- 0019_dimension_missing: each dimension's missing_weight, kept beside its
-- gap, so that tiles, the gap list and exports can show a gap that rests
-- mostly on missing data as 数据不足 (planning.UnknownShare) without
-- detoasting each village's whole score document (see 0008).
ALTER TABLE village_scores
    ADD COLUMN missing_road  double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_water double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_grid  double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_pv    double precision NOT NULL DEFAULT 0;

UPDATE village_scores s SET
    missing_road = coalesce(m.road, 0), missing_water = coalesce(m.water, 0),
    missing_grid = coalesce(m.grid, 0), missing_pv = coalesce(m.pv, 0)
FROM (SELECT v.run_id, v.village_id,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '通路') AS road,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '饮水') AS water,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '农网') AS grid,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '光伏') AS pv
      FROM village_scores v, jsonb_array_elements(v.score -> 'dimensions') d
      GROUP BY v.run_id, v.village_id) m
WHERE m.run_id = s.run_id AND m.village_id = s.village_id;

-- Views fix their column list when created: recreate run_scores with them.
DROP VIEW run_scores;
CREATE VIEW run_scores AS
SELECT rv.run_id, rv.scored_run_id, s.village_id, s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv,
       s.missing_weight, s.score, s.exit_fail, s.exit_no_data,
       s.missing_road, s.missing_water, s.missing_grid, s.missing_pv
FROM run_villages rv JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id;
