package api_test

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// roadProject is a project 交通's editor may create in an empty county (no
// place: the category alone puts it in the bureau's domain).
func roadProject(name string) string {
	return fmt.Sprintf(`{"name": %q, "category": %q, "nature": "新建", "cost_wan": 10}`, name, planning.CatRoad)
}

// authFixture is an empty county with 交通's editor "jt".
type authFixture struct {
	db *datatest.DB
	h  http.Handler
}

func newAuthFixture(t *testing.T, set ...func(*api.Config)) *authFixture {
	t.Helper()
	db := datatest.New(t)
	account(t, db.Store, "jt", grantOf{access.Bureau, "交通", access.Editor})
	return &authFixture{db: db, h: newRawRouter(t, db.Store, set...)}
}

// sessionCount is how many sessions jt has on the server.
func (f *authFixture) sessions(t *testing.T, login string) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = $1`, login).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// whoAmI is GET /api/v1/session with b's cookie.
func (f *authFixture) whoAmI(b *browser) int {
	return b.do(f.h, http.MethodGet, "/api/v1/session", nil).Code
}

// TestCSRF: a browser's write needs its session's CSRF token and must come
// from this site; a script's bearer token needs no CSRF token.
func TestCSRF(t *testing.T) {
	f := newAuthFixture(t)
	b := newBrowser("jt").mustLogIn(t, f.h)
	other := newBrowser("jt").mustLogIn(t, f.h) // a second session of the same user
	post := func(name string, edit func(*http.Request)) *httptest.ResponseRecorder {
		req := b.sign(httptest.NewRequest(http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject(name))))
		edit(req)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	cases := []struct {
		name string
		edit func(*http.Request)
		want int
		says string
	}{
		{"no CSRF token", func(r *http.Request) { r.Header.Del("X-CSRF-Token") }, http.StatusForbidden, "CSRF"},
		{"a wrong CSRF token", func(r *http.Request) {
			// One character changed: "x" unless the token starts with it
			// (1 in 64), which left the token right and the test flaky.
			first := "x"
			if b.csrf[0] == 'x' {
				first = "y"
			}
			r.Header.Set("X-CSRF-Token", first+b.csrf[1:])
		}, http.StatusForbidden, "CSRF"},
		{"another session's CSRF token", func(r *http.Request) { r.Header.Set("X-CSRF-Token", other.csrf) }, http.StatusForbidden, "CSRF"},
		{"the token in a cookie, not the header", func(r *http.Request) {
			r.Header.Del("X-CSRF-Token")
			r.AddCookie(&http.Cookie{Name: "X-CSRF-Token", Value: b.csrf})
		}, http.StatusForbidden, "CSRF"},
		{"a foreign Origin with the right token", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, http.StatusForbidden, "跨站"},
		{"a foreign Referer with the right token", func(r *http.Request) { r.Header.Set("Referer", "https://evil.example/form.html") }, http.StatusForbidden, "跨站"},
		{"Origin null (a sandboxed frame)", func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden, "跨站"},
		{"this site's Origin and the right token", func(r *http.Request) { r.Header.Set("Origin", "http://"+r.Host) }, http.StatusCreated, ""},
		{"the right token", func(*http.Request) {}, http.StatusCreated, ""},
	}
	for _, c := range cases {
		rec := post(c.name, c.edit)
		if rec.Code != c.want || !strings.Contains(errorMessage(rec), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, rec.Code, rec.Body, c.want, c.says)
		}
	}
	var n int
	if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM projects`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d projects written (%v), want 2: only the accepted requests write", n, err)
	}
	// Logging out is a write too.
	if rec := httptest.NewRecorder(); true {
		req := b.sign(httptest.NewRequest(http.MethodDelete, "/api/v1/session", nil))
		req.Header.Del("X-CSRF-Token")
		f.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || f.whoAmI(b) != http.StatusOK {
			t.Errorf("log out without the CSRF token: %d, then who am I %d; want 403 and the session alive", rec.Code, f.whoAmI(b))
		}
	}
	// A login posted from another site is refused (login CSRF).
	req := newBrowser("jt").loginRequest(testPassword)
	req.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) > 0 {
		t.Errorf("a login posted from another site: %d %v", rec.Code, rec.Result().Cookies())
	}

	// A script's token: no CSRF token, no cookie.
	secret, _, err := f.db.Store.CreateToken(datatest.Context(), "jt", "脚本", access.Actions, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec := bearer(f.h, secret, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("脚本"))); rec.Code != http.StatusCreated {
		t.Errorf("a bearer-token write without a CSRF token: %d %s", rec.Code, rec.Body)
	}
}

// TestSessionCookie: the login's cookie is HttpOnly and SameSite, Secure
// over TLS or behind a proxy that says so, and ends with the session; the
// database keeps only the secret's hash.
func TestSessionCookie(t *testing.T) {
	f := newAuthFixture(t, func(c *api.Config) { c.Sessions = access.SessionTimes{Idle: time.Hour, Max: 3 * time.Hour} })
	cookie := func(edit func(*http.Request)) *http.Cookie {
		t.Helper()
		req := newBrowser("jt").loginRequest(testPassword)
		edit(req)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("log in: %d %s", rec.Code, rec.Body)
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == "gapmap_session" {
				return c
			}
		}
		t.Fatalf("log in set no session cookie: %v", rec.Header())
		return nil
	}
	plain := cookie(func(*http.Request) {})
	if !plain.HttpOnly || plain.SameSite != http.SameSiteLaxMode && plain.SameSite != http.SameSiteStrictMode || plain.Path != "/" || plain.Secure {
		t.Errorf("cookie over plain HTTP: %+v, want HttpOnly, SameSite Lax or Strict, Path /, not Secure", plain)
	}
	if d := time.Until(plain.Expires); d < 3*time.Hour-time.Minute || d > 3*time.Hour+time.Minute {
		t.Errorf("cookie expires in %s, want the session's 3 h", d)
	}
	if c := cookie(func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }); !c.Secure || !c.HttpOnly {
		t.Errorf("cookie behind an HTTPS proxy: %+v, want Secure", c)
	}
	if c := cookie(func(r *http.Request) {
		*r = *httptest.NewRequest(r.Method, "https://gapmap.example/api/v1/session", r.Body).WithContext(r.Context())
		r.RemoteAddr = nextAddr()
	}); !c.Secure {
		t.Errorf("cookie over TLS: %+v, want Secure", c)
	}

	var stored, plainText int
	h := sha256.Sum256([]byte(plain.Value))
	if err := f.db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FILTER (WHERE token_hash = $1),
			count(*) FILTER (WHERE strpos(s::text, $2) > 0 OR strpos(encode(token_hash, 'escape'), $2) > 0) FROM sessions s`,
		h[:], plain.Value).Scan(&stored, &plainText); err != nil {
		t.Fatal(err)
	}
	if stored != 1 || plainText != 0 {
		t.Errorf("sessions: %d rows hold the secret's SHA-256, %d the secret itself; want 1 and 0", stored, plainText)
	}
}

// TestSessionExpiry: a session ends after its idle time without a request
// and after its absolute time whatever the use; a request within the idle
// time keeps it alive.
func TestSessionExpiry(t *testing.T) {
	ctx := datatest.Context()
	t.Run("idle and absolute, moved in SQL", func(t *testing.T) {
		f := newAuthFixture(t, func(c *api.Config) { c.Sessions = access.SessionTimes{Idle: 10 * time.Minute, Max: 8 * time.Hour} })
		idle, absolute, used := newBrowser("jt").mustLogIn(t, f.h), newBrowser("jt").mustLogIn(t, f.h), newBrowser("jt").mustLogIn(t, f.h)
		move := func(b *browser, set string) {
			h := sha256.Sum256([]byte(b.cookie))
			if _, err := f.db.Pool.Exec(ctx, `UPDATE sessions SET `+set+` WHERE token_hash = $1`, h[:]); err != nil {
				t.Fatal(err)
			}
		}
		move(idle, `last_seen = now() - interval '10 minutes 5 seconds'`)
		move(absolute, `expires_at = now() - interval '1 second', last_seen = now()`)
		move(used, `last_seen = now() - interval '9 minutes'`)
		for name, b := range map[string]*browser{"idle for longer than 10 min": idle, "past its absolute expiry": absolute} {
			rec := b.do(f.h, http.MethodGet, "/api/v1/projects", nil)
			if rec.Code != http.StatusUnauthorized || !strings.Contains(errorMessage(rec), "过期") {
				t.Errorf("a session %s: %d %s, want 401 saying it expired", name, rec.Code, rec.Body)
			}
			if rec := b.do(f.h, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("过期"))); rec.Code != http.StatusUnauthorized {
				t.Errorf("a write in a session %s: %d", name, rec.Code)
			}
		}
		// Used after 9 minutes: alive, and its idle time starts again.
		if got := f.whoAmI(used); got != http.StatusOK {
			t.Fatalf("a session idle for 9 of 10 min: %d", got)
		}
		move(used, `last_seen = last_seen - interval '5 minutes'`)
		if got := f.whoAmI(used); got != http.StatusOK {
			t.Errorf("a session used 5 min ago (14 min after its previous use but one): %d, want 200", got)
		}
	})

	t.Run("real time, tiny limits", func(t *testing.T) {
		f := newAuthFixture(t, func(c *api.Config) { c.Sessions = access.SessionTimes{Idle: 2 * time.Second, Max: time.Hour} })
		b := newBrowser("jt").mustLogIn(t, f.h)
		idle := newBrowser("jt").mustLogIn(t, f.h)
		// Used every 1.2 s, b outlives its 2 s idle time; idle does not.
		for i := 0; i < 3; i++ {
			time.Sleep(1200 * time.Millisecond)
			if got := f.whoAmI(b); got != http.StatusOK {
				t.Fatalf("a session used every 1.2 s with 2 s idle time, at %.1f s: %d", 1.2*float64(i+1), got)
			}
		}
		if got := f.whoAmI(idle); got != http.StatusUnauthorized {
			t.Errorf("a session unused for 3.6 s with 2 s idle time: %d, want 401", got)
		}

		g := newAuthFixture(t, func(c *api.Config) { c.Sessions = access.SessionTimes{Idle: time.Hour, Max: 2 * time.Second} })
		b = newBrowser("jt").mustLogIn(t, g.h)
		time.Sleep(1200 * time.Millisecond)
		if got := g.whoAmI(b); got != http.StatusOK {
			t.Fatalf("a 2 s session after 1.2 s: %d", got)
		}
		time.Sleep(1200 * time.Millisecond)
		if got := g.whoAmI(b); got != http.StatusUnauthorized {
			t.Errorf("a 2 s session after 2.4 s, used throughout: %d, want 401", got)
		}
	})
}

// TestSessionEnds: logging out, a new password and disabling the account
// end the server-side session; a cookie planted before the login is never
// the session after it.
func TestSessionEnds(t *testing.T) {
	f := newAuthFixture(t)
	ctx := datatest.Context()

	b := newBrowser("jt").mustLogIn(t, f.h)
	old := *b
	if rec := b.do(f.h, http.MethodDelete, "/api/v1/session", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("log out: %d %s", rec.Code, rec.Body)
	}
	if got := f.whoAmI(&old); got != http.StatusUnauthorized {
		t.Errorf("the cookie after logging out: %d, want 401", got)
	}
	if rec := old.do(f.h, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("登出后"))); rec.Code != http.StatusUnauthorized {
		t.Errorf("a write with the cookie after logging out: %d, want 401", rec.Code)
	}
	if n := f.sessions(t, "jt"); n != 0 {
		t.Errorf("%d sessions left on the server after logging out", n)
	}

	// Fixation: an invalid planted cookie is replaced and stays invalid.
	planted := newBrowser("jt")
	planted.cookie = "planted-by-an-attacker"
	planted.mustLogIn(t, f.h)
	if planted.cookie == "planted-by-an-attacker" {
		t.Errorf("the login kept the planted cookie value")
	}
	if got := f.whoAmI(&browser{addr: nextAddr(), cookie: "planted-by-an-attacker"}); got != http.StatusUnauthorized {
		t.Errorf("the planted cookie after the victim's login: %d, want 401", got)
	}
	// A valid planted cookie (the attacker's own session) is ended by the
	// victim's login, which gets a new secret.
	account(t, f.db.Store, "victim", grantOf{access.Bureau, "水利", access.Editor})
	attacker := newBrowser("jt").mustLogIn(t, f.h)
	attackerSecret := attacker.cookie
	victim := newBrowser("victim")
	victim.cookie = attackerSecret
	victim.mustLogIn(t, f.h)
	if victim.cookie == attackerSecret {
		t.Errorf("the victim's session is the attacker's planted one")
	}
	if got := f.whoAmI(&browser{addr: nextAddr(), cookie: attackerSecret}); got != http.StatusUnauthorized {
		t.Errorf("the planted secret after the victim's login: %d, want 401", got)
	}
	me := decode[struct {
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}](t, victim.do(f.h, http.MethodGet, "/api/v1/session", nil))
	if me.User.Login != "victim" {
		t.Errorf("the victim's new session is %q's", me.User.Login)
	}

	// A new password and disabling end every session (and tokens of a
	// disabled account stop working).
	one, two := newBrowser("jt").mustLogIn(t, f.h), newBrowser("jt").mustLogIn(t, f.h)
	if err := f.db.Store.SetPassword(ctx, "jt", "another-long-password"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*browser{one, two} {
		if got := f.whoAmI(s); got != http.StatusUnauthorized {
			t.Errorf("a session after a password change: %d, want 401", got)
		}
	}
	if rec := newBrowser("jt").logIn(f.h, testPassword); rec.Code != http.StatusUnauthorized {
		t.Errorf("the old password after a change: %d", rec.Code)
	}
	if rec := newBrowser("jt").logIn(f.h, "another-long-password"); rec.Code != http.StatusCreated {
		t.Errorf("the new password: %d %s", rec.Code, rec.Body)
	}

	s := newBrowser("victim").mustLogIn(t, f.h)
	secret, _, err := f.db.Store.CreateToken(ctx, "victim", "脚本", []access.Action{access.Read}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Store.SetDisabled(ctx, "victim", true); err != nil {
		t.Fatal(err)
	}
	if got := f.whoAmI(s); got != http.StatusUnauthorized {
		t.Errorf("a session of a disabled account: %d, want 401", got)
	}
	if rec := bearer(f.h, secret, http.MethodGet, "/api/v1/projects", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("a token of a disabled account: %d, want 401", rec.Code)
	}
	if rec := newBrowser("victim").logIn(f.h, testPassword); rec.Code != http.StatusForbidden || !strings.Contains(errorMessage(rec), "停用") {
		t.Errorf("logging in to a disabled account: %d %s, want 403 saying it is disabled", rec.Code, rec.Body)
	}
	if err := f.db.Store.SetDisabled(ctx, "victim", false); err != nil {
		t.Fatal(err)
	}
	if got := f.whoAmI(s); got != http.StatusUnauthorized {
		t.Errorf("a session ended by disabling, after enabling again: %d, want 401", got)
	}
}

// TestLoginLockout: five wrong passwords lock the account, even against
// the right one, until locked_until passes; twenty attempts from one
// address in five minutes are refused whatever the account; an unknown
// account and a wrong password answer alike.
func TestLoginLockout(t *testing.T) {
	f := newAuthFixture(t)
	ctx := datatest.Context()

	b := newBrowser("jt")
	wrong := b.logIn(f.h, "not-the-password")
	unknown := newBrowser("nobody").logIn(f.h, testPassword)
	if wrong.Code != http.StatusUnauthorized || unknown.Code != wrong.Code || errorMessage(unknown) != errorMessage(wrong) {
		t.Errorf("wrong password %d %q, unknown account %d %q: want the same 401", wrong.Code, errorMessage(wrong), unknown.Code, errorMessage(unknown))
	}
	for i := 2; i <= access.MaxFailures; i++ {
		if rec := b.logIn(f.h, "not-the-password"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	// Locked: even the right password answers exactly as an unknown
	// account guessed as often does, so that the lockout does not tell
	// which logins are real; the message names the rule.
	for i := 2; i <= access.MaxFailures; i++ {
		newBrowser("nobody").logIn(f.h, "not-the-password")
	}
	rec := b.logIn(f.h, testPassword)
	guessed := newBrowser("nobody").logIn(f.h, testPassword)
	if rec.Code != http.StatusUnauthorized || b.cookie != "" || !strings.Contains(errorMessage(rec), "锁定") ||
		guessed.Code != rec.Code || errorMessage(guessed) != errorMessage(rec) {
		t.Fatalf("the right password after %d wrong ones: %d %q; an unknown account as often: %d %q; want the same 401 naming the lockout",
			access.MaxFailures, rec.Code, errorMessage(rec), guessed.Code, errorMessage(guessed))
	}
	var until time.Time
	if err := f.db.Pool.QueryRow(ctx, `SELECT locked_until FROM users WHERE login = 'jt'`).Scan(&until); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(until); d < access.LockFor-time.Minute || d > access.LockFor {
		t.Errorf("locked for %s, want %s", d, access.LockFor)
	}
	// From another address too: the lock is the account's.
	if rec := newBrowser("jt").logIn(f.h, testPassword); rec.Code != http.StatusUnauthorized || newBrowser("jt").cookie != "" {
		t.Errorf("the locked account from another address: %d", rec.Code)
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE users SET locked_until = now() - interval '1 second' WHERE login = 'jt'`); err != nil {
		t.Fatal(err)
	}
	if rec := b.logIn(f.h, testPassword); rec.Code != http.StatusCreated {
		t.Errorf("the right password once the lock has passed: %d %s", rec.Code, rec.Body)
	}
	// A success resets the count: four wrong ones do not lock again.
	for i := 1; i < access.MaxFailures; i++ {
		newBrowser("jt").logIn(f.h, "not-the-password")
	}
	if rec := newBrowser("jt").logIn(f.h, testPassword); rec.Code != http.StatusCreated {
		t.Errorf("after a success and %d wrong passwords: %d", access.MaxFailures-1, rec.Code)
	}

	// The per-address limiter: 20 failed attempts in 5 minutes, at any
	// accounts. Successful logins do not count: an office behind one
	// address (or a reverse proxy) logs in more often than that.
	account(t, f.db.Store, "other", grantOf{access.Bureau, "水利", access.Editor})
	addr := nextAddr()
	for i := 1; i <= 30; i++ {
		c := &browser{login: "other", addr: addr}
		if rec := c.logIn(f.h, testPassword); rec.Code != http.StatusCreated {
			t.Fatalf("successful login %d from one address: %d %s", i, rec.Code, rec.Body)
		}
	}
	for i := 1; i <= 20; i++ {
		c := &browser{login: fmt.Sprintf("guess%02d", i), addr: addr}
		if rec := c.logIn(f.h, "guess"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d from one address: %d %s", i, rec.Code, rec.Body)
		}
	}
	c := &browser{login: "other", addr: addr}
	if rec := c.logIn(f.h, testPassword); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("attempt 21 from one address, right password: %d %v, want 429 with Retry-After", rec.Code, rec.Header())
	}
	if rec := newBrowser("other").logIn(f.h, testPassword); rec.Code != http.StatusCreated {
		t.Errorf("the same account from another address: %d", rec.Code)
	}
	var failures int
	if err := f.db.Pool.QueryRow(ctx, `SELECT failed_logins FROM users WHERE login = 'other'`).Scan(&failures); err != nil || failures != 0 {
		t.Errorf("the refused attempt counted towards other's lockout: %d (%v)", failures, err)
	}
}

// TestAPITokens: a token acts within its scopes only, stops when revoked
// or expired, and the database keeps only its hash.
func TestAPITokens(t *testing.T) {
	f := newAuthFixture(t)
	ctx := datatest.Context()
	token := func(scopes []access.Action, expires *time.Time) (string, access.Token) {
		secret, tok, err := f.db.Store.CreateToken(ctx, "jt", "脚本", scopes, expires)
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	readOnly, _ := token([]access.Action{access.Read}, nil)
	if rec := bearer(f.h, readOnly, http.MethodGet, "/api/v1/projects", nil); rec.Code != http.StatusOK {
		t.Errorf("a read-only token reads: %d %s", rec.Code, rec.Body)
	}
	rec := bearer(f.h, readOnly, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("只读")))
	if rec.Code != http.StatusForbidden || !strings.Contains(errorMessage(rec), "范围") || !strings.Contains(errorMessage(rec), string(access.ProjectEdit)) {
		t.Errorf("a read-only token writes: %d %s, want 403 naming the missing scope", rec.Code, rec.Body)
	}
	editOnly, _ := token([]access.Action{access.ProjectEdit}, nil)
	if rec := bearer(f.h, editOnly, http.MethodPost, "/api/v1/projects", strings.NewReader(roadProject("编辑"))); rec.Code != http.StatusCreated {
		t.Errorf("a project.edit token writes: %d %s", rec.Code, rec.Body)
	}
	if rec := bearer(f.h, editOnly, http.MethodGet, "/api/v1/projects", nil); rec.Code != http.StatusForbidden || !strings.Contains(errorMessage(rec), "read") {
		t.Errorf("a project.edit token reads: %d %s, want 403 naming the read scope", rec.Code, rec.Body)
	}
	// A scope does not widen the user's roles: 交通's editor may not score.
	all, _ := token(access.Actions, nil)
	if rec := bearer(f.h, all, http.MethodPost, "/api/v1/plans", strings.NewReader(`{"years": [2017]}`)); rec.Code != http.StatusForbidden {
		t.Errorf("an all-scopes token of an editor applies a plan: %d %s", rec.Code, rec.Body)
	}

	revoked, tok := token([]access.Action{access.Read}, nil)
	if err := f.db.Store.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Second)
	expired, _ := token([]access.Action{access.Read}, &past)
	soon, tok2 := token([]access.Action{access.Read}, nil)
	if _, err := f.db.Pool.Exec(ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, tok2.ID); err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"revoked": revoked, "created expired": expired, "expired since": soon,
		"unknown": "gm_" + strings.Repeat("A", 43), "truncated": readOnly[:len(readOnly)-1]} {
		if rec := bearer(f.h, secret, http.MethodGet, "/api/v1/projects", nil); rec.Code != http.StatusUnauthorized || !strings.Contains(errorMessage(rec), "令牌") {
			t.Errorf("a %s token: %d %s, want 401", name, rec.Code, rec.Body)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/projects", nil)
	req.Header.Set("Authorization", "Basic "+readOnly)
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("a token in a Basic header: %d, want 401", rec.Code)
	}

	// Stored hashed: no column of any token row holds a secret; each row
	// holds its secret's SHA-256.
	for _, secret := range []string{readOnly, editOnly, all, revoked, expired} {
		h := sha256.Sum256([]byte(secret))
		var hashed, plain int
		if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE token_hash = $1),
				count(*) FILTER (WHERE strpos(t::text, $2) > 0 OR strpos(encode(token_hash, 'escape'), $2) > 0)
			FROM api_tokens t`, h[:], strings.TrimPrefix(secret, "gm_")).Scan(&hashed, &plain); err != nil {
			t.Fatal(err)
		}
		if hashed != 1 || plain != 0 {
			t.Errorf("api_tokens: %d rows hold the SHA-256 of a secret, %d the secret; want 1 and 0", hashed, plain)
		}
	}
	listed, err := f.db.Store.Tokens(ctx, "jt")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 6 {
		t.Errorf("Tokens lists %d tokens, want 6", len(listed))
	}
	for _, l := range listed {
		if (l.ID == tok.ID) != (l.RevokedAt != nil) {
			t.Errorf("token %d: revoked at %v; only %d was revoked", l.ID, l.RevokedAt, tok.ID)
		}
	}
}
