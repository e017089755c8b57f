package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gapmap/gapmap/planning"
)

// scoreOptions are the flags of `gapmap score`.
type scoreOptions struct {
	ProfilePath string    // a county profile overriding the default
	AsOf        time.Time // reference date for ages (water tests); default today
	Full        bool      // re-score every village
}

func scoreFlags(fs *flag.FlagSet, o *scoreOptions) func() error {
	asOf := time.Now().Format(time.DateOnly)
	fs.StringVar(&o.ProfilePath, "profile", "", "county profile file (JSON) overriding the default thresholds and weights")
	fs.StringVar(&asOf, "as-of", asOf, "reference date YYYY-MM-DD: before today, the layers as they were at the end of that day (their history); also the date for ages such as water-quality tests")
	fs.BoolVar(&o.Full, "full", false, "re-score every village instead of only those that changes can affect")
	return func() error {
		var err error
		if o.AsOf, err = time.Parse(time.DateOnly, asOf); err != nil {
			return fmt.Errorf("as-of %q: want a date YYYY-MM-DD", asOf)
		}
		return nil
	}
}

// score runs `gapmap score`: a scoring run, then the per-township summary.
// On a terminal it shows progress on stderr.
func score(ctx context.Context, a app, o scoreOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	p, err := loadProfile(ctx, a.store, o.ProfilePath)
	if err != nil {
		return err
	}
	var progress func(done, total int)
	if isTerminal(a.stderr) {
		// The stages and counts a scoring job reports, on one line.
		progress = planning.ScoreProgress(func(p planning.JobProgress) { fmt.Fprintf(a.stderr, "\r\033[K%s", p) })
	}
	run, scores, err := planning.ScoreOn(ctx, a.store, p, o.AsOf, o.Full, progress)
	if progress != nil {
		fmt.Fprintln(a.stderr)
	}
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	fmt.Fprintf(a.stdout, "评分批次 %d：%d 个村（重新评分 %d 个），配置 %s（%s），基准日 %s，用时 %s\n\n", run.ID, run.Villages, run.Rescored,
		run.ProfileName, run.ProfileHash, run.AsOf.Format(time.DateOnly), run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	if run.LayersAsOf != nil {
		fmt.Fprintf(a.stdout, "图层为 %s 当日结束时的历史状态（全部重新评分）\n\n", run.LayersAsOf.Format(time.DateOnly))
	}
	// The summary covers the whole run: an incremental run re-scores only
	// some villages and refers to earlier runs for the rest.
	if scores, err = a.store.RunScores(ctx, run.ID); err != nil {
		return fmt.Errorf("score: %w", err)
	}
	return planning.WriteSummary(a.stdout, planning.SummariseByTownship(scores))
}

// loadProfile returns the county's profile (planning.CountyProfile: the
// defaults and the county's own overrides), with the file at path over it
// unless path is "".
func loadProfile(ctx context.Context, store planning.CountyStore, path string) (planning.Profile, error) {
	if path == "" {
		return planning.CountyProfile(ctx, store, nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return planning.Profile{}, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	p, err := planning.CountyProfile(ctx, store, f)
	if err != nil {
		return p, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}
