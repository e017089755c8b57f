package export

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// The memory test and benchmarks write many roads of 10 vertices and 6
// attributes, the shape of the county road network export.

var benchLayer = Layer{
	Name: "roads", Title: "道路", Geometry: GeomLineString, SRID: 4326, PRJ: esri4490,
	Fields: []Field{
		{Name: "name", Title: "名称", Type: String},
		{Name: "village_code", Title: "村代码", Type: String},
		{Name: "length_m", Title: "长度（米）", Type: Float},
		{Name: "households", Title: "受益户数", Type: Int},
		{Name: "paved", Title: "硬化", Type: Bool},
		{Name: "built", Title: "建成日期", Type: Date},
	},
}

// benchFeatures are a few distinct features that the runs cycle through,
// so that the writers see varied values without the test allocating.
type benchFeature struct {
	geom   orb.Geometry // boxed once here, not per Write
	values []any
}

func newBenchFeatures(n int) []benchFeature {
	out := make([]benchFeature, n)
	for i := range out {
		line := make(orb.LineString, 10)
		for j := range line {
			line[j] = orb.Point{113.1 + float64(i)*0.001 + float64(j)*0.0001234567, 29.2 + float64(j)*0.0000987654}
		}
		out[i] = benchFeature{geom: line, values: []any{
			"羊楼司镇柘庄村" + strconv.Itoa(i) + "组道路", "430682101" + fmt.Sprintf("%03d", i), 1234.5 + float64(i),
			int64(40 + i), i%2 == 0, time.Date(2016, 12, 1+i%28, 0, 0, 0, 0, time.UTC),
		}}
	}
	return out
}

// benchWriters are the writers measured; the Shapefile spools to dir.
func benchWriters(dir string) []struct {
	name string
	new  func(io.Writer) Writer
} {
	return []struct {
		name string
		new  func(io.Writer) Writer
	}{
		{"geojson", NewGeoJSON},
		{"csv", NewCSV},
		{"kml", NewKML},
		{"xlsx", NewXLSX},
		{"shapefile-utf8", func(w io.Writer) Writer { return NewShapefileZip(w, ShapefileOptions{TempDir: dir}) }},
		{"shapefile-gbk", func(w io.Writer) Writer {
			return NewShapefileZip(w, ShapefileOptions{TempDir: dir, Encoding: EncodingGBK})
		}},
	}
}

// writeN writes n features through w as one layer (more than one sheet's
// worth goes to further layers) and closes it.
func writeN(tb testing.TB, w Writer, feats []benchFeature, n int) {
	tb.Helper()
	l := benchLayer
	for start, part := 0, 0; start < n || part == 0; part++ {
		if part > 0 {
			l.Name = "roads" + strconv.Itoa(part)
		}
		if err := w.BeginLayer(l); err != nil {
			tb.Fatal(err)
		}
		end := min(n, start+xlsxMaxFeatures)
		for i := start; i < end; i++ {
			f := &feats[i%len(feats)]
			if err := w.Write(f.geom, f.values); err != nil {
				tb.Fatal(err)
			}
		}
		start = end
		if err := w.EndLayer(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(testMeta); err != nil {
		tb.Fatal(err)
	}
}

// heapSampler records the peak of the Go heap while a run lasts, from
// runtime/metrics every millisecond: live is the heap that survived the
// latest GC (what the writer holds on to), total adds garbage not yet
// collected.
type heapSampler struct {
	stop       chan struct{}
	done       sync.WaitGroup
	live, tot  uint64
	baseL, bas uint64
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	s := &heapSampler{stop: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	s.baseL, s.bas = samples[0].Value.Uint64(), samples[1].Value.Uint64()
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			s.live = max(s.live, samples[0].Value.Uint64())
			s.tot = max(s.tot, samples[1].Value.Uint64())
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// peak stops the sampler and returns the peak live and total heap above
// what was in use when it started, in bytes.
func (s *heapSampler) peak() (live, total uint64) {
	close(s.stop)
	s.done.Wait()
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return sub(s.live, s.baseL), sub(s.tot, s.bas)
}

// TestMemoryFlat writes many roads through every writer and checks that
// the peak live heap does not grow with the number of features: the run
// of n features may hold at most 8 MB more than the run of n/10. GOGC is
// lowered to 20 so that the live heap is measured often. n is 200,000
// (GAPMAP_EXPORT_FEATURES overrides it; the report used 1,000,000).
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes hundreds of thousands of features")
	}
	n := 200_000
	if s := os.Getenv("GAPMAP_EXPORT_FEATURES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("GAPMAP_EXPORT_FEATURES=%q: %v", s, err)
		}
	}
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	feats := newBenchFeatures(100)
	dir := t.TempDir()
	for _, bw := range benchWriters(dir) {
		t.Run(bw.name, func(t *testing.T) {
			var live [2]uint64
			for i, count := range []int{n / 10, n} {
				s := startHeapSampler()
				start := time.Now()
				writeN(t, bw.new(io.Discard), feats, count)
				elapsed := time.Since(start)
				l, total := s.peak()
				live[i] = l
				t.Logf("%9d features: %6.0f ns/feature, peak live heap %5.1f MB, peak heap %5.1f MB",
					count, float64(elapsed.Nanoseconds())/float64(count), float64(l)/(1<<20), float64(total)/(1<<20))
			}
			if live[1] > live[0]+8<<20 {
				t.Errorf("peak live heap grew from %.1f MB (%d features) to %.1f MB (%d): the writer holds features",
					float64(live[0])/(1<<20), n/10, float64(live[1])/(1<<20), n)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("%d temporary files left", len(left))
			}
		})
	}
}

// BenchmarkWrite measures one feature (ns/op = ns per feature, the final
// Close included) and reports the peak heap of the run above where it
// started: live (as of the latest GC; 0 when no GC ran) and in total
// (garbage included). Run it with -benchtime 1000000x for the 1M figure.
func BenchmarkWrite(b *testing.B) {
	feats := newBenchFeatures(100)
	for _, bw := range benchWriters(b.TempDir()) {
		b.Run(bw.name, func(b *testing.B) {
			s := startHeapSampler()
			b.ReportAllocs()
			b.ResetTimer()
			writeN(b, bw.new(io.Discard), feats, b.N)
			b.StopTimer()
			live, total := s.peak()
			b.ReportMetric(float64(live)/(1<<20), "peak-live-MB")
			b.ReportMetric(float64(total)/(1<<20), "peak-heap-MB")
		})
	}
}
