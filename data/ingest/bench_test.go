package ingest_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkConvert converts parsed road records as the import's hot path
// does for each record: Convert, then EWKB of its geometry. The records
// are those of the import benchmark (data's BenchmarkImportVsOgr2ogr):
// random walks of 8 vertices with 7 attributes.
func BenchmarkConvert(b *testing.B) {
	const n = 10000
	path := filepath.Join(b.TempDir(), "roads.geojsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	grades := []string{"县道", "乡道", "村道", "通组路"}
	surfaces := []string{"沥青", "水泥", "砂石", "土"}
	for i := range n {
		x, y := 109+rng.Float64()*5, 25+rng.Float64()*4
		fmt.Fprintf(w, `{"type":"Feature","properties":{"ext_id":"b%d","name":"道路%d","ref":"C%04d","grade":"%s","surface":"%s","width_m":%.1f,"year":%d},"geometry":{"type":"LineString","coordinates":[`,
			i, i, i%10000, grades[i%4], surfaces[(i/4)%4], 3+rng.Float64()*4, 2000+i%20)
		for k := range 8 {
			if k > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "[%.6f,%.6f]", x, y)
			x += (rng.Float64() - 0.5) * 0.004
			y += (rng.Float64() - 0.5) * 0.004
		}
		w.WriteString("]}}\n")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()

	src, info, err := ingest.Open(path, "roads.geojsonl", "roads")
	if err != nil {
		b.Fatal(err)
	}
	var recs []feature.Record
	for src.Next() {
		recs = append(recs, src.Record())
	}
	src.Close()
	if len(recs) != n {
		b.Fatalf("parsed %d records: %v", len(recs), src.Err())
	}
	rep := planning.ImportReport{}
	srs, _, err := ingest.ResolveSRS("", info)
	if err != nil {
		b.Fatal(err)
	}
	cols, err := ingest.MapColumns(catalog.Default().Layer("roads"), info, planning.Mapping{}, required["roads"], &rep)
	if err != nil {
		b.Fatal(err)
	}
	conv := ingest.NewConverter(cols, srs, &rep)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r, ok := conv.Convert(recs[i%n])
		if !ok {
			b.Fatalf("record %d refused", i)
		}
		if _, ok := conv.EWKB(r, 0); !ok {
			b.Fatalf("record %d not encoded", i)
		}
		i++
	}
	if rep.Errors > 0 || rep.Warnings > 0 {
		b.Fatalf("problems: %+v", rep.Problems)
	}
}
