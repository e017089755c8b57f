-- 0035_prediction_cleared: an edited project loses its stored set
-- prediction (issue 19). gap_after_set and predicted_after (0033) were
-- measured from the project as generation wrote it; once what its
-- completion would write changes, or it leaves its village's set, that
-- measurement is of another project, and so is every prediction of a
-- sequence that assumed it built before (predicted_after holds it). Both
-- become NULL (no prediction, never a guess), and prediction_cleared says
-- why, for the predicted-against-realised listing (queries/realised.sql).
-- Generation's next measurement (data/predict.go) sets it back to NULL.
--
-- The rule lives here, on the table, so that every writer obeys it: the
-- API's edit, regeneration's upsert and deletion of closed candidates,
-- withdrawal, and any later import. Clearing is derived from the edit,
-- which its writer records in the audit trail.
ALTER TABLE projects ADD COLUMN prediction_cleared text;
CREATE INDEX projects_predicted_after_idx ON projects USING gin (predicted_after);

-- project_prediction_changes names, in Chinese, what of o changed in n
-- that a prediction was measured from: what its completion writes into
-- the layers (data/completion.go reads the kind, the quantity, the path,
-- the village, the 绩效目标's kVA and, for PV, the poor households) and
-- which set it belongs to (village, dimension, whether it closes R1, which
-- orders the sequence, and whether it is withdrawn). Empty: nothing.
CREATE FUNCTION project_prediction_changes(o projects, n projects) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN (o.category, o.subtype) IS DISTINCT FROM (n.category, n.subtype) THEN '项目类型' END,
        CASE WHEN (o.quantity, o.unit) IS DISTINCT FROM (n.quantity, n.unit) THEN '工程量' END,
        CASE WHEN ST_AsEWKB(o.geom) IS DISTINCT FROM ST_AsEWKB(n.geom) THEN '几何' END,
        CASE WHEN o.village_id IS DISTINCT FROM n.village_id THEN '所在村' END,
        CASE WHEN o.gap_dimension IS DISTINCT FROM n.gap_dimension THEN '缺口维度' END,
        CASE WHEN o.source_indicator_ids IS DISTINCT FROM n.source_indicator_ids THEN '对应指标' END,
        CASE WHEN o.targets IS DISTINCT FROM n.targets THEN '绩效目标' END,
        CASE WHEN o.beneficiary_poor_households IS DISTINCT FROM n.beneficiary_poor_households THEN '受益建档立卡户数' END,
        CASE WHEN (o.status = '已出库') <> (n.status = '已出库') THEN
            CASE WHEN n.status = '已出库' THEN '出库' ELSE '撤回出库' END END
    ], NULL)
$$;

-- The edited row itself, before it is stored.
CREATE FUNCTION projects_clear_own_prediction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[] := project_prediction_changes(OLD, NEW);
BEGIN
    IF cardinality(changed) > 0 THEN
        NEW.gap_after_set := NULL;
        NEW.predicted_after := NULL;
        NEW.prediction_cleared := format('项目 %s %s（%s）', NEW.id, array_to_string(changed, '、'), to_char(now(), 'YYYY-MM-DD'));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER projects_clear_own_prediction BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_clear_own_prediction();

-- The projects whose sequence assumed the edited or deleted one built.
-- An AFTER ROW trigger runs once its statement has written every row, so
-- the rows it clears are never ones that statement still has to write.
CREATE FUNCTION projects_clear_dependent_predictions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    why text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        why := format('项目 %s 已删除（%s）', OLD.id, to_char(now(), 'YYYY-MM-DD'));
    ELSE
        why := NEW.prediction_cleared;
    END IF;
    UPDATE projects SET gap_after_set = NULL, predicted_after = NULL, prediction_cleared = why
    WHERE predicted_after && ARRAY[OLD.id];
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_clear_dependent_predictions AFTER UPDATE ON projects
    FOR EACH ROW WHEN (cardinality(project_prediction_changes(OLD, NEW)) > 0)
    EXECUTE FUNCTION projects_clear_dependent_predictions();
CREATE TRIGGER projects_clear_dependent_predictions_delete AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_clear_dependent_predictions();

-- Version notifications name the bumped table's schema
-- ("schema.layer=version"): the channel is the database's, and a listener
-- (ListenVersions) passes over the bumps of other schemas — other
-- counties' or tests' — which would otherwise make it drop tiles and the
-- past dates' memos it need not (data/tiles.go).
CREATE OR REPLACE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name text := coalesce(TG_ARGV[0], TG_TABLE_NAME);
    v bigint;
BEGIN
    INSERT INTO layer_versions (layer, version, updated_at) VALUES (name, 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = layer_versions.version + 1, updated_at = now()
    RETURNING version INTO v;
    PERFORM pg_notify('gapmap_versions', TG_TABLE_SCHEMA || '.' || name || '=' || v);
    RETURN NULL;
END $$;
