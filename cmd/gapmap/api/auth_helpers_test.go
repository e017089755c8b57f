package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning/access"
)

// testPassword is every test account's password (CheckPassword wants ten
// characters or more).
const testPassword = "correct-horse-battery"

// grantOf is one role to give a test account.
type grantOf struct {
	kind access.Kind
	code string // division code, or the bureau's code in the policy
	role access.Role
}

// account creates login with testPassword and the given roles, resolving
// each organisation as the CLI does (store.Org).
func account(t *testing.T, st store, login string, grants ...grantOf) access.User {
	t.Helper()
	ctx := datatest.Context()
	u, err := st.CreateUser(ctx, login, login+"（测试）", testPassword)
	if err != nil {
		t.Fatalf("create %s: %v", login, err)
	}
	pol := access.Default()
	for _, g := range grants {
		org, err := st.Org(ctx, pol, g.kind, g.code)
		if err != nil {
			t.Fatalf("%s: organisation %s %s: %v", login, g.kind, g.code, err)
		}
		if u, err = st.SetGrant(ctx, login, org, g.role, true); err != nil {
			t.Fatalf("%s: grant %s: %v", login, g.role, err)
		}
	}
	return u
}

// addrs hands out one client address per test client, so that the login
// limiter (per address) counts each client apart.
var addrs atomic.Int32

func nextAddr() string {
	n := addrs.Add(1)
	return fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
}

// browser is a client that logs in with a password and keeps the session
// cookie and CSRF token, as the page does.
type browser struct {
	login  string
	addr   string // RemoteAddr of its requests
	cookie string // the session secret ("" before login)
	csrf   string
}

func newBrowser(login string) *browser { return &browser{login: login, addr: nextAddr()} }

// loginRequest is the page's login POST from b's address.
func (b *browser) loginRequest(password string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session",
		strings.NewReader(fmt.Sprintf(`{"login": %q, "password": %q}`, b.login, password)))
	req.RemoteAddr = b.addr
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gapmap_session", Value: b.cookie})
	}
	return req
}

// logIn posts the password; on 201 it keeps the new cookie and CSRF token.
func (b *browser) logIn(h http.Handler, password string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, b.loginRequest(password))
	if rec.Code == http.StatusCreated {
		for _, c := range rec.Result().Cookies() {
			if c.Name == "gapmap_session" {
				b.cookie = c.Value
			}
		}
		var body struct {
			CSRF string `json:"csrf"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		b.csrf = body.CSRF
	}
	return rec
}

// mustLogIn logs b in or fails the test.
func (b *browser) mustLogIn(t *testing.T, h http.Handler) *browser {
	t.Helper()
	if rec := b.logIn(h, testPassword); rec.Code != http.StatusCreated || b.cookie == "" || b.csrf == "" {
		t.Fatalf("log in %s: %d %s (cookie %q, csrf %q)", b.login, rec.Code, rec.Body, b.cookie, b.csrf)
	}
	return b
}

// sign puts b's credentials on req as the page sends them: the cookie, the
// CSRF token on a write, and b's address.
func (b *browser) sign(req *http.Request) *http.Request {
	req.RemoteAddr = b.addr
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gapmap_session", Value: b.cookie})
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead && b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	return req
}

// do sends a request with b's credentials.
func (b *browser) do(h http.Handler, method, url string, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, b.sign(httptest.NewRequest(method, url, body)))
	return rec
}

// bearer sends a request with an API token.
func bearer(h http.Handler, token, method, url string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, url, body)
	req.RemoteAddr = nextAddr()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorMessage is the Chinese message of an error response.
func errorMessage(rec *httptest.ResponseRecorder) string {
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return body.Error.Message
}
