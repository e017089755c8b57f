package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// OIDCConfig is single sign-on through a province's OpenID Connect
// provider (GAPMAP_OIDC_*). A user signed on there logs in to the gapmap
// account an admin created for them: the account linked to the provider's
// subject, or on first use the account whose login is the LoginClaim.
type OIDCConfig struct {
	Issuer       string // GAPMAP_OIDC_ISSUER: the provider's issuer URL, where discovery starts
	ClientID     string // GAPMAP_OIDC_CLIENT_ID: gapmap's client at the provider
	ClientSecret string // GAPMAP_OIDC_CLIENT_SECRET
	// RedirectURL is this server's /auth/oidc/callback as the browser
	// reaches it (GAPMAP_OIDC_REDIRECT_URL), registered at the provider.
	RedirectURL string
	// LoginClaim is the claim whose value is the gapmap login
	// (GAPMAP_OIDC_LOGIN_CLAIM, preferred_username by default).
	LoginClaim string
}

// DefaultLoginClaim is the standard claim of a user's short name.
const DefaultLoginClaim = "preferred_username"

// Paths of the single sign-on routes; the redirect URL must name the
// callback.
const (
	ssoLoginPath    = "/auth/oidc/login"
	ssoCallbackPath = "/auth/oidc/callback"
)

// OIDCConfigFromEnv reads GAPMAP_OIDC_ISSUER, GAPMAP_OIDC_CLIENT_ID,
// GAPMAP_OIDC_CLIENT_SECRET, GAPMAP_OIDC_REDIRECT_URL and
// GAPMAP_OIDC_LOGIN_CLAIM. None set: nil, no single sign-on. Some but not
// all of the first four is an error naming the missing ones: a half
// configured sign-on would only fail at a user's first login.
func OIDCConfigFromEnv(getenv func(string) string) (*OIDCConfig, error) {
	c := OIDCConfig{LoginClaim: DefaultLoginClaim}
	vars := []struct {
		name string
		to   *string
	}{
		{"GAPMAP_OIDC_ISSUER", &c.Issuer},
		{"GAPMAP_OIDC_CLIENT_ID", &c.ClientID},
		{"GAPMAP_OIDC_CLIENT_SECRET", &c.ClientSecret},
		{"GAPMAP_OIDC_REDIRECT_URL", &c.RedirectURL},
	}
	var set, missing []string
	for _, v := range vars {
		*v.to = strings.TrimSpace(getenv(v.name))
		if *v.to == "" {
			missing = append(missing, v.name)
		} else {
			set = append(set, v.name)
		}
	}
	claim := strings.TrimSpace(getenv("GAPMAP_OIDC_LOGIN_CLAIM"))
	if claim != "" {
		c.LoginClaim = claim
		set = append(set, "GAPMAP_OIDC_LOGIN_CLAIM")
	}
	switch {
	case len(set) == 0:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("single sign-on is half configured: %s set but %s missing (set all of them or none)",
			strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return &c, c.Validate()
}

// Validate reports every problem with c, each naming its setting.
func (c OIDCConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("GAPMAP_OIDC_ISSUER %q: want the provider's http(s) URL, such as https://sso.example.gov.cn/realms/county", c.Issuer))
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != ssoCallbackPath {
		errs = append(errs, fmt.Errorf("GAPMAP_OIDC_REDIRECT_URL %q: want this server's URL ending in %s, such as https://gapmap.county.gov.cn%s",
			c.RedirectURL, ssoCallbackPath, ssoCallbackPath))
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, errors.New("GAPMAP_OIDC_CLIENT_ID and GAPMAP_OIDC_CLIENT_SECRET must not be empty"))
	}
	if c.LoginClaim == "" {
		errs = append(errs, errors.New("GAPMAP_OIDC_LOGIN_CLAIM is empty"))
	}
	return errors.Join(errs...)
}

// ssoTimeout bounds every call to the provider: discovery, its keys, the
// code exchange, its userinfo.
const ssoTimeout = 10 * time.Second

// ssoStateMaxAge is how long a started sign-on may take at the provider.
const ssoStateMaxAge = 10 * time.Minute

// ssoCookie holds a started sign-on's state, nonce and PKCE verifier in
// the browser that started it, so that any replica can finish it.
const ssoCookie = "gapmap_oidc"

// sso is the relying party of one provider. Discovery runs at start-up and,
// while the provider cannot be reached, again at each login: a provider
// that is down must not keep the server (and password logins) down.
type sso struct {
	cfg  OIDCConfig
	http *http.Client
	log  *slog.Logger

	mu    sync.Mutex // held through a discovery, so that logins wait for the one in flight
	ready *ssoProvider
}

// ssoProvider is what discovery found.
type ssoProvider struct {
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newSSO(cfg OIDCConfig, log *slog.Logger) *sso {
	return &sso{cfg: cfg, http: &http.Client{Timeout: ssoTimeout}, log: log}
}

// provider returns the discovered provider, discovering it first if need
// be; 503 while the provider cannot be reached.
func (s *sso) provider(ctx context.Context) (*ssoProvider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready != nil {
		return s.ready, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), s.cfg.Issuer)
	if err != nil {
		return nil, &planning.Error{Code: planning.EUnavailable, Err: fmt.Errorf("oidc discovery: %w", err),
			Message: fmt.Sprintf("统一身份认证服务（%s）暂时无法访问，请稍后再试或使用账号密码登录", s.cfg.Issuer)}
	}
	// profile holds preferred_username and name; email is asked only when
	// it is the login: gapmap keeps nothing else of the user.
	scopes := []string{oidc.ScopeOpenID, "profile"}
	if s.cfg.LoginClaim == "email" {
		scopes = append(scopes, "email")
	}
	s.ready = &ssoProvider{provider: p, verifier: p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID}),
		oauth: oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, RedirectURL: s.cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: scopes}}
	s.log.Info("oidc provider discovered", "issuer", s.cfg.Issuer)
	return s.ready, nil
}

// discoverAtStart tries discovery once when the server starts, so that a
// wrong issuer shows in the log before the first user clicks; a failure
// leaves it to the first login. The server has no context of its own at
// construction, so the attempt is bounded by ssoTimeout alone.
func (s *sso) discoverAtStart() {
	ctx, cancel := context.WithTimeout(context.Background(), ssoTimeout)
	defer cancel()
	if _, err := s.provider(ctx); err != nil {
		s.log.Warn("oidc provider not reachable at start; retrying at the first login", "issuer", s.cfg.Issuer, "err", err)
	}
}

// ssoState is a started sign-on: state ties the callback to this browser,
// nonce ties the ID token to this login, verifier is the PKCE secret.
type ssoState struct {
	state, nonce, verifier string
}

func (st ssoState) String() string { return st.state + "." + st.nonce + "." + st.verifier }

// parseSSOState reads the cookie's value; the three parts are URL-safe
// base64, which has no dot.
func parseSSOState(v string) (ssoState, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return ssoState{}, false
	}
	return ssoState{parts[0], parts[1], parts[2]}, true
}

// errNoSSO answers the sign-on routes of a server without single sign-on.
var errNoSSO = planning.Errorf(planning.ENotFound, "本系统未配置统一身份认证登录（GAPMAP_OIDC_*），请使用账号密码登录")

// oidcLogin starts a sign-on: it sends the browser to the provider with a
// fresh state, nonce and PKCE (S256) challenge, and keeps them in a
// short-lived cookie for the callback.
func (s *server) oidcLogin(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return errNoSSO
	}
	p, err := s.sso.provider(r.Context())
	if err != nil {
		return err
	}
	st := ssoState{state: access.NewSecret(""), nonce: access.NewSecret(""), verifier: oauth2.GenerateVerifier()}
	// SameSite=Lax: the provider's redirect back is a top-level GET from
	// another site, on which Lax cookies are sent. The path keeps the
	// cookie off every other request.
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: st.String(), Path: "/auth/oidc/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: viaTLS(r), MaxAge: int(ssoStateMaxAge.Seconds())})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(st.state, oidc.Nonce(st.nonce), oauth2.S256ChallengeOption(st.verifier)), http.StatusFound)
	return nil
}

// oidcCallback finishes a sign-on: it checks the state against the
// browser's cookie, exchanges the code (with the PKCE verifier), verifies
// the ID token with the provider's keys and the nonce, reads the login
// claim and opens a session for the account linked to that identity.
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return errNoSSO
	}
	c, err := r.Cookie(ssoCookie)
	// A started sign-on is finished once, whatever the outcome.
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/auth/oidc/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: viaTLS(r), MaxAge: -1})
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	var st ssoState
	ok := err == nil
	if ok {
		st, ok = parseSSOState(c.Value)
	}
	if !ok {
		return planning.Errorf(planning.EForbidden, "登录请求已过期或不是从本浏览器发起的，请重新登录")
	}
	if got := q.Get("state"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.state)) != 1 {
		return planning.Errorf(planning.EForbidden, "登录请求校验失败（state 不符），已拒绝；请从本系统重新发起登录")
	}
	// The provider's own error is shown only after the state matched:
	// a link made elsewhere cannot put its text on this site's page.
	if e := q.Get("error"); e != "" {
		msg := e
		if d := q.Get("error_description"); d != "" {
			msg += "：" + d
		}
		return planning.Errorf(planning.EUnauthorized, "统一身份认证服务未完成登录（%s）", msg)
	}
	code := q.Get("code")
	if code == "" {
		return planning.Errorf(planning.EInvalid, "统一身份认证服务的回调缺少授权码（code）")
	}
	p, err := s.sso.provider(r.Context())
	if err != nil {
		return err
	}
	ctx := oidc.ClientContext(r.Context(), s.sso.http)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(st.verifier))
	if err != nil {
		return s.ssoRefused("换取令牌被统一身份认证服务拒绝", "code exchange", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return s.ssoRefused("统一身份认证服务没有返回身份令牌（id_token）", "no id_token", nil)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return s.ssoRefused("身份令牌校验失败（签名、签发方、受众或有效期不符）", "verify id token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.nonce)) != 1 {
		return s.ssoRefused("身份令牌校验失败（nonce 不符），可能是重放的令牌", "nonce mismatch", nil)
	}
	login, err := s.sso.login(ctx, p, idt, tok)
	if err != nil {
		return err
	}
	// As with a password login: whatever session the browser held ends,
	// and the new one has a new secret.
	if err := s.endSession(r); err != nil {
		return err
	}
	secret, sess, err := s.accounts.LoginSSO(r.Context(), idt.Issuer, idt.Subject, login,
		access.Client{Addr: clientAddr(r), UserAgent: r.UserAgent()}, s.sessionTimes)
	if err != nil {
		return err
	}
	s.setSession(w, r, secret, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// ssoRefused is a sign-on the provider or its token failed: 401 to the
// user, with the cause logged here (writeError logs only 5xx) so that an
// admin can tell a wrong client secret from a clock out of step.
func (s *server) ssoRefused(msg, what string, err error) error {
	s.log.Warn("oidc login refused", "step", what, "err", err)
	return &planning.Error{Code: planning.EUnauthorized, Message: "统一身份认证登录失败：" + msg, Err: err}
}

// login reads the gapmap login from the ID token's login claim, else from
// the provider's userinfo (many providers put only the subject in the ID
// token), which must be about the same subject.
func (s *sso) login(ctx context.Context, p *ssoProvider, idt *oidc.IDToken, tok *oauth2.Token) (string, error) {
	claim := s.cfg.LoginClaim
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("id token claims: %w", err)
	}
	if v, ok := loginFrom(claims, claim); ok {
		return v, nil
	}
	if p.provider.UserInfoEndpoint() != "" {
		ui, err := p.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", &planning.Error{Code: planning.EUnavailable, Err: err,
				Message: fmt.Sprintf("统一身份认证服务的用户信息（userinfo）无法读取，无法确定本系统账号（%s）", claim)}
		}
		if ui.Subject == idt.Subject {
			var more map[string]any
			if err := ui.Claims(&more); err != nil {
				return "", fmt.Errorf("userinfo claims: %w", err)
			}
			if v, ok := loginFrom(more, claim); ok {
				return v, nil
			}
		}
	}
	what := "声明 " + claim
	if claim == "email" {
		what = "已验证的邮箱（email、email_verified）"
	}
	return "", planning.Errorf(planning.EForbidden, "统一身份认证服务没有提供%s，无法确定本系统账号；请管理员检查 GAPMAP_OIDC_LOGIN_CLAIM", what)
}

// loginFrom reads the login claim from a token's or userinfo's claims. An
// email is taken only if the provider says it verified it (true, or "true"
// as some providers send it): the first sign-on links the account an
// email names, and an unverified one could be anyone's.
func loginFrom(claims map[string]any, claim string) (string, bool) {
	v, ok := claims[claim].(string)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return "", false
	}
	if claim == "email" {
		switch verified := claims["email_verified"]; verified {
		case true, "true":
		default:
			return "", false
		}
	}
	return v, true
}

// ssoPage answers the errors of f, a sign-on route, as a Chinese HTML page
// to a browser (these routes are navigations, not the page's fetches) and
// as JSON to any other client.
func (s *server) ssoPage(f handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := f(w, r)
		if err == nil || !strings.Contains(r.Header.Get("Accept"), "text/html") {
			return err
		}
		status, ok := s.errorStatus(w, r, err)
		if !ok {
			return nil
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		return ssoErrorPage.Execute(w, struct{ Message, Login string }{planning.ErrorMessage(err), ssoLoginPath})
	}
}

var ssoErrorPage = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>统一身份认证登录失败 · gapmap</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.7}</style></head>
<body><h1>统一身份认证登录失败</h1>
<p>{{.Message}}</p>
<p><a href="{{.Login}}">重新登录</a> · <a href="/">返回地图</a></p>
</body></html>
`))
