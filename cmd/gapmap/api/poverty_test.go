package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// TestPovertyAPI walks 建档立卡 by year through the API: 乡村振兴's editor
// imports two years for the county, a township's editor its own village
// only; the village's years and the roll-up read back, scoped to the
// reader's township; a refused file answers 422 with the row and reason;
// the XLSX and CSV exports hold the roll-up's totals.
func TestPovertyAPI(t *testing.T) {
	f := newMatrixFixture(t)
	xczxEd := newBrowser("xczx_ed")
	account(t, f.db.Store, "xczx_ed", grantOf{access.Bureau, "乡村振兴", access.Editor})
	xczxEd.mustLogIn(t, f.h)
	twA := f.users["twA_ed"]
	send := func(b *browser, req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, b.sign(req))
		return rec
	}
	table := fmt.Sprintf("村代码,年度,年末贫困户数,年末贫困人口,脱贫户数,脱贫人数,退出年度\n"+
		"%[1]s,2017,30,90,5,12,2019\n%[1]s,2018,20,60,10,30,2019\n%[2]s,2017,8,20,,,\n%[2]s,2018,6,15,2,5,\n%[3]s,2018,4,9,1,3,\n",
		f.a.village, f.a2.village, f.b.village)
	rec := send(xczxEd, upload(t, "/api/v1/poverty/imports", map[string]string{"县2017-2018.csv": table}, nil))
	var rep planning.PovertyImport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK || !rep.Committed || rep.Inserted != 5 {
		t.Fatalf("乡村振兴 editor's import: %d %s", rec.Code, rec.Body)
	}

	// A township's editor: its own village, yes; another township's, 403.
	own := fmt.Sprintf("村代码,年末贫困户数,年末贫困人口\n%s,19,58\n", f.a.village)
	if rec := send(twA, upload(t, "/api/v1/poverty/imports", map[string]string{"2018.xlsx.csv": own}, map[string]string{"year": "2018"})); rec.Code != http.StatusOK {
		t.Errorf("township editor, own village: %d %s", rec.Code, rec.Body)
	}
	other := fmt.Sprintf("村代码,年末贫困户数\n%s,1\n", f.b.village)
	if rec := send(twA, upload(t, "/api/v1/poverty/imports", map[string]string{"b.csv": other}, map[string]string{"year": "2018"})); rec.Code != http.StatusForbidden ||
		!strings.Contains(errorMessage(rec), "没有权限") {
		t.Errorf("township editor, another township's village: %d %s, want 403", rec.Code, rec.Body)
	}
	// A refused file: 422, the row, the field and the reason.
	bad := fmt.Sprintf("村代码,年度,年末贫困户数,脱贫户数,新识别户数,返贫户数\n%s,2019,5,40,0,0\n", f.a.village)
	rec = send(xczxEd, upload(t, "/api/v1/poverty/imports", map[string]string{"bad.csv": bad}, nil))
	rep = planning.PovertyImport{}
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rec.Code != http.StatusUnprocessableEntity || rep.Committed || len(rep.Rows) != 1 || rep.Rows[0].Outcome != planning.PovertyRejected ||
		len(rep.Problems) == 0 || rep.Problems[0].Row != 2 || !strings.Contains(rep.Problems[0].Reason, "2019 年脱贫户数 40 超过 2018 年末贫困户数 19") {
		t.Errorf("a 脱贫 over the stock: %d %s, want 422 naming row 2", rec.Code, rec.Body)
	}
	if rec := send(xczxEd, upload(t, "/api/v1/poverty/imports", map[string]string{"x.csv": own}, map[string]string{"year": "2018", "mode": "upsert"})); rec.Code != http.StatusBadRequest {
		t.Errorf("an unknown form field: %d, want 400", rec.Code)
	}

	// The village's years.
	rec = twA.do(f.h, http.MethodGet, "/api/v1/villages/"+f.a.village+"/poverty", nil)
	var vp planning.VillagePoverty
	if err := json.Unmarshal(rec.Body.Bytes(), &vp); err != nil || rec.Code != http.StatusOK || len(vp.Years) != 2 ||
		*vp.Years[1].PoorHouseholds != 19 || *vp.Years[1].ExitedHouseholds != 10 || vp.ExitYear == nil || *vp.ExitYear != 2019 {
		t.Fatalf("village years: %d %s", rec.Code, rec.Body)
	}
	// The village's history shows both imports' entries, by their users.
	rec = f.users["viewer"].do(f.h, http.MethodGet, "/api/v1/villages/"+f.a.village+"/history", nil)
	if h := rec.Body.String(); rec.Code != http.StatusOK || strings.Count(h, `"village.poverty"`) != 2 || !strings.Contains(h, "xczx_ed") || !strings.Contains(h, "twA_ed") {
		t.Errorf("village history: %d %s, want two village.poverty entries by xczx_ed and twA_ed", rec.Code, h)
	}
	if rec := twA.do(f.h, http.MethodGet, "/api/v1/villages/"+f.b.village+"/poverty", nil); rec.Code != http.StatusForbidden {
		t.Errorf("a township's user reading another township's village: %d, want 403", rec.Code)
	}
	if rec := f.users["viewer"].do(f.h, http.MethodGet, "/api/v1/villages/"+f.b.village+"/poverty", nil); rec.Code != http.StatusOK {
		t.Errorf("the county's viewer: %d, want 200", rec.Code)
	}

	// The roll-up: the county's viewer sees every township and the total;
	// the township's user its own township only.
	rollup := func(b *browser, query string) ([]planning.PovertyRollup, int) {
		rec := b.do(f.h, http.MethodGet, "/api/v1/poverty"+query, nil)
		var body struct{ Rollup []planning.PovertyRollup }
		json.Unmarshal(rec.Body.Bytes(), &body)
		return body.Rollup, rec.Code
	}
	all, code := rollup(f.users["viewer"], "")
	var total2018 *planning.PovertyRollup
	for i, r := range all {
		if r.Year == 2018 && r.TownshipCode == "" {
			total2018 = &all[i]
		}
	}
	if code != http.StatusOK || total2018 == nil || total2018.Villages != 3 || *total2018.PoorHouseholds != 19+6+4 || *total2018.ExitedPopulation != 30+5+3 {
		t.Fatalf("county roll-up: %d %+v", code, all)
	}
	mine, code := rollup(twA, "")
	for _, r := range mine {
		if r.TownshipCode != f.a.township {
			t.Errorf("township A's user sees %+v", r)
		}
	}
	if code != http.StatusOK || len(mine) != 2 {
		t.Errorf("township A's roll-up: %d %+v, want its 2017 and 2018", code, mine)
	}
	if _, code := rollup(twA, "?township="+f.b.township); code != http.StatusForbidden {
		t.Errorf("township A's user asking for B: %d, want 403", code)
	}

	// The exports hold the roll-up's figures.
	rec = f.users["viewer"].do(f.h, http.MethodGet, "/api/v1/poverty/export.xlsx", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("xlsx: %d %s", rec.Code, rec.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	rec = f.users["viewer"].do(f.h, http.MethodGet, "/api/v1/poverty/export.csv", nil)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][][]string{"xlsx": rows, "csv": recs} {
		if len(got) != len(all)+1 || got[0][4] != "年末贫困户数" {
			t.Errorf("%s: %d rows, header %v; want %d rows", name, len(got), got[0], len(all)+1)
			continue
		}
		for i, r := range all {
			if got[i+1][0] != strconv.Itoa(r.Year) || got[i+1][1] != r.TownshipCode || got[i+1][4] != strconv.Itoa(*r.PoorHouseholds) {
				t.Errorf("%s row %d: %v, want %d %q %d", name, i+2, got[i+1], r.Year, r.TownshipCode, *r.PoorHouseholds)
			}
		}
	}
}
