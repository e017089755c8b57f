-- 0028_web_mercator: every geometry column that tiles draw or select rows
-- by keeps a Web Mercator (EPSG:3857) copy, <column>_3857, with its own
-- GiST index (issue 22, item 2). The tile SQL then reads the copy and
-- filters on the tile's envelope in 3857: no ST_Transform per row and per
-- tile, and the index box is the one the tile is cut from.
--
-- The copies are STORED generated columns: ST_Transform(geometry, integer)
-- is IMMUTABLE in PostGIS 3, so PostgreSQL recomputes a copy on every
-- INSERT and UPDATE of its source column and no writer can forget it or
-- write it (imports name their columns; generated ones are left out, see
-- data/import_table.go). The stored value is the very ST_Transform the
-- tile SQL ran per row before, so tiles are byte-identical
-- (data/tiles_identity_test.go).
--
-- History tables (migration 0025) get the copy as a plain column: the
-- history trigger copies every column of the live row by name, generated
-- ones included, and a snapshot of a date (data/history.go) then holds the
-- copies too, indexed like the live tables (LIKE ... INCLUDING INDEXES).
--
-- A geometry outside Web Mercator's range (a row stored before every write
-- checked its coordinates, such as a road through 1e308) gets no copy: it
-- is not drawn, where before it made every tile around it fail, and the
-- migration does not fail on it either.
DO $$
DECLARE
    c record;
    typ text;
    mercator constant text := 'CASE WHEN ST_XMin(%1$I) >= -180 AND ST_XMax(%1$I) <= 180'
        ' AND ST_YMin(%1$I) >= -85.0511287798066 AND ST_YMax(%1$I) <= 85.0511287798066 THEN ST_Transform(%1$I, 3857) END';
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('counties', 'outline'), ('townships', 'outline'), ('villages', 'office'), ('villages', 'outline'),
        ('roads', 'geom'), ('roads_lowzoom', 'geom'), ('bridges', 'geom'), ('bus_stops', 'geom'),
        ('reservoirs', 'geom'), ('water_works', 'geom'), ('water_mains', 'geom'), ('substations', 'geom'),
        ('power_lines', 'geom'), ('transformers', 'geom'), ('pv_stations', 'geom'), ('tourism_sites', 'geom'),
        ('projects', 'geom')) AS v (tbl, col)
    LOOP
        -- The same geometry type as the source column, in SRID 3857.
        SELECT replace(format_type(a.atttypid, a.atttypmod), ',4490)', ',3857)') INTO STRICT typ
        FROM pg_attribute a WHERE a.attrelid = c.tbl::regclass AND a.attname = c.col AND NOT a.attisdropped;
        EXECUTE format('ALTER TABLE %I ADD COLUMN %I %s GENERATED ALWAYS AS (%s) STORED',
                       c.tbl, c.col || '_3857', typ, format(mercator, c.col));
        EXECUTE format('CREATE INDEX %I ON %I USING gist (%I)', c.tbl || '_' || c.col || '_3857_gist', c.tbl, c.col || '_3857');
        -- No ANALYZE: the tile SQL compares the copies with the envelope
        -- of a CTE, which the planner estimates without column statistics.
        IF to_regclass(c.tbl || '_history') IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I ADD COLUMN %I %s', c.tbl || '_history', c.col || '_3857', typ);
            EXECUTE format('UPDATE %I SET %I = %s', c.tbl || '_history', c.col || '_3857', format(mercator, c.col));
        END IF;
    END LOOP;
END $$;
