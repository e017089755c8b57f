-- gapmap's audit trail: an append-only, hash-chained log of every write.
--
-- Run once per database by a superuser (scripts/dbsetup.sh does; with a
-- server of your own: `gapmap audit schema | psql -v app=ROLE DBNAME`, ROLE
-- being the role gapmap connects as). It is not a migration because a
-- migration runs as the application's role, and the point is that this role
-- cannot change the log: the schema, the tables and the functions belong to
-- the NOLOGIN role gapmap_audit; the application may only read them and call
-- append(), a SECURITY DEFINER function that links each entry to the one
-- before it. Idempotent: rerunning it changes nothing.
\set ON_ERROR_STOP on
\if :{?app}
\else
    \set app gapmap
\endif

DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gapmap_audit') THEN
        CREATE ROLE gapmap_audit NOLOGIN;
    END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS gapmap_audit AUTHORIZATION gapmap_audit;
SET ROLE gapmap_audit;

-- entries: one row per write. chain is the application schema the write
-- went to (public in a deployment; a private schema per test), so that each
-- schema's log is a chain of its own, numbered from 1 without gaps.
CREATE TABLE IF NOT EXISTS gapmap_audit.entries (
    chain       text NOT NULL,
    n           bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor_id    bigint,                 -- users.id; NULL for the command line
    actor       text NOT NULL,          -- login (name)
    via         text NOT NULL,          -- session, token, oidc, cli
    addr        text NOT NULL,          -- the client's address; '' for the command line
    action      text NOT NULL,          -- e.g. project.update, layer.import
    object_kind text NOT NULL,          -- e.g. project, layer, user
    object_id   text NOT NULL,
    detail      jsonb NOT NULL,         -- before/after of the changed fields, counts, reasons
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (chain, n)
);
CREATE INDEX IF NOT EXISTS entries_object_idx ON gapmap_audit.entries (chain, object_kind, object_id, n);

-- heads: the last entry of each chain, so that deleting the newest entries
-- is detected too.
CREATE TABLE IF NOT EXISTS gapmap_audit.heads (
    chain text PRIMARY KEY,
    n     bigint NOT NULL,
    hash  bytea NOT NULL
);

-- canonical is the text an entry's hash covers: every field but the
-- hashes, as jsonb text (whose key order and spacing are fixed). The
-- verifier reads it through this function and recomputes the chain itself.
CREATE OR REPLACE FUNCTION gapmap_audit.canonical(e gapmap_audit.entries) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('chain', e.chain, 'n', e.n,
        'at', (extract(epoch FROM e.at) * 1000000)::bigint,
        'actor_id', e.actor_id, 'actor', e.actor, 'via', e.via, 'addr', e.addr,
        'action', e.action, 'object_kind', e.object_kind, 'object_id', e.object_id,
        'detail', e.detail)::text
$$;

-- append adds one entry at the end of its chain: hash = sha256(prev_hash ||
-- canonical). The head row lock orders concurrent writers; it is held until
-- the writer's transaction ends, so callers append last, just before commit.
CREATE OR REPLACE FUNCTION gapmap_audit.append(p_chain text, p_actor_id bigint, p_actor text, p_via text,
    p_addr text, p_action text, p_object_kind text, p_object_id text, p_detail jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h gapmap_audit.heads;
    e gapmap_audit.entries;
BEGIN
    IF coalesce(btrim(p_chain), '') = '' OR coalesce(btrim(p_actor), '') = '' OR coalesce(btrim(p_action), '') = '' THEN
        RAISE EXCEPTION 'gapmap_audit.append: chain, actor and action are required';
    END IF;
    INSERT INTO gapmap_audit.heads (chain, n, hash) VALUES (p_chain, 0, '\x') ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO h FROM gapmap_audit.heads WHERE chain = p_chain FOR UPDATE;
    e := ROW(p_chain, h.n + 1, date_trunc('microseconds', clock_timestamp()), p_actor_id, p_actor, p_via,
        coalesce(p_addr, ''), p_action, p_object_kind, coalesce(p_object_id, ''), coalesce(p_detail, '{}'),
        h.hash, NULL);
    e.hash := sha256(h.hash || convert_to(gapmap_audit.canonical(e), 'UTF8'));
    INSERT INTO gapmap_audit.entries VALUES (e.*);
    UPDATE gapmap_audit.heads SET n = e.n, hash = e.hash WHERE chain = p_chain;
    RETURN e.n;
END $$;

-- A second wall: entries cannot be changed or removed even by their owner.
CREATE OR REPLACE FUNCTION gapmap_audit.refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'gapmap_audit.entries is append-only (% refused)', TG_OP;
END $$;
DROP TRIGGER IF EXISTS entries_append_only ON gapmap_audit.entries;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON gapmap_audit.entries
    FOR EACH ROW EXECUTE FUNCTION gapmap_audit.refuse();
DROP TRIGGER IF EXISTS entries_no_truncate ON gapmap_audit.entries;
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON gapmap_audit.entries
    FOR EACH STATEMENT EXECUTE FUNCTION gapmap_audit.refuse();

-- version lets gapmap's migrations check that this file is installed.
CREATE OR REPLACE FUNCTION gapmap_audit.version() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';

REVOKE ALL ON ALL TABLES IN SCHEMA gapmap_audit FROM PUBLIC;
REVOKE ALL ON FUNCTION gapmap_audit.append(text, bigint, text, text, text, text, text, text, jsonb) FROM PUBLIC;
RESET ROLE;
GRANT USAGE ON SCHEMA gapmap_audit TO :"app";
GRANT SELECT ON gapmap_audit.entries, gapmap_audit.heads TO :"app";
GRANT EXECUTE ON FUNCTION gapmap_audit.append(text, bigint, text, text, text, text, text, text, jsonb),
    gapmap_audit.canonical(gapmap_audit.entries), gapmap_audit.version() TO :"app";
