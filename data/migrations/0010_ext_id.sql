-- 0010_ext_id: the identifier a feature has in the file it was imported
-- from (an OSM "way/123", a bureau's 编号 or FID column), so that a later
-- import of the same file can update rows instead of duplicating them
-- (gapmap import --mode upsert). Layers keyed by a statistical code
-- (counties, townships, villages) and projects (项目编号) upsert on that
-- code instead; ext_id is still kept for provenance.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
        'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
        'pv_stations', 'tourism_sites', 'projects']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN ext_id text CONSTRAINT %I CHECK (btrim(ext_id) <> '''')',
                       t, t || '_ext_id_check');
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (ext_id) WHERE ext_id IS NOT NULL', t || '_ext_id_key', t);
    END LOOP;
END $$;

