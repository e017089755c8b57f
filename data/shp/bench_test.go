package shp

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// bigSet returns a testSet of n records of typ with two GBK text columns
// and two numbers, the shape of a county's road or village layer.
func bigSet(tb testing.TB, typ ShapeType, ldid byte, n int) testSet {
	tb.Helper()
	names := make([]string, 100)
	for i := range names {
		names[i] = gbk(tb, fmt.Sprintf("临湘市羊楼司镇第%d村", i))
	}
	surface := gbk(tb, "水泥")
	return testSet{
		typ: typ, ldid: ldid, n: n,
		fields: []Field{
			{Name: gbk(tb, "名称"), Type: 'C', Length: 40},
			{Name: gbk(tb, "路面"), Type: 'C', Length: 10},
			{Name: gbk(tb, "代码"), Type: 'N', Length: 12},
			{Name: gbk(tb, "宽度"), Type: 'N', Length: 10, Decimals: 2},
		},
		record: func(i int) (orb.Geometry, []string, bool) {
			x, y := 113+float64(i%1000)/1000, 29+float64(i/1000)/1000
			var g orb.Geometry = orb.Point{x, y}
			if typ == Polygon {
				g = orb.Polygon{square(x, y, 0.0005, true)}
			}
			return g, []string{names[i%len(names)], surface, strconv.Itoa(430682100000 + i), "4.50"}, false
		},
	}
}

// BenchmarkRead reads 200,000-record sets written by the tests' writer:
// polygons with the GBK language byte, and points with no encoding hint,
// which adds the fallback's pass over the dbf.
func BenchmarkRead(b *testing.B) {
	const n = 200_000
	cases := []struct {
		name string
		typ  ShapeType
		ldid byte
	}{
		{"polygon-gbk", Polygon, 0x4D},
		{"point-fallback", Point, 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			path := writeSet(b, b.TempDir(), "bench", bigSet(b, tc.typ, tc.ldid, n))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for r.Next() {
					got++
				}
				if err := r.Err(); err != nil || got != n {
					b.Fatalf("read %d records: %v", got, err)
				}
				r.Close()
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			records := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
		})
	}
}

// TestMemoryFlat reads 1,000,000 records and checks that the live heap
// does not grow with the record count: the Reader keeps nothing per
// record. The set has no encoding hint, so the fallback's scan runs too.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 60 MB set")
	}
	const n = 1_000_000
	path := writeSet(t, t.TempDir(), "big", bigSet(t, Point, 0, n))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var first, peak uint64
	got := 0
	for r.Next() {
		got++
		if got%100_000 == 0 {
			h := heap()
			if first == 0 {
				first = h
			}
			peak = max(peak, h)
		}
	}
	if err := r.Err(); err != nil || got != n {
		t.Fatalf("read %d records: %v", got, err)
	}
	t.Logf("live heap after 100k records %d KiB, peak up to 1M %d KiB", first>>10, peak>>10)
	if peak > first+1<<20 {
		t.Errorf("live heap grew from %d KiB to %d KiB over %d records", first>>10, peak>>10, n)
	}
}
