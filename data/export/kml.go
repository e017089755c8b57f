package export

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/paulmach/orb"
)

// kmlWriter writes layers as KML 2.2 Folders.
type kmlWriter struct {
	st       state
	bw       *bufio.Writer
	layer    Layer
	schemaID string
	nameIdx  int // field giving Placemark names, or -1
	n        int
	started  bool
	buf, val []byte
	cells    []cell
}

// NewKML returns a [Writer] of KML 2.2 for Google Earth and GIS tools.
// Each layer is a Folder named after its Title and preceded by a typed
// Schema (String → string, Int and Float → double, because KML's int is
// 32 bits, Bool → bool written 1/0, dates → string). Each feature is a Placemark whose name is the value of the
// field named "name" (or of the first String field), whose ExtendedData
// holds every non-NULL value as SchemaData/SimpleData keyed by
// Field.Name, and whose description balloon is an HTML table of Title:
// value. Multi geometries and collections become MultiGeometry;
// exteriors are written counter-clockwise.
//
// Coordinates must be lon/lat on WGS 84 (EPSG:4326; CGCS2000 is accepted
// as equal) and are written with 7 decimals. Meta is not written: KML
// wants a Document's name before its features. Close writes the closing
// tags and flushes, but does not close w.
func NewKML(w io.Writer) Writer {
	return &kmlWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

const kmlHeader = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document>
`

func (w *kmlWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	if _, err := w.bw.WriteString(kmlHeader); err != nil {
		return fmt.Errorf("write kml: %w", err)
	}
	return nil
}

// kmlType is the Schema type of a field. KML's int is 32 bits (GDAL
// clamps 430682101201 to 2147483647) and it has no 64-bit type, so Int is
// declared double, exact to 2^53.
func kmlType(t FieldType) string {
	switch t {
	case Int, Float:
		return "double"
	case Bool:
		return "bool"
	}
	return "string"
}

func (w *kmlWriter) BeginLayer(l Layer) error {
	l, err := w.st.beginLayer(l, false)
	if err != nil {
		return err
	}
	if err := checkWGS84(l, "KML"); err != nil {
		return w.st.fail(err)
	}
	if err := w.start(); err != nil {
		return w.st.fail(err)
	}
	w.st.layers++
	w.layer, w.st.inLayer, w.n = l, true, 0
	w.nameIdx = pickNameField(l.Fields)
	// An XML ID may not start with a digit nor hold CJK in every parser,
	// so ids are by position; the Schema's name keeps the layer's Name.
	w.schemaID = "schema" + strconv.Itoa(w.st.layers)

	b := w.buf[:0]
	if len(l.Fields) > 0 {
		b = append(b, `<Schema name="`...)
		b = appendXMLText(b, l.Name)
		b = append(b, `" id="`...)
		b = append(b, w.schemaID...)
		b = append(b, "\">\n"...)
		for _, f := range l.Fields {
			b = append(b, `<SimpleField name="`...)
			b = appendXMLText(b, f.Name)
			b = append(b, `" type="`...)
			b = append(b, kmlType(f.Type)...)
			b = append(b, `"><displayName>`...)
			b = appendXMLText(b, f.label())
			b = append(b, "</displayName></SimpleField>\n"...)
		}
		b = append(b, "</Schema>\n"...)
	}
	b = append(b, "<Folder><name>"...)
	b = appendXMLText(b, l.label())
	b = append(b, "</name>"...)
	if l.Description != "" {
		b = append(b, "<description>"...)
		b = appendXMLText(b, l.Description)
		b = append(b, "</description>"...)
	}
	b = append(b, '\n')
	w.buf = b
	if _, err := w.bw.Write(b); err != nil {
		return w.st.fail(fmt.Errorf("write kml: %w", err))
	}
	return nil
}

func (w *kmlWriter) Write(g orb.Geometry, values []any) error {
	var err error
	if w.cells, err = w.st.row(w.cells, w.layer, w.n, values); err != nil {
		return err
	}
	b := append(w.buf[:0], "<Placemark>"...)
	if i := w.nameIdx; i >= 0 && !w.cells[i].null {
		b = append(b, "<name>"...)
		b = appendXMLText(b, w.cells[i].s)
		b = append(b, "</name>"...)
	}
	if len(w.layer.Fields) > 0 {
		// The balloon: HTML inside CDATA, values escaped for HTML (XML's
		// escaping serves both, and drops what XML forbids). Escaping
		// turns '>' into &gt;, so no value can end the CDATA section.
		b = append(b, "<description><![CDATA[<table>"...)
		for i, f := range w.layer.Fields {
			b = append(b, "<tr><th>"...)
			b = appendXMLText(b, f.label())
			b = append(b, "</th><td>"...)
			w.val = w.text(w.val[:0], f.Type, w.cells[i])
			b = appendXMLText(b, string(w.val))
			b = append(b, "</td></tr>"...)
		}
		b = append(b, "</table>]]></description>"...)
		b = append(b, `<ExtendedData><SchemaData schemaUrl="#`...)
		b = append(b, w.schemaID...)
		b = append(b, `">`...)
		for i, f := range w.layer.Fields {
			c := w.cells[i]
			if c.null {
				continue
			}
			b = append(b, `<SimpleData name="`...)
			b = appendXMLText(b, f.Name)
			b = append(b, `">`...)
			switch f.Type {
			case Bool: // 1/0: GDAL parses "true" as the integer 0
				if c.b {
					b = append(b, '1')
				} else {
					b = append(b, '0')
				}
			case String:
				b = appendXMLText(b, c.s)
			default:
				b = appendText(b, f.Type, c)
			}
			b = append(b, "</SimpleData>"...)
		}
		b = append(b, "</SchemaData></ExtendedData>"...)
	}
	b = appendKMLGeometry(b, g)
	b = append(b, "</Placemark>\n"...)
	w.buf = b
	w.n++
	if _, err := w.bw.Write(b); err != nil {
		return w.st.fail(fmt.Errorf("write kml: %w", err))
	}
	return nil
}

// text appends a value as the balloon shows it.
func (w *kmlWriter) text(b []byte, t FieldType, c cell) []byte {
	switch {
	case c.null:
		return b
	case t == Bool && c.b:
		return append(b, "是"...)
	case t == Bool:
		return append(b, "否"...)
	}
	return appendText(b, t, c)
}

func (w *kmlWriter) EndLayer() error {
	if err := w.st.endLayer(); err != nil {
		return err
	}
	if _, err := w.bw.WriteString("</Folder>\n"); err != nil {
		return w.st.fail(fmt.Errorf("write kml: %w", err))
	}
	return nil
}

func (w *kmlWriter) Close(Meta) error {
	if err := w.st.close(); err != nil {
		return err
	}
	if err := w.start(); err != nil {
		return w.st.fail(err)
	}
	if _, err := w.bw.WriteString("</Document>\n</kml>\n"); err != nil {
		return w.st.fail(fmt.Errorf("write kml: %w", err))
	}
	if err := w.bw.Flush(); err != nil {
		return w.st.fail(fmt.Errorf("write kml: %w", err))
	}
	return nil
}

// appendKMLGeometry appends g as a KML geometry element; nil appends
// nothing (a Placemark without geometry).
func appendKMLGeometry(b []byte, g orb.Geometry) []byte {
	pt := func(b []byte, p orb.Point) []byte {
		b = appendCoord(b, p[0], lonLatDecimals)
		b = append(b, ',')
		return appendCoord(b, p[1], lonLatDecimals)
	}
	coords := func(b []byte, ps []orb.Point) []byte {
		b = append(b, "<coordinates>"...)
		for i, p := range ps {
			if i > 0 {
				b = append(b, ' ')
			}
			b = pt(b, p)
		}
		return append(b, "</coordinates>"...)
	}
	ring := func(b []byte, r orb.Ring, i int) []byte {
		b = append(b, "<LinearRing><coordinates>"...)
		first := true
		ringPoints(r, ringCCW(i), func(p orb.Point) {
			if !first {
				b = append(b, ' ')
			}
			first = false
			b = pt(b, p)
		})
		return append(b, "</coordinates></LinearRing>"...)
	}
	poly := func(b []byte, p orb.Polygon) []byte {
		if len(p) == 0 {
			return b
		}
		b = append(b, "<Polygon><outerBoundaryIs>"...)
		b = ring(b, p[0], 0)
		b = append(b, "</outerBoundaryIs>"...)
		for i := 1; i < len(p); i++ {
			b = append(b, "<innerBoundaryIs>"...)
			b = ring(b, p[i], i)
			b = append(b, "</innerBoundaryIs>"...)
		}
		return append(b, "</Polygon>"...)
	}
	switch g := canonical(g).(type) {
	case orb.Point:
		b = append(b, "<Point><coordinates>"...)
		b = pt(b, g)
		return append(b, "</coordinates></Point>"...)
	case orb.MultiPoint:
		b = append(b, "<MultiGeometry>"...)
		for _, p := range g {
			b = append(b, "<Point><coordinates>"...)
			b = pt(b, p)
			b = append(b, "</coordinates></Point>"...)
		}
		return append(b, "</MultiGeometry>"...)
	case orb.LineString:
		b = append(b, "<LineString>"...)
		b = coords(b, g)
		return append(b, "</LineString>"...)
	case orb.MultiLineString:
		b = append(b, "<MultiGeometry>"...)
		for _, l := range g {
			b = append(b, "<LineString>"...)
			b = coords(b, l)
			b = append(b, "</LineString>"...)
		}
		return append(b, "</MultiGeometry>"...)
	case orb.Polygon:
		return poly(b, g)
	case orb.MultiPolygon:
		b = append(b, "<MultiGeometry>"...)
		for _, p := range g {
			b = poly(b, p)
		}
		return append(b, "</MultiGeometry>"...)
	case orb.Collection:
		b = append(b, "<MultiGeometry>"...)
		for _, m := range g {
			b = appendKMLGeometry(b, m)
		}
		return append(b, "</MultiGeometry>"...)
	}
	return b
}
