package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
)

// userOptions are the flags of the `gapmap users` commands; each command
// reads the ones it needs.
type userOptions struct {
	Login         string
	Name          string
	PasswordStdin bool   // read the password from the first line of stdin
	SSO           bool   // no password: single sign-on only
	Org           string // kind:code, e.g. township:430682101, bureau:交通
	Role          string
	Remove        bool
	Enable        bool
	TokenName     string
	Scopes        string // comma-separated actions
	Expires       time.Duration
	Revoke        int64
	List          bool
	stdin         io.Reader
}

func userFlags(need ...string) func(fs *flag.FlagSet, o *userOptions) func() error {
	return func(fs *flag.FlagSet, o *userOptions) func() error {
		o.stdin = os.Stdin
		fs.StringVar(&o.Login, "login", "", "the account's login (letters, digits, . _ @ -)")
		for _, n := range need {
			switch n {
			case "add":
				fs.StringVar(&o.Name, "name", "", "the person's name and post, e.g. 张三（县交通运输局）")
				fs.BoolVar(&o.SSO, "sso", false, "no password: the account logs in only through single sign-on")
				fallthrough
			case "passwd":
				fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password from stdin's first line (default: generate one and print it)")
			case "role":
				fs.StringVar(&o.Org, "org", "", "the organisation as kind:code — county:430682, bureau:交通, township:430682101, village:430682101201")
				fs.StringVar(&o.Role, "role", "", "viewer, editor, reviewer, approver or admin")
				fs.BoolVar(&o.Remove, "remove", false, "take the role away instead of giving it")
			case "disable":
				fs.BoolVar(&o.Enable, "enable", false, "enable the account again instead")
			case "token":
				fs.StringVar(&o.TokenName, "name", "", "what the token is for, e.g. 夜间导入脚本")
				fs.StringVar(&o.Scopes, "scopes", "read", "comma-separated actions the token may take: "+joinActions())
				fs.DurationVar(&o.Expires, "expires", 0, "lifetime, e.g. 2160h (90 days); 0: until revoked")
				fs.Int64Var(&o.Revoke, "revoke", 0, "revoke the token with this id instead")
				fs.BoolVar(&o.List, "list", false, "list the account's tokens instead")
			}
		}
		return func() error {
			switch {
			case o.Revoke != 0:
				return nil
			case o.Login == "" && !slices.Contains(need, "list"):
				return errors.New("--login is required")
			}
			return nil
		}
	}
}

func joinActions() string {
	var s []string
	for _, a := range access.Actions {
		s = append(s, string(a))
	}
	return strings.Join(s, ", ")
}

// password reads the new password from stdin, or generates one and says
// so: a password never appears on a command line (shell history, ps).
func (o userOptions) password(stdout io.Writer) (string, error) {
	if o.PasswordStdin {
		line, err := bufio.NewReader(o.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw := access.NewSecret("")[:20]
	fmt.Fprintf(stdout, "生成的初始密码（只显示这一次，请转交本人并提醒修改）：%s\n", pw)
	return pw, nil
}

// usersList runs `gapmap users list`.
func usersList(ctx context.Context, a app, _ userOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	us, err := a.store.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		state := ""
		if u.Disabled {
			state = " [已停用]"
		}
		if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
			state += " [锁定至 " + u.LockedUntil.Local().Format("15:04") + "]"
		}
		var gs []string
		for _, g := range u.Grants {
			gs = append(gs, fmt.Sprintf("%s·%s (%s:%s %s)", g.Org.Name, g.Role.Title(), g.Org.Kind, g.Org.Code, g.Role))
		}
		fmt.Fprintf(a.stdout, "%s\t%s%s\t%s\n", u.Login, u.Name, state, strings.Join(gs, "；"))
	}
	return nil
}

// usersAdd runs `gapmap users add`.
func usersAdd(ctx context.Context, a app, o userOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	if o.Name == "" {
		o.Name = o.Login
	}
	pw := ""
	if !o.SSO {
		var err error
		if pw, err = o.password(a.stdout); err != nil {
			return err
		}
	}
	u, err := a.store.CreateUser(ctx, o.Login, o.Name, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "已创建账号 %s（%s）；用 gapmap users role 分配角色\n", u.Login, u.Name)
	return nil
}

// usersPasswd runs `gapmap users passwd`: a new password, the lockout
// lifted, every session of the account ended.
func usersPasswd(ctx context.Context, a app, o userOptions) error {
	pw, err := o.password(a.stdout)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(ctx, o.Login, pw); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "已重设 %s 的密码，解除锁定，并结束其全部登录会话\n", o.Login)
	return nil
}

// parseOrg reads kind:code.
func parseOrg(s string) (access.Kind, string, error) {
	kind, code, ok := strings.Cut(s, ":")
	if !ok || code == "" {
		return "", "", fmt.Errorf("--org %q: want kind:code, e.g. township:430682101 or bureau:交通", s)
	}
	return access.Kind(kind), code, nil
}

// usersRole runs `gapmap users role`.
func usersRole(ctx context.Context, a app, o userOptions) error {
	kind, code, err := parseOrg(o.Org)
	if err != nil {
		return err
	}
	org, err := a.store.Org(ctx, a.cfg.Policy, kind, code)
	if err != nil {
		return err
	}
	u, err := a.store.SetGrant(ctx, o.Login, org, access.Role(o.Role), !o.Remove)
	if err != nil {
		return err
	}
	var gs []string
	for _, g := range u.Grants {
		gs = append(gs, g.Title())
	}
	fmt.Fprintf(a.stdout, "%s 的角色：%s\n", u.Login, strings.Join(gs, "、"))
	return nil
}

// usersDisable runs `gapmap users disable`.
func usersDisable(ctx context.Context, a app, o userOptions) error {
	if err := a.store.SetDisabled(ctx, o.Login, !o.Enable); err != nil {
		return err
	}
	if o.Enable {
		fmt.Fprintf(a.stdout, "已启用账号 %s\n", o.Login)
	} else {
		fmt.Fprintf(a.stdout, "已停用账号 %s，并结束其全部登录会话\n", o.Login)
	}
	return nil
}

// usersToken runs `gapmap users token`: issue, list or revoke API tokens.
func usersToken(ctx context.Context, a app, o userOptions) error {
	switch {
	case o.Revoke != 0:
		if err := a.store.RevokeToken(ctx, o.Revoke); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "已吊销 API 令牌 %d\n", o.Revoke)
		return nil
	case o.List:
		ts, err := a.store.Tokens(ctx, o.Login)
		if err != nil {
			return err
		}
		for _, t := range ts {
			state := "有效"
			switch {
			case t.RevokedAt != nil:
				state = "已吊销"
			case t.ExpiresAt != nil && t.ExpiresAt.Before(time.Now()):
				state = "已过期"
			}
			fmt.Fprintf(a.stdout, "%d\t%s\t%s\t%v\t创建于 %s\n", t.ID, t.Name, state, t.Scopes, t.CreatedAt.Local().Format(time.DateTime))
		}
		return nil
	}
	if o.TokenName == "" {
		return errors.New("--name is required: say what the token is for")
	}
	var scopes []access.Action
	for _, s := range strings.Split(o.Scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, access.Action(s))
		}
	}
	var expires *time.Time
	if o.Expires > 0 {
		t := time.Now().Add(o.Expires)
		expires = &t
	}
	secret, t, err := a.store.CreateToken(ctx, o.Login, o.TokenName, scopes, expires)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "API 令牌 %d（%s，范围 %v）：\n%s\n只显示这一次；脚本以请求头 Authorization: Bearer <令牌> 使用\n", t.ID, t.Name, t.Scopes, secret)
	return nil
}

// auditOptions are the flags of `gapmap audit log`.
type auditOptions struct {
	Kind, ID string
	Limit    int
}

func auditLogFlags(fs *flag.FlagSet, o *auditOptions) func() error {
	fs.StringVar(&o.Kind, "kind", "", "object kind: project, village, layer, run, library, county, user, source")
	fs.StringVar(&o.ID, "id", "", "object id or code")
	fs.IntVar(&o.Limit, "limit", 50, "newest entries to show")
	return nil
}

// auditLog runs `gapmap audit log`.
func auditLog(ctx context.Context, a app, o auditOptions) error {
	es, err := a.store.AuditLog(ctx, audit.Filter{Kind: o.Kind, ID: o.ID, Limit: o.Limit})
	if err != nil {
		return err
	}
	for _, e := range es {
		fmt.Fprintf(a.stdout, "%d\t%s\t%s\t%s\t%s %s:%s\t%s\n", e.N, e.At.Local().Format(time.DateTime), e.Actor, e.Via+" "+e.Addr,
			e.Action, e.ObjectKind, e.ObjectID, e.Detail)
	}
	return nil
}

// auditVerify runs `gapmap audit verify`: exit status 1 when the chain is
// broken.
func auditVerify(ctx context.Context, a app) error {
	rep, err := a.store.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK {
		for _, p := range rep.Problems {
			fmt.Fprintln(a.stdout, "错误：", p)
		}
		return planning.Errorf(planning.EConflict, "审计日志（%s，%d 条）校验未通过：%d 处问题", rep.Chain, rep.Entries, len(rep.Problems))
	}
	fmt.Fprintf(a.stdout, "审计日志（%s）%d 条，哈希链完整；链尾哈希 %s（请另行记录，可据此发现整链被重写）\n", rep.Chain, rep.Entries, rep.Head)
	return nil
}

// auditSchema runs `gapmap audit schema`: the SQL a superuser runs once to
// install the audit trail on a server gapmap did not set up itself.
func auditSchema(_ context.Context, a app) error {
	_, err := io.WriteString(a.stdout, data.AuditSQL)
	return err
}
