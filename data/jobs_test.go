package data_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestAbandonJobs is a restart: the jobs a killed server left queued or
// running end failed with 服务重启，任务中断; finished jobs keep their
// result and state.
func TestAbandonJobs(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	deadline := time.Now().Add(time.Hour)
	create := func(kind string) planning.Job {
		t.Helper()
		j, err := db.Store.CreateJob(ctx, kind, deadline)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	queued, running, done := create(planning.JobScore), create(planning.JobImport), create(planning.JobPlan)
	for _, j := range []planning.Job{running, done} {
		if ok, err := db.Store.StartJob(ctx, j.ID); !ok || err != nil {
			t.Fatalf("start job %d: %v %v", j.ID, ok, err)
		}
	}
	if err := db.Store.FinishJob(ctx, done.ID, 200, json.RawMessage(`{"ok": true}`), nil); err != nil {
		t.Fatal(err)
	}
	n, err := db.Store.AbandonJobs(ctx)
	if err != nil || n != 2 {
		t.Fatalf("AbandonJobs = %d, %v; want the 2 open jobs", n, err)
	}
	for _, id := range []int64{queued.ID, running.ID} {
		j, err := db.Store.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != planning.JobFailed || j.Error == nil || j.Error.Message != planning.JobInterrupted || j.FinishedAt == nil {
			t.Errorf("job %d after a restart: %s %+v, want failed: %s", id, j.State, j.Error, planning.JobInterrupted)
		}
	}
	j, err := db.Store.Job(ctx, done.ID)
	if err != nil || j.State != planning.JobSucceeded || j.ResultStatus != 200 || string(j.Result) != `{"ok": true}` {
		t.Errorf("the finished job after a restart: %+v %v", j, err)
	}
	if _, err := db.Store.CancelJob(ctx, queued.ID); planning.ErrorCode(err) != planning.EConflict {
		t.Errorf("cancelling an interrupted job: %v, want a conflict", err)
	}
	if _, err := db.Store.Job(ctx, 1<<40); planning.ErrorCode(err) != planning.ENotFound {
		t.Errorf("a job that does not exist: %v, want not found", err)
	}
}
