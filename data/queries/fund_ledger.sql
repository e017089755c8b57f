-- fund_ledger: the 资金台账 table, one row per project that has entries and
-- matches, with its sources and their totals by kind in cents as parallel
-- arrays (one row per project, not per project and source: the table of a
-- province is 35,000 rows to scan, not 200,000). The filters are
-- fund_rollup.sql's, without the grouping.
WITH e AS (
    SELECT e.project_id, e.source_code,
           coalesce(sum(e.amount_cents) FILTER (WHERE e.kind = '计划'), 0)::bigint AS planned,
           coalesce(sum(e.amount_cents) FILTER (WHERE e.kind = '下达'), 0)::bigint AS allocated,
           coalesce(sum(e.amount_cents) FILTER (WHERE e.kind = '到位'), 0)::bigint AS arrived,
           coalesce(sum(e.amount_cents) FILTER (WHERE e.kind = '拨付'), 0)::bigint AS paid
    FROM fund_entries e
    WHERE ($1 = 0 OR e.entry_date >= make_date($1, 1, 1) AND e.entry_date < make_date($1 + 1, 1, 1))
      AND ($2 = '' OR e.source_code = $2)
    GROUP BY e.project_id, e.source_code),
a AS (
    SELECT project_id, array_agg(source_code) AS sources, array_agg(planned) AS planned, array_agg(allocated) AS allocated,
           array_agg(arrived) AS arrived, array_agg(paid) AS paid
    FROM e GROUP BY project_id)
SELECT p.id, coalesce(p.code, ''), p.name, p.category, p.status, coalesce(p.year, 0),
       coalesce(p.township_code, ''), coalesce(t.name, ''), coalesce(v.code, ''), coalesce(v.name, ''),
       p.cost_wan::float8, a.sources, a.planned, a.allocated, a.arrived, a.paid
FROM a JOIN projects p ON p.id = a.project_id
LEFT JOIN townships t ON t.code = p.township_code LEFT JOIN villages v ON v.id = p.village_id
WHERE ($3 = '' OR p.township_code = $3) AND ($4 = '' OR v.code = $4) AND ($5 = '' OR p.category = $5)
  AND (NOT $6 OR p.category = ANY ($7) OR p.township_code = ANY ($8) OR v.code = ANY ($9))
ORDER BY p.township_code NULLS LAST, p.category, p.code, p.id;
