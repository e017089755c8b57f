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
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 3)
	gaveUp, giveUp := context.WithCancel(context.Background())
	for i := range 3 {
		ctx := context.Background()
		if i == 1 {
			ctx = gaveUp
		}
		go func() {
			if s.acquire(ctx) == nil {
				got <- i
			}
		}()
		for { // the next waiter comes once this one is queued
			s.mu.Lock()
			n := len(s.queue)
			s.mu.Unlock()
			if n == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	giveUp()
	for { // waiter 1 has left the queue
		s.mu.Lock()
		n := len(s.queue)
		s.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	s.release()
	if i := <-got; i != 0 {
		t.Errorf("first slot to waiter %d, want 0", i)
	}
	s.release()
	if i := <-got; i != 2 {
		t.Errorf("second slot to waiter %d, want 2 (1 gave up)", i)
	}
	s.release()
	if s.free != 1 || len(s.queue) != 0 {
		t.Errorf("after all: %d free, %d queued; want 1, 0", s.free, len(s.queue))
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
	jr.run(ctx, j, func(context.Context, func(planning.JobProgress)) (reply, error) { panic("boom") })
	if j, err = db.Store.Job(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if j.State != planning.JobFailed || j.Error == nil || j.Error.Code != planning.EInternal || j.Error.Message != planning.ErrorMessage(errors.New("any")) {
		t.Errorf("job after a panic: %s %+v, want failed internal", j.State, j.Error)
	}
	if jr.slots.free != 1 {
		t.Errorf("%d slots free after the panic, want the one back", jr.slots.free)
	}
}
