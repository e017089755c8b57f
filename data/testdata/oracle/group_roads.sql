-- R2 (domain.md §2): the 自然村/村民组 of each unit with their 户数, and the
-- roads that are hardened or of unknown surface within $1 m of each
-- (group_network_radius_m). Whether such a road is on the R1-connected
-- network is the graph's question, answered in Go. A group with no road
-- in reach has one row with a NULL road.
SELECT g.parent_id, g.id, g.households, r.id
FROM villages g
JOIN villages u ON u.id = g.parent_id AND u.kind IN ('行政村', '社区')
LEFT JOIN roads r ON (r.surface IN ('沥青', '水泥') OR r.surface IS NULL)
    AND ST_DWithin(r.geom, g.office, $1 / 50000.0)
    AND ST_DWithin(r.geom::geography, g.office::geography, $1)
ORDER BY g.parent_id, g.id, r.id
