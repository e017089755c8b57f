package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
)

// slowClient is a client that sends a request by hand on its own TCP
// connection with a small receive buffer, so that it can read its answer
// as slowly as a poor link does.
type slowClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialSlow(t *testing.T, srv *httptest.Server, method, path, token, extra string) *slowClient {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.(*net.TCPConn).SetReadBuffer(2048); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s\r\n", method, path, srv.Listener.Addr(), token, extra)
	return &slowClient{conn: conn, r: bufio.NewReaderSize(conn, 16)}
}

// smallSendBuffers gives each accepted connection a small send buffer,
// as a slow link's is full: a write to a client that does not read blocks
// after a few kilobytes instead of filling loopback's megabytes.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return c, err
}

// admissionServer serves the demo county through the whole handler with
// admission a, on a real socket.
func admissionServer(t *testing.T, a api.Admission) (*datatest.DB, *httptest.Server, string) {
	t.Helper()
	db := datatest.NewDemo(t)
	srv := httptest.NewUnstartedServer(newRawRouter(t, db.Store, func(c *api.Config) { c.Admission = a }))
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return db, srv, allRoles(t, db.Store, "tester")
}

func getWith(t *testing.T, srv *httptest.Server, token, path string) (*http.Response, []byte, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body, time.Since(start)
}

// TestSlowExportReadersHoldNoConnection saturates the export class with
// ten clients reading 1 byte a second: each export is spooled to a file
// and the database connection given back before the first byte is sent,
// so the pool shows none held by them and an API read answers at once.
func TestSlowExportReadersHoldNoConnection(t *testing.T) {
	// The test pool has 4 connections: the budgets take them all.
	db, srv, token := admissionServer(t, api.Admission{API: 1, Export: 2, Heavy: 1, QueuePerSlot: 8, QueueWait: 20 * time.Second})
	const n = 10
	clients := make([]*slowClient, n)
	for i := range clients {
		clients[i] = dialSlow(t, srv, "GET", "/api/v1/exports/villages.geojson", token, "")
	}
	// Every client gets its status line, one byte a second.
	var wg sync.WaitGroup
	status := make([]string, n)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var line []byte
			for len(line) < len("HTTP/1.1 200") {
				_ = c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
				b, err := c.r.ReadByte()
				if err != nil {
					status[i] = fmt.Sprintf("%q then %v", line, err)
					return
				}
				line = append(line, b)
				time.Sleep(time.Second / 8)
			}
			status[i] = string(line)
		}()
	}
	wg.Wait()
	for i, s := range status {
		if s != "HTTP/1.1 200" {
			t.Fatalf("slow client %d: %s, want HTTP/1.1 200", i, s)
		}
	}
	// Now all ten are downloading (286 KB at a byte a second): none of
	// them holds a connection.
	if main, tile := db.Store.ConnsInUse(); main != 0 || tile != 0 {
		t.Errorf("while 10 slow clients download exports, %d main and %d tile connections are held, want 0", main, tile)
	}
	resp, body, took := getWith(t, srv, token, "/api/v1/villages?page_size=5")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API read beside the slow exports: %d %s", resp.StatusCode, body)
	}
	if took > 3*time.Second {
		t.Errorf("API read beside the slow exports took %s", took)
	}
	t.Logf("API read beside 10 slow export downloads: 200 in %s", took)
	// The slow clients are still there: their downloads are far from done.
	for i, c := range clients {
		_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.r.ReadByte(); err != nil {
			t.Errorf("slow client %d lost its download: %v", i, err)
		}
	}
}

// TestBurstOverQueue holds the only API slot with a request whose body
// never comes, then sends a burst: two wait the queue wait and are
// refused, the rest at once, all 503 with Retry-After and a Chinese
// message, never 500; once the slot is free, reads answer again.
func TestBurstOverQueue(t *testing.T) {
	const wait = 1500 * time.Millisecond
	_, srv, token := admissionServer(t, api.Admission{API: 1, Export: 1, Heavy: 1, QueuePerSlot: 2, QueueWait: wait})
	holder := dialSlow(t, srv, "POST", "/api/v1/projects", token, "Content-Type: application/json\r\nContent-Length: 100\r\n")
	time.Sleep(time.Second) // the holder is in its handler, reading a body that never comes

	type answer struct {
		status int
		retry  string
		code   string
		msg    string
		took   time.Duration
	}
	const burst = 10
	answers := make([]answer, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body, took := getWith(t, srv, token, "/api/v1/villages?page_size=1")
			var e struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(body, &e)
			answers[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code, e.Error.Message, took}
		}()
	}
	wg.Wait()
	queued := 0
	for i, a := range answers {
		if a.status != http.StatusServiceUnavailable || a.code != "unavailable" || !strings.Contains(a.msg, "服务器繁忙（查询和编辑）") {
			t.Errorf("burst request %d: %+v, want 503 unavailable 服务器繁忙", i, a)
		}
		if s, err := strconv.Atoi(a.retry); err != nil || s < 1 {
			t.Errorf("burst request %d: Retry-After %q, want whole seconds ≥ 1", i, a.retry)
		}
		switch {
		case a.took >= wait:
			queued++
			if a.took > wait+2*time.Second {
				t.Errorf("burst request %d: refused after %s, want soon after the queue wait %s", i, a.took, wait)
			}
		case a.took > wait/2:
			t.Errorf("burst request %d: refused after %s: neither at once nor after the queue wait", i, a.took)
		}
	}
	if queued != 2 {
		t.Errorf("%d requests waited the queue wait, want the queue's 2", queued)
	}
	holder.conn.Close()
	var resp *http.Response
	for range 50 { // the holder's handler sees its body end
		if resp, _, _ = getWith(t, srv, token, "/api/v1/villages?page_size=1"); resp.StatusCode == http.StatusOK {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the holder left: %d, want 200", resp.StatusCode)
	}
}

// TestHeavyPerUserLimit: a user's heavy requests beyond the rate are
// refused with 429 and Retry-After before any work; another user is not.
func TestHeavyPerUserLimit(t *testing.T) {
	db, srv, token := admissionServer(t, api.Admission{API: 1, Export: 1, Heavy: 2, QueuePerSlot: 8, QueueWait: 5 * time.Second, HeavyPerMinute: 3})
	post := func(token string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/scoring-runs", strings.NewReader("{"))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for i := range 3 {
		if resp, body := post(token); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("scoring run %d with a bad body: %d %s, want 400", i+1, resp.StatusCode, body)
		}
	}
	resp, body := post(token)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "每个用户每分钟最多 3 次") {
		t.Fatalf("4th scoring run in a minute: %d %s, want 429 naming the limit", resp.StatusCode, body)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 20 {
		t.Errorf("Retry-After %q, want 1–20 s (one token every 20 s)", resp.Header.Get("Retry-After"))
	}
	other := allRoles(t, db.Store, "other")
	if resp, body := post(other); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another user's first scoring run: %d %s, want 400 (not limited)", resp.StatusCode, body)
	}
	// Reads are not heavy: the limited user still reads.
	if resp, body, _ := getWith(t, srv, token, "/api/v1/villages?page_size=1"); resp.StatusCode != http.StatusOK {
		t.Errorf("the limited user's read: %d %s", resp.StatusCode, body)
	}
}
