-- 0003_changes: record what each edit or import touched, so that the road
-- graph updates incrementally and re-scoring touches only the villages a
-- change can affect.

-- layer_changes holds, per changed row, its old and new geometry and the
-- keys through which it reaches villages without distance (the village it
-- belongs to, its feeder, its works).
CREATE TABLE layer_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer      text NOT NULL,
    row_id     bigint NOT NULL,
    geom       geometry(Geometry, 4490),
    village_id bigint,
    feeder     text,
    works_id   bigint,
    township   text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX layer_changes_layer_id_idx ON layer_changes (layer, id);
CREATE INDEX layer_changes_geom_gist ON layer_changes USING gist (geom);

-- record_changes is the body of the statement triggers below: one row per
-- old and per new row, read from the transition tables.
CREATE FUNCTION record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    geom_col text := TG_ARGV[0];
    extra text := coalesce(TG_ARGV[1], 'NULL::bigint, NULL::text, NULL::bigint, NULL::text');
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('INSERT INTO layer_changes (layer, row_id, geom, village_id, feeder, works_id, township)
                        SELECT %L, id, %I, %s FROM old_rows', TG_TABLE_NAME, geom_col, extra);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE format('INSERT INTO layer_changes (layer, row_id, geom, village_id, feeder, works_id, township)
                        SELECT %L, id, %I, %s FROM new_rows', TG_TABLE_NAME, geom_col, extra);
    END IF;
    RETURN NULL;
END $$;

-- Triggers for every layer that scoring reads. The second argument maps a
-- row to (village_id, feeder, works_id, township).
DO $$
DECLARE
    t record;
    op text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('townships',     'seat',   'NULL::bigint, NULL::text, NULL::bigint, code'),
        ('villages',      'office', 'coalesce(parent_id, id), NULL::text, NULL::bigint, township_code'),
        ('roads',         'geom',   NULL),
        ('bus_stops',     'geom',   NULL),
        ('water_works',   'geom',   'NULL::bigint, NULL::text, id, NULL::text'),
        ('water_mains',   'geom',   'NULL::bigint, NULL::text, works_id, NULL::text'),
        ('power_lines',   'geom',   'NULL::bigint, nullif(feeder, ''''), NULL::bigint, NULL::text'),
        ('transformers',  'geom',   'village_id, nullif(feeder, ''''), NULL::bigint, NULL::text'),
        ('pv_stations',   'geom',   'village_id, NULL::text, NULL::bigint, NULL::text'),
        ('tourism_sites', 'geom',   NULL)
    ) AS x (tbl, geom_col, extra)
    LOOP
        FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT
                            EXECUTE FUNCTION record_changes(%L%s)',
                t.tbl || '_changes_' || lower(op), op, t.tbl,
                CASE op WHEN 'INSERT' THEN 'NEW TABLE AS new_rows'
                        WHEN 'UPDATE' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                        ELSE 'OLD TABLE AS old_rows' END,
                t.geom_col, CASE WHEN t.extra IS NULL THEN '' ELSE ', ' || quote_literal(t.extra) END);
        END LOOP;
    END LOOP;
END $$;

-- A run remembers the last change it saw, and which villages it scored
-- afresh (the rest it copied from its base run).
ALTER TABLE scoring_runs
    ADD COLUMN change_watermark bigint NOT NULL DEFAULT 0,
    ADD COLUMN base_run_id bigint REFERENCES scoring_runs (id) ON DELETE SET NULL,
    ADD COLUMN rescored integer NOT NULL DEFAULT 0;

-- The graph remembers the last change it has absorbed and the tolerances
-- it was built with (a change of tolerance needs a full rebuild).
ALTER TABLE road_graph_state
    ADD COLUMN change_watermark bigint NOT NULL DEFAULT 0,
    ADD COLUMN params text NOT NULL DEFAULT '';
