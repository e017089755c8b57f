package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/gapmap/gapmap/planning"
)

// User is an account.
type User struct {
	ID          int64      `json:"id"`
	Login       string     `json:"login"`
	Name        string     `json:"name"`
	Disabled    bool       `json:"disabled"`
	HasPassword bool       `json:"has_password"`
	SSO         bool       `json:"sso"` // linked to a single sign-on identity
	Grants      []Grant    `json:"grants"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Token is an API token, without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Login      string     `json:"login"`
	Name       string     `json:"name"`
	Scopes     []Action   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Session is a browser login.
type Session struct {
	Principal Principal
	CSRF      string    // the token every state-changing request must echo
	ExpiresAt time.Time // absolute expiry
}

// Client is where a login comes from, recorded on the session.
type Client struct {
	Addr      string
	UserAgent string
}

// Login limits: after MaxFailures wrong passwords in a row an account is
// locked for LockFor; a correct password resets the count.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

// SessionTimes bounds a session: it ends after Idle without a request or
// Max after the login, whichever comes first.
type SessionTimes struct {
	Idle time.Duration
	Max  time.Duration
	// TileRecheck is how long a tile request may trust the session or token
	// that another tile request of the same secret proved: the map asks for
	// dozens of tiles a second. 0: every tile looks its secret up.
	TileRecheck time.Duration
}

// DefaultSessionTimes suit a working day in a bureau.
var DefaultSessionTimes = SessionTimes{Idle: 2 * time.Hour, Max: 12 * time.Hour, TileRecheck: 5 * time.Second}

// Store is the persistence of accounts, sessions and tokens. Errors are
// *planning.Error: ENotFound (no such user), EConflict (login taken),
// EUnauthorized (wrong password, locked account, expired session, revoked
// token), EInvalid.
type Store interface {
	Users(ctx context.Context) ([]User, error)
	User(ctx context.Context, login string) (User, error)
	// CreateUser adds an account; password "" makes a single-sign-on-only
	// account.
	CreateUser(ctx context.Context, login, name, password string) (User, error)
	SetPassword(ctx context.Context, login, password string) error
	SetDisabled(ctx context.Context, login string, disabled bool) error
	// SetGrant gives (on) or takes (off) a role in an organisation.
	SetGrant(ctx context.Context, login string, org Org, role Role, on bool) (User, error)
	// Org resolves an organisation: the county, a township or a village by
	// its division code (from the loaded county), a bureau from pol.
	Org(ctx context.Context, pol *Policy, kind Kind, code string) (Org, error)

	// Login checks a password and opens a session; it returns the secret
	// for the cookie. Failures count towards the lockout.
	Login(ctx context.Context, login, password string, c Client, t SessionTimes) (string, Session, error)
	// LoginSSO opens a session for a single-sign-on identity linked to an
	// account (by issuer and subject, or on first use by login).
	LoginSSO(ctx context.Context, issuer, subject, login string, c Client, t SessionTimes) (string, Session, error)
	// Session returns the live session of a secret and records the use.
	Session(ctx context.Context, secret string, t SessionTimes) (Session, error)
	Logout(ctx context.Context, secret string) error

	CreateToken(ctx context.Context, login, name string, scopes []Action, expires *time.Time) (string, Token, error)
	RevokeToken(ctx context.Context, id int64) error
	Tokens(ctx context.Context, login string) ([]Token, error)
	// TokenPrincipal returns the principal of a live token's secret.
	TokenPrincipal(ctx context.Context, secret string) (Principal, error)
}

// NewSecret returns a random secret (256 bits, URL-safe) with a prefix
// that says what it is ("gm_" for API tokens, "" for sessions).
func NewSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on a supported platform
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// SecretHash is what the database keeps of a session or token secret: a
// secret has 256 random bits, so one SHA-256 suffices.
func SecretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane). Each
// hash records its own, so they can be raised without breaking old ones.
var hashParams = struct {
	memKiB uint32
	time   uint32
	lanes  uint8
}{19 * 1024, 2, 1}

// CheckPassword says what is wrong with a new password, in Chinese.
func CheckPassword(pw string) error {
	if n := len([]rune(pw)); n < 10 || n > 200 {
		return planning.Errorf(planning.EInvalid, "密码长度须为 10–200 个字符（当前 %d 个）", n)
	}
	return nil
}

// HashPassword returns the argon2id PHC string of pw.
func HashPassword(pw string) string {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		panic(err)
	}
	p := hashParams
	key := argon2.IDKey([]byte(pw), salt[:], p.time, p.memKiB, p.lanes, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memKiB, p.time, p.lanes,
		base64.RawStdEncoding.EncodeToString(salt[:]), base64.RawStdEncoding.EncodeToString(key))
}

// VerifyPassword says whether pw matches a PHC string from HashPassword.
// An empty or malformed hash matches nothing; the check costs one hash
// either way, so that a missing account answers as slowly as a wrong
// password.
func VerifyPassword(phc, pw string) bool {
	var version int
	var mem, t uint32
	var lanes uint8
	parts := strings.Split(phc, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &lanes)
		ok = err1 == nil && err2 == nil && version == argon2.Version && mem > 0 && mem <= 1<<21 && t > 0 && t < 100 && lanes > 0
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) > 0
	}
	if !ok {
		p := hashParams
		argon2.IDKey([]byte(pw), make([]byte, 16), p.time, p.memKiB, p.lanes, 32)
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, mem, lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
