package feature

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gapmap/gapmap/geo"
)

// peekSize is how much of a GeoJSON file is looked at to tell a
// FeatureCollection from GeoJSONSeq; it is also the line buffer's start.
const peekSize = 64 << 10

// maxNesting bounds GeometryCollection recursion so hostile input cannot
// exhaust the stack.
const maxNesting = 32

// GeoJSONReader streams the features of a GeoJSON FeatureCollection or of
// newline-delimited GeoJSON (RFC 8142 GeoJSONSeq, with or without the RS
// byte). A GeoJSONReader is not safe for concurrent use.
//
// Each feature is parsed in one pass by a hand-written parser (see
// geojson_parse.go) that accepts and rejects exactly what encoding/json
// does; encoding/json itself only walks a FeatureCollection's members
// before and after "features".
type GeoJSONReader struct {
	br     *bufio.Reader
	dec    *json.Decoder // FeatureCollection mode: members before, then after, "features"; nil for GeoJSONSeq
	decAdj int64         // added to dec's error offsets to make them file offsets
	seq    bool
	line   int    // GeoJSONSeq: lines consumed so far
	buf    []byte // GeoJSONSeq: the current line
	fc     window // FeatureCollection mode: the features array
	inFC   bool   // FeatureCollection mode: a feature has been read, a comma or ] is next
	p      fparser
	crs    string
	fields []string
	first  *Record // the first feature, read by Open for Fields
	index  int     // number of features returned or failed so far
	dims   geo.Dims
	rec    Record
	err    error
	done   bool
}

// OpenGeoJSON prepares to read r, which holds a FeatureCollection or
// GeoJSONSeq; the choice is made from the first object's members. It reads
// the first feature so that [GeoJSONReader.Fields] can answer; a fault in
// that feature is reported by Next, not here.
//
// Attribute values are string, float64, bool or nil; nested objects and
// arrays are kept as their compact JSON text. A feature's "id" (string or
// number) is in [Record].ID.
func OpenGeoJSON(r io.Reader) (*GeoJSONReader, error) {
	g := &GeoJSONReader{br: bufio.NewReaderSize(r, peekSize)}
	head, err := g.br.Peek(peekSize)
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
	// The features themselves are read from what the decoder has
	// buffered and then from g.br.
	rest, _ := io.ReadAll(g.dec.Buffered())
	g.fc = window{r: g.br, buf: append(make([]byte, 0, max(2*len(rest), windowChunk)), rest...), pos: g.dec.InputOffset()}
	g.dec = nil
	g.next()
	g.first = &g.rec
	return g, nil
}

// isSeq reports whether head starts with a Feature rather than a
// FeatureCollection, by walking the first object's members until "type"
// or "features" decides. Undecided (a huge first member) means
// FeatureCollection, whose reader then reports what is wrong.
func isSeq(head []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(head))
	if _, err := dec.Token(); err != nil {
		return false
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, ok := tok.(string)
		if !ok { // the object closed without deciding: one object per line
			return true
		}
		switch key {
		case "features":
			return false
		case "type":
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			return tok == "Feature"
		}
		if skipValue(dec) != nil {
			return false
		}
	}
}

// skipValue consumes one value token by token, so skipping a large member
// does not buffer it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// findFeatures walks the top-level members up to the "features" array,
// checking "type" and keeping "crs" on the way.
func (g *GeoJSONReader) findFeatures() error {
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
func (g *GeoJSONReader) member(key string) error {
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
		var raw json.RawMessage
		if err := g.dec.Decode(&raw); err != nil {
			return g.syntax(err, -1)
		}
		g.crs = crsMember(raw)
	default:
		if err := skipValue(g.dec); err != nil {
			return g.syntax(err, -1)
		}
	}
	return nil
}

// crsMember reads a "crs" member in the forms writers use: the 2008
// named CRS {"type":"name","properties":{"name":"EPSG:4326"}}, the older
// {"type":"EPSG","properties":{"code":4326}}, a linked CRS (kept as
// "link:" and its href, which nothing resolves) and a bare string
// ("OGC:CRS84"). null or an empty object is no crs; a shape it cannot read
// is kept as its JSON text, so that the import names it rather than
// silently taking lon/lat.
func crsMember(raw json.RawMessage) string {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return crsName(name)
	}
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
			Href string          `json:"href"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return jsonText(raw)
	}
	switch {
	case c.Properties.Name != "":
		return crsName(c.Properties.Name)
	case len(c.Properties.Code) > 0:
		return "EPSG:" + strings.Trim(string(c.Properties.Code), `"`)
	case c.Properties.Href != "":
		return "link:" + c.Properties.Href
	case c.Type == "" || string(raw) == "null":
		return ""
	}
	return jsonText(raw)
}

// crsName shortens OGC URNs and URLs to the "EPSG:4490" form. The OGC's
// CRS84 (WGS 84 with longitude first, GeoJSON's own axis order, which
// GDAL and QGIS write) is EPSG:4326 as gapmap reads it: every GeoJSON
// position is longitude, latitude.
func crsName(name string) string {
	name = strings.TrimSpace(name)
	low := strings.ToLower(name)
	for _, p := range []string{"https://", "http://"} {
		low = strings.TrimPrefix(low, p)
	}
	switch strings.TrimRight(low, "/") {
	case "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "urn:ogc:def:crs:ogc:crs84",
		"ogc:crs84", "crs:84", "crs84", "www.opengis.net/def/crs/ogc/1.3/crs84", "www.opengis.net/def/crs/ogc/0/crs84":
		return "EPSG:4326"
	}
	for _, p := range []string{"urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:", "www.opengis.net/def/crs/epsg/0/",
		"www.opengis.net/gml/srs/epsg.xml#", "epsg::", "epsg:"} {
		if strings.HasPrefix(low, p) {
			code := low[len(p):]
			if i := strings.LastIndexAny(code, ":/"); i >= 0 { // urn:ogc:def:crs:EPSG:6.6:4326
				code = code[i+1:]
			}
			return "EPSG:" + code
		}
	}
	return name
}

// CRS returns the old-style (2008) "crs" member as "EPSG:4490", another
// name as written, or "" when absent. A crs written after "features" is
// known only once Next has returned false.
func (g *GeoJSONReader) CRS() string { return g.crs }

// Dims reports whether the features read so far had positions with a
// third number, the height, which the reader drops (gapmap stores 2D):
// [geo.DimZ] if so, else 0. GeoJSON has no measures (RFC 7946), and a
// number after the third is dropped as GDAL drops it, so Dims never holds
// [geo.DimM]. Open reads the first feature ahead; ask after Next has
// returned false to cover the whole file.
func (g *GeoJSONReader) Dims() geo.Dims { return g.dims }

// Fields returns the property names of the first feature in file order,
// or nil when there is none. Later features may have others; each
// Record's Attrs has its own.
func (g *GeoJSONReader) Fields() []string { return g.fields }

// Next advances to the next feature and reports whether there is one. It
// returns false at the end and on the first error, which Err then returns.
func (g *GeoJSONReader) Next() bool {
	if g.first != nil {
		g.first = nil
		return !g.done
	}
	if g.done {
		return false
	}
	return g.next()
}

func (g *GeoJSONReader) next() bool {
	var res parsed
	if g.seq {
		raw, ok := g.readLine()
		if !ok {
			return false
		}
		res = g.p.parseFeature(raw, true, g.index == 0)
	} else {
		var ok bool
		if res, ok = g.element(); !ok {
			return false
		}
	}
	rec, err := g.record(res)
	if err != nil {
		return g.fail(err)
	}
	g.rec = rec
	if res.z {
		g.dims = geo.DimZ
	}
	if g.index == 0 {
		g.fields = res.fields
	}
	g.index++
	return true
}

// record makes the parser's result for the current feature a Record or
// a FormatError.
func (g *GeoJSONReader) record(res parsed) (Record, error) {
	if res.kind != nil {
		fe := &FormatError{Feature: g.index, Reason: res.reason, Err: res.kind}
		if g.seq {
			fe.Line = g.line
			if res.kind == ErrSyntax {
				fe.Reason = "不是有效的 JSON：" + res.synMsg
			}
		}
		return Record{}, fe
	}
	rec := Record{Index: g.index, Geometry: res.geom, Attrs: res.attrs, ID: res.id}
	if g.seq {
		rec.Line = g.line
	}
	return rec, nil
}

// element parses the next member of the features array. It returns false
// at the array's end, after which finish reads the rest of the file, and
// on faults outside a feature; a fault in one is in the result.
func (g *GeoJSONReader) element() (parsed, bool) {
	w := &g.fc
	c, ok := w.skipSpace()
	switch {
	case !ok: // cut off between features
		return parsed{}, g.fail(g.syntax(w.err, -1))
	case c == ']':
		g.finish()
		return parsed{}, false
	case c == '}':
		context := "looking for beginning of value"
		if g.inFC {
			context = "after array element"
		}
		return parsed{}, g.fail(g.syntaxAt(-1, w.offset(), "invalid character '}' "+context))
	case g.inFC && c != ',':
		return parsed{}, g.fail(g.syntaxAt(g.index, w.offset(), "expected comma after array element"))
	case g.inFC:
		w.off++
		if _, ok := w.skipSpace(); !ok {
			return parsed{}, g.fail(g.syntax(w.err, g.index))
		}
	}
	// Parse what is buffered; should the feature or a number at its end
	// run on past it, read at least as much again and parse once more.
	var res parsed
	for {
		text := w.buf[w.off:]
		res = g.p.parseFeature(text, false, g.index == 0)
		if w.err != nil || (res.kind == ErrSyntax && !res.synEOF) || (res.kind != ErrSyntax && res.end < len(text)) {
			break
		}
		// The feature runs past all of text: it is at least that long.
		if len(text) > maxFeatureBytes {
			return parsed{}, g.fail(g.tooLarge(0))
		}
		w.fill(min(2*len(text), maxFeatureBytes+1))
	}
	if res.kind == ErrSyntax {
		if res.synEOF {
			return parsed{}, g.fail(g.syntax(w.err, g.index))
		}
		return parsed{}, g.fail(g.syntaxAt(g.index, w.offset()+int64(res.synPos)+1, res.synMsg))
	}
	w.off += res.end
	g.inFC = true
	return res, true
}

// syntaxAt reports invalid JSON at file offset off, in feature i or, for
// i < 0, outside any.
func (g *GeoJSONReader) syntaxAt(i int, off int64, msg string) error {
	return &FormatError{Feature: i, Reason: fmt.Sprintf("不是有效的 JSON（第 %d 字节附近）：%s", off, msg), Err: ErrSyntax}
}

// tooLarge reports the current feature, at line (GeoJSONSeq) or 0, as
// longer than maxFeatureBytes, before more of it is read.
func (g *GeoJSONReader) tooLarge(line int) error {
	return &FormatError{Feature: g.index, Line: line, Err: ErrTooLarge,
		Reason: fmt.Sprintf("要素超过上限 %s：文件已损坏或为恶意构造", sizeText(maxFeatureBytes))}
}

// windowChunk is how much the features array is read at a time.
const windowChunk = 64 << 10

// window holds the unread part of a FeatureCollection's features array,
// growing so that a feature of any size is contiguous for the parser.
type window struct {
	r   io.Reader
	buf []byte
	off int   // the next unread byte in buf
	pos int64 // file offset of buf[0]
	err error // what ended the input: io.EOF or a read error
}

// offset is the file offset of the next unread byte.
func (w *window) offset() int64 { return w.pos + int64(w.off) }

// fill reads until n bytes are unread in buf or the input ends.
func (w *window) fill(n int) {
	for len(w.buf)-w.off < n && w.err == nil {
		if w.off > 0 {
			k := copy(w.buf, w.buf[w.off:])
			w.buf, w.pos, w.off = w.buf[:k], w.pos+int64(w.off), 0
		}
		if free := cap(w.buf) - len(w.buf); free < windowChunk/4 || free < n-len(w.buf) {
			nb := make([]byte, len(w.buf), max(2*cap(w.buf), n+windowChunk))
			copy(nb, w.buf)
			w.buf = nb
		}
		k, err := w.r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+k]
		if err != nil {
			w.err = err
		}
	}
}

// skipSpace moves to the next byte that is not JSON space and returns
// it, or false at the end of the input.
func (w *window) skipSpace() (byte, bool) {
	for {
		for ; w.off < len(w.buf); w.off++ {
			switch c := w.buf[w.off]; c {
			case ' ', '\t', '\r', '\n':
			default:
				return c, true
			}
		}
		if w.err != nil {
			return 0, false
		}
		w.fill(1)
	}
}

// readLine returns the next non-blank line without its RS prefix. Lines
// longer than the buffer are assembled in g.buf.
func (g *GeoJSONReader) readLine() ([]byte, bool) {
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
			if len(g.buf) > maxFeatureBytes {
				g.fail(g.tooLarge(g.line + 1))
				return nil, false
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
// late "crs", and reports a file cut off before its end. A decoder takes
// over at the closing ], primed with a start that leaves it in the state
// the array left the file's decoder in.
func (g *GeoJSONReader) finish() {
	g.done = true
	const primer = `{"features":[`
	w := &g.fc
	g.dec = json.NewDecoder(io.MultiReader(strings.NewReader(primer), bytes.NewReader(w.buf[w.off:]), w.r))
	g.decAdj = w.offset() - int64(len(primer))
	for range 3 { // { "features" [
		g.dec.Token()
	}
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

func (g *GeoJSONReader) fail(err error) bool {
	g.err, g.done = err, true
	g.rec = Record{}
	return false
}

// syntax turns a decoding error into a FormatError at feature i (or the
// file as a whole when i < 0), telling a cut-off file from bad JSON.
func (g *GeoJSONReader) syntax(err error, i int) error {
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
		fe.Reason = fmt.Sprintf("不是有效的 JSON（第 %d 字节附近）：%v", se.Offset+g.decAdj, err)
	case errors.As(err, &te):
		fe.Reason = fmt.Sprintf("结构不对：%s 处应为 %v，实际是 %s", te.Field, te.Type, te.Value)
		fe.Err = ErrStructure
	default:
		fe.Reason, fe.Err = "读取失败："+err.Error(), err
	}
	return fe
}

// Record returns the feature Next advanced to. Its Attrs map is the
// caller's to keep.
func (g *GeoJSONReader) Record() Record { return g.rec }

// Err returns the error that stopped Next, or nil at a clean end. It is a
// [*FormatError] for faults in the data.
func (g *GeoJSONReader) Err() error { return g.err }

// jsonText shows a decoded JSON value in a message.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
