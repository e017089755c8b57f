//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestReplica runs gapmap beyond one machine, on this one: a private
// primary and a hot standby made by pg_basebackup, instance A on the
// primary only and instance B reading tiles and API reads from the standby
// (GAPMAP_READ_DATABASE_URL). It checks, by the standby's and the
// primary's own views, not gapmap's:
//   - B renders on the standby while it is caught up;
//   - an edit through A is served fresh by B, tile bytes and API, even
//     with the standby's replay paused (then only the primary can show
//     it), and B never goes back to the old answer; so is a scoring run
//     through A in B's village panel and ranking (the run's scores, read
//     on the standby while it is caught up);
//   - with the standby stopped B answers everything from the primary with
//     no 5xx, and an edit and a scoring run through A still reach it;
//   - restarted, the standby serves B's renders again.
//
// Run it with `make replica` (about a minute).
func TestReplica(t *testing.T) {
	work := t.TempDir()
	bin := buildGapmap(t, work)
	pg := startCluster(t)
	cmd := exec.Command(bin, "demo", "--load-only")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pg.URL(), "GAPMAP_LOG_LEVEL=warn")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gapmap demo --load-only: %v\n%s", err, out)
	}
	sb := startStandby(t, pg)
	primary, standby := pg.super(t), sb.super(t)
	waitReplayed(t, primary, standby)

	a := newServer(t, bin, pg.URL(), filepath.Join(work, "a"))
	a.start(t)
	b := newServer(t, bin, pg.URL(), filepath.Join(work, "b"))
	b.env = []string{"GAPMAP_READ_DATABASE_URL=" + sb.URL(), "GAPMAP_LOG_LEVEL=info"}
	b.start(t)
	editor := login(t, a, "xczx", nil)
	readerA, readerB := login(t, a, "guest", nil), login(t, b, "guest", nil)

	// The village the edits move, and the z10 tile its office is in (from
	// z11 on a village with an outline is drawn by its outline).
	var code string
	var lon, lat float64
	if err := primary.QueryRow(context.Background(), `SELECT code, ST_X(office), ST_Y(office) FROM villages
		WHERE office IS NOT NULL AND kind = '行政村' ORDER BY code LIMIT 1`).Scan(&code, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	x, y := tileXY(lon, lat, 10)
	tilePath := fmt.Sprintf("/tiles/review/10/%d/%d.mvt", x, y)
	villagePath := "/api/v1/villages/" + code
	// The village panel's scores and the ranking: reads of the latest run.
	scorePaths := []string{villagePath + "/gaps", "/api/v1/gaps?page_size=5"}

	t.Run("StandbyServes", func(t *testing.T) {
		since := serverNow(t, standby)
		getOK(t, readerB, coldTile(tilePath))
		getOK(t, readerB, villagePath)
		renderedSince(t, standby, "gapmap-tiles", "WITH p AS", since, 0)
		renderedSince(t, standby, "gapmap-read", "", since, 0)
		// The panel's run: the latest run's id, the run, its scores and
		// geometry, all on the standby.
		since = serverNow(t, standby)
		getOK(t, readerB, scorePaths[0])
		renderedSince(t, standby, "gapmap-read", "SELECT indicator, ST_AsBinary(geom) FROM run_indicators", since, 0)
	})

	t.Run("FreshWhileStandbyLags", func(t *testing.T) {
		// B caches the tile from the standby, then the standby stops
		// replaying: from now on only the primary has what A writes.
		old := getOK(t, readerB, tilePath)
		oldVillage := getOK(t, readerB, villagePath)
		exec1(t, standby, `SELECT pg_wal_replay_pause()`)
		defer exec1(t, standby, `SELECT pg_wal_replay_resume()`)
		from, to := moveAndWatch(t, editor, readerA, readerB, code, lon+0.003, lat, tilePath, villagePath, old, oldVillage)
		logSwitch(t, from, to, "standby paused")
		var stale bool
		if err := standby.QueryRow(context.Background(), `SELECT abs(ST_X(office) - $2) < 1e-9 FROM villages WHERE code = $1`, code, lon).Scan(&stale); err != nil {
			t.Fatal(err)
		}
		if !stale {
			t.Fatal("the paused standby already shows the edit: the check proves nothing")
		}
	})

	t.Run("StandbyBackAfterReplay", func(t *testing.T) {
		waitReplayed(t, primary, standby)
		waitRendersOn(t, standby, readerB, tilePath, "after replay resumed")
	})

	t.Run("ScoresFreshWhileStandbyLags", func(t *testing.T) {
		// B reads the panel's scores on the caught-up standby; then the
		// standby stops replaying and A scores the county: only the
		// primary has the new run.
		since := serverNow(t, standby)
		getOK(t, readerB, scorePaths[0])
		renderedSince(t, standby, "gapmap-read", "SELECT indicator, ST_AsBinary(geom) FROM run_indicators", since, 0)
		exec1(t, standby, `SELECT pg_wal_replay_pause()`)
		defer exec1(t, standby, `SELECT pg_wal_replay_resume()`)
		run := scoreAndWatch(t, editor, readerB, scorePaths, "standby paused")
		var n int
		if err := standby.QueryRow(context.Background(), `SELECT count(*) FROM scoring_runs WHERE id = $1`, run).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("the paused standby already has the run: the check proves nothing")
		}
	})

	t.Run("StandbyStopped", func(t *testing.T) {
		old := getOK(t, readerB, tilePath)
		oldVillage := getOK(t, readerB, villagePath)
		// The standby stops under load: reads running on it fail there
		// and must be answered by the primary.
		done := make(chan *tally)
		go func() {
			done <- readLoad(readerB, tilePath, append([]string{villagePath}, scorePaths...), 4*time.Second)
		}()
		time.Sleep(time.Second)
		sb.ctl(t, "stop", "-m", "fast")
		tl := <-done
		t.Logf("B, its standby stopped after 1 s of 4 s of reads (8 clients): %s", tl)
		if served := int(tl.served.Load()); served == 0 || served != tl.total() {
			t.Errorf("with the standby stopped B served %d of %d reads (%s)", served, tl.total(), tl)
		}
		from, to := moveAndWatch(t, editor, readerA, readerB, code, lon-0.003, lat, tilePath, villagePath, old, oldVillage)
		logSwitch(t, from, to, "standby stopped")
		scoreAndWatch(t, editor, readerB, scorePaths, "standby stopped")
		if b.grep("the primary serves its reads", 1) == "" {
			t.Errorf("B's log says nothing of the standby going away:\n%s", b.grep("replica", 5))
		}
	})

	t.Run("StandbyRestarted", func(t *testing.T) {
		sb.ctl(t, "start")
		standby = sb.super(t)
		waitReplayed(t, primary, standby)
		waitRendersOn(t, standby, readerB, tilePath, "after the standby restarted")
		getOK(t, readerB, villagePath)
		since := serverNow(t, standby)
		getOK(t, readerB, scorePaths[0])
		renderedSince(t, standby, "gapmap-read", "SELECT indicator, ST_AsBinary(geom) FROM run_indicators", since, 0)
	})
}

// scoreAndWatch scores the county through A (editor) and polls B's reads
// of the latest run (paths, each answering run_id) from the moment A
// answered: B may answer the previous run until it hears of the new one,
// but nothing else, and never the previous after the new. It returns the
// new run's id.
func scoreAndWatch(t *testing.T, editor, readerB *session, paths []string, when string) int64 {
	t.Helper()
	runOf := func(body []byte) int64 {
		var r struct {
			RunID int64 `json:"run_id"`
		}
		if err := json.Unmarshal(body, &r); err != nil || r.RunID == 0 {
			t.Fatalf("no run_id in %.200s (%v)", body, err)
		}
		return r.RunID
	}
	before := runOf(getOK(t, readerB, paths[0]))
	req, _ := http.NewRequest(http.MethodPost, editor.base+"/api/v1/scoring-runs", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", editor.csrf)
	resp, err := editor.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		ID int64 `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	answered := time.Now()
	if resp.StatusCode != http.StatusCreated || err != nil || run.ID <= before {
		t.Fatalf("POST scoring-runs through A: %s, run %d after %d (%v)", resp.Status, run.ID, before, err)
	}
	fresh := -1
	for i := 0; time.Since(answered) < 10*time.Second; i++ {
		got := runOf(getOK(t, readerB, paths[i%len(paths)]))
		switch {
		case got == run.ID && fresh < 0:
			fresh = i
			t.Logf("B answered run %d (made through A) %s after A answered (%s)", run.ID, time.Since(answered).Round(time.Millisecond), when)
		case got == run.ID:
			if i-fresh >= 6 {
				return run.ID
			}
		case got != before:
			t.Fatalf("B answered run %d: neither the previous %d nor the new %d", got, before, run.ID)
		case fresh >= 0:
			t.Fatalf("B answered the previous run %d after the new %d (%s)", before, run.ID, paths[i%len(paths)])
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("B did not answer the run %d made through A within 10 s (%s)", run.ID, when)
	return 0
}

// startStandby makes a hot standby of pg with pg_basebackup -R (streaming
// from pg, primary_conninfo written by pg_basebackup) on a port of its own,
// and starts it. It is stopped and removed at the end of the test, before
// pg.
func startStandby(t *testing.T, pg *cluster) *cluster {
	t.Helper()
	base, err := os.MkdirTemp("", "gapmap-replica-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.asUser) > 0 {
		// The base directory belongs to the postgres user, as startCluster's.
		if out, err := exec.Command("chown", "postgres:postgres", base).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v\n%s", err, out)
		}
	}
	sb := &cluster{dir: filepath.Join(base, "data"), log: filepath.Join(base, "pg.log"), port: freePort(t, 55532), asUser: pg.asUser}
	t.Cleanup(func() {
		sb.ctl(t, "stop", "-m", "immediate")
		os.RemoveAll(base)
	})
	sb.run(t, filepath.Join(pgBin, "pg_basebackup"), "-h", "127.0.0.1", "-p", fmt.Sprint(pg.port), "-U", "postgres",
		"-D", sb.dir, "-R", "-X", "stream", "-c", "fast")
	sb.ctl(t, "start")
	return sb
}

// serverNow is the database server's clock, which pg_stat_activity's
// times are on.
func serverNow(t *testing.T, conn *pgx.Conn) time.Time {
	t.Helper()
	var now time.Time
	if err := conn.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// exec1 runs one statement as the superuser.
func exec1(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitReplayed waits until the standby has replayed the primary's WAL up
// to its insert position now.
func waitReplayed(t *testing.T, primary, standby *pgx.Conn) {
	t.Helper()
	var lsn string
	if err := primary.QueryRow(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		var done bool
		if err := standby.QueryRow(context.Background(), `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
	}
	t.Fatalf("the standby did not replay up to %s in 30 s", lsn)
}

// renderedSince fails unless a backend of application app on the server
// of conn started a query beginning with prefix after since (pg_stat_activity
// shows each backend's last query), polling for up to wait.
func renderedSince(t *testing.T, conn *pgx.Conn, app, prefix string, since time.Time, wait time.Duration) bool {
	t.Helper()
	end := time.Now().Add(wait)
	for {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND query_start > $2 AND query LIKE $3 || '%'`, app, since, prefix).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return true
		}
		if wait == 0 {
			t.Errorf("no %s backend on this server ran %q since %s", app, prefix, since.Format(time.RFC3339Nano))
			return false
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRendersOn requests cold variants of path through c until the
// standby's own view shows a tile render of B, for up to 10 s.
func waitRendersOn(t *testing.T, standby *pgx.Conn, c *session, path, when string) {
	t.Helper()
	since := serverNow(t, standby)
	t0 := time.Now()
	for time.Since(t0) < 10*time.Second {
		getOK(t, c, coldTile(path))
		if renderedSince(t, standby, "gapmap-tiles", "WITH p AS", since, 100*time.Millisecond) {
			t.Logf("B renders on the standby again %s after it was back %s", time.Since(t0).Round(time.Millisecond), when)
			return
		}
	}
	t.Errorf("B rendered nothing on the standby in 10 s %s", when)
}

// coldSeq makes every coldTile distinct.
var coldSeq struct {
	sync.Mutex
	n int
}

// coldTile is path with a min_score of its own: a tile B has not cached,
// which it must render.
func coldTile(path string) string {
	coldSeq.Lock()
	defer coldSeq.Unlock()
	coldSeq.n++
	return fmt.Sprintf("%s?min_score=%g", path, 1e-9*float64(coldSeq.n))
}

// getOK fetches path and fails unless it answers 200.
func getOK(t *testing.T, c *session, path string) []byte {
	t.Helper()
	status, body, err := c.get(context.Background(), path)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", path, status, err, body)
	}
	return body
}

// moveAndWatch moves the village's office through A (editor), takes A's
// tile and village as the fresh answer (A reads only the primary and
// refreshes before a write answers), and polls B from the moment A
// answered until B answers both; it returns when B switched, as a range
// after A's answer: from the start of B's last old answer to the end of its
// first new one (on a loaded machine one answer takes a while). B may
// answer the old ones until it hears of the write, but nothing else, and
// never the old after the new.
func moveAndWatch(t *testing.T, editor, readerA, readerB *session, code string, lon, lat float64, tilePath, villagePath string, oldTile, oldVillage []byte) (from, to time.Duration) {
	t.Helper()
	body := fmt.Sprintf(`{"lon": %f, "lat": %f}`, lon, lat)
	req, _ := http.NewRequest(http.MethodPut, editor.base+"/api/v1/villages/"+code+"/location", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", editor.csrf)
	resp, err := editor.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	answered := time.Now()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT location through A: %s", resp.Status)
	}
	// B's answers, polled from now on while A's are fetched.
	type sample struct {
		start, end    time.Duration
		tile, village []byte
		err           error
	}
	var mu sync.Mutex
	var samples []sample
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Since(answered)
			_, tile, err := readerB.get(context.Background(), tilePath)
			var village []byte
			if err == nil {
				_, village, err = readerB.get(context.Background(), villagePath)
			}
			mu.Lock()
			samples = append(samples, sample{start, time.Since(answered), tile, village, err})
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	defer func() { close(stop); <-polled }()
	newTile, newVillage := getOK(t, readerA, tilePath), getOK(t, readerA, villagePath)
	if bytes.Equal(newTile, oldTile) || bytes.Equal(newVillage, oldVillage) {
		t.Fatalf("A's tile (same: %v) or village (same: %v) did not change with the edit: the check proves nothing",
			bytes.Equal(newTile, oldTile), bytes.Equal(newVillage, oldVillage))
	}
	var feature struct {
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	if err := json.Unmarshal(newVillage, &feature); err != nil || len(feature.Geometry.Coordinates) != 2 ||
		math.Abs(feature.Geometry.Coordinates[0]-lon) > 1e-6 {
		t.Fatalf("A's village is not at lon %f: %s", lon, newVillage)
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got := append([]sample(nil), samples...)
		mu.Unlock()
		fresh := -1
		for i, sm := range got {
			if sm.err != nil {
				t.Fatalf("B: %v", sm.err)
			}
			isNew := bytes.Equal(sm.tile, newTile) && bytes.Equal(sm.village, newVillage)
			isOld := bytes.Equal(sm.tile, oldTile) || bytes.Equal(sm.village, oldVillage)
			switch {
			case isNew && fresh < 0:
				fresh = i
			case isNew:
			case fresh >= 0:
				t.Fatalf("B answered the old tile or village after the new ones (answer %d of %d)", i, len(got))
			case !isOld || !(bytes.Equal(sm.tile, oldTile) || bytes.Equal(sm.tile, newTile)) ||
				!(bytes.Equal(sm.village, oldVillage) || bytes.Equal(sm.village, newVillage)):
				t.Fatalf("B answered a tile or village that is neither the old nor the new: %s", sm.village)
			}
		}
		// Five new answers in a row after the first: B stays fresh.
		if fresh >= 0 && len(got)-fresh >= 6 {
			from = 0
			if fresh > 0 {
				from = got[fresh-1].start
			}
			return from, got[fresh].end
		}
	}
	t.Fatal("B did not serve the edit made through A, tile and village, within 10 s")
	return 0, 0
}

// logSwitch reports when B switched to an edit made through A.
func logSwitch(t *testing.T, from, to time.Duration, when string) {
	t.Helper()
	if from == 0 {
		t.Logf("B's first answer after A's was already the new one (it ended %s after A's; %s)", to.Round(time.Millisecond), when)
		return
	}
	t.Logf("B switched to the edit made through A between %s and %s after A answered (%s)", from.Round(time.Millisecond), to.Round(time.Millisecond), when)
}

// readLoad runs 8 clients on c for d, asking cold tiles and, in turn, the
// API reads.
func readLoad(c *session, tilePath string, reads []string, d time.Duration) *tally {
	tl := newTally()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				path := reads[n%len(reads)]
				if i%2 == 0 {
					path = coldTile(tilePath)
				}
				t0 := time.Now()
				status, _, err := c.get(context.Background(), path)
				tl.add(status, err, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	return tl
}
