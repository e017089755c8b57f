package ingest

import (
	"context"
	"fmt"

	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/planning"
)

// BatchRows is the number of rows Read hands on at once; progress is
// reported per batch.
const BatchRows = 2000

// Build turns one converted record into the rows its destination takes
// (several when a multi-line is split), or false to refuse the record.
type Build func(r Record) (rows [][]any, ok bool)

// Reading is one pass of [Converter.Read] over a file.
type Reading struct {
	Out   chan<- [][]any // batches of Build's rows
	Build Build
	// Abandon, when set, ends the read at the first record with an error
	// (Convert's or Build's), as Read's error, instead of counting the
	// record rejected.
	Abandon error
	// Progress, when set, is called every batch with the records read so
	// far.
	Progress func(rows int64)
}

// Read reads src to the end: it converts each record (see Convert), hands
// it to rd.Build, and sends the rows in batches to rd.Out. Parsing runs on
// a goroutine of its own, so that parsing and converting overlap; callers
// run Read on another goroutine beside what consumes rd.Out (COPY). Read
// owns the report until it returns: it counts the records read and
// rejected, and adds the reader's own findings at the end. A file that
// breaks off is an error of the whole file (*planning.Error).
func (c *Converter) Read(ctx context.Context, src Source, rd Reading) error {
	c.counts = map[string]int64{} // a pass counts afresh: a direct load may give way to staging
	var batch [][]any
	send := func() bool {
		if rd.Progress != nil {
			rd.Progress(c.rep.Read)
		}
		select {
		case rd.Out <- batch:
			batch = make([][]any, 0, BatchRows)
			return true
		case <-ctx.Done():
			return false
		}
	}
	pctx, stop := context.WithCancel(ctx)
	chunks := parse(pctx, src)
	defer func() { // src is the caller's again only once parse has returned
		stop()
		for range chunks {
		}
	}()
	var chunk recordChunk
	for chunk = range chunks {
		for _, rec := range chunk.recs {
			c.rep.Read++
			r, ok := c.Convert(rec)
			var rows [][]any
			if ok {
				rows, ok = rd.Build(r)
			}
			if !ok {
				if rd.Abandon != nil {
					return rd.Abandon
				}
				c.rep.Rejected++
			}
			batch = append(batch, rows...)
			if len(batch) >= BatchRows && !send() {
				return ctx.Err()
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := chunk.err; err != nil {
		// A file that breaks off is reported as a whole-file problem:
		// nothing of it is written, whatever the mode, because the rows
		// after the break are unknown.
		return &planning.Error{Code: planning.EInvalid, Message: fmt.Sprintf("%s：%s（已读取 %d 行；文件损坏或不完整，未导入任何数据）", c.rep.File, userMessage(err), c.rep.Read), Err: err}
	}
	if w := src.Dims().Warning(); w != "" {
		c.rep.Add(planning.ImportProblem{Field: "geom", Value: src.Dims().String(), Severity: planning.SeverityWarning, Reason: w})
	}
	if c.cols.info.Summary != nil {
		for _, p := range c.cols.info.Summary() {
			c.rep.Add(p)
		}
	}
	for _, p := range c.summary() {
		c.rep.Add(p)
	}
	if len(batch) > 0 && !send() {
		return ctx.Err()
	}
	if rd.Progress != nil {
		rd.Progress(c.rep.Read)
	}
	return nil
}

// recordChunk is what the parsing goroutine hands on: records, and with
// the last chunk the reader's error.
type recordChunk struct {
	recs []feature.Record
	err  error
}

// parse reads src on its own goroutine, so that parsing a file and
// converting its records overlap: at full COPY speed each takes about
// half a core.
func parse(ctx context.Context, src Source) <-chan recordChunk {
	const size = 256
	out := make(chan recordChunk, 4)
	go func() {
		defer close(out)
		chunk := make([]feature.Record, 0, size)
		for src.Next() {
			if chunk = append(chunk, src.Record()); len(chunk) == size {
				select {
				case out <- recordChunk{recs: chunk}:
				case <-ctx.Done():
					return
				}
				chunk = make([]feature.Record, 0, size)
			}
		}
		select {
		case out <- recordChunk{recs: chunk, err: src.Err()}:
		case <-ctx.Done():
		}
	}()
	return out
}
