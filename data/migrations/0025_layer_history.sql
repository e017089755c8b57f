-- 0025_layer_history: layers keep their history (issue 19, item 2), in
-- valid time: when a change took effect in the county, not when it was
-- typed in. A project completed on 2018-06-30 and recorded today changes the
-- road as of 2018-06-30.
--
-- Every layer row carries valid_from, the effective time of the write that
-- made it as it is. UPDATE and DELETE move the old row to <table>_history
-- (the same columns, plus valid_to = the change's effective time), so the
-- county as of any instant T is
--
--     rows of <table> with valid_from < T
--     ∪ rows of <table>_history with valid_from < T <= valid_to
--
-- (data/history.go materialises it per date; see data/queries/snapshot_layer.sql).
--
-- The effective time of a change is the setting gapmap.valid_from when the
-- transaction set it (SET LOCAL, a timestamptz text: imports' 数据日期,
-- project completion dates, the demo's and county init's baseline), else
-- now(). A change that takes effect before the row it changes began
-- (backdated past its valid_from) is refused: the history of a row is a
-- sequence of versions, never rewritten.
--
-- TRUNCATE keeps no history (gapmap never truncates a layer; tests do).
--
-- A later migration that adds a column to a layer adds it to the layer's
-- history table too (the trigger copies columns by name, and fails loudly
-- when one is missing).
--
-- postgresql-15-periods (SQL:2011 SYSTEM VERSIONING) is not used: it keeps
-- system time (when the row was written) only, and gapmap needs valid time
-- set per transaction; it is also one more extension for every installation.

CREATE FUNCTION layer_effective_time() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    -- After a SET LOCAL ends, the setting reads '' in the same session.
    SELECT coalesce(nullif(current_setting('gapmap.valid_from', true), '')::timestamptz, now())
$$;

-- layer_valid_from stamps an updated row with the change's effective time,
-- refusing a change dated before the version it replaces.
CREATE FUNCTION layer_valid_from() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    eff timestamptz := layer_effective_time();
BEGIN
    IF eff < OLD.valid_from THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = format('%s 第 %s 条记录的变更日期 %s 早于其现有版本的起始日期 %s：历史不能倒填，请按日期先后录入变更',
                             TG_TABLE_NAME, OLD.id, to_char(eff, 'YYYY-MM-DD'), to_char(OLD.valid_from, 'YYYY-MM-DD'));
    END IF;
    NEW.valid_from := eff;
    RETURN NEW;
END $$;

-- layer_keep_history copies the old rows of an UPDATE or DELETE statement
-- into the layer's history table, closing them at the effective time.
CREATE FUNCTION layer_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    eff timestamptz := layer_effective_time();
    cols text;
    bad record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT o.id, o.valid_from INTO bad FROM old_rows o WHERE o.valid_from > eff LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = format('%s 第 %s 条记录的删除日期 %s 早于其现有版本的起始日期 %s：历史不能倒填，请按日期先后录入变更',
                                 TG_TABLE_NAME, bad.id, to_char(eff, 'YYYY-MM-DD'), to_char(bad.valid_from, 'YYYY-MM-DD'));
        END IF;
    END IF;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('INSERT INTO %I.%I (%s, valid_to) SELECT %s, $1 FROM old_rows',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME || '_history', cols, cols) USING eff;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
        'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
        'pv_stations', 'tourism_sites']
    LOOP
        -- Rows loaded before history was kept are taken as valid since ever.
        EXECUTE format('ALTER TABLE %I ADD COLUMN valid_from timestamptz NOT NULL DEFAULT ''-infinity''', t);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN valid_from SET DEFAULT layer_effective_time()', t);
        -- Plain columns: no identity, defaults, constraints or generated
        -- expressions; the rows are copies.
        EXECUTE format('CREATE TABLE %I (LIKE %I, valid_to timestamptz NOT NULL)', t || '_history', t);
        EXECUTE format('CREATE INDEX %I ON %I (valid_to, valid_from)', t || '_history_valid_idx', t || '_history');
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION layer_valid_from()',
                       t || '_valid_from', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION layer_keep_history()', t || '_history_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION layer_keep_history()', t || '_history_delete', t);
    END LOOP;
END $$;

-- A scoring run records which date's layers it describes: NULL for the
-- layers as they are, else the date of the snapshot it read (gapmap score
-- --as-of before today). Only runs of the present layers are bases of
-- incremental runs.
ALTER TABLE scoring_runs ADD COLUMN layers_as_of date;

-- layer_snapshots lists the schemas that hold the county as of a date
-- (data/history.go), for reuse while the data version is the same and for
-- dropping stale ones.
CREATE TABLE layer_snapshots (
    schema_name  text PRIMARY KEY,
    as_of        date NOT NULL,
    data_version text NOT NULL,
    built_at     timestamptz NOT NULL DEFAULT now(),
    used_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (as_of, data_version)
);
