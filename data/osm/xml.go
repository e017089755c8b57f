package osm

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/internal/value"
)

// OSM XML (https://wiki.openstreetmap.org/wiki/OSM_XML) is read with
// encoding/xml's tokenizer rather than github.com/paulmach/osm/osmxml,
// which hides its decoder: errors could then name neither the line nor
// the element, and a JOSM file's action="delete" objects would come out
// as features.

// xmlSource reopens the file for each pass; compressed XML is
// decompressed again each time.
type xmlSource struct {
	name   string
	open   func() (io.ReadCloser, error)
	closer io.Closer // the file Open sniffed, kept until Close
}

func (s *xmlSource) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

func (s *xmlSource) pass(want kindSet) (pass, error) {
	rc, err := s.open()
	if err != nil {
		return nil, &FormatError{File: s.name, Offset: -1, Err: err, Reason: ioReason("无法打开", err)}
	}
	d := xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))
	d.Strict = true
	return &xmlPass{name: s.name, rc: rc, d: d, want: want}, nil
}

type xmlPass struct {
	name  string
	rc    io.ReadCloser
	d     *xml.Decoder
	want  kindSet
	root  bool // the <osm> root has been seen
	done  bool
	e     element
	in    bool // inside a node, way or relation
	drop  bool // … that is deleted and must be skipped
	depth int
	seen  [3]int64
}

func (p *xmlPass) counts() [3]int64 { return p.seen }
func (p *xmlPass) close() error     { return p.rc.Close() }

// xmlBatch is how many wanted elements one batch call hands over.
const xmlBatch = 512

func (p *xmlPass) batch(fn func(*element)) error {
	if p.done {
		return io.EOF
	}
	handed := 0
	for handed < xmlBatch {
		tok, err := p.d.Token()
		if err == io.EOF {
			p.done = true
			if !p.root {
				return p.fail(fault(ErrFormat, "文件中没有 <osm> 根元素"))
			}
			if handed > 0 {
				return nil
			}
			return io.EOF
		}
		if err != nil {
			return p.fail(p.xmlError(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			p.depth++
			if err := p.start(t); err != nil {
				return p.fail(err)
			}
		case xml.EndElement:
			p.depth--
			if p.in && p.depth == 1 {
				p.in = false
				if p.drop {
					continue
				}
				p.seen[p.e.typ]++
				if p.want.has(p.e.typ) {
					fn(&p.e)
					handed++
				}
			}
		}
	}
	return nil
}

func (p *xmlPass) fail(err error) error {
	var fe *FormatError
	if !errors.As(err, &fe) {
		fe = &FormatError{Offset: -1, Reason: ioReason("读取失败", err), Err: err}
	}
	fe.File = p.name
	if fe.Line == 0 {
		fe.Line, _ = p.d.InputPos()
	}
	p.done = true
	return fe
}

// xmlError translates the tokenizer's errors.
func (p *xmlPass) xmlError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return &FormatError{Line: se.Line, Offset: -1, Err: ErrTruncated, Reason: "文件意外结束，可能下载不完整"}
		}
		// The message may quote the offending bytes, which need not be UTF-8.
		return &FormatError{Line: se.Line, Offset: -1, Err: ErrSyntax, Reason: "XML 语法错误：" + strings.ToValidUTF8(se.Msg, "\uFFFD")}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{Offset: -1, Err: ErrTruncated, Reason: "压缩文件意外结束，可能下载不完整"}
	}
	return &FormatError{Offset: -1, Err: err, Reason: strings.ToValidUTF8(ioReason("读取失败", err), "\uFFFD")}
}

func (p *xmlPass) start(t xml.StartElement) error {
	name := t.Name.Local
	switch {
	case p.depth == 1:
		if name != "osm" {
			if name == "osmChange" {
				return fault(ErrUnsupported, "这是 osmChange 变更文件（.osc），不是 OSM 数据文件")
			}
			return fault(ErrFormat, "根元素是 <%s> 而不是 <osm>，不是 OSM XML 文件", strings.ToValidUTF8(name, "?"))
		}
		p.root = true
	case p.depth == 2:
		var typ elemType
		switch name {
		case "node":
			typ = nodeType
		case "way":
			typ = wayType
		case "relation":
			typ = relationType
		default:
			return nil // bounds, meta, note, changeset …
		}
		p.in = true
		return p.element(typ, t.Attr)
	case p.depth == 3 && p.in && !p.drop:
		return p.child(name, t.Attr)
	}
	return nil
}

func (p *xmlPass) element(typ elemType, attrs []xml.Attr) error {
	e := &p.e
	e.reset(typ)
	e.line, _ = p.d.InputPos()
	p.drop = false
	var lat, lon string
	hasID := false
	for _, a := range attrs {
		switch a.Name.Local {
		case "id":
			id, err := strconv.ParseInt(a.Value, 10, 64)
			if err != nil {
				return fault(ErrSyntax, "<%s> 的 id %s 不是整数", typ, value.Quote(a.Value))
			}
			e.id, hasID = id, true
		case "lat":
			lat = a.Value
		case "lon":
			lon = a.Value
		case "action":
			// JOSM keeps deleted objects in its files until upload.
			p.drop = p.drop || a.Value == "delete"
		case "visible":
			p.drop = p.drop || a.Value == "false"
		}
	}
	if !hasID {
		return fault(ErrSyntax, "<%s> 缺少 id", typ)
	}
	if typ != nodeType || p.drop || (lat == "" && lon == "") || !p.want.has(nodeType) {
		return nil
	}
	la, err := coord(lat, "lat", 90)
	if err == nil {
		var lo float64
		lo, err = coord(lon, "lon", 180)
		e.lat, e.lon, e.coords = e7(la), e7(lo), true
	}
	if err != nil {
		err.Element = elementID(typ, e.id)
		return err
	}
	return nil
}

func coord(s, name string, limit float64) (float64, *FormatError) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, &FormatError{Offset: -1, Err: ErrSyntax, Reason: fmt.Sprintf("%s 的值 %s 不是数字", name, value.Quote(s))}
	case v < -limit || v > limit:
		return 0, &FormatError{Offset: -1, Err: ErrValue, Reason: fmt.Sprintf("%s 的值 %s 超出 ±%g 度", name, value.Quote(s), limit)}
	}
	return v, nil
}

func (p *xmlPass) child(name string, attrs []xml.Attr) error {
	e := &p.e
	if !p.want.has(e.typ) {
		return nil
	}
	attr := func(k string) (string, bool) {
		for _, a := range attrs {
			if a.Name.Local == k {
				return a.Value, true
			}
		}
		return "", false
	}
	bad := func(format string, args ...any) error {
		line, _ := p.d.InputPos()
		return &FormatError{Line: line, Offset: -1, Element: elementID(e.typ, e.id), Err: ErrSyntax, Reason: fmt.Sprintf(format, args...)}
	}
	switch name {
	case "tag":
		k, ok := attr("k")
		if !ok {
			return bad("<tag> 缺少 k")
		}
		v, _ := attr("v")
		e.tags = append(e.tags, tag{k, v})
	case "nd":
		if e.typ != wayType {
			return nil
		}
		s, _ := attr("ref")
		ref, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("<nd> 的 ref %s 不是整数", value.Quote(s))
		}
		e.refs = append(e.refs, ref)
	case "member":
		if e.typ != relationType {
			return nil
		}
		s, _ := attr("ref")
		ref, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("<member> 的 ref %s 不是整数", value.Quote(s))
		}
		var typ elemType
		switch t, _ := attr("type"); t {
		case "node":
			typ = nodeType
		case "way":
			typ = wayType
		case "relation":
			typ = relationType
		default:
			return bad("<member> 的 type %s 无效", value.Quote(t))
		}
		role, _ := attr("role")
		e.members = append(e.members, member{typ: typ, ref: ref, role: role})
	}
	return nil
}
