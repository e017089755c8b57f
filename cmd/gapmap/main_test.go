package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

// dbEnv is an environment with only DATABASE_URL, pointing at db.
func dbEnv(db *datatest.DB) func(string) string { return urlEnv(db.URL) }

// urlEnv is an environment with only DATABASE_URL, set to u.
func urlEnv(u string) func(string) string {
	return func(k string) string {
		if k == "DATABASE_URL" {
			return u
		}
		return ""
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad address", []string{"serve", "--addr", "8080"}, "GAPMAP_ADDR"},
		{"bad log level", []string{"serve", "--log-level", "loud"}, "log level"},
		{"bad timeout", []string{"serve", "--request-timeout", "soon"}, "request timeout"},
		{"bad database URL", []string{"migrate", "--database-url", "postgres://[::1"}, "DATABASE_URL"},
		{"no job slot", []string{"serve", "--job-slots", "0"}, "GAPMAP_JOB_SLOTS"},
		{"bad job timeout", []string{"serve", "--job-timeouts", "score=soon"}, "GAPMAP_JOB_TIMEOUTS score"},
		{"unknown job kind", []string{"serve", "--job-timeouts", "tiles=1h"}, "GAPMAP_JOB_TIMEOUTS"},
		{"bad export result ttl", []string{"serve", "--export-result-ttl", "10s"}, "GAPMAP_EXPORT_RESULT_TTL"},
		{"stray argument", []string{"migrate", "now"}, "unexpected arguments"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(datatest.Context(), tc.args, noEnv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%v) = %v, want an error naming %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestHalfConfiguredSSO: single sign-on is all or none; a server with
// only some GAPMAP_OIDC_* settings does not start.
func TestHalfConfiguredSSO(t *testing.T) {
	refusesToServe(t, map[string]string{"GAPMAP_OIDC_ISSUER": "https://sso.example.gov.cn"}, "GAPMAP_OIDC_CLIENT_ID")
}

// refusesToServe runs serve with the settings (on port 0) and fails t
// unless it stops before it starts, with an error naming want.
func refusesToServe(t *testing.T, settings map[string]string, want string) {
	t.Helper()
	env := func(k string) string {
		if k == "GAPMAP_ADDR" {
			return "127.0.0.1:0"
		}
		return settings[k]
	}
	// Bounded: a server that wrongly starts stops on its own.
	ctx, cancel := context.WithTimeout(datatest.Context(), 3*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("serve with %v: %v, want an error naming %s", settings, err, want)
	}
}

func TestScoreCommand(t *testing.T) {
	db := datatest.NewDemo(t)
	env := dbEnv(db)
	var out bytes.Buffer
	if err := run(datatest.Context(), []string{"score", "--as-of", "2016-12-31"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"161 个村", "基准日 2016-12-31", "羊楼司镇", "合计", "14895"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("score output lacks %q:\n%s", want, out.String())
		}
	}
	err := run(datatest.Context(), []string{"score", "--profile", "testdata/bad_profile.json"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "road.bus_stop_radius") {
		t.Errorf("score with a bad profile: %v, want an error naming road.bus_stop_radius", err)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(datatest.Context(), []string{"version"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "gapmap ") {
		t.Errorf("version printed %q", out.String())
	}
}

// unreachableURL points at a port where nothing listens.
const unreachableURL = "postgres://gapmap:gapmap@127.0.0.1:1/gapmap?sslmode=disable&connect_timeout=2"

func TestMigrateUnreachableDatabase(t *testing.T) {
	for _, args := range [][]string{{"migrate"}, {"demo", "--load-only"}} {
		err := run(datatest.Context(), append(args, "--database-url", unreachableURL), noEnv, io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("%v against an unreachable database succeeded", args)
		}
		for _, want := range []string{"127.0.0.1:1/gapmap", "无法连接数据库"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: error %q lacks %q", args, err, want)
			}
		}
	}
}

// startServer runs gapmap with args until the test ends and returns the
// base URL it prints.
func startServer(t *testing.T, env func(string) string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(datatest.Context())
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append(args, "--addr", "127.0.0.1:0"), env, &stdout, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v, want a clean shutdown", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down within 15 s")
		}
	})
	re := regexp.MustCompile(`serving on (http://\S+)/`)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server printed no address: %q", stdout.String())
	return ""
}

func TestServeAnswers503WhileDatabaseIsDown(t *testing.T) {
	base := startServer(t, noEnv, "serve", "--database-url", unreachableURL)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the database down = %d, want 503", resp.StatusCode)
	}
	// A client with a token: checking it needs the database, and that is a
	// 503 too, not a 401 that would send the user to log in again.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/villages", nil)
	req.Header.Set("Authorization", "Bearer gm_whatever")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error struct{ Message string } }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body.Error.Message, "数据库") {
		t.Errorf("/api/v1/villages with the database down = %d %q, want 503 naming the database", resp.StatusCode, body.Error.Message)
	}
}

// TestServeMarksInterruptedJobs is a restart: the jobs a killed server
// left queued or running end failed with 服务重启，任务中断 once the new
// server has migrated.
func TestServeMarksInterruptedJobs(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	j, err := db.Store.CreateJob(ctx, planning.JobScore, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := db.Store.StartJob(ctx, j.ID); !ok || err != nil {
		t.Fatalf("start job: %v %v", ok, err)
	}
	startServer(t, dbEnv(db), "serve")
	deadline := time.Now().Add(time.Minute)
	for {
		j, err = db.Store.Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != planning.JobRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if j.State != planning.JobFailed || j.Error == nil || j.Error.Message != planning.JobInterrupted {
		t.Errorf("the running job after a restart: %s %+v, want failed: %s", j.State, j.Error, planning.JobInterrupted)
	}
}

// TestDemoCommand is the README's promise: `gapmap demo` serves the demo
// county and the API lists its 26 poor villages; a second load is a no-op.
func TestDemoCommand(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	base := startServer(t, env, "demo")
	// The demo's guest account reads: nobody reads without logging in.
	anon, err := http.Get(base + "/api/v1/villages?poor=true")
	if err != nil {
		t.Fatal(err)
	}
	anon.Body.Close()
	if anon.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/v1/villages: %d, want 401", anon.StatusCode)
	}
	guest := login(t, base, "guest", DemoPassword)

	resp, err := guest.Get(base + "/api/v1/villages?poor=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fc struct{ Features []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(fc.Features) != 26 {
		t.Errorf("GET /api/v1/villages?poor=true: status %d, %d features; want 200 and 26", resp.StatusCode, len(fc.Features))
	}
	// The demo is scored on load: the gap list answers at once.
	gaps, err := guest.Get(base + "/api/v1/gaps?poor=true")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Total int }
	_ = json.NewDecoder(gaps.Body).Decode(&list)
	gaps.Body.Close()
	if gaps.StatusCode != http.StatusOK || list.Total != 26 {
		t.Errorf("GET /api/v1/gaps?poor=true after demo: status %d, total %d; want 200 and 26", gaps.StatusCode, list.Total)
	}
	health, err := guest.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", health.StatusCode)
	}

	var out bytes.Buffer
	if err := run(datatest.Context(), []string{"demo", "--load-only"}, env, &out, io.Discard); err != nil {
		t.Fatalf("second demo --load-only: %v", err)
	}
	if !strings.Contains(out.String(), "already loaded") {
		t.Errorf("second load printed %q, want it to say already loaded", out.String())
	}
}

// TestProjectsCommands runs the planner's path on the demo: generate, plan
// with projects included and excluded by hand as the API plans them, plan
// under a budget with --apply, export the table, read it back with GDAL.
func TestProjectsCommands(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	var out bytes.Buffer
	if err := run(datatest.Context(), []string{"demo", "--load-only"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`demo 项目库: \d+ candidate projects`).MatchString(out.String()) {
		t.Errorf("demo output lacks the 项目库 line:\n%s", out.String())
	}
	out.Reset()
	if err := run(datatest.Context(), []string{"projects", "generate"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "新增 0") {
		t.Errorf("generating again added projects:\n%s", out.String())
	}
	// Before the plan below writes into the library.
	t.Run("include and exclude, as the API", func(t *testing.T) { checkPlanAsTheAPI(t, db, env) })
	out.Reset()
	if err := run(datatest.Context(), []string{"projects", "plan", "--years", "2016-2018", "--budget", "1500", "--apply"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2016 年", "2018 年", "已写入项目年度及未入选原因", "/ 1500.00 万元", "未用资金 ",
		"不缩小计分缺口：用缩小缺口后剩余的资金按建档立卡受益人口安排", "未入选原因", "超出预算：需 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
	xlsx := t.TempDir() + "/项目库.xlsx"
	if err := run(datatest.Context(), []string{"projects", "export", "--year", "2016", "--out", xlsx}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// The 申报表 of one year names it; the CLI's user holds no grant, so
	// 填报单位 is left to fill by hand and 填报人 is the login.
	if f, err := excelize.OpenFile(xlsx); err != nil {
		t.Error(err)
	} else {
		title, _ := f.GetCellValue("项目库", "A1")
		sign, _ := f.GetCellValue("项目库", "A2")
		if title != "临湘市2016年脱贫攻坚项目库申报表" || !strings.Contains(sign, "填报人：") || !strings.Contains(sign, "审核人：") {
			t.Errorf("export title %q, signatures %q", title, sign)
		}
		f.Close()
	}
	if gdaltest.Optional("ogrinfo") {
		info := gdaltest.Run(t, "ogrinfo", "-ro", "-so", xlsx)
		if !strings.Contains(info, "项目库") || !strings.Contains(info, "绩效目标") || !strings.Contains(info, "补充数据") {
			t.Errorf("ogrinfo %s:\n%s", xlsx, info)
		}
	}
	// The 补充数据 list: printed with what to collect, or written to a file.
	out.Reset()
	if err := run(datatest.Context(), []string{"projects", "needs", "--dimension", "农网"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"需补充的数据（涉及村数）", "机井及通电情况（暂无对应图层）：161 个村", "E5 机井通电"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("needs output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "W3") {
		t.Errorf("--dimension 农网 printed a 饮水 indicator:\n%s", out.String())
	}
	needsCSV := t.TempDir() + "/补充数据.csv"
	out.Reset()
	if err := run(datatest.Context(), []string{"projects", "needs", "--out", needsCSV}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(needsCSV); err != nil || !strings.Contains(string(b), "序号,乡镇,村,村代码") || !strings.Contains(out.String(), "已写入") {
		t.Errorf("needs --out: %v, %q", err, out.String())
	}
	if err := run(datatest.Context(), []string{"projects", "needs", "--out", "x.pdf"}, env, io.Discard, io.Discard); err == nil {
		t.Error("needs --out x.pdf: no error")
	}
	err := run(datatest.Context(), []string{"projects", "plan", "--years", "2016-2018"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--budget") {
		t.Errorf("plan without a budget: %v", err)
	}
}

// TestUsageListsEveryCommand keeps the usage text and the command table
// together: every command is listed and answers -h with its flags.
func TestUsageListsEveryCommand(t *testing.T) {
	var help bytes.Buffer
	if err := run(datatest.Context(), []string{"help"}, noEnv, &help, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(help.String(), "\n  "+c.name+" ") && !strings.Contains(help.String(), "\n  "+c.name+"\n") {
			t.Errorf("usage lacks %q:\n%s", c.name, help.String())
		}
		var flags bytes.Buffer
		err := run(datatest.Context(), append(strings.Fields(c.name), "-h"), noEnv, io.Discard, &flags)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(flags.String(), "Usage of gapmap "+c.name+":") || !strings.Contains(flags.String(), "-database-url") {
			t.Errorf("%s -h: %v\n%s", c.name, err, flags.String())
		}
	}
}

// login logs in at base and returns a client holding the session cookie.
func login(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/api/v1/session", "application/json",
		strings.NewReader(`{"login": "`+user+`", "password": "`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("login as %s: %d", user, resp.StatusCode)
	}
	return c
}
