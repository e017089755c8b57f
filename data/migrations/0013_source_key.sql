-- 0013_source_key: a feature's ext_id is unique within its source, not
-- across every file ever imported. Two ArcGIS exports both number their
-- features OBJECTID 1..n; keyed on ext_id alone the second was refused as
-- existing, and an upsert would have replaced the first file's features
-- with the second's. source_key names the dataset the ids belong to:
-- `gapmap import --source NAME`, by default the file's name without its
-- extension ("道路.shp" and "道路.zip" are the dataset 道路), and "osm" for
-- OpenStreetMap, whose ids ("osm:way/123") are global.
--
-- Layers keyed by ext_id (roads, bridges, bus stops, reservoirs, water
-- works and mains, substations, power lines, transformers, PV stations,
-- tourism sites) are now unique on (source_key, ext_id). Layers keyed by a
-- statistical code or 项目编号 (counties, townships, villages, projects)
-- keep ext_id for provenance only and lose its unique index: two files
-- with the same OBJECTIDs describe different villages there, told apart
-- by their codes.
--
-- Existing rows with an ext_id get the source key a new import of the same
-- file computes (data/ingest DefaultSource, from the provenance row's file
-- name), so that re-importing it with --mode upsert still updates them.
-- The triggers are off for that update: nothing about the features
-- changes, so no village is stale and no tile version moves.
--
-- Satellite-extracted roads carry no grade, and power lines (in OSM,
-- mostly) no voltage: both columns may now be NULL, "unknown", rather than
-- a value invented to pass NOT NULL.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
        'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
        'pv_stations', 'tourism_sites', 'projects']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN source_key text', t);
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t);
        EXECUTE format($q$
            UPDATE %I x SET source_key = CASE WHEN x.ext_id LIKE 'osm:%%' THEN 'osm'
                ELSE coalesce(nullif(btrim(regexp_replace(regexp_replace(s.name, '\.[^.]*$', ''), '\.shp$', '', 'i')), ''), btrim(s.name)) END
            FROM sources s WHERE s.id = x.source_id AND x.ext_id IS NOT NULL$q$, t);
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t);
        EXECUTE format($q$ALTER TABLE %I ADD CONSTRAINT %I
            CHECK (CASE WHEN source_key IS NULL THEN ext_id IS NULL ELSE btrim(source_key) <> '' END)$q$, t, t || '_source_key_check');
        EXECUTE format('DROP INDEX %I', t || '_ext_id_key');
        IF t NOT IN ('counties', 'townships', 'villages', 'projects') THEN
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I (source_key, ext_id) WHERE ext_id IS NOT NULL', t || '_ext_id_key', t);
        END IF;
    END LOOP;
END $$;

ALTER TABLE roads ALTER COLUMN grade DROP NOT NULL;
ALTER TABLE power_lines ALTER COLUMN voltage_kv DROP NOT NULL;
