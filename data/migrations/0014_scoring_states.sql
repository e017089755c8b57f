-- 0014_scoring_states: the inputs of scoring that real data often lacks can
-- now be stored as unknown (NULL), so that an indicator reading them says
-- no_data instead of judging a guess (issue 16).
--
-- A village's 建档立卡 counts were NOT NULL DEFAULT 0: a register without
-- them loaded as "no poor households", and P1/P2 said 无建档立卡贫困户.
-- They are nullable now and have no default; existing zeros stay zeros
-- (nothing tells a real 0 from a defaulted one).
ALTER TABLE villages
    ALTER COLUMN poor_households DROP NOT NULL, ALTER COLUMN poor_households DROP DEFAULT,
    ALTER COLUMN poor_population DROP NOT NULL, ALTER COLUMN poor_population DROP DEFAULT;

-- A road edge is hardened (沥青/水泥), not (砂石/土), or NULL: its road's
-- surface is unknown. R1, R2 and R5 are decided when the answer is the same
-- with every unknown edge counted either way. The graph is rebuilt by the
-- next scoring run (its parameters name the tri-state).
ALTER TABLE road_edges ALTER COLUMN hardened DROP NOT NULL;

-- nearest_open_road_vertex is nearest_road_vertex over the edges that may be
-- hardened: hardened or of unknown surface (the optimistic network of R1).
CREATE FUNCTION nearest_open_road_vertex(p geometry, tol_m double precision)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ST_Distance(p, ST_StartPoint(e.geom)) <= ST_Distance(p, ST_EndPoint(e.geom))
                THEN e.source ELSE e.target END
    FROM road_edges e
    WHERE e.hardened IS NOT FALSE
      AND e.geom && ST_Expand(p, tol_m / 80000.0)
      AND ST_DWithin(e.geom::geography, p::geography, tol_m)
    ORDER BY e.geom <-> p
    LIMIT 1
$$;

-- bus_stops.service: whether buses serve the stop (有无班车), NULL unknown.
-- R4 counts a stop with service, or with routes listed; a stop with neither
-- known has unknown service (domain.md §2: stops "with service flag").
ALTER TABLE bus_stops ADD COLUMN service boolean;
