package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestPoorCommands imports a yearly table from the command line, refuses
// a faulty one (exit status), prints a village's years and the roll-up,
// and writes the roll-up as XLSX.
func TestPoorCommands(t *testing.T) {
	db := datatest.NewDemo(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	var code string
	if err := db.Pool.QueryRow(ctx, `SELECT code FROM villages WHERE kind = '行政村' ORDER BY code LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "2018.csv")
	os.WriteFile(good, []byte("村代码,年末贫困户数,年末贫困人口,脱贫户数,脱贫人数\n"+code+",12,34,3,9\n"), 0o644)
	var out bytes.Buffer
	if err := run(ctx, []string{"poor", "import", "--file", good, "--year", "2018"}, env, &out, io.Discard); err != nil {
		t.Fatalf("poor import: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "新增 1") || !strings.Contains(out.String(), "已写入") {
		t.Errorf("poor import printed:\n%s", out.String())
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("村代码,年末贫困户数\n"+code+",-2\n"), 0o644)
	out.Reset()
	err := run(ctx, []string{"poor", "import", "--file", bad, "--year", "2019"}, env, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "第 2 行 poor_households") || !strings.Contains(out.String(), "不能为负数") {
		t.Errorf("a negative stock: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"poor", "show", "--village", code}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2018") || !strings.Contains(out.String(), "34") || !strings.Contains(out.String(), "—") {
		t.Errorf("poor show printed:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"poor", "rollup"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "合计") || !strings.Contains(out.String(), "12") {
		t.Errorf("poor rollup printed:\n%s", out.String())
	}
	xlsx := filepath.Join(dir, "rollup.xlsx")
	if err := run(ctx, []string{"poor", "rollup", "--out", xlsx}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(f.GetSheetName(0))
	if len(rows) != 3 || rows[1][2] != "合计" || rows[1][4] != "12" || rows[1][5] != "34" {
		t.Errorf("rollup.xlsx: %v", rows)
	}
}
