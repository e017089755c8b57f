-- 0031_indicator_need: the quantity that closes an indicator's gap, in the
-- unit a bureau counts it (planning.NeedUnits: R1 km to pave, W5 户 without
-- tap water, E1 kVA short), so that the village table and the village_gaps
-- export total it without re-measuring. Runs stored before have NULL:
-- unknown, shown as 无数据.
ALTER TABLE indicator_scores ADD COLUMN need double precision;

-- A view may gain columns at its end only.
CREATE OR REPLACE VIEW run_indicators AS
SELECT rv.run_id, rv.scored_run_id, i.village_id, i.indicator, i.dimension, i.value, i.unit, i.threshold,
       i.threshold_source, i.score, i.status, i.weight, i.veto, i.note, i.geom, i.need
FROM run_villages rv JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id;
