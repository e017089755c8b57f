-- The village units (行政村/社区) with their township, counts and how many
-- 自然村/村民组 they have.
SELECT u.id, u.code, t.id, u.households, u.population, u.poor_households,
       (SELECT count(*) FROM villages g WHERE g.parent_id = u.id)
FROM villages u
JOIN townships t ON t.code = u.township_code
WHERE u.kind IN ('行政村', '社区')
ORDER BY u.id
