package data_test

import (
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkScoreDemo times a full scoring run of the demo county: facts
// from PostGIS, judgements in Go, and storing every judgement.
func BenchmarkScoreDemo(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	if _, err := db.Store.RebuildRoadGraph(ctx, p.Road); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRescoreAfterRoadEdit times what a bureau waits for after paving
// one road: the graph patch and the incremental run.
func BenchmarkRescoreAfterRoadEdit(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	if _, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, true, nil); err != nil {
		b.Fatal(err)
	}
	surfaces := []string{"水泥", "砂石"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		mustExec(b, db, `UPDATE roads SET surface = $1 WHERE id = (SELECT min(r.id) FROM roads r WHERE r.grade = '村道' AND r.width_m = 3.5)`,
			surfaces[i%2])
		b.StartTimer()
		run, _, err := planning.Score(ctx, db.Store, p, demo.BaselineDate, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		if run.Rescored == 0 {
			b.Fatal("the edit re-scored no village")
		}
	}
}

// BenchmarkScoreDemoAsOf times a full scoring run of the demo county as of
// a past date through its snapshot (built once before the timer, as a
// second run of the same date finds it), to compare with BenchmarkScoreDemo.
// The snapshot's build and its road graph are reported as build-ms.
func BenchmarkScoreDemoAsOf(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	start := time.Now()
	past, err := db.Store.AsOf(ctx, demo.BaselineDate)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := past.RebuildRoadGraph(ctx, p.Road); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		past, err := db.Store.AsOf(ctx, demo.BaselineDate)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := planning.Score(ctx, past, p, demo.BaselineDate, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(build.Milliseconds()), "build-ms")
}
