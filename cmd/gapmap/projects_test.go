package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// checkPlanAsTheAPI runs `gapmap projects plan` with a project 纳入 and
// one 排除 by hand on db's library (the demo's, not yet planned), and the
// same request through POST /api/v1/plans of `gapmap serve` on the same
// database: the two plans must be the same, project by project, and the
// manual choices must show in both the JSON and the text.
func checkPlanAsTheAPI(t *testing.T, db *datatest.DB, env func(string) string) {
	t.Helper()
	ctx := datatest.Context()
	cli := func(args ...string) (planning.Plan, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"projects", "plan", "--years", "2016-2018", "--budget", "1500", "--json"}, args...), env, &out, io.Discard)
		var p planning.Plan
		if err == nil {
			if err := json.Unmarshal(out.Bytes(), &p); err != nil {
				t.Fatalf("plan --json printed no plan: %v\n%.500s", err, out.String())
			}
		}
		return p, err
	}
	plain, err := cli()
	if err != nil {
		t.Fatal(err)
	}
	// 排除 the first project the plain plan chooses that it could move
	// (not yet in the annual plan); 纳入 the cheapest one it leaves out
	// for want of money, which fits a year's budget alone.
	var exclude, include int64
	for _, r := range plain.Rows {
		if !r.Fixed {
			exclude = r.ID
			break
		}
	}
	var cheapest float64
	for _, o := range plain.LeftOut {
		if o.ReasonCode == planning.OutOverBudget && o.CostWan <= 1500 && (include == 0 || o.CostWan < cheapest) {
			include, cheapest = o.ID, o.CostWan
		}
	}
	if exclude == 0 || include == 0 {
		t.Fatalf("the demo's plan leaves nothing to include (%d) or exclude (%d)", include, exclude)
	}
	ids := []string{"--include", strconv.FormatInt(include, 10), "--exclude", strconv.FormatInt(exclude, 10)}
	got, err := cli(ids...)
	if err != nil {
		t.Fatal(err)
	}

	base := startServer(t, env, "serve")
	token, _, err := db.Store.CreateToken(ctx, "xczx", "tests", access.Actions, nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/plans", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	request := `{"years": [2016, 2017, 2018], "budgets": {"2016": 1500, "2017": 1500, "2018": 1500}, "include": [%d], "exclude": [%d]}`
	code, body := post(fmt.Sprintf(request, include, exclude))
	var want planning.Plan
	if err := json.Unmarshal(body, &want); code != http.StatusOK || err != nil {
		t.Fatalf("POST /api/v1/plans: %d %v %.500s", code, err, body)
	}
	// Everything but the solver's time must be the same.
	got.Elapsed, want.Elapsed = "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the command's plan differs from the API's:\n got %+v\nwant %+v", got, want)
	}
	// The hand's choices, as PlanRequest.Include and Exclude define them.
	if i := slices.IndexFunc(got.Rows, func(r planning.PlanRow) bool { return r.ID == include }); i < 0 || !got.Rows[i].Included {
		t.Errorf("included project %d is not in the plan as 人工纳入", include)
	}
	if i := slices.IndexFunc(got.LeftOut, func(o planning.PlanOut) bool { return o.ID == exclude }); i < 0 ||
		got.LeftOut[i].ReasonCode != planning.OutManual || got.LeftOut[i].Reason != "人工排除" {
		t.Errorf("excluded project %d is not left out as 人工排除", exclude)
	}

	// The text lists both by their ids.
	var text bytes.Buffer
	if err := run(ctx, append([]string{"projects", "plan", "--years", "2016-2018", "--budget", "1500"}, ids...), env, &text, io.Discard); err != nil {
		t.Fatal(err)
	}
	var sawIn, sawOut bool
	for _, line := range strings.Split(text.String(), "\n") {
		f := strings.Fields(line)
		sawIn = sawIn || len(f) > 0 && f[0] == strconv.FormatInt(include, 10) && f[len(f)-1] == "人工纳入"
		sawOut = sawOut || len(f) > 0 && f[0] == strconv.FormatInt(exclude, 10) && f[len(f)-1] == "人工排除"
	}
	if !sawIn || !sawOut {
		t.Errorf("the text does not show %d as 人工纳入 (%v) or %d as 人工排除 (%v):\n%.3000s", include, sawIn, exclude, sawOut, text.String())
	}

	// A project that does not exist is refused as the API refuses it.
	_, err = cli("--include", "999999999")
	code, body = post(fmt.Sprintf(request, 999999999, exclude))
	if err == nil || code != http.StatusBadRequest || !strings.Contains(err.Error(), "纳入的项目 999999999 不存在") ||
		!strings.Contains(string(body), "纳入的项目 999999999 不存在") {
		t.Errorf("an unknown project: command %v; API %d %s", err, code, body)
	}
	if _, err := cli("--include", "12,甲"); err == nil || !strings.Contains(err.Error(), "“甲”不是项目 ID") {
		t.Errorf("--include 12,甲: %v", err)
	}
}
