-- 0007_project_library: what the 项目库 needs beyond the 0001 columns:
-- traceability of generated candidates, 绩效目标, links between projects,
-- and the lifecycle log.

ALTER TABLE projects
    -- key identifies a generated candidate (village code, subtype, object)
    -- so that generating again updates it instead of adding a copy.
    ADD COLUMN key          text UNIQUE,
    ADD COLUMN run_id       bigint REFERENCES scoring_runs (id) ON DELETE SET NULL,
    ADD COLUMN depends_on   text,                          -- key of a project to build no later than this one
    ADD COLUMN targets      jsonb NOT NULL DEFAULT '[]',   -- 绩效目标 rows
    ADD COLUMN mechanism    text NOT NULL DEFAULT '',      -- 带贫减贫机制
    ADD COLUMN price_source text NOT NULL DEFAULT '' CONSTRAINT projects_price_source_check
                                CHECK (price_source IN ('', 'sourced', 'derived', 'estimated', 'county')),
    ADD COLUMN exit_reason  text NOT NULL DEFAULT '',      -- 出库理由
    ADD CONSTRAINT projects_year_plan_check CHECK (status NOT IN ('纳入年度计划', '实施中', '已完工', '已验收', '绩效评价') OR year IS NOT NULL),
    ADD CONSTRAINT projects_library_targets_check CHECK (status IN ('需求摸底', '村级申报', '乡镇审核', '县级论证', '县级审定', '已出库')
                                                         OR jsonb_array_length(targets) > 0);
CREATE INDEX projects_village_id_idx ON projects (village_id);
CREATE INDEX projects_township_status_idx ON projects (township_code, status);

-- Every move through the lifecycle: who, when, why.
CREATE TABLE project_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    actor       text NOT NULL CONSTRAINT project_transitions_actor_check CHECK (btrim(actor) <> ''),
    reason      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_transitions_project_idx ON project_transitions (project_id, id);
