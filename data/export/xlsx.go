package export

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// xlsxMetaSheet is the name of the sheet Close adds.
const xlsxMetaSheet = "说明"

// xlsxMaxFeatures is how many features fit a sheet below its header.
const xlsxMaxFeatures = excelize.TotalRows - 1

// xlsxWriter writes one sheet per layer through excelize's StreamWriter.
type xlsxWriter struct {
	st     state
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	layer  Layer
	sheets []string // names taken, in order
	done   []layerSummary
	n      int
	blank  int // features whose WKT exceeded a cell
	cut    int // text values cut to a cell's 32,767 characters

	header, date, dateTime, integer int // style ids
	row                             []any
	wkt                             []byte
	cells                           []cell
}

// NewXLSX returns a [Writer] of an Excel workbook: one sheet per layer,
// then a 说明 sheet from Meta (source, time, version, CRS, filters,
// attribution, and each layer's fields). A sheet is named after the
// layer's Title, cut to Excel's 31 characters, with characters Excel
// forbids replaced and " (2)" added to repeat titles. Row 1 is the bold,
// frozen header of Titles; then one row per feature with typed cells:
// numbers as numbers (integers with format "0" so codes are not shown as
// 4.30682E+11), dates and date-times as dates with a number format,
// booleans as TRUE/FALSE, NULL as an empty cell. The last column "WKT"
// holds the geometry in the layer's coordinates; a geometry whose WKT
// exceeds Excel's 32,767 characters per cell is left blank and counted in
// 说明; longer text is cut to 32,767 characters by excelize and counted
// there too. A layer over 1,048,575 features returns a [*LimitError].
//
// Sheets stream to temporary files (excelize's, in os.TempDir); Close
// zips them straight into w.
func NewXLSX(w io.Writer) Writer {
	return &xlsxWriter{w: w}
}

func (w *xlsxWriter) init() error {
	if w.f != nil {
		return nil
	}
	w.f = excelize.NewFile()
	var err error
	if w.header, err = w.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	}); err != nil {
		return err
	}
	if w.date, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")}); err != nil {
		return err
	}
	if w.dateTime, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")}); err != nil {
		return err
	}
	if w.integer, err = w.f.NewStyle(&excelize.Style{NumFmt: 1}); err != nil { // "0"
		return err
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// sheetName makes title a legal sheet name not yet in taken.
func sheetName(title string, taken []string) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, title)
	name = strings.Trim(name, "'")
	if name == "" {
		name = "图层"
	}
	used := func(s string) bool {
		for _, t := range taken {
			if strings.EqualFold(t, s) {
				return true
			}
		}
		return false
	}
	base := cutUTF16(name, excelize.MaxSheetNameLength)
	if !used(base) {
		return base
	}
	for i := 2; ; i++ {
		suffix := " (" + strconv.Itoa(i) + ")"
		s := cutUTF16(name, excelize.MaxSheetNameLength-len(suffix)) + suffix
		if !used(s) {
			return s
		}
	}
}

// cutUTF16 cuts s to at most n UTF-16 code units, which is how Excel
// counts, on a character boundary.
func cutUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return strings.TrimRight(s[:i], " ")
		}
	}
	return s
}

func (w *xlsxWriter) BeginLayer(l Layer) error {
	l, err := w.st.beginLayer(l, false)
	if err != nil {
		return err
	}
	if err := w.begin(l); err != nil {
		return w.st.fail(fmt.Errorf("xlsx layer %s: %w", l.Name, err))
	}
	return nil
}

func (w *xlsxWriter) begin(l Layer) error {
	if err := w.init(); err != nil {
		return err
	}
	name := sheetName(l.label(), append(w.sheets, xlsxMetaSheet))
	if len(w.sheets) == 0 {
		if err := w.f.SetSheetName(w.f.GetSheetName(0), name); err != nil {
			return err
		}
	} else if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	w.sheets = append(w.sheets, name)
	w.st.layers++
	w.layer, w.st.inLayer, w.n, w.blank, w.cut = l, true, 0, 0, 0

	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	w.sw = sw
	widths := make([]float64, 0, len(l.Fields)+1)
	for _, f := range l.Fields {
		width := float64(utf8.RuneCountInString(f.label()))*2 + 2 // a CJK character is two columns wide
		switch f.Type {
		case Date:
			width = max(width, 12)
		case DateTime:
			width = max(width, 20)
		case String:
			width = max(width, 16)
		default:
			width = max(width, 10)
		}
		widths = append(widths, min(width, 40))
	}
	widths = append(widths, 50)
	// Last to first: the StreamWriter puts each <col> before the earlier
	// ones, and Excel wants them ascending (see data.libSetWidths).
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	hdr := make([]any, 0, len(l.Fields)+1)
	for _, f := range l.Fields {
		hdr = append(hdr, excelize.Cell{StyleID: w.header, Value: f.label()})
	}
	hdr = append(hdr, excelize.Cell{StyleID: w.header, Value: "WKT"})
	return sw.SetRow("A1", hdr)
}

func (w *xlsxWriter) Write(g orb.Geometry, values []any) error {
	var err error
	if w.cells, err = w.st.row(w.cells, w.layer, w.n, values); err != nil {
		return err
	}
	if w.n >= xlsxMaxFeatures {
		return w.st.fail(&LimitError{Format: "XLSX", Layer: w.layer.label(), What: "要素数",
			Limit: "每个工作表 " + strconv.Itoa(xlsxMaxFeatures) + " 行"})
	}
	row := w.row[:0]
	for i, f := range w.layer.Fields {
		c := w.cells[i]
		if c.null {
			row = append(row, nil)
			continue
		}
		switch f.Type {
		case String:
			if len(c.s) > excelize.TotalCellChars && utf16Len(c.s) > excelize.TotalCellChars {
				w.cut++ // excelize keeps the first 32,767 characters
			}
			row = append(row, c.s)
		case Int:
			row = append(row, excelize.Cell{StyleID: w.integer, Value: c.i})
		case Float:
			row = append(row, c.f)
		case Bool:
			row = append(row, c.b)
		case Date:
			// The calendar date the value carries in its own location;
			// excelize would otherwise shift it by the zone offset.
			d := time.Date(c.t.Year(), c.t.Month(), c.t.Day(), 0, 0, 0, 0, time.UTC)
			row = append(row, excelize.Cell{StyleID: w.date, Value: d})
		case DateTime:
			d := time.Date(c.t.Year(), c.t.Month(), c.t.Day(), c.t.Hour(), c.t.Minute(), c.t.Second(), 0, time.UTC)
			row = append(row, excelize.Cell{StyleID: w.dateTime, Value: d})
		}
	}
	w.wkt = appendWKT(w.wkt[:0], g, -1)
	switch {
	case len(w.wkt) == 0:
		row = append(row, nil)
	case len(w.wkt) > excelize.TotalCellChars: // WKT is ASCII: bytes are characters
		w.blank++
		row = append(row, nil)
	default:
		row = append(row, string(w.wkt))
	}
	w.row = row
	w.n++
	if err := w.sw.SetRow("A"+strconv.Itoa(w.n+1), row); err != nil {
		return w.st.fail(fmt.Errorf("xlsx layer %s: %w", w.layer.Name, err))
	}
	return nil
}

func (w *xlsxWriter) EndLayer() error {
	if err := w.st.endLayer(); err != nil {
		return err
	}
	if err := w.sw.Flush(); err != nil {
		return w.st.fail(fmt.Errorf("xlsx layer %s: %w", w.layer.Name, err))
	}
	s := layerSummary{layer: w.layer, count: w.n, files: []string{w.sheets[len(w.sheets)-1]}}
	if w.blank > 0 {
		s.notes = append(s.notes, fmt.Sprintf("%d 个要素的几何超过 Excel 单元格 32767 个字符的上限，WKT 列留空；请改用 Shapefile 或 GeoPackage 获取完整几何", w.blank))
	}
	if w.cut > 0 {
		s.notes = append(s.notes, fmt.Sprintf("%d 个文本值超过 Excel 单元格 32767 个字符的上限，只保留了前 32767 个字符", w.cut))
	}
	w.done = append(w.done, s)
	return nil
}

// utf16Len is the length of s in UTF-16 code units, as Excel counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func (w *xlsxWriter) Close(meta Meta) error {
	if err := w.st.close(); err != nil {
		w.release()
		return err
	}
	err := w.close(meta)
	if rerr := w.release(); err == nil {
		err = rerr
	}
	if err != nil {
		return w.st.fail(err)
	}
	return nil
}

// release removes excelize's temporary files.
func (w *xlsxWriter) release() error {
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func (w *xlsxWriter) close(meta Meta) error {
	if err := w.init(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if len(w.sheets) == 0 {
		if err := w.f.SetSheetName(w.f.GetSheetName(0), xlsxMetaSheet); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	} else if _, err := w.f.NewSheet(xlsxMetaSheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := w.writeMeta(meta); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", xlsxMetaSheet, err)
	}
	// The first layer's sheet stays active. (SetActiveSheet would parse
	// every sheet, streamed ones included, back into memory.)
	// excelize's Write zips the whole workbook into a bytes.Buffer before
	// copying it to w, which would hold the export in memory. Its zip
	// writer hook lets the archive go straight to w instead; the buffer
	// it passes stays empty. (excelize's fix-up for >4 GB entries works
	// on that buffer and so is skipped; sheets here are far smaller.)
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w.w) })
	if err := w.f.Write(w.w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func (w *xlsxWriter) writeMeta(meta Meta) error {
	sw, err := w.f.NewStreamWriter(xlsxMetaSheet)
	if err != nil {
		return err
	}
	widths := []float64{18, 20, 24, 12, 60}
	for i := len(widths) - 1; i >= 0; i-- { // last to first; see begin
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	r := 0
	put := func(vals ...any) error {
		r++
		return sw.SetRow("A"+strconv.Itoa(r), vals)
	}
	bold := func(s string) any { return excelize.Cell{StyleID: w.header, Value: s} }
	if err := put(bold("项目"), bold("内容")); err != nil {
		return err
	}
	for _, kv := range metaRows(meta, w.done, "") {
		if err := put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := put(); err != nil {
		return err
	}
	if err := put(bold("工作表"), bold("图层"), bold("说明"), bold("要素数"), bold("备注")); err != nil {
		return err
	}
	for _, s := range w.done {
		desc := geometryChinese(s.layer.Geometry)
		if s.layer.Description != "" {
			desc += "；" + s.layer.Description
		}
		if err := put(s.files[0], s.layer.Name, desc, s.count, strings.Join(s.notes, "；")); err != nil {
			return err
		}
	}
	for _, name := range missingLayers(meta, w.done) {
		if err := put("", name, "", 0, "无数据，未导出"); err != nil {
			return err
		}
	}
	if err := put(); err != nil {
		return err
	}
	if err := put(bold("工作表"), bold("字段名"), bold("中文名"), bold("类型")); err != nil {
		return err
	}
	for _, s := range w.done {
		for _, f := range s.layer.Fields {
			if err := put(s.files[0], f.Name, f.label(), f.Type.chinese()); err != nil {
				return err
			}
		}
		if err := put(s.files[0], "WKT", "几何（WKT）", "文本"); err != nil {
			return err
		}
	}
	return sw.Flush()
}
