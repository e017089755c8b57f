package feature

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/paulmach/orb"
)

// This file is the single-pass parser for one GeoJSON Feature. It
// validates the JSON text exactly as encoding/json does (same accepted
// language, same first error and the same wording for it) and, in the
// same pass, decodes what the reader needs straight into orb values and
// attribute maps. Its results are those the encoding/json-based reader it
// replaced gave: member names match case-insensitively and the last of a
// repeated member wins, strings are decoded with invalid UTF-8 replaced
// byte by byte, a wrong JSON type in "type" or the coordinates is an
// error, null leaves a number 0 and a list empty. The differential tests
// in parse_diff_test.go hold it to that.

// maxDepth is encoding/json's limit on nested arrays and objects; deeper
// input is a syntax error there, so it is one here too.
const maxDepth = 10000

// Limits on one feature, so that a hostile file cannot make the reader
// hold gigabytes or walk a nesting no real data has. They are variables
// so that tests can lower them.
var (
	// maxFeatureBytes bounds one feature's JSON text (one GeoJSONSeq
	// line); the largest county boundary is a few MiB. Reading up to the
	// limit costs about five times it (the buffer doubles as it grows):
	// at 256 MiB a one-line bomb took the reader to 1 GB; at 16 MiB the
	// server peaked at 162 MiB in the fault suite, past its stated bound.
	maxFeatureBytes = 8 << 20
	// maxJSONDepth bounds nested arrays and objects in a feature: a
	// MultiPolygon's coordinates are 4 deep inside the feature's 3.
	maxJSONDepth = 64
	// maxStringBytes bounds one JSON string's raw text.
	maxStringBytes = 8 << 20
)

// parsed is one feature as the parser returns it: the record's content,
// or the fault in it.
type parsed struct {
	geom   orb.Geometry
	attrs  map[string]any
	id     string
	fields []string // property names in file order, when asked for
	end    int      // bytes of the value consumed (with trailing space at top level)
	z      bool     // a position of the geometry had a third number (a height)

	kind   error  // nil, ErrSyntax, ErrStructure or ErrGeometry
	reason string // for ErrStructure and ErrGeometry, the Chinese reason
	synMsg string // for ErrSyntax, encoding/json's wording
	synPos int    // for ErrSyntax, the offending byte
	synEOF bool   // for ErrSyntax, the input ended too soon
}

// shortPos is a position with fewer than two numbers: its index among the
// parsed positions, how many numbers it has and the first.
type shortPos struct {
	idx int
	n   int
	v   float64
}

// fparser holds the parse state and the scratch buffers reused from one
// feature to the next. Nothing it returns aliases the input or scratch.
type fparser struct {
	b     []byte
	i     int
	depth int    // arrays and objects open at b[i]
	stack []bool // containers skipValue has open: true for an object

	synMsg string // the first syntax error; "" while there is none
	synPos int
	synEOF bool
	limit  string // the limit the feature broke, in Chinese; set with synMsg

	// coordinates as coordList parses them: every position in pts, the
	// number of positions of each line or ring in lens1 and of rings of
	// each polygon in lens2
	typeBad bool // a value of the wrong JSON type, or out of range
	z       bool // a position had more than two numbers, since parseFeature began
	pts     []orb.Point
	shorts  []shortPos
	lens1   []int
	lens2   []int

	sbuf  []byte            // decoded string scratch
	keys  map[string]string // property names seen, to share their strings
	names []string          // the last feature's property names, in order
	attrs []attr            // properties as parsed, before they go in the map
	text  []byte            // their string values, end to end
}

// attr is a property as parsed: its value, or for a string where it is
// in fparser.text.
type attr struct {
	key    string
	val    any
	str    bool
	s0, s1 int
}

// maxKeys bounds the property name cache.
const maxKeys = 4096

// parseFeature parses the Feature whose JSON text starts at b[0]. At top
// level the text must be all of b, as for json.Unmarshal; otherwise it
// may be followed by anything, the element of an array being read, and
// parsed.end tells where it ended. fields asks for the property names.
func (p *fparser) parseFeature(b []byte, top, fields bool) (res parsed) {
	p.b, p.i, p.depth, p.synMsg, p.synEOF, p.z, p.limit = b, 0, 0, "", false, false, ""
	p.stack = p.stack[:0]
	var (
		notObject bool // a JSON value other than an object or null
		typeBad   bool
		ftype     string
		propsBad  bool
		geomWhy   string
	)
	ok := p.valueStart()
	switch {
	case !ok:
	case b[p.i] == 'n':
		ok = p.literal()
	case b[p.i] != '{':
		notObject = true
		ok = p.skipValue()
	default:
		ok = p.open()
		if !ok {
			break
		}
		if p.empty('}') {
			break
		}
		for ok {
			var name []byte
			var plain bool
			if name, plain, ok = p.member(); !ok {
				break
			}
			switch p.keyKind(name, plain, featureKeys) {
			case kType:
				switch b[p.i] {
				case '"':
					ftype, ok = p.typeName()
				case 'n':
					ok = p.literal() // null leaves a string as it was
				default:
					typeBad = true
					ok = p.skipValue()
				}
			case kGeometry:
				res.geom, geomWhy, ok = p.geometry(0)
			case kProperties:
				res.attrs, res.fields, propsBad, ok = p.properties(fields)
			case kID:
				res.id, ok = p.idValue()
			default:
				ok = p.skipValue()
			}
			if ok {
				var more bool
				more, ok = p.next('}', "after object key:value pair")
				if !more {
					break
				}
			}
		}
	}
	if ok && top {
		p.ws()
		if p.i < len(b) {
			ok = p.bad("after top-level value", false)
		}
	}
	res.end = p.i
	switch {
	case !ok && p.limit != "":
		return parsed{kind: ErrTooLarge, reason: p.limit, end: p.i}
	case !ok:
		return parsed{kind: ErrSyntax, synMsg: p.synMsg, synPos: p.synPos, synEOF: p.synEOF, end: p.i}
	case notObject || typeBad:
		return parsed{kind: ErrStructure, reason: "不是 Feature 对象", end: p.i}
	case ftype != "Feature":
		return parsed{kind: ErrStructure, reason: fmt.Sprintf("不是 Feature：type 是 %q", ftype), end: p.i}
	case geomWhy != "":
		return parsed{kind: ErrGeometry, reason: "几何无效：" + geomWhy, end: p.i}
	case propsBad:
		return parsed{kind: ErrStructure, reason: "properties 不是对象", end: p.i}
	}
	if res.attrs == nil {
		res.attrs = map[string]any{}
	}
	res.z = p.z
	return res
}

// Member names the parser looks for; keyKind tells them apart.
const (
	kOther = iota
	kType
	kGeometry
	kProperties
	kID
	kCoordinates
	kGeometries
)

var (
	featureKeys  = []string{kType: "type", kGeometry: "geometry", kProperties: "properties", kID: "id"}
	geometryKeys = []string{kType: "type", kCoordinates: "coordinates", kGeometries: "geometries"}
)

// keyKind matches a member name against names (indexed by kind) the way
// encoding/json matches struct fields: exactly, or else under Unicode
// simple case folding, so "TYPE" and "propertieſ" count.
func (p *fparser) keyKind(raw []byte, plain bool, names []string) int {
	if plain {
		for k, n := range names {
			if n != "" && string(raw) == n {
				return k
			}
		}
	}
	name := raw
	if !plain {
		p.sbuf = appendUnquoted(p.sbuf[:0], raw)
		name = p.sbuf
	}
	text := unsafe.String(unsafe.SliceData(name), len(name)) // not kept
	for k, n := range names {
		if n != "" && (!plain || len(n) == len(name)) && strings.EqualFold(text, n) {
			return k
		}
	}
	return kOther
}

// geometry parses a geometry value nested d GeometryCollections deep. It
// returns the geometry, or why the value is not a valid one; ok is false
// only for a syntax error. Empty multi geometries come out nil, like null.
func (p *fparser) geometry(d int) (g orb.Geometry, why string, ok bool) {
	b := p.b
	switch {
	case b[p.i] == 'n':
		return nil, "", p.literal()
	case d > maxNesting:
		return nil, "GeometryCollection 嵌套过深", p.skipValue()
	case b[p.i] != '{':
		return nil, "geometry 不是对象", p.skipValue()
	}
	var (
		gtype     string
		typeBad   bool // "type" or "geometries" of a wrong JSON type
		cStart    = -1 // where the last "coordinates" value starts
		cDepth    int
		cNull     bool
		cLevel    int // the nesting coordinates were parsed for, 0 if skipped
		cTypeBad  bool
		geoms     []int // where each element of the last "geometries" starts
		geomDepth int
	)
	if !p.open() {
		return nil, "", false
	}
	if !p.empty('}') {
		for {
			name, plain, ok := p.member()
			if !ok {
				return nil, "", false
			}
			switch p.keyKind(name, plain, geometryKeys) {
			case kType:
				switch b[p.i] {
				case '"':
					gtype, ok = p.typeName()
				case 'n':
					ok = p.literal()
				default:
					typeBad = true
					ok = p.skipValue()
				}
			case kCoordinates:
				cStart, cDepth, cNull, cLevel, cTypeBad = p.i, p.depth, false, 0, false
				if b[p.i] == 'n' {
					cNull = true
					ok = p.literal()
				} else if cLevel = coordLevel(gtype); cLevel > 0 {
					ok = p.coords(cLevel)
					cTypeBad = p.typeBad
				} else {
					ok = p.skipValue()
				}
			case kGeometries:
				geoms = geoms[:0]
				switch b[p.i] {
				case 'n':
					ok = p.literal()
				case '[':
					geoms, ok = p.elements(geoms)
					geomDepth = p.depth + 1
				default:
					typeBad = true
					ok = p.skipValue()
				}
			default:
				ok = p.skipValue()
			}
			if !ok {
				return nil, "", false
			}
			more, ok := p.next('}', "after object key:value pair")
			if !ok {
				return nil, "", false
			}
			if !more {
				break
			}
		}
	}
	if typeBad {
		return nil, "geometry 不是对象", true
	}
	switch gtype {
	case "GeometryCollection":
		if len(geoms) == 0 {
			return nil, "", true
		}
		end, depth := p.i, p.depth
		defer func() { p.i, p.depth = end, depth }()
		col := make(orb.Collection, 0, len(geoms))
		for k, at := range geoms {
			p.i, p.depth = at, geomDepth
			g, why, _ := p.geometry(d + 1) // checked text: no syntax error
			if why != "" {
				return nil, fmt.Sprintf("GeometryCollection 第 %d 个几何：%s", k+1, why), true
			}
			if g != nil {
				col = append(col, g)
			}
		}
		return col, "", true
	case "":
		return nil, "geometry 缺少 type", true
	}
	level := coordLevel(gtype)
	if level == 0 {
		return nil, fmt.Sprintf("未知的几何类型 %q", gtype), true
	}
	if cStart < 0 || cNull {
		return nil, fmt.Sprintf("%s 缺少 coordinates", gtype), true
	}
	if cLevel != level { // "type" came after "coordinates"
		end, depth := p.i, p.depth
		p.i, p.depth = cStart, cDepth
		p.coords(level) // checked text: no syntax error
		cTypeBad = p.typeBad
		p.i, p.depth = end, depth
	}
	if cTypeBad {
		return nil, fmt.Sprintf("%s 的 coordinates 层次或类型不对", gtype), true
	}
	g, why = p.build(gtype)
	return g, why, true
}

// elements skips the array at b[i], appending where each element starts.
func (p *fparser) elements(at []int) ([]int, bool) {
	if !p.open() {
		return at, false
	}
	if p.empty(']') {
		return at, true
	}
	for {
		if !p.valueStart() {
			return at, false
		}
		at = append(at, p.i)
		if !p.skipValue() {
			return at, false
		}
		more, ok := p.next(']', "after array element")
		if !ok || !more {
			return at, ok
		}
	}
}

// coordLevel is how deep a geometry type's coordinates nest, 0 for
// GeometryCollection and unknown types.
func coordLevel(t string) int {
	switch t {
	case "Point":
		return 1
	case "MultiPoint", "LineString":
		return 2
	case "MultiLineString", "Polygon":
		return 3
	case "MultiPolygon":
		return 4
	}
	return 0
}

// coords parses coordinates nested level deep into pts, lens1 and lens2,
// setting typeBad where encoding/json would have failed to decode them
// into a slice of that depth of float64.
func (p *fparser) coords(level int) bool {
	p.pts, p.shorts, p.lens1, p.lens2 = p.pts[:0], p.shorts[:0], p.lens1[:0], p.lens2[:0]
	p.typeBad = false
	return p.coordList(level)
}

func (p *fparser) coordList(level int) bool {
	if level == 1 {
		return p.position()
	}
	b := p.b
	switch b[p.i] {
	case 'n': // a nil slice: no positions, lines or rings
		return p.literal()
	case '[':
	default:
		p.typeBad = true
		return p.skipValue()
	}
	if !p.open() {
		return false
	}
	if p.empty(']') {
		return true
	}
	for {
		if !p.valueStart() {
			return false
		}
		switch level {
		case 2:
			if !p.position() {
				return false
			}
		case 3:
			n := len(p.pts)
			if !p.coordList(2) {
				return false
			}
			p.lens1 = append(p.lens1, len(p.pts)-n)
		case 4:
			n := len(p.lens1)
			if !p.coordList(3) {
				return false
			}
			p.lens2 = append(p.lens2, len(p.lens1)-n)
		}
		more, ok := p.next(']', "after array element")
		if !ok || !more {
			return ok
		}
	}
}

// position parses one position into pts, noting it in shorts when it has
// fewer than two numbers. A third number (the height) and any after it are
// checked and dropped, and noted in z.
func (p *fparser) position() bool {
	b := p.b
	switch b[p.i] {
	case 'n':
		p.pts = append(p.pts, orb.Point{})
		p.shorts = append(p.shorts, shortPos{idx: len(p.pts) - 1})
		return p.literal()
	case '[':
	default:
		p.typeBad = true
		return p.skipValue()
	}
	if !p.open() {
		return false
	}
	var xy [2]float64
	n := 0
	if !p.empty(']') {
		for {
			if !p.valueStart() {
				return false
			}
			switch c := b[p.i]; {
			case c == '-' || c >= '0' && c <= '9':
				f, inRange, ok := p.number()
				if !ok {
					return false
				}
				if !inRange {
					p.typeBad = true
				}
				if n < 2 {
					xy[n] = f
				}
			case c == 'n': // null leaves the number 0
				if !p.literal() {
					return false
				}
			default:
				p.typeBad = true
				if !p.skipValue() {
					return false
				}
			}
			n++
			// The common separator inline: a position is mostly numbers.
			if p.i < len(b) && b[p.i] == ',' {
				p.i++
				continue
			}
			more, ok := p.next(']', "after array element")
			if !ok {
				return false
			}
			if !more {
				break
			}
		}
	}
	p.pts = append(p.pts, orb.Point{xy[0], xy[1]})
	if n < 2 {
		p.shorts = append(p.shorts, shortPos{idx: len(p.pts) - 1, n: n, v: xy[0]})
	}
	p.z = p.z || n > 2
	return true
}

// build makes the geometry of type t from the parsed coordinates, with
// the checks orb's decoder leaves out. The slices are fresh: the points
// of all lines or rings share one backing array, each capped at its end.
func (p *fparser) build(t string) (orb.Geometry, string) {
	switch t {
	case "Point":
		if len(p.shorts) > 0 {
			return nil, shortText(p.shorts[0])
		}
		return p.pts[0], ""
	case "MultiPoint":
		if len(p.shorts) > 0 {
			return nil, shortText(p.shorts[0])
		}
		if len(p.pts) == 0 {
			return nil, ""
		}
		return orb.MultiPoint(clonePoints(p.pts)), ""
	case "LineString":
		s := 0
		if why := p.checkPositions(0, len(p.pts), 2, &s); why != "" {
			return nil, why
		}
		return orb.LineString(clonePoints(p.pts)), ""
	case "MultiLineString":
		if len(p.lens1) == 0 {
			return nil, ""
		}
		all := clonePoints(p.pts)
		mls := make(orb.MultiLineString, len(p.lens1))
		a, s := 0, 0
		for i, n := range p.lens1 {
			if why := p.checkPositions(a, a+n, 2, &s); why != "" {
				return nil, fmt.Sprintf("第 %d 条线：%s", i+1, why)
			}
			mls[i] = all[a : a+n : a+n]
			a += n
		}
		return mls, ""
	case "Polygon":
		all := clonePoints(p.pts)
		s := 0
		poly, why := p.polygon(all, 0, 0, len(p.lens1), &s)
		if why != "" {
			return nil, why
		}
		return poly, ""
	case "MultiPolygon":
		if len(p.lens2) == 0 {
			return nil, ""
		}
		all := clonePoints(p.pts)
		mp := make(orb.MultiPolygon, len(p.lens2))
		a, r, s := 0, 0, 0
		for i, n := range p.lens2 {
			poly, why := p.polygon(all, a, r, r+n, &s)
			if why != "" {
				return nil, fmt.Sprintf("第 %d 个多边形：%s", i+1, why)
			}
			mp[i] = poly
			for _, m := range p.lens1[r : r+n] {
				a += m
			}
			r += n
		}
		return mp, ""
	}
	return nil, ""
}

// polygon checks rings lens1[r0:r1], whose points start at all[a], and
// returns them as a Polygon: at least 4 positions each, last equal to
// first, as RFC 7946 requires and PostGIS enforces on insert.
func (p *fparser) polygon(all []orb.Point, a, r0, r1 int, s *int) (orb.Polygon, string) {
	if r0 == r1 {
		return nil, "多边形没有环"
	}
	poly := make(orb.Polygon, r1-r0)
	for i, n := range p.lens1[r0:r1] {
		if why := p.checkPositions(a, a+n, 4, s); why != "" {
			return nil, fmt.Sprintf("第 %d 个环%s", i+1, why)
		}
		ring := all[a : a+n : a+n]
		if ring[0] != ring[n-1] {
			return nil, fmt.Sprintf("第 %d 个环没有闭合（首尾坐标不同）", i+1)
		}
		poly[i] = ring
		a += n
	}
	return poly, ""
}

// checkPositions checks the list of positions pts[a:b]: at least min of
// them, each with two numbers. *s is where to look on in shorts.
func (p *fparser) checkPositions(a, b, min int, s *int) string {
	if b-a < min {
		return fmt.Sprintf("只有 %d 个点，至少需要 %d 个", b-a, min)
	}
	for *s < len(p.shorts) && p.shorts[*s].idx < a {
		*s++
	}
	if *s < len(p.shorts) && p.shorts[*s].idx < b {
		return shortText(p.shorts[*s])
	}
	return ""
}

// shortText is the message for a position with fewer than two numbers.
func shortText(sp shortPos) string {
	return fmt.Sprintf("坐标 %v 少于两个数", []float64{sp.v}[:sp.n])
}

func clonePoints(pts []orb.Point) []orb.Point {
	out := make([]orb.Point, len(pts))
	copy(out, pts)
	return out
}

// properties parses the "properties" value: null means none, anything
// but an object is bad. Names come out in file order when fields is set.
// The string values of a feature share one allocation.
func (p *fparser) properties(fields bool) (attrs map[string]any, names []string, bad, ok bool) {
	b := p.b
	switch b[p.i] {
	case 'n':
		return nil, nil, false, p.literal()
	case '{':
	default:
		return nil, nil, true, p.skipValue()
	}
	if !p.open() {
		return nil, nil, false, false
	}
	if p.empty('}') {
		return map[string]any{}, nil, false, true
	}
	p.attrs, p.text = p.attrs[:0], p.text[:0]
	for j := 0; ; j++ {
		raw, plain, ok := p.member()
		if !ok {
			return nil, nil, false, false
		}
		a := attr{key: p.propName(j, raw, plain)}
		switch c := b[p.i]; c {
		case '"':
			var esc, high bool
			raw, esc, high, ok = p.str()
			a.str, a.s0 = true, len(p.text)
			if !esc && (!high || utf8.Valid(raw)) {
				p.text = append(p.text, raw...)
			} else {
				p.text = appendUnquoted(p.text, raw)
			}
			a.s1 = len(p.text)
		case 't', 'f', 'n':
			if ok = p.literal(); c != 'n' {
				a.val = c == 't'
			}
		case '{', '[':
			start := p.i
			if ok = p.skipValue(); ok {
				a.val = compactText(b[start:p.i])
			}
		default:
			if c == '-' || c >= '0' && c <= '9' {
				start := p.i
				f, inRange, okNum := p.number()
				ok = okNum
				if inRange {
					a.val = f
				} else { // out of float64 range: keep the digits rather than lose them
					a.val = string(b[start:p.i])
				}
			} else {
				ok = p.bad("looking for beginning of value", false)
			}
		}
		if !ok {
			return nil, nil, false, false
		}
		p.attrs = append(p.attrs, a)
		more, ok := p.next('}', "after object key:value pair")
		if !ok {
			return nil, nil, false, false
		}
		if !more {
			break
		}
	}
	text := string(p.text)
	attrs = make(map[string]any, len(p.attrs))
	for _, a := range p.attrs {
		v := a.val
		if a.str {
			v = text[a.s0:a.s1]
		}
		if fields {
			if _, dup := attrs[a.key]; !dup {
				names = append(names, a.key)
			}
		}
		attrs[a.key] = v
	}
	clear(p.attrs) // let the values go
	return attrs, names, false, true
}

// propName returns the name of the j-th property as a string: the last
// feature's j-th name when it is the same, as it nearly always is, else
// one shared with earlier features that had it.
func (p *fparser) propName(j int, raw []byte, plain bool) string {
	if !plain {
		p.sbuf = appendUnquoted(p.sbuf[:0], raw)
		raw = p.sbuf
	}
	if j < len(p.names) && p.names[j] == string(raw) {
		return p.names[j]
	}
	s, ok := p.keys[string(raw)]
	if !ok {
		s = string(raw)
		if p.keys == nil {
			p.keys = make(map[string]string)
		}
		if len(p.keys) < maxKeys {
			p.keys[s] = s
		}
	}
	if j < len(p.names) {
		p.names[j] = s
	} else if j < maxKeys {
		p.names = append(p.names, s)
	}
	return s
}

// idValue parses the feature "id": a string, or a number written without
// exponent; arrays and objects as their JSON text; "" for the rest.
func (p *fparser) idValue() (string, bool) {
	b := p.b
	switch c := b[p.i]; {
	case c == '"':
		return p.strValue()
	case c == '{' || c == '[':
		start := p.i
		if !p.skipValue() {
			return "", false
		}
		return compactText(b[start:p.i]), true
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		f, inRange, ok := p.number()
		if !inRange {
			return string(b[start:p.i]), ok
		}
		return strconv.FormatFloat(f, 'f', -1, 64), ok
	}
	return "", p.skipValue()
}

// compactText is a nested property value as text: its JSON without
// insignificant space, invalid UTF-8 replaced.
func compactText(v []byte) string {
	out := make([]byte, 0, len(v))
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if in {
			out = append(out, c)
			switch c {
			case '\\':
				i++
				out = append(out, v[i])
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			in = true
		}
		out = append(out, c)
	}
	if utf8.Valid(out) {
		return unsafe.String(unsafe.SliceData(out), len(out))
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// --- the JSON layer ---

// bad records a syntax error at b[i] worded as encoding/json words it.
// At the end of the input, a context that a space would also break (in
// a number, literal or escape) reads as an invalid ' ', as json.Unmarshal
// reports it; any other as an unexpected end. It returns false.
func (p *fparser) bad(context string, spaceBreaks bool) bool {
	if p.synMsg != "" {
		return false
	}
	p.synPos = p.i
	if p.i >= len(p.b) {
		p.synPos, p.synEOF = len(p.b), true
		if !spaceBreaks {
			p.synMsg = "unexpected end of JSON input"
			return false
		}
		p.synMsg = "invalid character ' ' " + context
		return false
	}
	p.synMsg = "invalid character " + quoteChar(p.b[p.i]) + " " + context
	return false
}

// over stops the parse at a broken limit, reported as ErrTooLarge rather
// than as a syntax error. It returns false.
func (p *fparser) over(reason string) bool {
	if p.synMsg == "" {
		p.limit = reason
	}
	return p.bad("over a limit", false)
}

// sizeText shows a byte limit as people read it: "256 MiB", "64 KiB".
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// quoteChar formats c as encoding/json does in its messages.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (p *fparser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// valueStart skips space before a value and fails at the end of input.
func (p *fparser) valueStart() bool {
	p.ws()
	if p.i >= len(p.b) {
		return p.bad("looking for beginning of value", false)
	}
	return true
}

// open enters the array or object at b[i].
func (p *fparser) open() bool {
	p.depth++
	if p.depth > maxDepth {
		return p.bad("exceeded max depth", false)
	}
	if p.depth > maxJSONDepth {
		return p.over(fmt.Sprintf("数组或对象嵌套超过 %d 层：文件已损坏或为恶意构造", maxJSONDepth))
	}
	p.i++
	return true
}

// empty reports whether the container just opened closes at once with
// end, and if so consumes it.
func (p *fparser) empty(end byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == end {
		p.i++
		p.depth--
		return true
	}
	return false
}

// next consumes what follows a member or element: a comma (more is true,
// and the space after it) or the closing end (more is false).
func (p *fparser) next(end byte, context string) (more, ok bool) {
	p.ws()
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case ',':
			p.i++
			return true, true
		case end:
			p.i++
			p.depth--
			return false, true
		}
	}
	return false, p.bad(context, false)
}

// member reads a member name, the colon and the space before the value.
// plain reports a name without escapes or non-ASCII bytes, which is its
// own text.
func (p *fparser) member() (name []byte, plain, ok bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, p.bad("looking for beginning of object key string", false)
	}
	name, esc, high, ok := p.str()
	if !ok {
		return nil, false, false
	}
	plain = !esc && !high
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return nil, false, p.bad("after object key", false)
	}
	p.i++
	return name, plain, p.valueStart()
}

// strPlain marks the bytes a string holds as they are: not a quote, a
// backslash, a control character or part of a multi-byte sequence.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string at b[i] and returns its raw content, and whether
// it has escapes and bytes beyond ASCII.
func (p *fparser) str() (raw []byte, esc, high, ok bool) {
	b := p.b
	i := p.i + 1
	start := i
	for {
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			p.i = i
			return nil, false, false, p.bad("in string literal", false)
		}
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			if i-start > maxStringBytes {
				p.i = start - 1
				return nil, false, false, p.over(fmt.Sprintf("字符串长度 %d 字节超过上限 %s：文件已损坏或为恶意构造", i-start, sizeText(maxStringBytes)))
			}
			return b[start:i], esc, high, true
		case c == '\\':
			esc = true
			i++
			if i >= len(b) {
				p.i = i
				return nil, false, false, p.bad("in string escape code", true)
			}
			switch b[i] {
			case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
				i++
			case 'u':
				i++
				for range 4 {
					if i >= len(b) || !isHex(b[i]) {
						p.i = i
						return nil, false, false, p.bad(`in \u hexadecimal character escape`, true)
					}
					i++
				}
			default:
				p.i = i
				return nil, false, false, p.bad("in string escape code", true)
			}
		case c < 0x20:
			p.i = i
			return nil, false, false, p.bad("in string literal", false)
		default: // c >= 0x80
			high = true
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// strValue parses the string at b[i] into its text.
func (p *fparser) strValue() (string, bool) {
	raw, esc, high, ok := p.str()
	if !ok {
		return "", false
	}
	if !esc && (!high || utf8.Valid(raw)) {
		return string(raw), true
	}
	p.sbuf = appendUnquoted(p.sbuf[:0], raw)
	return string(p.sbuf), true
}

// typeName parses a "type" string, without allocating for the names
// GeoJSON defines.
func (p *fparser) typeName() (string, bool) {
	start := p.i
	raw, esc, high, ok := p.str()
	if !ok {
		return "", false
	}
	if !esc && !high {
		for _, t := range typeNames {
			if string(raw) == t {
				return t, true
			}
		}
	}
	p.i = start
	return p.strValue()
}

var typeNames = []string{"Feature", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection", "FeatureCollection"}

// appendUnquoted appends the text of checked string content s as
// encoding/json decodes it: escapes decoded, a lone surrogate and each
// byte of invalid UTF-8 replaced by U+FFFD.
func appendUnquoted(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != unicode.ReplacementChar {
							r += 6
							dst = utf8.AppendRune(dst, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // " \ /
				dst = append(dst, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst
}

// hex4 decodes the four hex digits at s[0:4], checked by str.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// literal parses the true, false or null at b[i].
func (p *fparser) literal() bool {
	b := p.b
	var word string
	switch b[p.i] {
	case 't':
		word = "true"
	case 'f':
		word = "false"
	default:
		word = "null"
	}
	if p.i+len(word) <= len(b) && string(b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	for k := 1; k < len(word); k++ {
		p.i++
		if p.i >= len(b) || b[p.i] != word[k] {
			return p.bad("in literal "+word+" (expecting '"+word[k:k+1]+"')", true)
		}
	}
	panic("unreachable")
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number parses the number at b[i]. inRange is false for one beyond
// float64, which encoding/json would not decode into one. Numbers of up
// to 15 digits with small exponents, which is nearly all coordinates,
// convert exactly without strconv: an integer mantissa below 2^53 times
// or divided by an exact power of ten rounds correctly.
func (p *fparser) number() (f float64, inRange, ok bool) {
	b := p.b
	i := p.i
	start := i
	neg := b[i] == '-'
	if neg {
		i++
	}
	var mant uint64
	nd := 0 // digits in mant
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			mant = mant*10 + uint64(b[i]-'0')
			nd++
			i++
		}
	default:
		p.i = i
		return 0, false, p.bad("in numeric literal", true)
	}
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			p.i = i
			return 0, false, p.bad("after decimal point in numeric literal", true)
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			mant = mant*10 + uint64(b[i]-'0')
			nd++
			frac++
			i++
		}
	}
	exp := 0
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			p.i = i
			return 0, false, p.bad("in exponent of numeric literal", true)
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			if exp < 1_000_000 {
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	p.i = i
	if nd <= 19 && mant <= 1<<53 {
		f = float64(mant)
		switch e := exp - frac; {
		case e == 0:
		case 0 < e && e <= 22:
			f *= pow10[e]
		case -22 <= e && e < 0:
			f /= pow10[-e]
		default:
			goto slow
		}
		if neg {
			f = -f
		}
		return f, true, true
	}
slow:
	// The text is valid JSON, which ParseFloat accepts, so an error can
	// only be ErrRange; it does not keep the string.
	f, err := strconv.ParseFloat(unsafe.String(&b[start], i-start), 64)
	return f, err == nil, true
}

// skipValue checks the value at b[i] and moves past it, without
// recursion however deep it nests.
func (p *fparser) skipValue() bool {
	b := p.b
	base := len(p.stack)
	for {
		// at the start of a value
		if !p.valueStart() {
			return false
		}
		switch c := b[p.i]; c {
		case '{', '[':
			if !p.open() {
				return false
			}
			if p.empty(c + 2) { // '}' and ']' follow '{' and '[' by two
				break
			}
			p.stack = append(p.stack, c == '{')
			if c == '{' {
				if _, _, ok := p.member(); !ok {
					return false
				}
			}
			continue
		case '"':
			if _, _, _, ok := p.str(); !ok {
				return false
			}
		case 't', 'f', 'n':
			if !p.literal() {
				return false
			}
		default:
			if c != '-' && (c < '0' || c > '9') {
				return p.bad("looking for beginning of value", false)
			}
			if _, _, ok := p.number(); !ok {
				return false
			}
		}
		// after a value: close what ends here
		for {
			if len(p.stack) == base {
				return true
			}
			obj := p.stack[len(p.stack)-1]
			end, context := byte(']'), "after array element"
			if obj {
				end, context = '}', "after object key:value pair"
			}
			more, ok := p.next(end, context)
			if !ok {
				return false
			}
			if more {
				if obj {
					if _, _, ok := p.member(); !ok {
						return false
					}
				}
				break
			}
			p.stack = p.stack[:len(p.stack)-1]
		}
	}
}
