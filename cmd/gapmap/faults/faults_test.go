//go:build faults

package faults

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// importRows is the size of the roads file the import faults use: large
// enough that its COPY, index rebuild and commit each last long enough to
// be hit on this 2-core box.
const importRows = 100_000

// TestFaults runs every fault against one private cluster and one server
// (restarted after each kill), prints the summary table and fails on any
// broken invariant: a lost or partial write, a 5xx for malformed input, a
// 500 under faults, a database that differs afterwards, an invalid index,
// a missing trigger, a leftover temporary file the next start does not
// sweep. 503s are logged, not failed: admission control decides those.
func TestFaults(t *testing.T) {
	work := t.TempDir()
	bin := buildGapmap(t, work)
	pg := startCluster(t)
	t0 := time.Now()
	cmd := exec.Command(bin, "demo", "--load-only")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pg.URL(), "GAPMAP_LOG_LEVEL=warn")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gapmap demo --load-only: %v\n%s", err, out)
	}
	t.Logf("demo county loaded in %s", time.Since(t0).Round(time.Millisecond))
	su := pg.super(t)
	srv := newServer(t, bin, pg.URL(), work)
	srv.start(t)
	f := &fixture{t: t, pg: pg, su: su, srv: srv, sum: &summary{}}
	// 交通's editor may import and export roads, the suite's layer.
	f.admin = login(t, srv, "jiaotong", nil)
	defer func() {
		fmt.Printf("\nfault suite summary (peak MiB: the server's VmHWM during the scenario)\n%s\n", f.sum)
		t.Logf("summary:\n%s", f.sum)
	}()

	t.Run("ImportKill", f.importKill)
	t.Run("ExportKill", f.exportKill)
	t.Run("PostgresRestart", f.postgresRestart)
	t.Run("TerminateBackends", f.terminateBackends)
	t.Run("AtCapacity", f.atCapacity)
	t.Run("Clients500", f.clients500)
	t.Run("SlowClients", f.slowClients)
	t.Run("Bombs", f.bombs)
}

// fixture is what the scenarios share.
type fixture struct {
	t     *testing.T
	pg    *cluster
	su    *pgx.Conn
	srv   *server
	admin *session
	sum   *summary
	seq   int // import file number, for distinct ext_ids
}

// settle returns the database's snapshot once two taken a second apart
// agree: the server's background work (low-zoom tables, version
// refreshes) has finished.
func (f *fixture) settle(t *testing.T) snapshot {
	t.Helper()
	prev := takeSnapshot(t, f.su)
	for range 60 {
		time.Sleep(time.Second)
		cur := takeSnapshot(t, f.su)
		if len(prev.diff(cur)) == 0 {
			return cur
		}
		prev = cur
	}
	t.Fatal("the database did not settle in 60 s")
	return prev
}

// roadsFile writes n random-walk roads inside the demo county as
// GeoJSONSeq, their ext_ids prefixed so that a whole import can be told
// from a partial one.
func roadsFile(prefix string, n int) []byte {
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(uint64(len(prefix)), uint64(n)))
	grades := []string{"县道", "乡道", "村道", "通组路"}
	surfaces := []string{"沥青", "水泥", "砂石", "土"}
	for i := range n {
		x, y := 113.45+rng.Float64()*0.15, 29.45+rng.Float64()*0.15
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"ext_id":"%s-%d","name":"故障测试路%d","grade":"%s","surface":"%s","width_m":%.1f},"geometry":{"type":"LineString","coordinates":[`,
			prefix, i, i, grades[i%4], surfaces[(i/4)%4], 3+rng.Float64()*4)
		for k := range 5 {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%.6f,%.6f]", x, y)
			x += (rng.Float64() - 0.5) * 0.002
			y += (rng.Float64() - 0.5) * 0.002
		}
		b.WriteString("]}}\n")
	}
	return b.Bytes()
}

// gateReader passes its bytes through until at, then tells reached and
// blocks until ctx ends: an upload held part-way.
type gateReader struct {
	r       io.Reader
	at, n   int
	reached chan struct{}
	ctx     context.Context
}

func (g *gateReader) Read(p []byte) (int, error) {
	if g.n >= g.at {
		select {
		case <-g.reached:
		default:
			close(g.reached)
		}
		<-g.ctx.Done()
		return 0, g.ctx.Err()
	}
	if len(p) > g.at-g.n {
		p = p[:g.at-g.n]
	}
	k, err := g.r.Read(p)
	g.n += k
	return k, err
}

// importKill kills the server during a roads import at four points: with
// the upload half received, in the middle of the COPY, after the COPY
// (index rebuild and change log, not committed), and once the import's
// post-commit ANALYZE runs. After each, the restarted server must find
// the database as before or with the whole import, its indexes valid and
// its triggers in place, and sweep the upload the killed process left.
func (f *fixture) importKill(t *testing.T) {
	points := []struct {
		name string
		// wait blocks until the point is reached (true) or the import
		// ended first (false).
		wait func(ctx context.Context, done <-chan struct{}, gate chan struct{}) bool
	}{
		{"upload", func(ctx context.Context, done <-chan struct{}, gate chan struct{}) bool {
			select {
			case <-gate:
			case <-done:
				return false
			}
			// The server has the first half in its temporary directory.
			return f.poll(ctx, done, func() bool { return len(f.srv.leftovers()) > 0 })
		}},
		{"mid-COPY", func(ctx context.Context, done <-chan struct{}, _ chan struct{}) bool {
			return f.poll(ctx, done, func() bool { return f.copyTuples(ctx) > importRows/3 })
		}},
		{"after-COPY", func(ctx context.Context, done <-chan struct{}, _ chan struct{}) bool {
			seen := false
			return f.poll(ctx, done, func() bool {
				n := f.copyTuples(ctx)
				if n >= 0 {
					seen = seen || n > 0
					return false
				}
				return seen
			})
		}},
		{"post-commit ANALYZE", func(ctx context.Context, done <-chan struct{}, _ chan struct{}) bool {
			return f.poll(ctx, done, func() bool {
				var n int
				f.su.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = 'gapmap' AND usename = 'gapmap'
					AND state = 'active' AND query ILIKE 'analyze%roads%'`).Scan(&n)
				return n > 0
			})
		}},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			before := f.settle(t)
			f.seq++
			prefix := fmt.Sprintf("kill%d", f.seq)
			file := roadsFile(prefix, importRows)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			gate := make(chan struct{})
			var body io.Reader = bytes.NewReader(file)
			if p.name == "upload" {
				body = &gateReader{r: bytes.NewReader(file), at: len(file) / 2, reached: gate, ctx: ctx}
			}
			f.srv.resetPeak()
			done := make(chan struct{})
			var status int
			go func() {
				defer close(done)
				status, _, _ = f.admin.upload(ctx, "roads", prefix+".geojsonl", body, nil)
			}()
			hit := p.wait(ctx, done, gate)
			peak := f.srv.peakMiB()
			f.srv.kill()
			cancel()
			<-done
			if !hit {
				t.Logf("%s: the import ended (status %d) before the point was reached", p.name, status)
			}
			left := f.srv.leftovers()
			f.srv.ageLeftovers()
			restart := f.srv.start(t)
			if rest := f.srv.leftovers(); len(rest) > 0 {
				t.Errorf("the restart did not sweep the killed import's temporary files: %v", rest)
			}
			after := f.settle(t)
			outcome := f.judgeImport(t, before, after, prefix, importRows)
			f.sum.add("kill -9 import: "+p.name, nil, fmt.Sprintf("restart %.1fs", restart.Seconds()), peak,
				fmt.Sprintf("%s; %d temp left, swept", outcome, len(left)))
		})
	}
	// One import left alone: its time, and the rows the export faults read.
	t.Run("complete", func(t *testing.T) {
		f.settle(t)
		f.seq++
		prefix := fmt.Sprintf("ok%d", f.seq)
		f.srv.resetPeak()
		t0 := time.Now()
		status, body, err := f.admin.upload(context.Background(), "roads", prefix+".geojsonl", bytes.NewReader(roadsFile(prefix, importRows)), nil)
		took := time.Since(t0)
		if err != nil || status != http.StatusOK {
			t.Fatalf("import: %d %v %.300s", status, err, body)
		}
		if n := f.count(t, `SELECT count(*) FROM roads WHERE ext_id LIKE $1`, prefix+"-%"); n != importRows {
			t.Fatalf("import wrote %d of %d roads", n, importRows)
		}
		f.sum.add(fmt.Sprintf("import %d roads, no fault", importRows), nil, fmt.Sprintf("took %.1fs", took.Seconds()), f.srv.peakMiB(), "whole import")
	})
}

// judgeImport checks that after holds none of the import or all of it,
// and that indexes and triggers are as before. It returns the outcome.
func (f *fixture) judgeImport(t *testing.T, before, after snapshot, prefix string, n int) string {
	t.Helper()
	if probs := before.structureProblems(after); len(probs) > 0 {
		t.Errorf("schema after the kill: %s", strings.Join(probs, "; "))
	}
	changed := before.diff(after)
	got := f.count(t, `SELECT count(*) FROM roads WHERE ext_id LIKE $1`, prefix+"-%")
	switch {
	case len(changed) == 0:
		return "identical"
	case got == n:
		return fmt.Sprintf("whole import (%d tables changed)", len(changed))
	}
	t.Errorf("partial write: %d of %d roads of the import, tables changed: %v", got, n, changed)
	return fmt.Sprintf("PARTIAL: %d of %d roads", got, n)
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.su.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// copyTuples is the progress of gapmap's COPY, -1 when none runs.
func (f *fixture) copyTuples(ctx context.Context) int64 {
	var n int64 = -1
	f.su.QueryRow(ctx, `SELECT coalesce(max(p.tuples_processed), -1) FROM pg_stat_progress_copy p
		JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'gapmap'`).Scan(&n)
	return n
}

// poll checks cond every 5 ms until it holds (true) or done is closed
// or 5 minutes have passed (false).
func (f *fixture) poll(ctx context.Context, done <-chan struct{}, cond func() bool) bool {
	end := time.Now().Add(5 * time.Minute)
	for time.Now().Before(end) {
		select {
		case <-done:
			return false
		default:
		}
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// exportKill kills the server while it writes a GeoPackage of every road:
// the database must be untouched and the spool swept at the next start.
func (f *fixture) exportKill(t *testing.T) {
	before := f.settle(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.srv.resetPeak()
	done := make(chan struct{})
	var status int
	go func() {
		defer close(done)
		status, _, _ = f.admin.get(ctx, "/api/v1/exports/roads.gpkg")
	}()
	hit := f.poll(ctx, done, func() bool { return len(f.srv.leftovers()) > 0 })
	time.Sleep(300 * time.Millisecond) // into the writing
	peak := f.srv.peakMiB()
	f.srv.kill()
	cancel()
	<-done
	if !hit {
		t.Logf("the export ended (status %d) before its spool was seen", status)
	}
	left := f.srv.leftovers()
	f.srv.ageLeftovers()
	restart := f.srv.start(t)
	if rest := f.srv.leftovers(); len(rest) > 0 {
		t.Errorf("the restart did not sweep the killed export's spool: %v", rest)
	}
	after := f.settle(t)
	same := "identical"
	if d := before.diff(after); len(d) > 0 {
		t.Errorf("an export changed the database: %v", d)
		same = "CHANGED: " + strings.Join(d, ",")
	}
	if probs := before.structureProblems(after); len(probs) > 0 {
		t.Errorf("schema after the kill: %s", strings.Join(probs, "; "))
	}
	f.sum.add("kill -9 export (gpkg)", nil, fmt.Sprintf("restart %.1fs", restart.Seconds()), peak, fmt.Sprintf("%s; %d temp left, swept", same, len(left)))
}

// loadPaths are what the load clients ask for: API reads and tiles of
// the demo county at zooms 10–14.
func loadPaths() []string {
	paths := []string{"/api/v1/layers", "/api/v1/villages?poor=true", "/api/v1/gaps?page_size=20", "/api/v1/projects?page_size=20", "/api/v1/county"}
	for z := 10; z <= 14; z++ {
		x0, y0 := tileXY(113.40, 29.80, z)
		x1, y1 := tileXY(113.70, 29.25, z)
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				paths = append(paths, fmt.Sprintf("/tiles/review/%d/%d/%d.mvt", z, x, y))
			}
		}
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	return paths
}

func tileXY(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}

// clientFor is a logged-in session with its own connection pool of up
// to n connections.
func (f *fixture) clientFor(t *testing.T, n int) *session {
	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	return login(t, f.srv, "guest", tr)
}

// recoverAfter polls an API read every 50 ms from since until it answers
// 200, and returns how long that took (or -1 after limit).
func (f *fixture) recoverAfter(c *session, since time.Time, limit time.Duration) time.Duration {
	for time.Since(since) < limit {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		status, _, err := c.get(ctx, "/api/v1/villages?poor=true")
		cancel()
		if err == nil && status == http.StatusOK {
			return time.Since(since)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return -1
}

// hangLimit is the longest a request may take under faults before it
// counts as hanging: the server's request budget (10 s) and its margin.
const hangLimit = 20 * time.Second

// postgresRestart stops PostgreSQL with -m immediate under load, keeps it
// down 5 s and starts it again: requests must fail cleanly (no 500, none
// hanging) and gapmap recover by itself.
func (f *fixture) postgresRestart(t *testing.T) {
	before := f.settle(t)
	c := f.clientFor(t, 32)
	probe := login(t, f.srv, "guest", nil)
	f.srv.resetPeak()
	ctx, stop := context.WithCancel(context.Background())
	tl := load(ctx, c, 16, loadPaths(), time.Minute)
	time.Sleep(3 * time.Second)
	f.pg.ctl(t, "stop", "-m", "immediate")
	time.Sleep(5 * time.Second)
	f.pg.ctl(t, "start")
	up := time.Now()
	rec := f.recoverAfter(probe, up, 2*time.Minute)
	time.Sleep(3 * time.Second)
	stop()
	tl.wait()
	f.su = f.pg.super(f.t) // the old connection died with the server; the new one lives as long as the suite
	after := f.settle(t)
	t.Logf("PostgreSQL restart: %s; slowest %s; recovered %s after PostgreSQL accepted connections", tl, tl.slowest.Round(time.Millisecond), rec.Round(time.Millisecond))
	f.checkUnderFault(t, tl, rec, before, after)
	f.sum.add("PostgreSQL stop -m immediate 5 s, 16 clients", tl, recovery(rec), f.srv.peakMiB(), sameText(before, after))
}

// terminateBackends kills gapmap's database connections every second for
// 8 s under load.
func (f *fixture) terminateBackends(t *testing.T) {
	before := f.settle(t)
	c := f.clientFor(t, 32)
	probe := login(t, f.srv, "guest", nil)
	f.srv.resetPeak()
	ctx, stop := context.WithCancel(context.Background())
	tl := load(ctx, c, 16, loadPaths(), time.Minute)
	killed := 0
	for range 8 {
		time.Sleep(time.Second)
		var n int
		if err := f.su.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = 'gapmap' AND usename = 'gapmap' AND pid <> pg_backend_pid()) k`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		killed += n
	}
	last := time.Now()
	rec := f.recoverAfter(probe, last, time.Minute)
	time.Sleep(2 * time.Second)
	stop()
	tl.wait()
	after := f.settle(t)
	t.Logf("terminated %d backends: %s; slowest %s; recovered %s after the last", killed, tl, tl.slowest.Round(time.Millisecond), rec.Round(time.Millisecond))
	f.checkUnderFault(t, tl, rec, before, after)
	f.sum.add(fmt.Sprintf("pg_terminate_backend ×%d, 16 clients", killed), tl, recovery(rec), f.srv.peakMiB(), sameText(before, after))
}

// checkUnderFault asserts what every load scenario must keep: no 500,
// nothing hanging, recovery, the database as it was.
func (f *fixture) checkUnderFault(t *testing.T, tl *tally, rec time.Duration, before, after snapshot) {
	t.Helper()
	if n := tl.fiveHundreds(); n > 0 {
		t.Errorf("%d answers were 500 (want clean 503s): %s; the server's 500s:\n%s", n, tl, f.srv.grep(`"status":500`, 8))
	}
	if tl.slowest > hangLimit {
		t.Errorf("a request took %s (over %s: hanging)", tl.slowest, hangLimit)
	}
	if n := tl.count("timeout"); n > 0 {
		t.Errorf("%d requests hung until the client gave up", n)
	}
	if rec < 0 {
		t.Errorf("gapmap did not recover by itself")
	}
	if d := before.diff(after); len(d) > 0 {
		t.Errorf("reads under faults changed the database: %v", d)
	}
	if probs := before.structureProblems(after); len(probs) > 0 {
		t.Errorf("schema: %s", strings.Join(probs, "; "))
	}
	if tl.served.Load() == 0 {
		t.Errorf("nothing was served")
	}
}

func recovery(d time.Duration) string {
	if d < 0 {
		return "NONE"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func sameText(a, b snapshot) string {
	if d := a.diff(b); len(d) > 0 {
		return "CHANGED: " + strings.Join(d, ",")
	}
	return "identical"
}

// capacityClients is the load the default settings serve without
// refusing anyone (README, Admission control: the stated capacity): 16
// clients on tiles and 16 on the API at once, each sending its next
// request as soon as the last is answered.
const capacityClients = 16

// kindLoad is what one kind of clients (tiles or API) of a mixed load met.
type kindLoad struct {
	name string
	tl   *tally
}

// mixedLoad runs n clients on tiles and n on API reads for d, each on its
// own connection, and returns their tallies, the server's peak memory and
// whether the database is as before (reads must not change it).
func (f *fixture) mixedLoad(t *testing.T, n int, d time.Duration) (loads []kindLoad, peak float64, dbSame string) {
	before := f.settle(t)
	c := f.clientFor(t, 2*n+100)
	f.srv.resetPeak()
	var tiles, api []string
	for _, p := range loadPaths() {
		if strings.HasPrefix(p, "/tiles/") {
			tiles = append(tiles, p)
		} else {
			api = append(api, p)
		}
	}
	ctx, stop := context.WithTimeout(context.Background(), d)
	defer stop()
	tt := load(ctx, c, n, tiles, time.Minute)
	ta := load(ctx, c, n, api, time.Minute)
	<-ctx.Done()
	tt.wait()
	ta.wait()
	peak = f.srv.peakMiB()
	after := f.settle(t)
	if d := before.diff(after); len(d) > 0 {
		t.Errorf("reads changed the database: %v", d)
	}
	return []kindLoad{{"tiles", tt}, {"API", ta}}, peak, sameText(before, after)
}

// atCapacity runs the stated capacity for 10 s: every request must be
// served, none refused with 503 or failed with 5xx.
func (f *fixture) atCapacity(t *testing.T) {
	loads, peak, dbSame := f.mixedLoad(t, capacityClients, 10*time.Second)
	for _, x := range loads {
		t.Logf("%d clients, %s: %s; p50 %s p99 %s", capacityClients, x.name, x.tl, x.tl.p(0.5).Round(time.Millisecond), x.tl.p(0.99).Round(time.Millisecond))
		if refused := x.tl.total() - int(x.tl.served.Load()); refused > 0 || x.tl.served.Load() == 0 {
			t.Errorf("%s at the stated capacity: %d of %d requests not served (%s)", x.name, refused, x.tl.total(), x.tl)
		}
		f.sum.add(fmt.Sprintf("%d clients on %s, the stated capacity (10 s; p50 %s, p99 %s)", capacityClients, x.name,
			x.tl.p(0.5).Round(time.Millisecond), x.tl.p(0.99).Round(time.Millisecond)), x.tl, "-", peak, dbSame)
	}
}

// clients500 runs 500 concurrent clients for 15 s, half on tiles and
// half on the API, each on its own connection.
func (f *fixture) clients500(t *testing.T) {
	loads, peak, dbSame := f.mixedLoad(t, 250, 15*time.Second)
	for _, x := range loads {
		t.Logf("500 clients, %s: %s; p50 %s p99 %s slowest %s", x.name, x.tl, x.tl.p(0.5).Round(time.Millisecond), x.tl.p(0.99).Round(time.Millisecond), x.tl.slowest.Round(time.Millisecond))
		if n := x.tl.fiveHundreds(); n > 0 {
			t.Errorf("%s: %d answers were 500; the server's 500s:\n%s", x.name, n, f.srv.grep(`"status":500`, 8))
		}
		if x.tl.served.Load() == 0 {
			t.Errorf("%s: nothing served", x.name)
		}
		f.sum.add(fmt.Sprintf("250 clients on %s (15 s; p50 %s, p99 %s)", x.name, x.tl.p(0.5).Round(time.Millisecond), x.tl.p(0.99).Round(time.Millisecond)),
			x.tl, "-", peak, dbSame)
	}
}

// slowClients opens 40 connections that ask for the roads export and the
// village list and then read one byte a second, while a normal client
// reads the API: the normal client must still be served.
func (f *fixture) slowClients(t *testing.T) {
	before := f.settle(t)
	cookie := f.admin.http.Jar.Cookies(mustURL(f.admin.base))
	var hdr strings.Builder
	for _, ck := range cookie {
		fmt.Fprintf(&hdr, "Cookie: %s=%s\r\n", ck.Name, ck.Value)
	}
	normal := login(t, f.srv, "guest", nil) // before the slow ones: a login needs the database too
	f.srv.resetPeak()
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	var wg sync.WaitGroup
	var mu sync.Mutex
	slowBytes, slowOpen := 0, 0
	for i := range 40 {
		path := "/api/v1/villages"
		if i%4 == 0 {
			path = "/api/v1/exports/roads.geojson"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", f.srv.addr)
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, f.srv.addr, hdr.String())
			mu.Lock()
			slowOpen++
			mu.Unlock()
			buf := make([]byte, 1)
			for ctx.Err() == nil {
				conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				if n, err := conn.Read(buf); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						continue
					}
					return
				} else {
					mu.Lock()
					slowBytes += n
					mu.Unlock()
				}
				time.Sleep(time.Second)
			}
		}()
	}
	time.Sleep(2 * time.Second) // let them hold what they hold
	tl := load(ctx, normal, 4, []string{"/api/v1/layers", "/api/v1/villages?poor=true", "/api/v1/gaps?page_size=20"}, 30*time.Second)
	<-ctx.Done()
	tl.wait()
	wg.Wait()
	after := f.settle(t)
	t.Logf("40 slow readers (%d bytes read in all) beside 4 normal clients: %s; p50 %s p99 %s slowest %s", slowBytes, tl,
		tl.p(0.5).Round(time.Millisecond), tl.p(0.99).Round(time.Millisecond), tl.slowest.Round(time.Millisecond))
	if tl.fiveHundreds() > 0 {
		t.Errorf("500s beside slow clients: %s; the server's 500s:\n%s", tl, f.srv.grep(`"status":500`, 8))
	}
	if tl.served.Load() == 0 {
		t.Errorf("slow clients starved every normal request: %s", tl)
	}
	f.sum.add(fmt.Sprintf("40 slow readers (1 B/s) + 4 clients (p99 %s)", tl.p(0.99).Round(time.Millisecond)), tl, "-", f.srv.peakMiB(), sameText(before, after))
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

// bombBoundMiB is the stated bound of the server's memory (VmHWM) while
// it refuses a bomb: README's fault-suite section states it. Every reader
// refuses a record by its length as it reads, so what it holds is bounded
// by its limit (8 MiB for a CSV row or a GeoJSON feature) times the few
// copies of the buffer as it grows and the garbage the collector lets
// pile up, above the server's own 45–60 MiB. Measured with 16 MiB limits on a loaded machine: 130 MiB for a
// 70 MiB CSV row and 141 MiB for a 70 MiB GeoJSONSeq line after the other
// scenarios (101 and 109 MiB when the bombs run alone); at the former
// 64 MiB row limit the CSV row took 356 MiB. With the 16 MiB limits an
// idle run peaked at 165 MiB, past the bound; at 8 MiB 117 and 118 MiB.
const bombBoundMiB = 160

// bombs posts files no real dataset holds: a zipped shapefile whose .shp
// inflates 1000:1, a GeoJSON nested 100,000 deep, a CSV with a 70 MiB
// row, a GeoJSONSeq with a 70 MiB line. Each must be refused with a 4xx
// and a Chinese message, nothing written, the server's peak memory within
// bombBoundMiB.
func (f *fixture) bombs(t *testing.T) {
	before := f.settle(t)
	cases := []struct {
		name, layer, file string
		body              func() []byte
	}{
		{"zip bomb shapefile (200 MiB of zeros as .shp)", "roads", "bomb.zip", zipBomb},
		{"GeoJSON nested 100,000 deep", "roads", "deep.geojson", func() []byte {
			return []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"x":` +
				strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `},"geometry":{"type":"Point","coordinates":[113.5,29.5]}}]}`)
		}},
		{"CSV with a 70 MiB row", "roads", "huge.csv", func() []byte {
			return []byte("ext_id,name,经度,纬度\nbomb," + strings.Repeat("路", 70<<20/3) + ",113.5,29.5\n")
		}},
		{"GeoJSONSeq with a 70 MiB feature line", "roads", "huge.geojsonl", func() []byte {
			return []byte(`{"type":"Feature","properties":{"name":"` + strings.Repeat("路", 70<<20/3) +
				`"},"geometry":{"type":"Point","coordinates":[113.5,29.5]}}` + "\n")
		}},
	}
	for _, c := range cases {
		body := c.body()
		f.srv.resetPeak()
		tl := newTally()
		t0 := time.Now()
		status, resp, err := f.admin.upload(context.Background(), c.layer, c.file, bytes.NewReader(body), nil)
		tl.add(status, err, time.Since(t0))
		peak := f.srv.peakMiB()
		t.Logf("%s (%.1f MiB upload): %d in %s, peak %.0f MiB: %.200s", c.name, float64(len(body))/(1<<20), status, time.Since(t0).Round(time.Millisecond), peak, resp)
		if err != nil || status < 400 || status >= 500 {
			t.Errorf("%s: want a 4xx refusal, got %d %v: %.300s", c.name, status, err, resp)
		}
		if !hasHan(string(resp)) {
			t.Errorf("%s: the refusal has no Chinese message: %.300s", c.name, resp)
		}
		if peak > bombBoundMiB {
			t.Errorf("%s: the server's peak memory %.0f MiB is over the stated bound of %d MiB", c.name, peak, bombBoundMiB)
		}
		f.sum.add("bomb: "+c.name, tl, "-", peak, "")
	}
	after := f.settle(t)
	same := sameText(before, after)
	if same != "identical" {
		t.Errorf("a refused bomb changed the database: %s", same)
	}
	for i := len(f.sum.rows) - len(cases); i < len(f.sum.rows); i++ {
		f.sum.rows[i][6] = same
	}
	f.srv.ageLeftovers()
}

// zipBomb is a zip of a shapefile set whose .shp is 200 MiB of zeros
// (about 200 KiB deflated).
func zipBomb() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("bomb.shp")
	zero := make([]byte, 1<<20)
	for range 200 {
		w.Write(zero)
	}
	for _, ext := range []string{"shx", "dbf"} {
		w, _ := zw.Create("bomb." + ext)
		w.Write(zero[:100])
	}
	zw.Close()
	return b.Bytes()
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
