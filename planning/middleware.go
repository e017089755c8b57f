package planning

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// AccessLog returns middleware that writes one log line per request with the
// route template (not the raw path, to keep cardinality low), the status,
// the duration and a request id, which is also sent as X-Request-Id. A panic
// in a handler becomes a logged 500 instead of a dropped connection.
func AccessLog(log *slog.Logger) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := requestID()
			w.Header().Set("X-Request-Id", id)
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			defer func() {
				if p := recover(); p != nil {
					WriteError(rec, r, log, fmt.Errorf("panic: %v", p))
				}
				route := r.URL.Path
				if cr := mux.CurrentRoute(r); cr != nil {
					if tmpl, err := cr.GetPathTemplate(); err == nil {
						route = tmpl
					}
				}
				log.Info("http", "method", r.Method, "route", route, "status", rec.status,
					"dur_ms", float64(time.Since(start).Microseconds())/1000, "bytes", rec.bytes, "request_id", id)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush lets streamed responses (exports) through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
