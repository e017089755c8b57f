//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// buildGapmap builds the binary under test once per run.
func buildGapmap(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "gapmap")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is one `gapmap serve` process on the private cluster, with its
// own temporary directory (TMPDIR) so that its leftovers can be counted.
type server struct {
	bin, dbURL, tmp, addr string
	logPath               string
	env                   []string // more environment (GAPMAP_READ_DATABASE_URL)
	cmd                   *exec.Cmd
	exited                chan struct{}
}

func newServer(t *testing.T, bin, dbURL, work string) *server {
	t.Helper()
	s := &server{bin: bin, dbURL: dbURL, tmp: filepath.Join(work, "tmp"), logPath: filepath.Join(work, "server.log"),
		addr: fmt.Sprintf("127.0.0.1:%d", freePort(t, 18080))}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.kill() })
	return s
}

// start runs the server and waits until /healthz answers 200.
func (s *server) start(t *testing.T) time.Duration {
	t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dbURL, "GAPMAP_ADDR="+s.addr, "TMPDIR="+s.tmp, "GAPMAP_LOG_LEVEL=warn")
	s.cmd.Env = append(s.cmd.Env, s.env...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); logf.Close(); close(s.exited) }()
	if !s.waitHealthy(60 * time.Second) {
		t.Fatalf("gapmap serve did not become healthy in 60 s; log:\n%s", tail(s.logPath, 4000))
	}
	return time.Since(t0)
}

// waitHealthy polls /healthz until it answers 200 or d has passed.
func (s *server) waitHealthy(d time.Duration) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if resp, err := c.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
	}
	return false
}

// kill sends SIGKILL and waits for the process to go.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// resetPeak clears the process's peak resident set (VmHWM), so that the
// next peakMiB is this scenario's.
func (s *server) resetPeak() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid()), []byte("5"), 0)
}

// peakMiB is the server's VmHWM in MiB.
func (s *server) peakMiB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

// leftovers lists gapmap's temporary files and directories in the
// server's TMPDIR.
func (s *server) leftovers() []string {
	entries, _ := os.ReadDir(s.tmp)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "gapmap-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// ageLeftovers dates the leftovers 3 hours back: past the 2-hour age the
// start-up sweep takes for a dead process's file.
func (s *server) ageLeftovers() {
	old := time.Now().Add(-3 * time.Hour)
	for _, n := range s.leftovers() {
		p := filepath.Join(s.tmp, n)
		filepath.Walk(p, func(q string, _ os.FileInfo, _ error) error { os.Chtimes(q, old, old); return nil })
		os.Chtimes(p, old, old)
	}
}

// grep returns the last n lines of the server's log that contain s.
func (s *server) grep(sub string, n int) string {
	b, _ := os.ReadFile(s.logPath)
	var hits []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, sub) {
			hits = append(hits, l)
		}
	}
	return strings.Join(hits[max(0, len(hits)-n):], "\n")
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// session is a logged-in client of the server.
type session struct {
	base string
	http *http.Client
	csrf string
}

// login logs in as one of the demo accounts.
func login(t *testing.T, s *server, account string, transport http.RoundTripper) *session {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &session{base: "http://" + s.addr, http: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: transport}}
	body := fmt.Sprintf(`{"login": %q, "password": "demo-password-2026"}`, account)
	resp, err := c.http.Post(c.base+"/api/v1/session", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("login %s: %v", account, err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf"`
	}
	if resp.StatusCode/100 != 2 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("login %s: %s", account, resp.Status)
	}
	c.csrf = out.CSRF
	return c
}

// get fetches path and returns the status and the body.
func (c *session) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// tally counts the outcomes of requests by kind: an HTTP status, or a
// kind of connection error; and keeps the slowest answer.
type tally struct {
	mu      sync.Mutex
	byKind  map[string]int
	slowest time.Duration
	lat     []time.Duration
	served  atomic.Int64 // 2xx/304 answers
	wait    func()       // waits for load's clients to stop
}

func newTally() *tally { return &tally{byKind: map[string]int{}} }

// add records one request's outcome.
func (t *tally) add(status int, err error, took time.Duration) {
	kind := strconv.Itoa(status)
	if err != nil {
		kind = errKind(err)
	} else if status < 400 {
		t.served.Add(1)
	}
	t.mu.Lock()
	t.byKind[kind]++
	t.slowest = max(t.slowest, took)
	t.lat = append(t.lat, took)
	t.mu.Unlock()
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "refused"
	case strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "EOF"):
		return "reset"
	}
	return "conn-error"
}

func (t *tally) count(kind string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKind[kind]
}

// total is the number of requests recorded.
func (t *tally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, v := range t.byKind {
		n += v
	}
	return n
}

// fiveHundreds counts 500 answers (a 503 or 504 is a clean refusal).
func (t *tally) fiveHundreds() int { return t.count("500") }

// String lists the outcomes, most frequent first.
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	kinds := make([]string, 0, len(t.byKind))
	for k := range t.byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		return t.byKind[kinds[i]] > t.byKind[kinds[j]] || t.byKind[kinds[i]] == t.byKind[kinds[j]] && kinds[i] < kinds[j]
	})
	var b strings.Builder
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s×%d", k, t.byKind[k])
	}
	return b.String()
}

// p returns the q-quantile of the latencies.
func (t *tally) p(q float64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lat) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), t.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

// load runs n clients that loop over paths until ctx ends, each request
// with its own timeout, and tallies the outcomes.
func load(ctx context.Context, c *session, n int, paths []string, perRequest time.Duration) *tally {
	tl := newTally()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := i; ctx.Err() == nil; k++ {
				rctx, cancel := context.WithTimeout(context.Background(), perRequest)
				t0 := time.Now()
				status, _, err := c.get(rctx, paths[k%len(paths)])
				cancel()
				tl.add(status, err, time.Since(t0)) // one that ran past the load's end too: it may have hung
				if err != nil {
					time.Sleep(20 * time.Millisecond) // a refused connection returns at once
				}
			}
		}()
	}
	tl.wait = wg.Wait
	return tl
}

// upload posts a multipart import of one file, streamed from file (a
// reader that blocks holds the upload part-way). It returns the status
// and body, or the error.
func (c *session) upload(ctx context.Context, layer, name string, file io.Reader, fields map[string]string) (int, []byte, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		var err error
		for k, v := range fields {
			if err == nil {
				err = mw.WriteField(k, v)
			}
		}
		if err == nil {
			var part io.Writer
			if part, err = mw.CreateFormFile("file", name); err == nil {
				_, err = io.Copy(part, file)
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/layers/"+layer+"/imports", pr)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// summary is the suite's table: one row per scenario.
type summary struct {
	mu   sync.Mutex
	rows [][]string
}

func (s *summary) add(scenario string, tl *tally, recovery string, peak float64, dbSame string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	served, total, kinds := "-", "-", "-"
	if tl != nil {
		served, total, kinds = strconv.FormatInt(tl.served.Load(), 10), strconv.Itoa(tl.total()), tl.String()
	}
	pk := "-"
	if !math.IsNaN(peak) && peak > 0 {
		pk = fmt.Sprintf("%.0f", peak)
	}
	s.rows = append(s.rows, []string{scenario, served, total, kinds, recovery, pk, dbSame})
}

func (s *summary) String() string {
	head := []string{"scenario", "served", "requests", "outcomes", "recovery", "peak MiB", "database"}
	all := append([][]string{head}, s.rows...)
	width := make([]int, len(head))
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b bytes.Buffer
	for _, r := range all {
		for i, c := range r {
			fmt.Fprintf(&b, "%s%s  ", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		b.WriteString("\n")
	}
	return b.String()
}
