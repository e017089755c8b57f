-- E1, E2 and E4 (domain.md §4) per village unit. Households join the
-- transformers of their 台区 (transformers.village_id); a unit with none
-- takes the transformers without a 台区 link within $1 m
-- (grid.transformer_radius_m) of any of its settlements.
--   n_tx, kva: the unit's transformers and their total kVA (E1).
--   all_linked: the county has transformers and every one has a 台区 link, so a unit
--     with none has none (else one without a link may be its own).
--   three_phase_m: 村委会 to the nearest 0.4 kV three-phase line or
--     three-phase transformer (E2); three_phase_maybe_m: the same with
--     three-phase lines of unknown voltage counted too.
--   feeder_km: the longest 10 kV feeder (Σ of its 10 kV lines) that serves
--     one of the unit's transformers; feeder_unknown: a transformer names
--     no feeder, or one without 10 kV lines.
--   lv_m: the farthest settlement from the nearest of the unit's
--     transformers (E4, straight line).
WITH unit_tx AS (
    SELECT x.village_id AS unit_id, x.id AS tx_id FROM transformers x WHERE x.village_id IS NOT NULL
    UNION
    SELECT st.unit_id, x.id FROM oracle_settlements st
    JOIN transformers x ON x.village_id IS NULL AND ST_DWithin(x.geom::geography, st.geom::geography, $1)
    WHERE NOT EXISTS (SELECT 1 FROM transformers y WHERE y.village_id = st.unit_id)
),
tx AS (
    SELECT ut.unit_id, x.* FROM unit_tx ut JOIN transformers x ON x.id = ut.tx_id
),
feeders AS (
    SELECT feeder, sum(ST_Length(geom::geography)) / 1000 AS km
    FROM power_lines WHERE voltage_kv = 10 AND feeder <> '' GROUP BY feeder
),
three_phase AS (
    SELECT geom FROM power_lines WHERE voltage_kv = 0.4 AND phases = 3
    UNION ALL
    SELECT geom FROM transformers WHERE phases = 3
)
SELECT u.id, t.n_tx, t.kva, EXISTS (SELECT 1 FROM transformers) AND NOT EXISTS (SELECT 1 FROM transformers x WHERE x.village_id IS NULL) AS all_linked,
       (SELECT min(ST_Distance(n.geom::geography, u.office::geography)) FROM three_phase n
        WHERE ST_DWithin(n.geom, u.office, b.bound_m / 50000.0)) AS three_phase_m,
       (SELECT min(ST_Distance(l.geom::geography, u.office::geography)) FROM power_lines l
        WHERE l.voltage_kv IS NULL AND l.phases = 3) AS three_phase_maybe_m,
       (SELECT max(f.km) FROM tx x JOIN feeders f ON f.feeder = x.feeder WHERE x.unit_id = u.id) AS feeder_km,
       EXISTS (SELECT 1 FROM tx x WHERE x.unit_id = u.id
               AND NOT EXISTS (SELECT 1 FROM feeders f WHERE f.feeder = x.feeder)) AS feeder_unknown,
       (SELECT max((SELECT min(ST_Distance(x.geom::geography, st.geom::geography))
                    FROM tx x WHERE x.unit_id = u.id))
        FROM oracle_settlements st
        WHERE st.unit_id = u.id AND (st.households IS NULL OR st.households > 0)) AS lv_m
FROM villages u
-- bound_m: the distance to the three-phase supply nearest in degrees,
-- which the nearest in metres cannot exceed; it bounds the exact search.
CROSS JOIN LATERAL (
    SELECT min(d) AS bound_m FROM (
        (SELECT ST_Distance(l.geom::geography, u.office::geography) AS d FROM power_lines l
         WHERE l.voltage_kv = 0.4 AND l.phases = 3 ORDER BY l.geom <-> u.office LIMIT 1)
        UNION ALL
        (SELECT ST_Distance(x.geom::geography, u.office::geography) FROM transformers x
         WHERE x.phases = 3 ORDER BY x.geom <-> u.office LIMIT 1)) k
) b
CROSS JOIN LATERAL (
    SELECT count(*) AS n_tx, sum(x.kva) AS kva FROM tx x WHERE x.unit_id = u.id
) t
WHERE u.kind IN ('行政村', '社区')
ORDER BY u.id
