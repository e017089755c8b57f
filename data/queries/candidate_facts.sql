-- candidate_facts: what sizing 项目库 candidates needs beyond score_facts,
-- after Store.CandidateFacts has filled cf_v (the villages with their road
-- vertices and seat component), cf_edges, cf_comp and cf_groups. One row per
-- fact, each measured for its own village:
--   'office' every village: the 村委会;
--   'group'  a large 自然村/村民组 beyond the group radius of the seat-connected
--            hardened network (R2): m1 the straight line to that network,
--            m2 the unhardened length of the cheapest road path to it;
--   'bridge' a 危桥 whose nearest 村委会 this is: m1 its length (NULL unknown);
--   'works'  the nearest works with spare capacity: m1 the straight line from
--            the 村委会 to its mains (or to the works when it has none), m2 the
--            road route to them when there is one within the extension limit;
--   'line10' the nearest 10 kV line: m1 the straight line to it.
-- $1 dangerous_bridge_radius_m, $2 design L/人·d, $3 main_extension_max_m,
-- $4 snap tolerance (m).
-- Columns: village_id, kind, name, n1..n4 (counts), m1, m2 (metres), id, geom
-- (NULL for a line of length 0, which is no valid geometry).
SELECT v.id, 'office', '', 0, 0, 0, 0, NULL::float8, NULL::float8, 0::bigint, ST_AsBinary(v.office) FROM cf_v v
UNION ALL
SELECT g.parent_id, 'group', g.name, g.households, coalesce(g.population, 0), coalesce(g.poor_households, 0),
       coalesce(g.poor_population, 0), g.near_m, g.net_m, 0,
       ST_AsBinary(CASE WHEN g.net_m > 0 THEN g.net_geom WHEN g.near_m > 0 THEN g.near_line END)
FROM cf_groups g
UNION ALL
SELECT x.id, 'bridge', b.name, 0, 0, 0, 0, b.length_m, NULL, b.id, ST_AsBinary(b.geom)
FROM bridges b
CROSS JOIN LATERAL (
    SELECT u.id, u.office FROM villages u WHERE u.kind IN ('行政村', '社区') ORDER BY u.office <-> b.geom LIMIT 1) x
WHERE b.is_dangerous AND x.id IN (SELECT id FROM cf_v) AND ST_DWithin(b.geom::geography, x.office::geography, $1)
UNION ALL
-- Of the five nearest town/township works with spare design capacity for
-- the village's demand (unknown population: no demand can be sized, so no
-- works is chosen), the one whose mains come closest; then the road route
-- from the 村委会 to the nearest point of those mains (domain.md §3: the
-- road-network distance to its main, else straight line × 1.2).
SELECT v.id, 'works', w.name, 0, 0, 0, 0, w.m, r.m, w.id,
       ST_AsBinary(CASE WHEN r.m > 0 THEN r.geom WHEN w.m > 0 THEN ST_MakeLine(v.office, w.pt) END)
FROM cf_v v
CROSS JOIN LATERAL (
    -- pt, the nearest point of the mains, is found with longitude scaled by
    -- cos(latitude), where planar distance is (locally) proportional to
    -- metres; in plain degrees a point 3 % farther can win.
    SELECT c.id, c.name, ST_Distance(v.office::geography, t.g::geography) AS m,
           ST_Scale(ST_ClosestPoint(ST_Scale(t.g, k.k, 1), ST_Scale(v.office, k.k, 1)), 1 / k.k, 1) AS pt
    FROM (SELECT ww.id, ww.name, ww.geom FROM water_works ww
          WHERE ww.kind IN ('城镇水厂', '乡镇水厂')
            AND ww.design_m3_per_day - coalesce(ww.population_served, 0) * $2 / 1000.0 >= v.population * $2 / 1000.0
          ORDER BY ww.geom <-> v.office LIMIT 5) c
    CROSS JOIN LATERAL (SELECT coalesce((SELECT ST_Collect(m.geom) FROM water_mains m WHERE m.works_id = c.id), c.geom) AS g) t
    CROSS JOIN (SELECT cos(radians(ST_Y(v.office))) AS k) k
    ORDER BY m, c.id LIMIT 1) w
-- The road route: 村委会 → its road vertex, along roads, → the vertex
-- nearest the main → the main. A route longer than the limit is no route
-- (the extension would not be built), so the search stays inside the
-- envelope that holds every route within the limit. pgRouting takes its
-- graph as SQL text: the envelope's numbers are formatted into it from the
-- geometry here, never from input.
LEFT JOIN LATERAL (
    SELECT ST_Distance(v.office::geography, a.geom::geography) + coalesce(sum(e.length_m), 0)
             + ST_Distance(b.geom::geography, w.pt::geography) AS m,
           ST_LineMerge(ST_CollectionExtract(ST_Collect(ARRAY[
               CASE WHEN NOT ST_Equals(v.office, a.geom) THEN ST_MakeLine(v.office, a.geom) END,
               ST_Collect(e.geom),
               CASE WHEN NOT ST_Equals(b.geom, w.pt) THEN ST_MakeLine(b.geom, w.pt) END]), 2)) AS geom
    FROM road_vertices a, road_vertices b
    LEFT JOIN LATERAL pgr_dijkstra(
        format('SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM cf_edges
                WHERE geom && ST_Expand(ST_MakeEnvelope(%s, %s, %s, %s, 4490), %s)',
               ST_XMin(ST_MakeLine(v.office, w.pt)), ST_YMin(ST_MakeLine(v.office, w.pt)),
               ST_XMax(ST_MakeLine(v.office, w.pt)), ST_YMax(ST_MakeLine(v.office, w.pt)),
               ($3 / 2 + $4) / 80000.0),
        v.any_vid, b.id, false) d ON true
    LEFT JOIN cf_edges e ON e.id = d.edge
    WHERE a.id = v.any_vid AND b.id = nearest_road_vertex(w.pt, $4, false)
    GROUP BY a.geom, b.geom, a.id, b.id
    HAVING a.id = b.id OR count(e.id) > 0
) r0 ON true
CROSS JOIN LATERAL (SELECT CASE WHEN r0.m <= $3 THEN r0.m END AS m, r0.geom) r
UNION ALL
SELECT v.id, 'line10', '', 0, 0, 0, 0, l.m, NULL, l.id, CASE WHEN l.m > 0 THEN ST_AsBinary(l.line) END
FROM cf_v v
CROSS JOIN LATERAL (
    SELECT p.id, ST_Distance(v.office::geography, p.geom::geography) AS m, ST_ShortestLine(v.office, p.geom) AS line
    FROM power_lines p WHERE p.voltage_kv = 10 ORDER BY p.geom <-> v.office LIMIT 1) l
