package table

import (
	"io"

	"github.com/gapmap/gapmap/planning"
)

// The predicted-against-realised table: one row per project written into
// the layers (planning.Realised), an unknown gap an empty cell.

const sheetRealised = "预计与实际缺口"

// realisedKinds types the columns of planning.RealisedHeaders.
var realisedKinds = []cellKind{kindInt, kindCode, kindText, kindText, kindCode, kindCode, kindText, kindText,
	kindText, kindGap, kindGap, kindInt, kindGap, kindGap, kindText, kindGap, kindText, kindText, kindText, kindText}

// realisedRows are the table's cells.
func realisedRows(rows []planning.Realised) [][]any {
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = r.Row()
	}
	return cells
}

// WriteRealisedXLSX writes the table as one sheet, header in row 1.
func WriteRealisedXLSX(w io.Writer, rows []planning.Realised) error {
	return writeSheetXLSX(w, sheetRealised, []float64{8, 14, 30, 12, 12, 15, 10, 8, 11, 8, 10, 8, 8, 12, 20, 10, 16, 16, 10, 40},
		planning.RealisedHeaders, realisedRows(rows), func(_, i int) (rowLevel, cellKind) { return levelData, realisedKinds[i] })
}

// WriteRealisedCSV writes the table as CSV, UTF-8 with BOM.
func WriteRealisedCSV(w io.Writer, rows []planning.Realised) error {
	return writeCSV(w, planning.RealisedHeaders, textRows(realisedRows(rows)))
}
