-- 0015_plan_reasons: applying a budget plan writes, for every project the
-- plan considered, the year it was given or, when it was left out, why
-- (in Chinese: 超出预算 with the money left and the cost, 等待前置项目 with
-- the prerequisite, 无实际效果, …). A plan is stored as the years and reasons
-- it writes into the projects, so that the 项目库 table, the API and the
-- XLSX show a bureau why a project has no year. The reason is the last
-- applied plan's; a chosen project's is empty.
ALTER TABLE projects ADD COLUMN plan_reason text NOT NULL DEFAULT '';
