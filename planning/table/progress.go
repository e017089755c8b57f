package table

import (
	"io"

	"github.com/gapmap/gapmap/planning"
)

// The progress-by-year table (planning.Progress): one row per year-end and
// township.

const sheetProgress = "逐年进展"

// progressKind types column i of planning.ProgressHeaders: year, code,
// name, then counts, km, 万元 and the run id.
func progressKind(i int) cellKind {
	n := len(planning.ProgressHeaders)
	switch i {
	case 1:
		return kindCode
	case 2:
		return kindText
	case n - 3:
		return kindQty
	case n - 2:
		return kindMoney
	}
	return kindInt
}

// WriteProgressXLSX writes the table as one sheet, header in row 1.
func WriteProgressXLSX(w io.Writer, rows []planning.ProgressRow) error {
	widths := make([]float64, len(planning.ProgressHeaders))
	cells := make([][]any, len(rows))
	for i := range widths {
		widths[i] = 11
	}
	widths[2] = 14
	for i, r := range rows {
		cells[i] = r.Row()
	}
	return writeSheetXLSX(w, sheetProgress, widths, planning.ProgressHeaders, cells,
		func(_, i int) (rowLevel, cellKind) { return levelData, progressKind(i) })
}
