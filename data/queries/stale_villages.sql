-- stale_villages: the village units that the changes recorded after the
-- base run's watermark ($1) up to $2 can affect. Conservative by design: a
-- village is stale when any rule below says it might be.
-- $3 base run id; $4 reach in metres of distance-based indicators (the
-- largest of the profile's radii); $5 main radius m; $6 network slack m
-- (how far from a changed road, 村委会 or seat the graph may change, and how
-- far a 村委会 or seat may lie from its graph vertex); $7 the margin in
-- degrees around a village and its seat that its paths stay within (the
-- network a partial run routes on, data/scoring.go subgraphMarginDeg); $8
-- radius m around an edge of a touched hardened component within which a
-- settlement or 村委会 depends on the component (R2 and snapping); $9 the
-- vertices of the touched components (data/stale.go); $10 true when those
-- could not be bounded, and every village whose paths may pass a network
-- change is stale.
--
-- Settlements are 村委会 and 自然村/村民组 points alike (villages rows with
-- a parent_id stand for their parent): R2, R5, W5 and E4 are measured at
-- each of them.
--
-- Every branch starts from the few changes and reaches villages through an
-- index. LATERAL with OFFSET 0 keeps the planner from turning a branch
-- round into a scan of all villages or mains, seconds at province scale.
WITH ch AS MATERIALIZED (
    SELECT * FROM layer_changes WHERE id > $1 AND id <= $2
),
-- Changes that can alter the road graph: roads, and the 村委会 and seats
-- that are graph vertices (a 自然村 row has village_id <> row_id).
-- tol is how far from the change the graph may differ: a road's own
-- pieces lie on it; a 村委会 or seat cuts the roads within the slack.
net AS MATERIALIZED (
    SELECT geom, CASE WHEN layer = 'roads' THEN 1.0 ELSE $6 END AS tol FROM ch
    WHERE geom IS NOT NULL AND (ch.layer IN ('roads', 'townships') OR (ch.layer = 'villages' AND ch.village_id = ch.row_id))
)
-- The village row itself, its 村民组, its transformers or PV, or its township.
SELECT x.id FROM ch CROSS JOIN LATERAL (
    SELECT v.id FROM villages v WHERE v.id = ch.village_id AND v.kind IN ('行政村', '社区')
    UNION ALL
    SELECT v.id FROM villages v WHERE v.township_code = ch.township AND v.kind IN ('行政村', '社区') OFFSET 0) x
UNION
-- A settlement within reach of a distance-based indicator (R2, R5, W1–W5,
-- E1, E2, E4, tourism).
SELECT x.id FROM ch CROSS JOIN LATERAL (
    SELECT coalesce(v.parent_id, v.id) AS id FROM villages v
    WHERE v.office && ST_Expand(ch.geom, $4 / 80000.0) AND ST_DWithin(ch.geom::geography, v.office::geography, $4) OFFSET 0) x
WHERE ch.layer IN ('roads', 'tourism_sites', 'power_lines', 'transformers', 'water_mains', 'water_works')
UNION
-- A bus stop added, removed or changed (its routes) nearer than the
-- village's nearest stop was (or anywhere, for a village that had none).
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT r4.village_id FROM run_indicators r4 JOIN villages v ON v.id = r4.village_id
    WHERE r4.run_id = $3 AND r4.indicator = 'R4'
      AND (r4.value IS NULL OR ST_DWithin(ch.geom::geography, v.office::geography, r4.value + 1)) OFFSET 0) x
WHERE ch.layer = 'bus_stops'
UNION
-- Likewise E2: a three-phase transformer or line nearer than the nearest was.
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT e2.village_id FROM run_indicators e2 JOIN villages v ON v.id = e2.village_id
    WHERE e2.run_id = $3 AND e2.indicator = 'E2'
      AND (e2.value IS NULL OR ST_DWithin(ch.geom::geography, v.office::geography, e2.value + 1)) OFFSET 0) x
WHERE ch.layer IN ('transformers', 'power_lines')
UNION
-- A network change on (or, for a 村委会 or seat, re-splitting) the path
-- that explains R1 or R3.
SELECT x.village_id FROM net CROSS JOIN LATERAL (
    SELECT i.village_id FROM run_indicators i
    WHERE i.run_id = $3 AND i.indicator IN ('R1', 'R3')
      AND i.geom && ST_Expand(net.geom, net.tol / 80000.0) AND ST_DWithin(i.geom::geography, net.geom::geography, net.tol) OFFSET 0) x
UNION
-- A network change near a seat may move the seat's graph vertex.
SELECT x.id FROM net CROSS JOIN LATERAL (
    SELECT v.id FROM townships t JOIN villages v ON v.township_code = t.code
    WHERE t.seat && ST_Expand(net.geom, $6 / 80000.0) AND ST_DWithin(t.seat::geography, net.geom::geography, $6)
      AND v.kind IN ('行政村', '社区') OFFSET 0) x
UNION
-- A shorter hardened path must pass the change: the change lies inside the
-- ellipse d(q, seat) + d(q, 村委会) ≤ L + 2 slack of the village's path of
-- length L (see migration 0018 for the index).
SELECT x.village_id FROM net CROSS JOIN LATERAL (
    SELECT i.village_id FROM run_villages rv
    JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
    JOIN villages v ON v.id = i.village_id
    JOIN townships t ON t.code = v.township_code
    WHERE i.indicator = 'R3' AND i.geom IS NOT NULL
      AND ST_Expand(i.geom, 0.7 * ST_Length(i.geom) + 0.01) && ST_Expand(net.geom, greatest(2 * $6 / 80000.0 - 0.01, 0))
      AND rv.run_id = $3
      AND ST_Distance(net.geom::geography, v.office::geography) + ST_Distance(net.geom::geography, t.seat::geography)
          <= ST_Length(i.geom::geography) + 2 * $6 OFFSET 0) x
UNION
-- A village not reaching its seat on hardened road: its cheapest path may
-- now run through any network change near enough to it and its seat (or,
-- when the touched components could not be bounded, any village). The
-- townships are found first, by the extent of their seat and 村委会: one
-- pass over villages instead of a look-up of every village's R1.
SELECT v.id FROM (
    SELECT v.township_code, ST_SetSRID(ST_Extent(v.office)::geometry, 4490) AS offices FROM villages v
    WHERE v.kind IN ('行政村', '社区') AND EXISTS (SELECT 1 FROM net)
    GROUP BY v.township_code
) b
JOIN townships t ON t.code = b.township_code
JOIN villages v ON v.township_code = t.code AND v.kind IN ('行政村', '社区')
JOIN run_villages rv ON rv.run_id = $3 AND rv.village_id = v.id
WHERE EXISTS (SELECT 1 FROM net WHERE net.geom && ST_Expand(ST_Envelope(ST_Collect(b.offices, t.seat)), $7))
  AND EXISTS (SELECT 1 FROM net WHERE net.geom && ST_Expand(ST_MakeLine(v.office, t.seat), $7))
  AND ($10 OR NOT EXISTS (SELECT 1 FROM indicator_scores i
                          WHERE i.run_id = rv.scored_run_id AND i.village_id = rv.village_id
                            AND i.indicator = 'R1' AND i.status = 'pass'))
UNION
-- A touched component of either network (hardened, or open) (one whose membership a change may alter):
-- the settlements near its edges (R2, and 村委会 snapped to it for R1) and
-- the townships whose seat is on it.
SELECT x.id FROM road_edges e CROSS JOIN LATERAL (
    SELECT coalesce(g.parent_id, g.id) AS id FROM villages g
    WHERE g.office && ST_Expand(e.geom, $8 / 80000.0) AND ST_DWithin(g.office::geography, e.geom::geography, $8)
    UNION ALL
    SELECT v.id FROM townships t JOIN villages v ON v.township_code = t.code
    WHERE t.seat && ST_Expand(e.geom, $6 / 80000.0) AND ST_DWithin(t.seat::geography, e.geom::geography, $6)
      AND v.kind IN ('行政村', '社区') OFFSET 0) x
WHERE e.hardened IS NOT FALSE AND e.source = ANY ($9::bigint[])
UNION
-- Whether every transformer has its 台区 link decides E1 of a village with
-- none of its own (a measured 0 kVA, or unknown): any transformer change
-- may flip it for the whole county, so those villages are stale.
SELECT rv.village_id FROM run_villages rv
JOIN indicator_scores i ON i.run_id = rv.scored_run_id AND i.village_id = rv.village_id AND i.indicator = 'E1'
WHERE rv.run_id = $3 AND (i.status = 'no_data' OR i.value = 0)
  AND EXISTS (SELECT 1 FROM ch WHERE ch.layer = 'transformers')
UNION
-- The villages on a changed 10 kV feeder.
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT tr.village_id FROM transformers tr WHERE tr.feeder = ch.feeder AND tr.village_id IS NOT NULL OFFSET 0) x
UNION
-- The villages a changed works supplies through any of its mains.
SELECT x.id FROM ch CROSS JOIN LATERAL (
    SELECT v.id FROM water_mains m
    JOIN villages v ON v.office && ST_Expand(m.geom, $5 / 80000.0)
                   AND ST_DWithin(m.geom::geography, v.office::geography, $5)
    WHERE m.works_id = ch.works_id AND v.kind IN ('行政村', '社区') OFFSET 0) x
