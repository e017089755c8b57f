package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestProgressCommand: `gapmap progress` on the demo prints the Chinese
// table with one 2017 row per township, scoring the 2016 and 2017
// year-ends once; --out writes an XLSX and reads the same runs; a bad
// range is refused before anything runs.
func TestProgressCommand(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	if err := run(ctx, []string{"demo", "--load-only"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"progress", "--from", "2017", "--to", "2017"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var townships, runs int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(DISTINCT township_code) FROM villages WHERE is_poor_village),
		(SELECT count(*) FROM scoring_runs WHERE as_of = layers_as_of AND as_of IN ('2016-12-31', '2017-12-31'))`).Scan(&townships, &runs); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "2017 ") {
			rows++
		}
	}
	if runs != 2 || !strings.Contains(text, "达标村数·通路") || !strings.Contains(text, "拨付资金(万元)") ||
		rows != townships || townships == 0 {
		t.Errorf("%d year-end runs; table for %d townships:\n%s", runs, townships, text)
	}
	path := filepath.Join(t.TempDir(), "progress.xlsx")
	if err := run(ctx, []string{"progress", "--from", "2017", "--to", "2017", "--out", path}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("xlsx: %v", err)
	}
	var again int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM scoring_runs WHERE as_of = layers_as_of`).Scan(&again); err != nil || again != 2 {
		t.Errorf("%d runs after --out, want the 2 year-ends read again (%v)", again, err)
	}
	if err := run(ctx, []string{"progress", "--from", "2018", "--to", "2017"}, env, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "起始年份 2018 晚于结束年份 2017") {
		t.Errorf("bad range: %v", err)
	}
}
