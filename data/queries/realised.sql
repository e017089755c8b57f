-- realised: every project written into the layers, its predicted 缺口后
-- and its village's gap in its dimension in the first scoring run started
-- after the write (NULL: no such run yet), with the statuses there of the
-- indicators the project was to close.
--
-- That gap is the village's after every one of its projects of the
-- dimension written before the run (all written so far when there is no
-- run yet): the set. The prediction compared is the one generation made
-- for exactly that set (data/predict.go: a project's gap_after_set
-- covers it and its predicted_after), else, when the project is the set
-- alone, its own 缺口后 (gap_after_est, the generator's model for most
-- kinds); else none (NULL: no prediction was made for that set, and the
-- difference is unknown rather than a comparison with a gap the other
-- projects also moved). An edit after generation clears the predictions
-- it makes stale (migration 0035): a set one of whose projects carries
-- such a reason has none, not even the project's own 缺口后. The last
-- column says why a row has no prediction.
SELECT p.id, coalesce(p.code, ''), p.name, p.subtype, coalesce(p.township_code, ''), coalesce(v.code, ''), coalesce(v.name, ''),
       coalesce(p.gap_dimension, ''), to_char(w.completed_on, 'YYYY-MM-DD'), p.gap_before,
       pr.gap,
       coalesce(r.id, 0),
       CASE p.gap_dimension WHEN '通路' THEN s.gap_road WHEN '饮水' THEN s.gap_water
                            WHEN '农网' THEN s.gap_grid WHEN '光伏' THEN s.gap_pv END,
       coalesce(ind.list, '[]'),
       p.gap_after_est, coalesce(sp.after, '{}'), coalesce(array_remove(ws.ids, p.id), '{}'), sp.after IS NOT NULL,
       pr.why
FROM projects p
JOIN (SELECT project_id, min(completed_on) AS completed_on, max(written_at) AS written_at
      FROM project_layer_writes GROUP BY project_id) w ON w.project_id = p.id
LEFT JOIN villages v ON v.id = p.village_id
LEFT JOIN LATERAL (SELECT id, started_at FROM scoring_runs WHERE started_at > w.written_at ORDER BY started_at, id LIMIT 1) r ON true
LEFT JOIN run_scores s ON s.run_id = r.id AND s.village_id = p.village_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('id', i.indicator, 'status', i.status) ORDER BY i.indicator) AS list
    FROM run_villages rv JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
    WHERE rv.run_id = r.id AND rv.village_id = p.village_id AND i.indicator = ANY (p.source_indicator_ids)
) ind ON true
-- The set: the village's projects of the dimension written before the run.
LEFT JOIN LATERAL (
    SELECT array_agg(q.id ORDER BY q.id) AS ids FROM projects q
    WHERE q.village_id = p.village_id AND q.gap_dimension = p.gap_dimension
      AND EXISTS (SELECT 1 FROM project_layer_writes x WHERE x.project_id = q.id
                  AND x.written_at < coalesce(r.started_at, 'infinity'))
) ws ON true
-- The prediction for exactly that set, when generation made one: the
-- set's member predicted with all the others before it.
LEFT JOIN LATERAL (
    SELECT q.gap_after_set AS gap, array_remove(ws.ids, p.id) AS after FROM projects q
    WHERE q.id = ANY (ws.ids) AND q.predicted_after IS NOT NULL
      AND ARRAY(SELECT x FROM unnest(q.predicted_after || q.id) x ORDER BY x) = ws.ids
    LIMIT 1
) sp ON true
-- An edit that cleared a prediction of the set (this project's first).
LEFT JOIN LATERAL (
    SELECT q.id, q.prediction_cleared AS why FROM projects q
    WHERE q.id = ANY (ws.ids) AND q.prediction_cleared IS NOT NULL
    ORDER BY q.id <> p.id, q.id
    LIMIT 1
) cl ON true
-- The prediction compared, and why there is none.
CROSS JOIN LATERAL (
    SELECT CASE WHEN sp.after IS NOT NULL THEN sp.gap
                WHEN ws.ids = ARRAY[p.id] AND cl.id IS NULL THEN p.gap_after_est END AS gap,
           CASE WHEN sp.after IS NOT NULL AND sp.gap IS NULL THEN '无预测：生成时测算为数据不足'
                WHEN sp.after IS NOT NULL THEN ''
                WHEN cl.id IS NOT NULL THEN '无预测：预测后' || cl.why || '，预测已清除'
                WHEN ws.ids IS NULL THEN '无预测：项目没有所在村或缺口维度'
                WHEN ws.ids <> ARRAY[p.id] THEN '无预测：生成时没有测算这组同村同维度项目（'
                    || array_to_string(ws.ids, '、') || '）一起建成后的缺口'
                WHEN p.gap_after_est IS NULL THEN '无预测：项目没有预计缺口后'
                ELSE '' END AS why
) pr
ORDER BY p.id
