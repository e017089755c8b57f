package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// demoOptions are the flags of `gapmap demo`.
type demoOptions struct {
	LoadOnly bool // load the demo county and exit
}

func demoFlags(fs *flag.FlagSet, o *demoOptions) func() error {
	fs.BoolVar(&o.LoadOnly, "load-only", false, "load the demo county and exit without serving")
	return nil
}

// serveDemo runs `gapmap demo`: it loads the demo county, then serves it.
func serveDemo(ctx context.Context, a app, o demoOptions) error {
	// Generated once: the county is loaded and its code names the
	// accounts' county.
	county := demo.Generate()
	if err := loadDemo(ctx, a.store, county, a.stdout); err != nil {
		return err
	}
	if err := demoAccounts(ctx, a.store, a.cfg.Policy, county.Code, a.stdout); err != nil {
		return err
	}
	if o.LoadOnly {
		return nil
	}
	return serve(ctx, a)
}

// loadDemo migrates the database and loads, scores and plans the demo
// county unless it is loaded already.
func loadDemo(ctx context.Context, store *data.Store, county *demo.County, stdout io.Writer) error {
	if err := migrateFirst(ctx, store); err != nil {
		return err
	}
	loaded, err := store.LoadDemo(ctx, county)
	if err != nil {
		return fmt.Errorf("load demo county into %s: %w", store.Target(), err)
	}
	state := "already loaded"
	if loaded {
		state = "loaded"
	}
	fmt.Fprintf(stdout, "demo county %s %s (%s, version %s; geometry is synthetic)\n", county.Name, state, county.Code, data.DemoVersion(county))
	if !loaded {
		return nil
	}
	// The demo is the county as its 2016 plan saw it: score it as of then,
	// with its own profile (临湘's plan targets).
	p, err := loadProfile(ctx, store, "")
	if err != nil {
		return err
	}
	run, _, err := planning.Score(ctx, store, p, demo.BaselineDate, true, nil)
	if err != nil {
		return fmt.Errorf("score demo county: %w", err)
	}
	fmt.Fprintf(stdout, "demo county scored: run %d, %d villages, as of %s\n", run.ID, run.Villages, run.AsOf.Format(time.DateOnly))
	rep, err := planning.Generate(ctx, store, p, run.ID, false)
	if err != nil {
		return fmt.Errorf("generate the demo's 项目库: %w", err)
	}
	fmt.Fprintf(stdout, "demo 项目库: %d candidate projects, %.2f 万元\n", rep.Candidates, rep.CostWan)
	return nil
}

// DemoPassword is the password of every demo account: the demo is for
// trying each role's view, on a machine of one's own.
const DemoPassword = "demo-password-2026"

// demoAccount is one account the demo creates: its login, name and roles.
type demoAccount struct {
	login, name string
	kind        access.Kind
	code        string // "" : the demo's township or village, found below
	roles       []access.Role
}

// demoAccounts creates, unless they exist, one account per role of the
// lifecycle, and prints them: a township and a village of the first poor
// village, its bureaus, the approvers, an admin and a guest.
func demoAccounts(ctx context.Context, store *data.Store, pol *access.Policy, countyCode string, stdout io.Writer) error {
	vs, err := store.Villages(ctx, planning.VillageFilter{PoorOnly: true, Limit: planning.MaxPageSize})
	if err != nil {
		return err
	}
	if len(vs.Villages) == 0 {
		return fmt.Errorf("demo accounts: the demo county has no poor village")
	}
	first := vs.Villages[0]
	for _, v := range vs.Villages {
		if v.Code < first.Code {
			first = v
		}
	}
	accounts := []demoAccount{
		{"admin", "县管理员", access.County, countyCode, []access.Role{access.Admin}},
		{"xczx", "县乡村振兴局（审定、入库）", access.Bureau, "乡村振兴", []access.Role{access.Editor, access.Approver}},
		{"jiaotong", "县交通运输局", access.Bureau, "交通", []access.Role{access.Editor, access.Reviewer}},
		{"shuili", "县水利局", access.Bureau, "水利", []access.Role{access.Editor, access.Reviewer}},
		{"dianli", "县供电公司", access.Bureau, "电力", []access.Role{access.Editor, access.Reviewer}},
		{"caizheng", "县财政局", access.Bureau, "财政", []access.Role{access.Approver}},
		{"xiangzhen", first.TownshipName, access.Township, first.TownshipCode, []access.Role{access.Editor, access.Reviewer}},
		{"cun", first.Name, access.Village, first.Code, []access.Role{access.Editor}},
		{"guest", "访客（只读）", access.County, countyCode, []access.Role{access.Viewer}},
	}
	fmt.Fprintf(stdout, "demo accounts (password %s):\n", DemoPassword)
	for _, d := range accounts {
		org, err := store.Org(ctx, pol, d.kind, d.code)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", d.login, err)
		}
		u, err := store.User(ctx, d.login)
		if planning.ErrorCode(err) == planning.ENotFound {
			u, err = store.CreateUser(ctx, d.login, d.name, DemoPassword)
		}
		if err != nil {
			return fmt.Errorf("demo account %s: %w", d.login, err)
		}
		var titles []string
		for _, r := range d.roles {
			g := access.Grant{Org: org, Role: r}
			// Granted once: a restart of the demo leaves the audit trail alone.
			if !slices.ContainsFunc(u.Grants, func(h access.Grant) bool { return h.Org.Kind == g.Org.Kind && h.Org.Code == g.Org.Code && h.Role == r }) {
				if _, err := store.SetGrant(ctx, d.login, org, r, true); err != nil {
					return fmt.Errorf("demo account %s: %w", d.login, err)
				}
			}
			titles = append(titles, g.Title())
		}
		fmt.Fprintf(stdout, "  %-10s %s\n", d.login, strings.Join(titles, "、"))
	}
	return nil
}
