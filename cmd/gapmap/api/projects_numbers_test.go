package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// costAsShown checks 工程量 × 单价 = 投资估算 on the three strings as a reader
// sees them: the exact decimal product, rounded half up to 0.01 万元, is the
// cost shown. It reports the row and returns false otherwise.
func costAsShown(t *testing.T, where, qty, price, cost string) bool {
	t.Helper()
	q, okQ := new(big.Rat).SetString(qty)
	p, okP := new(big.Rat).SetString(price)
	c, okC := new(big.Rat).SetString(cost)
	if !okQ || !okP || !okC {
		t.Errorf("%s: 工程量 %q, 单价 %q, 投资估算 %q are not all numbers", where, qty, price, cost)
		return false
	}
	cents := new(big.Rat).Mul(new(big.Rat).Mul(q, p), big.NewRat(100, 1))
	// Half up: floor(x + 1/2) for x ≥ 0.
	half := new(big.Rat).Add(cents, big.NewRat(1, 2))
	rounded := new(big.Int).Quo(half.Num(), half.Denom())
	if new(big.Rat).Mul(c, big.NewRat(100, 1)).Cmp(new(big.Rat).SetInt(rounded)) != 0 {
		t.Errorf("%s: %s × %s = %s, shown as 投资估算 %s", where, qty, price, new(big.Rat).Quo(new(big.Rat).SetInt(rounded), big.NewRat(100, 1)).FloatString(2), cost)
		return false
	}
	return true
}

// TestProjectNumbersAsShown generates every demo candidate (--all) and reads
// each row back through the API (JSON numbers as written), the XLSX and the
// CSV: 工程量 × 单价 = 投资估算 as shown on every row. Before issue 16 the
// cost was computed from the unrounded quantity (a 管网延伸 of "0.03 km"
// cost 0.0324 km × 12) and the main extension's cost carried its taps too.
// The beneficiaries: the county total counts each village's 建档立卡 people
// once, equals the poor population of the villages the projects cover, and
// never exceeds the county's.
func TestProjectNumbersAsShown(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), true, nil); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = 30 * time.Second })
	gen := send(t, r, http.MethodPost, "/api/v1/projects/generate", `{"all": true}`)
	rep := decode[planning.GenerateReport](t, gen)
	if gen.Code != http.StatusOK || rep.Candidates < 100 {
		t.Fatalf("generate: %d %s", gen.Code, gen.Body)
	}

	// The API: the numbers as JSON writes them.
	rec := get(t, r, "/api/v1/projects?page_size=1000")
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	var listing struct {
		Total    int `json:"total"`
		Covered  planning.Covered
		Projects []map[string]any `json:"projects"`
	}
	if err := dec.Decode(&listing); err != nil || listing.Total != rep.Candidates || len(listing.Projects) != rep.Candidates {
		t.Fatalf("listing: %v, %d of %d", err, len(listing.Projects), rep.Candidates)
	}
	bad := 0
	for _, p := range listing.Projects {
		n := func(k string) string { return string(p[k].(json.Number)) }
		if !costAsShown(t, "API "+p["key"].(string), n("quantity"), n("unit_price_wan"), n("cost_wan")) {
			bad++
		}
	}

	// The XLSX and the CSV, as a reader sees the cells.
	x := get(t, r, "/api/v1/projects/export.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
	if err != nil {
		t.Fatalf("export.xlsx: %d %v", x.Code, err)
	}
	defer f.Close()
	rows, err := f.GetRows("项目库")
	if err != nil {
		t.Fatal(err)
	}
	// The 申报表's header is two rows: 合计 is the cost under 资金规模和筹资方式.
	col := func(header string) int { return max(slices.Index(rows[3], header), slices.Index(rows[4], header)) }
	qc, pc, cc, kc := col("工程量"), col("单价（万元）"), col("合计"), col("项目编号")
	xlsxRows := 0
	for _, row := range rows[5:] {
		if len(row) <= cc || row[kc] == "" { // subtotal rows
			continue
		}
		xlsxRows++
		if !costAsShown(t, "XLSX "+row[kc], row[qc], row[pc], row[cc]) {
			bad++
		}
	}
	c := get(t, r, "/api/v1/projects/export.csv")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.Body.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	hdr := recs[0]
	qi, pi, ci, ki := slices.Index(hdr, "工程量"), slices.Index(hdr, "单价（万元）"), slices.Index(hdr, "投资估算（万元）"), slices.Index(hdr, "项目编号")
	for _, rec := range recs[1:] {
		if !costAsShown(t, "CSV "+rec[ki], rec[qi], rec[pi], rec[ci]) {
			bad++
		}
	}
	if xlsxRows != rep.Candidates || len(recs)-1 != rep.Candidates {
		t.Errorf("%d XLSX rows and %d CSV rows for %d candidates", xlsxRows, len(recs)-1, rep.Candidates)
	}
	if bad > 0 {
		t.Errorf("%d rows of %d × 3 where 工程量 × 单价 ≠ 投资估算", bad, rep.Candidates)
	}

	// Beneficiaries: the county total, from SQL written here.
	var covered, county, perProject int
	if err := db.Pool.QueryRow(ctx, `SELECT
			(SELECT sum(poor_population) FROM villages WHERE id IN (SELECT village_id FROM projects)),
			(SELECT sum(poor_population) FROM villages WHERE kind IN ('行政村', '社区')),
			(SELECT sum(beneficiary_poor_population) FROM projects)`).Scan(&covered, &county, &perProject); err != nil {
		t.Fatal(err)
	}
	summary, err := f.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	var total []string
	for _, row := range summary {
		if row[0] == "合计" {
			total = row
		}
	}
	sh := slices.Index(summary[0], "覆盖村建档立卡人口（每人计一次）")
	times := slices.Index(summary[0], "建档立卡受益人次（各项目相加，同一人可计多次）")
	if total == nil || sh < 0 || times < 0 {
		t.Fatalf("汇总 = %q", summary)
	}
	t.Logf("建档立卡: %s covered (each once), %s 人次 over projects; SQL: %d covered of the county's %d", total[sh], total[times], covered, county)
	if total[sh] != itoa(covered) || covered > county || listing.Covered.PoorPopulation != covered {
		t.Errorf("汇总 covers %s 建档立卡 people, the listing %d; the villages with projects have %d, the county %d",
			total[sh], listing.Covered.PoorPopulation, covered, county)
	}
	if total[times] != itoa(perProject) {
		t.Errorf("汇总 人次 %s, projects add up to %d", total[times], perProject)
	}
	var last string // the 合计 row's label
	for _, row := range rows {
		if len(row) > 0 && strings.HasPrefix(row[0], "合计（") {
			last = row[0]
		}
	}
	if !strings.HasPrefix(last, "合计（") || !strings.Contains(last, "建档立卡 "+itoa(covered)+" 人") {
		t.Errorf("项目库 合计 row %q, want it to cover %d 建档立卡 people", last, covered)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
