package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// jobBody is how the jobs routes answer.
type jobBody struct {
	Job planning.Job `json:"job"`
}

// startJob sends a heavy request asking for a job and returns the job; it
// fails the test unless the answer is 202 with the job's Location.
func startJob(t *testing.T, h http.Handler, req *http.Request) planning.Job {
	t.Helper()
	req.Header.Set("Prefer", "respond-async")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("%s %s async: %d %s, want 202", req.Method, req.URL, rec.Code, rec.Body)
	}
	j := decode[jobBody](t, rec).Job
	if loc := rec.Header().Get("Location"); loc != fmt.Sprintf("/api/v1/jobs/%d", j.ID) || j.State != planning.JobQueued {
		t.Fatalf("202 with Location %q and state %q, want /api/v1/jobs/%d and queued", loc, j.State, j.ID)
	}
	return j
}

// jobNow reads job id through the API.
func jobNow(t *testing.T, h http.Handler, id int64) planning.Job {
	t.Helper()
	rec := get(t, h, fmt.Sprintf("/api/v1/jobs/%d", id))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET job %d: %d %s", id, rec.Code, rec.Body)
	}
	return decode[jobBody](t, rec).Job
}

// waitJob polls job id until until(job) holds, for at most a minute.
func waitJob(t *testing.T, h http.Handler, id int64, until func(planning.Job) bool) planning.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j := jobNow(t, h, id)
		if until(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s (%+v) after a minute", id, j.State, j.Progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func finished(j planning.Job) bool { return j.Finished() }

// TestJobScoreMatchesSync scores the demo synchronously, then as a job:
// 202, the job polled to succeeded with the same run (every village's
// gaps), honest progress (161 of 161 villages), the job in the caller's
// list and its creation in the audit trail. The job runs on although the
// request's context is cancelled as soon as the 202 is answered (a client
// that went away).
func TestJobScoreMatchesSync(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = time.Minute }) // a busy test machine
	body := `{"as_of": "2016-12-31", "full": true}`

	rec := do(t, h, http.MethodPost, "/api/v1/scoring-runs", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("sync POST scoring-runs: %d %s", rec.Code, rec.Body)
	}
	syncRun := decode[planning.Run](t, rec)

	ctx, gone := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/api/v1/scoring-runs", strings.NewReader(body)).WithContext(ctx)
	j := startJob(t, h, req)
	gone() // the client leaves
	j = waitJob(t, h, j.ID, finished)
	if j.State != planning.JobSucceeded || j.ResultStatus != http.StatusCreated || j.Kind != planning.JobScore || j.Owner != "tester" {
		t.Fatalf("job = %s %d %s by %s, error %+v; want succeeded 201 score by tester", j.State, j.ResultStatus, j.Kind, j.Owner, j.Error)
	}
	var jobRun planning.Run
	if err := json.Unmarshal(j.Result, &jobRun); err != nil {
		t.Fatal(err)
	}
	if jobRun.ID == syncRun.ID || jobRun.Villages != syncRun.Villages || jobRun.ProfileHash != syncRun.ProfileHash || jobRun.Rescored != 161 {
		t.Errorf("job's run %+v, sync run %+v: want a new run of the same 161 villages and profile", jobRun, syncRun)
	}
	if p := j.Progress; p.Done == nil || p.Total == nil || *p.Done != 161 || *p.Total != 161 {
		t.Errorf("progress %+v, want 161 of 161 villages", p)
	}
	if j.StartedAt == nil || j.FinishedAt == nil || j.FinishedAt.Before(*j.StartedAt) {
		t.Errorf("started %v finished %v", j.StartedAt, j.FinishedAt)
	}
	gaps := func(run int64) []planning.GapRow {
		rec := get(t, h, fmt.Sprintf("/api/v1/gaps?run=%d&page_size=1000", run))
		if rec.Code != http.StatusOK {
			t.Fatalf("gaps of run %d: %d %s", run, rec.Code, rec.Body)
		}
		return decode[struct{ Villages []planning.GapRow }](t, rec).Villages
	}
	if a, b := gaps(syncRun.ID), gaps(jobRun.ID); len(a) != 161 || !reflect.DeepEqual(a, b) {
		t.Errorf("the job's run scores (%d villages) differ from the synchronous run's (%d)", len(b), len(a))
	}

	list := decode[struct{ Jobs []planning.Job }](t, get(t, h, "/api/v1/jobs"))
	if len(list.Jobs) != 1 || list.Jobs[0].ID != j.ID {
		t.Errorf("GET /api/v1/jobs = %+v, want the one job", list.Jobs)
	}
	audit := get(t, h, fmt.Sprintf("/api/v1/audit?kind=job&id=%d", j.ID))
	if !strings.Contains(audit.Body.String(), `"action":"job.create"`) {
		t.Errorf("audit of job %d: %s, want its job.create", j.ID, audit.Body)
	}
}

// pausingImports holds an import after it has read its second batch (the
// first is on its way into the database) until the import's context ends:
// a job cancelled or out of time mid-way. The database work is real.
type pausingImports struct {
	planning.ImportStore
	paused   chan struct{} // closed when an import pauses
	returned chan struct{} // closed when the paused import has returned
	once     sync.Once
}

func newPausingImports(st planning.ImportStore) *pausingImports {
	return &pausingImports{ImportStore: st, paused: make(chan struct{}), returned: make(chan struct{})}
}

func (p *pausingImports) Import(ctx context.Context, path string, opt planning.ImportOptions) (planning.ImportReport, error) {
	report := opt.Progress
	var calls atomic.Int32 // Progress runs on the reading goroutine
	opt.Progress = func(rows int64) {
		report(rows)
		if calls.Add(1) == 2 {
			p.once.Do(func() { close(p.paused) })
			<-ctx.Done()
		}
	}
	defer func() {
		if calls.Load() >= 2 {
			close(p.returned)
		}
	}()
	return p.ImportStore.Import(ctx, path, opt)
}

// busStops is a CSV of n bus stops in the demo county.
func busStops(n int) string {
	var b strings.Builder
	b.WriteString("站名,经度,纬度\n")
	for i := range n {
		fmt.Fprintf(&b, "任务站%d,%.5f,%.5f\n", i, 113.40+float64(i%100)*0.002, 29.40+float64(i/100)*0.002)
	}
	return b.String()
}

// TestJobCancelImportMidway cancels an import job that has read part of
// its file: the job ends cancelled, no bus stop is written, the layer's
// change log is as before, and the cancellation is audited. A second
// import job, whose deadline passes mid-way, ends failed with a timeout
// and writes nothing either.
func TestJobCancelImportMidway(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	imp := newPausingImports(db.Store)
	h := newRouter(t, db.Store, func(c *api.Config) {
		c.Imports = imp
		c.JobTimeouts = map[string]time.Duration{planning.JobImport: time.Hour}
	})
	state := func() string {
		var s string
		if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM bus_stops) || '/' || (SELECT count(*) FROM layer_changes)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	j := startJob(t, h, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"站.csv": busStops(5000)}, nil))
	select {
	case <-imp.paused:
	case <-time.After(time.Minute):
		t.Fatal("the import never read its second batch")
	}
	running := jobNow(t, h, j.ID)
	if running.State != planning.JobRunning || running.Progress.Done == nil || *running.Progress.Done < 2000 || running.Progress.Total != nil {
		t.Errorf("paused import job: %s %+v, want running with ≥ 2000 rows read and no total", running.State, running.Progress)
	}
	rec := do(t, h, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", j.ID), "")
	if rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	if got := decode[jobBody](t, rec).Job; got.State != planning.JobCancelled || got.Error == nil || got.FinishedAt == nil {
		t.Errorf("cancelled job = %+v", got)
	}
	select { // the answer comes once the work has stopped
	case <-imp.returned:
	default:
		t.Error("the cancel answered while the import still runs")
	}
	if after := state(); after != before {
		t.Errorf("bus stops / changes %s after the cancelled import, %s before", after, before)
	}
	if got := jobNow(t, h, j.ID); got.State != planning.JobCancelled || got.Result != nil {
		t.Errorf("job after cancel: %s, result %s", got.State, got.Result)
	}
	if rec := do(t, h, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", j.ID), ""); rec.Code != http.StatusConflict || !strings.Contains(errorMessage(rec), "已结束") {
		t.Errorf("cancelling again: %d %s, want 409 saying it has ended", rec.Code, rec.Body)
	}
	audit := get(t, h, fmt.Sprintf("/api/v1/audit?kind=job&id=%d", j.ID)).Body.String()
	if !strings.Contains(audit, `"action":"job.cancel"`) || !strings.Contains(audit, `"action":"job.create"`) {
		t.Errorf("audit of job %d: %s, want job.create and job.cancel", j.ID, audit)
	}

	// Out of time mid-way.
	imp2 := newPausingImports(db.Store)
	h2 := newRouter(t, db.Store, func(c *api.Config) {
		c.Imports = imp2
		c.JobTimeouts = map[string]time.Duration{planning.JobImport: 2 * time.Second}
	})
	j = startJob(t, h2, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"站.csv": busStops(5000)}, nil))
	j = waitJob(t, h2, j.ID, finished)
	if j.State != planning.JobFailed || j.Error == nil || j.Error.Code != planning.ETimeout || !strings.Contains(j.Error.Message, "时限") {
		t.Errorf("job past its deadline: %s %+v, want failed with a timeout naming 时限", j.State, j.Error)
	}
	if after := state(); after != before {
		t.Errorf("bus stops / changes %s after the timed-out import, %s before", after, before)
	}
}

// TestJobCap runs with one slot: while an import job holds it, two
// scoring jobs wait queued; the first
// queued one cancelled never runs and makes no run; a synchronous call
// answers 503 when its budget ends before its turn comes; once the import is
// cancelled the next runs to the end, after the slot was freed.
func TestJobCap(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	imp := newPausingImports(db.Store)
	h := newRouter(t, db.Store, func(c *api.Config) { c.Imports, c.JobSlots, c.RequestTimeout = imp, 1, 3*time.Second })
	runs := func() int {
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM scoring_runs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	runsBefore := runs()
	holder := startJob(t, h, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"站.csv": busStops(5000)}, nil))
	<-imp.paused
	score := func() *http.Request {
		return httptest.NewRequest(http.MethodPost, "/api/v1/scoring-runs", strings.NewReader(`{"as_of": "2016-12-31"}`))
	}
	second, third := startJob(t, h, score()), startJob(t, h, score())
	time.Sleep(300 * time.Millisecond) // time enough to start, were a slot free
	for _, id := range []int64{second.ID, third.ID} {
		if j := jobNow(t, h, id); j.State != planning.JobQueued || j.Progress.Stage != "排队等候" || j.StartedAt != nil {
			t.Errorf("job %d with the one slot taken: %s (%s), want queued", id, j.State, j.Progress.Stage)
		}
	}
	// A synchronous call takes its turn too, within its request's budget.
	if rec := do(t, h, http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-12-31"}`); rec.Code != http.StatusServiceUnavailable || !strings.Contains(errorMessage(rec), "服务器繁忙") {
		t.Errorf("a synchronous scoring with no slot free: %d %s, want 503 saying the server is busy", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", second.ID), ""); rec.Code != http.StatusOK {
		t.Fatalf("cancel the queued job: %d %s", rec.Code, rec.Body)
	}
	var cancelAt time.Time // the database's clock, which stamps the jobs
	if err := db.Pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&cancelAt); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, h, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", holder.ID), ""); rec.Code != http.StatusOK {
		t.Fatalf("cancel the import: %d %s", rec.Code, rec.Body)
	}
	done := waitJob(t, h, third.ID, finished)
	if done.State != planning.JobSucceeded || done.StartedAt == nil || done.StartedAt.Before(cancelAt) {
		t.Errorf("third job: %s started %v, the import was cancelled at %v; want succeeded after that", done.State, done.StartedAt, cancelAt)
	}
	if j := jobNow(t, h, second.ID); j.State != planning.JobCancelled || j.StartedAt != nil {
		t.Errorf("the cancelled queued job: %s, started %v; want cancelled, never started", j.State, j.StartedAt)
	}
	if n := runs(); n != runsBefore+1 {
		t.Errorf("%d scoring runs after, %d before: want exactly the third job's", n, runsBefore)
	}
}

// TestJobOfAnotherUser: another user neither sees nor cancels my job (404,
// as for a job that does not exist) nor finds it in its list; an
// administrator of accounts sees it.
func TestJobOfAnotherUser(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store)
	j := startJob(t, h, httptest.NewRequest(http.MethodPost, "/api/v1/scoring-runs", strings.NewReader(`{"as_of": "2016-12-31"}`)))
	j = waitJob(t, h, j.ID, finished)

	other := newBrowser("other")
	account(t, db.Store, "other", grantOf{access.County, "430682", access.Approver})
	other.mustLogIn(t, h)
	for _, req := range []struct{ method, url string }{
		{http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", j.ID)},
		{http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", j.ID)},
		{http.MethodDelete, fmt.Sprintf("/api/v1/jobs/%d", j.ID)},
	} {
		if rec := other.do(h, req.method, req.url, nil); rec.Code != http.StatusNotFound || !strings.Contains(errorMessage(rec), "任务") {
			t.Errorf("%s %s by another user: %d %s, want 404", req.method, req.url, rec.Code, rec.Body)
		}
	}
	if list := decode[struct{ Jobs []planning.Job }](t, other.do(h, http.MethodGet, "/api/v1/jobs", nil)); len(list.Jobs) != 0 {
		t.Errorf("another user's list: %+v, want none", list.Jobs)
	}
	admin := newBrowser("admin")
	account(t, db.Store, "admin", grantOf{access.County, "430682", access.Admin})
	admin.mustLogIn(t, h)
	if rec := admin.do(h, http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", j.ID), nil); rec.Code != http.StatusOK {
		t.Errorf("the administrator reads the job: %d %s", rec.Code, rec.Body)
	}
}

// TestJobPlanAndAsyncQuery: ?async=1 asks for a job too; a plan job ends
// with the plan the synchronous call answers; a bad plan request is a 400
// with its Chinese message, not a job.
func TestJobPlanAndAsyncQuery(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = time.Minute })
	body := `{"years": [2017, 2018], "budgets": {"2017": 3000, "2018": 3000}}`
	rec := do(t, h, http.MethodPost, "/api/v1/plans", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("sync plan: %d %s", rec.Code, rec.Body)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/plans?async=1", strings.NewReader(body))
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, req)
	if rec2.Code != http.StatusAccepted {
		t.Fatalf("?async=1: %d %s", rec2.Code, rec2.Body)
	}
	j := waitJob(t, h, decode[jobBody](t, rec2).Job.ID, finished)
	// Everything but the time the search took.
	plan := func(b []byte) any {
		m := anyJSON(t, b).(map[string]any)
		delete(m, "elapsed")
		return m
	}
	if j.State != planning.JobSucceeded || j.ResultStatus != http.StatusOK || !reflect.DeepEqual(plan(j.Result), plan(rec.Body.Bytes())) {
		t.Errorf("plan job: %s %d, result differs from the synchronous plan:\n%s\n%s", j.State, j.ResultStatus, j.Result, rec.Body)
	}

	// Bad input is refused while the client waits, as the synchronous call
	// refuses it, and makes no job.
	bad := httptest.NewRequest(http.MethodPost, "/api/v1/plans", strings.NewReader(`{"fill": "随便", "budgets": {"2017": 1}}`))
	bad.Header.Set("Prefer", "respond-async")
	rec3 := httptest.NewRecorder()
	h.ServeHTTP(rec3, bad)
	if rec3.Code != http.StatusBadRequest || !strings.Contains(errorMessage(rec3), "fill") {
		t.Errorf("async plan with a bad fill: %d %s, want 400 naming fill", rec3.Code, rec3.Body)
	}
	if list := decode[struct{ Jobs []planning.Job }](t, get(t, h, "/api/v1/jobs")); len(list.Jobs) != 1 {
		t.Errorf("%d jobs after a refused one, want the plan's only", len(list.Jobs))
	}
}

// anyJSON decodes b, so that JSON texts compare whatever their spacing and
// key order (jsonb's differ from encoding/json's).
func anyJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJobGenerate: generating the 项目库 as a job reports what the
// synchronous call reports on the same library (a second generation adds
// nothing new); a run that does not exist is a 404 at once, not a job.
func TestJobGenerate(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = time.Minute })
	if rec := do(t, h, http.MethodPost, "/api/v1/scoring-runs", `{"as_of": "2016-12-31"}`); rec.Code != http.StatusCreated {
		t.Fatalf("score: %d %s", rec.Code, rec.Body)
	}
	first := do(t, h, http.MethodPost, "/api/v1/projects/generate", `{}`)
	if first.Code != http.StatusOK {
		t.Fatalf("sync generate: %d %s", first.Code, first.Body)
	}
	again := do(t, h, http.MethodPost, "/api/v1/projects/generate", `{}`)
	j := startJob(t, h, httptest.NewRequest(http.MethodPost, "/api/v1/projects/generate", strings.NewReader(`{}`)))
	j = waitJob(t, h, j.ID, finished)
	if j.State != planning.JobSucceeded || j.ResultStatus != http.StatusOK {
		t.Fatalf("generate job: %s %d %+v", j.State, j.ResultStatus, j.Error)
	}
	// After the first generation the library is as the second one found
	// it: the job's report is the second synchronous one.
	want, got := anyJSON(t, again.Body.Bytes()), anyJSON(t, j.Result)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("generate job's report differs from the synchronous one:\n%s\n%s", j.Result, again.Body)
	}

	bad := httptest.NewRequest(http.MethodPost, "/api/v1/projects/generate", strings.NewReader(`{"run_id": 999999}`))
	bad.Header.Set("Prefer", "respond-async")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, bad)
	if rec.Code != http.StatusNotFound {
		t.Errorf("async generate from a missing run: %d %s, want 404", rec.Code, rec.Body)
	}
}
