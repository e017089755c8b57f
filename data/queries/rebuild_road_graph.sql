-- rebuild_road_graph: derive road_vertices and road_edges from roads.
-- $1 graph tolerance in metres, $2 snap tolerance in metres. Roads are split
-- where another road shares a vertex with them or ends on them within the
-- graph tolerance (a T-junction), and where a 村委会 or township seat within
-- the snap tolerance projects onto the nearest road and the nearest hardened
-- road, so that they are graph vertices;
-- crossings without a shared vertex are taken as grade-separated (bridges,
-- expressways), as in OpenStreetMap. Piece end points within the tolerance
-- merge into one vertex (approximately: the tolerance is converted to
-- degrees at 111,320 m/°). The result goes to the temporary table
-- graph_pieces, from which Store.RebuildRoadGraph fills the graph tables.
INSERT INTO graph_pieces (pid, road_id, surface, width_m, geom, source, target, source_pt, target_pt)
WITH pts AS (
    SELECT r.id, (ST_DumpPoints(r.geom)).geom AS pt FROM roads r
),
shared AS (
    SELECT pt FROM pts GROUP BY pt HAVING count(DISTINCT id) > 1
),
ends AS (
    SELECT id, ST_StartPoint(geom) AS pt FROM roads
    UNION ALL
    SELECT id, ST_EndPoint(geom) FROM roads
),
cuts AS (
    SELECT pts.id, pts.pt FROM pts JOIN shared USING (pt)
    UNION
    SELECT b.id, ST_ClosestPoint(b.geom, e.pt)
    FROM ends e
    JOIN roads b ON b.id <> e.id
        AND b.geom && ST_Expand(e.pt, $1 / 80000.0)
        AND ST_DWithin(b.geom::geography, e.pt::geography, $1)
    UNION
    SELECT r.id, ST_ClosestPoint(r.geom, p.pt)
    FROM (SELECT office AS pt FROM villages WHERE kind IN ('行政村', '社区') UNION ALL SELECT seat FROM townships) p
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
),
blades AS (
    SELECT id, ST_Collect(pt) AS blade FROM cuts GROUP BY id
),
pieces AS (
    SELECT r.id AS road_id, r.surface, r.width_m,
           (ST_Dump(CASE WHEN b.blade IS NULL THEN r.geom
                         ELSE ST_Split(ST_Snap(r.geom, b.blade, 1e-9), b.blade) END)).geom AS geom
    FROM roads r LEFT JOIN blades b ON b.id = r.id
),
numbered AS (
    SELECT row_number() OVER (ORDER BY road_id, ST_AsBinary(geom)) AS pid, * FROM pieces WHERE ST_Length(geom) > 0
),
piece_ends AS (
    SELECT pid, 0 AS which, ST_StartPoint(geom) AS pt FROM numbered
    UNION ALL
    SELECT pid, 1, ST_EndPoint(geom) FROM numbered
),
clustered AS (
    SELECT pid, which, pt, ST_ClusterDBSCAN(pt, eps := $1 / 111320.0, minpoints := 1) OVER () AS cid FROM piece_ends
)
SELECT n.pid, n.road_id, n.surface, n.width_m, n.geom, s.cid + 1 AS source, t.cid + 1 AS target, s.pt AS source_pt, t.pt AS target_pt
FROM numbered n
JOIN clustered s ON s.pid = n.pid AND s.which = 0
JOIN clustered t ON t.pid = n.pid AND t.which = 1
