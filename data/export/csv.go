package export

import (
	"bufio"
	"fmt"
	"io"

	"github.com/paulmach/orb"
)

// csvWriter writes one layer as CSV with a WKT column.
type csvWriter struct {
	st    state
	bw    *bufio.Writer
	layer Layer
	n     int
	buf   []byte // the row
	val   []byte // one value before quoting
	cells []cell
}

// NewCSV returns a [Writer] of one layer as CSV: UTF-8 with a BOM (so
// Excel reads Chinese), CRLF line ends, a header of the fields' Titles
// (Chinese) after a first column "WKT", the geometry as OGC WKT in the
// layer's own coordinates and full precision. GDAL and QGIS take the
// column named WKT as the geometry (GDAL's GEOM_POSSIBLE_NAMES=WKT), but
// the CSV carries no CRS: the caller must say which (Layer.SRSName).
//
// Values: booleans 是/否, dates 2006-01-02, date-times 2006-01-02
// 15:04:05, NULL an empty field. Text that Excel would run as a formula
// (starting with = + - @) gets a leading apostrophe, as in the project
// library's CSV. Meta is not written. A second BeginLayer returns
// [ErrSingleLayer].
func NewCSV(w io.Writer) Writer {
	return &csvWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (w *csvWriter) BeginLayer(l Layer) error {
	l, err := w.st.beginLayer(l, true)
	if err != nil {
		return err
	}
	w.layer, w.st.inLayer = l, true
	w.st.layers++
	b := append(w.buf[:0], "\uFEFFWKT"...)
	for _, f := range l.Fields {
		b = append(b, ',')
		b = appendCSVField(b, []byte(f.label()))
	}
	b = append(b, '\r', '\n')
	w.buf = b
	if _, err := w.bw.Write(b); err != nil {
		return w.st.fail(fmt.Errorf("write csv: %w", err))
	}
	return nil
}

func (w *csvWriter) Write(g orb.Geometry, values []any) error {
	var err error
	if w.cells, err = w.st.row(w.cells, w.layer, w.n, values); err != nil {
		return err
	}
	w.val = appendWKT(w.val[:0], g, -1)
	b := appendCSVField(w.buf[:0], w.val)
	for i, f := range w.layer.Fields {
		b = append(b, ',')
		c := w.cells[i]
		if c.null {
			continue
		}
		v := w.val[:0]
		switch f.Type {
		case Bool:
			if c.b {
				v = append(v, "是"...)
			} else {
				v = append(v, "否"...)
			}
		case String:
			v = append(v, CSVSafe(c.s)...)
		default:
			v = appendText(v, f.Type, c)
		}
		b = appendCSVField(b, v)
		w.val = v
	}
	b = append(b, '\r', '\n')
	w.buf = b
	w.n++
	if _, err := w.bw.Write(b); err != nil {
		return w.st.fail(fmt.Errorf("write csv: %w", err))
	}
	return nil
}

func (w *csvWriter) EndLayer() error { return w.st.endLayer() }

func (w *csvWriter) Close(Meta) error {
	if err := w.st.close(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return w.st.fail(fmt.Errorf("write csv: %w", err))
	}
	return nil
}
