package data_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// povertyVillage is a 行政村 of the demo county.
type povertyVillage struct {
	id             int64
	code, township string
}

// povertyVillages returns the demo county's 行政村, by township and code.
func povertyVillages(t *testing.T, db *datatest.DB) []povertyVillage {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id, code, township_code FROM villages
		WHERE kind = '行政村' AND code IS NOT NULL ORDER BY township_code, code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []povertyVillage
	for rows.Next() {
		var v povertyVillage
		if err := rows.Scan(&v.id, &v.code, &v.township); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 6 {
		t.Fatalf("the demo county has %d villages, too few", len(out))
	}
	return out
}

// writeFile writes content to a file named name in a fresh directory.
func writePovertyFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// povertyState is what an import may change: the register, the villages'
// 退出年度, the change log and the audit trail, as counts and a digest.
func povertyState(t *testing.T, db *datatest.DB) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(datatest.Context(), `SELECT
		coalesce((SELECT string_agg(format('%s/%s/%s', village_id, year, to_jsonb(p) - 'updated_at'), ';' ORDER BY village_id, year) FROM village_poverty p), '')
		|| '|' || coalesce((SELECT string_agg(format('%s=%s', id, exit_year), ',' ORDER BY id) FROM villages WHERE exit_year IS NOT NULL), '')
		|| '|' || (SELECT count(*) FROM layer_changes) || '|' || (SELECT count(*) FROM gapmap_audit.entries WHERE chain = current_schema())`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importPoverty(t *testing.T, db *datatest.DB, ctx context.Context, name, content string, opt planning.PovertyImportOptions) planning.PovertyImport {
	t.Helper()
	opt.Name = name
	rep, err := db.Store.ImportPoverty(ctx, writePovertyFile(t, name, content), opt)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return rep
}

// TestPovertyImport imports two years of a CSV table, then the same file
// again (nothing changes, nothing is logged), then a file without some
// columns (the stored figures of those stay), and reads the village's
// years back with the remainder the flows do not explain.
func TestPovertyImport(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	vs := povertyVillages(t, db)
	a, b := vs[0], vs[len(vs)-1]
	csv := fmt.Sprintf(`村代码,村名,年度,年末贫困户数（户）,年末贫困人口,脱贫户数,脱贫人数,返贫户数,返贫人数,新识别户数,新识别人数,退出年度,备注
%[1]s,,2017,40,120,10,30,1,2,3,9,2019,
%[1]s,,2018,30,95,15,40,0,0,5,13,2019,
%[2]s,,2018,8,,2,5,,,,,,只有部分数字
`, a.code, b.code)
	before := povertyState(t, db)
	// A dry run reports what it would do and writes nothing.
	rep := importPoverty(t, db, ctx, "2017-2018.csv", csv, planning.PovertyImportOptions{DryRun: true})
	if rep.Committed || !rep.DryRun || rep.Inserted != 3 || povertyState(t, db) != before {
		t.Fatalf("dry run: %+v, want 3 rows that would be inserted and nothing written", rep)
	}
	rep = importPoverty(t, db, ctx, "2017-2018.csv", csv, planning.PovertyImportOptions{})
	if !rep.Committed || rep.Inserted != 3 || rep.Rejected != 0 || !slices.Equal(rep.Years, []int{2017, 2018}) || rep.ExitYears != 1 {
		t.Fatalf("report %+v, want 3 rows inserted for 2017–2018 and one 退出年度 set", rep)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Severity != planning.SeverityWarning || !strings.Contains(rep.Problems[0].Reason, "备注") {
		t.Errorf("problems %+v, want one warning about the 备注 column", rep.Problems)
	}
	for _, r := range rep.Rows {
		if r.Outcome != planning.PovertyInserted || r.Name == "" {
			t.Errorf("row %+v, want 新增 with the village's name", r)
		}
	}
	vp, err := db.Store.VillagePoverty(ctx, a.code)
	if err != nil {
		t.Fatal(err)
	}
	if vp.ExitYear == nil || *vp.ExitYear != 2019 || len(vp.Years) != 2 {
		t.Fatalf("village %+v, want 退出年度 2019 and two years", vp)
	}
	y17, y18 := vp.Years[0], vp.Years[1]
	if y17.OtherHouseholds != nil {
		t.Errorf("2017 remainder %v, want unknown (no 2016 row)", *y17.OtherHouseholds)
	}
	// 2018: 30 − (40 − 15 + 5 + 0) = 0 households; 95 − (120 − 40 + 13 + 0) = 2 people.
	if y18.OtherHouseholds == nil || *y18.OtherHouseholds != 0 || y18.OtherPopulation == nil || *y18.OtherPopulation != 2 {
		t.Errorf("2018 remainder %v/%v, want 0 households and 2 people", y18.OtherHouseholds, y18.OtherPopulation)
	}
	vb, err := db.Store.VillagePoverty(ctx, b.code)
	if err != nil {
		t.Fatal(err)
	}
	if g := vb.Years[0]; g.PoorPopulation != nil || g.ReturnedHouseholds != nil || g.PoorHouseholds == nil || *g.PoorHouseholds != 8 {
		t.Errorf("blank cells: %+v, want unknown (nil), not 0", g.PovertyFigures)
	}
	// One audit entry per village, with the before and after, and one for the file.
	var entries int
	var detail []byte
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'village.poverty'),
			max(detail::text) FILTER (WHERE action = 'village.poverty' AND object_id = $1)::bytea
		FROM gapmap_audit.entries WHERE chain = current_schema() AND action IN ('village.poverty', 'poverty.import')`, a.code).Scan(&entries, &detail); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Years []struct {
			Year   int
			Before map[string]*int
			After  map[string]*int
		}
		ExitYear struct{ Before, After *int } `json:"exit_year"`
	}
	if err := json.Unmarshal(detail, &d); err != nil {
		t.Fatal(err)
	}
	if entries != 2 || len(d.Years) != 2 || d.Years[0].After["poor_households"] == nil || *d.Years[0].After["poor_households"] != 40 ||
		d.ExitYear.After == nil || *d.ExitYear.After != 2019 {
		t.Errorf("audit: %d village entries, %s", entries, detail)
	}

	// The same file again: every row 未变, nothing logged for re-scoring.
	mid := povertyState(t, db)
	if mid == before {
		t.Fatal("the import changed nothing")
	}
	var changes int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM layer_changes`).Scan(&changes)
	rep = importPoverty(t, db, ctx, "2017-2018.csv", csv, planning.PovertyImportOptions{})
	var after int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM layer_changes`).Scan(&after)
	if rep.Unchanged != 3 || rep.Inserted+rep.Updated != 0 || after != changes {
		t.Errorf("re-import: %+v; change log %d → %d rows, want every row 未变 and nothing logged", rep, changes, after)
	}

	// A 2018 file with the stock only: the flows stored stay.
	rep = importPoverty(t, db, ctx, "2018.csv", fmt.Sprintf("行政区划代码,贫困户数,贫困人口\n%s,31,95\n", a.code), planning.PovertyImportOptions{Year: 2018})
	if rep.Updated != 1 || !rep.Committed {
		t.Fatalf("report %+v, want one row updated", rep)
	}
	vp, _ = db.Store.VillagePoverty(ctx, a.code)
	if g := vp.Years[1]; *g.PoorHouseholds != 31 || g.ExitedHouseholds == nil || *g.ExitedHouseholds != 15 || g.NewPopulation == nil || *g.NewPopulation != 13 {
		t.Errorf("2018 after a stock-only file: %+v, want 31 households and the stored flows", g.PovertyFigures)
	}
}

// TestPovertyImportXLSX reads a county's workbook: a title row above the
// header, codes as text, numbers as numbers.
func TestPovertyImportXLSX(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	vs := povertyVillages(t, db)
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	f.SetCellValue(sh, "A1", "某县2019年建档立卡贫困人口动态调整表")
	for i, v := range []any{"序号", "行政村", "村代码", "年末贫困户数", "年末贫困人口", "脱贫户数", "脱贫人口"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		f.SetCellValue(sh, cell, v)
	}
	for i, v := range vs[:3] {
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+3), &[]any{i + 1, "", v.code, 10 + i, 30 + i, 2, 5})
	}
	path := filepath.Join(t.TempDir(), "2019.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Store.ImportPoverty(ctx, path, planning.PovertyImportOptions{Year: 2019})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.Inserted != 3 || rep.Format != "XLSX" || rep.Rows[0].Row != 3 {
		t.Fatalf("report %+v, want 3 rows inserted from row 3 on", rep)
	}
	vp, err := db.Store.VillagePoverty(ctx, vs[2].code)
	if err != nil {
		t.Fatal(err)
	}
	if len(vp.Years) != 1 || vp.Years[0].Year != 2019 || *vp.Years[0].PoorPopulation != 32 {
		t.Errorf("village %+v, want 2019 with 32 people", vp.Years)
	}
}

// TestPovertyImportRefusals: each faulty file is refused whole, with the
// row, the field and a Chinese reason, and nothing is written — neither the
// register, nor the change log, nor the audit trail.
func TestPovertyImportRefusals(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	vs := povertyVillages(t, db)
	a, b := vs[0].code, vs[1].code
	// Stored: a's 2018 stock, and its 2019 row whose 脱贫 needs it.
	importPoverty(t, db, ctx, "base.csv", fmt.Sprintf("村代码,年度,贫困户数,贫困人口,脱贫户数,脱贫人数,新识别户数,新识别人数,返贫户数,返贫人数\n%[1]s,2018,20,60,,,,,,\n%[1]s,2019,5,15,15,45,0,0,0,0\n", a),
		planning.PovertyImportOptions{})
	head := "村代码,年度,贫困户数,贫困人口,脱贫户数,脱贫人数,新识别户数,新识别人数,返贫户数,返贫人数\n"
	cases := []struct {
		name       string
		csv        string
		opt        planning.PovertyImportOptions
		row        int
		field, has string
	}{
		{"negative stock", head + b + ",2018,-1,3,,,,,,\n", planning.PovertyImportOptions{}, 2, "poor_households", "不能为负数"},
		{"not a number", head + b + ",2018,12,三十,,,,,,\n", planning.PovertyImportOptions{}, 2, "poor_population", "应为非负整数"},
		{"households over people", head + b + ",2018,12,10,,,,,,\n", planning.PovertyImportOptions{}, 2, "poor_households", "每户至少一人"},
		{"exited over last year's stock, new and returned", head + b + ",2017,10,30,,,,,,\n" + b + ",2018,0,0,11,30,0,0,0,0\n",
			planning.PovertyImportOptions{}, 3, "exited_households", "超过 2017 年末贫困户数 10 + 当年新识别 0 + 返贫 0"},
		{"a stored year's exits no longer covered", head + a + ",2018,10,60,,,,,,\n", planning.PovertyImportOptions{}, 2, "exited_households",
			"2019 年脱贫户数 15 超过 2018 年末贫困户数 10"},
		{"unknown code", head + "999999999999,2018,1,2,,,,,,\n", planning.PovertyImportOptions{}, 2, "village_code", "没有代码为 999999999999 的村"},
		{"code not of 12 digits", head + "43068,2018,1,2,,,,,,\n", planning.PovertyImportOptions{}, 2, "village_code", "12位"},
		{"year out of range", head + b + ",2013,1,2,,,,,,\n", planning.PovertyImportOptions{}, 2, "year", "2014–2030"},
		{"year other than --year", head + b + ",2017,1,2,,,,,,\n", planning.PovertyImportOptions{Year: 2018}, 2, "year", "与指定的 2018 年不符"},
		{"the same village and year twice", head + b + ",2018,1,2,,,,,,\n" + b + ",2018,1,3,,,,,,\n", planning.PovertyImportOptions{}, 3, "village_code", "与第 2 行是同一村同一年度"},
		{"two 退出年度", "村代码,年度,贫困户数,退出年度\n" + b + ",2017,3,2018\n" + b + ",2018,1,2019\n", planning.PovertyImportOptions{}, 2, "exit_year", "退出年度不一致"},
		{"a row without figures", head + b + ",2018,,,,,,,,\n", planning.PovertyImportOptions{}, 2, "", "没有任何建档立卡数字"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := povertyState(t, db)
			for _, dry := range []bool{false, true} {
				opt := tc.opt
				opt.DryRun = dry
				rep := importPoverty(t, db, ctx, "bad.csv", tc.csv, opt)
				if rep.Committed {
					t.Fatalf("dry run %v: committed: %+v", dry, rep)
				}
				found := false
				for _, p := range rep.Problems {
					found = found || p.Severity == planning.SeverityError && p.Row == tc.row && p.Field == tc.field && strings.Contains(p.Reason, tc.has)
				}
				if !found || rep.Rejected == 0 {
					t.Errorf("dry run %v: problems %+v (rejected %d), want an error at row %d, field %q, saying %q", dry, rep.Problems, rep.Rejected, tc.row, tc.field, tc.has)
				}
			}
			if after := povertyState(t, db); after != before {
				t.Errorf("a refused file changed the database:\n before %s\n after  %s", before, after)
			}
		})
	}
	// A file that cannot be an import at all is an error naming the file.
	for _, bad := range []struct{ name, csv, has string }{
		{"nocode.csv", "村名,年度,贫困户数\n甲村,2018,1\n", "缺少村代码列"},
		{"noyear.csv", "村代码,贫困户数\n" + b + ",1\n", "请用 --year 指明年度"},
		{"nofigures.csv", "村代码,年度\n" + b + ",2018\n", "没有任何建档立卡数字列"},
	} {
		_, err := db.Store.ImportPoverty(ctx, writePovertyFile(t, bad.name, bad.csv), planning.PovertyImportOptions{Name: bad.name})
		if planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), bad.name) || !strings.Contains(err.Error(), bad.has) {
			t.Errorf("%s: %v, want EInvalid naming the file and saying %q", bad.name, err, bad.has)
		}
	}
	// The database refuses a violation whoever writes (the deferred check).
	_, err := db.Pool.Exec(ctx, `UPDATE village_poverty SET poor_households = 1, poor_population = 1 WHERE year = 2018`)
	if err == nil || !strings.Contains(err.Error(), "超过上年末存量") {
		t.Errorf("a direct update breaking the 脱贫 bound: %v, want the deferred check to refuse it", err)
	}
}

// TestPovertyImportAccess: a township's editor imports its own villages'
// rows, not another township's (nothing written); a 交通 editor none; no
// principal, no write.
func TestPovertyImportAccess(t *testing.T) {
	db := datatest.NewDemo(t)
	vs := povertyVillages(t, db)
	own, other := vs[0], vs[len(vs)-1]
	if own.township == other.township {
		t.Fatal("the demo county has one township")
	}
	twEditor := access.WithPrincipal(context.Background(), access.Principal{UserID: 1, Login: "tw", Name: "乡镇", Via: "session",
		Grants: []access.Grant{{Org: access.Org{Kind: access.Township, Code: own.township, Name: "甲镇"}, Role: access.Editor}}})
	jt := access.WithPrincipal(context.Background(), access.Principal{UserID: 2, Login: "jt", Name: "交通", Via: "session",
		Grants: []access.Grant{{Org: access.Org{Kind: access.Bureau, Code: "交通", Name: "县交通运输局"}, Role: access.Editor}}})
	row := func(v povertyVillage) string { return "村代码,年度,贫困户数\n" + v.code + ",2018,3\n" }
	before := povertyState(t, db)
	for _, c := range []struct {
		name string
		ctx  context.Context
		csv  string
		code string
	}{
		{"township editor, another township's village", twEditor, row(other), planning.EForbidden},
		{"交通 editor", jt, row(own), planning.EForbidden},
		{"no principal", context.Background(), row(own), planning.EUnauthorized},
	} {
		_, err := db.Store.ImportPoverty(c.ctx, writePovertyFile(t, "x.csv", c.csv), planning.PovertyImportOptions{})
		if planning.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if after := povertyState(t, db); after != before {
		t.Errorf("a refused import changed the database")
	}
	rep, err := db.Store.ImportPoverty(twEditor, writePovertyFile(t, "own.csv", row(own)), planning.PovertyImportOptions{})
	if err != nil || !rep.Committed {
		t.Fatalf("township editor, own village: %+v, %v", rep, err)
	}
	var actor string
	db.Pool.QueryRow(datatest.Context(), `SELECT actor FROM gapmap_audit.entries WHERE chain = current_schema() AND action = 'village.poverty' AND object_id = $1`, own.code).Scan(&actor)
	if !strings.HasPrefix(actor, "tw") {
		t.Errorf("audit actor %q, want the township's user", actor)
	}
}

// TestPovertyScoresByYear: a 2019 import changes the scores of runs as of
// 2019 and leaves those as of 2017 as they were; and the incremental run
// after it re-scores the imported villages and equals a full one.
func TestPovertyScoresByYear(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	vs := povertyVillages(t, db)
	picked := []povertyVillage{vs[0], vs[len(vs)/2], vs[len(vs)-1]}
	d2017 := time.Date(2017, 12, 31, 0, 0, 0, 0, time.UTC)
	d2019 := time.Date(2019, 6, 30, 0, 0, 0, 0, time.UTC)
	score := func(asOf time.Time, full bool) (planning.Run, map[int64]string) {
		t.Helper()
		run, scores, err := planning.Score(ctx, db.Store, p, asOf, full, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		for _, s := range scores {
			b, _ := json.Marshal(s)
			out[s.VillageID] = string(b)
		}
		return run, out
	}
	// A 2018 row for the first village: the 2019 run reads it until 2019 comes.
	importPoverty(t, db, ctx, "2018.csv", "村代码,年度,贫困户数,贫困人口\n"+picked[0].code+",2018,77,200\n", planning.PovertyImportOptions{})
	_, before17 := score(d2017, true)
	_, before19 := score(d2019, true)
	var csv strings.Builder
	csv.WriteString("村代码,贫困户数,贫困人口,脱贫户数,脱贫人数\n")
	for i, v := range picked {
		fmt.Fprintf(&csv, "%s,%d,%d,0,0\n", v.code, 500+i, 1500+i)
	}
	importPoverty(t, db, ctx, "2019.csv", csv.String(), planning.PovertyImportOptions{Year: 2019})

	inc, after19inc := score(d2019, false)
	if inc.BaseRunID == 0 || inc.Rescored == 0 || inc.Rescored >= len(before19) {
		t.Errorf("incremental run after the import: base %d, re-scored %d of %d, want a partial run", inc.BaseRunID, inc.Rescored, len(before19))
	}
	if diffs := diffRun(t, db, p, d2019, inc.ID); len(diffs) > 0 {
		t.Errorf("incremental run differs from a full scoring: %v", diffs)
	}
	_, after19 := score(d2019, true)
	_, after17 := score(d2017, true)
	for id, s := range before17 {
		if after17[id] != s {
			t.Errorf("village %d: the 2017 score changed with a 2019 import:\n before %s\n after  %s", id, s, after17[id])
		}
	}
	pickedIDs := map[int64]bool{}
	for _, v := range picked {
		pickedIDs[v.id] = true
	}
	for id, s := range before19 {
		changed := after19[id] != s
		if changed != pickedIDs[id] {
			t.Errorf("village %d: 2019 score changed %v, want %v (imported: %v)", id, changed, pickedIDs[id], pickedIDs[id])
		}
		if after19inc[id] != "" && after19inc[id] != after19[id] {
			t.Errorf("village %d: incremental and full 2019 scores differ", id)
		}
	}
	var poor19 *int
	for _, s := range []string{after19[picked[1].id]} {
		var v struct {
			PoorPopulation *int `json:"poor_population"`
		}
		json.Unmarshal([]byte(s), &v)
		poor19 = v.PoorPopulation
	}
	if poor19 == nil || *poor19 != 1501 {
		t.Errorf("2019 score's 建档立卡 population %v, want the 2019 figure 1501", poor19)
	}
	// The explanation names the register year it read: 2018 before the
	// 2019 import, 2019 after; the 2017 run, which has no year, none.
	if !strings.Contains(before19[picked[0].id], "2018 年底建档立卡") {
		t.Errorf("2019 run before the import: the notes do not name the 2018 register: %s", before19[picked[0].id])
	}
	if !strings.Contains(after19[picked[1].id], "2019 年底建档立卡") {
		t.Errorf("2019 run after the import: the notes do not name the 2019 register: %s", after19[picked[1].id])
	}
	for id, s := range after17 {
		if strings.Contains(s, "年底建档立卡") {
			t.Errorf("village %d: the 2017 run names a register year it did not read", id)
		}
	}
}

// TestPovertyRollupOracle fills a random register and checks the roll-up
// against sums written independently: one GROUP BY per township and year,
// and the county's total added up in Go.
func TestPovertyRollupOracle(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	vs := povertyVillages(t, db)
	r := rand.New(rand.NewPCG(20, 4))
	var csv strings.Builder
	csv.WriteString("村代码,年度,贫困户数,贫困人口,脱贫户数,脱贫人数,返贫户数,返贫人数,新识别户数,新识别人数,退出年度\n")
	cell := func(n int) string {
		if r.IntN(8) == 0 {
			return "" // unknown
		}
		return fmt.Sprint(n)
	}
	for _, v := range vs {
		if r.IntN(5) == 0 {
			continue // a village without a register
		}
		hh := r.IntN(80)
		exit := ""
		if r.IntN(3) == 0 {
			exit = fmt.Sprint(2016 + r.IntN(4))
		}
		for y := 2015; y <= 2020; y++ {
			if r.IntN(6) == 0 {
				continue
			}
			ex := r.IntN(hh + 1)
			nw, back := r.IntN(5), r.IntN(3)
			hh = hh - ex + nw + back
			fmt.Fprintf(&csv, "%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", v.code, y, cell(hh), cell(3*hh+r.IntN(3)), cell(ex), cell(3*ex),
				cell(back), cell(2*back+1), cell(nw), cell(3*nw), exit)
		}
	}
	rep := importPoverty(t, db, ctx, "random.csv", csv.String(), planning.PovertyImportOptions{})
	if !rep.Committed {
		t.Fatalf("random register refused: %+v", rep.Problems)
	}
	got, err := db.Store.PovertyRollup(ctx, planning.PovertyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		year int
		town string
	}
	want := map[key][]int{} // villages, 8 sums, 8 unknown counts, exited villages
	rows, err := db.Pool.Query(ctx, `SELECT p.year, v.township_code, count(*),
			coalesce(sum(p.poor_households), -1), coalesce(sum(p.poor_population), -1), coalesce(sum(p.exited_households), -1), coalesce(sum(p.exited_population), -1),
			coalesce(sum(p.returned_households), -1), coalesce(sum(p.returned_population), -1), coalesce(sum(p.new_households), -1), coalesce(sum(p.new_population), -1),
			count(*) - count(p.poor_households), count(*) - count(p.poor_population), count(*) - count(p.exited_households), count(*) - count(p.exited_population),
			count(*) - count(p.returned_households), count(*) - count(p.returned_population), count(*) - count(p.new_households), count(*) - count(p.new_population),
			(SELECT count(*) FROM villages x WHERE x.township_code = v.township_code AND x.exit_year = p.year)
		FROM village_poverty p JOIN villages v ON v.id = p.village_id GROUP BY p.year, v.township_code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		vals := make([]int, 18)
		dest := []any{&k.year, &k.town}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		want[k] = vals
		tot := want[key{k.year, ""}]
		if tot == nil {
			tot = make([]int, 18)
			for i := 1; i <= 8; i++ {
				tot[i] = -1
			}
			want[key{k.year, ""}] = tot
		}
		for i, v := range vals {
			if i >= 1 && i <= 8 {
				if v >= 0 {
					tot[i] = max(tot[i], 0) + v
				}
				continue
			}
			if i != 17 {
				tot[i] += v
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The county's exited villages: all of a year's, with or without a row.
	for k, tot := range want {
		if k.town == "" {
			db.Pool.QueryRow(ctx, `SELECT count(*) FROM villages WHERE exit_year = $1`, k.year).Scan(&tot[17])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d roll-up rows, want %d", len(got), len(want))
	}
	unknownSeen := false
	for _, g := range got {
		w, ok := want[key{g.Year, g.TownshipCode}]
		if !ok {
			t.Errorf("unexpected roll-up row %d/%s", g.Year, g.TownshipCode)
			continue
		}
		vals := []int{g.Villages}
		for _, v := range g.Values() {
			if v == nil {
				vals = append(vals, -1)
			} else {
				vals = append(vals, *v)
			}
		}
		for _, f := range planning.PovertyFields {
			vals = append(vals, g.Unknown[f])
			unknownSeen = unknownSeen || g.Unknown[f] > 0
		}
		vals = append(vals, g.VillagesExited)
		if !slices.Equal(vals, w) {
			t.Errorf("%d %q: roll-up %v, oracle %v", g.Year, g.TownshipCode, vals, w)
		}
	}
	if !unknownSeen || len(got) < 10 {
		t.Errorf("%d roll-up rows, unknowns seen %v: the random register proves too little", len(got), unknownSeen)
	}
	// One township's rows are its rows of the county's roll-up.
	town := vs[0].township
	one, err := db.Store.PovertyRollup(ctx, planning.PovertyFilter{Township: town, From: 2016, To: 2018})
	if err != nil {
		t.Fatal(err)
	}
	var wantOne []planning.PovertyRollup
	for _, g := range got {
		if g.TownshipCode == town && g.Year >= 2016 && g.Year <= 2018 {
			wantOne = append(wantOne, g)
		}
	}
	a, _ := json.Marshal(one)
	b, _ := json.Marshal(wantOne)
	if string(a) != string(b) || len(one) == 0 {
		t.Errorf("township %s 2016–2018: %s, want %s", town, a, b)
	}
}
