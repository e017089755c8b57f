-- 0024_jobs: long work (scoring runs, plans, generation, imports) may run
-- as a job in the server process, detached from the request that started
-- it: the client polls its state and progress, reads its result, or
-- cancels it. A job left queued or running by a server that was killed is
-- marked failed when the next one starts.
CREATE TABLE jobs (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL,                      -- score, plan, generate, import
    owner_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    owner          text NOT NULL,                      -- the starter's login, kept when the account goes
    county         text,                               -- the county set up when the job started (county_setup)
    state          text NOT NULL DEFAULT 'queued'
        CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress_done  bigint,                             -- NULL: not countable (yet)
    progress_total bigint,                             -- NULL: unknown
    stage          text NOT NULL DEFAULT '',           -- what the job is doing, in Chinese
    result_status  integer,                            -- the HTTP status the synchronous call would have answered
    result         jsonb,                              -- the body it would have answered
    error_code     text,                               -- planning error code when failed or cancelled
    error_message  text,                               -- Chinese message when failed or cancelled
    deadline       timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    CONSTRAINT jobs_finished_check CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX jobs_owner_idx ON jobs (owner_id, id DESC);
CREATE INDEX jobs_open_idx ON jobs (id) WHERE state IN ('queued', 'running');
