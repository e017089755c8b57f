-- 0034_lowzoom_cells_tile_store: the low-zoom roads are kept current per
-- 0.25° cell by every recorded write to roads, and the tile cache is kept
-- across restarts (issue 22, item 3).
--
-- roads_lowzoom (0009) merged the 高速–县道 roads per grade, surface and
-- ref within each 0.25° cell (of the line's start point) and was rebuilt
-- whole whenever the roads version moved; until then low-zoom tiles drew
-- the live roads, so every road edit changed every tile below z10. Now
-- the statement trigger that records a write's boxes (0027) also rebuilds
-- the cells the write's old and new lines start in, in the writer's
-- transaction, moves lowzoom_state to the new roads version, and records
-- under that version (as layer roads_lowzoom) the boxes of the merged
-- lines that differ: a tile server drops only the low-zoom tiles they
-- touch. A write not on record (TRUNCATE, a bulk load, which switches the
-- trigger off) leaves the table behind the roads: tiles draw the live
-- roads until RefreshLowZoom rebuilds it whole, with no record, so that
-- every low-zoom tile is dropped then, as before.
--
-- A merged line's id is the least id of its roads (the groups are
-- disjoint), and its lines are collected in id order, so that a cell
-- rebuilt alone is the very row a whole rebuild makes: incremental and
-- whole rebuilds give the same table (tiles/fresh_test.go compares them).
--
-- The rows built under the old rule go: the next RefreshLowZoom (serve
-- runs one at start) builds the table under the new one.
DELETE FROM roads_lowzoom;
DELETE FROM lowzoom_state WHERE layer = 'roads';
ALTER TABLE roads_lowzoom ALTER COLUMN id DROP IDENTITY,
    ADD COLUMN cell_x double precision NOT NULL,
    ADD COLUMN cell_y double precision NOT NULL;
CREATE INDEX roads_lowzoom_cell_idx ON roads_lowzoom (cell_x, cell_y);

-- roads_lowzoom_build returns the rows of roads_lowzoom for the cells
-- (cx[i], cy[i]) (cell numbers: floor(degrees * 4)), or for every cell
-- when cx is NULL: the one definition of the table. A road whose start
-- lies outside longitude/latitude range (a row stored before writes
-- checked coordinates) is in no cell.
CREATE FUNCTION roads_lowzoom_build(cx double precision[], cy double precision[])
RETURNS TABLE (id bigint, grade text, surface text, ref text, width_m double precision,
               cell_x double precision, cell_y double precision, geom geometry)
LANGUAGE sql STABLE AS $$
    WITH starts AS (
        SELECT r.id, ST_X(ST_StartPoint(r.geom)) AS x, ST_Y(ST_StartPoint(r.geom)) AS y
        FROM roads r WHERE cx IS NULL AND r.grade IN ('高速', '国道', '省道', '县道')),
    cells AS (
        SELECT c.x, c.y FROM unnest(cx, cy) AS c (x, y) WHERE cx IS NOT NULL
        UNION
        SELECT floor(x * 4), floor(y * 4) FROM starts WHERE x BETWEEN -180 AND 180 AND y BETWEEN -90 AND 90)
    SELECT m.id, m.grade, m.surface, m.ref, m.width_m, m.x, m.y, ST_Multi(m.g) FROM (
        -- Cells of 0.25° keep merged lines short enough for tile indexes;
        -- 0.0005° (~50 m) is under a z9 pixel (~300 m).
        SELECT min(r.id) AS id, r.grade, r.surface, r.ref, min(r.width_m) AS width_m, c.x, c.y,
               ST_Simplify(ST_LineMerge(ST_Collect(r.geom ORDER BY r.id)), 0.0005, true) AS g
        FROM cells c
        JOIN roads r ON r.geom && ST_MakeEnvelope(c.x / 4, c.y / 4, (c.x + 1) / 4, (c.y + 1) / 4, 4490)
        WHERE r.grade IN ('高速', '国道', '省道', '县道')
          AND ST_X(ST_StartPoint(r.geom)) BETWEEN -180 AND 180 AND ST_Y(ST_StartPoint(r.geom)) BETWEEN -90 AND 90
          AND floor(ST_X(ST_StartPoint(r.geom)) * 4) = c.x AND floor(ST_Y(ST_StartPoint(r.geom)) * 4) = c.y
        GROUP BY r.grade, r.surface, r.ref, c.x, c.y) m
    WHERE NOT ST_IsEmpty(m.g) AND GeometryType(m.g) IN ('LINESTRING', 'MULTILINESTRING')
$$;

-- roads_lowzoom_apply(v, gs) keeps roads_lowzoom current through the write
-- that moved roads to version v, whose old and new lines are gs: when the
-- table was built from version v - 1, it rebuilds the cells gs start in,
-- moves lowzoom_state to v and records under roads_lowzoom version v the
-- boxes of the merged lines removed or added (none when the cells come
-- out the same, as for a 村道 edit). Writes to roads are one at a time
-- (the version bump holds its row lock until commit), and each statement
-- of this function sees the writes committed before it.
CREATE FUNCTION roads_lowzoom_apply(v bigint, gs geometry[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cx double precision[];
    cy double precision[];
    gone_rows roads_lowzoom[];
BEGIN
    UPDATE lowzoom_state SET built_from = v, built_at = now() WHERE layer = 'roads' AND built_from = v - 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(x), array_agg(y) INTO cx, cy FROM (
        SELECT DISTINCT floor(ST_X(p) * 4) AS x, floor(ST_Y(p) * 4) AS y
        FROM (SELECT ST_StartPoint(g) AS p FROM unnest(gs) g) s
        WHERE ST_X(p) BETWEEN -180 AND 180 AND ST_Y(p) BETWEEN -90 AND 90) c;
    IF cx IS NOT NULL THEN
        WITH gone AS (DELETE FROM roads_lowzoom l USING unnest(cx, cy) AS c (x, y)
                      WHERE l.cell_x = c.x AND l.cell_y = c.y RETURNING l AS r)
        SELECT array_agg(r) INTO gone_rows FROM gone;
        WITH added AS (INSERT INTO roads_lowzoom (id, grade, surface, ref, width_m, cell_x, cell_y, geom)
                       SELECT * FROM roads_lowzoom_build(cx, cy)
                       RETURNING id, grade, surface, ref, width_m, cell_x, cell_y, ST_AsEWKB(geom) AS g),
        removed AS (SELECT o.id, o.grade, o.surface, o.ref, o.width_m, o.cell_x, o.cell_y, ST_AsEWKB(o.geom) AS g
                    FROM unnest(gone_rows) o),
        changed AS ((SELECT * FROM added EXCEPT ALL SELECT * FROM removed)
                    UNION ALL (SELECT * FROM removed EXCEPT ALL SELECT * FROM added))
        INSERT INTO tile_changes (layer, version, west, south, east, north)
        SELECT 'roads_lowzoom', v, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
        FROM (SELECT ST_GeomFromEWKB(g)::box2d AS b FROM changed) x;
    END IF;
    INSERT INTO tile_changes (layer, version) VALUES ('roads_lowzoom', v);
    DELETE FROM tile_changes WHERE layer = 'roads_lowzoom' AND version <= v - 1000;
END $$;

-- record_tile_changes (0027) with an optional second argument: a function
-- (v bigint, gs geometry[]) that keeps a table derived from this one
-- current, given the version the write moved the table to and its rows'
-- old and new geometries. It runs with the records, so a bulk load that
-- switches the trigger off skips it too.
CREATE OR REPLACE FUNCTION record_tile_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF TG_NARGS > 1 THEN
        EXECUTE format('SELECT %I($1, array(SELECT g FROM (%s) a WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)))',
                       TG_ARGV[1], array_to_string(parts, ' UNION ALL ')) USING v;
    END IF;
    RETURN NULL;
END $$;

-- The roads' triggers again, with roads_lowzoom_apply (same names: a bulk
-- load switches them off by name).
DO $$
DECLARE
    op text;
BEGIN
    FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
        EXECUTE format('DROP TRIGGER %I ON roads', 'roads_version_tiles_' || lower(op));
        EXECUTE format('CREATE TRIGGER %I AFTER %s ON roads REFERENCING %s FOR EACH STATEMENT
                        EXECUTE FUNCTION record_tile_changes(%L, %L)',
            'roads_version_tiles_' || lower(op), op,
            CASE op WHEN 'INSERT' THEN 'NEW TABLE AS new_rows'
                    WHEN 'UPDATE' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                    ELSE 'OLD TABLE AS old_rows' END,
            'geom', 'roads_lowzoom_apply');
    END LOOP;
END $$;

-- tile_store keeps rendered tiles across restarts of the tile server
-- (tiles.Store; data/tilestore.go). UNLOGGED: it is a cache, so a write
-- costs no WAL and its megabytes are not shipped to every standby; after a
-- crash of PostgreSQL it comes back empty, which is never stale. A row is
-- the tile of one key (layer set, z/x/y, filter) with the data versions
-- its render began at (epoch, a row of tile_store_epochs); a server
-- serves it only when the change records since that epoch do not touch
-- it. used_at orders eviction (oldest first) within the size bound.
CREATE UNLOGGED TABLE tile_store_epochs (
    tag      text PRIMARY KEY,  -- hash of versions
    versions jsonb NOT NULL     -- table → version
);
CREATE UNLOGGED TABLE tile_store (
    key       text PRIMARY KEY,
    epoch     text NOT NULL,
    gzip      bytea NOT NULL,
    raw_size  integer NOT NULL,
    etag      text NOT NULL,
    truncated text NOT NULL,
    size      integer NOT NULL,  -- bytes charged against the bound
    used_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tile_store_epoch_idx ON tile_store (epoch);
CREATE INDEX tile_store_used_idx ON tile_store (used_at DESC, key);
