package data_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// BenchmarkTileReview renders the review set's tile over the demo county
// seat at z8 and z12 through Store.Tile: the statement's composition, the
// query and the MVT encoding, without the tile cache. Each zoom is drawn
// live, then as of a past date (2016-12-31, through its snapshot), in
// turn on one demo, so that a run compares them under the same load:
//   - live: the layers as they are;
//   - as_of: as served, with ListenVersions following the versions (the
//     date's snapshot and run are remembered until a notification);
//   - as_of_unlistened: without the listener, as the command line draws
//     (one read of the state the memo was made in per tile).
//
// Every variant draws its tile untimed first, and then 20 more: a new
// connection's first statements cost up to a few hundred milliseconds on
// a loaded machine (the as-of snapshot's pool connects at its first tile),
// which would land in whichever variant came first.
func BenchmarkTileReview(b *testing.B) {
	db := datatest.NewDemo(b)
	ctx := datatest.Context()
	layers, _ := tiles.SetLayers("review")
	const date = "2016-12-31"
	request := func(z maptile.Zoom, asOf string) tiles.Request {
		tile := maptile.At(orb.Point{113.45, 29.48}, z)
		return tiles.Request{Layers: tiles.LayersAt(layers, int(z)), Z: int(z), X: int(tile.X), Y: int(tile.Y), Filter: tiles.Filter{AsOf: asOf}}
	}
	draw := func(b *testing.B, req tiles.Request) {
		for range 21 {
			if _, _, err := db.Store.Tile(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		cpu := startCPU(db.Store.BackendPIDs(ctx))
		for b.Loop() {
			if _, _, err := db.Store.Tile(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
	zooms := []maptile.Zoom{8, 12}
	// The date's snapshot is built before anything is timed, as the map's
	// first tile of that date builds it: its writes (copies, indexes,
	// ANALYZE, the low-zoom roads) are not a tile's cost, and what they
	// leave the server doing for a while after lands on whichever variant
	// runs next.
	if _, _, err := db.Store.Tile(ctx, request(zooms[0], date)); err != nil {
		b.Fatal(err)
	}
	stop := listen(b, db)
	for _, z := range zooms {
		name := "z" + string(rune('0'+z/10)) + string(rune('0'+z%10))
		b.Run(name+"/live", func(b *testing.B) { draw(b, request(z, "")) })
		b.Run(name+"/as_of", func(b *testing.B) { draw(b, request(z, date)) })
	}
	stop()
	for _, z := range zooms {
		name := "z" + string(rune('0'+z/10)) + string(rune('0'+z%10))
		b.Run(name+"/as_of_unlistened", func(b *testing.B) { draw(b, request(z, date)) })
	}
}

// cpuClock reads the CPU time (user and system) of this process and of
// PostgreSQL backends, for a benchmark on a machine too loaded for its
// wall time to compare two variants: those two are the work done.
type cpuClock struct {
	pids     []int
	pg, self time.Duration
}

func startCPU(pids []int) cpuClock {
	c := cpuClock{pids: pids}
	c.pg, c.self = c.read()
	return c
}

// read returns the backends' CPU time (from /proc, in clock ticks of
// 10 ms: run long enough) and this process's.
func (c cpuClock) read() (pg, self time.Duration) {
	for _, pid := range c.pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // a remote server: no figure
		}
		// Fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		for _, x := range f[11:13] {
			v, _ := strconv.ParseInt(x, 10, 64)
			pg += time.Duration(v) * 10 * time.Millisecond
		}
	}
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err == nil {
		self = time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return pg, self
}

// report adds the CPU time per operation since start: pg-µs/op, go-µs/op.
func (c cpuClock) report(b *testing.B) {
	pg, self := c.read()
	n := float64(b.N)
	b.ReportMetric(float64((pg-c.pg).Microseconds())/n, "pg-µs/op")
	b.ReportMetric(float64((self-c.self).Microseconds())/n, "go-µs/op")
}

// listen runs db's ListenVersions until the returned stop, which returns
// once it has stopped; it returns once the listener is connected.
func listen(tb testing.TB, db *datatest.DB) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(datatest.Context())
	connected, done := make(chan struct{}), make(chan struct{})
	first := true
	go func() {
		defer close(done)
		db.Store.ListenVersions(ctx, func() {
			if first {
				first = false
				close(connected)
			}
		})
	}()
	<-connected
	return func() {
		cancel()
		<-done
	}
}
