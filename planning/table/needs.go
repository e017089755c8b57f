package table

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// The 补充数据 list as a table: one row per village and undecided (or
// unsized) indicator, with the data that would settle it, and a summary by
// the data to collect, most villages first.

// Sheet names of the 补充数据 tables.
const (
	sheetNeeds       = "补充数据"
	sheetNeedSummary = "补充数据汇总"
)

// NeedFormats are the formats of the 补充数据 list by file extension: what
// /api/v1/data-needs/export.{format} and `gapmap projects needs --out`
// accept.
var NeedFormats = map[string]struct {
	ContentType string
	Write       func(w io.Writer, page planning.DataNeedPage, meta Meta) error
}{
	"xlsx": {ContentType: Formats["xlsx"].ContentType, Write: WriteNeedsXLSX},
	"csv":  {ContentType: Formats["csv"].ContentType, Write: WriteNeedsCSV},
}

// needHeaders are the columns of the 补充数据 sheet.
var needHeaders = []string{"序号", "乡镇", "村", "村代码", "贫困村", "建档立卡人口", "维度", "指标", "指标名称", "指标状态",
	"原因", "需补充的数据", "图层", "字段", "用途"}

var needWidths = []float64{6, 10, 10, 14, 7, 9, 6, 6, 18, 14, 40, 30, 14, 16, 12}

// needRows flattens a page into table rows, in the page's order.
func needRows(page planning.DataNeedPage) [][]any {
	var rows [][]any
	for _, v := range page.Villages {
		poor := "否"
		if v.IsPoor {
			poor = "是"
		}
		var poorPop any // unknown stays empty, never 0
		if v.PoorPopulation != nil {
			poorPop = *v.PoorPopulation
		}
		for _, n := range v.Needs {
			var labels, layers, fields []string
			for _, it := range n.Settle {
				labels = append(labels, it.Label())
				layers = append(layers, it.Layer)
				fields = append(fields, it.Field)
			}
			status := "暂无数据"
			if n.Status == planning.StatusFail {
				status = "不达标，规模待定"
			}
			rows = append(rows, []any{len(rows) + 1, v.TownshipName, v.Name, v.Code, poor, poorPop, n.Dimension, n.Indicator,
				n.Name, status, n.Reason, strings.Join(labels, "；"), strings.Join(compact(layers), "；"),
				strings.Join(compact(fields), "；"), n.Purpose})
		}
	}
	return rows
}

func compact(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// needSummary is one row of 补充数据汇总: a piece of data and what it would
// settle.
type needSummary struct {
	item       planning.DataItem
	villages   map[string]bool
	indicators []string
}

func summarizeNeeds(page planning.DataNeedPage) []*needSummary {
	by := map[string]*needSummary{}
	var order []*needSummary
	for _, v := range page.Villages {
		for _, n := range v.Needs {
			for _, it := range n.Settle {
				s := by[it.Label()]
				if s == nil {
					s = &needSummary{item: it, villages: map[string]bool{}}
					by[it.Label()] = s
					order = append(order, s)
				}
				s.villages[v.Code] = true
				id := cmp.Or(n.Indicator, n.Name)
				if !slices.Contains(s.indicators, id) {
					s.indicators = append(s.indicators, id)
				}
			}
		}
	}
	slices.SortStableFunc(order, func(a, b *needSummary) int {
		return cmp.Or(cmp.Compare(len(b.villages), len(a.villages)), strings.Compare(a.item.Label(), b.item.Label()))
	})
	return order
}

// writeNeedsSheet writes the 补充数据 sheet of f: a header row first (GDAL
// takes field names from it), then one row per need.
func writeNeedsSheet(f *excelize.File, st *styles, page planning.DataNeedPage) error {
	if _, err := f.NewSheet(sheetNeeds); err != nil {
		return err
	}
	if err := setupPrint(f, sheetNeeds, "$1:$1"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetNeeds)
	if err != nil {
		return err
	}
	if err := setWidths(sw, needWidths); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, needHeaders)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	kinds := []cellKind{kindInt, kindText, kindText, kindCode, kindText, kindInt, kindText, kindText, kindText, kindText,
		kindText, kindText, kindText, kindText, kindText}
	ids := make([]int, len(kinds))
	for i, k := range kinds {
		if ids[i], err = st.id(levelData, k, k == kindText); err != nil {
			return err
		}
	}
	for r, vals := range needRows(page) {
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = excelize.Cell{StyleID: ids[i], Value: v}
		}
		if err := sw.SetRow(cellName(1, r+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func writeNeedSummarySheet(f *excelize.File, st *styles, page planning.DataNeedPage) error {
	if _, err := f.NewSheet(sheetNeedSummary); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetNeedSummary)
	if err != nil {
		return err
	}
	if err := setWidths(sw, []float64{40, 14, 16, 10, 24}); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, []string{"需补充的数据", "图层", "字段", "涉及村数", "可判定或测算的指标"})
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	text, err := st.id(levelData, kindText, true)
	if err != nil {
		return err
	}
	count, err := st.id(levelData, kindInt, false)
	if err != nil {
		return err
	}
	for r, s := range summarizeNeeds(page) {
		row := []any{excelize.Cell{StyleID: text, Value: s.item.Label()}, excelize.Cell{StyleID: text, Value: s.item.Layer},
			excelize.Cell{StyleID: text, Value: s.item.Field}, excelize.Cell{StyleID: count, Value: len(s.villages)},
			excelize.Cell{StyleID: text, Value: strings.Join(s.indicators, "、")}}
		if err := sw.SetRow(cellName(1, r+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// WriteNeedsXLSX writes the 补充数据 list on its own: sheets 补充数据 and
// 补充数据汇总. meta is not printed (the sheets start with their headers).
func WriteNeedsXLSX(w io.Writer, page planning.DataNeedPage, meta Meta) (err error) {
	_ = meta
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	st := &styles{f: f, cache: map[styleKey]int{}}
	if err := writeNeedsSheet(f, st, page); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetNeeds, err)
	}
	if err := writeNeedSummarySheet(f, st, page); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetNeedSummary, err)
	}
	if err := f.DeleteSheet(f.GetSheetName(0)); err != nil { // the default Sheet1
		return fmt.Errorf("xlsx: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// WriteNeedsCSV writes the 补充数据 sheet as CSV, UTF-8 with BOM.
func WriteNeedsCSV(w io.Writer, page planning.DataNeedPage, meta Meta) error {
	_ = meta
	return writeCSV(w, needHeaders, textRows(needRows(page)))
}
