-- Road ends that lie on another road (within $1 m, the graph's end-point
-- tolerance): the end joins each such road at its nearest point. Crossings
-- without a shared vertex are not joined (bridges, expressways). Returns
-- the road and which end, the other road's nearest segment and the
-- fraction along it. (Distances in degrees only pre-filter: $1 / 50000
-- degrees is more than $1 metres up to latitude 60°.)
WITH ends AS (
    SELECT r.id, e.at_end, e.p
    FROM roads r
    CROSS JOIN LATERAL (VALUES (false, ST_StartPoint(r.geom)), (true, ST_EndPoint(r.geom))) AS e (at_end, p)
)
SELECT e.id, e.at_end, o.road_id, o.seg, ST_LineLocatePoint(o.geom, e.p)
FROM ends e
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (r.id) r.id AS road_id, s.path[1] AS seg, s.geom
    FROM roads r
    CROSS JOIN LATERAL ST_DumpSegments(r.geom) s
    WHERE r.id <> e.id
      AND ST_DWithin(r.geom, e.p, $1 / 50000.0)
      AND ST_DWithin(s.geom, e.p, $1 / 50000.0)
      AND ST_DWithin(s.geom::geography, e.p::geography, $1)
    ORDER BY r.id, ST_Distance(s.geom::geography, e.p::geography), s.path[1]
) o
ORDER BY e.id, e.at_end, o.road_id, o.seg
