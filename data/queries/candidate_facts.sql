-- candidate_facts: what sizing 项目库 candidates needs beyond score_facts,
-- one row per kind of fact: 'office' (every village), 'group' (a large
-- 自然村/村民组 beyond the group radius of hardened road), 'bridge' (a 危桥
-- whose nearest 村委会 this is), 'works' (the nearest works with spare
-- capacity), 'line10' (the nearest 10 kV line).
-- $1 village ids, $2 group_min_households, $3 group_network_radius_m,
-- $4 dangerous_bridge_radius_m, $5 design L/人·d.
-- Columns: village_id, kind, name, n1..n4 (counts), m (metres), id, geom
-- (NULL for a line of length 0, which is no valid geometry).
WITH v AS (
    SELECT id, office, coalesce(population, 0) AS population FROM villages WHERE id = ANY ($1)
)
SELECT v.id, 'office', '', 0, 0, 0, 0, 0::float8, 0::bigint, ST_AsBinary(v.office) FROM v
UNION ALL
-- Straight line to the nearest hardened edge: the group is served when it is
-- within the radius of the network (R2 asks for the R1-connected network;
-- any hardened road is the cheaper approximation used for sizing).
SELECT g.parent_id, 'group', g.name, g.households, coalesce(g.population, 0), g.poor_households, g.poor_population,
       e.m, 0, ST_AsBinary(e.line)
FROM villages g
CROSS JOIN LATERAL (
    SELECT ST_Distance(g.office::geography, r.geom::geography) AS m, ST_ShortestLine(g.office, r.geom) AS line
    FROM road_edges r WHERE r.hardened ORDER BY r.geom <-> g.office LIMIT 1) e
WHERE g.parent_id = ANY ($1) AND g.households >= $2 AND e.m > $3
UNION ALL
SELECT x.id, 'bridge', b.name, 0, 0, 0, 0, coalesce(b.length_m, 0), b.id, ST_AsBinary(b.geom)
FROM bridges b
CROSS JOIN LATERAL (
    SELECT u.id, u.office FROM villages u WHERE u.kind IN ('行政村', '社区') ORDER BY u.office <-> b.geom LIMIT 1) x
WHERE b.is_dangerous AND x.id = ANY ($1) AND ST_DWithin(b.geom::geography, x.office::geography, $4)
UNION ALL
-- Of the five nearest town/township works with spare design capacity for
-- the village's demand, the one whose mains come closest.
SELECT v.id, 'works', w.name, 0, 0, 0, 0, w.m, w.id, CASE WHEN w.m > 0 THEN ST_AsBinary(w.line) END
FROM v
CROSS JOIN LATERAL (
    SELECT c.id, c.name, ST_Distance(v.office::geography, t.g::geography) AS m, ST_ShortestLine(v.office, t.g) AS line
    FROM (SELECT ww.id, ww.name, ww.geom FROM water_works ww
          WHERE ww.kind IN ('城镇水厂', '乡镇水厂')
            AND ww.design_m3_per_day - coalesce(ww.population_served, 0) * $5 / 1000.0 >= v.population * $5 / 1000.0
          ORDER BY ww.geom <-> v.office LIMIT 5) c
    CROSS JOIN LATERAL (SELECT coalesce((SELECT ST_Collect(m.geom) FROM water_mains m WHERE m.works_id = c.id), c.geom) AS g) t
    ORDER BY m, c.id LIMIT 1) w
UNION ALL
SELECT v.id, 'line10', '', 0, 0, 0, 0, l.m, l.id, CASE WHEN l.m > 0 THEN ST_AsBinary(l.line) END
FROM v
CROSS JOIN LATERAL (
    SELECT p.id, ST_Distance(v.office::geography, p.geom::geography) AS m, ST_ShortestLine(v.office, p.geom) AS line
    FROM power_lines p WHERE p.voltage_kv = 10 ORDER BY p.geom <-> v.office LIMIT 1) l
