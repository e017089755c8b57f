-- 0004_tiles: versions that tile caches key on. Every bump is also sent on
-- the gapmap_versions channel so that servers drop stale tiles at once.

CREATE OR REPLACE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name text := coalesce(TG_ARGV[0], TG_TABLE_NAME);
    v bigint;
BEGIN
    INSERT INTO layer_versions (layer, version, updated_at) VALUES (name, 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = layer_versions.version + 1, updated_at = now()
    RETURNING version INTO v;
    PERFORM pg_notify('gapmap_versions', name || '=' || v);
    RETURN NULL;
END $$;

-- Scoring runs change the villages' tiles: they are the "scores" layer.
INSERT INTO layer_versions (layer) VALUES ('scores');
CREATE TRIGGER scoring_runs_version AFTER INSERT OR UPDATE OR DELETE ON scoring_runs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('scores');
