-- fund_rollup: the 资金台账 totals of the entries that match, grouped by
-- village, township, source, category or year ($1), in cents. A year is an
-- entry's date's year (a reversal keeps its original's date).
-- $1 grouping, $2 year (0: all), $3 source code, $4 township code,
-- $5 village code, $6 category, $7 scoped, $8 categories, $9 townships,
-- $10 villages.
WITH e AS (
    SELECT e.project_id, e.source_code, e.kind, e.amount_wan, extract(year FROM e.entry_date)::int AS y
    FROM fund_entries e
    WHERE ($2 = 0 OR e.entry_date >= make_date($2, 1, 1) AND e.entry_date < make_date($2 + 1, 1, 1))
      AND ($3 = '' OR e.source_code = $3)),
p AS (
    SELECT p.id, p.category, coalesce(p.township_code, '') AS township_code, coalesce(t.name, '') AS township_name,
           coalesce(v.code, '') AS village_code, coalesce(v.name, '') AS village_name
    FROM projects p LEFT JOIN townships t ON t.code = p.township_code LEFT JOIN villages v ON v.id = p.village_id
    WHERE ($4 = '' OR p.township_code = $4) AND ($5 = '' OR v.code = $5) AND ($6 = '' OR p.category = $6)
      AND (NOT $7 OR p.category = ANY ($8) OR p.township_code = ANY ($9) OR v.code = ANY ($10))),
g AS (
    SELECT CASE $1 WHEN 'village' THEN p.village_code WHEN 'township' THEN p.township_code
                   WHEN 'source' THEN e.source_code WHEN 'category' THEN p.category ELSE e.y::text END AS key,
           CASE $1 WHEN 'village' THEN p.village_name WHEN 'township' THEN p.township_name
                   WHEN 'source' THEN s.name WHEN 'category' THEN p.category ELSE e.y::text END AS name,
           CASE $1 WHEN 'source' THEN s.position ELSE 0 END AS position,
           e.project_id, e.kind, e.amount_wan
    FROM e JOIN p ON p.id = e.project_id JOIN fund_sources s ON s.code = e.source_code),
-- The sums are one hash aggregate over few groups; the projects of each
-- group are counted apart, over narrow (key, project) pairs, so that no
-- step sorts the wide rows of every entry.
sums AS (
    SELECT key, name, position,
           (coalesce(sum(amount_wan) FILTER (WHERE kind = '计划'), 0) * 100)::bigint AS planned,
           (coalesce(sum(amount_wan) FILTER (WHERE kind = '下达'), 0) * 100)::bigint AS allocated,
           (coalesce(sum(amount_wan) FILTER (WHERE kind = '到位'), 0) * 100)::bigint AS arrived,
           (coalesce(sum(amount_wan) FILTER (WHERE kind = '拨付'), 0) * 100)::bigint AS paid
    FROM g GROUP BY key, name, position),
n AS (
    SELECT key, count(*)::int AS projects FROM (SELECT DISTINCT key, project_id FROM g) d GROUP BY key)
SELECT sums.key, sums.name, n.projects, sums.planned, sums.allocated, sums.arrived, sums.paid
FROM sums JOIN n ON n.key = sums.key
ORDER BY sums.position, sums.key;
