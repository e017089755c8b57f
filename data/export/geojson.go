package export

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/paulmach/orb"
)

// geojsonWriter writes one layer as an RFC 7946 FeatureCollection.
type geojsonWriter struct {
	st    state
	bw    *bufio.Writer
	layer Layer
	n     int // features written
	buf   []byte
	cells []cell
}

// NewGeoJSON returns a [Writer] of one layer as an RFC 7946
// FeatureCollection, streamed feature by feature. Coordinates must be
// lon/lat on WGS 84 (EPSG:4326; CGCS2000 is accepted as equal) and are
// written with 7 decimals (about 1 cm). Polygons are reoriented as RFC
// 7946 asks (exterior counter-clockwise). Properties are keyed by
// Field.Name; dates are "2006-01-02" and date-times RFC 3339 with their
// offset, which GDAL reads back as Date and DateTime. The collection has
// no foreign members (no "name", no "crs"), and Meta is not written.
//
// A second BeginLayer returns [ErrSingleLayer]. Close writes the closing
// brackets and flushes, but does not close w.
func NewGeoJSON(w io.Writer) Writer {
	return &geojsonWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (w *geojsonWriter) BeginLayer(l Layer) error {
	l, err := w.st.beginLayer(l, true)
	if err != nil {
		return err
	}
	if err := checkWGS84(l, "GeoJSON"); err != nil {
		return w.st.fail(err)
	}
	w.layer, w.st.inLayer = l, true
	w.st.layers++
	if _, err := w.bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return w.st.fail(fmt.Errorf("write geojson: %w", err))
	}
	return nil
}

func (w *geojsonWriter) Write(g orb.Geometry, values []any) error {
	var err error
	if w.cells, err = w.st.row(w.cells, w.layer, w.n, values); err != nil {
		return err
	}
	b := w.buf[:0]
	if w.n > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{\"type\":\"Feature\",\"geometry\":"...)
	b = appendGeoJSONGeometry(b, g)
	b = append(b, `,"properties":{`...)
	for i, f := range w.layer.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		b = appendJSONValue(b, f.Type, w.cells[i])
	}
	b = append(b, "}}"...)
	w.buf = b
	w.n++
	if _, err := w.bw.Write(b); err != nil {
		return w.st.fail(fmt.Errorf("write geojson: %w", err))
	}
	return nil
}

func (w *geojsonWriter) EndLayer() error { return w.st.endLayer() }

func (w *geojsonWriter) Close(Meta) error {
	if err := w.st.close(); err != nil {
		return err
	}
	if w.st.layers == 0 { // still a valid document
		if _, err := w.bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
			return w.st.fail(fmt.Errorf("write geojson: %w", err))
		}
	}
	if _, err := w.bw.WriteString("\n]}\n"); err != nil {
		return w.st.fail(fmt.Errorf("write geojson: %w", err))
	}
	if err := w.bw.Flush(); err != nil {
		return w.st.fail(fmt.Errorf("write geojson: %w", err))
	}
	return nil
}

func appendJSONValue(b []byte, t FieldType, c cell) []byte {
	if c.null {
		return append(b, "null"...)
	}
	switch t {
	case String:
		return appendJSONString(b, c.s)
	case Int:
		return appendInt(b, c.i)
	case Float:
		return appendFloat(b, c.f)
	case Bool:
		if c.b {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Date:
		b = append(b, '"')
		b = c.t.AppendFormat(b, dateLayout)
		return append(b, '"')
	case DateTime:
		b = append(b, '"')
		b = c.t.AppendFormat(b, time.RFC3339)
		return append(b, '"')
	}
	return append(b, "null"...)
}

// appendGeoJSONGeometry appends g as a GeoJSON geometry object, or null
// for nil.
func appendGeoJSONGeometry(b []byte, g orb.Geometry) []byte {
	pt := func(b []byte, p orb.Point) []byte {
		b = append(b, '[')
		b = appendCoord(b, p[0], lonLatDecimals)
		b = append(b, ',')
		b = appendCoord(b, p[1], lonLatDecimals)
		return append(b, ']')
	}
	seq := func(b []byte, ps []orb.Point) []byte {
		b = append(b, '[')
		for i, p := range ps {
			if i > 0 {
				b = append(b, ',')
			}
			b = pt(b, p)
		}
		return append(b, ']')
	}
	poly := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '[')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			first := true
			ringPoints(r, ringCCW(i), func(p orb.Point) {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = pt(b, p)
			})
			b = append(b, ']')
		}
		return append(b, ']')
	}
	switch g := canonical(g).(type) {
	case nil:
		return append(b, "null"...)
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b = pt(b, g)
	case orb.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":`...)
		b = seq(b, g)
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":`...)
		b = seq(b, g)
	case orb.MultiLineString:
		b = append(b, `{"type":"MultiLineString","coordinates":[`...)
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = seq(b, l)
		}
		b = append(b, ']')
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = poly(b, g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = poly(b, p)
		}
		b = append(b, ']')
	case orb.Collection:
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		for i, m := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendGeoJSONGeometry(b, m)
		}
		return append(b, "]}"...)
	default:
		return append(b, "null"...)
	}
	return append(b, '}')
}
