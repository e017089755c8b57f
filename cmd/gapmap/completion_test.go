package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestAsBuiltCommand: `gapmap projects asbuilt` stores the values, which
// the project then carries; unknown keys and bad values are refused in
// Chinese and store nothing.
func TestAsBuiltCommand(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	if err := run(ctx, []string{"county", "init", "--code", "430682"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	p, err := db.Store.CreateProject(ctx, planning.Project{Name: "配变增容", Category: planning.CatGrid, Nature: "扩建"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	id := fmt.Sprint(p.ID)
	if err := run(ctx, []string{"projects", "asbuilt", "--project", id, "--values", `{"kva": 400, "completed_on": "2016-06-30"}`}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"kva":400`) {
		t.Errorf("output %q", out.String())
	}
	got, err := db.Store.Project(ctx, p.ID)
	if err != nil || got.AsBuilt.KVA == nil || *got.AsBuilt.KVA != 400 || got.AsBuilt.CompletedOn != "2016-06-30" {
		t.Fatalf("stored %+v, %v", got.AsBuilt, err)
	}
	for _, c := range []struct{ values, want string }{
		{`{"kvaa": 1}`, "不是有效的竣工实际值 JSON"},
		{`{"kva": -5}`, "配变容量须大于 0 kVA"},
	} {
		err := run(ctx, []string{"projects", "asbuilt", "--project", id, "--values", c.values}, env, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.values, err, c.want)
		}
	}
	if after, _ := db.Store.Project(ctx, p.ID); after.AsBuilt.KVA == nil || *after.AsBuilt.KVA != 400 {
		t.Errorf("refused values changed the record: %+v", after.AsBuilt)
	}

	// The realised table: a project written into the layers, no run yet,
	// entered without a village or 缺口维度: no prediction, and why.
	mustExecMain(t, db, `INSERT INTO project_layer_writes (project_id, layer, row_id, op, completed_on) VALUES ($1, 'transformers', 1, 'insert', '2016-06-30')`, p.ID)
	out.Reset()
	if err := run(ctx, []string{"projects", "realised"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "预计缺口后") || !strings.Contains(out.String(), "尚未评分") || !strings.Contains(out.String(), "2016-06-30") ||
		!strings.Contains(out.String(), "无预测：项目没有所在村或缺口维度") {
		t.Errorf("projects realised printed %q", out.String())
	}
	csv := filepath.Join(t.TempDir(), "预计与实际.csv")
	if err := run(ctx, []string{"projects", "realised", "--out", csv}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(csv); err != nil || !strings.Contains(string(b), "差值（实际−预计）") || !strings.Contains(string(b), "配变增容") ||
		!strings.Contains(string(b), "无预测原因") || !strings.Contains(string(b), "无预测：项目没有所在村或缺口维度") {
		t.Errorf("realised CSV %q, %v", b, err)
	}
	if err := run(ctx, []string{"projects", "realised", "--out", "x.txt"}, env, io.Discard, io.Discard); err == nil {
		t.Error("--out x.txt accepted")
	}
}

func mustExecMain(t *testing.T, db *datatest.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool.Exec(datatest.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
