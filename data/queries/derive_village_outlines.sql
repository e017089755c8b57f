-- derive_village_outlines: for the 行政村/社区 written by source $1, the
-- outline is the Voronoi cell of the 村委会 among the offices of its township,
-- clipped to the township outline.
WITH cells AS (
    SELECT v.township_code,
           (ST_Dump(ST_VoronoiPolygons(ST_Collect(v.office ORDER BY v.code), 0, t.outline))).geom AS cell
    FROM villages v
    JOIN townships t ON t.code = v.township_code
    WHERE v.source_id = $1 AND v.kind IN ('行政村', '社区')
    GROUP BY v.township_code, t.outline
)
UPDATE villages v
SET outline = ST_Multi(ST_CollectionExtract(ST_Intersection(cells.cell, t.outline), 3))
FROM cells
JOIN townships t ON t.code = cells.township_code
WHERE v.source_id = $1
  AND v.kind IN ('行政村', '社区')
  AND v.township_code = cells.township_code
  AND ST_Intersects(cells.cell, v.office)
