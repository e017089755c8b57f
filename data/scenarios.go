package data

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

var _ planning.ScenarioStore = (*Store)(nil)

const scenarioColumns = `id, name, request, result, created_by, created_at, coalesce(applied_by, ''), applied_at`

func scanScenario(row pgx.Row) (planning.Scenario, error) {
	var sc planning.Scenario
	err := row.Scan(&sc.ID, &sc.Name, &sc.Request, &sc.Plan, &sc.CreatedBy, &sc.CreatedAt, &sc.AppliedBy, &sc.AppliedAt)
	return sc, err
}

// scenarioNotFound is the error for a scenario id that does not exist.
func scenarioNotFound(id int64) error {
	return planning.Errorf(planning.ENotFound, "没有编号为 %d 的方案", id)
}

// SaveScenario implements planning.ScenarioStore.
func (s *Store) SaveScenario(ctx context.Context, name string, req planning.PlanRequest, plan planning.Plan) (planning.Scenario, error) {
	name, err := planning.CheckScenarioName(name)
	if err != nil {
		return planning.Scenario{}, err
	}
	if err := s.allow(ctx, access.PlanApply, access.Object{}); err != nil {
		return planning.Scenario{}, err
	}
	pr, _ := access.From(ctx)
	library := make(map[string]time.Time, len(plan.Read))
	for id, at := range plan.Read {
		library[strconv.FormatInt(id, 10)] = at
	}
	var actorID *int64
	if pr.UserID != 0 {
		actorID = &pr.UserID
	}
	var sc planning.Scenario
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sc, err = scanScenario(tx.QueryRow(ctx, `INSERT INTO plan_scenarios (name, request, result, library, created_by_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+scenarioColumns, name, req, plan, library, actorID, pr.Title()))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "plan.scenario.save", Kind: "plan_scenario", ID: strconv.FormatInt(sc.ID, 10),
			Detail: map[string]any{"name": name, "request": req, "chosen": plan.Chosen, "cost_wan": plan.CostWan}})
	})
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.ConstraintName == "plan_scenarios_name_key" {
		return sc, planning.Errorf(planning.EConflict, "已有名为“%s”的方案，请换一个名称", name)
	}
	return sc, translate(err, "save scenario")
}

// Scenarios implements planning.ScenarioStore, newest first.
func (s *Store) Scenarios(ctx context.Context) ([]planning.ScenarioSummary, error) {
	// In the order of ScenarioSummary's fields, its record's first.
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_by, created_at, coalesce(applied_by, ''), applied_at,
			(result->>'chosen')::int, (result->>'cost_wan')::float8, (result->>'unspent_wan')::float8
		FROM plan_scenarios ORDER BY id DESC`)
	if err != nil {
		return nil, translate(err, "scenarios")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planning.ScenarioSummary])
	if list == nil {
		list = []planning.ScenarioSummary{}
	}
	return list, translate(err, "scenarios")
}

// Scenario implements planning.ScenarioStore.
func (s *Store) Scenario(ctx context.Context, id int64) (planning.Scenario, error) {
	sc, err := scanScenario(s.pool.QueryRow(ctx, `SELECT `+scenarioColumns+` FROM plan_scenarios WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, scenarioNotFound(id)
	}
	return sc, translate(err, "scenario")
}

// DeleteScenario implements planning.ScenarioStore.
func (s *Store) DeleteScenario(ctx context.Context, id int64) error {
	if err := s.allow(ctx, access.PlanApply, access.Object{}); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `DELETE FROM plan_scenarios WHERE id = $1 RETURNING name`, id).Scan(&name); errors.Is(err, pgx.ErrNoRows) {
			return scenarioNotFound(id)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "plan.scenario.delete", Kind: "plan_scenario", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"name": name}})
	})
	return translate(err, "delete scenario")
}

// ApplyScenario implements planning.ScenarioStore.
func (s *Store) ApplyScenario(ctx context.Context, id int64) (planning.Scenario, error) {
	if err := s.allow(ctx, access.PlanApply, access.Object{}); err != nil {
		return planning.Scenario{}, err
	}
	pr, _ := access.From(ctx)
	prof, err := planning.CountyProfile(ctx, s, nil)
	if err != nil {
		return planning.Scenario{}, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sc, err := scanScenario(tx.QueryRow(ctx, `SELECT `+scenarioColumns+` FROM plan_scenarios WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return scenarioNotFound(id)
		} else if err != nil {
			return err
		}
		if err := checkUnchanged(ctx, tx, sc); err != nil {
			return err
		}
		if err := s.schedule(ctx, tx, sc.Plan.Schedule(), auditEntry{Action: "plan.apply", Kind: "plan_scenario", ID: strconv.FormatInt(id, 10)}); err != nil {
			return err
		}
		moved := []int64{}
		for _, r := range sc.Plan.Rows {
			if r.Fixed {
				continue // in the annual plan already, in its year
			}
			if err := s.move(ctx, tx, pr, prof, r.ID, planning.StateAnnualPlan, ""); err != nil {
				// The refusal names the project; the user also needs to
				// know that nothing of the scenario was applied.
				if pe := (*planning.Error)(nil); errors.As(err, &pe) {
					return &planning.Error{Code: pe.Code, Message: fmt.Sprintf("方案“%s”未应用（项目 %s %s）：%s", sc.Name, r.Code, r.Name, pe.Message), Err: err}
				}
				return err
			}
			moved = append(moved, r.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE plan_scenarios SET applied_by = $2, applied_at = now() WHERE id = $1`, id, pr.Title()); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "plan.scenario.apply", Kind: "plan_scenario", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"name": sc.Name, "moved": moved}})
	})
	if err != nil {
		return planning.Scenario{}, translate(err, "apply scenario")
	}
	return s.Scenario(ctx, id)
}

// checkUnchanged refuses to apply sc when the library is not the one it
// was made from: a project added, deleted or changed (updated_at) since,
// named with when it changed. Every project is locked first, so that
// none changes between this check and the writes.
func checkUnchanged(ctx context.Context, tx pgx.Tx, sc planning.Scenario) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM projects FOR UPDATE`); err != nil {
		return err
	}
	var id int64
	var code, name, what string
	var at time.Time
	var n int
	err := tx.QueryRow(ctx, `WITH lib AS (SELECT key::bigint AS id, value::timestamptz AS at
				FROM plan_scenarios s, jsonb_each_text(s.library) WHERE s.id = $1),
			diff AS (
				SELECT coalesce(p.id, lib.id) AS id, coalesce(p.code, '') AS code, coalesce(p.name, '') AS name,
					CASE WHEN p.id IS NULL THEN 'deleted' WHEN lib.id IS NULL THEN 'added' ELSE 'changed' END AS what,
					coalesce(p.updated_at, now()) AS at
				FROM projects p FULL JOIN lib ON lib.id = p.id
				WHERE p.id IS NULL OR lib.id IS NULL OR p.updated_at <> lib.at)
		SELECT id, code, name, what, at, count(*) OVER () FROM diff ORDER BY code, id LIMIT 1`, sc.ID).Scan(&id, &code, &name, &what, &at, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if what == "deleted" { // named as the scenario saw it
		for _, r := range sc.Plan.Rows {
			if r.ID == id {
				code, name = r.Code, r.Name
			}
		}
		for _, o := range sc.Plan.LeftOut {
			if o.ID == id {
				code, name = o.Code, o.Name
			}
		}
	}
	when := at.In(planning.ChinaTime).Format("2006-01-02 15:04")
	event := map[string]string{"deleted": "已被删除", "added": "在方案保存后新增（" + when + "）", "changed": "在方案保存后有改动（" + when + "）"}[what]
	more := ""
	if n > 1 {
		more = fmt.Sprintf("（共 %d 个项目有变化）", n)
	}
	return planning.Errorf(planning.EConflict, "方案“%s”已过期：项目 %s %s %s%s；请重新测算并另存方案后再应用", sc.Name, code, name, event, more)
}
