-- 0006_run_villages: a run's scores by reference. A full run scores every
-- village itself; a partial run scores the few villages a change can affect
-- and points at its base run's rows for the rest. Copying the rest instead
-- (every village's ~18 indicator rows with their geometry) took 12 s at
-- province scale for a one-road edit; these rows are three integers each.

-- No foreign keys, on purpose: their per-row checks cost 420 ms of a
-- partial run's 29k rows. A row whose village (and so its scores) is
-- deleted is left dangling and drops out of the views' inner joins.
CREATE TABLE run_villages (
    run_id        bigint NOT NULL,
    village_id    bigint NOT NULL,
    scored_run_id bigint NOT NULL,                   -- the run whose village_scores row this is
    PRIMARY KEY (run_id, village_id)
);

INSERT INTO run_villages (run_id, village_id, scored_run_id) SELECT run_id, village_id, run_id FROM village_scores;

-- run_scores and run_indicators are what a run knows, whichever run
-- measured it: read these, never village_scores or indicator_scores by run.
CREATE VIEW run_scores AS
SELECT rv.run_id, rv.scored_run_id, s.village_id, s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv,
       s.missing_weight, s.score
FROM run_villages rv JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id;

CREATE VIEW run_indicators AS
SELECT rv.run_id, rv.scored_run_id, i.village_id, i.indicator, i.dimension, i.value, i.unit, i.threshold,
       i.threshold_source, i.score, i.status, i.weight, i.veto, i.note, i.geom
FROM run_villages rv JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id;

-- Re-scoring after a transformer change finds the villages on its feeder.
CREATE INDEX transformers_feeder_idx ON transformers (feeder);
