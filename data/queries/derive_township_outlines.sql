-- derive_township_outlines: for the townships written by source $1, the
-- outline is the Voronoi cell of the seat among all seats of its county,
-- clipped to the county outline. The demo generator places every village
-- inside its own township's cell, so villages fall inside these outlines.
WITH cells AS (
    SELECT t.county_code,
           (ST_Dump(ST_VoronoiPolygons(ST_Collect(t.seat ORDER BY t.code), 0, c.outline))).geom AS cell
    FROM townships t
    JOIN counties c ON c.code = t.county_code
    WHERE t.source_id = $1
    GROUP BY t.county_code, c.outline
)
UPDATE townships t
SET outline = ST_Multi(ST_CollectionExtract(ST_Intersection(cells.cell, c.outline), 3))
FROM cells
JOIN counties c ON c.code = cells.county_code
WHERE t.source_id = $1
  AND t.county_code = cells.county_code
  AND ST_Intersects(cells.cell, t.seat)
