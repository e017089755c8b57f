-- stale_villages: the village units that the changes recorded after the
-- base run's watermark ($1) up to $2 can affect. Conservative by design: a
-- village is stale when any rule below says it might be.
-- $3 base run id, $4 reach in metres of distance-based indicators (the
-- largest of the profile's radii), $5 main radius m.
-- Every branch starts from the few changes and reaches villages through an
-- index. LATERAL with OFFSET 0 keeps the planner from turning a branch
-- round into a scan of all villages or mains, seconds at province scale.
WITH ch AS MATERIALIZED (
    SELECT * FROM layer_changes WHERE id > $1 AND id <= $2
)
-- The village row itself, its 村民组, its transformers or PV, or its township.
SELECT x.id FROM ch CROSS JOIN LATERAL (
    SELECT v.id FROM villages v WHERE v.id = ch.village_id AND v.kind IN ('行政村', '社区')
    UNION ALL
    SELECT v.id FROM villages v WHERE v.township_code = ch.township AND v.kind IN ('行政村', '社区') OFFSET 0) x
UNION
-- Anything within reach of a distance-based indicator (R2, R5, W5, E2, E4, tourism).
SELECT x.id FROM ch CROSS JOIN LATERAL (
    SELECT v.id FROM villages v
    WHERE v.office && ST_Expand(ch.geom, $4 / 80000.0) AND ST_DWithin(ch.geom::geography, v.office::geography, $4)
      AND v.kind IN ('行政村', '社区') OFFSET 0) x
WHERE ch.layer IN ('roads', 'tourism_sites', 'power_lines', 'transformers', 'water_mains', 'water_works')
UNION
-- A bus stop added or removed nearer than the village's nearest stop was
-- (or anywhere, for a village that had none).
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT r4.village_id FROM run_indicators r4 JOIN villages v ON v.id = r4.village_id
    WHERE r4.run_id = $3 AND r4.indicator = 'R4'
      AND (r4.value IS NULL OR ST_DWithin(ch.geom::geography, v.office::geography, r4.value + 1)) OFFSET 0) x
WHERE ch.layer = 'bus_stops'
UNION
-- A road change on the path that explains R1 or R3.
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT i.village_id FROM run_indicators i
    WHERE i.run_id = $3 AND i.indicator IN ('R1', 'R3')
      AND i.geom && ST_Expand(ch.geom, 1e-6) AND ST_DWithin(i.geom, ch.geom, 1e-6) OFFSET 0) x
WHERE ch.layer = 'roads'
UNION
-- Any road change in the township of a village without hardened access:
-- new paving anywhere there may connect it.
SELECT x.village_id FROM ch CROSS JOIN LATERAL (
    SELECT i.village_id FROM townships t
    JOIN villages v ON v.township_code = t.code
    JOIN run_indicators i ON i.run_id = $3 AND i.village_id = v.id AND i.indicator = 'R1'
    WHERE t.outline && ch.geom AND ST_Intersects(t.outline, ch.geom) AND i.status <> 'pass' OFFSET 0) x
WHERE ch.layer = 'roads'
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
