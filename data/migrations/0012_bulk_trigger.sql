-- 0012_bulk_trigger: a bulk import now switches the per-row change trigger
-- off for its own transaction (ALTER TABLE … DISABLE TRIGGER, see
-- data/importdirect.go beginBulk) and records its changes per cell. The
-- gapmap.bulk_changes setting of 0011 only made the trigger return early,
-- after PostgreSQL had already kept every inserted row in the statement's
-- transition table (11 s of a million-road import); record_changes is
-- back to its 0003 body.
CREATE OR REPLACE FUNCTION record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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
