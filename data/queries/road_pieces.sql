-- road_pieces: split roads into graph edges, into the temporary table
-- graph_pieces. $1 graph tolerance m, $2 snap tolerance m, $3 the ids of the
-- roads to split (NULL: every road).
--
-- A road is split where another road shares a vertex with it or ends on it
-- within the graph tolerance (a T-junction), and where a 村委会 or township
-- seat within the snap tolerance projects onto it as the nearest road or
-- the nearest hardened road, so that they are graph vertices. Crossings
-- without a shared vertex are taken as grade-separated (bridges,
-- expressways), as in OpenStreetMap. Tolerances are converted to degrees at
-- about 80,000 m/° for index filters, then checked on the ellipsoid.
INSERT INTO graph_pieces (road_id, surface, width_m, geom)
WITH target AS (
    SELECT r.* FROM roads r WHERE $3::bigint[] IS NULL OR r.id = ANY ($3)
),
area AS (
    -- Only roads near the targets can cut them.
    SELECT ST_Expand(ST_Extent(geom), greatest($1::float8, $2::float8) / 80000.0) AS box FROM target
),
near AS (
    SELECT r.* FROM roads r, area WHERE $3::bigint[] IS NULL OR r.geom && area.box
),
-- Points are matched by their coordinates, which hash; every join to all
-- roads goes through the roads table and its index, never through a CTE.
pts AS (
    SELECT n.id, ST_X(d.geom) AS x, ST_Y(d.geom) AS y, d.geom AS pt
    FROM near n, ST_DumpPoints(n.geom) d
),
shared AS (
    SELECT x, y FROM pts GROUP BY x, y HAVING count(DISTINCT id) > 1
),
cuts AS (
    SELECT pts.id, pts.pt FROM pts JOIN shared USING (x, y)
    WHERE $3::bigint[] IS NULL OR pts.id = ANY ($3)
    UNION
    SELECT b.id, ST_ClosestPoint(b.geom, e.pt)
    FROM (SELECT id, ST_StartPoint(geom) AS pt FROM near
          UNION ALL
          SELECT id, ST_EndPoint(geom) FROM near) e
    JOIN roads b ON b.id <> e.id
        AND b.geom && ST_Expand(e.pt, $1 / 80000.0)
        AND ST_DWithin(b.geom::geography, e.pt::geography, $1)
    WHERE ($3::bigint[] IS NULL OR b.id = ANY ($3))
      -- A shared end point is already a cut above.
      AND NOT (ST_StartPoint(b.geom) ~= e.pt OR ST_EndPoint(b.geom) ~= e.pt)
    UNION
    SELECT r.id, ST_ClosestPoint(r.geom, p.pt)
    FROM (SELECT office AS pt FROM villages WHERE kind IN ('行政村', '社区')
          UNION ALL SELECT seat FROM townships) p
    CROSS JOIN area
    CROSS JOIN LATERAL (
        (SELECT id, geom FROM roads
         WHERE geom && ST_Expand(p.pt, $2 / 80000.0) AND ST_DWithin(geom::geography, p.pt::geography, $2)
         ORDER BY geom <-> p.pt LIMIT 1)
        UNION
        (SELECT id, geom FROM roads
         WHERE surface IN ('沥青', '水泥')
           AND geom && ST_Expand(p.pt, $2 / 80000.0) AND ST_DWithin(geom::geography, p.pt::geography, $2)
         ORDER BY geom <-> p.pt LIMIT 1)
    ) r
    WHERE ($3::bigint[] IS NULL OR (p.pt && area.box AND r.id = ANY ($3)))
),
blades AS (
    SELECT id, ST_Collect(pt) AS blade FROM cuts GROUP BY id
),
pieces AS (
    SELECT t.id AS road_id, t.surface, t.width_m,
           (ST_Dump(CASE WHEN b.blade IS NULL THEN t.geom
                         ELSE ST_Split(ST_Snap(t.geom, b.blade, 1e-9), b.blade) END)).geom AS geom
    FROM target t LEFT JOIN blades b ON b.id = t.id
)
SELECT road_id, surface, width_m, geom FROM pieces WHERE ST_Length(geom) > 0
ORDER BY road_id, ST_AsBinary(geom)
