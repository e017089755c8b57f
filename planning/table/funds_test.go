package table

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

var ledgerSources = []planning.FundSource{
	{Code: "central", Name: "中央财政专项扶贫资金", Level: "中央", Kind: "财政专项"},
	{Code: "integrated", Name: "统筹整合涉农资金", Level: "县", Kind: "整合涉农资金"},
	{Code: "self", Name: "群众自筹", Level: "其他", Kind: "群众自筹"},
	{Code: "unused", Name: "金融信贷资金", Level: "其他", Kind: "金融信贷"},
}

// randomLedger is a seeded random ledger table and its totals by source,
// summed here, apart from the writer.
func randomLedger(seed uint64) ([]planning.LedgerRow, map[string]planning.LedgerSums) {
	rng := rand.New(rand.NewPCG(seed, 20))
	towns := []struct{ code, name string }{{"430682101", "羊楼司镇"}, {"430682102", "詹桥镇"}}
	want := map[string]planning.LedgerSums{}
	var rows []planning.LedgerRow
	for ti, tw := range towns {
		for i := range 12 + ti*5 {
			r := planning.LedgerRow{ProjectID: int64(len(rows) + 1), Code: fmt.Sprintf("430682-%05d", len(rows)+1),
				Name: fmt.Sprintf("%s项目%d", tw.name, i), Category: planning.Categories[rng.IntN(4)], Status: planning.StateBuilding,
				TownshipCode: tw.code, TownshipName: tw.name, VillageName: fmt.Sprintf("%d村", i),
				CostWan: float64(rng.IntN(100000)) / 100, BySource: map[string]planning.LedgerSums{}}
			for _, s := range ledgerSources[:3] {
				if rng.IntN(3) == 0 {
					continue
				}
				p := int64(1 + rng.IntN(100000))
				a := p * int64(rng.IntN(101)) / 100
				ar := a * int64(rng.IntN(101)) / 100
				v := planning.LedgerSums{Planned: p, Allocated: a, Arrived: ar, Paid: ar * int64(rng.IntN(101)) / 100}
				r.BySource[s.Code] = v
				want[s.Code] = want[s.Code].Plus(v)
			}
			rows = append(rows, r)
		}
	}
	return rows, want
}

func writeLedger(t *testing.T) (string, []planning.LedgerRow, map[string]planning.LedgerSums) {
	t.Helper()
	rows, want := randomLedger(7)
	var buf bytes.Buffer
	if err := WriteLedgerXLSX(&buf, rows, ledgerSources, Meta{County: "临湘市"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "资金台账.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rows, want
}

// parseCents reads a cell written as 0.00 (万元) into cents; "" is 0.
func parseCents(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	var whole, frac int64
	if _, err := fmt.Sscanf(strings.Replace(s, ".", " ", 1), "%d %d", &whole, &frac); err != nil {
		t.Fatalf("cell %q is not 0.00: %v", s, err)
	}
	if strings.HasPrefix(s, "-") {
		return whole*100 - frac
	}
	return whole*100 + frac
}

func TestLedgerXLSXTotals(t *testing.T) {
	path, rows, want := writeLedger(t)
	f := openXLSX(t, path)
	got, err := f.GetRows(sheetLedger)
	if err != nil {
		t.Fatal(err)
	}
	if got[0][0] != "临湘市扶贫项目资金台账" {
		t.Errorf("title %q", got[0][0])
	}
	header := got[2]
	// Each used source has four columns; 金融信贷资金 has no entries: none.
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if _, ok := col["金融信贷资金·计划（万元）"]; ok {
		t.Error("a source without entries has columns")
	}
	var data, subtotals, total []map[string]int64
	for _, r := range got[3:] {
		vals := map[string]int64{}
		for name, i := range col {
			if strings.HasSuffix(name, "（万元）") && i < len(r) {
				vals[name] = parseCents(t, r[i])
			}
		}
		switch {
		case strings.HasPrefix(r[0], "小计："):
			subtotals = append(subtotals, vals)
		case r[0] == "合计":
			total = append(total, vals)
		default:
			data = append(data, vals)
		}
	}
	if len(data) != len(rows) || len(subtotals) != 2 || len(total) != 1 {
		t.Fatalf("%d data rows, %d 小计, %d 合计; want %d, 2, 1", len(data), len(subtotals), len(total), len(rows))
	}
	var grand planning.LedgerSums
	for _, s := range ledgerSources[:3] {
		w := want[s.Code]
		grand = grand.Plus(w)
		for k, wc := range map[string]int64{"计划": w.Planned, "下达": w.Allocated, "到位": w.Arrived, "拨付": w.Paid} {
			name := s.Name + "·" + k + "（万元）"
			var sumData, sumSub int64
			for _, d := range data {
				sumData += d[name]
			}
			for _, d := range subtotals {
				sumSub += d[name]
			}
			if sumData != wc || sumSub != wc || total[0][name] != wc {
				t.Errorf("%s: rows %d, 小计 %d, 合计 %d cents; want %d", name, sumData, sumSub, total[0][name], wc)
			}
		}
	}
	if g := total[0]["合计·拨付（万元）"]; g != grand.Paid {
		t.Errorf("合计·拨付 %d, want %d", g, grand.Paid)
	}

	summary, err := f.GetRows(sheetLedgerSummary)
	if err != nil {
		t.Fatal(err)
	}
	last := summary[len(summary)-1]
	if last[0] != "合计" || parseCents(t, last[3]) != grand.Planned || parseCents(t, last[6]) != grand.Paid {
		t.Errorf("资金汇总 合计 row %q, want 计划 %d 拨付 %d cents", last, grand.Planned, grand.Paid)
	}
}

// TestLedgerXLSXWithGDAL reads the workbook with GDAL, which shares no code
// with excelize: the 资金汇总 sheet as a table, whose rows by source and
// total equal the totals summed apart.
func TestLedgerXLSXWithGDAL(t *testing.T) {
	gdaltest.Tool(t, "ogr2ogr")
	path, _, want := writeLedger(t)
	out := gdaltest.Run(t, "ogr2ogr", "-f", "CSV", "/vsistdout/", path, sheetLedgerSummary)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Join(recs[0], ",") != strings.Join(ledgerSummaryHeaders, ",") {
		t.Fatalf("GDAL reads the header as %q", recs[0])
	}
	byName := map[string][]string{}
	for _, r := range recs[1:] {
		byName[r[0]+"/"+r[1]] = r
	}
	var grand planning.LedgerSums
	check := func(key string, w planning.LedgerSums) {
		t.Helper()
		r, ok := byName[key]
		if !ok {
			t.Errorf("GDAL finds no row %s in %q", key, recs)
			return
		}
		got := planning.LedgerSums{Planned: parseGDALCents(t, r[3]), Allocated: parseGDALCents(t, r[4]),
			Arrived: parseGDALCents(t, r[5]), Paid: parseGDALCents(t, r[6])}
		if got != w {
			t.Errorf("GDAL row %s = %+v, want %+v", key, got, w)
		}
	}
	for _, s := range ledgerSources[:3] {
		check("按资金来源/"+s.Name, want[s.Code])
		grand = grand.Plus(want[s.Code])
	}
	check("合计/", grand)
	// The ledger sheet's 合计·计划 is there too.
	all := gdaltest.Run(t, "ogrinfo", "-ro", "-al", path, sheetLedger)
	if w := "= " + strconv.FormatFloat(centsValue(grand.Planned), 'f', -1, 64); !strings.Contains(all, w) {
		t.Errorf("ogrinfo 资金台账 lacks %q", w)
	}
}

// parseGDALCents reads a number GDAL prints (trailing zeros dropped).
func parseGDALCents(t *testing.T, s string) int64 {
	t.Helper()
	var x float64
	if _, err := fmt.Sscan(s, &x); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return planning.Scaled(x, 2)
}
