// Package access says who may do what in gapmap. A county's bureaus, its
// townships and its villages are organisations; a user holds roles in them
// (Grant); a Policy, read from a JSON file (default.json when the county
// has none), maps each action and each lifecycle step to the grants that
// may take it. The HTTP layer and the stores ask the same Policy, so a rule
// is written once.
//
// It is pure: no database, no HTTP. The principal of a request travels in
// its context (WithPrincipal), so that every write in package data knows
// who does it and records it in the audit trail.
package access

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/planning"
)

// Role is what a user may do in an organisation.
type Role string

// Roles.
const (
	Viewer   Role = "viewer"   // 查看: reads
	Editor   Role = "editor"   // 编辑: the layers of its domain, its projects, declaring
	Reviewer Role = "reviewer" // 审核: the lifecycle step of its level
	Approver Role = "approver" // 审定: county-level approval, plans, money
	Admin    Role = "admin"    // 管理员: accounts and roles, the county's setup
)

// Roles lists every role in display order.
var Roles = []Role{Viewer, Editor, Reviewer, Approver, Admin}

var roleTitles = map[Role]string{Viewer: "查看", Editor: "编辑", Reviewer: "审核", Approver: "审定", Admin: "管理员"}

// Title is the role's Chinese name.
func (r Role) Title() string {
	if t, ok := roleTitles[r]; ok {
		return t
	}
	return string(r)
}

// Kind is the level of an organisation.
type Kind string

// Organisation kinds, from the county down.
const (
	County   Kind = "county"   // the county's leading group (领导小组) and its office
	Bureau   Kind = "bureau"   // a county bureau: 交通, 水利, 电力, 乡村振兴, …
	Township Kind = "township" // a 乡镇 (its division code)
	Village  Kind = "village"  // a 行政村 (its division code)
)

// Kinds lists every kind, from the county down.
var Kinds = []Kind{County, Bureau, Township, Village}

var kindTitles = map[Kind]string{County: "县", Bureau: "县直部门", Township: "乡镇", Village: "村"}

// Title is the kind's Chinese name.
func (k Kind) Title() string {
	if t, ok := kindTitles[k]; ok {
		return t
	}
	return string(k)
}

// Action is a kind of request the policy decides. Lifecycle moves are
// decided per step (AllowMove); Move names them as a token scope.
type Action string

// Actions.
const (
	Read        Action = "read"              // every read: layers, tiles, scores, the 项目库, exports
	LayerEdit   Action = "layer.edit"        // imports into a layer, locating a village
	CountySetup Action = "county.setup"      // county init, the county's profile
	ScoreRun    Action = "score.run"         // a scoring run
	Generate    Action = "projects.generate" // generating the 项目库 from a run
	ProjectEdit Action = "project.edit"      // creating, editing, deleting a project
	AsBuilt     Action = "project.asbuilt"   // correcting a project's as-built values (its category's bureau)
	PlanApply   Action = "plan.apply"        // applying a budget plan (years)
	UsersAdmin  Action = "users.admin"       // accounts, roles, tokens of others
	AuditRead   Action = "audit.read"        // the whole audit trail
	FundsEdit   Action = "funds.edit"        // 资金台账: ledger entries (by kind, Matcher.Ledger) and yearly allocations
	Move        Action = "project.move"      // a lifecycle step (token scope only)
)

// Actions lists every action a token may be scoped to.
var Actions = []Action{Read, LayerEdit, CountySetup, ScoreRun, Generate, ProjectEdit, AsBuilt, PlanApply, UsersAdmin, AuditRead, Move, FundsEdit}

var actionTitles = map[Action]string{Read: "查看数据", LayerEdit: "编辑图层", CountySetup: "设置县情",
	ScoreRun: "发起评分", Generate: "生成项目库", ProjectEdit: "编辑项目", AsBuilt: "登记竣工实际值", PlanApply: "编制年度计划",
	UsersAdmin: "管理账号", AuditRead: "查看审计日志", Move: "项目流转", FundsEdit: "登记资金台账"}

// Title is the action's Chinese name.
func (a Action) Title() string {
	if t, ok := actionTitles[a]; ok {
		return t
	}
	return string(a)
}

// Org is an organisation a user holds a role in.
type Org struct {
	Kind Kind   `json:"kind"`
	Code string `json:"code"` // county and township/village: the division code; bureau: the policy's bureau code
	Name string `json:"name"`
	// Township is a village's township code, so that a village user's
	// reads are scoped like its township's.
	Township string `json:"township,omitempty"`
}

// Grant is one role held in one organisation.
type Grant struct {
	Org  Org  `json:"org"`
	Role Role `json:"role"`
}

// Title is e.g. "县交通运输局·审核".
func (g Grant) Title() string { return g.Org.Name + "·" + g.Role.Title() }

// Principal is who makes a request: an authenticated user with its grants,
// or the operating-system user of a CLI command (System).
type Principal struct {
	UserID int64  `json:"user_id,omitempty"` // 0 for the CLI
	Login  string `json:"login"`
	Name   string `json:"name"`
	// Via says how the principal was authenticated: session, token, oidc
	// (a session from single sign-on) or cli.
	Via    string  `json:"via"`
	Grants []Grant `json:"grants"`
	// Scopes limit an API token to some actions; nil: all of the user's.
	Scopes []Action `json:"scopes,omitempty"`
	// System is the CLI's operating-system user: whoever can run the
	// binary against the database owns it, so the policy does not bind it;
	// its writes are audited like any other.
	System bool   `json:"system,omitempty"`
	Addr   string `json:"addr,omitempty"` // the client's address
}

// CLI returns the principal of a command run by the operating-system user
// login.
func CLI(login string) Principal {
	return Principal{Login: login, Name: login, Via: "cli", System: true}
}

// Title names the principal for a message: its name and its grants.
func (p Principal) Title() string {
	if p.System {
		return p.Name + "（命令行）"
	}
	var gs []string
	for _, g := range p.Grants {
		gs = append(gs, g.Title())
	}
	switch n := len(gs); {
	case n == 0:
		return p.Name + "（无角色）"
	case n > 4: // a message names a few, not every village of a township
		return fmt.Sprintf("%s（%s 等 %d 个角色）", p.Name, strings.Join(gs[:4], "、"), n)
	}
	return p.Name + "（" + strings.Join(gs, "、") + "）"
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal ctx carries.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Object is what an action touches, as far as the policy looks at it.
type Object struct {
	Layer    string // a layer's table
	Category string // a project's 项目类别
	Township string // division codes of the place
	Village  string
	// DeclaredBy is the user who declared the project (its move to
	// 村级申报); 0 when not known or not declared.
	DeclaredBy int64
	// Ledger is the kind of a 资金台账 entry a user records (下达, 到位,
	// 拨付); a yearly allocation is a 下达.
	Ledger string
}

// ProjectObject is what the policy looks at in a project.
func ProjectObject(p planning.Project) Object {
	return Object{Category: p.Category, Township: p.TownshipCode, Village: p.VillageCode}
}

// Matcher selects the grants that may take an action.
type Matcher struct {
	Kind Kind   `json:"kind"`
	Org  string `json:"org,omitempty"` // one bureau's code; "": any organisation of the kind
	Role Role   `json:"role"`
	// Scope: "" any object; "own" the object's township or village is the
	// grant's organisation; "domain" the object's layer or category is the
	// bureau's.
	Scope string `json:"scope,omitempty"`
	// Ledger limits a funds.edit matcher to some 资金台账 entry kinds
	// (planning.RecordedKinds: 下达, 到位, 拨付); empty: every kind a user
	// records. 计划 is no grant's: it is the project's 资金来源, so
	// project.edit decides who changes it.
	Ledger []string `json:"ledger,omitempty"`
}

// Step is one lifecycle move and who may take it.
type Step struct {
	From string    `json:"from"` // "*": from any state the state machine allows
	To   string    `json:"to"`
	By   []Matcher `json:"by"`
	// Independent steps cannot be taken by the user who declared the
	// project (separation of duties).
	Independent bool `json:"independent,omitempty"`
}

// Domain is a county bureau and what it is responsible for.
type Domain struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Layers     []string `json:"layers"`     // the layers it edits
	Categories []string `json:"categories"` // the project categories it 论证s
}

// Policy maps actions and lifecycle steps to the grants that may take them.
type Policy struct {
	// County names the county-level body after the county's own name,
	// e.g. 扶贫开发领导小组 → 临湘市扶贫开发领导小组.
	County struct {
		Name string `json:"name"`
	} `json:"county"`
	Bureaus   []Domain             `json:"bureaus"`
	Actions   map[Action][]Matcher `json:"actions"`
	Lifecycle []Step               `json:"lifecycle"`
}

//go:embed default.json
var defaultJSON []byte

// DefaultJSON returns the default policy file, to start a county's own.
func DefaultJSON() []byte { return slices.Clone(defaultJSON) }

// Default returns the default policy (default.json).
func Default() *Policy {
	p, err := Parse(defaultJSON)
	if err != nil {
		panic("access: default.json: " + err.Error())
	}
	return p
}

// Parse reads and checks a policy file. Unknown fields, kinds, roles,
// scopes, bureaus, actions and states are errors, in Chinese.
func Parse(b []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, planning.Errorf(planning.EInvalid, "权限配置文件无法解析：%v", err)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Policy) check() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for _, b := range p.Bureaus {
		if b.Code == "" || b.Name == "" || seen[b.Code] {
			bad("部门 %q：代码和名称不能为空，代码不能重复", b.Code)
		}
		seen[b.Code] = true
		for _, c := range b.Categories {
			if !slices.Contains(planning.Categories, c) {
				bad("部门 %s：项目类别 %q 无效", b.Code, c)
			}
		}
	}
	checkM := func(where string, ms []Matcher) {
		if len(ms) == 0 {
			bad("%s：没有列出任何角色", where)
		}
		for _, m := range ms {
			switch {
			case !slices.Contains(Kinds, m.Kind):
				bad("%s：组织类型 %q 无效；可用：county, bureau, township, village", where, m.Kind)
			case !slices.Contains(Roles, m.Role):
				bad("%s：角色 %q 无效；可用：viewer, editor, reviewer, approver, admin", where, m.Role)
			case m.Org != "" && (m.Kind != Bureau || !seen[m.Org]):
				bad("%s：部门 %q 不在 bureaus 中", where, m.Org)
			case len(m.Ledger) > 0 && !strings.HasPrefix(where, "动作 "+string(FundsEdit)):
				bad("%s：ledger 只适用于动作 %s", where, FundsEdit)
			case slices.ContainsFunc(m.Ledger, func(k string) bool { return !slices.Contains(planning.RecordedKinds, k) }):
				bad("%s：资金台账类型 %v 无效；可用：%s（计划由项目的资金来源确定，随项目编辑）", where, m.Ledger, strings.Join(planning.RecordedKinds, "、"))
			case m.Scope != "" && m.Scope != "own" && m.Scope != "domain",
				m.Scope == "own" && m.Kind != Township && m.Kind != Village,
				m.Scope == "domain" && m.Kind != Bureau:
				bad("%s：范围 %q 不适用于 %s", where, m.Scope, m.Kind)
			}
		}
	}
	for a, ms := range p.Actions {
		if !slices.Contains(Actions, a) || a == Read || a == Move {
			bad("动作 %q 无效", a)
		}
		checkM("动作 "+string(a), ms)
	}
	for _, a := range Actions {
		if _, ok := p.Actions[a]; !ok && a != Read && a != Move {
			bad("动作 %q 没有配置", a)
		}
	}
	for _, s := range p.Lifecycle {
		if s.From != "*" && !slices.Contains(planning.States, s.From) || !slices.Contains(planning.States, s.To) {
			bad("流程步骤 %s → %s：状态无效", s.From, s.To)
		}
		checkM("流程步骤 "+s.From+" → "+s.To, s.By)
	}
	if len(errs) > 0 {
		return planning.Errorf(planning.EInvalid, "权限配置有误：%s", strings.Join(errs, "；"))
	}
	return nil
}

// Bureau returns the bureau with code, or nil.
func (p *Policy) Bureau(code string) *Domain {
	for i := range p.Bureaus {
		if p.Bureaus[i].Code == code {
			return &p.Bureaus[i]
		}
	}
	return nil
}

// holds says whether g is of m's role and organisation, whatever the
// object.
func (m Matcher) holds(g Grant) bool {
	return g.Role == m.Role && g.Org.Kind == m.Kind && (m.Org == "" || g.Org.Code == m.Org)
}

// matches says whether g satisfies m for obj.
func (p *Policy) matches(g Grant, m Matcher, obj Object) bool {
	if !m.holds(g) {
		return false
	}
	if len(m.Ledger) > 0 && !slices.Contains(m.Ledger, obj.Ledger) {
		return false
	}
	switch m.Scope {
	case "own":
		if g.Org.Kind == Township {
			return obj.Township != "" && obj.Township == g.Org.Code
		}
		return obj.Village != "" && obj.Village == g.Org.Code
	case "domain":
		b := p.Bureau(g.Org.Code)
		return b != nil && (obj.Layer != "" && slices.Contains(b.Layers, obj.Layer) ||
			obj.Category != "" && slices.Contains(b.Categories, obj.Category))
	}
	return true
}

// Allow says whether pr may take action a on obj: nil, or an EForbidden
// error naming the roles that may (or EUnauthorized for no principal).
func (p *Policy) Allow(pr Principal, a Action, obj Object) error {
	if err := pr.scoped(a); err != nil {
		return err
	}
	if pr.System {
		return nil
	}
	if a == Read {
		if len(pr.Grants) > 0 {
			return nil
		}
		return planning.Errorf(planning.EForbidden, "没有权限：%s 没有任何角色，请联系管理员分配", pr.Name)
	}
	ms := p.Actions[a]
	for _, g := range pr.Grants {
		for _, m := range ms {
			if p.matches(g, m, obj) {
				return nil
			}
		}
	}
	return p.forbidden(pr, a.Title(), ms, obj)
}

// Could says whether pr may take action a on some object: the route-level
// check, made before the object is known. Scopes are not looked at; the
// store asks Allow or AllowMove with the object.
func (p *Policy) Could(pr Principal, a Action) error {
	if err := pr.scoped(a); err != nil {
		return err
	}
	if pr.System || a == Read && len(pr.Grants) > 0 {
		return nil
	}
	if a == Read {
		return p.Allow(pr, a, Object{})
	}
	var ms []Matcher
	if a == Move {
		for _, s := range p.Lifecycle {
			ms = append(ms, s.By...)
		}
	} else {
		ms = p.Actions[a]
	}
	for _, g := range pr.Grants {
		for _, m := range ms {
			if m.holds(g) {
				return nil
			}
		}
	}
	return p.forbidden(pr, a.Title(), ms, Object{})
}

// AllowMove says whether pr may move a project (obj) from one lifecycle
// state to another. Whether the state machine allows the move at all is
// planning.CheckTransition's question, asked first.
func (p *Policy) AllowMove(pr Principal, from, to string, obj Object) error {
	if err := pr.scoped(Move); err != nil {
		return err
	}
	var ms []Matcher
	independent := false
	for _, s := range p.Lifecycle {
		if (s.From == from || s.From == "*") && s.To == to {
			ms = append(ms, s.By...)
			independent = independent || s.Independent
		}
	}
	what := fmt.Sprintf("将项目从“%s”转为“%s”", from, to)
	if independent && obj.DeclaredBy != 0 && obj.DeclaredBy == pr.UserID {
		return planning.Errorf(planning.EForbidden, "不能%s：项目由 %s 本人申报，申报人不能审定自己申报的项目（不相容岗位分离）", what, pr.Name)
	}
	if pr.System {
		return nil
	}
	for _, g := range pr.Grants {
		for _, m := range ms {
			if p.matches(g, m, obj) {
				return nil
			}
		}
	}
	return p.forbidden(pr, what, ms, obj)
}

// ReadScope says which projects pr sees: all of them (a county or bureau
// role, the CLI), or only those of the townships and villages it holds
// roles in.
func (p *Policy) ReadScope(pr Principal) (all bool, townships, villages []string) {
	if pr.System {
		return true, nil, nil
	}
	for _, g := range pr.Grants {
		switch g.Org.Kind {
		case County, Bureau:
			return true, nil, nil
		case Township:
			townships = append(townships, g.Org.Code)
		case Village:
			villages = append(villages, g.Org.Code)
		}
	}
	return false, townships, villages
}

// LedgerScope says which projects' 资金台账 pr reads: all of them (the
// CLI, a county role, a bureau that records entries or applies plans for
// any category: 财政, 乡村振兴), or those of its bureaus' categories,
// townships and villages, whatever the role it holds there.
func (p *Policy) LedgerScope(pr Principal) (all bool, categories, townships, villages []string) {
	if pr.System {
		return true, nil, nil, nil
	}
	for _, g := range pr.Grants {
		switch g.Org.Kind {
		case County:
			return true, nil, nil, nil
		case Bureau:
			for _, m := range slices.Concat(p.Actions[FundsEdit], p.Actions[PlanApply]) {
				if m.Scope == "" && m.Kind == Bureau && (m.Org == "" || m.Org == g.Org.Code) {
					return true, nil, nil, nil
				}
			}
			if b := p.Bureau(g.Org.Code); b != nil {
				categories = append(categories, b.Categories...)
			}
		case Township:
			townships = append(townships, g.Org.Code)
		case Village:
			villages = append(villages, g.Org.Code)
		}
	}
	return false, categories, townships, villages
}

// InScope says whether pr's read scope covers a place.
func (p *Policy) InScope(pr Principal, township, village string) bool {
	all, ts, vs := p.ReadScope(pr)
	return all || township != "" && slices.Contains(ts, township) || village != "" && slices.Contains(vs, village)
}

// scoped refuses an action outside an API token's scopes.
func (pr Principal) scoped(a Action) error {
	if pr.Scopes != nil && !slices.Contains(pr.Scopes, a) {
		return planning.Errorf(planning.EForbidden, "没有权限：此 API 令牌的范围不含“%s”（%s）", a.Title(), a)
	}
	return nil
}

// forbidden is the 403 of an action: what was refused, which roles may do
// it, and which roles the user holds.
func (p *Policy) forbidden(pr Principal, what string, ms []Matcher, obj Object) error {
	var need []string
	for _, m := range ms {
		if d := p.describe(m, obj); !slices.Contains(need, d) {
			need = append(need, d)
		}
	}
	if len(need) == 0 {
		return planning.Errorf(planning.EForbidden, "没有权限：%s 不由任何角色办理", what)
	}
	return planning.Errorf(planning.EForbidden, "没有权限：%s 需要以下角色之一：%s；当前用户 %s",
		what, strings.Join(need, "、"), pr.Title())
}

// describe names the grants a matcher selects, e.g. "县交通运输局·审核" or
// "项目所在乡镇（430682101）·审核".
func (p *Policy) describe(m Matcher, obj Object) string {
	role := m.Role.Title()
	if len(m.Ledger) > 0 {
		role += "（" + strings.Join(m.Ledger, "/") + "）"
	}
	switch {
	case m.Org != "":
		if b := p.Bureau(m.Org); b != nil {
			return b.Name + "·" + role
		}
	case m.Scope == "own" && m.Kind == Township:
		return fmt.Sprintf("所在乡镇（%s）·%s", obj.Township, role)
	case m.Scope == "own":
		return fmt.Sprintf("所在村（%s）·%s", obj.Village, role)
	case m.Scope == "domain":
		var names []string
		for _, b := range p.Bureaus {
			if obj.Layer != "" && slices.Contains(b.Layers, obj.Layer) || obj.Category != "" && slices.Contains(b.Categories, obj.Category) {
				names = append(names, b.Name)
			}
		}
		if len(names) > 0 {
			return strings.Join(names, "或") + "·" + role
		}
		return "主管部门·" + role
	case m.Kind == County:
		return "县" + p.County.Name + "·" + role
	}
	return m.Kind.Title() + "·" + role
}
