-- stale_villages: the village units that the changes recorded after the
-- base run's watermark ($1) up to $2 can affect. Conservative by design: a
-- village is stale when any rule below says it might be.
-- $3 base run id, $4 reach in metres of distance-based indicators (the
-- largest of the profile's radii), $5 main radius m.
WITH ch AS (
    SELECT * FROM layer_changes WHERE id > $1 AND id <= $2
),
units AS (
    SELECT v.id, v.office, v.township_code FROM villages v WHERE v.kind IN ('行政村', '社区')
),
r4 AS (
    SELECT village_id, value FROM indicator_scores WHERE run_id = $3 AND indicator = 'R4'
)
-- The village row itself, its 村民组, its transformers or PV, or its township.
SELECT u.id FROM units u JOIN ch ON ch.village_id = u.id OR ch.township = u.township_code
UNION
-- Anything within reach of a distance-based indicator (R2, R5, W5, E2, E4, tourism).
SELECT u.id FROM units u JOIN ch
    ON ch.layer IN ('roads', 'tourism_sites', 'power_lines', 'transformers', 'water_mains', 'water_works')
   AND ch.geom && ST_Expand(u.office, $4 / 80000.0)
   AND ST_DWithin(ch.geom::geography, u.office::geography, $4)
UNION
-- A bus stop added or removed nearer than the village's nearest stop was.
SELECT u.id FROM units u LEFT JOIN r4 ON r4.village_id = u.id JOIN ch
    ON ch.layer = 'bus_stops'
   AND (r4.value IS NULL OR ST_DWithin(ch.geom::geography, u.office::geography, r4.value + 1))
UNION
-- A road change on the path that explains R1 or R3.
SELECT i.village_id FROM indicator_scores i JOIN ch
    ON ch.layer = 'roads' AND i.geom && ST_Expand(ch.geom, 1e-6) AND ST_DWithin(i.geom, ch.geom, 1e-6)
WHERE i.run_id = $3 AND i.indicator IN ('R1', 'R3')
UNION
-- Any road change in the township of a village without hardened access:
-- new paving anywhere there may connect it.
SELECT i.village_id FROM indicator_scores i
JOIN villages v ON v.id = i.village_id
JOIN townships t ON t.code = v.township_code
JOIN ch ON ch.layer = 'roads' AND t.outline && ch.geom AND ST_Intersects(t.outline, ch.geom)
WHERE i.run_id = $3 AND i.indicator = 'R1' AND i.status <> 'pass'
UNION
-- The villages on a changed 10 kV feeder.
SELECT tr.village_id FROM transformers tr JOIN ch ON ch.feeder = tr.feeder WHERE tr.village_id IS NOT NULL
UNION
-- The villages a changed works supplies through any of its mains.
SELECT u.id FROM units u JOIN ch ON ch.works_id IS NOT NULL
WHERE EXISTS (SELECT 1 FROM water_mains m WHERE m.works_id = ch.works_id
                AND m.geom && ST_Expand(u.office, $5 / 80000.0)
                AND ST_DWithin(m.geom::geography, u.office::geography, $5))
