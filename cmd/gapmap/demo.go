package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
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
	if err := loadDemo(ctx, a.store, a.stdout); err != nil {
		return err
	}
	if o.LoadOnly {
		return nil
	}
	return serve(ctx, a)
}

// loadDemo migrates the database and loads, scores and plans the demo
// county unless it is loaded already.
func loadDemo(ctx context.Context, store *data.Store, stdout io.Writer) error {
	if err := migrateFirst(ctx, store); err != nil {
		return err
	}
	county := demo.Generate()
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
