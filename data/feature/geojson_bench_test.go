package feature

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// roadLine is one GeoJSONSeq line shaped like the county road files the
// importer loads: 7 properties and a LineString of 8 positions.
func roadLine(sb *strings.Builder, i int) {
	fmt.Fprintf(sb, `{"type":"Feature","properties":{"ext_id":"b%d","name":"道路%d","ref":"C%04d","grade":"县道","surface":"水泥","width_m":4.3,"year":2012},"geometry":{"type":"LineString","coordinates":[`, i, i, i%10000)
	for k := range 8 {
		if k > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(sb, "[%.6f,%.6f]", 112.345678+float64(i%977)*0.001+float64(k)*0.000334, 27.123456+float64(i%613)*0.001+float64(k)*0.000545)
	}
	sb.WriteString("]}}")
}

// roadsSeq is n road features as GeoJSONSeq.
func roadsSeq(n int) string {
	var sb strings.Builder
	for i := range n {
		roadLine(&sb, i)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// roadsFC is n road features as a FeatureCollection.
func roadsFC(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
	for i := range n {
		if i > 0 {
			sb.WriteString(",\n")
		}
		roadLine(&sb, i)
	}
	sb.WriteString("\n]}\n")
	return sb.String()
}

type benchReader interface {
	Next() bool
	Err() error
}

// benchRead reads src with open b.N times and reports the time, bytes
// and allocations per feature besides the per-file figures.
func benchRead(b *testing.B, src string, n int, open func(io.Reader) (benchReader, error)) {
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		r, err := open(strings.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for r.Next() {
			got++
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("read %d features, want %d", got, n)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	feats := float64(b.N * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/feats, "ns/feature")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/feats, "allocs/feature")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/feats, "B/feature")
}

func openNew(r io.Reader) (benchReader, error) { return OpenGeoJSON(r) }
func openOld(r io.Reader) (benchReader, error) { return oldOpenGeoJSON(r) }

// BenchmarkGeoJSONSeqRoads reads 10,000 road lines with this package's
// reader (new) and with the encoding/json reader it replaced (old).
func BenchmarkGeoJSONSeqRoads(b *testing.B) {
	const n = 10_000
	src := roadsSeq(n)
	b.Run("new", func(b *testing.B) { benchRead(b, src, n, openNew) })
	b.Run("old", func(b *testing.B) { benchRead(b, src, n, openOld) })
}

// BenchmarkGeoJSONCollectionRoads reads the same roads as a
// FeatureCollection.
func BenchmarkGeoJSONCollectionRoads(b *testing.B) {
	const n = 10_000
	src := roadsFC(n)
	b.Run("new", func(b *testing.B) { benchRead(b, src, n, openNew) })
	b.Run("old", func(b *testing.B) { benchRead(b, src, n, openOld) })
}
