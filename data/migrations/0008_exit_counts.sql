-- 0008_exit_counts: the exit-checklist counts a village tile shows, kept
-- beside the score. Reading them out of the score document made every
-- village of a tile detoast its whole judgement: 0.75 s for a province z8
-- tile of 3,000 villages.
ALTER TABLE village_scores
    ADD COLUMN exit_fail    smallint NOT NULL DEFAULT 0,
    ADD COLUMN exit_no_data smallint NOT NULL DEFAULT 0;

UPDATE village_scores SET
    exit_fail = (SELECT count(*) FROM jsonb_array_elements(score -> 'exit_checklist') e WHERE e ->> 'status' = 'fail'),
    exit_no_data = (SELECT count(*) FROM jsonb_array_elements(score -> 'exit_checklist') e WHERE e ->> 'status' = 'no_data');

-- Views fix their column list when created: recreate run_scores with the counts.
DROP VIEW run_scores;
CREATE VIEW run_scores AS
SELECT rv.run_id, rv.scored_run_id, s.village_id, s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv,
       s.missing_weight, s.score, s.exit_fail, s.exit_no_data
FROM run_villages rv JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id;
