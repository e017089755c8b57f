package data_test

import (
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkGenerateDemo times candidate generation on the demo county as
// `gapmap demo` runs it (the poor villages' gaps), prediction included:
// gen-ms per generation, its round trips to the database (statements and
// batches, which the load does not change), and how many candidates it
// predicted by their completion writes.
func BenchmarkGenerateDemo(b *testing.B) {
	db, prof := scoredDemo(b)
	ctx := datatest.Context()
	var rep planning.GenerateReport
	var took time.Duration
	n := 0
	trips := db.RoundTrips.N()
	for b.Loop() {
		t := time.Now()
		var err error
		if rep, err = planning.Generate(ctx, db.Store, prof, 0, false); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t)
		n++
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(n), "gen-ms")
	b.ReportMetric(float64(db.RoundTrips.N()-trips)/float64(n), "round-trips")
	b.ReportMetric(float64(rep.Candidates), "candidates")
	b.ReportMetric(float64(rep.Predicted), "predicted")
}
