-- Where each 村委会 and each 乡镇驻地 meets the hardened network
-- (domain.md §2 R1: snap to a hardened edge within $1 m): the nearest
-- point of the nearest 沥青/水泥 road segment, and separately of the
-- nearest segment that is hardened or of unknown surface ($2 true), so the
-- oracle can tell "not connected" from "unknown".
WITH points AS (
    SELECT 'office' AS kind, u.id, u.office AS p FROM villages u WHERE u.kind IN ('行政村', '社区')
    UNION ALL
    SELECT 'seat', t.id, t.seat FROM townships t
)
SELECT pt.kind, pt.id, a.road_id, a.seg, ST_LineLocatePoint(a.geom, pt.p), a.dist
FROM points pt
CROSS JOIN LATERAL (
    SELECT r.id AS road_id, s.path[1] AS seg, s.geom, ST_Distance(s.geom::geography, pt.p::geography) AS dist
    FROM roads r
    CROSS JOIN LATERAL ST_DumpSegments(r.geom) s
    WHERE (r.surface IN ('沥青', '水泥') OR ($2 AND r.surface IS NULL))
      AND ST_DWithin(r.geom, pt.p, $1 / 50000.0)
      AND ST_DWithin(s.geom, pt.p, $1 / 50000.0)
      AND ST_DWithin(s.geom::geography, pt.p::geography, $1)
    ORDER BY dist, r.id, s.path[1]
    LIMIT 1
) a
ORDER BY pt.kind, pt.id
