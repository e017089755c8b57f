-- progress_facts: per year ($1 … $2) and township, the projects completed
-- that year (in 已完工, 已验收 or 绩效评价 now; the year of their as-built
-- 完工日期, else of their first move into 已完工 or 已验收), the km of the
-- road projects among them (their quantity in km), and the 拨付 entries of
-- the ledger dated that year (reversals included, as negative amounts), in
-- cents. A project without a township counts under ''.
WITH done AS (
    SELECT p.id, coalesce(p.township_code, '') AS township_code,
           CASE WHEN p.category = '基础设施-道路' AND p.unit = 'km' THEN p.quantity END AS km,
           extract(year FROM coalesce(to_date(nullif(p.as_built ->> 'completed_on', ''), 'YYYY-MM-DD'),
               (SELECT min(t.at)::date FROM project_transitions t
                WHERE t.project_id = p.id AND t.to_status IN ('已完工', '已验收'))))::int AS year
    FROM projects p
    WHERE p.status IN ('已完工', '已验收', '绩效评价')
), built AS (
    SELECT year, township_code, count(*) AS projects, coalesce(sum(km), 0) AS km
    FROM done WHERE year BETWEEN $1 AND $2 GROUP BY year, township_code
), paid AS (
    SELECT extract(year FROM e.entry_date)::int AS year, coalesce(p.township_code, '') AS township_code,
           sum(e.amount_cents) AS cents
    FROM fund_entries e JOIN projects p ON p.id = e.project_id
    WHERE e.kind = '拨付' AND e.entry_date >= make_date($1, 1, 1) AND e.entry_date < make_date($2 + 1, 1, 1)
    GROUP BY 1, 2
)
SELECT coalesce(b.year, m.year), coalesce(b.township_code, m.township_code), coalesce(b.projects, 0)::int,
       coalesce(b.km, 0)::float8, coalesce(m.cents, 0)::bigint
FROM built b FULL JOIN paid m ON m.year = b.year AND m.township_code = b.township_code
ORDER BY 1, 2
