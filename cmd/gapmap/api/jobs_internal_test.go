package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestSlotsInOrder: waiters get a freed slot in the order they came, and
// one that gives up leaves the queue without taking a slot.
func TestSlotsInOrder(t *testing.T) {
	s := newSlots(1)
	release, err := s.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type turn struct {
		i       int
		release func()
	}
	got := make(chan turn, 3)
	gaveUp, giveUp := context.WithCancel(context.Background())
	waiting := func(n int) { // until n waiters are queued
		for s.Stats().Waiting != n {
			time.Sleep(time.Millisecond)
		}
	}
	for i := range 3 {
		ctx := context.Background()
		if i == 1 {
			ctx = gaveUp
		}
		go func() {
			if r, err := s.Acquire(ctx); err == nil {
				got <- turn{i, r}
			}
		}()
		waiting(i + 1) // the next waiter comes once this one is queued
	}
	giveUp()
	waiting(2) // waiter 1 has left the queue
	release()
	first := <-got
	if first.i != 0 {
		t.Errorf("first slot to waiter %d, want 0", first.i)
	}
	first.release()
	second := <-got
	if second.i != 2 {
		t.Errorf("second slot to waiter %d, want 2 (1 gave up)", second.i)
	}
	second.release()
	if st := s.Stats(); st.InUse != 0 || st.Waiting != 0 {
		t.Errorf("after all: %d in use, %d queued; want 0, 0", st.InUse, st.Waiting)
	}
}

// TestJobPanicFailsTheJob: a panic in a job's work ends the job failed
// with the generic message, and the server goes on.
func TestJobPanicFailsTheJob(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	jr := &jobRunner{store: db.Store, log: slog.New(slog.NewTextHandler(io.Discard, nil)), slots: newSlots(1),
		timeouts: DefaultJobTimeouts, live: map[int64]*liveJob{}}
	j, err := db.Store.CreateJob(ctx, planning.JobPlan, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	jr.run(ctx, j, jr.slots.Acquire, func(context.Context, func(planning.JobProgress)) (reply, error) { panic("boom") })
	if j, err = db.Store.Job(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if j.State != planning.JobFailed || j.Error == nil || j.Error.Code != planning.EInternal || j.Error.Message != planning.ErrorMessage(errors.New("any")) {
		t.Errorf("job after a panic: %s %+v, want failed internal", j.State, j.Error)
	}
	if n := jr.slots.Stats().InUse; n != 0 {
		t.Errorf("%d slots in use after the panic, want the one back", n)
	}
}
