-- road_cover: the roads a completed project's path runs along, each with
-- the fractions [a, b] of its length between which the path covers it and
-- its length in metres (completion.split splits a road there).
-- $1 project id, $2 tolerance in degrees (how near the path a road counts
-- as under it), $3 shortest covered piece in degrees (a road crossing the
-- path is not under it), $4 paving: roads not yet hardened (else widening:
-- roads narrower than $5 m or of unknown width). Flat end caps: a road
-- running on past the path's end is covered up to the end, not 1 m beyond.
WITH path AS (
    SELECT ST_Buffer(ST_CollectionExtract(geom, 2), $2, 'endcap=flat') AS zone FROM projects WHERE id = $1 AND geom IS NOT NULL
), piece AS (
    SELECT r.id, ST_LineLocatePoint(r.geom, ST_StartPoint(d.geom)) AS f1, ST_LineLocatePoint(r.geom, ST_EndPoint(d.geom)) AS f2
    FROM path
    JOIN roads r ON r.geom && path.zone AND ST_Intersects(r.geom, path.zone)
    CROSS JOIN LATERAL ST_Dump(ST_Intersection(r.geom, path.zone)) d
    WHERE GeometryType(d.geom) = 'LINESTRING' AND ST_Length(d.geom) >= $3
      AND CASE WHEN $4 THEN r.surface IS NULL OR r.surface NOT IN ('沥青', '水泥')
               ELSE r.width_m IS NULL OR r.width_m < $5 END
)
SELECT p.id, min(least(p.f1, p.f2)), max(greatest(p.f1, p.f2)),
       (SELECT ST_Length(r.geom::geography) FROM roads r WHERE r.id = p.id)
FROM piece p
GROUP BY p.id
ORDER BY p.id
