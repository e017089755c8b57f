-- 0019_dimension_missing: each dimension's missing_weight, kept beside its
-- gap, and unknown_gaps, the gaps shown as 数据不足 (the dimensions in
-- display order, then 综合), so that tiles, the gap list and exports show
-- them without detoasting each village's whole score document (see 0008).
-- A run stores the list as planning.VillageScore.UnknownGaps computes it;
-- the backfill below applies the same rule to the stored documents: no gap,
-- or no veto and either half or more of its weights without data or an
-- undecided veto (veto_unknown); the composite also when any dimension's
-- veto is undecided.
ALTER TABLE village_scores
    ADD COLUMN missing_road  double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_water double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_grid  double precision NOT NULL DEFAULT 0,
    ADD COLUMN missing_pv    double precision NOT NULL DEFAULT 0,
    ADD COLUMN unknown_gaps  text[] NOT NULL DEFAULT '{}';

UPDATE village_scores s SET
    missing_road = coalesce(m.road, 0), missing_water = coalesce(m.water, 0),
    missing_grid = coalesce(m.grid, 0), missing_pv = coalesce(m.pv, 0),
    unknown_gaps = m.unknown || CASE WHEN s.composite IS NULL OR s.missing_weight >= 0.5 OR m.veto_unknown
                                     THEN ARRAY['综合'] ELSE '{}' END
FROM (SELECT v.run_id, v.village_id,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '通路') AS road,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '饮水') AS water,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '农网') AS grid,
             max((d ->> 'missing_weight')::double precision) FILTER (WHERE d ->> 'dimension' = '光伏') AS pv,
             coalesce(array_agg(o.dim ORDER BY o.n) FILTER (WHERE d ->> 'gap' IS NULL
                 OR (NOT coalesce((d ->> 'veto')::boolean, false) AND ((d ->> 'missing_weight')::double precision >= 0.5
                                                                      OR coalesce((d ->> 'veto_unknown')::boolean, false)))), '{}') AS unknown,
             coalesce(bool_or(NOT coalesce((d ->> 'veto')::boolean, false) AND coalesce((d ->> 'veto_unknown')::boolean, false)), false) AS veto_unknown
      FROM village_scores v
      CROSS JOIN LATERAL jsonb_array_elements(v.score -> 'dimensions') d
      JOIN unnest(ARRAY['通路', '饮水', '农网', '光伏']) WITH ORDINALITY AS o(dim, n) ON o.dim = d ->> 'dimension'
      GROUP BY v.run_id, v.village_id) m
WHERE m.run_id = s.run_id AND m.village_id = s.village_id;

-- Views fix their column list when created: recreate run_scores with them.
DROP VIEW run_scores;
CREATE VIEW run_scores AS
SELECT rv.run_id, rv.scored_run_id, s.village_id, s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv,
       s.missing_weight, s.score, s.exit_fail, s.exit_no_data,
       s.missing_road, s.missing_water, s.missing_grid, s.missing_pv, s.unknown_gaps
FROM run_villages rv JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id;
