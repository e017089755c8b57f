-- W1, W2, W4 and W5 (domain.md §3) per village unit. The supplying works
-- is the works whose main passes nearest the 村委会 within $1 m
-- (main_radius_m: a household that close to a main is on its network);
-- none in reach leaves the works' columns NULL.
--   hh, hh_tap: households of the unit (NULL when any count is unknown),
--     of whom within $1 m of any main (W5); any_mains: whether the layer
--     of mains holds anything at all.
SELECT u.id, w.name, w.design_m3_per_day, w.population_served::float8, w.last_test_date, w.last_test_passed, w.guarantee_pct,
       h.hh::float8, h.hh_tap::float8, EXISTS (SELECT 1 FROM water_mains)
FROM villages u
LEFT JOIN LATERAL (
    SELECT k.name, k.design_m3_per_day, k.population_served, k.last_test_date, k.last_test_passed, k.guarantee_pct
    FROM water_mains m
    JOIN water_works k ON k.id = m.works_id
    WHERE m.geom && ST_Expand(u.office, $1 / 50000.0)
      AND ST_DWithin(m.geom::geography, u.office::geography, $1)
    ORDER BY ST_Distance(m.geom::geography, u.office::geography), m.id
    LIMIT 1
) w ON true
CROSS JOIN LATERAL (
    SELECT CASE WHEN bool_or(st.households IS NULL) THEN NULL ELSE sum(st.households) END AS hh,
           coalesce(sum(st.households) FILTER (WHERE EXISTS (
               SELECT 1 FROM water_mains m
               WHERE m.geom && ST_Expand(st.geom, $1 / 50000.0)
                 AND ST_DWithin(m.geom::geography, st.geom::geography, $1))), 0) AS hh_tap
    FROM oracle_settlements st
    WHERE st.unit_id = u.id
) h
WHERE u.kind IN ('行政村', '社区')
ORDER BY u.id
