-- 0039_moved_gap_before: a project moved to another village, or to another
-- gap dimension, takes that village's gap in that dimension as its 实施前缺口
-- (gap_before), from the run the project was generated from. Before, it
-- kept the old village's, and the need ranking (data/projects.go) ranked it
-- by a village it no longer serves. A village the run did not score gives
-- NULL: unknown, never another village's figure.
--
-- A writer that writes its own gap_before with the move keeps it, and so
-- does generation (gapmap.estimates = 'sized', migration 0038), which sizes
-- every candidate from its village's scores itself. A project of no run (a
-- bureau's own, declared without one) keeps what it was given.
CREATE FUNCTION projects_gap_before_follows_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.village_id, NEW.gap_dimension) IS DISTINCT FROM (OLD.village_id, OLD.gap_dimension)
       AND NEW.gap_before IS NOT DISTINCT FROM OLD.gap_before
       AND NEW.run_id IS NOT NULL
       AND current_setting('gapmap.estimates', true) IS DISTINCT FROM 'sized' THEN
        NEW.gap_before := (SELECT CASE NEW.gap_dimension
                                      WHEN '通路' THEN s.gap_road WHEN '饮水' THEN s.gap_water
                                      WHEN '农网' THEN s.gap_grid WHEN '光伏' THEN s.gap_pv END
                           FROM run_scores s -- what the run knows, whichever run measured it (0006)
                           WHERE s.run_id = NEW.run_id AND s.village_id = NEW.village_id);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER projects_gap_before_follows_village BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_gap_before_follows_village();
