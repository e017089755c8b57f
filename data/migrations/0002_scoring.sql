-- 0002_scoring: data versions, the routable road graph, and scoring runs.

-- layer_versions counts changes per layer. A statement-level trigger bumps a
-- layer's version on any write, so a scoring run can record the data it saw
-- and tiles can key caches on it.
CREATE TABLE layer_versions (
    layer      text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO layer_versions (layer, version, updated_at) VALUES (TG_TABLE_NAME, 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = layer_versions.version + 1, updated_at = now();
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
        'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
        'pv_stations', 'tourism_sites', 'projects']
    LOOP
        INSERT INTO layer_versions (layer) VALUES (t);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version()', t || '_version', t);
    END LOOP;
END $$;

-- road_vertices and road_edges are the routable graph derived from roads:
-- roads split where they meet, end points within the graph tolerance merged
-- into one vertex. Rebuilt from roads by Store.RebuildRoadGraph.
CREATE TABLE road_vertices (
    id   bigint PRIMARY KEY,
    geom geometry(Point, 4490) NOT NULL
);
CREATE INDEX road_vertices_geom_gist ON road_vertices USING gist (geom);

CREATE TABLE road_edges (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    road_id   bigint NOT NULL REFERENCES roads (id) ON DELETE CASCADE,
    source    bigint NOT NULL REFERENCES road_vertices (id),
    target    bigint NOT NULL REFERENCES road_vertices (id),
    length_m  double precision NOT NULL CONSTRAINT road_edges_length_m_check CHECK (length_m >= 0),
    hardened  boolean NOT NULL,                      -- 沥青 or 水泥
    width_m   double precision,
    geom      geometry(LineString, 4490) NOT NULL
);
CREATE INDEX road_edges_geom_gist ON road_edges USING gist (geom);
CREATE INDEX road_edges_road_id_idx ON road_edges (road_id);
CREATE INDEX road_edges_hardened_geom_gist ON road_edges USING gist (geom) WHERE hardened;

-- road_graph_state records what the graph was built from: the versions of
-- roads, villages and townships (村委会 and seats are graph nodes) and the
-- snap tolerance.
CREATE TABLE road_graph_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    built_from text NOT NULL,
    built_at   timestamptz NOT NULL DEFAULT now()
);

-- A scoring run is data: its profile, the data it saw, and every judgement.
CREATE TABLE scoring_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile       jsonb NOT NULL,
    profile_name  text NOT NULL DEFAULT '',
    profile_hash  text NOT NULL,
    as_of         date NOT NULL,                     -- reference date for test ages
    data_version  jsonb NOT NULL,                    -- layer_versions at the start
    status        text NOT NULL DEFAULT 'running' CONSTRAINT scoring_runs_status_check CHECK (status IN ('running', 'done', 'failed')),
    villages      integer NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

CREATE TABLE village_scores (
    run_id         bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
    village_id     bigint NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
    composite      double precision,
    gap_road       double precision,
    gap_water      double precision,
    gap_grid       double precision,
    gap_pv         double precision,
    missing_weight double precision NOT NULL,
    score          jsonb NOT NULL,                   -- the whole planning.VillageScore
    PRIMARY KEY (run_id, village_id)
);

CREATE TABLE indicator_scores (
    run_id           bigint NOT NULL,
    village_id       bigint NOT NULL,
    indicator        text NOT NULL,
    dimension        text NOT NULL,
    value            double precision,
    unit             text NOT NULL,
    threshold        double precision NOT NULL,
    threshold_source text NOT NULL,
    score            double precision,
    status           text NOT NULL CONSTRAINT indicator_scores_status_check CHECK (status IN ('pass', 'fail', 'no_data', 'not_applicable')),
    weight           double precision NOT NULL,
    veto             boolean NOT NULL,
    note             text NOT NULL,
    geom             geometry(Geometry, 4490),
    PRIMARY KEY (run_id, village_id, indicator),
    FOREIGN KEY (run_id, village_id) REFERENCES village_scores (run_id, village_id) ON DELETE CASCADE
);
CREATE INDEX indicator_scores_geom_gist ON indicator_scores USING gist (geom);

-- nearest_road_vertex returns the graph vertex nearest to p along the
-- nearest edge within tol_m metres (only hardened edges if asked), or NULL.
CREATE FUNCTION nearest_road_vertex(p geometry, tol_m double precision, hardened_only boolean)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ST_Distance(p, ST_StartPoint(e.geom)) <= ST_Distance(p, ST_EndPoint(e.geom))
                THEN e.source ELSE e.target END
    FROM road_edges e
    WHERE (e.hardened OR NOT hardened_only)
      AND e.geom && ST_Expand(p, tol_m / 80000.0)
      AND ST_DWithin(e.geom::geography, p::geography, tol_m)
    ORDER BY e.geom <-> p
    LIMIT 1
$$;
