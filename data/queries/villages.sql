-- villages: 行政村/社区 units matching the filter, in code order, newest code
-- year first. $1 township code or name ('' = all), $2 poor only,
-- $3 village code ('' = all), $4 limit, $5 offset.
SELECT v.id, coalesce(v.code, ''), v.code_year, v.name, v.township_code, t.name, v.kind,
       ST_AsBinary(v.office), ST_AsBinary(v.outline), v.office IS NOT NULL, v.location_source,
       v.households, v.population, v.is_poor_village, v.poor_households, v.poor_population, v.exit_year
FROM villages v
JOIN townships t ON t.code = v.township_code
WHERE v.kind IN ('行政村', '社区')
  AND ($1 = '' OR t.code = $1 OR t.name = $1)
  AND (NOT $2 OR v.is_poor_village)
  AND ($3 = '' OR v.code = $3)
ORDER BY v.code, v.code_year DESC
LIMIT $4 OFFSET $5
