-- P1 and P2 (domain.md §5) per village unit: the kW of 村级 and 户用
-- stations and of 集中式 plants attributed to it (pv_stations.village_id).
SELECT u.id,
       coalesce(sum(p.kw) FILTER (WHERE p.type IN ('村级', '户用')), 0),
       coalesce(sum(p.kw) FILTER (WHERE p.type = '集中式'), 0)
FROM villages u
LEFT JOIN pv_stations p ON p.village_id = u.id
WHERE u.kind IN ('行政村', '社区')
GROUP BY u.id
ORDER BY u.id
