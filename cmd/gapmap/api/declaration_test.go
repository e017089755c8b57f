package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/calctest"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestDeclarationTotalsLibreOffice exports the demo's 项目库 申报表, after
// withdrawing three projects and splitting two projects' funding between
// two sources, has LibreOffice Calc compute its SUBTOTAL formulas (the
// values excelize stored beside them removed first), and compares every
// 合计 and 项目类型, category and township 小计 with sums SQL computes here from the
// projects table: cost, money per 资金来源 and, where a group's rows share
// one 单位, 工程量, and the 工程量 by 单位 below the 合计. 已出库 projects are
// in no total and not on the sheet.
func TestDeclarationTotalsLibreOffice(t *testing.T) {
	calctest.Soffice(t)
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = 60 * time.Second })
	if rec := send(t, r, http.MethodPost, "/api/v1/projects/generate", `{"all": true}`); rec.Code != http.StatusOK {
		t.Fatalf("generate: %d %s", rec.Code, rec.Body)
	}
	var ids []int64
	rows, err := db.Pool.Query(ctx, `SELECT id FROM projects ORDER BY id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != 5 {
		t.Fatalf("projects: %v, %d", err, len(ids))
	}
	withdrawn := map[string]bool{}
	for _, id := range ids[:3] {
		rec := send(t, r, http.MethodPost, "/api/v1/projects/"+strconv.FormatInt(id, 10)+"/transitions", `{"to": "已出库", "reason": "测试出库"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("withdraw %d: %d %s", id, rec.Code, rec.Body)
		}
		withdrawn[decode[struct{ Project planning.Project }](t, rec).Project.Code] = true
	}
	for _, id := range ids[3:] {
		url := "/api/v1/projects/" + strconv.FormatInt(id, 10)
		var body struct {
			Project  map[string]any `json:"project"`
			Geometry any            `json:"geometry,omitempty"`
		}
		if err := json.Unmarshal(get(t, r, url).Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		p := body.Project
		cost := p["cost_wan"].(float64)
		central := float64(int(cost*40)) / 100 // about 40%, in whole cents
		p["funding"] = []map[string]any{{"source": "中央财政专项扶贫资金", "amount_wan": central}, {"source": "统筹整合涉农资金", "amount_wan": cost - central}}
		if body.Geometry != nil {
			p["geometry"] = body.Geometry
		}
		b, _ := json.Marshal(p)
		if rec := send(t, r, http.MethodPut, url, string(b)); rec.Code != http.StatusOK {
			t.Fatalf("split funding of %d: %d %s", id, rec.Code, rec.Body)
		}
	}

	x := get(t, r, "/api/v1/projects/export.xlsx")
	if x.Code != http.StatusOK {
		t.Fatalf("export.xlsx: %d %s", x.Code, x.Body)
	}
	// The heading, as excelize reads it.
	f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	title, _ := f.GetCellValue("项目库", "A1")
	sign, _ := f.GetCellValue("项目库", "A2")
	if title != "临湘市2016—2020年脱贫攻坚项目库申报表" || !strings.Contains(sign, "填报单位（盖章）：临湘市") || !strings.Contains(sign, "填报人：tester") {
		t.Errorf("title %q, signatures %q; want the county, the plan period, the user's organisation and name", title, sign)
	}
	if y := get(t, r, "/api/v1/projects/export.xlsx?year=2017"); y.Code == http.StatusOK {
		yf, err := excelize.OpenReader(bytes.NewReader(y.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := yf.GetCellValue("项目库", "A1"); got != "临湘市2017年脱贫攻坚项目库申报表" {
			t.Errorf("title of the 2017 export %q", got)
		}
		yf.Close()
	} else {
		t.Errorf("export.xlsx?year=2017: %d %s", y.Code, y.Body)
	}

	stripped, n := calctest.StripFormulaValues(t, x.Body.Bytes())
	if n == 0 {
		t.Fatal("the 申报表 has no formulas")
	}
	sheet := calctest.FirstSheetCSV(t, stripped)
	if len(sheet) < 6 {
		t.Fatalf("LibreOffice read %d rows", len(sheet))
	}
	upper, lower := sheet[3], sheet[4]
	col := func(h string) int {
		if i := slices.Index(lower, h); i >= 0 {
			return i
		}
		return slices.Index(upper, h)
	}
	costCol, centralCol, integratedCol, qtyCol, unitCol, codeCol := col("合计"), col("中央财政专项扶贫资金"), col("统筹整合涉农资金"), col("工程量"), col("单位"), col("项目编号")
	if min(costCol, centralCol, integratedCol, qtyCol, unitCol, codeCol) < 0 {
		t.Fatalf("header rows %q / %q", upper, lower)
	}

	// The oracle: sums over the projects not withdrawn, per group, from
	// SQL. label is what the sheet's 小计 says before its coverage.
	type sums struct{ cost, central, integrated, qty, unit string }
	oracle := map[string]sums{}
	q := `WITH p AS (
			SELECT p.*, t.name AS township_name,
				-- the national 项目类型, written here apart from planning's mapping
				CASE WHEN p.category IN ('基础设施-道路', '基础设施-饮水', '基础设施-电力', '基础设施') THEN '农村基础设施'
					WHEN p.category IN ('产业发展-光伏', '产业发展') THEN '产业发展' ELSE p.category END AS ntype,
				coalesce((SELECT sum(round((x->>'amount_wan')::numeric, 2)) FROM jsonb_array_elements(p.funding) x
					WHERE x->>'source' = '中央财政专项扶贫资金'), 0) AS central,
				coalesce((SELECT sum(round((x->>'amount_wan')::numeric, 2)) FROM jsonb_array_elements(p.funding) x
					WHERE x->>'source' = '统筹整合涉农资金'), 0) AS integrated
			FROM projects p LEFT JOIN townships t ON t.code = p.township_code
			WHERE p.status <> '已出库')
		SELECT coalesce(ntype, ''), coalesce(category, ''), coalesce(township_name, ''),
			sum(cost_wan)::numeric(14, 2)::text, sum(central)::numeric(14, 2)::text, sum(integrated)::numeric(14, 2)::text,
			CASE WHEN count(DISTINCT unit) = 1 AND min(unit) <> '' THEN sum(round(quantity::numeric, 2))::numeric(14, 2)::text ELSE '' END,
			CASE WHEN count(DISTINCT unit) = 1 THEN min(unit) ELSE '' END
		FROM p GROUP BY GROUPING SETS ((ntype, category, township_name), (ntype, category), (ntype), ())`
	grows, err := db.Pool.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for grows.Next() {
		var typ, cat, town string
		var s sums
		if err := grows.Scan(&typ, &cat, &town, &s.cost, &s.central, &s.integrated, &s.qty, &s.unit); err != nil {
			t.Fatal(err)
		}
		label := "合计"
		if typ != "" {
			label = "小计：" + typ
		}
		if cat != "" {
			n, _ := planning.NationalTypeOf(cat)
			label = "小计：" + n.Label()
			if town != "" {
				label += " / " + town
			}
		}
		oracle[label] = s
	}
	if err := grows.Err(); err != nil {
		t.Fatal(err)
	}

	// 工程量 by 单位 below the 合计.
	units := map[string]string{}
	urows, err := db.Pool.Query(ctx, `SELECT unit, sum(round(quantity::numeric, 2))::numeric(14, 2)::text FROM projects
		WHERE status <> '已出库' AND unit <> '' AND quantity > 0 GROUP BY unit`)
	if err != nil {
		t.Fatal(err)
	}
	for urows.Next() {
		var u, q string
		if err := urows.Scan(&u, &q); err != nil {
			t.Fatal(err)
		}
		units[u] = q
	}
	if err := urows.Err(); err != nil || len(units) < 2 {
		t.Fatalf("units %v, %v", units, err)
	}

	checked, townships, unitRows := 0, 0, 0
	for i, row := range sheet[5:] {
		if u, ok := strings.CutPrefix(row[0], "合计工程量（"); ok {
			u = strings.TrimSuffix(u, "）")
			if got, want := row[qtyCol], units[u]; got != want || row[unitCol] != u {
				t.Errorf("row %d %q: LibreOffice computes %s %s, SQL %s", i+6, row[0], got, row[unitCol], want)
			}
			unitRows++
			continue
		}
		label, _, ok := strings.Cut(row[0], "（")
		if !ok || !strings.HasPrefix(label, "小计") && label != "合计" {
			if code := row[codeCol]; withdrawn[code] {
				t.Errorf("row %d: the 已出库 project %s is on the 申报表", i+6, code)
			}
			continue
		}
		want, ok := oracle[label]
		if !ok {
			t.Errorf("row %d: %q has no group in SQL", i+6, row[0])
			continue
		}
		got := sums{row[costCol], row[centralCol], row[integratedCol], row[qtyCol], ""}
		if got.qty != "" {
			got.unit = row[unitCol]
		} else {
			want.unit = ""
		}
		if got != want {
			t.Errorf("row %d %q: LibreOffice computes %+v, SQL %+v", i+6, label, got, want)
		}
		checked++
		if strings.Contains(label, " / ") {
			townships++
		}
	}
	t.Logf("%d formulas; %d 小计/合计 rows (%d by 乡镇) and %d 工程量 totals compared with SQL; 合计 %s 万元, %v", n, checked, townships, unitRows, oracle["合计"].cost, units)
	if unitRows != len(units) {
		t.Errorf("%d 工程量 totals by 单位, SQL has %d 单位", unitRows, len(units))
	}
	if checked < 5 || townships < 2 || oracle["合计"].central == "0.00" {
		t.Errorf("checked %d totals (%d by 乡镇), 中央 %s: too few to mean anything", checked, townships, oracle["合计"].central)
	}
	if !strings.HasPrefix(sheet[len(sheet)-1][0], "注：") || !strings.Contains(sheet[len(sheet)-1][0], "另有 3 个已出库项目") {
		t.Errorf("last row %q, want the note naming the 3 已出库 projects", sheet[len(sheet)-1][0])
	}
}
