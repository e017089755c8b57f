package gpkg

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// lineColumns are the five attributes of the benchmark's road layer.
var lineColumns = []Column{
	{Name: "名称", Type: "TEXT"},
	{Name: "等级", Type: "INTEGER"},
	{Name: "宽度", Type: "REAL"},
	{Name: "建成", Type: "DATE"},
	{Name: "硬化", Type: "BOOLEAN"},
}

// lineSource yields an endless stream of 10-vertex roads scattered over
// a county-sized box around Linxiang (EPSG:4490 degrees), reusing one
// LineString and one value slice so the source itself holds nothing per
// feature.
type lineSource struct {
	rng   *rand.Rand
	line  orb.LineString
	vals  []any
	names []string
}

func newLineSource() *lineSource {
	s := &lineSource{rng: rand.New(rand.NewPCG(1, 2)), line: make(orb.LineString, 10), vals: make([]any, len(lineColumns))}
	for i := range 1000 {
		s.names = append(s.names, fmt.Sprintf("临湘市羊楼司镇第%d号村道", i))
	}
	return s
}

// next fills the shared line and values with feature i.
func (s *lineSource) next(i int) (orb.LineString, []any) {
	x, y := 113.1+s.rng.Float64()*0.6, 29.2+s.rng.Float64()*0.5
	for j := range s.line {
		s.line[j] = orb.Point{x, y}
		x += (s.rng.Float64() - 0.5) * 0.002
		y += (s.rng.Float64() - 0.5) * 0.002
	}
	s.vals[0] = s.names[i%len(s.names)]
	s.vals[1] = int64(i % 5)
	s.vals[2] = 3.5 + float64(i%7)*0.5
	s.vals[3] = time.Date(2010+i%15, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
	s.vals[4] = i%3 != 0
	return s.line, s.vals
}

// cpuTime is the user and system CPU time the process has used, a
// steadier measure than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapSampler records the largest live Go heap (as marked by the last
// garbage collection, so garbage awaiting collection does not count),
// sampled every `every` features.
type heapSampler struct {
	every int
	peak  uint64
	s     []metrics.Sample
}

func newHeapSampler(every int) *heapSampler {
	return &heapSampler{every: every, s: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

func (h *heapSampler) sample(i int) {
	if i%h.every != 0 {
		return
	}
	metrics.Read(h.s)
	if h.s[0].Value.Kind() == metrics.KindUint64 {
		h.peak = max(h.peak, h.s[0].Value.Uint64())
	}
}

// BenchmarkWriteLines inserts b.N roads of 10 vertices and 5 attributes
// into one layer and closes the file (extent, R-tree triggers, commit),
// so ns/op is the cost of one feature with the close spread over all.
// Run it at the export scale with
//
//	go test ./data/gpkg -run '^$' -bench WriteLines -benchtime 1000000x
//
// s/1M is the projected time for a million features and cpu-s/1M the CPU
// time (steadier on a shared machine); peak-live-heap-MiB is the largest
// live Go heap seen during the load (sampled every 10,000 features), which
// must not grow with b.N, and maxrss-MiB the process's peak resident
// memory, SQLite's page cache and sorter included.
func BenchmarkWriteLines(b *testing.B) {
	path := filepath.Join(b.TempDir(), "lines.gpkg")
	src := newLineSource()
	h := newHeapSampler(10000)
	w, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	lw, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, lineColumns)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := range b.N {
		g, vals := src.next(i)
		if err := lw.Insert(g, vals); err != nil {
			b.Fatal(err)
		}
		h.sample(i)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.GC() // count what Close held, too
	h.sample(0)
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(elapsed.Seconds()/float64(b.N)*1e6, "s/1M")
	b.ReportMetric(cpu.Seconds()/float64(b.N)*1e6, "cpu-s/1M")
	b.ReportMetric(float64(h.peak)/(1<<20), "peak-live-heap-MiB")
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/float64(b.N), "file-B/op")
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB") // Linux reports KiB; includes SQLite's memory
	}
}

// BenchmarkReadLines reads the roads of BenchmarkWriteLines back; ns/op
// is per feature, decoding the geometry and the five attributes.
func BenchmarkReadLines(b *testing.B) {
	const n = 100000
	path := filepath.Join(b.TempDir(), "lines.gpkg")
	w, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	lw, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, lineColumns)
	if err != nil {
		b.Fatal(err)
	}
	src := newLineSource()
	for i := range n {
		g, vals := src.next(i)
		if err := lw.Insert(g, vals); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var r *Reader
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r == nil || !r.Next() {
			if r != nil {
				if err := r.Err(); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			if r, err = f.Read(""); err != nil {
				b.Fatal(err)
			}
			if !r.Next() {
				b.Fatal(r.Err())
			}
		}
		if len(r.Record().Geometry.(orb.LineString)) != 10 {
			b.Fatal("short line")
		}
	}
	if r != nil {
		r.Close()
	}
}
