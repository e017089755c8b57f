-- realised: every project written into the layers, its predicted 缺口后
-- (gap_after_est) and its village's gap in its dimension in the first
-- scoring run started after the write (NULL: no such run yet), with the
-- statuses there of the indicators the project was to close.
SELECT p.id, coalesce(p.code, ''), p.name, p.subtype, coalesce(p.township_code, ''), coalesce(v.code, ''), coalesce(v.name, ''),
       coalesce(p.gap_dimension, ''), to_char(w.completed_on, 'YYYY-MM-DD'), p.gap_before, p.gap_after_est,
       coalesce(r.id, 0),
       CASE p.gap_dimension WHEN '通路' THEN s.gap_road WHEN '饮水' THEN s.gap_water
                            WHEN '农网' THEN s.gap_grid WHEN '光伏' THEN s.gap_pv END,
       coalesce(ind.list, '[]')
FROM projects p
JOIN (SELECT project_id, min(completed_on) AS completed_on, max(written_at) AS written_at
      FROM project_layer_writes GROUP BY project_id) w ON w.project_id = p.id
LEFT JOIN villages v ON v.id = p.village_id
LEFT JOIN LATERAL (SELECT id FROM scoring_runs WHERE started_at > w.written_at ORDER BY started_at, id LIMIT 1) r ON true
LEFT JOIN run_scores s ON s.run_id = r.id AND s.village_id = p.village_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('id', i.indicator, 'status', i.status) ORDER BY i.indicator) AS list
    FROM run_villages rv JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
    WHERE rv.run_id = r.id AND rv.village_id = p.village_id AND i.indicator = ANY (p.source_indicator_ids)
) ind ON true
ORDER BY p.id
