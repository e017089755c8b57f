package data

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

var _ planning.JobStore = (*Store)(nil)

const jobColumns = `id, kind, coalesce(owner_id, 0), owner, coalesce(county, ''), state, stage, progress_done, progress_total,
	coalesce(result_status, 0), result, error_code, error_message, deadline, created_at, started_at, finished_at`

func scanJob(r pgx.CollectableRow) (planning.Job, error) {
	var j planning.Job
	var code, msg *string
	err := r.Scan(&j.ID, &j.Kind, &j.OwnerID, &j.Owner, &j.County, &j.State, &j.Progress.Stage, &j.Progress.Done, &j.Progress.Total,
		&j.ResultStatus, &j.Result, &code, &msg, &j.Deadline, &j.CreatedAt, &j.StartedAt, &j.FinishedAt)
	if code != nil {
		j.Error = &planning.JobError{Code: *code, Message: *msg}
	}
	return j, err
}

// CreateJob stores a queued job of ctx's principal and audits it.
func (s *Store) CreateJob(ctx context.Context, kind string, deadline time.Time) (planning.Job, error) {
	p, ok := access.From(ctx)
	if !ok || p.Login == "" {
		return planning.Job{}, errNoActor
	}
	var owner *int64
	if p.UserID != 0 {
		owner = &p.UserID
	}
	var j planning.Job
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO jobs (kind, owner_id, owner, county, stage, deadline)
			VALUES ($1, $2, $3, (SELECT county_code FROM county_setup), '排队等候', $4) RETURNING `+jobColumns,
			kind, owner, p.Login, deadline)
		if err != nil {
			return err
		}
		if j, err = pgx.CollectExactlyOneRow(rows, scanJob); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "job.create", Kind: "job", ID: strconv.FormatInt(j.ID, 10),
			Detail: map[string]any{"kind": kind, "deadline": deadline}})
	})
	return j, translate(err, "create job")
}

// Job returns the job with id.
func (s *Store) Job(ctx context.Context, id int64) (planning.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id)
	if err != nil {
		return planning.Job{}, translate(err, "job")
	}
	j, err := pgx.CollectExactlyOneRow(rows, scanJob)
	if err != nil {
		err = translate(err, "job")
		if planning.ErrorCode(err) == planning.ENotFound {
			return j, planning.Errorf(planning.ENotFound, "没有编号为 %d 的任务", id)
		}
	}
	return j, err
}

// Jobs returns the newest jobs of ownerID.
func (s *Store) Jobs(ctx context.Context, ownerID int64, limit int) ([]planning.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE owner_id = $1 ORDER BY id DESC LIMIT $2`, ownerID, limit)
	if err != nil {
		return nil, translate(err, "jobs")
	}
	js, err := pgx.CollectRows(rows, scanJob)
	return js, translate(err, "jobs")
}

// StartJob marks a queued job running.
func (s *Store) StartJob(ctx context.Context, id int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE jobs SET state = 'running', started_at = now(), stage = '开始'
		WHERE id = $1 AND state = 'queued'`, id)
	return tag.RowsAffected() == 1, translate(err, "start job")
}

// ReportJob records a running job's progress.
func (s *Store) ReportJob(ctx context.Context, id int64, p planning.JobProgress) error {
	_, err := s.pool.Exec(ctx, `UPDATE jobs SET stage = $2, progress_done = $3, progress_total = $4
		WHERE id = $1 AND state = 'running'`, id, p.Stage, p.Done, p.Total)
	return translate(err, "report job")
}

// FinishJob ends a queued or running job with its result or its error (a
// queued one can run out of time waiting for a slot).
func (s *Store) FinishJob(ctx context.Context, id int64, status int, result json.RawMessage, jerr *planning.JobError) error {
	state, code, msg := planning.JobSucceeded, (*string)(nil), (*string)(nil)
	if jerr != nil {
		state, code, msg = planning.JobFailed, &jerr.Code, &jerr.Message
		result, status = nil, 0
	}
	var st *int
	if status != 0 {
		st = &status
	}
	_, err := s.pool.Exec(ctx, `UPDATE jobs SET state = $2, result_status = $3, result = $4, error_code = $5, error_message = $6,
			finished_at = now(), stage = CASE WHEN $2 = 'succeeded' THEN '完成' ELSE '失败' END
		WHERE id = $1 AND state IN ('queued', 'running')`, id, state, st, result, code, msg)
	return translate(err, "finish job")
}

// CancelJob marks a queued or running job cancelled and audits it.
func (s *Store) CancelJob(ctx context.Context, id int64) (planning.Job, error) {
	if err := requireActor(ctx); err != nil {
		return planning.Job{}, err
	}
	var j planning.Job
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE jobs SET state = 'cancelled', finished_at = now(), stage = '已取消',
				error_code = 'cancelled', error_message = '任务已取消'
			WHERE id = $1 AND state IN ('queued', 'running') RETURNING `+jobColumns, id)
		if err != nil {
			return err
		}
		j, err = pgx.CollectExactlyOneRow(rows, scanJob)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "job.cancel", Kind: "job", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"kind": j.Kind}})
	})
	if planning.ErrorCode(translate(err, "")) == planning.ENotFound {
		cur, err := s.Job(ctx, id)
		if err != nil {
			return cur, err
		}
		return cur, planning.Errorf(planning.EConflict, "任务 %d 已结束（%s），不能取消", id, planning.JobStateNames[cur.State])
	}
	return j, translate(err, "cancel job")
}

// AbandonJobs marks the jobs a killed server left open failed.
func (s *Store) AbandonJobs(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE jobs SET state = 'failed', finished_at = now(), stage = '中断',
		error_code = 'interrupted', error_message = $1 WHERE state IN ('queued', 'running')`, planning.JobInterrupted)
	return tag.RowsAffected(), translate(err, "abandon jobs")
}
