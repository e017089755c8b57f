-- 0021_accounts: users, their roles in the county's organisations, browser
-- sessions and API tokens (issue 18). Secrets are stored only as hashes:
-- passwords as argon2id PHC strings, session and token secrets as SHA-256.
-- The audit trail is not here: it lives in the gapmap_audit schema, which
-- this role cannot change (data/audit.sql); the migration checks for it.
DO $$ BEGIN
    IF to_regprocedure('gapmap_audit.append(text, bigint, text, text, text, text, text, text, jsonb)') IS NULL THEN
        RAISE EXCEPTION 'the audit trail is not installed: run data/audit.sql as a superuser (scripts/dbsetup.sh does; or: gapmap audit schema | psql -v app=ROLE DBNAME)';
    END IF;
END $$;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         text NOT NULL UNIQUE CONSTRAINT users_login_check CHECK (login ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    name          text NOT NULL CONSTRAINT users_name_check CHECK (btrim(name) <> ''),
    password_hash text,                  -- argon2id PHC string; NULL: single sign-on only
    oidc_issuer   text,
    oidc_subject  text,
    disabled      boolean NOT NULL DEFAULT false,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_oidc_key UNIQUE (oidc_issuer, oidc_subject)
);

-- user_grants: the roles a user holds. An organisation is a kind and a
-- code: the county's or a township's or village's division code, or a
-- bureau's code from the access policy. Its name (and a village's township)
-- is kept as it was when granted, for display and row scope.
CREATE TABLE user_grants (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_kind     text NOT NULL CONSTRAINT user_grants_kind_check CHECK (org_kind IN ('county', 'bureau', 'township', 'village')),
    org_code     text NOT NULL,
    role         text NOT NULL CONSTRAINT user_grants_role_check CHECK (role IN ('viewer', 'editor', 'reviewer', 'approver', 'admin')),
    org_name     text NOT NULL,
    org_township text NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, org_kind, org_code, role)
);

-- sessions: one per browser login. The cookie holds the secret; the row its
-- hash. idle and absolute expiry are checked on every request.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    via        text NOT NULL,             -- session (password) or oidc
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,      -- absolute expiry
    addr       text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- api_tokens: for scripts, sent as Authorization: Bearer gm_<secret>.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CONSTRAINT api_tokens_name_check CHECK (btrim(name) <> ''),
    token_hash   bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- The lifecycle's actor is the authenticated user (its id; NULL for the
-- command line and rows from before accounts).
ALTER TABLE project_transitions ADD COLUMN actor_id bigint REFERENCES users (id);
