-- 0026_project_completion: a completed project writes itself into the
-- layers (issue 19 item 1, data/completion.go): the rows it builds or
-- changes take a source of kind 'project' linked to the project, and every
-- row it writes keeps its pre-image here, so that withdrawing completion
-- restores the rows exactly.

ALTER TABLE sources DROP CONSTRAINT sources_kind_check,
    ADD CONSTRAINT sources_kind_check CHECK (kind IN ('generator', 'import', 'manual', 'project')),
    ADD COLUMN project_id bigint REFERENCES projects (id) ON DELETE SET NULL
        CONSTRAINT sources_project_id_check CHECK (project_id IS NULL OR kind = 'project');
CREATE UNIQUE INDEX sources_project_id_key ON sources (project_id) WHERE project_id IS NOT NULL;

-- as_built: the bureau's corrections of what was actually built (实际长度,
-- 实际容量 …), keyed as data/completion.go's asBuiltKeys; read when the
-- project is written into the layers.
ALTER TABLE projects ADD COLUMN as_built jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT projects_as_built_check CHECK (jsonb_typeof(as_built) = 'object');

-- What a 净化消毒 project installs at a works, and whom a PV station's
-- income goes to: NULL unknown.
ALTER TABLE water_works ADD COLUMN treatment text CONSTRAINT water_works_treatment_check CHECK (btrim(treatment) <> '');
ALTER TABLE pv_stations ADD COLUMN beneficiary_households integer
    CONSTRAINT pv_stations_beneficiary_households_check CHECK (beneficiary_households >= 0);
-- The layers' history tables (0025) keep every column of their layer.
ALTER TABLE water_works_history ADD COLUMN treatment text;
ALTER TABLE pv_stations_history ADD COLUMN beneficiary_households integer;

-- project_layer_writes: one row per layer row a completed project wrote:
-- inserted (old_row NULL) or updated (old_row is the row as it was, in the
-- row type's text form, which casts back to the row exactly — a jsonb copy
-- would round geometries through GeoJSON). new_hash is md5 of the row as
-- written: undo refuses when a later change made the row differ from it.
CREATE TABLE project_layer_writes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    layer        text NOT NULL CONSTRAINT project_layer_writes_layer_check CHECK (layer IN (
                     'roads', 'bridges', 'bus_stops', 'water_works', 'water_mains', 'power_lines', 'transformers', 'pv_stations')),
    row_id       bigint NOT NULL,
    op           text NOT NULL CONSTRAINT project_layer_writes_op_check CHECK (op IN ('insert', 'update')),
    old_row      text CONSTRAINT project_layer_writes_old_row_check CHECK ((old_row IS NULL) = (op = 'insert')),
    new_hash     text NOT NULL DEFAULT '',
    completed_on date NOT NULL,
    written_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, layer, row_id)
);

-- Restoring a pre-image restores its updated_at too: the touch trigger
-- leaves a row alone while gapmap.restoring is on (set locally by undo).
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gapmap.restoring', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
