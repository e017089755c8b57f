-- score_facts: every measured fact of every village unit, after
-- Store.VillageFacts has filled score_net with the network facts,
-- score_groups with where people live and score_feeders with feeder lengths.
-- $1 group_min_households, $2 group_network_radius_m, $3 all_season_radius_m,
-- $4 main_radius_m, $5 as_of date, $6 transformer_radius_m, $7 tourism_radius_m.
--
-- Three states: a fact is NULL when the data that decides it is missing —
-- an empty layer, an unknown 户数/人口 of a settlement, roads of unknown
-- surface that would change the answer — never a 0 that reads as measured.
SELECT v.id, coalesce(v.code, ''), v.name, v.township_code, t.name, v.is_poor_village,
       v.households, v.population,
       CASE WHEN py.year IS NULL THEN v.poor_households ELSE py.poor_households END,
       CASE WHEN py.year IS NULL THEN v.poor_population ELSE py.poor_population END,
       coalesce(py.year, 0),
       -- 通路
       have.roads, have.roads AND n.seat_any_vid IS NULL, n.connected, n.unhardened_m, ST_AsBinary(n.unhardened_geom), n.straight, n.unknown_m,
       r2.large, r2.served, coalesce(r2.open, 0), coalesce(r2.unknown_hh, 0),
       n.path_m, n.narrow_m, n.width_unknown_m, ST_AsBinary(n.path_geom),
       bus.dist_m, ST_AsBinary(coalesce(bus.line, busa.line)), busu.dist_m, busa.dist_m,
       r5.share, r5.share_max,
       EXISTS (SELECT 1 FROM tourism_sites ts WHERE ts.geom && ST_Expand(v.office, $7 / 80000.0)
               AND ST_DWithin(ts.geom::geography, v.office::geography, $7)),
       -- 饮水
       coalesce(w.name, ''),
       CASE WHEN w.population_served > 0 THEN w.design_m3_per_day * 1000.0 / w.population_served END,
       ($5::date - w.last_test_date)::float8, w.last_test_passed, w.guarantee_pct,
       tap.share, ST_AsBinary(w.explain), people.hh_unknown, people.pop_unknown,
       -- 农网
       tr.n, tr.kva, ST_AsBinary(tr.pts), trs.by_radius, have.transformers,
       tp.dist_m, ST_AsBinary(tp.line),
       feeder.km, lv.max_m,
       -- 光伏
       CASE WHEN have.pv THEN coalesce(pv.village_kw, 0) END, CASE WHEN have.pv THEN coalesce(pv.central_kw, 0) END,
       v.office IS NULL -- 未定位
FROM villages v
JOIN townships t ON t.code = v.township_code
JOIN score_net n ON n.id = v.id
-- 建档立卡 of the run's year: the register's latest year up to the year of
-- $5 with a stock figure (migration 0023); a village without one keeps its
-- own columns. A year's unknown figure stays unknown: it does not fall
-- back to the village's column, which may be of another year.
LEFT JOIN LATERAL (
    SELECT p.year, p.poor_households, p.poor_population FROM village_poverty p
    WHERE p.village_id = v.id AND p.year <= extract(year FROM $5::date)
      AND num_nonnulls(p.poor_households, p.poor_population) > 0
    ORDER BY p.year DESC LIMIT 1
) py ON true
-- Which layers hold any data: an empty layer decides nothing.
CROSS JOIN (SELECT EXISTS (SELECT 1 FROM road_edges) AS roads,
                   EXISTS (SELECT 1 FROM water_mains) OR EXISTS (SELECT 1 FROM water_works) AS water,
                   EXISTS (SELECT 1 FROM transformers) AS transformers,
                   NOT EXISTS (SELECT 1 FROM transformers WHERE village_id IS NULL) AS all_linked,
                   EXISTS (SELECT 1 FROM pv_stations) AS pv) have
-- Settlements whose 户数 or 人口 is unknown.
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE g.hh IS NULL)::int AS hh_unknown, count(*) FILTER (WHERE g.pop IS NULL)::int AS pop_unknown
    FROM score_groups g WHERE g.village_id = v.id
) people ON true
-- R2: groups of at least $1 households: served when near the seat's hardened
-- network; open when only roads of unknown surface could serve them; and
-- groups whose households are unknown.
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE g.households >= $1)::int AS large,
           count(*) FILTER (WHERE g.households >= $1 AND x.served)::int AS served,
           count(*) FILTER (WHERE g.households >= $1 AND NOT x.served AND x.maybe)::int AS open,
           count(*) FILTER (WHERE g.households IS NULL)::int AS unknown_hh
    FROM villages g
    CROSS JOIN LATERAL (
        -- maybe is looked up only for a group not served.
        SELECT h.served, NOT h.served AND EXISTS (
                   SELECT 1 FROM road_edges e JOIN score_open_comp c ON c.node = e.source
                   WHERE e.hardened IS NOT FALSE AND c.component = n.seat_open_component
                     AND e.geom && ST_Expand(g.office, $2 / 80000.0)
                     AND ST_DWithin(e.geom::geography, g.office::geography, $2)) AS maybe
        FROM (SELECT EXISTS (
                  SELECT 1 FROM road_edges e JOIN score_comp c ON c.node = e.source
                  WHERE e.hardened AND c.component = n.seat_component
                    AND e.geom && ST_Expand(g.office, $2 / 80000.0)
                    AND ST_DWithin(e.geom::geography, g.office::geography, $2)) AS served) h
    ) x
    WHERE g.parent_id = v.id AND (g.households >= $1 OR g.households IS NULL)
) r2 ON have.roads AND EXISTS (SELECT 1 FROM villages g WHERE g.parent_id = v.id)
-- R4: nearest stop with service (service, or routes listed, where service is
-- not recorded), nearest stop of unknown service, nearest stop of any kind
-- (KNN in degrees, exact on the ellipsoid among the five nearest).
LEFT JOIN LATERAL (
    SELECT ST_Distance(s.geom::geography, v.office::geography) AS dist_m, ST_MakeLine(v.office, s.geom) AS line
    FROM (SELECT geom FROM bus_stops WHERE service OR (service IS NULL AND cardinality(routes) > 0)
          ORDER BY geom <-> v.office LIMIT 5) s
    ORDER BY 1 LIMIT 1
) bus ON true
LEFT JOIN LATERAL (
    SELECT ST_Distance(s.geom::geography, v.office::geography) AS dist_m
    FROM (SELECT geom FROM bus_stops WHERE service IS NULL AND cardinality(routes) = 0
          ORDER BY geom <-> v.office LIMIT 5) s
    ORDER BY 1 LIMIT 1
) busu ON true
LEFT JOIN LATERAL (
    SELECT ST_Distance(s.geom::geography, v.office::geography) AS dist_m, ST_MakeLine(v.office, s.geom) AS line
    FROM (SELECT geom FROM bus_stops ORDER BY geom <-> v.office LIMIT 5) s
    ORDER BY 1 LIMIT 1
) busa ON true
-- R5: share of people within the all-season radius of a hardened road, and
-- of a road that is hardened or of unknown surface (the share if every
-- unknown surface were hardened); unknown when any settlement's 人口 is.
LEFT JOIN LATERAL (
    SELECT CASE WHEN have.roads AND bool_and(g.pop IS NOT NULL) THEN
               coalesce(sum(g.pop) FILTER (WHERE x.hard), 0)::float8 / nullif(sum(g.pop), 0) END AS share,
           CASE WHEN have.roads AND bool_and(g.pop IS NOT NULL) THEN
               coalesce(sum(g.pop) FILTER (WHERE x.hard OR x.open), 0)::float8 / nullif(sum(g.pop), 0) END AS share_max
    FROM score_groups g
    CROSS JOIN LATERAL (
        -- open is looked up only for a settlement without a hardened road near.
        SELECT h.hard, NOT h.hard AND EXISTS (
                   SELECT 1 FROM road_edges e WHERE e.hardened IS NULL AND e.geom && ST_Expand(g.pt, $3 / 80000.0)
                     AND ST_DWithin(e.geom::geography, g.pt::geography, $3)) AS open
        FROM (SELECT EXISTS (SELECT 1 FROM road_edges e WHERE e.hardened AND e.geom && ST_Expand(g.pt, $3 / 80000.0)
                               AND ST_DWithin(e.geom::geography, g.pt::geography, $3)) AS hard) h
    ) x
    WHERE g.village_id = v.id
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
-- W5: share of households within reach of a main or works; unknown when
-- any settlement's 户数 is, or the county has no mains or works at all.
LEFT JOIN LATERAL (
    SELECT CASE WHEN have.water AND bool_and(g.hh IS NOT NULL) THEN coalesce(sum(g.hh) FILTER (WHERE EXISTS (
               SELECT 1 FROM water_mains m WHERE m.geom && ST_Expand(g.pt, $4 / 80000.0)
                 AND ST_DWithin(m.geom::geography, g.pt::geography, $4))
           OR EXISTS (
               SELECT 1 FROM water_works k WHERE k.geom && ST_Expand(g.pt, $4 / 80000.0)
                 AND ST_DWithin(k.geom::geography, g.pt::geography, $4))), 0)::float8 / nullif(sum(g.hh), 0) END AS share
    FROM score_groups g WHERE g.village_id = v.id
) tap ON true
-- E1: the village's transformers: those linked to it (台区), else those
-- without a link within the transformer radius of its settlements
-- (domain.md §4). None at all is a measured 0 kVA only when the county links
-- every transformer to a village; while any lacks its link, that one may be
-- the village's, so none is unknown.
LEFT JOIN LATERAL (
    SELECT coalesce(
               (SELECT array_agg(x.id) FROM transformers x WHERE x.village_id = v.id),
               (SELECT array_agg(DISTINCT x.id) FROM score_groups g JOIN transformers x
                  ON x.village_id IS NULL AND x.geom && ST_Expand(g.pt, $6 / 80000.0)
                 AND ST_DWithin(x.geom::geography, g.pt::geography, $6)
                WHERE g.village_id = v.id)) AS ids,
           NOT EXISTS (SELECT 1 FROM transformers x WHERE x.village_id = v.id) AS by_radius
) trs ON true
LEFT JOIN LATERAL (
    SELECT count(*)::int AS n,
           CASE WHEN trs.ids IS NOT NULL THEN sum(kva) WHEN have.transformers AND have.all_linked THEN 0 END AS kva,
           ST_Collect(geom) AS pts, array_agg(DISTINCT feeder) AS feeders
    FROM transformers WHERE id = ANY (trs.ids)
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
    SELECT max((SELECT min(ST_Distance(x.geom::geography, g.pt::geography)) FROM transformers x WHERE x.id = ANY (trs.ids))) AS max_m
    FROM score_groups g WHERE g.village_id = v.id AND tr.n > 0
) lv ON true
-- P1/P2: PV attributed to the village.
LEFT JOIN LATERAL (
    SELECT sum(kw) FILTER (WHERE type IN ('村级', '户用')) AS village_kw, sum(kw) FILTER (WHERE type = '集中式') AS central_kw
    FROM pv_stations WHERE village_id = v.id
) pv ON true
ORDER BY v.code, v.id
