package planning

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Job kinds: the long work that may run detached from its request.
const (
	JobScore    = "score"    // POST /api/v1/scoring-runs
	JobPlan     = "plan"     // POST /api/v1/plans
	JobGenerate = "generate" // POST /api/v1/projects/generate
	JobImport   = "import"   // POST /api/v1/layers/{layer}/imports
	JobExport   = "export"   // any export route called with Prefer: respond-async
)

// JobKinds lists every kind, in the order settings name them.
var JobKinds = []string{JobScore, JobPlan, JobGenerate, JobImport, JobExport}

// Job states. A job is queued until a slot of the server's cap frees, then
// running, then ends succeeded, failed or cancelled.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// JobStateNames are the states as users read them.
var JobStateNames = map[string]string{
	JobQueued: "排队中", JobRunning: "运行中", JobSucceeded: "已完成", JobFailed: "已失败", JobCancelled: "已取消",
}

// JobInterrupted is the message of the jobs a killed server left open.
const JobInterrupted = "服务重启，任务中断"

// Job is one piece of long work and where it stands.
type Job struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	OwnerID int64  `json:"owner_id"` // 0: the account is gone
	Owner   string `json:"owner"`    // the starter's login
	County  string `json:"county"`   // the county set up when it started; "" if none
	State   string `json:"state"`
	// Progress is what the work has reported; Done and Total are nil where
	// the work cannot count (a file's rows before it is read).
	Progress JobProgress `json:"progress"`
	// ResultStatus and Result are the status and body the synchronous call
	// would have answered (a 422 import report, say); set once succeeded.
	ResultStatus int             `json:"result_status,omitempty"`
	Result       json.RawMessage `json:"result,omitempty"`
	Error        *JobError       `json:"error,omitempty"` // failed or cancelled
	Deadline     time.Time       `json:"deadline"`
	CreatedAt    time.Time       `json:"created_at"`
	StartedAt    *time.Time      `json:"started_at"`
	FinishedAt   *time.Time      `json:"finished_at"`
}

// JobProgress is a job's stage and, where countable, how far it got.
type JobProgress struct {
	Stage string `json:"stage"` // in Chinese: 排队等候, 测量村庄指标, …
	Done  *int64 `json:"done"`
	Total *int64 `json:"total"`
}

// String is the progress as a line for the command line: the stage and
// done/total, or how many are done when the total is unknown.
func (p JobProgress) String() string {
	switch {
	case p.Done != nil && p.Total != nil:
		return fmt.Sprintf("%s %d/%d", p.Stage, *p.Done, *p.Total)
	case p.Done != nil:
		return fmt.Sprintf("%s 已处理 %d", p.Stage, *p.Done)
	}
	return p.Stage
}

// ScoreProgress tells report a scoring's stages: the measuring (now), then
// the villages judged of all, through the func it returns for Score. The
// CLI and the jobs show the same stages.
func ScoreProgress(report func(JobProgress)) func(done, total int) {
	report(JobProgress{Stage: "测量村庄指标"})
	return func(done, total int) {
		d, t := int64(done), int64(total)
		report(JobProgress{Stage: "评分", Done: &d, Total: &t})
	}
}

// ImportProgress tells report the rows of a file read so far (the total is
// unknown until the end), through the func it returns for
// ImportOptions.Progress.
func ImportProgress(report func(JobProgress)) func(rows int64) {
	report(JobProgress{Stage: "读取文件"})
	return func(rows int64) { report(JobProgress{Stage: "读取文件", Done: &rows}) }
}

// JobError is why a job failed or ended: a planning error code and its
// Chinese message.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Finished reports whether j's state is final.
func (j Job) Finished() bool {
	return j.State == JobSucceeded || j.State == JobFailed || j.State == JobCancelled
}

// JobStore keeps the jobs. Creating and cancelling a job are writes of the
// principal in ctx and land in the audit trail; the rest is bookkeeping of
// the server that runs the job.
type JobStore interface {
	// CreateJob stores a queued job of kind owned by ctx's principal, due
	// by deadline, and returns it.
	CreateJob(ctx context.Context, kind string, deadline time.Time) (Job, error)
	// Job returns the job with id, or an ENotFound error.
	Job(ctx context.Context, id int64) (Job, error)
	// Jobs returns the newest jobs of the user ownerID, at most limit.
	Jobs(ctx context.Context, ownerID int64, limit int) ([]Job, error)
	// StartJob marks a queued job running; false when it is no longer
	// queued (cancelled meanwhile).
	StartJob(ctx context.Context, id int64) (bool, error)
	// ReportJob records a running job's progress.
	ReportJob(ctx context.Context, id int64, p JobProgress) error
	// FinishJob ends a queued or running job: succeeded with its result
	// when jerr is nil, else failed with jerr. A job already ended
	// (cancelled) is left as it is.
	FinishJob(ctx context.Context, id int64, status int, result json.RawMessage, jerr *JobError) error
	// CancelJob marks a queued or running job cancelled by ctx's principal
	// and returns it; an EConflict error when it had already ended.
	CancelJob(ctx context.Context, id int64) (Job, error)
	// AbandonJobs marks every queued or running job failed with
	// JobInterrupted: at start, a server runs none of them. It returns how
	// many.
	AbandonJobs(ctx context.Context) (int64, error)
}
