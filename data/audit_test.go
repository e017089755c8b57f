package data_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
)

// auditLog is the test schema's whole chain, oldest first.
func auditLog(t *testing.T, db *datatest.DB) []audit.Entry {
	t.Helper()
	es, err := db.Store.AuditLog(datatest.Context(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// wantEntry is what one write must have appended.
type wantEntry struct {
	action, kind, id string // id "*": any (checked by the caller)
	actor            string // the actor column: login, or login（name）
	actorID          int64  // 0: NULL (the command line)
	via, addr        string
	// detail checks the entry's detail; it returns what is wrong, or "".
	detail func(d map[string]any) string
}

// path reads a nested field of a detail, e.g. path(d, "after", "name").
func path(d map[string]any, keys ...string) any {
	var v any = d
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// wantFields checks detail fields: key path (dot-separated) → value as
// fmt's %v prints it.
func wantFields(kv ...string) func(map[string]any) string {
	return func(d map[string]any) string {
		var bad []string
		for i := 0; i+1 < len(kv); i += 2 {
			if got := fmt.Sprint(path(d, strings.Split(kv[i], ".")...)); got != kv[i+1] {
				bad = append(bad, fmt.Sprintf("%s = %s, want %s", kv[i], got, kv[i+1]))
			}
		}
		return strings.Join(bad, "; ")
	}
}

// appended runs write and checks that it appended exactly the entry w.
func appended(t *testing.T, db *datatest.DB, name string, w wantEntry, write func() error) {
	t.Helper()
	before := len(auditLog(t, db))
	if err := write(); err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	es := auditLog(t, db)[before:]
	if len(es) != 1 {
		var got []string
		for _, e := range es {
			got = append(got, e.Action)
		}
		t.Errorf("%s appended %d entries %v, want 1 (%s)", name, len(es), got, w.action)
		if len(es) == 0 {
			return
		}
	}
	e := es[len(es)-1]
	var actorID int64
	if e.ActorID != nil {
		actorID = *e.ActorID
	}
	if e.Action != w.action || e.ObjectKind != w.kind || e.ObjectID != w.id && w.id != "*" || e.Actor != w.actor || actorID != w.actorID ||
		e.Via != w.via || e.Addr != w.addr {
		t.Errorf("%s: entry %s %s %s by %s (%d, %s, %s), want %s %s %s by %s (%d, %s, %s)", name,
			e.Action, e.ObjectKind, e.ObjectID, e.Actor, actorID, e.Via, e.Addr, w.action, w.kind, w.id, w.actor, w.actorID, w.via, w.addr)
	}
	if time.Since(e.At) > time.Minute || time.Since(e.At) < 0 {
		t.Errorf("%s: entry at %s", name, e.At)
	}
	var d map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Errorf("%s: detail %s: %v", name, e.Detail, err)
		return
	}
	if w.detail != nil {
		if bad := w.detail(d); bad != "" {
			t.Errorf("%s: detail %s: %s", name, e.Detail, bad)
		}
	}
}

// stateDigest digests what the writes of TestAuditEveryWrite change, to
// show that a refused or failed write changed nothing.
func stateDigest(t *testing.T, db *datatest.DB) string {
	t.Helper()
	var s string
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT concat_ws(' ',
		(SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY id), '')) FROM projects p),
		(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY id), '')) FROM project_transitions x),
		(SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY id), '')) FROM users u),
		(SELECT md5(coalesce(string_agg(g::text, '|' ORDER BY g::text), '')) FROM user_grants g),
		(SELECT md5(coalesce(string_agg(k::text, '|' ORDER BY id), '')) FROM api_tokens k),
		(SELECT count(*) FROM scoring_runs), (SELECT count(*) FROM roads), (SELECT count(*) FROM townships),
		(SELECT md5(coalesce(string_agg(code || coalesce(ST_AsText(office), '') || coalesce(location_source, ''), '|' ORDER BY code), '')) FROM villages),
		(SELECT md5(coalesce(string_agg(code || coalesce(profile::text, ''), '|' ORDER BY code), '')) FROM counties),
		(SELECT count(*) FROM sources),
		(SELECT coalesce(max(n), 0) FROM gapmap_audit.entries WHERE chain = current_schema()),
		(SELECT coalesce(n, 0) FROM gapmap_audit.heads WHERE chain = current_schema()))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// roadsFile writes a GeoJSON file of one road near (lon, lat).
func roadsFile(t *testing.T, lon, lat float64, grade string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "roads.geojson")
	gj := fmt.Sprintf(`{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "审计路", "grade": %q},
		"geometry": {"type": "LineString", "coordinates": [[%f, %f], [%f, %f]]}}]}`, grade, lon, lat, lon+0.01, lat+0.005)
	if err := os.WriteFile(p, []byte(gj), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuditEveryWrite makes each kind of write and checks its entry: the
// actor (the user, or the command line's), the action, the object and the
// before/after of what changed. A write that fails, or has no principal,
// appends nothing and changes nothing.
func TestAuditEveryWrite(t *testing.T) {
	db := datatest.NewDemo(t)
	cli := datatest.Context()
	es := auditLog(t, db)
	if len(es) != 1 || es[0].Action != "layer.generate" || es[0].ObjectID != "demo:430682" || es[0].Actor != "test" || es[0].Via != "cli" ||
		es[0].ActorID != nil {
		t.Fatalf("the demo load's entry: %+v, want one layer.generate by test on the command line", es)
	}
	var village, township, townshipName, name, township2 string
	var lon, lat float64
	if err := db.Pool.QueryRow(cli, `SELECT v.code, v.township_code, t.name, v.name, ST_X(v.office), ST_Y(v.office),
			(SELECT min(code) FROM townships WHERE code <> v.township_code)
		FROM villages v JOIN townships t ON t.code = v.township_code
		WHERE v.kind = '行政村' AND v.office IS NOT NULL ORDER BY v.code LIMIT 1`).Scan(&village, &township, &townshipName, &name, &lon, &lat, &township2); err != nil {
		t.Fatal(err)
	}
	county := township[:6]

	// clerk holds every role the writes below need; its principal is a
	// session's, from an address.
	ops := access.WithPrincipal(context.Background(), access.CLI("ops"))
	if _, err := db.Store.CreateUser(ops, "clerk", "办事员", ""); err != nil {
		t.Fatal(err)
	}
	var clerk access.User
	for _, g := range []grantOf{{access.County, county, access.Admin}, {access.County, county, access.Approver},
		{access.Bureau, "交通", access.Editor}, {access.Bureau, "乡村振兴", access.Editor}, {access.Township, township, access.Editor}} {
		org, err := db.Store.Org(cli, access.Default(), g.kind, g.code)
		if err != nil {
			t.Fatal(err)
		}
		if clerk, err = db.Store.SetGrant(ops, "clerk", org, g.role, true); err != nil {
			t.Fatal(err)
		}
	}
	ctx := access.WithPrincipal(context.Background(), access.Principal{UserID: clerk.ID, Login: "clerk", Name: "办事员", Via: "session",
		Grants: clerk.Grants, Addr: "192.0.2.44"})
	byClerk := func(action, kind, id string, detail func(map[string]any) string) wantEntry {
		return wantEntry{action: action, kind: kind, id: id, actor: "clerk（办事员）", actorID: clerk.ID, via: "session", addr: "192.0.2.44", detail: detail}
	}
	byOps := func(action, id string, detail func(map[string]any) string) wantEntry {
		return wantEntry{action: action, kind: "user", id: id, actor: "ops", via: "cli", detail: detail}
	}
	profile := planning.DefaultProfile()

	// Layers and the county.
	appended(t, db, "county init", byClerk("county.init", "county", county, nil), func() error {
		_, err := db.Store.InitCounty(ctx, county, false)
		return err
	})
	appended(t, db, "county profile", byClerk("county.profile", "county", county, wantFields("after.name", "审计县")), func() error {
		return db.Store.SetCountyOverrides(ctx, []byte(`{"name": "审计县"}`))
	})
	appended(t, db, "village locate", byClerk("village.locate", "village", village, func(d map[string]any) string {
		before, after := fmt.Sprint(path(d, "before", "office")), fmt.Sprint(path(d, "after", "office"))
		if !strings.HasPrefix(before, "POINT(") || !strings.HasPrefix(after, "POINT(") || before == after || path(d, "after", "location_source") != planning.LocationMap {
			return "want the office before and after and location_source map"
		}
		return ""
	}), func() error {
		return db.Store.LocateVillage(ctx, village, orb.Point{lon + 0.001, lat}, planning.LocationMap)
	})
	if _, err := db.Pool.Exec(cli, `UPDATE villages SET office = NULL, location_source = NULL WHERE code = $1`, village); err != nil {
		t.Fatal(err)
	}
	appended(t, db, "village locate by name", byClerk("village.locate_batch", "layer", "villages", func(d map[string]any) string {
		placed, _ := path(d, "placed").([]any)
		if len(placed) != 1 || !strings.Contains(fmt.Sprint(placed[0]), village) {
			return "want the one village placed"
		}
		return ""
	}), func() error {
		rep, err := db.Store.LocateByName(ctx, []planning.NamedPoint{{Row: 1, Name: name, Township: townshipName, Point: orb.Point{lon, lat}}}, planning.LocationNameMatch+"村委会.csv", false)
		if err == nil && len(rep.Located) != 1 {
			err = fmt.Errorf("located %d", len(rep.Located))
		}
		return err
	})
	appended(t, db, "import", byClerk("layer.import", "layer", "roads", wantFields("inserted", "1", "file", "roads.geojson")), func() error {
		rep, err := db.Store.Import(ctx, roadsFile(t, lon, lat, "村道"), planning.ImportOptions{Layer: "roads"})
		if err == nil && !rep.Committed {
			err = fmt.Errorf("import not committed: %s", rep.Message)
		}
		return err
	})

	// Scoring, the library, plans.
	var run planning.Run
	appended(t, db, "scoring run", byClerk("run.create", "run", "1", wantFields("profile", profile.Name)), func() error {
		var err error
		run, _, err = planning.Score(ctx, db.Store, profile, asOf2016, true, nil)
		return err
	})
	appended(t, db, "generate", byClerk("projects.generate", "library", "projects", func(d map[string]any) string {
		if fmt.Sprint(path(d, "run_id")) != fmt.Sprint(run.ID) || fmt.Sprint(path(d, "added")) == "0" {
			return "want the run and the projects added"
		}
		return ""
	}), func() error {
		_, err := planning.Generate(ctx, db.Store, profile, 0, false)
		return err
	})
	var p planning.Project
	appended(t, db, "project create", byClerk("project.create", "project", "*", nil), func() error {
		var err error
		p, err = db.Store.CreateProject(ctx, planning.Project{Name: "审计项目", Category: planning.CatRoad, Nature: "新建",
			TownshipCode: township, VillageCode: village, CostWan: 30,
			Targets: []planning.Target{{Level1: "产出指标", Level2: "数量指标", Level3: "里程", Value: "1 km"}}})
		return err
	})
	id := fmt.Sprint(p.ID)
	if es := auditLog(t, db); es[len(es)-1].ObjectID != id || !strings.Contains(string(es[len(es)-1].Detail), `"name": "审计项目"`) {
		t.Errorf("project create: entry about %s with %s, want project %s with its row after", es[len(es)-1].ObjectID, es[len(es)-1].Detail, id)
	}
	appended(t, db, "project update", byClerk("project.update", "project", id, func(d map[string]any) string {
		if bad := wantFields("before.name", "审计项目", "after.name", "审计项目（改）", "before.cost_wan", "30", "after.cost_wan", "35")(d); bad != "" {
			return bad
		}
		if path(d, "before", "category") != nil || path(d, "after", "category") != nil {
			return "an unchanged field (category) is listed"
		}
		return ""
	}), func() error {
		q := p
		q.Name, q.CostWan = "审计项目（改）", 35
		_, err := db.Store.UpdateProject(ctx, q)
		return err
	})
	appended(t, db, "transition", byClerk("project.move", "project", id, wantFields("before.status", "需求摸底", "after.status", "村级申报")), func() error {
		_, err := db.Store.Transition(ctx, p.ID, planning.StateVillage, "")
		return err
	})
	appended(t, db, "plan apply", byClerk("plan.apply", "library", "projects", func(d map[string]any) string {
		if n, _ := path(d, "projects").(float64); n == 0 {
			return "want the number of projects planned"
		}
		return ""
	}), func() error {
		_, err := planning.MakePlan(ctx, db.Store, profile, planning.PlanRequest{Years: []int{2017}, Budgets: map[string]float64{"2017": 500}, Apply: true})
		return err
	})
	gone, err := db.Store.CreateProject(cli, planning.Project{Name: "待删除", Category: planning.CatRoad, Nature: "新建", TownshipCode: township})
	if err != nil {
		t.Fatal(err)
	}
	appended(t, db, "project delete", byClerk("project.delete", "project", fmt.Sprint(gone.ID), wantFields("before.name", "待删除")), func() error {
		return db.Store.DeleteProject(ctx, gone.ID)
	})

	// Accounts, as the command line.
	noSecret := func(secrets ...string) func(map[string]any) string {
		return func(d map[string]any) string {
			b, _ := json.Marshal(d)
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					return "the detail holds a secret"
				}
			}
			return ""
		}
	}
	appended(t, db, "user create", byOps("user.create", "alice", func(d map[string]any) string {
		if bad := wantFields("after.login", "alice", "after.password", "true")(d); bad != "" {
			return bad
		}
		return noSecret("first-password-1", "argon2")(d)
	}), func() error {
		_, err := db.Store.CreateUser(ops, "alice", "爱丽丝", "first-password-1")
		return err
	})
	org, err := db.Store.Org(cli, access.Default(), access.Bureau, "水利")
	if err != nil {
		t.Fatal(err)
	}
	appended(t, db, "grant", byOps("user.grant", "alice", wantFields("org.code", "水利", "role", "editor", "changed", "true")), func() error {
		_, err := db.Store.SetGrant(ops, "alice", org, access.Editor, true)
		return err
	})
	appended(t, db, "revoke", byOps("user.revoke", "alice", wantFields("org.code", "水利", "role", "editor", "changed", "true")), func() error {
		_, err := db.Store.SetGrant(ops, "alice", org, access.Editor, false)
		return err
	})
	appended(t, db, "password", byOps("user.password", "alice", noSecret("second-password-2", "argon2")), func() error {
		return db.Store.SetPassword(ops, "alice", "second-password-2")
	})
	var secret string
	var tok access.Token
	appended(t, db, "token create", byOps("token.create", "alice", func(d map[string]any) string {
		if bad := wantFields("name", "夜间同步", "scopes", "[read]")(d); bad != "" {
			return bad
		}
		return noSecret(strings.TrimPrefix(secret, "gm_"))(d)
	}), func() error {
		var err error
		secret, tok, err = db.Store.CreateToken(ops, "alice", "夜间同步", []access.Action{access.Read}, nil)
		return err
	})
	appended(t, db, "token revoke", byOps("token.revoke", "alice", wantFields("token_id", fmt.Sprint(tok.ID))), func() error {
		return db.Store.RevokeToken(ops, tok.ID)
	})
	appended(t, db, "disable", byOps("user.disable", "alice", wantFields("before.disabled", "false", "after.disabled", "true")), func() error {
		return db.Store.SetDisabled(ops, "alice", true)
	})
	// The lockout is recorded as the locked account, from the guesser's
	// address.
	bob, err := db.Store.CreateUser(ops, "bob", "鲍勃", "bobs-password-1")
	if err != nil {
		t.Fatal(err)
	}
	guesser := access.Client{Addr: "203.0.113.5", UserAgent: "curl"}
	for i := 1; i < access.MaxFailures; i++ {
		if _, _, err := db.Store.Login(context.Background(), "bob", "wrong-guess", guesser, access.DefaultSessionTimes); planning.ErrorCode(err) != planning.EUnauthorized {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	appended(t, db, "lockout", wantEntry{action: "user.lock", kind: "user", id: "bob", actor: "bob", actorID: bob.ID, via: "login", addr: "203.0.113.5",
		detail: wantFields("failures", fmt.Sprint(access.MaxFailures))}, func() error {
		_, _, err := db.Store.Login(context.Background(), "bob", "wrong-guess", guesser, access.DefaultSessionTimes)
		if planning.ErrorCode(err) != planning.EUnauthorized {
			return fmt.Errorf("the locking attempt: %v", err)
		}
		return nil
	})

	// Writes that fail append nothing and change nothing.
	// other is 水利's, in another township: clerk may not edit it.
	other, err := db.Store.CreateProject(cli, planning.Project{Name: "他乡项目", Category: planning.CatWater, Nature: "新建", TownshipCode: township2})
	if err != nil {
		t.Fatal(err)
	}
	viewerCtx := access.WithPrincipal(context.Background(), access.Principal{UserID: clerk.ID + 1000, Login: "viewer", Name: "viewer", Via: "session",
		Grants: []access.Grant{{Org: access.Org{Kind: access.County, Code: county}, Role: access.Viewer}}})
	failing := []struct {
		name  string
		write func(ctx context.Context) error
	}{
		{"create with an unknown township", func(ctx context.Context) error {
			_, err := db.Store.CreateProject(ctx, planning.Project{Name: "坏", Category: planning.CatRoad, Nature: "新建", TownshipCode: "999999999"})
			return err
		}},
		{"update outside the editor's domain", func(ctx context.Context) error {
			q := other
			q.Name = "越权"
			_, err := db.Store.UpdateProject(ctx, q)
			return err
		}},
		{"delete after declaration", func(ctx context.Context) error { return db.Store.DeleteProject(ctx, p.ID) }},
		{"a skipped lifecycle step", func(ctx context.Context) error {
			_, err := db.Store.Transition(ctx, p.ID, planning.StateInLibrary, "")
			return err
		}},
		{"a refused import (bad grade)", func(ctx context.Context) error {
			rep, err := db.Store.Import(ctx, roadsFile(t, lon, lat, "天路"), planning.ImportOptions{Layer: "roads"})
			if err == nil && !rep.Committed {
				return errors.New("refused")
			}
			return err
		}},
		{"locate outside the county", func(ctx context.Context) error {
			return db.Store.LocateVillage(ctx, village, orb.Point{lon + 3, lat}, planning.LocationMap)
		}},
		{"a short password", func(ctx context.Context) error { return db.Store.SetPassword(ctx, "alice", "short") }},
		{"a taken login", func(ctx context.Context) error {
			_, err := db.Store.CreateUser(ctx, "alice", "again", "")
			return err
		}},
		{"revoke an unknown token", func(ctx context.Context) error { return db.Store.RevokeToken(ctx, 999999) }},
	}
	for _, f := range failing {
		before := stateDigest(t, db)
		if err := f.write(ctx); err == nil {
			t.Errorf("%s: no error", f.name)
		}
		if after := stateDigest(t, db); after != before {
			t.Errorf("%s: a failed write changed the database or the chain:\n%s\n%s", f.name, before, after)
		}
	}
	before := stateDigest(t, db)
	if _, err := db.Store.Transition(viewerCtx, p.ID, planning.StateTownship, ""); planning.ErrorCode(err) != planning.EForbidden {
		t.Errorf("a viewer's move: %v, want forbidden", err)
	}
	if after := stateDigest(t, db); after != before {
		t.Errorf("a refused move changed the database or the chain")
	}

	// No principal: every write fails, writes nothing, appends nothing.
	anon := context.Background()
	_, live, err := db.Store.CreateToken(ops, "bob", "脚本", []access.Action{access.Read}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nobody := []struct {
		name  string
		write func() error
	}{
		{"county init", func() error { _, err := db.Store.InitCounty(anon, county, false); return err }},
		{"county profile", func() error { return db.Store.SetCountyOverrides(anon, []byte(`{}`)) }},
		{"village locate", func() error { return db.Store.LocateVillage(anon, village, orb.Point{lon, lat}, planning.LocationMap) }},
		{"village locate by name", func() error {
			_, err := db.Store.LocateByName(anon, []planning.NamedPoint{{Row: 1, Name: name, Township: townshipName, Point: orb.Point{lon, lat}}}, "x.csv", false)
			return err
		}},
		{"import", func() error {
			_, err := db.Store.Import(anon, roadsFile(t, lon, lat, "村道"), planning.ImportOptions{Layer: "roads"})
			return err
		}},
		{"scoring run", func() error { _, _, err := planning.Score(anon, db.Store, profile, asOf2016, true, nil); return err }},
		{"generate", func() error { _, err := planning.Generate(anon, db.Store, profile, 0, true); return err }},
		{"plan apply", func() error {
			_, err := planning.MakePlan(anon, db.Store, profile, planning.PlanRequest{Years: []int{2018}, Budgets: map[string]float64{"2018": 900}, Apply: true})
			return err
		}},
		{"project create", func() error {
			_, err := db.Store.CreateProject(anon, planning.Project{Name: "无人", Category: planning.CatRoad, Nature: "新建"})
			return err
		}},
		{"project update", func() error { _, err := db.Store.UpdateProject(anon, other); return err }},
		{"project delete", func() error { return db.Store.DeleteProject(anon, other.ID) }},
		{"transition", func() error { _, err := db.Store.Transition(anon, other.ID, planning.StateVillage, ""); return err }},
		{"demo load", func() error { _, err := db.Store.LoadDemo(anon, datatest.Demo()); return err }},
		{"user create", func() error { _, err := db.Store.CreateUser(anon, "carol", "卡罗尔", "carols-password"); return err }},
		{"grant", func() error { _, err := db.Store.SetGrant(anon, "bob", org, access.Editor, true); return err }},
		{"password", func() error { return db.Store.SetPassword(anon, "bob", "another-password") }},
		{"disable", func() error { return db.Store.SetDisabled(anon, "bob", true) }},
		{"token create", func() error {
			_, _, err := db.Store.CreateToken(anon, "bob", "x", []access.Action{access.Read}, nil)
			return err
		}},
		{"token revoke", func() error { return db.Store.RevokeToken(anon, live.ID) }},
	}
	for _, w := range nobody {
		before := stateDigest(t, db)
		err := w.write()
		if planning.ErrorCode(err) != planning.EUnauthorized || !strings.Contains(planning.ErrorMessage(err), "操作人") {
			t.Errorf("%s without a principal: %v, want unauthorized (写入须有操作人)", w.name, err)
		}
		if after := stateDigest(t, db); after != before {
			t.Errorf("%s without a principal changed the database or the chain:\n%s\n%s", w.name, before, after)
		}
	}

	rep, err := db.Store.VerifyAudit(cli)
	if err != nil || !rep.OK || rep.Entries != len(auditLog(t, db)) {
		t.Errorf("the chain after every write kind: %+v (%v)", rep, err)
	}
}

// TestAuditAppendOnly: the application's role may read the trail and
// append through gapmap_audit.append, nothing else.
func TestAuditAppendOnly(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	var role string
	var super bool
	if err := db.Pool.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super); err != nil {
		t.Fatal(err)
	}
	if super {
		t.Fatalf("the tests connect as %s, a superuser: the audit trail's permissions cannot be tested", role)
	}
	before := stateDigest(t, db)
	for _, q := range []string{
		`UPDATE gapmap_audit.entries SET actor = 'mallory' WHERE chain = current_schema()`,
		`DELETE FROM gapmap_audit.entries WHERE chain = current_schema()`,
		`TRUNCATE gapmap_audit.entries`,
		`INSERT INTO gapmap_audit.entries SELECT * FROM gapmap_audit.entries WHERE chain = current_schema() LIMIT 1`,
		`DROP TABLE gapmap_audit.entries`,
		`ALTER TABLE gapmap_audit.entries DISABLE TRIGGER entries_append_only`,
		`ALTER TABLE gapmap_audit.entries OWNER TO ` + pgx.Identifier{role}.Sanitize(),
		`UPDATE gapmap_audit.heads SET n = 0 WHERE chain = current_schema()`,
		`DELETE FROM gapmap_audit.heads WHERE chain = current_schema()`,
		`TRUNCATE gapmap_audit.heads`,
		`INSERT INTO gapmap_audit.heads VALUES ('forged', 1, '\x00')`,
		`DROP TABLE gapmap_audit.heads`,
		`ALTER TABLE gapmap_audit.heads ADD COLUMN x int`,
		`CREATE TABLE gapmap_audit.shadow (n int)`,
		`CREATE OR REPLACE FUNCTION gapmap_audit.canonical(e gapmap_audit.entries) RETURNS text LANGUAGE sql AS 'SELECT ''x'''`,
		`DROP FUNCTION gapmap_audit.append(text, bigint, text, text, text, text, text, text, jsonb)`,
		`SET ROLE gapmap_audit`,
	} {
		_, err := db.Pool.Exec(ctx, q)
		var pe *pgconn.PgError
		// 42501 insufficient_privilege; 42501 also for SET ROLE to a
		// role one is not a member of.
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: %v, want a permission error (42501)", q, err)
		}
	}
	// GRANT by a non-owner is no error, only a warning that nothing was
	// granted: what matters is that the privilege is still missing.
	if _, err := db.Pool.Exec(ctx, `GRANT UPDATE, DELETE, TRUNCATE ON gapmap_audit.entries, gapmap_audit.heads TO `+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Logf("GRANT: %v", err)
	}
	var granted bool
	if err := db.Pool.QueryRow(ctx, `SELECT has_table_privilege('gapmap_audit.entries', 'UPDATE, DELETE, TRUNCATE, INSERT')
		OR has_table_privilege('gapmap_audit.heads', 'UPDATE, DELETE, TRUNCATE, INSERT')`).Scan(&granted); err != nil || granted {
		t.Errorf("the application role holds a write privilege on the trail (%v)", err)
	}
	if after := stateDigest(t, db); after != before {
		t.Errorf("the refused statements changed the chain")
	}
	if rep, err := db.Store.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Errorf("the chain after the refused statements: %+v (%v)", rep, err)
	}
}

// chainCopy is a copy of the test schema's chain in a table of the test
// schema, which the test may edit as an attacker with the owner's rights
// would edit the real one.
type chainCopy struct {
	db       *datatest.DB
	table    string
	chain    string
	headN    int64
	headHash []byte
}

func newChainCopy(t *testing.T, db *datatest.DB, table string) *chainCopy {
	t.Helper()
	ctx := datatest.Context()
	c := &chainCopy{db: db, table: table}
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE `+pgx.Identifier{table}.Sanitize()+` AS
		SELECT * FROM gapmap_audit.entries WHERE chain = current_schema()`); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT chain, n, hash FROM gapmap_audit.heads WHERE chain = current_schema()`).Scan(&c.chain, &c.headN, &c.headHash); err != nil {
		t.Fatal(err)
	}
	return c
}

// exec runs an attacker's statement on the copy; %s is its name.
func (c *chainCopy) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := c.db.Pool.Exec(datatest.Context(), fmt.Sprintf(q, pgx.Identifier{c.table}.Sanitize()), args...); err != nil {
		t.Fatal(err)
	}
}

// verify reads the copy as VerifyAudit reads the real chain (by n, each
// row's canonical text from gapmap_audit.canonical on the row as an entry)
// and checks it against the real chain's head.
func (c *chainCopy) verify(t *testing.T) audit.Report {
	t.Helper()
	rows, err := c.db.Pool.Query(datatest.Context(), `SELECT n, at, actor_id, actor, via, addr, action, object_kind, object_id, detail,
		prev_hash, hash, gapmap_audit.canonical(ROW(c.*)::gapmap_audit.entries) FROM `+pgx.Identifier{c.table}.Sanitize()+` c ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	es, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		err := r.Scan(&e.N, &e.At, &e.ActorID, &e.Actor, &e.Via, &e.Addr, &e.Action, &e.ObjectKind, &e.ObjectID, &e.Detail,
			&e.PrevHash, &e.Hash, &e.Canonical)
		return e, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return audit.Verify(c.chain, es, c.headN, c.headHash)
}

// TestAuditVerify: the real chain verifies; copies of it with one row
// edited, deleted, reordered, forged or re-hashed do not, and the report
// names the entry.
func TestAuditVerify(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	for i := 0; i < 5; i++ {
		if _, err := db.Store.CreateProject(ctx, planning.Project{Name: fmt.Sprintf("链上项目%d", i), Category: planning.CatRoad, Nature: "新建"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := db.Store.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var head []byte
	if err := db.Pool.QueryRow(ctx, `SELECT hash FROM gapmap_audit.heads WHERE chain = current_schema()`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != 6 || rep.Chain != db.Schema || rep.Head != fmt.Sprintf("%x", head) || len(rep.Problems) != 0 {
		t.Fatalf("the real chain: %+v, want OK with 6 entries and head %x", rep, head)
	}
	if rep := newChainCopy(t, db, "untouched").verify(t); !rep.OK {
		t.Fatalf("an untouched copy read through gapmap_audit.canonical: %+v", rep)
	}

	cases := []struct {
		name   string
		tamper []string // statements; %s is the copy
		// problems must each match one of the report's, in order.
		problems []string
	}{
		{"one row's detail edited", []string{`UPDATE %s SET detail = jsonb_set(detail, '{after,name}', '"改过的名字"') WHERE n = 3`},
			[]string{`^第 3 条（.*project\.create.*）的内容与哈希不符`}},
		{"one row's actor edited", []string{`UPDATE %s SET actor = 'someone-else' WHERE n = 2`},
			[]string{`^第 2 条.*内容与哈希不符`}},
		{"a middle row deleted", []string{`DELETE FROM %s WHERE n = 3`},
			[]string{`^第 4 条之前缺少 1 条记录`, `^第 4 条的前序哈希与上一条不符`}},
		{"the last row deleted", []string{`DELETE FROM %s WHERE n = 6`},
			[]string{`^链尾记录为第 5 条，但链头登记为第 6 条`}},
		{"two rows' n swapped", []string{`UPDATE %s SET n = CASE n WHEN 4 THEN 5 ELSE 4 END WHERE n IN (4, 5)`},
			[]string{`^第 4 条的前序哈希与上一条不符`, `^第 4 条.*内容与哈希不符`, `^第 5 条的前序哈希与上一条不符`, `^第 5 条.*内容与哈希不符`, `^第 6 条的前序哈希`}},
		{"an edit re-hashed without the next row", []string{`UPDATE %s SET detail = '{"forged": true}' WHERE n = 3`,
			`UPDATE %s c SET hash = sha256(c.prev_hash || convert_to(gapmap_audit.canonical(ROW(c.*)::gapmap_audit.entries), 'UTF8')) WHERE c.n = 3`},
			[]string{`^第 4 条的前序哈希与上一条不符`}},
		{"a forged entry appended with a right hash", []string{`INSERT INTO %s SELECT chain, n + 1, at, actor_id, actor, via, addr, action, object_kind,
			object_id, detail, hash, sha256(hash || convert_to(gapmap_audit.canonical(ROW(chain, n + 1, at, actor_id, actor, via, addr, action,
			object_kind, object_id, detail, hash, NULL)::gapmap_audit.entries), 'UTF8')) FROM %[1]s WHERE n = 6`},
			[]string{`^链尾记录为第 7 条，但链头登记为第 6 条`}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := newChainCopy(t, db, fmt.Sprintf("chain_copy_%d", i))
			for _, q := range c.tamper {
				cp.exec(t, q)
			}
			rep := cp.verify(t)
			if rep.OK {
				t.Fatalf("Verify passed a chain with %s", c.name)
			}
			if len(rep.Problems) != len(c.problems) {
				t.Errorf("%d problems, want %d:\n%s", len(rep.Problems), len(c.problems), strings.Join(rep.Problems, "\n"))
			}
			for j, want := range c.problems {
				if j >= len(rep.Problems) || !regexp.MustCompile(want).MatchString(rep.Problems[j]) {
					t.Errorf("problem %d: want %q in:\n%s", j+1, want, strings.Join(rep.Problems, "\n"))
				}
			}
		})
	}
	// The real chain is untouched by all this.
	if rep, err := db.Store.VerifyAudit(ctx); err != nil || !rep.OK || rep.Entries != 6 {
		t.Errorf("the real chain after the copies: %+v (%v)", rep, err)
	}
	// The hash is SHA-256 over the previous hash and the canonical text.
	es := auditLog(t, db)
	sum := sha256.Sum256(append(append([]byte{}, es[1].PrevHash...), es[1].Canonical...))
	if string(sum[:]) != string(es[1].Hash) || string(es[1].PrevHash) != string(es[0].Hash) {
		t.Errorf("entry 2's hash is not sha256(entry 1's hash || canonical)")
	}
}
