// This file keeps the encoding/json-based GeoJSON reader that geojson.go
// replaced, unchanged but for its names, as the oracle the differential
// tests and benchmarks compare the hand-written parser with. Helpers that
// geojson.go still has unchanged (isSeq, skipValue, crsName, jsonText)
// are shared rather than copied.

package feature

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// oldPeekSize is how much of a GeoJSON file is looked at to tell a
// FeatureCollection from GeoJSONSeq; it is also the line buffer's start.
const oldPeekSize = 64 << 10

// oldMaxNesting bounds GeometryCollection recursion so hostile input cannot
// exhaust the stack.
const oldMaxNesting = 32

// oldGeoJSONReader streams the features of a GeoJSON FeatureCollection or of
// newline-delimited GeoJSON (RFC 8142 GeoJSONSeq, with or without the RS
// byte). A oldGeoJSONReader is not safe for concurrent use.
type oldGeoJSONReader struct {
	br     *bufio.Reader
	dec    *json.Decoder // FeatureCollection mode; nil for GeoJSONSeq
	seq    bool
	line   int    // GeoJSONSeq: lines consumed so far
	buf    []byte // GeoJSONSeq: the current line
	crs    string
	fields []string
	first  *Record // the first feature, read by Open for Fields
	index  int     // number of features returned or failed so far
	rec    Record
	err    error
	done   bool
}

// oldRawFeature is one feature before its geometry and properties are
// interpreted; RawMessage keeps property order for Fields.
type oldRawFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	ID         json.RawMessage `json:"id"`
}

// oldOpenGeoJSON prepares to read r, which holds a FeatureCollection or
// GeoJSONSeq; the choice is made from the first object's members. It reads
// the first feature so that [oldGeoJSONReader.Fields] can answer; a fault in
// that feature is reported by Next, not here.
//
// Attribute values are string, float64, bool or nil; nested objects and
// arrays are kept as their compact JSON text. A feature's "id" (string or
// number) is in [Record].ID.
func oldOpenGeoJSON(r io.Reader) (*oldGeoJSONReader, error) {
	g := &oldGeoJSONReader{br: bufio.NewReaderSize(r, oldPeekSize)}
	head, err := g.br.Peek(oldPeekSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &FormatError{Feature: -1, Reason: "读取失败：" + err.Error(), Err: err}
	}
	// A UTF-8 BOM is not allowed by RFC 8259 but Windows tools write it.
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		g.br.Discard(3)
		head = head[3:]
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, &FormatError{Feature: -1, Reason: "文件是空的", Err: ErrSyntax}
	case trimmed[0] == 0x1E:
		g.seq = true
	case trimmed[0] != '{':
		return nil, &FormatError{Feature: -1, Reason: "不是 GeoJSON：文件应以 { 开头", Err: ErrSyntax}
	default:
		g.seq = isSeq(trimmed)
	}
	if g.seq {
		g.next()
		g.first = &g.rec
		return g, nil
	}
	g.dec = json.NewDecoder(g.br)
	if err := g.findFeatures(); err != nil {
		return nil, err
	}
	g.next()
	g.first = &g.rec
	return g, nil
}

// findFeatures walks the top-level members up to the "features" array,
// checking "type" and keeping "crs" on the way.
func (g *oldGeoJSONReader) findFeatures() error {
	if _, err := g.dec.Token(); err != nil {
		return g.syntax(err, -1)
	}
	for {
		tok, err := g.dec.Token()
		if err != nil {
			return g.syntax(err, -1)
		}
		key, ok := tok.(string)
		if !ok {
			return &FormatError{Feature: -1, Reason: "不是 FeatureCollection：没有 features 数组", Err: ErrStructure}
		}
		if key == "features" {
			break
		}
		if err := g.member(key); err != nil {
			return err
		}
	}
	tok, err := g.dec.Token()
	if err != nil {
		return g.syntax(err, -1)
	}
	if tok != json.Delim('[') {
		return &FormatError{Feature: -1, Reason: "features 不是数组", Err: ErrStructure}
	}
	return nil
}

// member reads one top-level member other than "features".
func (g *oldGeoJSONReader) member(key string) error {
	switch key {
	case "type":
		var t any
		if err := g.dec.Decode(&t); err != nil {
			return g.syntax(err, -1)
		}
		if t != "FeatureCollection" {
			return &FormatError{Feature: -1, Reason: fmt.Sprintf("不是 FeatureCollection：type 是 %s", jsonText(t)), Err: ErrStructure}
		}
	case "crs":
		var c struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		}
		var raw json.RawMessage
		if err := g.dec.Decode(&raw); err != nil {
			return g.syntax(err, -1)
		}
		if json.Unmarshal(raw, &c) == nil { // a crs we cannot read is ignored, as GeoJSON 2016 drops it
			g.crs = crsName(c.Properties.Name)
		}
	default:
		if err := skipValue(g.dec); err != nil {
			return g.syntax(err, -1)
		}
	}
	return nil
}

// CRS returns the old-style (2008) "crs" member as "EPSG:4490", another
// name as written, or "" when absent. A crs written after "features" is
// known only once Next has returned false.
func (g *oldGeoJSONReader) CRS() string { return g.crs }

// Fields returns the property names of the first feature in file order,
// or nil when there is none. Later features may have others; each
// Record's Attrs has its own.
func (g *oldGeoJSONReader) Fields() []string { return g.fields }

// Next advances to the next feature and reports whether there is one. It
// returns false at the end and on the first error, which Err then returns.
func (g *oldGeoJSONReader) Next() bool {
	if g.first != nil {
		g.first = nil
		return !g.done
	}
	if g.done {
		return false
	}
	return g.next()
}

func (g *oldGeoJSONReader) next() bool {
	var raw []byte
	if g.seq {
		var ok bool
		if raw, ok = g.readLine(); !ok {
			return false
		}
	} else {
		if !g.dec.More() {
			g.finish()
			return false
		}
		var rm json.RawMessage
		if err := g.dec.Decode(&rm); err != nil {
			return g.fail(g.syntax(err, g.index))
		}
		raw = rm
	}
	rec, err := g.parse(raw)
	if err != nil {
		return g.fail(err)
	}
	g.rec = rec
	if g.index == 0 {
		g.fields = oldFieldsOf(raw)
	}
	g.index++
	return true
}

// readLine returns the next non-blank line without its RS prefix. Lines
// longer than the buffer are assembled in g.buf.
func (g *oldGeoJSONReader) readLine() ([]byte, bool) {
	for {
		g.buf = g.buf[:0]
		var err error
		for {
			var part []byte
			part, err = g.br.ReadSlice('\n')
			g.buf = append(g.buf, part...)
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			g.fail(&FormatError{Feature: g.index, Line: g.line + 1, Reason: "读取失败：" + err.Error(), Err: err})
			return nil, false
		}
		if len(g.buf) == 0 && err != nil {
			g.done = true
			return nil, false
		}
		g.line++
		line := bytes.TrimLeft(bytes.TrimSpace(g.buf), "\x1e \t")
		if len(line) > 0 {
			return line, true
		}
		if err != nil {
			g.done = true
			return nil, false
		}
	}
}

// finish reads past the features array for members after it, such as a
// late "crs", and reports a file cut off before its end.
func (g *oldGeoJSONReader) finish() {
	g.done = true
	if _, err := g.dec.Token(); err != nil { // the closing ]
		g.err = g.syntax(err, -1)
		return
	}
	for g.dec.More() {
		tok, err := g.dec.Token()
		if err != nil {
			g.err = g.syntax(err, -1)
			return
		}
		key, _ := tok.(string)
		if key == "features" {
			if err := skipValue(g.dec); err != nil {
				g.err = g.syntax(err, -1)
				return
			}
			continue
		}
		if err := g.member(key); err != nil {
			g.err = err
			return
		}
	}
	if _, err := g.dec.Token(); err != nil { // the closing }
		g.err = g.syntax(err, -1)
	}
}

func (g *oldGeoJSONReader) fail(err error) bool {
	g.err, g.done = err, true
	g.rec = Record{}
	return false
}

// syntax turns a decoding error into a FormatError at feature i (or the
// file as a whole when i < 0), telling a cut-off file from bad JSON.
func (g *oldGeoJSONReader) syntax(err error, i int) error {
	fe := &FormatError{Feature: i, Err: ErrSyntax}
	if g.seq {
		fe.Line = g.line
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		fe.Reason = "文件意外结束，可能没有下载或复制完整"
	case errors.As(err, &se):
		fe.Reason = fmt.Sprintf("不是有效的 JSON（第 %d 字节附近）：%v", se.Offset, err)
	case errors.As(err, &te):
		fe.Reason = fmt.Sprintf("结构不对：%s 处应为 %v，实际是 %s", te.Field, te.Type, te.Value)
		fe.Err = ErrStructure
	default:
		fe.Reason, fe.Err = "读取失败："+err.Error(), err
	}
	return fe
}

// parse interprets one feature's JSON text.
func (g *oldGeoJSONReader) parse(raw []byte) (Record, error) {
	rec := Record{Index: g.index}
	at := func(err error, format string, args ...any) error {
		fe := &FormatError{Feature: g.index, Reason: fmt.Sprintf(format, args...), Err: err}
		if g.seq {
			fe.Line = g.line
		}
		return fe
	}
	if g.seq {
		rec.Line = g.line
	}
	var f oldRawFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return rec, at(ErrSyntax, "不是有效的 JSON：%v", err)
		}
		return rec, at(ErrStructure, "不是 Feature 对象")
	}
	if f.Type != "Feature" {
		return rec, at(ErrStructure, "不是 Feature：type 是 %q", f.Type)
	}
	geom, err := oldParseGeometry(f.Geometry, 0)
	if err != nil {
		return rec, at(ErrGeometry, "几何无效：%s", err.Error())
	}
	rec.Geometry = geom
	attrs, err := oldProperties(f.Properties)
	if err != nil {
		return rec, at(ErrStructure, "properties 不是对象")
	}
	rec.Attrs = attrs
	if len(f.ID) > 0 && string(f.ID) != "null" {
		switch v := oldValue(f.ID).(type) {
		case string:
			rec.ID = v
		case float64:
			rec.ID = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return rec, nil
}

// properties decodes a properties object into the documented value types.
func oldProperties(raw json.RawMessage) (map[string]any, error) {
	var m map[string]json.RawMessage
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	attrs := make(map[string]any, len(m))
	for k, v := range m {
		attrs[k] = oldValue(v)
	}
	return attrs, nil
}

// value converts one property; v is valid JSON, checked by the caller's
// Unmarshal.
func oldValue(v json.RawMessage) any {
	switch v[0] {
	case 'n':
		return nil
	case 't':
		return true
	case 'f':
		return false
	case '"':
		var s string
		json.Unmarshal(v, &s)
		return s
	case '{', '[':
		var b bytes.Buffer
		json.Compact(&b, v)
		// Compact copies string bytes as they are; Unmarshal would have
		// replaced invalid UTF-8, so do the same here.
		return strings.ToValidUTF8(b.String(), "\uFFFD")
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil { // out of float64 range: keep the digits rather than lose them
		return string(v)
	}
	return f
}

// oldFieldsOf lists a feature's property names in file order, which a Go map
// loses; raw has already parsed, so errors only end the list.
func oldFieldsOf(raw []byte) []string {
	var f struct {
		Properties json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(raw, &f) != nil || len(f.Properties) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(f.Properties))
	// The one change from the old reader: without UseNumber, Token failed
	// on a number beyond float64 (1e400) and the list stopped there,
	// leaving that property and all after it out of Fields. The new
	// parser lists them all.
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		name, _ := tok.(string)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		if skipValue(dec) != nil {
			break
		}
	}
	return names
}

// Record returns the feature Next advanced to. Its Attrs map is the
// caller's to keep.
func (g *oldGeoJSONReader) Record() Record { return g.rec }

// Err returns the error that stopped Next, or nil at a clean end. It is a
// [*FormatError] for faults in the data.
func (g *oldGeoJSONReader) Err() error { return g.err }

// oldRawGeometry is a geometry before its coordinates are checked.
type oldRawGeometry struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
}

// oldParseGeometry decodes a GeoJSON geometry, checking what orb's decoder
// lets through: positions with fewer than two numbers, lines with fewer
// than two positions, and rings that are short or not closed. Empty multi
// geometries become nil, like null.
func oldParseGeometry(raw json.RawMessage, depth int) (orb.Geometry, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if depth > oldMaxNesting {
		return nil, errors.New("GeometryCollection 嵌套过深")
	}
	var rg oldRawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return nil, errors.New("geometry 不是对象")
	}
	coords := func(v any) error {
		if len(rg.Coordinates) == 0 || string(rg.Coordinates) == "null" {
			return fmt.Errorf("%s 缺少 coordinates", rg.Type)
		}
		if err := json.Unmarshal(rg.Coordinates, v); err != nil {
			return fmt.Errorf("%s 的 coordinates 层次或类型不对", rg.Type)
		}
		return nil
	}
	switch rg.Type {
	case "Point":
		var c []float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		return oldPosition(c)
	case "MultiPoint":
		var c [][]float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		mp, err := oldPositions(c, 0)
		if err != nil || len(mp) == 0 {
			return nil, err
		}
		return orb.MultiPoint(mp), nil
	case "LineString":
		var c [][]float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		ls, err := oldPositions(c, 2)
		return orb.LineString(ls), err
	case "MultiLineString":
		var c [][][]float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		if len(c) == 0 {
			return nil, nil
		}
		mls := make(orb.MultiLineString, len(c))
		for i, l := range c {
			ls, err := oldPositions(l, 2)
			if err != nil {
				return nil, fmt.Errorf("第 %d 条线：%w", i+1, err)
			}
			mls[i] = ls
		}
		return mls, nil
	case "Polygon":
		var c [][][]float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		return oldPolygon(c)
	case "MultiPolygon":
		var c [][][][]float64
		if err := coords(&c); err != nil {
			return nil, err
		}
		if len(c) == 0 {
			return nil, nil
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, p := range c {
			poly, err := oldPolygon(p)
			if err != nil {
				return nil, fmt.Errorf("第 %d 个多边形：%w", i+1, err)
			}
			mp[i] = poly
		}
		return mp, nil
	case "GeometryCollection":
		if len(rg.Geometries) == 0 {
			return nil, nil
		}
		col := make(orb.Collection, 0, len(rg.Geometries))
		for i, r := range rg.Geometries {
			g, err := oldParseGeometry(r, depth+1)
			if err != nil {
				return nil, fmt.Errorf("GeometryCollection 第 %d 个几何：%w", i+1, err)
			}
			if g != nil {
				col = append(col, g)
			}
		}
		return col, nil
	case "":
		return nil, errors.New("geometry 缺少 type")
	}
	return nil, fmt.Errorf("未知的几何类型 %q", rg.Type)
}

// position takes x and y from a GeoJSON position; a Z or M value is dropped.
func oldPosition(c []float64) (orb.Point, error) {
	if len(c) < 2 {
		return orb.Point{}, fmt.Errorf("坐标 %v 少于两个数", c)
	}
	return orb.Point{c[0], c[1]}, nil
}

func oldPositions(c [][]float64, min int) ([]orb.Point, error) {
	if len(c) < min {
		return nil, fmt.Errorf("只有 %d 个点，至少需要 %d 个", len(c), min)
	}
	ps := make([]orb.Point, len(c))
	for i, p := range c {
		pt, err := oldPosition(p)
		if err != nil {
			return nil, err
		}
		ps[i] = pt
	}
	return ps, nil
}

// polygon checks each ring: at least 4 positions, last equal to first, as
// RFC 7946 requires and PostGIS enforces on insert.
func oldPolygon(c [][][]float64) (orb.Polygon, error) {
	if len(c) == 0 {
		return nil, errors.New("多边形没有环")
	}
	poly := make(orb.Polygon, len(c))
	for i, r := range c {
		ring, err := oldPositions(r, 4)
		if err != nil {
			return nil, fmt.Errorf("第 %d 个环%w", i+1, err)
		}
		if ring[0] != ring[len(ring)-1] {
			return nil, fmt.Errorf("第 %d 个环没有闭合（首尾坐标不同）", i+1)
		}
		poly[i] = ring
	}
	return poly, nil
}
