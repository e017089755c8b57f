-- 0011_bulk_changes: a bulk import of roads, bus stops or tourism sites
-- records its changes as a few collected geometries per 0.05° cell
-- instead of one row per feature (see data/importcheck.go). Re-scoring
-- and the road graph reach villages and roads by distance from a change's
-- geometry, and the distance to a collection is the distance to its
-- nearest member, so the villages found stale are the same; a million
-- per-row copies of the geometry, with their GiST entries, are not
-- written. The importer sets gapmap.bulk_changes for its own statement
-- only, inside its transaction.
CREATE OR REPLACE FUNCTION record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    geom_col text := TG_ARGV[0];
    extra text := coalesce(TG_ARGV[1], 'NULL::bigint, NULL::text, NULL::bigint, NULL::text');
BEGIN
    IF current_setting('gapmap.bulk_changes', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
