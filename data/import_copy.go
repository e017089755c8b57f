package data

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/ingest"
)

// copyPlan is one COPY of a file's records into a table.
type copyPlan struct {
	table string
	cols  []string
	build ingest.Build
	// abandon, when set, ends the read at the first record with an
	// error, as the copy's error: the direct load gives way to the staging
	// table then.
	abandon error
	// hold rows are read before COPY starts, and ready, if set, is called
	// with their number and whether more follow, so that the caller can
	// prepare the table for the size of the load.
	hold  int
	ready func(held int, more bool) error
}

// copy runs plan and returns the number of rows copied: a reading
// goroutine parses and converts the records while COPY sends the rows, so
// that Go and the database work in parallel.
func (im *importer) copy(ctx context.Context, tx pgx.Tx, src ingest.Source, plan copyPlan) (int64, error) {
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 4)
	var readErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(batches)
		readErr = im.conv.Read(readCtx, src, ingest.Reading{Out: batches, Build: plan.build, Abandon: plan.abandon, Progress: im.progress})
	}()
	finish := func(n int64, err error) (int64, error) {
		cancel()
		for range batches { // let the reader finish when COPY failed
		}
		<-done
		if readErr != nil && !errors.Is(readErr, context.Canceled) {
			return n, readErr
		}
		return n, err
	}
	from := &batchSource{ch: batches}
	if plan.hold > 0 {
		more := true
		for len(from.held) < plan.hold && more {
			var batch [][]any
			batch, more = <-batches
			from.held = append(from.held, batch...)
		}
		if !more {
			<-done // the whole file is held: stop now if it failed
			if readErr != nil {
				return finish(0, nil)
			}
		}
		if err := plan.ready(len(from.held), more); err != nil {
			return finish(0, err)
		}
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{plan.table}, plan.cols, from)
	if err != nil {
		err = fmt.Errorf("copy into %s: %w", plan.table, err)
	}
	return finish(n, err)
}

// batchSource is pgx.CopyFromSource over the reading goroutine's batches,
// after the rows held before COPY started.
type batchSource struct {
	ch   <-chan [][]any
	held [][]any
	cur  [][]any
	i    int
}

func (b *batchSource) Next() bool {
	if b.held != nil {
		b.cur, b.held, b.i = b.held, nil, -1
	}
	for b.i+1 >= len(b.cur) {
		batch, ok := <-b.ch
		if !ok {
			return false
		}
		b.cur, b.i = batch, -1
	}
	b.i++
	return true
}

func (b *batchSource) Values() ([]any, error) { return b.cur[b.i], nil }
func (b *batchSource) Err() error             { return nil }
