package osm

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// benchWays is the size of the generated extract: about a county's worth
// of OSM ways (a Hunan county has 100k–300k).
const benchWays = 200_000

// bigExtract writes an OSM XML of n ways in dir and converts it to PBF
// with osmium; it returns both paths. Ways are 60 % roads of every class,
// 10 % power lines, 10 % footways (skipped) and 20 % buildings (not
// mapped, so their nodes are never kept); every 50th way has a tagged
// node (village, tourism site or transformer) in the node stream.
// Without osmium the benchmark is skipped, unless CI is set: then it
// fails, so that CI cannot pass by skipping.
func bigExtract(tb testing.TB, dir string, n int) (xmlPath, pbfPath string) {
	tb.Helper()
	osmium, err := exec.LookPath("osmium")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("osmium not found (apt-get install osmium-tool); CI must run this benchmark")
		}
		tb.Skip("osmium not found (apt-get install osmium-tool)")
	}
	xmlPath = filepath.Join(dir, "big.osm")
	pbfPath = filepath.Join(dir, "big.osm.pbf")
	f, err := os.Create(xmlPath)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, `<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintln(w, `<osm version="0.6" generator="gapmap bench">`)
	const perWay = 5 // nodes per way; consecutive ways share an end node
	nodeID := int64(0)
	for i := 0; i < n; i++ {
		base := int64(i) * (perWay - 1)
		for j := int64(0); j < perWay-1; j++ {
			nodeID = base + j + 1
			lon := 113.0 + float64(i%1000)*0.001 + float64(j)*0.0001
			lat := 29.0 + float64(i/1000)*0.001 + float64(j)*0.00005
			fmt.Fprintf(w, " <node id=\"%d\" version=\"1\" lat=\"%.7f\" lon=\"%.7f\"", nodeID, lat, lon)
			if j == 1 && i%50 == 0 {
				switch i / 50 % 3 {
				case 0:
					fmt.Fprintf(w, "><tag k=\"place\" v=\"hamlet\"/><tag k=\"name\" v=\"第%d组\"/></node>\n", i)
				case 1:
					fmt.Fprintf(w, "><tag k=\"tourism\" v=\"viewpoint\"/><tag k=\"name\" v=\"观景台%d\"/></node>\n", i)
				default:
					fmt.Fprint(w, "><tag k=\"power\" v=\"transformer\"/><tag k=\"rating\" v=\"200 kVA\"/></node>\n")
				}
				continue
			}
			fmt.Fprintln(w, "/>")
		}
	}
	nodeID++ // the last way's end node
	fmt.Fprintf(w, " <node id=\"%d\" version=\"1\" lat=\"29.9\" lon=\"113.9\"/>\n", nodeID)
	classes := []string{"tertiary", "unclassified", "residential", "track", "service", "secondary"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, " <way id=\"%d\" version=\"1\">\n", i+1)
		base := int64(i) * (perWay - 1)
		refs := perWay
		if i%10 >= 8 {
			refs = perWay - 1 // buildings: closed rings of their own 4 nodes
		}
		for j := 0; j < refs; j++ {
			fmt.Fprintf(w, "  <nd ref=\"%d\"/>\n", base+int64(j)+1)
		}
		switch r := i % 10; {
		case r < 6:
			fmt.Fprintf(w, "  <tag k=\"highway\" v=\"%s\"/>\n  <tag k=\"tracktype\" v=\"grade2\"/>\n  <tag k=\"surface\" v=\"concrete\"/>\n  <tag k=\"name\" v=\"村道%d\"/>\n  <tag k=\"ref\" v=\"C%03d\"/>\n", classes[i%len(classes)], i, i%1000)
		case r == 6:
			fmt.Fprint(w, "  <tag k=\"power\" v=\"minor_line\"/>\n  <tag k=\"voltage\" v=\"10000\"/>\n")
		case r == 7:
			fmt.Fprint(w, "  <tag k=\"highway\" v=\"footway\"/>\n")
		default:
			fmt.Fprintf(w, "  <nd ref=\"%d\"/>\n  <tag k=\"building\" v=\"yes\"/>\n", base+1)
		}
		fmt.Fprintln(w, " </way>")
	}
	fmt.Fprintln(w, "</osm>")
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(osmium, "cat", xmlPath, "-o", pbfPath, "--overwrite").CombinedOutput(); err != nil {
		tb.Fatalf("osmium: %v\n%s", err, out)
	}
	return xmlPath, pbfPath
}

// peakHeap samples the live heap while fn runs and returns its maximum.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak.Load()
}

// BenchmarkRead reads the generated extract to the end, counting
// features. Reported: features/s, the peak live heap, and the nodes kept
// for way geometry (16 bytes each).
func BenchmarkRead(b *testing.B) {
	xmlPath, pbfPath := bigExtract(b, b.TempDir(), benchWays)
	for _, bc := range []struct{ name, path string }{{"pbf", pbfPath}, {"xml", xmlPath}} {
		b.Run(bc.name, func(b *testing.B) {
			var features, needed int
			var peak uint64
			b.ReportAllocs()
			for b.Loop() {
				peak = max(peak, peakHeap(func() {
					r, err := Open(bc.path)
					if err != nil {
						b.Fatal(err)
					}
					features = 0
					for r.Next() {
						features++
					}
					if err := r.Err(); err != nil {
						b.Fatal(err)
					}
					needed = len(r.nodes.ids)
					r.Close()
				}))
			}
			b.ReportMetric(float64(features)*float64(b.N)/b.Elapsed().Seconds(), "features/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(needed), "needed-nodes")
		})
	}
}
