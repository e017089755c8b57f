-- R4 and R5 (domain.md §2) per village unit.
--   stop_m: straight line from the 村委会 to the nearest bus stop that has
--     service (有班车 true, or not stated and a route listed); NULL when no
--     stop has service.
--   stop_unknown_m: the same to the nearest stop whose service is unknown
--     (not stated and no route listed).
--   stop_any_m: the same to the nearest stop of any kind.
--   any_stops: whether the bus stop layer holds anything at all.
--   pop, pop_near, pop_near_maybe: people of the unit (NULL when any count
--     is unknown), of whom within $1 m (all_season_radius_m) of a 沥青/水泥
--     road, and of a road that is hardened or of unknown surface.
SELECT u.id,
       (SELECT ST_Distance(s.geom::geography, u.office::geography)
        FROM bus_stops s WHERE s.service OR (s.service IS NULL AND cardinality(s.routes) > 0)
        ORDER BY ST_Distance(s.geom::geography, u.office::geography) LIMIT 1) AS stop_m,
       (SELECT ST_Distance(s.geom::geography, u.office::geography)
        FROM bus_stops s WHERE s.service IS NULL AND cardinality(s.routes) = 0
        ORDER BY ST_Distance(s.geom::geography, u.office::geography) LIMIT 1) AS stop_unknown_m,
       (SELECT ST_Distance(s.geom::geography, u.office::geography)
        FROM bus_stops s ORDER BY ST_Distance(s.geom::geography, u.office::geography) LIMIT 1) AS stop_any_m,
       EXISTS (SELECT 1 FROM bus_stops) AS any_stops,
       p.pop::float8, p.pop_near::float8, p.pop_near_maybe::float8
FROM villages u
CROSS JOIN LATERAL (
    SELECT CASE WHEN bool_or(st.population IS NULL) THEN NULL ELSE sum(st.population) END AS pop,
           coalesce(sum(st.population) FILTER (WHERE EXISTS (
               SELECT 1 FROM roads r WHERE r.surface IN ('沥青', '水泥')
                 AND r.geom && ST_Expand(st.geom, $1 / 50000.0)
                 AND ST_DWithin(r.geom::geography, st.geom::geography, $1))), 0) AS pop_near,
           coalesce(sum(st.population) FILTER (WHERE EXISTS (
               SELECT 1 FROM roads r WHERE (r.surface IN ('沥青', '水泥') OR r.surface IS NULL)
                 AND r.geom && ST_Expand(st.geom, $1 / 50000.0)
                 AND ST_DWithin(r.geom::geography, st.geom::geography, $1))), 0) AS pop_near_maybe
    FROM oracle_settlements st
    WHERE st.unit_id = u.id
) p
WHERE u.kind IN ('行政村', '社区')
ORDER BY u.id
