package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so that one writer (writeError) maps every error to a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// chain wraps rt's handler in the middleware every route goes through,
// outermost first: the request id, the access log, panic recovery,
// admission (admission.go: the class's budget and queue, before the time
// budget starts), authorisation (whose session and token look-ups so run
// within the class's budget), the per-user limit of heavy requests, the
// spooling of exports, the body limit, the time budget and the check of
// the URL's text. Authorisation comes after the recovery, so that a
// refused request is logged like any other. The compression of JSON
// answers wraps the recovery, so that a panic's error answer is complete
// before the compressed stream ends.
func (s *server) chain(rt route) http.Handler {
	h := s.adapt(rt.handle)
	h = readOnly(rt, h)
	h = s.freshTiles(rt, h)
	h = s.wellFormed(h)
	h = withBudget(rt.budget, h)
	h = limitBody(rt.maxBody, h)
	h = s.spoolExport(rt, h)
	h = s.limitHeavy(rt, h)
	h = s.authorize(rt, h)
	h = s.admit(rt, h)
	h = s.recoverPanics(h)
	h = compressJSON(rt, h)
	h = s.accessLog(rt.path, h)
	return withRequestID(h)
}

// unsafeMethod reports whether a request with method m may write.
func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// freshTiles holds the answer of a gated write until the tile engine has
// refreshed its versions: before the response's first byte (or after the
// handler, when it wrote none) it runs Refresh, which drops the tiles the
// write changed. A tile requested after the answer therefore never shows
// the data from before the write, without waiting for the database's
// notification (which still brings other processes' writes). Reads, and the
// open routes (logging in and out), pass through. A failed refresh is
// logged and does not fail the committed write; the notification's
// refresh follows.
func (s *server) freshTiles(rt route, next http.Handler) http.Handler {
	if rt.action == public || rt.action == loggedIn {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !unsafeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		fw := &freshWriter{ResponseWriter: w, refresh: func() {
			// Other users' tiles depend on it even if this client left.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
			defer cancel()
			if err := s.tiles.Refresh(ctx); err != nil {
				s.log.Warn("refresh tile versions after a write", "err", err, "request_id", requestID(r.Context()))
			}
		}}
		next.ServeHTTP(fw, r)
		fw.before()
	})
}

// readOnly marks the context of a read route's GET and HEAD requests
// planning.ReadOnly, so that the store may answer them from a read replica
// (GAPMAP_READ_DATABASE_URL). Other routes, even reads of the open ones
// (a login's session), read the primary.
func readOnly(rt route, next http.Handler) http.Handler {
	if rt.action != access.Read {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !unsafeMethod(r.Method) {
			r = r.WithContext(planning.ReadOnly(r.Context()))
		}
		next.ServeHTTP(w, r)
	})
}

// freshWriter runs refresh once, before the first header or byte of the
// response goes out.
type freshWriter struct {
	http.ResponseWriter
	refresh func()
	done    bool
}

func (fw *freshWriter) before() {
	if !fw.done {
		fw.done = true
		fw.refresh()
	}
}

func (fw *freshWriter) WriteHeader(code int) {
	fw.before()
	fw.ResponseWriter.WriteHeader(code)
}

func (fw *freshWriter) Write(b []byte) (int, error) {
	fw.before()
	return fw.ResponseWriter.Write(b)
}

// Flush lets streamed responses through.
func (fw *freshWriter) Flush() {
	fw.before()
	_ = http.NewResponseController(fw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (fw *freshWriter) Unwrap() http.ResponseWriter { return fw.ResponseWriter }

// adapt turns f into an http.Handler whose errors go to writeError.
func (s *server) adapt(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type requestIDKey struct{}

// withRequestID gives the request a random id, sent back as X-Request-Id
// and written on its log lines.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// requestID returns the id withRequestID gave the request, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// accessLog writes one line per request with the route template (not the
// raw path, to keep cardinality low), the status, the duration, the bytes
// written and the request id.
func (s *server) accessLog(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.log.Info("http", "method", r.Method, "route", route, "status", rec.status,
				"dur_ms", float64(time.Since(start).Microseconds())/1000, "bytes", rec.bytes, "request_id", requestID(r.Context()))
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverPanics turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.writeError(w, r, fmt.Errorf("panic: %v", p))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// wellFormed refuses a URL whose path or query is not valid UTF-8 text or
// holds a NUL: PostgreSQL rejects both in a text parameter (SQLSTATE
// 22021), which would reach the user as a 500 or an English message. One
// check here covers every parameter of every route, present and future.
func (s *server) wellFormed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkText("路径", r.URL.Path); err != nil {
			s.writeError(w, r, err)
			return
		}
		for key, vs := range r.URL.Query() {
			if err := checkText("参数名", key); err != nil {
				s.writeError(w, r, err)
				return
			}
			for _, v := range vs {
				if err := checkText("参数 "+key, v); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkText refuses s unless it is valid UTF-8 without NUL; what names it
// in the Chinese message.
func checkText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return planning.Errorf(planning.EInvalid, "%s 不是有效的 UTF-8 文本，请检查编码（收到 %q）", what, s)
	case strings.ContainsRune(s, 0):
		return planning.Errorf(planning.EInvalid, "%s 含有空字符（NUL），请删除", what)
	}
	return nil
}

// limitBody refuses to read more than max bytes of the request body (the
// reader fails with an *http.MaxBytesError); max 0 leaves it alone.
func limitBody(max int64, next http.Handler) http.Handler {
	if max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// errOverBudget is the cause of a request context whose budget ran out; it
// tells that apart from a client that went away.
var errOverBudget = errors.New("api: request over its time budget")

// withBudget bounds the request's context by d.
func withBudget(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeoutCause(r.Context(), d, errOverBudget)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientGone reports whether the client ended the request (closed the
// connection or cancelled), as opposed to its budget running out.
func clientGone(r *http.Request) bool {
	ctx := r.Context()
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), errOverBudget)
}

// extendDeadlines moves the connection's write deadline, and for an upload
// its read deadline, to the end of the request's budget: the server's
// timeouts suit API calls, not imports and exports that take minutes. It
// reaches the connection through every wrapper's Unwrap; an error means a
// wrapper hides it and the server's timeouts still apply.
func extendDeadlines(w http.ResponseWriter, r *http.Request, upload bool) error {
	deadline, ok := r.Context().Deadline()
	if !ok {
		return nil
	}
	rc := http.NewResponseController(w)
	if upload {
		if err := rc.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("extend the read deadline: %w", err)
		}
	}
	if err := rc.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("extend the write deadline: %w", err)
	}
	return nil
}

// recorder notes the status and size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	rec.status = code
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Flush lets streamed responses (exports) through the recorder.
func (rec *recorder) Flush() {
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection through the
// recorder, to set deadlines (imports, exports) and flush.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
