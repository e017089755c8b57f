-- 0037_tile_store_bytes: tile_store keeps its own total of the bytes it
-- charges (size), so that a batch of stored tiles learns whether the store
-- passed its bound from one row instead of summing every stored tile: at
-- 100,000 tiles that sum (a window over the whole table) was most of each
-- batch's time (BenchmarkStoreTiles).
--
-- UNLOGGED like tile_store: after a crash PostgreSQL empties both, and no
-- row means 0 bytes. Statement triggers with transition tables keep it in
-- step with every insert, update, delete and truncate of tile_store, from
-- gapmap or from anyone else.
CREATE UNLOGGED TABLE tile_store_bytes (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    bytes bigint NOT NULL
);

CREATE FUNCTION tile_store_bytes_add(delta bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO tile_store_bytes (one, bytes) VALUES (true, delta)
    ON CONFLICT (one) DO UPDATE SET bytes = tile_store_bytes.bytes + EXCLUDED.bytes
$$;

CREATE FUNCTION tile_store_bytes_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_store_bytes_add((SELECT coalesce(sum(size), 0) FROM new_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION tile_store_bytes_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_store_bytes_add((SELECT coalesce(sum(size), 0) FROM new_rows) - (SELECT coalesce(sum(size), 0) FROM old_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION tile_store_bytes_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_store_bytes_add(-(SELECT coalesce(sum(size), 0) FROM old_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION tile_store_bytes_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_store_bytes;
    RETURN NULL;
END $$;

CREATE TRIGGER tile_store_bytes_ins AFTER INSERT ON tile_store REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_store_bytes_ins();
CREATE TRIGGER tile_store_bytes_upd AFTER UPDATE ON tile_store REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_store_bytes_upd();
CREATE TRIGGER tile_store_bytes_del AFTER DELETE ON tile_store REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_store_bytes_del();
CREATE TRIGGER tile_store_bytes_truncate AFTER TRUNCATE ON tile_store
    FOR EACH STATEMENT EXECUTE FUNCTION tile_store_bytes_truncate();

-- Tiles stored before this migration.
INSERT INTO tile_store_bytes (one, bytes) SELECT true, sum(size) FROM tile_store HAVING count(*) > 0;
