package access_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

func grant(kind access.Kind, code string, role access.Role) access.Grant {
	return access.Grant{Org: access.Org{Kind: kind, Code: code, Name: code}, Role: role}
}

func user(id int64, gs ...access.Grant) access.Principal {
	return access.Principal{UserID: id, Login: "u", Name: "u", Via: "session", Grants: gs}
}

// TestDefaultPolicyCoversEveryMove: every move the state machine allows
// has someone who may take it, so no project can get stuck for want of a
// role.
func TestDefaultPolicyCoversEveryMove(t *testing.T) {
	pol := access.Default()
	for _, from := range planning.States {
		for _, to := range planning.Moves(planning.Project{Status: from}) {
			covered := false
			for _, s := range pol.Lifecycle {
				if (s.From == from || s.From == "*") && s.To == to && len(s.By) > 0 {
					covered = true
				}
			}
			if !covered {
				t.Errorf("%s → %s: no lifecycle step in default.json", from, to)
			}
		}
	}
	// And every category is 论证'd by some bureau.
	for _, c := range planning.Categories {
		if !slices.ContainsFunc(pol.Bureaus, func(b access.Domain) bool { return slices.Contains(b.Categories, c) }) {
			t.Errorf("category %s: no bureau", c)
		}
	}
}

// TestLifecycleSteps walks the default steps by hand-written expectation.
func TestLifecycleSteps(t *testing.T) {
	pol := access.Default()
	road := access.Object{Category: planning.CatRoad, Township: "430682101", Village: "430682101201"}
	cases := []struct {
		name     string
		who      access.Principal
		from, to string
		obj      access.Object
		ok       bool
		msg      string
	}{
		{"village declares its own", user(1, grant(access.Village, "430682101201", access.Editor)), "需求摸底", "村级申报", road, true, ""},
		{"village declares another's", user(1, grant(access.Village, "430682101202", access.Editor)), "需求摸底", "村级申报", road, false, "所在村（430682101201）·编辑"},
		{"township declares for its village", user(2, grant(access.Township, "430682101", access.Editor)), "需求摸底", "村级申报", road, true, ""},
		{"township reviews its own", user(2, grant(access.Township, "430682101", access.Reviewer)), "村级申报", "乡镇审核", road, true, ""},
		{"township editor cannot review", user(2, grant(access.Township, "430682101", access.Editor)), "村级申报", "乡镇审核", road, false, "审核"},
		{"other township cannot review", user(2, grant(access.Township, "430682102", access.Reviewer)), "村级申报", "乡镇审核", road, false, "所在乡镇（430682101）·审核"},
		{"交通 reviews a road", user(3, grant(access.Bureau, "交通", access.Reviewer)), "乡镇审核", "县级论证", road, true, ""},
		{"水利 cannot review a road", user(3, grant(access.Bureau, "水利", access.Reviewer)), "乡镇审核", "县级论证", road, false, "县交通运输局·审核"},
		{"乡村振兴 approves", user(4, grant(access.Bureau, "乡村振兴", access.Approver)), "县级论证", "县级审定", road, true, ""},
		{"交通 approver cannot approve", user(4, grant(access.Bureau, "交通", access.Approver)), "县级论证", "县级审定", road, false, "县乡村振兴局·审定"},
		{"county approver enters the library", user(5, grant(access.County, "430682", access.Approver)), "县级审定", "已入库", road, true, ""},
		{"财政 schedules", user(6, grant(access.Bureau, "财政", access.Approver)), "已入库", "纳入年度计划", road, true, ""},
		{"财政 cannot withdraw", user(6, grant(access.Bureau, "财政", access.Approver)), "实施中", "已出库", road, false, "审定"},
		{"county approver withdraws", user(5, grant(access.County, "430682", access.Approver)), "实施中", "已出库", road, true, ""},
		{"viewer moves nothing", user(7, grant(access.County, "430682", access.Viewer)), "需求摸底", "村级申报", road, false, "查看"},
		{"the CLI may", access.CLI("root"), "县级论证", "县级审定", road, true, ""},
	}
	for _, c := range cases {
		err := pol.AllowMove(c.who, c.from, c.to, c.obj)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if err != nil {
			if planning.ErrorCode(err) != planning.EForbidden || !strings.Contains(planning.ErrorMessage(err), c.msg) {
				t.Errorf("%s: %q, want a 403 naming %q", c.name, planning.ErrorMessage(err), c.msg)
			}
		}
	}
}

// TestSeparationOfDuties: the declarer cannot approve, whatever roles it
// holds; another approver can; steps that are not independent are open to
// the declarer.
func TestSeparationOfDuties(t *testing.T) {
	pol := access.Default()
	obj := access.Object{Category: planning.CatWater, Township: "430682101", DeclaredBy: 9}
	both := user(9, grant(access.Township, "430682101", access.Editor), grant(access.County, "430682", access.Approver))
	for _, step := range [][2]string{{"县级论证", "县级审定"}, {"县级审定", "已入库"}} {
		err := pol.AllowMove(both, step[0], step[1], obj)
		if planning.ErrorCode(err) != planning.EForbidden || !strings.Contains(planning.ErrorMessage(err), "申报人不能审定") {
			t.Errorf("declarer %s → %s: %v", step[0], step[1], err)
		}
		if err := pol.AllowMove(user(10, grant(access.County, "430682", access.Approver)), step[0], step[1], obj); err != nil {
			t.Errorf("another approver %s → %s: %v", step[0], step[1], err)
		}
	}
	if err := pol.AllowMove(both, "已入库", "纳入年度计划", obj); err != nil {
		t.Errorf("the declarer schedules: %v", err)
	}
	// Even the CLI's user does not approve what it declared itself.
	cli := access.CLI("root")
	cli.UserID = 9
	if err := pol.AllowMove(cli, "县级论证", "县级审定", obj); err == nil {
		t.Error("declarer through the CLI approved")
	}
}

// TestActionsAndScopes checks actions with objects, the route-level Could,
// read scope and token scopes.
func TestActionsAndScopes(t *testing.T) {
	pol := access.Default()
	jt := user(1, grant(access.Bureau, "交通", access.Editor))
	if err := pol.Allow(jt, access.LayerEdit, access.Object{Layer: "roads"}); err != nil {
		t.Errorf("交通 imports roads: %v", err)
	}
	if err := pol.Allow(jt, access.LayerEdit, access.Object{Layer: "water_mains"}); planning.ErrorCode(err) != planning.EForbidden ||
		!strings.Contains(planning.ErrorMessage(err), "县水利局·编辑") {
		t.Errorf("交通 imports water mains: %v", err)
	}
	if err := pol.Could(jt, access.LayerEdit); err != nil {
		t.Errorf("交通 could edit some layer: %v", err)
	}
	if err := pol.Could(jt, access.CountySetup); planning.ErrorCode(err) != planning.EForbidden {
		t.Errorf("交通 sets the county up: %v", err)
	}
	tw := user(2, grant(access.Township, "430682101", access.Editor))
	if err := pol.Allow(tw, access.LayerEdit, access.Object{Layer: "villages", Township: "430682101", Village: "430682101201"}); err != nil {
		t.Errorf("township locates its village: %v", err)
	}
	if err := pol.Allow(tw, access.LayerEdit, access.Object{Layer: "villages"}); err == nil {
		t.Error("township imports the whole villages layer")
	}
	if err := pol.Allow(tw, access.ProjectEdit, access.Object{Category: planning.CatRoad, Township: "430682102"}); err == nil {
		t.Error("township edits another township's project")
	}
	if all, ts, vs := pol.ReadScope(tw); all || !slices.Equal(ts, []string{"430682101"}) || vs != nil {
		t.Errorf("township read scope: %v %v %v", all, ts, vs)
	}
	if all, _, _ := pol.ReadScope(jt); !all {
		t.Error("a bureau reads only some projects")
	}
	if err := pol.Allow(user(3), access.Read, access.Object{}); planning.ErrorCode(err) != planning.EForbidden {
		t.Errorf("no grants reads: %v", err)
	}
	tok := jt
	tok.Scopes = []access.Action{access.Read}
	if err := pol.Could(tok, access.LayerEdit); planning.ErrorCode(err) != planning.EForbidden || !strings.Contains(planning.ErrorMessage(err), "令牌") {
		t.Errorf("read-only token edits: %v", err)
	}
	if err := pol.Could(tok, access.Read); err != nil {
		t.Errorf("read-only token reads: %v", err)
	}
}

func TestParseRefusesBadPolicies(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":   `{"bureau": []}`,
		"bad role":        strings.Replace(string(access.DefaultJSON()), `"role": "admin"`, `"role": "boss"`, 1),
		"bad state":       strings.Replace(string(access.DefaultJSON()), `"to": "乡镇审核"`, `"to": "乡里审核"`, 1),
		"bad bureau":      strings.Replace(string(access.DefaultJSON()), `"org": "乡村振兴"`, `"org": "扶贫办"`, 1),
		"bad scope":       strings.Replace(string(access.DefaultJSON()), `{"kind": "bureau", "role": "editor", "scope": "domain"}`, `{"kind": "bureau", "role": "editor", "scope": "own"}`, 1),
		"missing action":  strings.Replace(string(access.DefaultJSON()), `"plan.apply"`, `"plan.apply.x"`, 1),
		"bad ledger kind": strings.Replace(string(access.DefaultJSON()), `"ledger": ["下达", "到位", "拨付"]`, `"ledger": ["预算"]`, 1),
		// 计划 is the project's 资金来源, edited with the project: no grant records it.
		"a 计划 grant": strings.Replace(string(access.DefaultJSON()), `"ledger": ["下达", "到位", "拨付"]`, `"ledger": ["下达", "计划"]`, 1),
		"ledger outside funds.edit": strings.Replace(string(access.DefaultJSON()), `"county.setup": [{"kind": "county", "role": "admin"}]`,
			`"county.setup": [{"kind": "county", "role": "admin", "ledger": ["下达"]}]`, 1),
	} {
		if body == string(access.DefaultJSON()) {
			t.Fatalf("%s: the edit matched nothing in the default policy", name)
		}
		if _, err := access.Parse([]byte(body)); planning.ErrorCode(err) != planning.EInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := access.Parse(access.DefaultJSON()); err != nil {
		t.Fatal(err)
	}
}

func TestPasswords(t *testing.T) {
	h := access.HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !access.VerifyPassword(h, "correct horse battery") || access.VerifyPassword(h, "correct horse batterz") {
		t.Error("verify")
	}
	if h == access.HashPassword("correct horse battery") {
		t.Error("no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$bcrypt$xx", h[:len(h)-4]} {
		if access.VerifyPassword(bad, "correct horse battery") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
	if access.CheckPassword("short") == nil || access.CheckPassword("long enough password") != nil {
		t.Error("CheckPassword")
	}
}
