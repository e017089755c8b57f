package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
)

// scoreOutput runs `gapmap score` on db and returns what it printed.
func scoreOutput(t *testing.T, db *datatest.DB, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(datatest.Context(), append([]string{"score", "--as-of", "2016-12-31"}, args...), dbEnv(db), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// countsLine returns the cells of the 合计 line of the village counts table.
func countsLine(t *testing.T, out string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "有缺口 / 达标 / 数据不足")
	if !ok {
		t.Fatalf("no village counts in:\n%s", out)
	}
	for _, line := range strings.Split(rest, "\n") {
		if f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1); f[0] == "合计" {
			return f[1:]
		}
	}
	t.Fatalf("no 合计 in the counts of:\n%s", out)
	return nil
}

func TestScoreSummaryShowsUnknownAndTheWholeRun(t *testing.T) {
	db := datatest.NewDemo(t)

	// A run that re-scores nothing still summarises every poor village.
	scoreOutput(t, db)
	out := scoreOutput(t, db)
	if !strings.Contains(out, "重新评分 0 个") {
		t.Fatalf("a second run without changes re-scored villages:\n%s", out)
	}
	if !strings.Contains(out, "羊楼司镇") || !strings.Contains(out, "14895") {
		t.Errorf("an incremental run's summary lacks the county's poor villages:\n%s", out)
	}

	// Without any water works, 饮水 rests on missing data in every village.
	// The works are gone as of mid-2016, so that the run of 2016-12-31
	// (the layers as they were then) no longer sees them.
	if err := db.ExecOn("2016-06-30", `DELETE FROM water_works`); err != nil {
		t.Fatal(err)
	}
	out = scoreOutput(t, db, "--full")
	water := countsLine(t, out)[1] // 通路, 饮水, …
	if water != "0 / 0 / 26" {
		t.Errorf("饮水 counts without water works = %q, want 0 / 0 / 26 (all 数据不足):\n%s", water, out)
	}

	// With no village flagged poor, the summary covers them all and says so.
	if err := db.ExecOn("2016-06-30", `UPDATE villages SET is_poor_village = false, poor_households = 0, poor_population = 0`); err != nil {
		t.Fatal(err)
	}
	out = scoreOutput(t, db, "--full")
	if !strings.Contains(out, "尚未标记任何建档立卡贫困村") || !strings.Contains(out, "各乡镇村平均缺口") {
		t.Errorf("summary without 贫困村 does not say so:\n%s", out)
	}
	if c := countsLine(t, out)[1]; c != "0 / 0 / 161" {
		t.Errorf("饮水 counts of all villages = %q, want 0 / 0 / 161:\n%s", c, out)
	}
}
