package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/tiles/admit"
)

// DefaultJobSlots is how many heavy calls (jobs and synchronous calls of
// the same routes) run at once unless GAPMAP_JOB_SLOTS says otherwise: one
// per core of a small county server. The others wait their turn in order.
const DefaultJobSlots = 2

// DefaultJobTimeouts are the deadlines of each kind of job
// (GAPMAP_JOB_TIMEOUTS overrides any of them). A synchronous call keeps its
// route's budget.
var DefaultJobTimeouts = map[string]time.Duration{
	planning.JobScore:    30 * time.Minute,
	planning.JobPlan:     10 * time.Minute,
	planning.JobGenerate: 30 * time.Minute,
	planning.JobImport:   2 * time.Hour,
	planning.JobExport:   longBudget,
}

// ParseJobTimeouts reads "score=30m,import=2h" (any subset of the kinds)
// over DefaultJobTimeouts.
func ParseJobTimeouts(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for k, v := range DefaultJobTimeouts {
		out[k] = v
	}
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		kind, text, ok := strings.Cut(item, "=")
		kind = strings.TrimSpace(kind)
		if !ok || !slices.Contains(planning.JobKinds, kind) {
			return nil, fmt.Errorf("GAPMAP_JOB_TIMEOUTS %q: want kind=duration items, kinds %s", item, strings.Join(planning.JobKinds, ", "))
		}
		d, err := time.ParseDuration(strings.TrimSpace(text))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("GAPMAP_JOB_TIMEOUTS %s=%q: want a duration of at least 1s, such as 30m", kind, text)
		}
		out[kind] = d
	}
	return out, nil
}

// jobActions is the action that starts, and so cancels, each kind of job.
var jobActions = map[string]access.Action{
	planning.JobScore:    access.ScoreRun,
	planning.JobPlan:     access.PlanApply,
	planning.JobGenerate: access.Generate,
	planning.JobImport:   access.LayerEdit,
	planning.JobExport:   access.Read,
}

// Causes of a job context's end, told apart when the job is recorded.
var (
	errJobCancelled = errors.New("api: job cancelled")
	errJobDeadline  = errors.New("api: job over its deadline")
)

// reply is what heavy work answers: the status, the body and, for a
// synchronous call, the Location of what it created. written says a
// synchronous call's work wrote its own response (a CSV report).
type reply struct {
	status   int
	body     any
	location string
	written  bool
}

// work is the heavy part of a route, its input already checked: it runs
// under ctx (the request's, or a job's detached from it) and tells
// progress (never nil) how far it got.
type work func(ctx context.Context, progress func(planning.JobProgress)) (reply, error)

// newSlots is the cap on concurrent heavy work: n slots handed out first
// come, first served (the admission gate), with no bound on the queue and
// no wait of its own: a job waits until its deadline or its cancellation,
// a synchronous call until its slot wait (jobRunner.slotWait).
func newSlots(n int) *admit.Gate { return admit.NewGate(n, math.MaxInt, 100*365*24*time.Hour) }

// jobRunner runs jobs in the server process and knows the live ones.
type jobRunner struct {
	store planning.JobStore
	log   *slog.Logger
	slots *admit.Gate
	// slotWait bounds a synchronous call's wait for a slot (the API's
	// request budget): its route's own budget may be the long one, fit for
	// the work but not for queueing behind it.
	slotWait  time.Duration
	timeouts  map[string]time.Duration
	mu        sync.Mutex
	live      map[int64]*liveJob
	reportGap time.Duration // least time between two progress writes of a job
	// refresh runs before a job is recorded done (the tile engine's
	// Refresh): as after a request's write (freshTiles), its tiles, and the
	// replica's reads, then show the job's writes to whoever sees it done.
	// nil: nothing to refresh.
	refresh func(context.Context) error
}

// liveJob is a job this process runs: how to stop it, and when it has.
type liveJob struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// wantsAsync reports whether the client asked for a job instead of the
// answer: the header Prefer: respond-async (RFC 7240) or ?async=1.
func wantsAsync(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "respond-async") {
				return true
			}
		}
	}
	a := r.URL.Query().Get("async")
	return a == "1" || a == "true"
}

// heavy answers a heavy route: synchronously within the request's budget,
// or, when the client asks (wantsAsync), 202 with a job that does the work
// detached from the request. Either way the work waits for a slot.
// cleanup, when not nil, is called once the work is over or will not run.
func (s *server) heavy(w http.ResponseWriter, r *http.Request, kind string, do work, cleanup func()) error {
	if cleanup == nil {
		cleanup = func() {}
	}
	if !wantsAsync(r) {
		defer cleanup()
		wait, stop := context.WithTimeout(r.Context(), s.jobs.slotWait)
		release, err := s.jobs.slots.Acquire(wait)
		stop()
		if err != nil {
			return planning.Errorf(planning.EUnavailable, "服务器繁忙：已有 %d 项耗时工作在运行或排队，请稍后重试，或以异步任务提交（Prefer: respond-async）", s.jobs.busy())
		}
		defer release()
		rep, err := do(r.Context(), func(planning.JobProgress) {})
		if err != nil || rep.written {
			return err
		}
		if rep.location != "" {
			w.Header().Set("Location", rep.location)
		}
		return writeJSON(w, rep.status, rep.body)
	}
	return s.startJob(w, r, kind, s.jobs.slots.Acquire, do, cleanup)
}

// acquirer takes the slot a job's work runs in, waiting at most until ctx
// ends; release gives it back.
type acquirer func(ctx context.Context) (release func(), err error)

// startJob answers 202 with a new job of kind that, detached from r,
// takes a slot through acquire, does the work and records how it ended.
// cleanup (never nil) is called once the work is over or will not run.
func (s *server) startJob(w http.ResponseWriter, r *http.Request, kind string, acquire acquirer, do work, cleanup func()) error {
	job, err := s.jobs.store.CreateJob(r.Context(), kind, time.Now().Add(s.jobs.timeouts[kind]))
	if err != nil {
		cleanup()
		return err
	}
	// The job keeps the request's values (the principal its writes are
	// audited under, the request id) but not its cancellation: a client
	// that goes away leaves it running.
	ctx, stop := context.WithDeadlineCause(context.WithoutCancel(r.Context()), job.Deadline, errJobDeadline)
	ctx = context.WithValue(ctx, jobIDKey{}, job.ID)
	ctx, cancel := context.WithCancelCause(ctx)
	lj := &liveJob{cancel: cancel, done: make(chan struct{})}
	s.jobs.mu.Lock()
	s.jobs.live[job.ID] = lj
	s.jobs.mu.Unlock()
	go func() {
		defer close(lj.done)
		defer cleanup()
		defer stop()
		defer cancel(nil)
		defer func() {
			s.jobs.mu.Lock()
			delete(s.jobs.live, job.ID)
			s.jobs.mu.Unlock()
		}()
		s.jobs.run(ctx, job, acquire, do)
	}()
	w.Header().Set("Location", jobPath(job.ID))
	return writeJSON(w, http.StatusAccepted, map[string]any{"job": job})
}

func jobPath(id int64) string { return fmt.Sprintf("/api/v1/jobs/%d", id) }

type jobIDKey struct{}

// jobID is the id of the job whose context ctx is (startJob), or 0.
func jobID(ctx context.Context) int64 {
	id, _ := ctx.Value(jobIDKey{}).(int64)
	return id
}

// busy is how many jobs this process holds, running or queued.
func (jr *jobRunner) busy() int {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	return len(jr.live)
}

// run waits for a slot (acquire), does the work and records how it
// ended. A cancelled job is recorded by the cancelling request (CancelJob,
// audited under its principal), not here.
func (jr *jobRunner) run(ctx context.Context, job planning.Job, acquire acquirer, do work) {
	// Bookkeeping outlives the job's own deadline and cancellation.
	book := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	finish := func(rep reply, err error) {
		if errors.Is(context.Cause(ctx), errJobCancelled) {
			return
		}
		var jerr *planning.JobError
		var body json.RawMessage
		switch {
		case errors.Is(context.Cause(ctx), errJobDeadline):
			jerr = &planning.JobError{Code: planning.ETimeout,
				Message: fmt.Sprintf("任务超过时限（%s）未完成，已中止，未写入任何数据；可调整 GAPMAP_JOB_TIMEOUTS", jr.timeouts[job.Kind])}
		case err != nil:
			jerr = &planning.JobError{Code: planning.ErrorCode(err), Message: planning.ErrorMessage(err)}
			if jerr.Code == planning.EInternal || jerr.Code == planning.EUnavailable {
				jr.log.Error("job failed", "job", job.ID, "kind", job.Kind, "err", err, "request_id", requestID(ctx))
			}
		default:
			if body, err = json.Marshal(rep.body); err != nil {
				jerr = &planning.JobError{Code: planning.EInternal, Message: planning.ErrorMessage(err)}
			}
		}
		bctx, cancel := book()
		defer cancel()
		if jr.refresh != nil {
			if err := jr.refresh(bctx); err != nil {
				jr.log.Warn("refresh tile versions after a job", "job", job.ID, "err", err)
			}
		}
		if err := jr.store.FinishJob(bctx, job.ID, rep.status, body, jerr); err != nil {
			jr.log.Error("record the end of a job", "job", job.ID, "err", err)
		}
	}
	release, err := acquire(ctx)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause // the deadline or the cancellation, as the work would end
		}
		finish(reply{}, err)
		return
	}
	defer release()
	bctx, cancel := book()
	started, err := jr.store.StartJob(bctx, job.ID)
	cancel()
	if err != nil || !started {
		if err != nil {
			jr.log.Error("start a job", "job", job.ID, "err", err)
		}
		return
	}
	var mu sync.Mutex
	var last time.Time
	var lastStage string
	var counted bool // the last write had a count
	progress := func(p planning.JobProgress) {
		mu.Lock()
		defer mu.Unlock()
		// Writes are spaced out, but a new stage, its first count and its
		// last (done = total) always land.
		whole := p.Done != nil && p.Total != nil && *p.Done == *p.Total
		if p.Stage == lastStage && counted == (p.Done != nil) && !whole && time.Since(last) < jr.reportGap {
			return
		}
		last, lastStage, counted = time.Now(), p.Stage, p.Done != nil
		if err := jr.store.ReportJob(ctx, job.ID, p); err != nil && ctx.Err() == nil {
			jr.log.Warn("record a job's progress", "job", job.ID, "err", err)
		}
	}
	rep, err := func() (rep reply, err error) {
		// A panic in a job would otherwise take the server down: no
		// middleware stands around its goroutine.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return do(ctx, progress)
	}()
	finish(rep, err)
}

// stop cancels the live job id and waits until its work has ended or ctx
// ends; false when this process does not run it.
func (jr *jobRunner) stop(ctx context.Context, id int64) bool {
	jr.mu.Lock()
	lj := jr.live[id]
	jr.mu.Unlock()
	if lj == nil {
		return false
	}
	lj.cancel(errJobCancelled)
	select {
	case <-lj.done:
	case <-ctx.Done():
	}
	return true
}

// readableJob is the job of the route's {id} if the caller may see it: its
// owner, or an administrator of accounts. Others get 404, as for a job
// that does not exist.
func (s *server) readableJob(r *http.Request) (planning.Job, access.Principal, error) {
	id, err := idVar(r, "id", "任务")
	if err != nil {
		return planning.Job{}, access.Principal{}, err
	}
	pr, _ := access.From(r.Context())
	j, err := s.jobs.store.Job(r.Context(), id)
	if err != nil {
		return j, pr, err
	}
	if j.OwnerID != pr.UserID || pr.UserID == 0 {
		if s.policy.Could(pr, access.UsersAdmin) != nil {
			return planning.Job{}, pr, planning.Errorf(planning.ENotFound, "没有编号为 %d 的任务", id)
		}
	}
	return j, pr, nil
}

// getJob answers a job's state, progress and, once done, its result.
func (s *server) getJob(w http.ResponseWriter, r *http.Request) error {
	j, _, err := s.readableJob(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"job": j})
}

// listJobs answers the caller's newest jobs: ?limit= (default 50, at most
// 200).
func (s *server) listJobs(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	pr, _ := access.From(r.Context())
	js, err := s.jobs.store.Jobs(r.Context(), pr.UserID, limit)
	if err != nil {
		return err
	}
	if js == nil {
		js = []planning.Job{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"jobs": js})
}

// cancelJob stops a queued or running job: its context is cancelled, so
// its transaction rolls back and nothing of it is written. Cancelling
// takes the action that starts the job's kind.
func (s *server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	j, pr, err := s.readableJob(r)
	if err != nil {
		return err
	}
	if err := s.policy.Could(pr, jobActions[j.Kind]); err != nil {
		return err
	}
	if j.Finished() {
		return planning.Errorf(planning.EConflict, "任务 %d 已结束（%s），不能取消", j.ID, planning.JobStateNames[j.State])
	}
	s.jobs.stop(r.Context(), j.ID)
	// Recorded even when the client leaves now: the work has stopped.
	j, err = s.jobs.store.CancelJob(context.WithoutCancel(r.Context()), j.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"job": j})
}
