-- 0022_funds: 资金台账 (issue 20 items 1–3): the county's funding sources, each
-- one's yearly allocation (年度下达总额), and a ledger of entries per project
-- and source. The ledger is entries, never overwritten totals: a wrong entry
-- is undone by a reversal entry (reverses = its id, the opposite amount), so
-- every 文号 and voucher once recorded stays readable.

-- fund_sources: the county's list (this database holds one county). code is
-- what the ledger and the API name a source by; name is what the tables show
-- and what the free-text projects.funding used.
CREATE TABLE fund_sources (
    code       text PRIMARY KEY CONSTRAINT fund_sources_code_check CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name       text NOT NULL UNIQUE CONSTRAINT fund_sources_name_check CHECK (btrim(name) <> ''),
    level      text NOT NULL CONSTRAINT fund_sources_level_check CHECK (level IN ('中央', '省', '市', '县', '其他')),
    kind       text NOT NULL CONSTRAINT fund_sources_kind_check
                   CHECK (kind IN ('财政专项', '整合涉农资金', '行业部门', '债券', '社会帮扶', '金融信贷', '群众自筹')),
    department text NOT NULL DEFAULT '',  -- 整合涉农资金 and 行业部门: the department it comes through
    position   integer NOT NULL DEFAULT 0 -- display order
);

-- The default list (planning.DefaultFundSources says the same; a county
-- replaces it with `gapmap funds sources --set FILE`).
INSERT INTO fund_sources (code, name, level, kind, department, position) VALUES
    ('central',        '中央财政专项扶贫资金', '中央', '财政专项', '', 1),
    ('province',       '省级财政专项扶贫资金', '省', '财政专项', '', 2),
    ('city',           '市级财政专项扶贫资金', '市', '财政专项', '', 3),
    ('county',         '县级财政专项扶贫资金', '县', '财政专项', '', 4),
    ('integrated',     '统筹整合涉农资金', '县', '整合涉农资金', '', 5),
    ('int-transport',  '整合涉农资金（交通）', '县', '整合涉农资金', '交通', 6),
    ('int-water',      '整合涉农资金（水利）', '县', '整合涉农资金', '水利', 7),
    ('int-agri',       '整合涉农资金（农业农村）', '县', '整合涉农资金', '农业农村', 8),
    ('sector',         '行业部门资金', '县', '行业部门', '', 9),
    ('bond',           '地方政府债券', '省', '债券', '', 10),
    ('social',         '社会帮扶资金', '其他', '社会帮扶', '', 11),
    ('credit',         '金融信贷资金', '其他', '金融信贷', '', 12),
    ('self',           '群众自筹', '其他', '群众自筹', '', 13);

-- fund_allocations: what each source allocates (下达) to the county in a
-- year, in 万元. The budget plan can take its per-source budgets from here.
CREATE TABLE fund_allocations (
    source_code text NOT NULL REFERENCES fund_sources (code) ON UPDATE CASCADE,
    year        smallint NOT NULL CONSTRAINT fund_allocations_year_check CHECK (year BETWEEN 1990 AND 2100),
    amount_wan  numeric(14, 2) NOT NULL CONSTRAINT fund_allocations_amount_check CHECK (amount_wan >= 0),
    doc_no      text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (source_code, year)
);

-- fund_entries: the ledger. kind 计划 (planned), 下达 (allocated, 文号 and
-- date), 到位 (arrived), 拨付 (paid, voucher). An ordinary entry is positive;
-- a reversal carries the opposite amount of the entry it reverses, its kind,
-- source, project and value date (so that a year's totals stay the year's),
-- and a reason. An entry is reversed at most once.
CREATE TABLE fund_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    kind        text NOT NULL CONSTRAINT fund_entries_kind_check CHECK (kind IN ('计划', '下达', '到位', '拨付')),
    source_code text NOT NULL REFERENCES fund_sources (code) ON UPDATE CASCADE,
    amount_wan  numeric(14, 2) NOT NULL,
    -- The same amount in cents: the roll-ups sum integers, several times
    -- faster than numeric over a province's entries.
    amount_cents bigint NOT NULL GENERATED ALWAYS AS ((amount_wan * 100)::bigint) STORED,
    entry_date  date NOT NULL,
    doc_no      text NOT NULL DEFAULT '',  -- 文号 (下达) or 凭证号 (拨付)
    note        text NOT NULL DEFAULT '',  -- a reversal's reason
    reverses    bigint UNIQUE REFERENCES fund_entries (id),
    actor       text NOT NULL CONSTRAINT fund_entries_actor_check CHECK (btrim(actor) <> ''),
    actor_id    bigint REFERENCES users (id),
    at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fund_entries_amount_check CHECK (CASE WHEN reverses IS NULL THEN amount_wan > 0 ELSE amount_wan < 0 END),
    CONSTRAINT fund_entries_reason_check CHECK (reverses IS NULL OR btrim(note) <> '')
);
CREATE INDEX fund_entries_project_idx ON fund_entries (project_id, source_code);
CREATE INDEX fund_entries_source_idx ON fund_entries (source_code, entry_date);

-- The free-text funding of the projects in the library becomes 计划
-- entries where the source's name is one of the list's (the generator
-- writes 统筹整合涉农资金): the ledger starts when a project enters the
-- library (已入库), so a candidate or a project under review gets none,
-- and a withdrawn one only if it had been 已入库 (its moves tell). Other
-- names stay in projects.funding only, and the migration's audit entry
-- (the actor is the migration) counts them. Dated 1 January of the
-- project's year (or today). From here on the store keeps Σ计划 equal to
-- the 资金来源 (data.Store.syncPlanned).
CREATE TEMP TABLE funds_0022_library ON COMMIT DROP AS
SELECT p.id FROM projects p
WHERE p.status IN ('已入库', '纳入年度计划', '实施中', '已完工', '已验收', '绩效评价')
   OR p.status = '已出库' AND EXISTS (SELECT 1 FROM project_transitions t WHERE t.project_id = p.id AND t.to_status = '已入库');

WITH f AS (
    SELECT p.id, s.code, (x->>'amount_wan')::numeric AS amount,
           coalesce(make_date(p.year, 1, 1), current_date) AS d
    FROM projects p JOIN funds_0022_library l ON l.id = p.id
    CROSS JOIN LATERAL jsonb_array_elements(p.funding) x
    JOIN fund_sources s ON s.name = btrim(x->>'source')
    WHERE jsonb_typeof(p.funding) = 'array' AND (x->>'amount_wan')::numeric > 0)
INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, note, actor)
SELECT id, '计划', code, round(sum(amount), 2), d, '由项目资金来源迁移（0022）', 'migration 0022'
FROM f GROUP BY id, code, d HAVING round(sum(amount), 2) > 0;

SELECT gapmap_audit.append(current_schema(), NULL, 'migration 0022', 'migration', '', 'funds.migrate', 'library', 'funds',
    jsonb_build_object(
        'entries', (SELECT count(*) FROM fund_entries),
        'unmatched', (SELECT count(*) FROM projects p JOIN funds_0022_library l ON l.id = p.id
                      CROSS JOIN LATERAL jsonb_array_elements(p.funding) x
                      WHERE jsonb_typeof(p.funding) = 'array'
                        AND NOT EXISTS (SELECT 1 FROM fund_sources s WHERE s.name = btrim(x->>'source')))))
-- A database without library funding to migrate (a new one) gets no entry.
WHERE EXISTS (SELECT 1 FROM projects p JOIN funds_0022_library l ON l.id = p.id
              WHERE jsonb_typeof(p.funding) = 'array' AND jsonb_array_length(p.funding) > 0);
