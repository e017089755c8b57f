package data_test

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/province"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkProvince measures scoring at province scale: the dataset that
// data/province generates from the 29,534 real Hunan village codes
// (data/province/testdata, or GAPMAP_PROVINCE_CSV; synthetic geometry) is loaded once
// into a private schema, then a full run and a re-score after one road edit
// are timed. Run it by hand, it takes minutes:
//
//	go test ./data -run '^$' -bench Province -benchtime 1x -timeout 60m
//
// peak-go-MB is the most memory the Go runtime held from the OS during the
// measured runs (sampled), peak-rss-MB the process's peak resident set.
func BenchmarkProvince(b *testing.B) {
	raw := hunanCSV(b)
	db := datatest.New(b)
	ctx := datatest.Context()

	t0 := time.Now()
	counties, err := province.Generate(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	generated := time.Since(t0)
	t0 = time.Now()
	if _, err := db.Store.LoadGenerated(ctx, data.Generated{Name: "province:43", Version: province.Version, Synthetic: true,
		Detail: map[string]string{"geometry": "synthetic", "codes": "国家统计局 2023 统计用区划代码（湖南）"}, Counties: counties}); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(t0)
	counties = nil
	mustExec(b, db, `ANALYZE`)
	var roads, lines, transformers, poor int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM roads), (SELECT count(*) FROM power_lines),
		(SELECT count(*) FROM transformers), (SELECT count(*) FROM villages WHERE is_poor_village)`).
		Scan(&roads, &lines, &transformers, &poor); err != nil {
		b.Fatal(err)
	}
	b.Logf("province: %d roads, %d power lines, %d transformers, %d poor villages; generated in %s, loaded in %s",
		roads, lines, transformers, poor, generated.Round(time.Millisecond), loaded.Round(time.Second))

	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	b.Run("GraphBuild", func(b *testing.B) {
		for b.Loop() {
			mustExec(b, db, `UPDATE road_graph_state SET params = ''`) // force a full rebuild
			if _, err := db.Store.RebuildRoadGraph(ctx, p.Road); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ScoreFull", func(b *testing.B) {
		stop := watchMemory(b)
		defer stop()
		for b.Loop() {
			run, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
			if err != nil {
				b.Fatal(err)
			}
			if run.Villages < 29000 {
				b.Fatalf("scored %d villages", run.Villages)
			}
		}
	})
	b.Run("RescoreAfterRoadEdit", func(b *testing.B) {
		stop := watchMemory(b)
		defer stop()
		surfaces := []string{"水泥", "砂石"}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			mustExec(b, db, `UPDATE roads SET surface = $1 WHERE id = (SELECT min(id) FROM roads WHERE grade = '村道' AND width_m = 3.5)`,
				surfaces[i%2])
			b.StartTimer()
			run, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
			if err != nil {
				b.Fatal(err)
			}
			if run.Rescored == 0 || run.Rescored > 1000 {
				b.Fatalf("the edit re-scored %d villages", run.Rescored)
			}
		}
	})
	b.Run("UpsertRoads200k", func(b *testing.B) { upsertRoads200k(b, db, p, asOf) })
	b.Run("GenerateCandidates", func(b *testing.B) {
		stop := watchMemory(b)
		defer stop()
		for b.Loop() {
			rep, err := planning.Generate(ctx, db.Store, p, 0, false)
			if err != nil {
				b.Fatal(err)
			}
			if rep.Villages < 5000 || rep.Candidates < rep.Villages {
				b.Fatalf("generated %+v", rep)
			}
			b.ReportMetric(float64(rep.Candidates), "candidates")
		}
	})
}

// watchMemory samples the Go runtime's total mapped memory until stopped,
// resets the process's peak RSS first, and reports both peaks.
func watchMemory(b *testing.B) (stop func()) {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM (Linux)
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		b.ReportMetric(float64(peak)/(1<<20), "peak-go-MB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MB")
	}
}

// peakRSS returns VmHWM from /proc/self/status in bytes, 0 if unknown.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// hunanCSV returns the village list named by GAPMAP_PROVINCE_CSV, by
// default the embedded real Hunan codes.
func hunanCSV(tb testing.TB) []byte {
	tb.Helper()
	in, err := province.CodeList(os.Getenv("GAPMAP_PROVINCE_CSV"))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}
