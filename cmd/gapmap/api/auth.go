package api

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// sessionCookie holds a browser session's secret.
const sessionCookie = "gapmap_session"

// csrfHeader carries the session's CSRF token on every state-changing
// request from the page.
const csrfHeader = "X-CSRF-Token"

// public marks a route anyone may call: the page's shell, the health
// check, logging in. Every other route names the action it takes.
const public access.Action = ""

// loggedIn marks a route any authenticated user may call, whatever its
// roles: logging out, asking who it is.
const loggedIn access.Action = "logged-in"

// authorize is the one gate of every route: it finds who is asking (a
// session cookie or an API token), refuses what that principal may not do
// (401 with nobody, 403 with the role that is missing), checks the CSRF
// token of a browser's writes, and hands the principal to the handler and
// the stores in the request's context. Checks that depend on the object (a
// township's own villages, a bureau's layers, a lifecycle step) are made
// by the stores under the row lock, with the same policy.
func (s *server) authorize(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		unsafe := unsafeMethod(r.Method)
		if unsafe && !sameOrigin(r) {
			s.writeError(w, r, planning.Errorf(planning.EForbidden, "跨站请求被拒绝：请求来源 %s 不是本站", r.Header.Get("Origin")))
			return
		}
		if unsafe {
			// A write may have ended a session or changed a grant: the
			// tiles look every secret up again.
			defer s.tileAuth.forget()
		}
		pr, sess, err := s.authenticateFor(r, rt)
		if planning.ErrorCode(err) == planning.EUnauthorized && r.Header.Get("Authorization") == "" &&
			rt.action == access.Read && s.publicRead {
			// An ended session reads like anyone where reading is public; a
			// script's bad token is still told so.
			err = nil
		}
		switch {
		case err != nil && rt.action != public:
			s.writeError(w, r, err)
			return
		case pr == nil && rt.action == public:
		case pr == nil && rt.action == access.Read && s.publicRead:
			// Reading is open to the public in this deployment.
		case pr == nil:
			s.writeError(w, r, planning.Errorf(planning.EUnauthorized, "请先登录"))
			return
		default:
			if sess != nil && unsafe && rt.action != public && !validCSRF(r, sess.CSRF) {
				s.writeError(w, r, planning.Errorf(planning.EForbidden, "请求缺少有效的 CSRF 令牌（%s），请刷新页面后重试", csrfHeader))
				return
			}
			if rt.action != public && rt.action != loggedIn {
				if err := s.policy.Could(*pr, rt.action); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
			r = r.WithContext(access.WithPrincipal(r.Context(), *pr))
		}
		next.ServeHTTP(w, r)
	})
}

// authenticateFor is authenticate, for a tile request through the
// principals tile requests proved within the recheck time.
func (s *server) authenticateFor(r *http.Request, rt route) (*access.Principal, *access.Session, error) {
	if rt.class != classTile || !s.tileAuth.on() {
		return s.authenticate(r)
	}
	key := r.Header.Get("Authorization")
	if key == "" {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			return nil, nil, nil
		}
		key = "cookie " + c.Value
	}
	if pr, sess, ok := s.tileAuth.recall(key); ok {
		pr.Addr = clientAddr(r)
		return &pr, sess, nil
	}
	gen := s.tileAuth.generation()
	pr, sess, err := s.authenticate(r)
	if err == nil && pr != nil {
		s.tileAuth.remember(key, *pr, sess, gen)
	}
	return pr, sess, err
}

// recentAuth remembers, for tile requests, the principals their secrets
// proved within ttl: a map view asks for dozens of tiles a second, and
// looking a session up is a statement on the database for each
// (BenchmarkWarmTileAuth: a warm tile with a session cost 393 µs, without
// 111 µs). Every other route looks its secret up each time, and every
// write this process serves empties the memory, so that a logout, a new
// password, a disabled account or a changed grant made through it holds
// for tiles at once; made through another instance or the CLI, it holds
// for tiles within ttl.
type recentAuth struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]provenAuth
	// gen counts forget calls: a look-up that a write overtook (it began
	// before the write ended) is not remembered.
	gen uint64
}

type provenAuth struct {
	p    access.Principal
	sess *access.Session
	at   time.Time
}

// recentAuthMax bounds the secrets remembered; past it the memory starts
// again (a county's users are far fewer).
const recentAuthMax = 10000

func newRecentAuth(ttl time.Duration) *recentAuth {
	return &recentAuth{ttl: ttl, m: map[string]provenAuth{}}
}

// on says whether tiles trust proved secrets; a server built without a
// recentAuth (tests of single stages) has none.
func (a *recentAuth) on() bool { return a != nil && a.ttl > 0 }

func (a *recentAuth) recall(key string) (access.Principal, *access.Session, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.m[key]
	now := time.Now()
	if !ok || now.Sub(v.at) >= a.ttl || (v.sess != nil && !now.Before(v.sess.ExpiresAt)) {
		return access.Principal{}, nil, false
	}
	return v.p, v.sess, true
}

func (a *recentAuth) generation() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen
}

func (a *recentAuth) remember(key string, p access.Principal, sess *access.Session, gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen {
		return
	}
	if len(a.m) >= recentAuthMax {
		clear(a.m)
	}
	a.m[key] = provenAuth{p: p, sess: sess, at: time.Now()}
}

func (a *recentAuth) forget() {
	if a == nil {
		return
	}
	a.mu.Lock()
	clear(a.m)
	a.gen++
	a.mu.Unlock()
}

// authenticate finds the principal of a request: an API token in the
// Authorization header, else a session cookie. Neither: nil, nil. A bad
// token or an expired session is an error (401), so that a script or a
// page learns it must log in again.
func (s *server) authenticate(r *http.Request) (*access.Principal, *access.Session, error) {
	addr := clientAddr(r)
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, nil, planning.Errorf(planning.EUnauthorized, "Authorization 头应为 \"Bearer <API 令牌>\"")
		}
		p, err := s.accounts.TokenPrincipal(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			return nil, nil, err
		}
		p.Addr = addr
		return &p, nil, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil, nil
	}
	sess, err := s.accounts.Session(r.Context(), c.Value, s.sessionTimes)
	if err != nil {
		return nil, nil, err
	}
	sess.Principal.Addr = addr
	return &sess.Principal, &sess, nil
}

// sameOrigin refuses a browser's cross-site write: when the request says
// where it comes from (Origin, else Referer), that must be this host.
// Scripts send neither and authenticate with a token.
func sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return true
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == r.Host
}

func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientAddr is the client's IP address (the proxy's, behind one).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginLimiter bounds login attempts per client address, beside the
// per-account lockout: one address guessing across many accounts is
// stopped too. Fixed windows, in memory: a replica counts its own.
type loginLimiter struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	counts map[string]*attempts
}

type attempts struct {
	start time.Time
	n     int
}

func newLoginLimiter(max int, window time.Duration) *loginLimiter {
	return &loginLimiter{window: window, max: max, counts: map[string]*attempts{}}
}

// allow counts one attempt from addr and says whether it is within the
// limit.
func (l *loginLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 10000 { // forget finished windows
		for k, a := range l.counts {
			if now.Sub(a.start) > l.window {
				delete(l.counts, k)
			}
		}
	}
	a := l.counts[addr]
	if a == nil || now.Sub(a.start) > l.window {
		a = &attempts{start: now}
		l.counts[addr] = a
	}
	a.n++
	return a.n <= l.max
}

// succeeded gives back the attempt of a login that succeeded: the limit is
// on guessing, and a county office behind one NAT address (or every client,
// behind a reverse proxy) logs in more than 20 times in 5 minutes. The
// attempt is counted before the password is checked, so that a burst of
// parallel guesses cannot pass the limit while the hashes are computed.
func (l *loginLimiter) succeeded(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.counts[addr]; a != nil && a.n > 0 {
		a.n--
	}
}

// me is what the page is told about its user.
func me(sess access.Session) map[string]any {
	p := sess.Principal
	return map[string]any{"user": map[string]any{"login": p.Login, "name": p.Name, "via": p.Via, "grants": p.Grants},
		"csrf": sess.CSRF, "expires_at": sess.ExpiresAt}
}

// login checks a password and opens a session: {"login": "…", "password": "…"}.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body, `{"login": "账号", "password": "密码"}`); err != nil {
		return err
	}
	if !s.limiter.allow(clientAddr(r), time.Now()) {
		w.Header().Set("Retry-After", "60")
		return planning.Errorf(planning.ETooMany, "登录尝试过于频繁，请稍后再试")
	}
	if err := s.endSession(r); err != nil {
		return err
	}
	secret, sess, err := s.accounts.Login(r.Context(), strings.TrimSpace(body.Login), body.Password,
		access.Client{Addr: clientAddr(r), UserAgent: r.UserAgent()}, s.sessionTimes)
	if err != nil {
		return err
	}
	s.limiter.succeeded(clientAddr(r))
	s.setSession(w, r, secret, sess)
	return writeJSON(w, http.StatusCreated, me(sess))
}

// endSession ends the session the browser holds, if any. A login calls it
// first: the new login gets a new secret, so a secret planted before the
// login is worth nothing.
func (s *server) endSession(r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return s.accounts.Logout(r.Context(), c.Value)
	}
	return nil
}

// viaTLS reports whether the browser reached the server over TLS, itself or
// through a proxy, so that cookies are marked Secure.
func viaTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// setSession sends the session cookie: HttpOnly, SameSite=Lax (a link from
// another site still opens the map logged in; its writes are stopped by the
// CSRF token), Secure over TLS, ending with the session.
func (s *server) setSession(w http.ResponseWriter, r *http.Request, secret string, sess access.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: viaTLS(r), Expires: sess.ExpiresAt})
}

// session answers who is logged in, with the CSRF token the page sends
// back; 401 when nobody is.
func (s *server) session(w http.ResponseWriter, r *http.Request) error {
	_, sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return planning.Errorf(planning.EUnauthorized, "未登录")
	}
	return writeJSON(w, http.StatusOK, me(*sess))
}

// logout ends the session and clears the cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(r); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
