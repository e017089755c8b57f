-- 0032_plan_scenarios: a budget plan saved under a name (方案), so that
-- planners can compare two and apply one. request and result are the
-- planning.PlanRequest and planning.Plan as JSON; library maps each
-- project the plan read (by id, as text) to its updated_at then, so that
-- applying a scenario can name the project that changed since.
CREATE TABLE plan_scenarios (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CONSTRAINT plan_scenarios_name_check CHECK (btrim(name) <> ''),
    request       jsonb NOT NULL,
    result        jsonb NOT NULL,
    library       jsonb NOT NULL,
    created_by_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by    text NOT NULL,            -- the saver as the audit trail names them, kept when the account goes
    created_at    timestamptz NOT NULL DEFAULT now(),
    applied_by    text,
    applied_at    timestamptz,
    CONSTRAINT plan_scenarios_name_key UNIQUE (name),
    CONSTRAINT plan_scenarios_applied_check CHECK ((applied_by IS NULL) = (applied_at IS NULL))
);
