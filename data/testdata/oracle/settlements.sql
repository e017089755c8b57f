-- oracle_settlements: where each village unit's people live, as points
-- (domain.md §1: 自然村/村民组 are points carrying 户数 and 人口). Every
-- 自然村/村民组 stands at its own point; the households and people of the
-- unit that no 自然村 holds live at the 村委会. A NULL count anywhere leaves
-- the office's share unknown (NULL), never zero.
CREATE TEMP TABLE oracle_settlements AS
WITH groups AS (
    SELECT parent_id, sum(households) AS households, sum(population) AS population,
           bool_or(households IS NULL) AS households_unknown, bool_or(population IS NULL) AS population_unknown
    FROM villages
    WHERE parent_id IS NOT NULL
    GROUP BY parent_id
)
SELECT g.id AS settlement_id, g.parent_id AS unit_id, false AS at_office, g.households, g.population, g.office AS geom
FROM villages g
JOIN villages u ON u.id = g.parent_id AND u.kind IN ('行政村', '社区')
UNION ALL
SELECT u.id, u.id, true,
       CASE WHEN gr.households_unknown THEN NULL ELSE greatest(u.households - coalesce(gr.households, 0), 0) END,
       CASE WHEN gr.population_unknown THEN NULL ELSE greatest(u.population - coalesce(gr.population, 0), 0) END,
       u.office
FROM villages u
LEFT JOIN groups gr ON gr.parent_id = u.id
WHERE u.kind IN ('行政村', '社区')
