package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestFundsCommands walks the 资金台账 from the command line on the demo
// county: entries, a refusal, a reversal, a roll-up, the workbook, and a
// plan capped by an allocation.
func TestFundsCommands(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	if err := run(ctx, []string{"demo", "--load-only"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var id int64
	var village string
	if err := db.Pool.QueryRow(context.Background(), `UPDATE projects SET status = '县级审定', year = 2016,
		targets = '[{"level1": "产出指标", "level3": "x", "value": "1"}]', cost_wan = 80,
		funding = '[{"source": "中央财政专项扶贫资金", "amount_wan": 80}]'
		WHERE id = (SELECT min(id) FROM projects WHERE village_id IS NOT NULL)
		RETURNING id, (SELECT code FROM villages WHERE villages.id = projects.village_id)`).Scan(&id, &village); err != nil {
		t.Fatal(err)
	}
	// Its 计划 is its 资金来源, entered in the ledger as it enters the library.
	for _, st := range []string{"已入库", "纳入年度计划", "实施中"} {
		if _, err := db.Store.Transition(ctx, id, st, ""); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	funds := func(args ...string) error {
		out.Reset()
		return run(ctx, append([]string{"funds"}, args...), env, &out, io.Discard)
	}
	p := fmt.Sprint(id)
	for _, args := range [][]string{
		{"entry", "--project", p, "--kind", "下达", "--source", "central", "--amount", "80", "--date", "2016-04-01", "--doc-no", "临财农〔2016〕3号"},
		{"entry", "--project", p, "--kind", "到位", "--source", "central", "--amount", "60", "--date", "2016-05-01"},
		{"entry", "--project", p, "--kind", "拨付", "--source", "central", "--amount", "30", "--date", "2016-06-01", "--doc-no", "记-12"},
	} {
		if err := funds(args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	err := funds("entry", "--project", p, "--kind", "计划", "--source", "central", "--amount", "80", "--date", "2016-03-01")
	if err == nil || !strings.Contains(err.Error(), "计划由项目的资金来源确定，请编辑项目") {
		t.Errorf("a 计划 entry: %v", err)
	}
	err = funds("entry", "--project", p, "--kind", "拨付", "--source", "central", "--amount", "31", "--date", "2016-06-02", "--doc-no", "记-13")
	if err == nil || !strings.Contains(err.Error(), "拨付合计 61.00 万元将超过到位合计 60.00 万元") {
		t.Errorf("overpayment: %v", err)
	}
	if err := funds("reverse", "--entry", "999999", "--note", "x"); err == nil || !strings.Contains(err.Error(), "不存在") {
		t.Errorf("reverse unknown: %v", err)
	}
	if err := funds("rollup", "--by", "village"); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(village + `\s.*\s80\.00\s+80\.00\s+60\.00\s+30\.00\s+37\.5%`).MatchString(out.String()) {
		t.Errorf("rollup by village lacks %s at 37.5%%:\n%s", village, out.String())
	}
	xlsx := t.TempDir() + "/资金台账.xlsx"
	if err := funds("export", "--out", xlsx); err != nil {
		t.Fatal(err)
	}
	// An allocation of 1 万元 of 统筹整合涉农资金 for 2017 caps that year of
	// the plan: the demo's projects are paid from that source.
	if err := funds("allocate", "--source", "integrated", "--year", "2017", "--amount", "1", "--doc-no", "湘财农〔2017〕1号"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"projects", "plan", "--years", "2016-2018", "--budget", "1500", "--budgets-from-allocations"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2017 年：0 个项目，0.00 / 1500.00 万元", "2017 年资金来源「统筹整合涉农资金」预算 1.00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan with the allocations lacks %q:\n%.2000s", want, out.String())
		}
	}
}
