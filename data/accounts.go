package data

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/division"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

var _ access.Store = (*Store)(nil)

// userSQL selects a user with its grants as JSON.
const userSQL = `SELECT u.id, u.login, u.name, u.disabled, u.password_hash IS NOT NULL, u.oidc_subject IS NOT NULL,
	u.locked_until, u.created_at, ` + grantsSQL + `
	FROM users u`

// grantsSQL selects the grants of user u as JSON access.Grant values.
const grantsSQL = `coalesce((SELECT jsonb_agg(jsonb_build_object('org', jsonb_build_object('kind', g.org_kind, 'code', g.org_code,
	'name', g.org_name, 'township', g.org_township), 'role', g.role) ORDER BY g.org_kind, g.org_code, g.role)
	FROM user_grants g WHERE g.user_id = u.id), '[]')`

func scanUser(row pgx.Row) (access.User, error) {
	var u access.User
	err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Disabled, &u.HasPassword, &u.SSO, &u.LockedUntil, &u.CreatedAt, &u.Grants)
	return u, err
}

// Users lists every account by login.
func (s *Store) Users(ctx context.Context) ([]access.User, error) {
	rows, err := s.pool.Query(ctx, userSQL+` ORDER BY u.login`)
	if err != nil {
		return nil, translate(err, "users")
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (access.User, error) { return scanUser(r) })
	return us, translate(err, "users")
}

// User returns one account.
func (s *Store) User(ctx context.Context, login string) (access.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, userSQL+` WHERE u.login = $1`, login))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, planning.Errorf(planning.ENotFound, "没有账号 %q", login)
	}
	return u, translate(err, "user")
}

// writeAccount runs f in a transaction that ends with its audit entry.
func (s *Store) writeAccount(ctx context.Context, op string, f func(tx pgx.Tx) (auditEntry, error)) error {
	return translate(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		e, err := f(tx)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, e)
	}), op)
}

// CreateUser adds an account; password "" makes it single-sign-on only.
func (s *Store) CreateUser(ctx context.Context, login, name, password string) (access.User, error) {
	var hash *string
	if password != "" {
		if err := access.CheckPassword(password); err != nil {
			return access.User{}, err
		}
		h := access.HashPassword(password)
		hash = &h
	}
	err := s.writeAccount(ctx, "create user", func(tx pgx.Tx) (auditEntry, error) {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO users (login, name, password_hash) VALUES ($1, $2, $3)
			ON CONFLICT (login) DO NOTHING RETURNING id`, login, name, hash).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return auditEntry{}, planning.Errorf(planning.EConflict, "账号 %q 已存在", login)
		}
		return auditEntry{Action: "user.create", Kind: "user", ID: login,
			Detail: map[string]any{"after": map[string]any{"login": login, "name": name, "password": password != ""}}}, err
	})
	if err != nil {
		return access.User{}, err
	}
	return s.User(ctx, login)
}

// SetPassword replaces a password, unlocks the account and ends its
// sessions.
func (s *Store) SetPassword(ctx context.Context, login, password string) error {
	if err := access.CheckPassword(password); err != nil {
		return err
	}
	hash := access.HashPassword(password)
	return s.writeAccount(ctx, "set password", func(tx pgx.Tx) (auditEntry, error) {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL
			WHERE login = $1 RETURNING id`, login, hash).Scan(&id); err != nil {
			return auditEntry{}, noUser(err, login)
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		return auditEntry{Action: "user.password", Kind: "user", ID: login, Detail: map[string]any{"sessions_ended": true}}, err
	})
}

// SetDisabled disables (ending its sessions) or enables an account.
func (s *Store) SetDisabled(ctx context.Context, login string, disabled bool) error {
	return s.writeAccount(ctx, "disable user", func(tx pgx.Tx) (auditEntry, error) {
		var id int64
		var before bool
		if err := tx.QueryRow(ctx, `SELECT id, disabled FROM users WHERE login = $1 FOR UPDATE`, login).Scan(&id, &before); err != nil {
			return auditEntry{}, noUser(err, login)
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = $2 WHERE id = $1`, id, disabled); err != nil {
			return auditEntry{}, err
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return auditEntry{}, err
			}
		}
		return auditEntry{Action: "user.disable", Kind: "user", ID: login,
			Detail: map[string]any{"before": map[string]any{"disabled": before}, "after": map[string]any{"disabled": disabled}}}, nil
	})
}

// SetGrant gives or takes a role.
func (s *Store) SetGrant(ctx context.Context, login string, org access.Org, role access.Role, on bool) (access.User, error) {
	if !slices.Contains(access.Roles, role) {
		return access.User{}, planning.Errorf(planning.EInvalid, "角色 %q 无效；可用：viewer, editor, reviewer, approver, admin", role)
	}
	err := s.writeAccount(ctx, "set grant", func(tx pgx.Tx) (auditEntry, error) {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE login = $1 FOR UPDATE`, login).Scan(&id); err != nil {
			return auditEntry{}, noUser(err, login)
		}
		var tag interface{ RowsAffected() int64 }
		var err error
		if on {
			tag, err = tx.Exec(ctx, `INSERT INTO user_grants (user_id, org_kind, org_code, role, org_name, org_township)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, id, org.Kind, org.Code, role, org.Name, org.Township)
		} else {
			tag, err = tx.Exec(ctx, `DELETE FROM user_grants WHERE user_id = $1 AND org_kind = $2 AND org_code = $3 AND role = $4`,
				id, org.Kind, org.Code, role)
		}
		if err != nil {
			return auditEntry{}, err
		}
		action := "user.grant"
		if !on {
			action = "user.revoke"
		}
		return auditEntry{Action: action, Kind: "user", ID: login,
			Detail: map[string]any{"org": org, "role": role, "changed": tag.RowsAffected() > 0}}, nil
	})
	if err != nil {
		return access.User{}, err
	}
	return s.User(ctx, login)
}

// Org resolves an organisation by kind and code.
func (s *Store) Org(ctx context.Context, pol *access.Policy, kind access.Kind, code string) (access.Org, error) {
	o := access.Org{Kind: kind, Code: code}
	var err error
	switch kind {
	case access.Bureau:
		b := pol.Bureau(code)
		if b == nil {
			var codes []string
			for _, b := range pol.Bureaus {
				codes = append(codes, b.Code)
			}
			return o, planning.Errorf(planning.EInvalid, "没有部门 %q；权限配置中的部门：%v", code, codes)
		}
		o.Name = b.Name
		return o, nil
	case access.County:
		// From the national code list: a county's admin exists before the
		// county is set up, to set it up.
		list, err := division.Load()
		if err != nil {
			return o, err
		}
		c, ok := list.County(code)
		if !ok {
			return o, planning.Errorf(planning.ENotFound, "统计用区划代码表（%s）中没有代码为 %q 的县级单位", division.Edition, code)
		}
		o.Name = c.Name + pol.County.Name
		return o, nil
	case access.Township:
		err = s.pool.QueryRow(ctx, `SELECT name FROM townships WHERE code = $1`, code).Scan(&o.Name)
	case access.Village:
		err = s.pool.QueryRow(ctx, `SELECT name, township_code FROM villages WHERE code = $1 ORDER BY code_year DESC LIMIT 1`,
			code).Scan(&o.Name, &o.Township)
	default:
		return o, planning.Errorf(planning.EInvalid, "组织类型 %q 无效；可用：county, bureau, township, village", kind)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return o, planning.Errorf(planning.ENotFound, "没有%s %q（先导入或初始化县的区划）", kind.Title(), code)
	}
	return o, translate(err, "org")
}

func noUser(err error, login string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return planning.Errorf(planning.ENotFound, "没有账号 %q", login)
	}
	return err
}

// errBadLogin is the one answer to a wrong login or password and to a
// locked account, so that it does not tell which accounts exist: a lockout
// answered apart would show that the login guessed five times is real. It
// names the lockout rule, so that a user who mistyped knows to wait.
var errBadLogin = planning.Errorf(planning.EUnauthorized, "账号或密码错误（连续 %d 次错误的账号将锁定 %d 分钟）",
	access.MaxFailures, int(access.LockFor/time.Minute))

// Login checks a password under a row lock, counts failures towards the
// lockout, and opens a session.
func (s *Store) Login(ctx context.Context, login, password string, c access.Client, t access.SessionTimes) (string, access.Session, error) {
	var id int64
	var hash *string
	var disabled bool
	var locked *time.Time
	var failures int
	var outcome error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, password_hash, disabled, locked_until, failed_logins FROM users
			WHERE login = $1 FOR UPDATE`, login).Scan(&id, &hash, &disabled, &locked, &failures)
		if errors.Is(err, pgx.ErrNoRows) {
			access.VerifyPassword("", password) // as slow as a wrong password
			outcome = errBadLogin
			return nil
		}
		if err != nil {
			return err
		}
		if locked != nil && locked.After(time.Now()) {
			access.VerifyPassword("", password) // as slow as a wrong password
			outcome = errBadLogin
			return nil
		}
		phc := "" // a single-sign-on account: as slow as a wrong password
		if hash != nil {
			phc = *hash
		}
		ok := access.VerifyPassword(phc, password)
		switch {
		case ok && disabled:
			outcome = planning.Errorf(planning.EForbidden, "账号 %s 已停用，请联系管理员", login)
		case ok:
			_, err = tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, id)
		default:
			outcome = errBadLogin
			failures++
			var lockUntil *time.Time
			if failures >= access.MaxFailures {
				u := time.Now().Add(access.LockFor)
				lockUntil, failures = &u, 0
			}
			_, err = tx.Exec(ctx, `UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1`, id, failures, lockUntil)
			if err == nil && lockUntil != nil {
				// Nobody is logged in: the entry names the account whose
				// password was guessed, and where the guesses came from.
				ctx := access.WithPrincipal(ctx, access.Principal{UserID: id, Login: login, Name: login, Via: "login", Addr: c.Addr})
				err = s.audit(ctx, tx, auditEntry{Action: "user.lock", Kind: "user", ID: login,
					Detail: map[string]any{"failures": access.MaxFailures, "until": lockUntil}})
			}
		}
		return err
	})
	if err != nil {
		return "", access.Session{}, translate(err, "login")
	}
	if outcome != nil {
		return "", access.Session{}, outcome
	}
	return s.openSession(ctx, id, "session", c, t)
}

// LoginSSO opens a session for a single-sign-on identity: the account
// linked to issuer and subject, or the account named login (linked on
// first use). Nobody gets an account by signing on: an admin creates it.
func (s *Store) LoginSSO(ctx context.Context, issuer, subject, login string, c access.Client, t access.SessionTimes) (string, access.Session, error) {
	var id int64
	var disabled bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A linked account answers by its own login: the provider's name
		// for the user may have changed since.
		err := tx.QueryRow(ctx, `SELECT id, disabled, login FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`,
			issuer, subject).Scan(&id, &disabled, &login)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `UPDATE users SET oidc_issuer = $2, oidc_subject = $3
			WHERE login = $1 AND oidc_subject IS NULL RETURNING id, disabled`, login, issuer, subject).Scan(&id, &disabled)
		if errors.Is(err, pgx.ErrNoRows) {
			return planning.Errorf(planning.EForbidden, "统一身份认证用户 %s 在本系统没有账号，请联系管理员开通", login)
		}
		if err != nil {
			return err
		}
		ctx := access.WithPrincipal(ctx, access.Principal{UserID: id, Login: login, Name: login, Via: "oidc", Addr: c.Addr})
		return s.audit(ctx, tx, auditEntry{Action: "user.link_sso", Kind: "user", ID: login,
			Detail: map[string]any{"issuer": issuer, "subject": subject}})
	})
	if err != nil {
		return "", access.Session{}, translate(err, "sso login")
	}
	if disabled {
		return "", access.Session{}, planning.Errorf(planning.EForbidden, "账号 %s 已停用，请联系管理员", login)
	}
	return s.openSession(ctx, id, "oidc", c, t)
}

// openSession stores a new session (a new secret on every login, so a
// session id planted before the login is never the one logged in).
func (s *Store) openSession(ctx context.Context, userID int64, via string, c access.Client, t access.SessionTimes) (string, access.Session, error) {
	secret := access.NewSecret("")
	csrf := access.NewSecret("")
	// Ended sessions are cleared at each login, which keeps the table to
	// the live ones without a background job.
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now() OR last_seen < now() - $1 * interval '1 second'`,
		int64(t.Idle.Seconds())); err != nil {
		return "", access.Session{}, translate(err, "clear ended sessions")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, via, expires_at, addr, user_agent)
		VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second', $6, $7)`, access.SecretHash(secret), userID, csrf, via,
		int64(t.Max.Seconds()), c.Addr, c.UserAgent); err != nil {
		return "", access.Session{}, translate(err, "open session")
	}
	sess, err := s.Session(ctx, secret, t)
	return secret, sess, err
}

// principalSQL selects a user's principal fields and grants.
const principalSQL = `u.id, u.login, u.name, ` + grantsSQL

// Session returns the live session of a secret: one statement that
// refreshes last_seen (at most once a minute, to spare the WAL, or every
// half idle time when that is shorter: a session used throughout must not
// end at its first idle time) and reads the user's grants.
func (s *Store) Session(ctx context.Context, secret string, t access.SessionTimes) (access.Session, error) {
	var sess access.Session
	p := &sess.Principal
	err := s.pool.QueryRow(ctx, `WITH live AS (
			SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > now() AND last_seen > now() - $2 * interval '1 second'),
		touched AS (
			UPDATE sessions s SET last_seen = now() FROM live
			WHERE s.token_hash = live.token_hash AND live.last_seen < now() - least(interval '1 minute', $2 * interval '0.5 second'))
		SELECT live.via, live.csrf, live.expires_at, `+principalSQL+`
		FROM live JOIN users u ON u.id = live.user_id AND NOT u.disabled`, access.SecretHash(secret), int64(t.Idle.Seconds())).
		Scan(&p.Via, &sess.CSRF, &sess.ExpiresAt, &p.UserID, &p.Login, &p.Name, &p.Grants)
	if errors.Is(err, pgx.ErrNoRows) {
		return sess, planning.Errorf(planning.EUnauthorized, "登录已过期，请重新登录")
	}
	return sess, translate(err, "session")
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, secret string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, access.SecretHash(secret))
	return translate(err, "logout")
}

// CreateToken issues an API token; the secret is shown once.
func (s *Store) CreateToken(ctx context.Context, login, name string, scopes []access.Action, expires *time.Time) (string, access.Token, error) {
	if len(scopes) == 0 {
		return "", access.Token{}, planning.Errorf(planning.EInvalid, "API 令牌须至少有一个范围；可用：%v", access.Actions)
	}
	for _, a := range scopes {
		if !slices.Contains(access.Actions, a) {
			return "", access.Token{}, planning.Errorf(planning.EInvalid, "令牌范围 %q 无效；可用：%v", a, access.Actions)
		}
	}
	secret := access.NewSecret("gm_")
	var id int64
	err := s.writeAccount(ctx, "create token", func(tx pgx.Tx) (auditEntry, error) {
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, scopes, expires_at)
			SELECT id, $2, $3, $4, $5 FROM users WHERE login = $1 RETURNING id`, login, name, access.SecretHash(secret), scopes, expires).Scan(&id)
		return auditEntry{Action: "token.create", Kind: "user", ID: login,
			Detail: map[string]any{"token_id": id, "name": name, "scopes": scopes, "expires_at": expires}}, noUser(err, login)
	})
	if err != nil {
		return "", access.Token{}, err
	}
	ts, err := s.Tokens(ctx, login)
	for _, t := range ts {
		if t.ID == id {
			return secret, t, nil
		}
	}
	return "", access.Token{}, translate(err, "create token")
}

// RevokeToken ends a token.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.writeAccount(ctx, "revoke token", func(tx pgx.Tx) (auditEntry, error) {
		var login string
		err := tx.QueryRow(ctx, `UPDATE api_tokens t SET revoked_at = coalesce(revoked_at, now()) FROM users u
			WHERE t.id = $1 AND u.id = t.user_id RETURNING u.login`, id).Scan(&login)
		if errors.Is(err, pgx.ErrNoRows) {
			return auditEntry{}, planning.Errorf(planning.ENotFound, "没有 API 令牌 %d", id)
		}
		return auditEntry{Action: "token.revoke", Kind: "user", ID: login, Detail: map[string]any{"token_id": id}}, err
	})
}

// Tokens lists a user's tokens.
func (s *Store) Tokens(ctx context.Context, login string) ([]access.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, u.login, t.name, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.login = $1 ORDER BY t.id`, login)
	if err != nil {
		return nil, translate(err, "tokens")
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (access.Token, error) {
		var t access.Token
		err := r.Scan(&t.ID, &t.Login, &t.Name, &t.Scopes, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
		return t, err
	})
	return ts, translate(err, "tokens")
}

// TokenPrincipal returns the principal of a live token, noting its use (at
// most once a minute).
func (s *Store) TokenPrincipal(ctx context.Context, secret string) (access.Principal, error) {
	var p access.Principal
	var scopes []string
	err := s.pool.QueryRow(ctx, `WITH live AS (
			SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
		touched AS (
			UPDATE api_tokens t SET last_used_at = now() FROM live
			WHERE t.id = live.id AND (live.last_used_at IS NULL OR live.last_used_at < now() - interval '1 minute'))
		SELECT live.scopes, `+principalSQL+` FROM live JOIN users u ON u.id = live.user_id AND NOT u.disabled`,
		access.SecretHash(secret)).Scan(&scopes, &p.UserID, &p.Login, &p.Name, &p.Grants)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, planning.Errorf(planning.EUnauthorized, "API 令牌无效、已过期或已吊销")
	}
	p.Via = "token"
	p.Scopes = make([]access.Action, len(scopes))
	for i, sc := range scopes {
		p.Scopes[i] = access.Action(sc)
	}
	return p, translate(err, "token")
}
