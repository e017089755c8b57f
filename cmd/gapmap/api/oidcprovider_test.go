package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// testProvider is a real OpenID provider (zitadel's op package, which
// serves discovery, the authorize, token, userinfo and keys endpoints and
// checks PKCE) over a minimal in-memory storage written for these tests.
// Its login page signs in whoever the test put in next, without a form.
type testProvider struct {
	*httptest.Server
	op *op.Provider
	// down makes every request fail with 503, as a provider that is not
	// reachable yet.
	down atomic.Bool

	mu       sync.Mutex
	clients  map[string]*testClient
	next     testIdentity            // who signs in at the login page
	requests map[string]*testAuthReq // by id
	codes    map[string]string       // code → request id
	tokens   map[string]testGrant    // by access token id
	users    map[string]testIdentity // by subject, as last signed in
	key      *rsa.PrivateKey         // published at /keys
	signWith *rsa.PrivateKey         // signs ID tokens: key, or another to forge them
	started  []*oidc.AuthRequest     // every authorize request, as the client sent it
}

// testIdentity is a user of the provider; Username is its
// preferred_username claim.
type testIdentity struct {
	Subject, Username, Name string
	Email                   string
	EmailVerified           bool
}

// testClient is a relying party registered at the provider.
type testClient struct {
	id, secret, redirect string
	// claimsInIDToken puts the profile claims in the ID token; without it
	// they are only at the userinfo endpoint.
	claimsInIDToken bool
	loginURL        string
}

// newTestProvider starts a provider on http://localhost:port (another
// host than the relying party's 127.0.0.1, so that a cookie jar keeps
// their cookies apart).
func newTestProvider(t *testing.T) *testProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testProvider{clients: map[string]*testClient{}, requests: map[string]*testAuthReq{}, codes: map[string]string{},
		tokens: map[string]testGrant{}, users: map[string]testIdentity{}, key: key, signWith: key}
	var h http.Handler = http.NotFoundHandler()
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "provider down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	p.Start()
	t.Cleanup(p.Close)
	p.URL = strings.Replace(p.URL, "127.0.0.1", "localhost", 1)
	var crypt [32]byte
	if _, err := rand.Read(crypt[:]); err != nil {
		t.Fatal(err)
	}
	p.op, err = op.NewProvider(&op.Config{CryptoKey: crypt, CodeMethodS256: true}, p, op.StaticIssuer(p.URL),
		op.WithAllowInsecure(), op.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", p.login)
	mux.Handle("/", p.op)
	h = mux
	return p
}

// addClient registers a relying party.
func (p *testProvider) addClient(id, secret, redirect string, claimsInIDToken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = &testClient{id: id, secret: secret, redirect: redirect, claimsInIDToken: claimsInIDToken, loginURL: p.URL + "/login"}
}

// signIn makes who the user of the next login.
func (p *testProvider) signIn(who testIdentity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = who
}

// login is the provider's login page: it signs the request's user in
// and sends the browser on to the authorize callback.
func (p *testProvider) login(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	p.mu.Lock()
	req, ok := p.requests[id]
	if ok {
		req.who, req.done, req.authTime = p.next, true, time.Now()
		p.users[p.next.Subject] = p.next
	}
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no such auth request", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(op.ContextWithIssuer(r.Context(), p.URL), id), http.StatusFound)
}

// lastStarted is the last authorize request a client sent.
func (p *testProvider) lastStarted() *oidc.AuthRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.started) == 0 {
		return nil
	}
	return p.started[len(p.started)-1]
}

// testAuthReq is an authorize request in flight; it implements
// op.AuthRequest.
type testAuthReq struct {
	id       string
	req      oidc.AuthRequest
	who      testIdentity
	done     bool
	authTime time.Time
}

func (a *testAuthReq) GetID() string                      { return a.id }
func (a *testAuthReq) GetACR() string                     { return "" }
func (a *testAuthReq) GetAMR() []string                   { return []string{"pwd"} }
func (a *testAuthReq) GetAudience() []string              { return []string{a.req.ClientID} }
func (a *testAuthReq) GetAuthTime() time.Time             { return a.authTime }
func (a *testAuthReq) GetClientID() string                { return a.req.ClientID }
func (a *testAuthReq) GetNonce() string                   { return a.req.Nonce }
func (a *testAuthReq) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *testAuthReq) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *testAuthReq) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *testAuthReq) GetScopes() []string                { return a.req.Scopes }
func (a *testAuthReq) GetState() string                   { return a.req.State }
func (a *testAuthReq) GetSubject() string                 { return a.who.Subject }
func (a *testAuthReq) Done() bool                         { return a.done }
func (a *testAuthReq) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}

var errNotFound = errors.New("not found")

// The op.Storage methods the authorization code flow uses; the grants
// gapmap does not use (refresh, client credentials, JWT profile) fail.

func (p *testProvider) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := &testAuthReq{id: randomID(), req: *r}
	p.requests[a.id] = a
	p.started = append(p.started, r)
	return a, nil
}

func (p *testProvider) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.requests[id]; ok {
		return a, nil
	}
	return nil, errNotFound
}

func (p *testProvider) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.requests[p.codes[code]]; ok {
		return a, nil
	}
	return nil, errNotFound
}

func (p *testProvider) SaveAuthCode(_ context.Context, id, code string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.codes[code] = id
	return nil
}

func (p *testProvider) DeleteAuthRequest(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.requests, id)
	for c, rid := range p.codes {
		if rid == id {
			delete(p.codes, c)
		}
	}
	return nil
}

func (p *testProvider) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := randomID()
	p.tokens[id] = testGrant{p.users[r.GetSubject()], r.GetScopes()}
	return id, time.Now().Add(5 * time.Minute), nil
}

func (p *testProvider) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens not supported")
}

func (p *testProvider) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (p *testProvider) TerminateSession(context.Context, string, string) error { return nil }

func (p *testProvider) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}

func (p *testProvider) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// testKey is an RSA key as op.SigningKey and op.Key.
type testKey struct{ k *rsa.PrivateKey }

func (k testKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k testKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k testKey) ID() string                                  { return "test-key" }
func (k testKey) Use() string                                 { return "sig" }

// Key is the private key to sign with; KeySet hands out publicKey.
func (k testKey) Key() any { return k.k }

type publicKey struct{ testKey }

func (k publicKey) Key() any { return &k.k.PublicKey }

func (p *testProvider) SigningKey(context.Context) (op.SigningKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return testKey{p.signWith}, nil
}

func (p *testProvider) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (p *testProvider) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{testKey{p.key}}}, nil
}

func (p *testProvider) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[id]; ok {
		return c, nil
	}
	return nil, errNotFound
}

func (p *testProvider) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[id]; ok && c.secret == secret {
		return nil
	}
	return errors.New("wrong client secret")
}

// SetUserinfoFromScopes fills the ID token's claims of the scopes asked.
func (p *testProvider) SetUserinfoFromScopes(_ context.Context, ui *oidc.UserInfo, subject, _ string, scopes []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	fillUserinfo(ui, p.users[subject], scopes)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint.
func (p *testProvider) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.tokens[tokenID]
	if !ok {
		return errNotFound
	}
	fillUserinfo(ui, g.who, g.scopes)
	return nil
}

// testGrant is whom an access token was issued to, for which scopes.
type testGrant struct {
	who    testIdentity
	scopes []string
}

// fillUserinfo gives the claims of the scopes asked, as a provider that
// tells a client no more than it asked for.
func fillUserinfo(ui *oidc.UserInfo, who testIdentity, scopes []string) {
	ui.Subject = who.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		ui.PreferredUsername, ui.Name = who.Username, who.Name
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		ui.Email, ui.EmailVerified = who.Email, oidc.Bool(who.EmailVerified)
	}
}

func (p *testProvider) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection not supported")
}

func (p *testProvider) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (p *testProvider) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (p *testProvider) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile not supported")
}

func (p *testProvider) Health(context.Context) error { return nil }

// op.Client of testClient: a confidential web client with the code flow.

func (c *testClient) GetID() string                       { return c.id }
func (c *testClient) RedirectURIs() []string              { return []string{c.redirect} }
func (c *testClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *testClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *testClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *testClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *testClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *testClient) LoginURL(id string) string           { return c.loginURL + "?id=" + id }
func (c *testClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *testClient) IDTokenLifetime() time.Duration      { return 5 * time.Minute }

// DevMode allows the http:// redirect URI of an httptest server.
func (c *testClient) DevMode() bool { return true }
func (c *testClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *testClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *testClient) IsScopeAllowed(string) bool           { return false }
func (c *testClient) IDTokenUserinfoClaimsAssertion() bool { return c.claimsInIDToken }
func (c *testClient) ClockSkew() time.Duration             { return 0 }

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
