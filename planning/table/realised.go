package table

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// The predicted-against-realised table: one row per project written into
// the layers (planning.Realised), an unknown gap an empty cell.

const sheetRealised = "预计与实际缺口"

// realisedKinds types the columns of planning.RealisedHeaders.
var realisedKinds = []cellKind{kindInt, kindCode, kindText, kindText, kindCode, kindCode, kindText, kindText,
	kindText, kindGap, kindGap, kindInt, kindGap, kindGap}

// WriteRealisedXLSX writes the table as one sheet, header in row 1.
func WriteRealisedXLSX(w io.Writer, rows []planning.Realised) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	st := &styles{f: f, cache: map[styleKey]int{}}
	if err := f.SetSheetName(f.GetSheetName(0), sheetRealised); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetRealised)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := setWidths(sw, []float64{8, 14, 30, 12, 12, 15, 10, 8, 11, 8, 10, 8, 8, 12}); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, planning.RealisedHeaders)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for r, x := range rows {
		vals := x.Row()
		row := make([]any, len(vals))
		for i, v := range vals {
			id, err := st.id(levelData, realisedKinds[i], false)
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

// WriteRealisedCSV writes the table as CSV, UTF-8 with BOM.
func WriteRealisedCSV(w io.Writer, rows []planning.Realised) error {
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = r.Row()
	}
	return writeCSV(w, planning.RealisedHeaders, textRows(cells))
}
