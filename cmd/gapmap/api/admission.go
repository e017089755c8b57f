package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/tiles/admit"
)

// class is a route's admission class: each class has its own budget of
// concurrent requests, and so of database connections, so that one kind
// of work cannot starve the others.
type class int

const (
	classAPI    class = iota // short reads and edits
	classTile                // tiles: bounded by the tile engine's gate, on the tile pool
	classExport              // downloads: spooled to a file, then sent
	classHeavy               // scoring runs, plans, generating, imports, the audit check: also rate-limited per user
	classOpen                // the page's files, /healthz, unknown paths: no database work worth queueing
	classAuth                // logging in: a password check (argon2id, 19 MiB and tens of ms of CPU) or a single sign-on exchange
)

var classNames = [...]string{classAPI: "api", classTile: "tile", classExport: "export", classHeavy: "heavy", classOpen: "open", classAuth: "auth"}

func (c class) String() string { return classNames[c] }

// Admission is the admission control of the API, export and heavy
// classes (tiles: the tile engine's gate, built by the caller). Each
// class runs at most its budget of requests at once, each holding at most
// one database connection, so the budgets are the classes' connection
// budgets and their sum must fit the pool; up to QueuePerSlot×budget more
// wait, first come first served, at most QueueWait; the rest are answered
// 503 with Retry-After.
type Admission struct {
	API, Export, Heavy int           // concurrent requests per class
	QueuePerSlot       int           // waiting requests per slot of a class; 0: none wait
	QueueWait          time.Duration // longest wait in a queue
	// HeavyPerMinute is how many heavy requests one user may start a
	// minute (a token bucket, all at once at most); 0: no limit.
	HeavyPerMinute int
	// Logins is how many logins (class auth) run at once; 0:
	// DefaultLogins. Not a connection budget: a login holds a connection
	// for its few milliseconds of queries, not for its password check,
	// whose CPU and memory (19 MiB each) this bounds, so that a storm of
	// logins cannot starve the other classes.
	Logins int
}

// DefaultLogins is the default of Admission.Logins.
const DefaultLogins = 2

// DefaultAdmission is the admission of a main pool of conns connections
// (the tile pool is apart): half for the API, a quarter each for exports
// and heavy work, at least one each, 8 waiting per slot for 5 s, and 6
// heavy requests per user a minute.
func DefaultAdmission(conns int) Admission {
	export := max(1, conns/4)
	return Admission{API: max(1, conns-2*export), Export: export, Heavy: export, QueuePerSlot: 8, QueueWait: 5 * time.Second,
		HeavyPerMinute: 6}
}

// Conns is the number of database connections the classes use at most.
func (a Admission) Conns() int { return a.API + a.Export + a.Heavy }

// validate reports a budget below one.
func (a Admission) validate() error {
	if a.API < 1 || a.Export < 1 || a.Heavy < 1 || a.QueuePerSlot < 0 || a.QueueWait < 0 || a.HeavyPerMinute < 0 || a.Logins < 0 {
		return fmt.Errorf("api: admission %+v: every budget must be at least 1, the queue, its wait and the rate not negative", a)
	}
	return nil
}

// admission is the gates of the classes and the heavy routes' per-user
// buckets.
type admission struct {
	gates map[class]*admit.Gate
	heavy *admit.Bucket // nil: no per-user limit
}

func newAdmission(a Admission) *admission {
	gate := func(n int) *admit.Gate { return admit.NewGate(n, n*a.QueuePerSlot, a.QueueWait) }
	logins := a.Logins
	if logins <= 0 {
		logins = DefaultLogins
	}
	ad := &admission{gates: map[class]*admit.Gate{classAPI: gate(a.API), classExport: gate(a.Export), classHeavy: gate(a.Heavy), classAuth: gate(logins)}}
	if a.HeavyPerMinute > 0 {
		ad.heavy = admit.NewBucket(a.HeavyPerMinute)
	}
	return ad
}

// retryAfter is a refusal the client should retry after d: writeError
// sends it as Retry-After.
type retryAfter struct {
	d   time.Duration
	err error
}

func (e *retryAfter) Error() string { return fmt.Sprintf("retry after %s: %v", e.d, e.err) }
func (e *retryAfter) Unwrap() error { return e.err }

// seconds is d as whole seconds for Retry-After, at least 1.
func seconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// busy is the answer to a request refused by a full queue or past the
// queue wait: 503, retry after the queue wait.
func busy(c class, wait time.Duration, err error) error {
	d := max(wait, time.Second)
	return &planning.Error{Code: planning.EUnavailable, Err: &retryAfter{d: d, err: err},
		Message: fmt.Sprintf("服务器繁忙（%s），请 %d 秒后重试", classTitles[c], seconds(d))}
}

var classTitles = [...]string{classAPI: "查询和编辑", classTile: "地图瓦片", classExport: "导出下载", classHeavy: "评分、规划、导入等耗时操作", classOpen: "页面", classAuth: "登录"}

// admit runs the rest of the chain, the authentication's look-ups
// included, within the budget of rt's class: it takes a slot of the
// class, waiting in the class's queue (503 when the queue is full or the
// wait is over). The slot is in the request's context (slotOf), so that
// an export can give it back before sending its file, or hand it to the
// job that makes the file. Tiles pass (the tile engine admits their
// renders), and so do the open routes.
func (s *server) admit(rt route, next http.Handler) http.Handler {
	gate := s.admission.gates[rt.class]
	if gate == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, err := gate.Acquire(r.Context())
		if err != nil {
			if errors.Is(err, admit.ErrQueueFull) || errors.Is(err, admit.ErrQueueTimeout) {
				err = busy(rt.class, gate.Wait(), fmt.Errorf("class %s: %w", rt.class, err)) // logged by writeError
			}
			s.writeError(w, r, err)
			return
		}
		sl := &slot{release: release}
		defer func() {
			if !sl.handedOff {
				release()
			}
		}()
		// The server's write timeout counts from the request's arrival;
		// the time spent queueing must not eat the handler's budget.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(rt.budget + 5*time.Second))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, sl)))
	})
}

// slot is the admission slot a request holds: release gives it back (a
// second call is a no-op); handedOff says an export job took it over and
// gives it back when it ends.
type slot struct {
	release   func()
	handedOff bool
}

type slotKey struct{}

// slotOf is r's admission slot; a request of a class without a gate has
// one that holds nothing.
func slotOf(r *http.Request) *slot {
	if sl, ok := r.Context().Value(slotKey{}).(*slot); ok {
		return sl
	}
	return &slot{release: func() {}}
}

// releaseSlot gives back r's admission slot early: the handler is done
// with the database and has a long answer to send.
func releaseSlot(r *http.Request) { slotOf(r).release() }

// limitHeavy spends one of the user's tokens for a heavy request (429
// when none is left), once the request is authenticated and admitted.
func (s *server) limitHeavy(rt route, next http.Handler) http.Handler {
	if rt.class != classHeavy || s.admission.heavy == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pr, ok := access.From(r.Context()); ok {
			if ok, d := s.admission.heavy.Take(pr.Login, time.Now()); !ok {
				s.writeError(w, r, &planning.Error{Code: planning.ETooMany, Err: &retryAfter{d: d, err: errors.New("per-user limit of heavy requests")},
					Message: fmt.Sprintf("操作过于频繁：每个用户每分钟最多 %d 次评分、规划、导入等耗时操作，请 %d 秒后重试", s.admission.heavy.PerMinute(), seconds(d))})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// spoolExport writes an export to a temporary file while the request
// holds its slot, and sends it from the file after giving the slot back,
// so that a slow client holds a file, not a database connection. An
// export asked for as a job (wantsAsync) is answered 202 and made by the
// job, in the same slot (exportJob).
func (s *server) spoolExport(rt route, next http.Handler) http.Handler {
	if rt.class != classExport {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sl := slotOf(r)
		if wantsAsync(r) && r.Method == http.MethodGet {
			sl.handedOff = s.exportJob(w, r, next, sl.release)
			return
		}
		sp, err := newSpool(w)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		defer sp.remove()
		next.ServeHTTP(sp, r)
		sl.release()
		if r.Context().Err() != nil {
			return // the client has gone
		}
		if err := sp.send(w, r); err != nil && !clientGone(r) {
			s.log.Warn("export: sending the spooled file failed", "err", err, "request_id", requestID(r.Context()))
		}
	})
}

// spoolSendTime bounds the sending of a spooled export: a client reading
// 1 KB/s takes this long for 1.8 MB; it holds only a file meanwhile.
const spoolSendTime = longBudget

// spool is the response writer of an export: the headers go to the real
// response, the status and body to a temporary file (named like the
// spools tempfiles.go sweeps), sent when the handler is done.
type spool struct {
	w      http.ResponseWriter // nil for an export job's
	hdr    http.Header         // w's, or the job's own
	f      *os.File
	status int
}

// newSpool spools the response to w, or with w nil, that of an export
// job (exportjobs.go).
func newSpool(w http.ResponseWriter) (*spool, error) {
	f, err := os.CreateTemp("", "gapmap-export-*")
	if err != nil {
		return nil, &planning.Error{Code: planning.EUnavailable, Message: "服务器临时目录不可用，暂时无法导出，请稍后重试", Err: err}
	}
	hdr := http.Header{}
	if w != nil {
		hdr = w.Header()
	}
	return &spool{w: w, hdr: hdr, f: f}, nil
}

func (sp *spool) Header() http.Header { return sp.hdr }

// WriteHeader takes the first status; an error status after a body
// started (an export failing midway: writeError) replaces the partial
// export, which never reached the client, with the error.
func (sp *spool) WriteHeader(code int) {
	switch {
	case sp.status == 0:
		sp.status = code
	case sp.status == http.StatusOK && code >= 400:
		if err := sp.f.Truncate(0); err == nil {
			if _, err := sp.f.Seek(0, io.SeekStart); err == nil {
				sp.status = code
				sp.hdr.Del("Content-Disposition")
			}
		}
	}
}

func (sp *spool) Write(b []byte) (int, error) {
	sp.WriteHeader(http.StatusOK)
	return sp.f.Write(b)
}

// FlushError keeps flushes in the file: nothing reaches the client before
// the export is complete.
func (sp *spool) FlushError() error { return nil }

// Unwrap lets http.ResponseController reach the connection (the export
// handlers extend its deadlines).
func (sp *spool) Unwrap() http.ResponseWriter { return sp.w }

// send writes the spooled response to w: a complete export through
// http.ServeContent (Content-Length, ranges for resumed downloads), any
// other status as written.
func (sp *spool) send(w http.ResponseWriter, r *http.Request) error {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(spoolSendTime))
	if sp.status == 0 {
		sp.status = http.StatusOK
	}
	if sp.status == http.StatusOK {
		http.ServeContent(w, r, "", time.Time{}, sp.f)
		return nil
	}
	size, err := sp.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.Header().Set("Content-Length", fmt.Sprint(size))
	w.WriteHeader(sp.status)
	_, err = io.Copy(w, sp.f)
	return err
}

// remove deletes the spooled file.
func (sp *spool) remove() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}
