-- 0018_stale_network: indexes for the network-wide rules of re-scoring
-- (data/queries/stale_villages.sql, data/stale.go).

-- Walking the road graph from a changed road, one vertex at a time, to
-- find the components whose membership a change can alter: the hardened
-- network and the open one (hardened or of unknown surface) both, so the
-- indexes are not partial (a partial one on hardened left the open walk a
-- scan of every edge per step: 80 s at province scale).
CREATE INDEX road_edges_source_idx ON road_edges (source);
CREATE INDEX road_edges_target_idx ON road_edges (target);

-- A village's shortest hardened path (R3's geometry, length L from near the
-- seat to near the 村委会) can only be shortened by a road inside the
-- ellipse d(q, seat) + d(q, 村委会) ≤ L + slack, whose points are within
-- L/2 + slack of the path. In degrees that is at most 0.7 × the path's
-- planar length in degrees (a metre is at least 1/111,320 of a degree, and
-- 80,000 m/° is the conversion used everywhere for index boxes) plus 0.01°
-- (800 m) for the slack; the query adds any slack beyond that.
CREATE INDEX indicator_scores_r3_reach_gist ON indicator_scores
    USING gist (ST_Expand(geom, 0.7 * ST_Length(geom) + 0.01)) WHERE indicator = 'R3' AND geom IS NOT NULL;
