package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination that handlers may write concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDeadlineExtensionThroughChain serves a route through the chain every
// route of the table gets, on a real connection, and extends its deadlines
// as the import and export handlers do: the recorder of the access log must
// let http.ResponseController reach the connection.
func TestDeadlineExtensionThroughChain(t *testing.T) {
	s := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), admission: newAdmission(DefaultAdmission(8))}
	// An export's handler writes to the spool, which must let it through too.
	for _, c := range []class{classAPI, classExport} {
		var extended, hidden error
		h := s.chain(route{methods: []string{http.MethodPost}, path: "/deadline", budget: longBudget, maxBody: 1 << 10, class: c,
			handle: func(w http.ResponseWriter, r *http.Request) error {
				extended = extendDeadlines(w, r, true)
				// A wrapper without Unwrap hides the connection: what the
				// recorder did before it had Unwrap.
				hidden = extendDeadlines(struct{ http.ResponseWriter }{w}, r, true)
				return extended
			}})
		srv := httptest.NewServer(h)
		res, err := http.Post(srv.URL+"/deadline", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		srv.Close()
		if extended != nil || res.StatusCode != http.StatusOK {
			t.Errorf("class %s: extending the deadlines through the chain: %v (status %d), want success", c, extended, res.StatusCode)
		}
		if !errors.Is(hidden, http.ErrNotSupported) {
			t.Errorf("class %s: through a wrapper without Unwrap: %v, want http.ErrNotSupported (else this test proves nothing)", c, hidden)
		}
	}
}

// TestChainLogsRecoversAndBudgets checks the other stages: every answer has
// a request id and one access line naming the route template, a panic is a
// 500 in the common error shape, and a request over its budget is answered
// rather than taken for an abandoned one.
func TestChainLogsRecoversAndBudgets(t *testing.T) {
	var logs syncBuffer
	s := &server{log: slog.New(slog.NewJSONHandler(&logs, nil)), admission: newAdmission(DefaultAdmission(8))}
	mux := http.NewServeMux()
	mux.Handle("/panic/", s.chain(route{path: "/panic/{id}", budget: time.Second,
		handle: func(http.ResponseWriter, *http.Request) error { panic("boom") }}))
	mux.Handle("/slow", s.chain(route{path: "/slow", budget: 20 * time.Millisecond,
		handle: func(w http.ResponseWriter, r *http.Request) error {
			<-r.Context().Done()
			return r.Context().Err()
		}}))

	for _, path := range []string{"/panic/7", "/slow"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError ||
			body.Error.Code != "internal" || body.Error.Message == "" {
			t.Errorf("%s: %d %s, want a 500 with code internal and a message", path, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", path)
		}
	}
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "http" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 || lines[0]["route"] != "/panic/{id}" || lines[0]["status"] != float64(500) || lines[0]["request_id"] == "" {
		t.Errorf("access lines %v, want one per request naming the route template with status 500", lines)
	}
	if n := strings.Count(logs.String(), `"request failed"`); n != 2 {
		t.Errorf("%d error lines for two failures, want one each:\n%s", n, logs.String())
	}
}

// TestClientGone tells a client that went away from a budget that ran out.
func TestClientGone(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	client, cancel := context.WithCancel(req.Context())
	overBudget, stop := context.WithTimeoutCause(client, time.Nanosecond, errOverBudget)
	defer stop()
	<-overBudget.Done()
	if clientGone(req.WithContext(overBudget)) {
		t.Error("a request over its budget was taken for an abandoned one")
	}
	cancel()
	if !clientGone(req.WithContext(client)) {
		t.Error("a cancelled request was not taken for an abandoned one")
	}
	budgeted, stop2 := context.WithTimeoutCause(client, time.Minute, errOverBudget)
	defer stop2()
	if !clientGone(req.WithContext(budgeted)) {
		t.Error("a client gone within the budget was not taken for an abandoned one")
	}
}
