-- 0027_tile_changes: where each write changed the map, so that a tile
-- server drops only the cached tiles a write touched (issue 22).
--
-- Every statement that writes a tile layer's table records, under the
-- version it moved the table to, the boxes (SRID 4490 degrees) of the
-- geometry columns its tiles select rows by, for the old and the new rows,
-- and one row without a box, so that every version of the table has a
-- record. A version without one (TRUNCATE, a bulk load that switched the
-- trigger off, a table without the trigger, a log pruned past it) tells
-- the server that the write is unknown: it drops every tile of the table.
-- Versions are ordered by commit (the bump holds the layer_versions row
-- lock until commit), so "the records of versions a < v <= b" is a complete
-- answer once version b is visible, which change ids are not.
CREATE TABLE tile_changes (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer   text NOT NULL,
    version bigint NOT NULL,
    west    double precision,
    south   double precision,
    east    double precision,
    north   double precision
);
CREATE INDEX tile_changes_layer_version_idx ON tile_changes (layer, version);

-- record_tile_changes(columns) runs after the statement's version bump:
-- triggers of one event fire in name order, and <table>_version sorts
-- before <table>_version_tiles_<op>. Up to 256 geometries keep a box each;
-- a larger statement records one box per 0.05° cell (a few tiles at z14),
-- which keeps the log small and the server's test per cached tile short.
CREATE FUNCTION record_tile_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cols text[] := string_to_array(TG_ARGV[0], ',');
    v bigint;
    parts text[] := ARRAY[]::text[];
    c text;
BEGIN
    SELECT version INTO v FROM layer_versions WHERE layer = TG_TABLE_NAME;
    IF v IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH c IN ARRAY cols LOOP
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            parts := parts || format('SELECT %I::geometry AS g FROM old_rows', c);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            parts := parts || format('SELECT %I::geometry AS g FROM new_rows', c);
        END IF;
    END LOOP;
    EXECUTE format('INSERT INTO tile_changes (layer, version, west, south, east, north)
        SELECT $1, $2, min(ST_XMin(g)), min(ST_YMin(g)), max(ST_XMax(g)), max(ST_YMax(g))
        FROM (SELECT g, row_number() OVER () AS rn, count(*) OVER () AS n
              FROM (%s) a WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)) b
        GROUP BY CASE WHEN n <= 256 THEN rn ELSE 0 END,
                 CASE WHEN n <= 256 THEN 0 ELSE floor(ST_XMin(g) / 0.05) END,
                 CASE WHEN n <= 256 THEN 0 ELSE floor(ST_YMin(g) / 0.05) END',
        array_to_string(parts, ' UNION ALL ')) USING TG_TABLE_NAME, v;
    INSERT INTO tile_changes (layer, version) VALUES (TG_TABLE_NAME, v);
    -- A server more than 1000 writes behind drops the table's tiles anyway.
    DELETE FROM tile_changes WHERE layer = TG_TABLE_NAME AND version <= v - 1000;
    RETURN NULL;
END $$;

-- One trigger per event (a trigger with transition tables has one event).
-- The columns are those the table's tile layer selects rows by
-- (catalog Tile.SQL.Filter; TestTileChangeTriggers checks them).
DO $$
DECLARE
    t record;
    op text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('counties', 'outline'), ('townships', 'outline'), ('villages', 'office,outline'),
        ('roads', 'geom'), ('bridges', 'geom'), ('bus_stops', 'geom'), ('reservoirs', 'geom'),
        ('water_works', 'geom'), ('water_mains', 'geom'), ('substations', 'geom'),
        ('power_lines', 'geom'), ('transformers', 'geom'), ('pv_stations', 'geom'),
        ('tourism_sites', 'geom'), ('projects', 'geom')
    ) AS x (tbl, cols)
    LOOP
        FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT
                            EXECUTE FUNCTION record_tile_changes(%L)',
                t.tbl || '_version_tiles_' || lower(op), op, t.tbl,
                CASE op WHEN 'INSERT' THEN 'NEW TABLE AS new_rows'
                        WHEN 'UPDATE' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                        ELSE 'OLD TABLE AS old_rows' END,
                t.cols);
        END LOOP;
    END LOOP;
END $$;
