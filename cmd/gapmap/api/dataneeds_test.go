package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestDataNeedsAPI reads the 补充数据 list over HTTP: 404 before any scoring
// run, then per village the undecided indicators with the data that would
// decide them, filtered and paged by village; its exports; and the sheet in
// the 项目库 workbook.
func TestDataNeedsAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	r := newRouter(t, db.Store)
	if rec := get(t, r, "/api/v1/data-needs"); rec.Code != http.StatusNotFound {
		t.Errorf("before any run: %d %s", rec.Code, rec.Body)
	}
	run, _, err := planning.Score(datatest.Context(), db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		RunID    int64                   `json:"run_id"`
		Total    int                     `json:"total"`
		Needs    int                     `json:"needs"`
		Page     int                     `json:"page"`
		PageSize int                     `json:"page_size"`
		Villages []planning.VillageNeeds `json:"villages"`
	}
	all := decode[page](t, get(t, r, "/api/v1/data-needs?page_size=1000"))
	var stored int
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT count(*) FROM run_indicators WHERE run_id = $1 AND status = 'no_data'`, run.ID).
		Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if all.RunID != run.ID || all.Needs != stored || len(all.Villages) != all.Total || all.Total == 0 {
		t.Fatalf("run %d: %d needs over %d villages (%d listed), want the %d stored no_data indicators", all.RunID, all.Needs, all.Total, len(all.Villages), stored)
	}
	n := all.Villages[0].Needs[0]
	if n.Name == "" || n.Reason == "" || n.Purpose != planning.PurposeJudge || len(n.Settle) == 0 {
		t.Errorf("first need %+v", n)
	}

	// A village, a dimension, a page.
	code := all.Villages[3].Code
	one := decode[page](t, get(t, r, "/api/v1/data-needs?village="+code+"&dimension="+planningEscape(planning.DimGrid)+"&run=1"))
	if len(one.Villages) != 1 || one.Villages[0].Code != code {
		t.Fatalf("village filter: %+v", one)
	}
	for _, n := range one.Villages[0].Needs {
		if n.Dimension != planning.DimGrid {
			t.Errorf("dimension filter let through %s", n.Indicator)
		}
	}
	second := decode[page](t, get(t, r, "/api/v1/data-needs?page=2&page_size=5"))
	if second.Page != 2 || len(second.Villages) != 5 || second.Villages[0].Code != all.Villages[5].Code {
		t.Errorf("page 2 of 5: %d villages, first %s, want %s", len(second.Villages), second.Villages[0].Code, all.Villages[5].Code)
	}
	for _, bad := range []string{"/api/v1/data-needs?dimension=水电", "/api/v1/data-needs?run=x", "/api/v1/data-needs?sort=need",
		"/api/v1/data-needs?page_size=5000"} {
		if rec := get(t, r, bad); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
	if rec := get(t, r, "/api/v1/data-needs?run=999"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown run: %d %s", rec.Code, rec.Body)
	}

	// Exports: the list on its own, and as a sheet of the 项目库 workbook.
	x := get(t, r, "/api/v1/data-needs/export.xlsx?dimension="+planningEscape(planning.DimWater))
	f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
	if err != nil {
		t.Fatalf("export.xlsx: %d %v", x.Code, err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"补充数据", "补充数据汇总"}) {
		t.Errorf("sheets %q", got)
	}
	rows, _ := f.GetRows("补充数据")
	if len(rows) < 2 || rows[0][0] != "序号" || !slices.Contains(rows[0], "需补充的数据") {
		t.Fatalf("补充数据 sheet %q", rows[:min(2, len(rows))])
	}
	for _, row := range rows[1:] {
		if row[6] != planning.DimWater {
			t.Errorf("饮水 export holds %q", row)
		}
	}
	summary, _ := f.GetRows("补充数据汇总")
	if len(summary) < 2 || summary[1][3] == "" {
		t.Errorf("补充数据汇总 %q", summary)
	}
	c := get(t, r, "/api/v1/data-needs/export.csv")
	if c.Code != http.StatusOK || !strings.HasPrefix(c.Body.String(), "\uFEFF序号,乡镇,村,村代码") || strings.Count(c.Body.String(), "\r\n") != all.Needs+1 {
		t.Errorf("export.csv: %d, %d lines for %d needs", c.Code, strings.Count(c.Body.String(), "\r\n"), all.Needs)
	}
	if rec := get(t, r, "/api/v1/data-needs/export.pdf"); rec.Code != http.StatusNotFound {
		t.Errorf("export.pdf: %d", rec.Code)
	}
	lib := get(t, r, "/api/v1/projects/export.xlsx")
	lf, err := excelize.OpenReader(bytes.NewReader(lib.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if got := lf.GetSheetList(); !slices.Equal(got, []string{"项目库", "绩效目标", "汇总", "评分依据", "已出库", "补充数据"}) {
		t.Errorf("项目库 workbook sheets %q", got)
	}
	if rows, _ := lf.GetRows("补充数据"); len(rows) != all.Needs+1 {
		t.Errorf("项目库 workbook's 补充数据 has %d rows, want %d needs and a header", len(rows), all.Needs)
	}
}
