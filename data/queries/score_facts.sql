-- score_facts: every measured fact of every village unit, after
-- Store.VillageFacts has filled score_net with the network facts,
-- score_groups with where people live and score_feeders with feeder lengths.
-- $1 group_min_households, $2 group_network_radius_m, $3 all_season_radius_m,
-- $4 main_radius_m, $5 as_of date.
SELECT v.id, coalesce(v.code, ''), v.name, v.township_code, t.name, v.is_poor_village,
       v.households, v.population, v.poor_households, v.poor_population,
       -- 通路
       n.connected, n.unhardened_m, ST_AsBinary(n.unhardened_geom),
       r2.large, r2.served,
       n.path_m, n.narrow_m, ST_AsBinary(n.path_geom),
       bus.dist_m, ST_AsBinary(bus.line),
       r5.share,
       EXISTS (SELECT 1 FROM tourism_sites ts WHERE ts.geom && ST_Expand(v.office, 0.03)
               AND ST_DWithin(ts.geom::geography, v.office::geography, 2000)),
       -- 饮水
       coalesce(w.name, ''),
       CASE WHEN w.population_served > 0 THEN w.design_m3_per_day * 1000.0 / w.population_served END,
       ($5::date - w.last_test_date)::float8, w.last_test_passed, w.guarantee_pct,
       tap.share, ST_AsBinary(w.explain),
       -- 农网
       tr.n, tr.kva, ST_AsBinary(tr.pts),
       tp.dist_m, ST_AsBinary(tp.line),
       feeder.km, lv.max_m,
       -- 光伏
       coalesce(pv.village_kw, 0), coalesce(pv.central_kw, 0),
       v.office IS NULL -- 未定位
FROM villages v
JOIN townships t ON t.code = v.township_code
JOIN score_net n ON n.id = v.id
-- R2: large groups and those near the seat-connected hardened network.
LEFT JOIN LATERAL (
    SELECT count(*)::int AS large,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM road_edges e JOIN score_comp c ON c.node = e.source
               WHERE e.hardened AND c.component = n.seat_component
                 AND e.geom && ST_Expand(g.office, $2 / 80000.0)
                 AND ST_DWithin(e.geom::geography, g.office::geography, $2)))::int AS served
    FROM villages g WHERE g.parent_id = v.id AND g.households >= $1
) r2 ON EXISTS (SELECT 1 FROM villages g WHERE g.parent_id = v.id)
-- R4: nearest bus stop (KNN in degrees, exact on the ellipsoid among the five nearest).
LEFT JOIN LATERAL (
    SELECT ST_Distance(s.geom::geography, v.office::geography) AS dist_m, ST_MakeLine(v.office, s.geom) AS line
    FROM (SELECT geom FROM bus_stops ORDER BY geom <-> v.office LIMIT 5) s
    ORDER BY 1 LIMIT 1
) bus ON true
-- R5: share of people within the all-season radius of any hardened road.
LEFT JOIN LATERAL (
    SELECT coalesce(sum(g.pop) FILTER (WHERE EXISTS (
               SELECT 1 FROM road_edges e WHERE e.hardened AND e.geom && ST_Expand(g.pt, $3 / 80000.0)
                 AND ST_DWithin(e.geom::geography, g.pt::geography, $3))), 0)::float8 / nullif(sum(g.pop), 0) AS share
    FROM score_groups g WHERE g.village_id = v.id
) r5 ON true
-- The supplying works: the works of the nearest main within reach, else a works within reach.
LEFT JOIN LATERAL (
    SELECT ww.*, x.explain FROM (
        SELECT m.works_id AS works_id, m.geom AS explain, 0 AS pref, ST_Distance(m.geom::geography, v.office::geography) AS d
        FROM water_mains m WHERE m.works_id IS NOT NULL AND m.geom && ST_Expand(v.office, $4 / 80000.0)
          AND ST_DWithin(m.geom::geography, v.office::geography, $4)
        UNION ALL
        SELECT k.id, k.geom, 1, ST_Distance(k.geom::geography, v.office::geography)
        FROM water_works k WHERE k.geom && ST_Expand(v.office, $4 / 80000.0)
          AND ST_DWithin(k.geom::geography, v.office::geography, $4)
        ORDER BY pref, d LIMIT 1
    ) x JOIN water_works ww ON ww.id = x.works_id
) w ON true
-- W5: share of households within reach of a main or works.
LEFT JOIN LATERAL (
    SELECT coalesce(sum(g.hh) FILTER (WHERE EXISTS (
               SELECT 1 FROM water_mains m WHERE m.geom && ST_Expand(g.pt, $4 / 80000.0)
                 AND ST_DWithin(m.geom::geography, g.pt::geography, $4))
           OR EXISTS (
               SELECT 1 FROM water_works k WHERE k.geom && ST_Expand(g.pt, $4 / 80000.0)
                 AND ST_DWithin(k.geom::geography, g.pt::geography, $4))), 0)::float8 / nullif(sum(g.hh), 0) AS share
    FROM score_groups g WHERE g.village_id = v.id
) tap ON true
-- E1: the village's transformers.
LEFT JOIN LATERAL (
    -- kVA is 0, not unknown, when the county has transformer data but none serves the village.
    SELECT count(*)::int AS n, CASE WHEN EXISTS (SELECT 1 FROM transformers) THEN coalesce(sum(kva), 0) END AS kva,
           ST_Collect(geom) AS pts, array_agg(DISTINCT feeder) AS feeders
    FROM transformers WHERE village_id = v.id
) tr ON true
-- E2: nearest three-phase supply: a three-phase transformer or 0.4 kV line.
LEFT JOIN LATERAL (
    SELECT ST_Distance(x.geom::geography, v.office::geography) AS dist_m,
           ST_ShortestLine(v.office, x.geom) AS line
    FROM (
        (SELECT geom FROM transformers WHERE phases = 3 ORDER BY geom <-> v.office LIMIT 3)
        UNION ALL
        (SELECT geom FROM power_lines WHERE phases = 3 AND voltage_kv = 0.4 ORDER BY geom <-> v.office LIMIT 3)
    ) x
    ORDER BY 1 LIMIT 1
) tp ON true
-- E4: the longest 10 kV feeder serving the village, and the farthest settlement from its nearest transformer.
LEFT JOIN LATERAL (
    SELECT max(f.km) AS km FROM score_feeders f WHERE f.feeder = ANY (tr.feeders)
) feeder ON true
LEFT JOIN LATERAL (
    SELECT max((SELECT min(ST_Distance(x.geom::geography, g.pt::geography)) FROM transformers x WHERE x.village_id = v.id)) AS max_m
    FROM score_groups g WHERE g.village_id = v.id AND tr.n > 0
) lv ON true
-- P1/P2: PV attributed to the village.
LEFT JOIN LATERAL (
    SELECT sum(kw) FILTER (WHERE type IN ('村级', '户用')) AS village_kw, sum(kw) FILTER (WHERE type = '集中式') AS central_kw
    FROM pv_stations WHERE village_id = v.id
) pv ON true
ORDER BY v.code, v.id
