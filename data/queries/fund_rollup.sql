-- fund_rollup: the 资金台账 totals of the entries that match, grouped by
-- village, township, source, category or year ($1), in cents. A year is an
-- entry's date's year (a reversal keeps its original's date).
-- $1 grouping, $2 year (0: all), $3 source code, $4 township code,
-- $5 village code, $6 category, $7 scoped, $8 categories, $9 townships,
-- $10 villages.
--
-- One pass over the entries groups them by (group, project) with integer
-- sums; the second counts each group's projects and adds their sums; the
-- names are looked up for the few groups that result. Nothing wide is
-- carried or sorted per entry: a province's 200,000 entries take one hash
-- aggregate.
WITH gp AS (
    SELECT CASE $1 WHEN 'village' THEN coalesce(v.code, '') WHEN 'township' THEN coalesce(p.township_code, '')
                   WHEN 'source' THEN e.source_code WHEN 'category' THEN p.category
                   ELSE date_part('year', e.entry_date)::int::text END AS key,
           e.project_id,
           sum(e.amount_cents) FILTER (WHERE e.kind = '计划') AS planned,
           sum(e.amount_cents) FILTER (WHERE e.kind = '下达') AS allocated,
           sum(e.amount_cents) FILTER (WHERE e.kind = '到位') AS arrived,
           sum(e.amount_cents) FILTER (WHERE e.kind = '拨付') AS paid
    FROM fund_entries e JOIN projects p ON p.id = e.project_id LEFT JOIN villages v ON v.id = p.village_id
    WHERE ($2 = 0 OR e.entry_date >= make_date($2, 1, 1) AND e.entry_date < make_date($2 + 1, 1, 1))
      AND ($3 = '' OR e.source_code = $3)
      AND ($4 = '' OR p.township_code = $4) AND ($5 = '' OR v.code = $5) AND ($6 = '' OR p.category = $6)
      AND (NOT $7 OR p.category = ANY ($8) OR p.township_code = ANY ($9) OR v.code = ANY ($10))
    GROUP BY 1, 2),
k AS (
    SELECT key, count(*)::int AS projects,
           coalesce(sum(planned), 0)::bigint AS planned, coalesce(sum(allocated), 0)::bigint AS allocated,
           coalesce(sum(arrived), 0)::bigint AS arrived, coalesce(sum(paid), 0)::bigint AS paid
    FROM gp GROUP BY key)
SELECT k.key,
       coalesce(CASE $1 WHEN 'village' THEN (SELECT v.name FROM villages v WHERE v.code = k.key ORDER BY v.code_year DESC LIMIT 1)
                        WHEN 'township' THEN (SELECT t.name FROM townships t WHERE t.code = k.key)
                        WHEN 'source' THEN (SELECT s.name FROM fund_sources s WHERE s.code = k.key)
                        ELSE k.key END, ''),
       k.projects, k.planned, k.allocated, k.arrived, k.paid
FROM k
ORDER BY CASE $1 WHEN 'source' THEN (SELECT s.position FROM fund_sources s WHERE s.code = k.key) ELSE 0 END, k.key;
