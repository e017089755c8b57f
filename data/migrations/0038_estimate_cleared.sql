-- 0038_estimate_cleared: an edit that changes what a project's own 缺口后
-- (gap_after_est) was sized from clears it too (issue 19's leftover; 0035
-- cleared only the set predictions). The need ranking's value, the plan
-- and the exports read gap_after_est; after such an edit they read a
-- figure for another project.
--
-- Cleared, not recomputed. For every kind but one the generator's model
-- (planning/candidates.go) reads none of 工程量, path or village: its
-- effect is "the indicator passes" on the facts generation measured for
-- the village (a 窄路加宽 sets the narrow length to 0 whatever its km, a
-- 招呼站 the stop distance to 0 wherever it stands), so running it again
-- gives back the old figure, the very one that is stale. The measured
-- 缺口后 of a 通村硬化路 (data/predict.go) would need a completion and a
-- measurement on the county's graph inside a user's edit, against layers
-- that may have changed since the run its gap_before comes from. So the
-- figure becomes NULL (unknown, never 0 benefit), estimate_cleared says
-- why, and the ranking, the plan and the exports show 无预测 with it. The
-- next generation sizes a 需求摸底 candidate afresh; a writer may also
-- write a 缺口后 of its own along with the edit (an API client's estimate),
-- which then stands.
--
-- The fields are those of project_prediction_changes (0035) that change
-- what the project itself is (kind, 工程量, path, village, dimension,
-- 对应指标, 绩效目标, PV households), not 出库 or its undoing, which change
-- only the set it belongs to. Generation writes the estimate it sized in
-- the same statement and says so for its transaction
-- (gapmap.estimates = 'sized', data/projects.go SaveCandidates): its
-- figure may equal the old one though the 工程量 changed (a gap closed to
-- 0 both times), which would otherwise read as "not written".
ALTER TABLE projects ADD COLUMN estimate_cleared text;

CREATE OR REPLACE FUNCTION projects_clear_own_prediction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[] := project_prediction_changes(OLD, NEW);
    own text[] := array_remove(array_remove(changed, '出库'), '撤回出库');
BEGIN
    IF cardinality(changed) > 0 THEN
        NEW.gap_after_set := NULL;
        NEW.predicted_after := NULL;
        NEW.prediction_cleared := format('项目 %s %s（%s）', NEW.id, array_to_string(changed, '、'), to_char(now(), 'YYYY-MM-DD'));
    END IF;
    IF NEW.gap_after_est IS DISTINCT FROM OLD.gap_after_est
       OR current_setting('gapmap.estimates', true) IS NOT DISTINCT FROM 'sized' THEN
        -- The writer wrote its own figure: it stands.
        NEW.estimate_cleared := NULL;
    ELSIF cardinality(own) > 0 AND NEW.gap_after_est IS NOT NULL THEN
        NEW.gap_after_est := NULL;
        NEW.estimate_cleared := format('项目 %s %s（%s）', NEW.id, array_to_string(own, '、'), to_char(now(), 'YYYY-MM-DD'));
    END IF;
    RETURN NEW;
END
$$;
