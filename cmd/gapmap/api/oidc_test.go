package api_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning/access"
)

// ssoWorld is gapmap with single sign-on through a real OpenID provider
// started in the test, and a browser (a client with a cookie jar).
type ssoWorld struct {
	t        *testing.T
	store    store
	provider *testProvider
	gapmap   *httptest.Server
	browser  *http.Client
	jar      *cookiejar.Jar
	// visited is every URL the browser was redirected to, in order.
	visited []*url.URL
	// stopAt makes the browser stop before following a redirect to a URL
	// with this path, leaving the redirect as the response.
	stopAt string
}

// newSSOWorld starts gapmap with single sign-on through provider,
// registers it there (clientID "gapmap"; claimsInIDToken false puts
// preferred_username only at the userinfo endpoint) and returns a browser
// with an empty jar.
func newSSOWorld(t *testing.T, db store, provider *testProvider, claimsInIDToken bool, set ...func(*api.OIDCConfig)) *ssoWorld {
	t.Helper()
	w := &ssoWorld{t: t, store: db, provider: provider}
	// The handler needs the server's URL for its redirect URL: the server
	// starts first and serves it once it is built.
	var h http.Handler
	w.gapmap = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { h.ServeHTTP(rw, r) }))
	w.gapmap.Start()
	t.Cleanup(w.gapmap.Close)
	redirect := w.gapmap.URL + "/auth/oidc/callback"
	w.provider.addClient("gapmap", "s3cret", redirect, claimsInIDToken)
	h = newRawRouter(t, db, func(c *api.Config) {
		c.OIDC = &api.OIDCConfig{Issuer: w.provider.URL, ClientID: "gapmap", ClientSecret: "s3cret", RedirectURL: redirect,
			LoginClaim: api.DefaultLoginClaim}
		for _, f := range set {
			f(c.OIDC)
		}
	})
	w.newBrowser()
	return w
}

// newBrowser replaces the browser with a fresh one: no cookies.
func (w *ssoWorld) newBrowser() {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.jar = jar
	w.visited = nil
	w.browser = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		w.visited = append(w.visited, req.URL)
		if w.stopAt != "" && req.URL.Path == w.stopAt {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// get fetches path on gapmap (or an absolute URL) and returns the status
// and body of the last response.
func (w *ssoWorld) get(u string, header ...string) (*http.Response, string) {
	w.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = w.gapmap.URL + u
	}
	req, err := http.NewRequestWithContext(datatest.Context(), http.MethodGet, u, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := w.browser.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return res, string(b)
}

// login signs who in at the provider and walks the whole flow from
// gapmap's login route, following every redirect.
func (w *ssoWorld) login(who testIdentity) (*http.Response, string) {
	w.t.Helper()
	w.provider.signIn(who)
	return w.get("/auth/oidc/login")
}

// toCallback walks the flow up to the provider's redirect back to gapmap
// and returns that callback URL, not yet visited.
func (w *ssoWorld) toCallback(who testIdentity) *url.URL {
	w.t.Helper()
	w.provider.signIn(who)
	w.stopAt = "/auth/oidc/callback"
	defer func() { w.stopAt = "" }()
	res, body := w.get("/auth/oidc/login")
	if res.StatusCode != http.StatusFound {
		w.t.Fatalf("the flow stopped before the callback: %d %s", res.StatusCode, body)
	}
	u, err := res.Location()
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

// me is who /api/v1/session says is logged in: the login and how, or the
// status when nobody is.
func (w *ssoWorld) me() (login, via string, status int) {
	w.t.Helper()
	res, body := w.get("/api/v1/session")
	if res.StatusCode != http.StatusOK {
		return "", "", res.StatusCode
	}
	var got struct {
		User struct{ Login, Via string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		w.t.Fatal(err)
	}
	return got.User.Login, got.User.Via, res.StatusCode
}

// setStateCookie rewrites the started sign-on's cookie as edit says.
func (w *ssoWorld) setStateCookie(edit func(parts []string)) {
	w.t.Helper()
	u, _ := url.Parse(w.gapmap.URL + "/auth/oidc/callback")
	for _, c := range w.jar.Cookies(u) {
		if c.Name == "gapmap_oidc" {
			parts := strings.Split(c.Value, ".")
			edit(parts)
			w.jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: strings.Join(parts, "."), Path: "/auth/oidc/"}})
			return
		}
	}
	w.t.Fatal("no gapmap_oidc cookie after the login started")
}

// wantError checks a JSON error answer.
func wantError(t *testing.T, res *http.Response, body string, status int, message string) {
	t.Helper()
	if res.StatusCode != status || !strings.Contains(body, message) {
		t.Errorf("got %d %s, want %d with %q", res.StatusCode, body, status, message)
	}
}

// ssoAccount creates an account without a password, as an admin does for a
// user who signs on, with a role so that it can do something.
func ssoAccount(t *testing.T, db store, login string) {
	t.Helper()
	ctx := datatest.Context()
	if _, err := db.CreateUser(ctx, login, login, ""); err != nil {
		t.Fatal(err)
	}
	org, err := db.Org(ctx, access.Default(), access.Bureau, "交通")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetGrant(ctx, login, org, access.Editor, true); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCLogin(t *testing.T) {
	db := datatest.New(t)
	ssoAccount(t, db.Store, "wang")
	ssoAccount(t, db.Store, "zhao")
	w := newSSOWorld(t, db.Store, newTestProvider(t), true)
	wang := testIdentity{Subject: "sub-wang", Username: "wang", Name: "王五"}

	t.Run("login", func(t *testing.T) {
		res, body := w.login(wang)
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" {
			t.Fatalf("the flow ended at %s with %d: %.200s", res.Request.URL, res.StatusCode, body)
		}
		if login, via, _ := w.me(); login != "wang" || via != "oidc" {
			t.Errorf("session: %q via %q, want wang via oidc", login, via)
		}
		// The authorize request carried state, nonce and an S256 PKCE
		// challenge; the provider checked the verifier at the exchange.
		started := w.provider.lastStarted()
		if started.State == "" || started.Nonce == "" || started.CodeChallenge == "" || started.CodeChallengeMethod != "S256" {
			t.Errorf("authorize request state %q nonce %q challenge %q method %q: want all set, S256",
				started.State, started.Nonce, started.CodeChallenge, started.CodeChallengeMethod)
		}
		u, _ := url.Parse(w.gapmap.URL + "/auth/oidc/callback")
		for _, c := range w.jar.Cookies(u) {
			if c.Name == "gapmap_oidc" {
				t.Errorf("the sign-on cookie outlives its callback: %s", c.Value)
			}
		}
		acct, err := db.Store.User(datatest.Context(), "wang")
		if err != nil || !acct.SSO {
			t.Errorf("wang is not linked to the identity: %+v %v", acct, err)
		}
	})

	t.Run("a logged-in browser can write", func(t *testing.T) {
		// The session is a full one: its CSRF token lets the page log out.
		_, body := w.get("/api/v1/session")
		var s struct{ CSRF string }
		_ = json.Unmarshal([]byte(body), &s)
		req, _ := http.NewRequestWithContext(datatest.Context(), http.MethodDelete, w.gapmap.URL+"/api/v1/session", nil)
		req.Header.Set("X-CSRF-Token", s.CSRF)
		res, err := w.browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d", res.StatusCode)
		}
		if _, _, status := w.me(); status != http.StatusUnauthorized {
			t.Errorf("after logout the session answers %d, want 401", status)
		}
	})

	t.Run("the identity stays linked by subject", func(t *testing.T) {
		// The provider renames the user; the subject still opens wang's
		// account, not zhao's.
		w.newBrowser()
		w.login(testIdentity{Subject: "sub-wang", Username: "zhao"})
		if login, _, _ := w.me(); login != "wang" {
			t.Errorf("renamed identity logged in as %q, want wang", login)
		}
	})

	t.Run("a new login ends the browser's old session", func(t *testing.T) {
		old := sessionCookieOf(t, w)
		w.login(testIdentity{Subject: "sub-zhao", Username: "zhao"})
		if login, _, _ := w.me(); login != "zhao" {
			t.Errorf("logged in as %q, want zhao", login)
		}
		if _, err := db.Store.Session(datatest.Context(), old, access.DefaultSessionTimes); err == nil {
			t.Error("the session held before the sign-on is still alive")
		}
	})

	t.Run("no account for the identity", func(t *testing.T) {
		w.newBrowser()
		res, body := w.login(testIdentity{Subject: "sub-li", Username: "li"})
		wantError(t, res, body, http.StatusForbidden, "统一身份认证用户 li 在本系统没有账号")
		if _, _, status := w.me(); status != http.StatusUnauthorized {
			t.Errorf("session answers %d, want 401", status)
		}
	})

	t.Run("disabled account", func(t *testing.T) {
		ssoAccount(t, db.Store, "sun")
		if err := db.Store.SetDisabled(datatest.Context(), "sun", true); err != nil {
			t.Fatal(err)
		}
		w.newBrowser()
		res, body := w.login(testIdentity{Subject: "sub-sun", Username: "sun"})
		wantError(t, res, body, http.StatusForbidden, "账号 sun 已停用")
		if _, _, status := w.me(); status != http.StatusUnauthorized {
			t.Errorf("session answers %d, want 401", status)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		w.newBrowser()
		cb := w.toCallback(wang)
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		res, body := w.get(cb.String())
		wantError(t, res, body, http.StatusForbidden, "state 不符")
		if _, _, status := w.me(); status != http.StatusUnauthorized {
			t.Errorf("session answers %d, want 401", status)
		}
	})

	t.Run("callback from another browser", func(t *testing.T) {
		// A callback URL (a valid code and state) opened in a browser that
		// did not start the sign-on: the login CSRF that state prevents.
		w.newBrowser()
		cb := w.toCallback(wang)
		w.newBrowser()
		res, body := w.get(cb.String())
		wantError(t, res, body, http.StatusForbidden, "不是从本浏览器发起的")
	})

	t.Run("tampered nonce", func(t *testing.T) {
		w.newBrowser()
		cb := w.toCallback(wang)
		w.setStateCookie(func(p []string) { p[1] = access.NewSecret("") })
		res, body := w.get(cb.String())
		wantError(t, res, body, http.StatusUnauthorized, "nonce 不符")
	})

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		// The provider itself refuses the exchange: gapmap sent the
		// challenge of the verifier it keeps.
		w.newBrowser()
		cb := w.toCallback(wang)
		w.setStateCookie(func(p []string) { p[2] = access.NewSecret("") })
		res, body := w.get(cb.String())
		wantError(t, res, body, http.StatusUnauthorized, "换取令牌被统一身份认证服务拒绝")
	})

	t.Run("ID token not signed with the provider's keys", func(t *testing.T) {
		forged, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		w.provider.mu.Lock()
		w.provider.signWith = forged
		w.provider.mu.Unlock()
		defer func() {
			w.provider.mu.Lock()
			w.provider.signWith = w.provider.key
			w.provider.mu.Unlock()
		}()
		w.newBrowser()
		res, body := w.login(wang)
		wantError(t, res, body, http.StatusUnauthorized, "身份令牌校验失败")
		if _, _, status := w.me(); status != http.StatusUnauthorized {
			t.Errorf("session answers %d, want 401", status)
		}
	})

	t.Run("the provider refuses", func(t *testing.T) {
		w.newBrowser()
		cb := w.toCallback(wang)
		q := url.Values{"error": {"access_denied"}, "error_description": {"用户取消了登录"}, "state": {cb.Query().Get("state")}}
		cb.RawQuery = q.Encode()
		res, body := w.get(cb.String())
		wantError(t, res, body, http.StatusUnauthorized, "access_denied：用户取消了登录")

		// A link made elsewhere cannot put its text on gapmap's page.
		w.newBrowser()
		cb = w.toCallback(wang)
		q = url.Values{"error": {"access_denied"}, "error_description": {"请致电 400-000-0000 找回账号"}, "state": {"guessed"}}
		cb.RawQuery = q.Encode()
		res, body = w.get(cb.String())
		wantError(t, res, body, http.StatusForbidden, "state 不符")
		if strings.Contains(body, "400-000-0000") {
			t.Errorf("a forged error shown: %s", body)
		}
	})

	t.Run("a browser gets a page", func(t *testing.T) {
		// A browser's navigation asks for HTML (the http.Client of the
		// other cases sends no Accept and gets JSON).
		w.newBrowser()
		w.provider.signIn(testIdentity{Subject: "sub-li", Username: "li"})
		res, body := w.get("/auth/oidc/login", "Accept", "text/html,application/xhtml+xml")
		if res.StatusCode != http.StatusForbidden || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "<h1>统一身份认证登录失败</h1>") || !strings.Contains(body, "li 在本系统没有账号") ||
			!strings.Contains(body, `href="/auth/oidc/login"`) {
			t.Errorf("got %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})

	t.Run("config.json says sso", func(t *testing.T) {
		_, body := w.get("/config.json")
		if !strings.Contains(body, `"sso":true`) {
			t.Errorf("config.json: %s", body)
		}
	})
}

// sessionCookieOf is the browser's session secret on gapmap.
func sessionCookieOf(t *testing.T, w *ssoWorld) string {
	t.Helper()
	u, _ := url.Parse(w.gapmap.URL + "/")
	for _, c := range w.jar.Cookies(u) {
		if c.Name == "gapmap_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// TestOIDCLoginClaimFromUserinfo: a provider that keeps the profile
// claims out of the ID token still names the account, through its
// userinfo endpoint.
func TestOIDCLoginClaimFromUserinfo(t *testing.T) {
	db := datatest.New(t)
	ssoAccount(t, db.Store, "wang")
	w := newSSOWorld(t, db.Store, newTestProvider(t), false)
	res, body := w.login(testIdentity{Subject: "sub-wang", Username: "wang"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the flow ended at %s with %d: %.300s", res.Request.URL, res.StatusCode, body)
	}
	if login, _, _ := w.me(); login != "wang" {
		t.Errorf("logged in as %q, want wang", login)
	}
}

// TestOIDCEmailClaim: with the email as the login claim, only an email the
// provider verified names an account.
func TestOIDCEmailClaim(t *testing.T) {
	db := datatest.New(t)
	ssoAccount(t, db.Store, "wang@jt.county.gov.cn")
	w := newSSOWorld(t, db.Store, newTestProvider(t), true, func(c *api.OIDCConfig) { c.LoginClaim = "email" })
	res, body := w.login(testIdentity{Subject: "sub-x", Username: "x", Email: "wang@jt.county.gov.cn"})
	wantError(t, res, body, http.StatusForbidden, "没有提供已验证的邮箱")
	if login, _, _ := w.me(); login != "" {
		t.Fatalf("an unverified email logged in as %q", login)
	}
	w.newBrowser()
	res, body = w.login(testIdentity{Subject: "sub-wang", Username: "x", Email: "wang@jt.county.gov.cn", EmailVerified: true})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a verified email: %d %.300s", res.StatusCode, body)
	}
	if login, _, _ := w.me(); login != "wang@jt.county.gov.cn" {
		t.Errorf("logged in as %q, want wang@jt.county.gov.cn", login)
	}
}

// TestOIDCProviderDownAtStart: the server starts while the provider is
// down, answers the login with 503, and signs on once the provider is up,
// without a restart.
func TestOIDCProviderDownAtStart(t *testing.T) {
	db := datatest.New(t)
	ssoAccount(t, db.Store, "wang")
	p := newTestProvider(t)
	p.down.Store(true)
	w := newSSOWorld(t, db.Store, p, true)

	res, body := w.login(testIdentity{Subject: "sub-wang", Username: "wang"})
	wantError(t, res, body, http.StatusServiceUnavailable, "统一身份认证服务（"+p.URL+"）暂时无法访问")
	if login, _, _ := w.me(); login != "" {
		t.Fatalf("logged in as %q while the provider is down", login)
	}

	p.down.Store(false)
	res, body = w.login(testIdentity{Subject: "sub-wang", Username: "wang"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("after the provider came up: %d %.300s", res.StatusCode, body)
	}
	if login, _, _ := w.me(); login != "wang" {
		t.Errorf("logged in as %q, want wang", login)
	}
}

// TestOIDCNotConfigured: without GAPMAP_OIDC_* the routes say so and the
// page is told there is no single sign-on.
func TestOIDCNotConfigured(t *testing.T) {
	db := datatest.New(t)
	h := newRawRouter(t, db.Store)
	rec := get(t, h, "/auth/oidc/login")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "未配置统一身份认证登录") {
		t.Errorf("login: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/config.json"); !strings.Contains(rec.Body.String(), `"sso":false`) {
		t.Errorf("config.json: %s", rec.Body)
	}
}

func TestOIDCConfigFromEnv(t *testing.T) {
	full := map[string]string{
		"GAPMAP_OIDC_ISSUER":        "https://sso.example.gov.cn/realms/county",
		"GAPMAP_OIDC_CLIENT_ID":     "gapmap",
		"GAPMAP_OIDC_CLIENT_SECRET": "s3cret",
		"GAPMAP_OIDC_REDIRECT_URL":  "https://gapmap.county.gov.cn/auth/oidc/callback",
	}
	env := func(set map[string]string, drop ...string) func(string) string {
		return func(k string) string {
			for _, d := range drop {
				if d == k {
					return ""
				}
			}
			return set[k]
		}
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name    string
		getenv  func(string) string
		want    *api.OIDCConfig
		wantErr string
	}{
		{"none", env(nil), nil, ""},
		{"all", env(full), &api.OIDCConfig{Issuer: full["GAPMAP_OIDC_ISSUER"], ClientID: "gapmap", ClientSecret: "s3cret",
			RedirectURL: full["GAPMAP_OIDC_REDIRECT_URL"], LoginClaim: "preferred_username"}, ""},
		{"own claim", env(with("GAPMAP_OIDC_LOGIN_CLAIM", "employee_no")), &api.OIDCConfig{Issuer: full["GAPMAP_OIDC_ISSUER"],
			ClientID: "gapmap", ClientSecret: "s3cret", RedirectURL: full["GAPMAP_OIDC_REDIRECT_URL"], LoginClaim: "employee_no"}, ""},
		{"secret missing", env(full, "GAPMAP_OIDC_CLIENT_SECRET"), nil, "GAPMAP_OIDC_CLIENT_SECRET missing"},
		{"only the claim", env(map[string]string{"GAPMAP_OIDC_LOGIN_CLAIM": "email"}), nil, "GAPMAP_OIDC_ISSUER, GAPMAP_OIDC_CLIENT_ID"},
		{"redirect elsewhere", env(with("GAPMAP_OIDC_REDIRECT_URL", "https://gapmap.county.gov.cn/callback")), nil, "GAPMAP_OIDC_REDIRECT_URL"},
		{"issuer not a URL", env(with("GAPMAP_OIDC_ISSUER", "sso.example.gov.cn")), nil, "GAPMAP_OIDC_ISSUER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := api.OIDCConfigFromEnv(tc.getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
