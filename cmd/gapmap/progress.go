package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
)

// progressOptions are the flags of `gapmap progress`.
type progressOptions struct {
	From, To    int
	ProfilePath string
	Out         string // FILE.xlsx; "" prints the table
}

func progressFlags(fs *flag.FlagSet, o *progressOptions) func() error {
	fs.IntVar(&o.From, "from", 2016, "first year")
	fs.IntVar(&o.To, "to", 2020, "last year")
	fs.StringVar(&o.ProfilePath, "profile", "", "county profile file (JSON) overriding the default thresholds and weights")
	fs.StringVar(&o.Out, "out", "", "write the table to FILE.xlsx instead of printing it")
	return func() error {
		if o.Out != "" && !strings.HasSuffix(o.Out, ".xlsx") {
			return fmt.Errorf("--out %q: want a .xlsx file", o.Out)
		}
		return planning.CheckProgressRange(o.From, o.To)
	}
}

// progress runs `gapmap progress`: the year-end runs from --from - 1 to
// --to (read when stored, scored otherwise) and the figures per year and
// township.
func progress(ctx context.Context, a app, o progressOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	p, err := loadProfile(ctx, a.store, o.ProfilePath)
	if err != nil {
		return err
	}
	rows, err := planning.ProgressReport(ctx, a.store, p, o.From, o.To, true)
	if err != nil {
		return err
	}
	if o.Out != "" {
		return writeFileAtomic(o.Out, func(w io.Writer) error { return table.WriteProgressXLSX(w, rows) })
	}
	return planning.WriteProgress(a.stdout, rows)
}
