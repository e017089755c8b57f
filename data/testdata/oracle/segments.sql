-- Every straight segment of every road, in order along the road, with its
-- length on the ellipsoid: the raw material of the oracle's own road graph.
-- hardened is NULL where the surface is unknown.
SELECT r.id, s.path[1] AS seg,
       CASE WHEN r.surface IS NULL THEN NULL ELSE r.surface IN ('沥青', '水泥') END AS hardened,
       r.width_m,
       ST_X(ST_StartPoint(s.geom)), ST_Y(ST_StartPoint(s.geom)),
       ST_X(ST_EndPoint(s.geom)), ST_Y(ST_EndPoint(s.geom)),
       ST_Length(s.geom::geography)
FROM roads r
CROSS JOIN LATERAL ST_DumpSegments(r.geom) s
ORDER BY r.id, s.path[1]
