package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/gapmap/gapmap/planning"
)

// asBuiltOptions are the flags of `gapmap projects asbuilt`.
type asBuiltOptions struct {
	Project int64
	Values  string // planning.AsBuilt as JSON
}

func asBuiltFlags(fs *flag.FlagSet, o *asBuiltOptions) func() error {
	fs.Int64Var(&o.Project, "project", 0, "the project's id")
	fs.StringVar(&o.Values, "values", "", `as-built values as JSON, e.g. {"width_m": 5, "completed_on": "2016-06-30"}`)
	return func() error {
		var errs []error
		if o.Project <= 0 {
			errs = append(errs, errors.New("--project is required"))
		}
		if o.Values == "" {
			errs = append(errs, errors.New("--values is required"))
		}
		return errors.Join(errs...)
	}
}

// asBuilt runs `gapmap projects asbuilt`: it stores what a project
// actually built, which its completion writes into the layers.
func asBuilt(ctx context.Context, a app, o asBuiltOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	var ab planning.AsBuilt
	dec := json.NewDecoder(strings.NewReader(o.Values))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ab); err != nil {
		return planning.Errorf(planning.EInvalid, "--values 不是有效的竣工实际值 JSON：%v", err)
	}
	p, err := a.store.SetAsBuilt(ctx, o.Project, ab)
	if err != nil {
		return err
	}
	out, err := json.Marshal(p.AsBuilt)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "项目 %d %s 竣工实际值：%s\n", p.ID, p.Name, out)
	return nil
}
