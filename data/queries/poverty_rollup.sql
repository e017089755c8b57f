-- poverty_rollup: the 建档立卡 register summed by year, per township and
-- for the county (township_code NULL), over the villages with a row for
-- the year. $1 a township's code ('' for all: then the county's total
-- too); $2, $3 the first and last year (0: open).
--
-- A sum leaves unknown figures out (sum ignores NULL; NULL when none is
-- known); the unknown_* counts say how many villages it left out, so that
-- a partial sum is not read as the whole.
WITH r AS (
    SELECT p.*, v.township_code FROM village_poverty p JOIN villages v ON v.id = p.village_id
    WHERE ($1 = '' OR v.township_code = $1) AND ($2 = 0 OR p.year >= $2) AND ($3 = 0 OR p.year <= $3)
)
SELECT r.year, coalesce(r.township_code, ''), coalesce((SELECT t.name FROM townships t WHERE t.code = r.township_code), ''),
       count(*)::int,
       sum(r.poor_households)::int, sum(r.poor_population)::int, sum(r.exited_households)::int, sum(r.exited_population)::int,
       sum(r.returned_households)::int, sum(r.returned_population)::int, sum(r.new_households)::int, sum(r.new_population)::int,
       count(*) FILTER (WHERE r.poor_households IS NULL)::int, count(*) FILTER (WHERE r.poor_population IS NULL)::int,
       count(*) FILTER (WHERE r.exited_households IS NULL)::int, count(*) FILTER (WHERE r.exited_population IS NULL)::int,
       count(*) FILTER (WHERE r.returned_households IS NULL)::int, count(*) FILTER (WHERE r.returned_population IS NULL)::int,
       count(*) FILTER (WHERE r.new_households IS NULL)::int, count(*) FILTER (WHERE r.new_population IS NULL)::int,
       -- villages (of the township, or of the selection) whose 退出年度 is the year
       (SELECT count(*) FROM villages x WHERE x.exit_year = r.year AND x.kind IN ('行政村', '社区')
          AND (x.township_code = r.township_code OR r.township_code IS NULL AND ($1 = '' OR x.township_code = $1)))::int
FROM r
GROUP BY GROUPING SETS ((r.year, r.township_code), (r.year))
HAVING $1 = '' OR GROUPING(r.township_code) = 0
ORDER BY r.year, r.township_code NULLS FIRST
