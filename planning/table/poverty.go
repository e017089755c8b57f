package table

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// The 建档立卡 roll-up by year as a table: one row per year and township,
// the county's total of the year first, an unknown figure an empty cell
// (never 0) and the count of villages whose figure it leaves out beside it.

const sheetPoverty = "建档立卡分年度汇总"

// PovertyFormats are the formats of the roll-up by file extension: what
// /api/v1/poverty/export.{format} and `gapmap poor rollup --out` accept.
var PovertyFormats = map[string]struct {
	ContentType string
	Write       func(w io.Writer, rows []planning.PovertyRollup) error
}{
	"xlsx": {ContentType: Formats["xlsx"].ContentType, Write: WritePovertyXLSX},
	"csv":  {ContentType: Formats["csv"].ContentType, Write: WritePovertyCSV},
}

// PovertyHeaders are the roll-up's columns.
var PovertyHeaders = append(append([]string{"年度", "乡镇代码", "乡镇", "填报村数"}, planning.PovertyFieldTitles...),
	"数字不全的村数", "当年退出贫困村数")

// povertyRows flattens the roll-up: nil for an unknown sum; the villages
// with some figure unknown (the most of any field).
func povertyRows(rows []planning.PovertyRollup) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		town := r.TownshipName
		if r.TownshipCode == "" {
			town = "合计"
		}
		vals := []any{r.Year, r.TownshipCode, town, r.Villages}
		for _, v := range r.Values() {
			if v == nil {
				vals = append(vals, nil)
			} else {
				vals = append(vals, *v)
			}
		}
		most := 0
		for _, n := range r.Unknown {
			most = max(most, n)
		}
		out[i] = append(vals, most, r.VillagesExited)
	}
	return out
}

// WritePovertyXLSX writes the roll-up as one sheet, header in row 1 (GDAL
// takes field names from it), the county's totals highlighted.
func WritePovertyXLSX(w io.Writer, rows []planning.PovertyRollup) error {
	widths := []float64{7, 12, 12, 9}
	for range planning.PovertyFields {
		widths = append(widths, 11)
	}
	return writeSheetXLSX(w, sheetPoverty, append(widths, 12, 14), PovertyHeaders, povertyRows(rows),
		func(r, i int) (rowLevel, cellKind) {
			level := levelData
			if rows[r].TownshipCode == "" {
				level = levelTotal
			}
			switch i {
			case 1:
				return level, kindCode
			case 2:
				return level, kindText
			}
			return level, kindInt
		})
}

// writeSheetXLSX writes a workbook of one sheet: the header in row 1,
// frozen, then rows, each cell styled by style(row, column).
func writeSheetXLSX(w io.Writer, sheet string, widths []float64, headers []string, rows [][]any,
	style func(r, i int) (rowLevel, cellKind)) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	st := &styles{f: f, cache: map[styleKey]int{}}
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := setWidths(sw, widths); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, headers)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for r, vals := range rows {
		row := make([]any, len(vals))
		for i, v := range vals {
			level, kind := style(r, i)
			id, err := st.id(level, kind, false)
			if err != nil {
				return err
			}
			row[i] = excelize.Cell{StyleID: id, Value: v}
		}
		if err := sw.SetRow(cellName(1, r+2), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// WritePovertyCSV writes the roll-up as CSV, UTF-8 with BOM.
func WritePovertyCSV(w io.Writer, rows []planning.PovertyRollup) error {
	return writeCSV(w, PovertyHeaders, textRows(povertyRows(rows)))
}
