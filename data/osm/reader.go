package osm

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/paulmach/orb"
)

// Reader streams the features of an OSM extract. It reads the file in
// passes (see doc.go) and is not safe for concurrent use.
type Reader struct {
	name  string
	src   source
	want  map[Layer]bool // nil: all layers
	stats Stats

	stage stage
	p     pass // the pass under way, nil between passes

	nodes      nodeIndex
	waysMapped bool              // pass 1 found ways to emit
	rels       []relation        // reservoir multipolygons to emit
	relWays    []int64           // sorted IDs of their member ways
	wayRefs    map[int64][]int64 // those ways' node lists

	pending []Feature
	next    int
	cur     Feature
	err     error
	closed  bool
}

type stage uint8

const (
	stageCollect   stage = iota // pass 1: ways and relations → the nodes they need
	stageNodes                  // the node pass: coordinates, and node features
	stageWays                   // the way pass: way features
	stageRelations              // relation features, from memory
	stageDone
)

// relation is a kept reservoir multipolygon.
type relation struct {
	id      int64
	tags    tags
	members []member
}

// Open opens an OSM extract: .osm.pbf, or OSM XML plain or compressed
// with gzip (.osm.gz) or bzip2 (.osm.bz2). The format is told from the
// content, not the name. Open reads only the start of the file; faults
// further in are reported by Err. Messages name the file by its base
// name so that server paths never reach users.
//
// Errors are *FormatError wrapping ErrFormat (not OSM), ErrUnsupported
// (o5m, osmChange, history files), ErrTruncated, ErrCorrupt, ErrLayer, or
// the fs error when the file cannot be opened.
func Open(path string, opts ...Option) (*Reader, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		reason := ioReason("无法打开", err)
		if errors.Is(err, fs.ErrNotExist) {
			reason = "文件不存在"
		}
		return nil, &FormatError{File: name, Offset: -1, Err: err, Reason: reason}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &FormatError{File: name, Offset: -1, Err: err, Reason: ioReason("读取失败", err)}
	}
	reopen := func() (io.ReadCloser, error) { return os.Open(path) }
	r, err := newReader(name, f, st.Size(), f, reopen, opts)
	if err != nil {
		f.Close()
	}
	return r, err
}

// newReader opens the extract held by ra, of size bytes. closer, if not
// nil, releases it when the Reader is closed; on error the caller does.
// reopen gives a fresh stream from the start for each XML pass. Tests and
// fuzzers hand it bytes.
func newReader(name string, ra io.ReaderAt, size int64, closer io.Closer, reopen func() (io.ReadCloser, error), opts []Option) (*Reader, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	src, err := openSource(name, ra, size, closer, reopen)
	if err != nil {
		return nil, err
	}
	return &Reader{
		name: name,
		src:  src,
		want: o.want,
		stats: Stats{
			Features: make(map[Layer]int64),
			Skipped:  make(map[string]int64),
			Notes:    make(map[string]int64),
			Samples:  make(map[string][]string),
		},
	}, nil
}

// sniffSize is how much of a file Open looks at: enough for the <osm>
// start tag after an XML declaration and a long comment.
const sniffSize = 4 << 10

func openSource(name string, ra io.ReaderAt, size int64, closer io.Closer, reopen func() (io.ReadCloser, error)) (source, error) {
	head := make([]byte, min(sniffSize, size))
	if n, err := ra.ReadAt(head, 0); n < len(head) {
		return nil, &FormatError{File: name, Offset: -1, Err: err, Reason: ioReason("读取失败", err)}
	}
	if isPBF(head) {
		return newPBF(name, ra, size, closer)
	}
	var wrap func(io.Reader) (io.Reader, error)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		wrap = func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case bytes.HasPrefix(head, []byte("BZh")):
		wrap = func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil }
	}
	open := reopen
	if wrap != nil {
		open = func() (io.ReadCloser, error) {
			f, err := reopen()
			if err != nil {
				return nil, err
			}
			r, err := wrap(f)
			if err != nil {
				f.Close()
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{r, f}, nil
		}
		rc, err := open()
		if err != nil {
			return nil, &FormatError{File: name, Offset: -1, Err: ErrCorrupt, Reason: ioReason("压缩文件已损坏", err)}
		}
		head = make([]byte, sniffSize)
		n, _ := io.ReadFull(rc, head)
		rc.Close()
		head = head[:n]
	}
	if err := sniffXML(head, wrap != nil); err != nil {
		err.File = name
		return nil, err
	}
	return &xmlSource{name: name, open: open, closer: closer}, nil
}

// sniffXML checks that head starts an <osm> document and names the
// formats people confuse with it.
func sniffXML(head []byte, compressed bool) *FormatError {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xe0}):
		return fault(ErrUnsupported, "这是 o5m 格式，暂不支持；请先用 osmium cat 输入.o5m -o 输出.osm.pbf 转换")
	case isPBF(head) && compressed:
		return fault(ErrUnsupported, "这是又经压缩的 .osm.pbf，请先解压")
	}
	d := xml.NewDecoder(bytes.NewReader(head))
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "osm":
				return nil
			case "osmChange":
				return fault(ErrUnsupported, "这是 osmChange 变更文件（.osc），不是 OSM 数据文件")
			}
			break
		}
	}
	if trimmed := bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n"); bytes.HasPrefix(trimmed, []byte("{")) {
		return fault(ErrUnsupported, "这像是 JSON（Overpass 或 GeoJSON），不是 .osm.pbf 或 OSM XML")
	}
	return fault(ErrFormat, "不是 OpenStreetMap 文件（.osm.pbf 或 .osm）")
}

// Timestamp returns the time the extract is current to, from a PBF
// header's replication timestamp (Geofabrik and osmium set it), or the
// zero time when the file does not say. The importer can store it as the
// source's version.
func (r *Reader) Timestamp() time.Time {
	if s, ok := r.src.(*pbfSource); ok {
		return s.timestamp
	}
	return time.Time{}
}

// Next advances to the next feature, which Feature then returns. It
// returns false at the end of the file or on an error, which Err
// returns. The first call reads the whole file once to collect the ways
// to map, so it may take a while on a large extract.
func (r *Reader) Next() bool {
	for {
		if r.next < len(r.pending) {
			r.cur = r.pending[r.next]
			r.pending[r.next] = Feature{}
			r.next++
			return true
		}
		r.pending, r.next = r.pending[:0], 0
		if r.err != nil || r.closed || r.stage == stageDone {
			return false
		}
		if err := r.advance(); err != nil {
			r.err = err
			r.endPass()
			return false
		}
	}
}

// Feature returns the feature Next advanced to.
func (r *Reader) Feature() Feature { return r.cur }

// Err returns the first error met, a *FormatError (see Open), or nil.
func (r *Reader) Err() error { return r.err }

// Stats returns a copy of the counts so far; see Stats.
func (r *Reader) Stats() Stats { return r.stats.clone() }

// Close releases the file. Next returns false afterwards; Stats keeps
// the counts so far.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.pending, r.next = nil, 0
	r.endPass()
	return r.src.close()
}

func (r *Reader) endPass() {
	if r.p != nil {
		r.p.close()
		r.p = nil
	}
}

func (r *Reader) wanted(l Layer) bool { return r.want == nil || r.want[l] }

// skip counts a skipped element, formatting its ID only for samples.
func (r *Reader) skip(reason string, t elemType, id int64) {
	r.stats.Skipped[reason]++
	if len(r.stats.Samples[reason]) < maxSamples {
		r.stats.Samples[reason] = append(r.stats.Samples[reason], elementID(t, id))
	}
}

func (r *Reader) emit(m mapping, t elemType, id int64, g orb.Geometry, ts tags) {
	fid := elementID(t, id)
	if _, ok := m.attrs["name"]; !ok {
		if n := placeholderName(m.layer, fid); n != "" {
			m.attrs["name"] = n
			r.note(fmt.Sprintf("没有名称，已命名为“%s”", placeholderName(m.layer, "…")), fid)
		}
	}
	if m.note != "" {
		r.note(m.note, fid)
	}
	r.pending = append(r.pending, Feature{Layer: m.layer, ID: fid, Geometry: g, Attrs: m.attrs, Tags: ts.toMap()})
	r.stats.Features[m.layer]++
}

// note counts a yielded feature under note, keeping a few sample IDs.
func (r *Reader) note(note, fid string) {
	r.stats.Notes[note]++
	if len(r.stats.Samples[note]) < maxSamples {
		r.stats.Samples[note] = append(r.stats.Samples[note], fid)
	}
}

// advance runs the next step: a whole collection pass, or one batch of an
// emitting pass.
func (r *Reader) advance() error {
	switch r.stage {
	case stageCollect:
		if err := r.collect(); err != nil {
			return err
		}
		r.stage = stageNodes
		if len(r.nodes.ids) == 0 && !r.wanted(Villages) && !r.wanted(TourismSites) &&
			!r.wanted(Substations) && !r.wanted(Transformers) {
			r.stage = stageWays
		}
	case stageNodes:
		return r.run(nodes, r.visitNode, stageWays)
	case stageWays:
		if !r.waysMapped {
			r.stage = stageRelations
			return nil
		}
		return r.run(ways, r.visitWay, stageRelations)
	case stageRelations:
		for _, rel := range r.rels {
			r.emitRelation(rel)
		}
		r.rels, r.wayRefs = nil, nil
		r.stage = stageDone
	}
	return nil
}

// run reads one batch of an emitting pass, starting it if need be, and
// moves on to stage then at its end.
func (r *Reader) run(want kindSet, visit func(*element), then stage) error {
	if r.p == nil {
		p, err := r.src.pass(want)
		if err != nil {
			return err
		}
		r.p = p
	}
	err := r.p.batch(visit)
	if err == io.EOF {
		r.endPass()
		r.stage = then
		return nil
	}
	return err
}

// collect runs pass 1 — ways and relations, noting the nodes mapped ways
// need and the reservoir relations — and, when there are relations, pass
// 2 for their member ways, which pass 1 met before the relations naming
// them.
func (r *Reader) collect() error {
	var needed []int64
	p, err := r.src.pass(ways | relations)
	if err != nil {
		return err
	}
	r.p = p
	for {
		err := p.batch(func(e *element) {
			if e.typ == wayType {
				if r.collectWay(e) {
					needed = append(needed, e.refs...)
				}
				return
			}
			r.collectRelation(e)
		})
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	c := p.counts()
	r.stats.Nodes, r.stats.Ways, r.stats.Relations = c[nodeType], c[wayType], c[relationType]
	r.endPass()

	if len(r.relWays) > 0 {
		slices.Sort(r.relWays)
		r.relWays = slices.Compact(r.relWays)
		r.wayRefs = make(map[int64][]int64)
		if p, err = r.src.pass(ways); err != nil {
			return err
		}
		r.p = p
		for {
			err := p.batch(func(e *element) {
				if _, ok := slices.BinarySearch(r.relWays, e.id); ok {
					r.wayRefs[e.id] = slices.Clone(e.refs)
					needed = append(needed, e.refs...)
				}
			})
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		r.endPass()
	}
	r.nodes.build(needed)
	return nil
}

// collectWay counts the skips of a way and reports whether it maps to a
// wanted layer, so its nodes are needed.
func (r *Reader) collectWay(e *element) bool {
	if len(e.tags) == 0 {
		return false
	}
	mapped := false
	for _, m := range mapWay(e.tags, closed(e.refs)) {
		switch {
		case !r.wanted(m.layer):
		case m.reason != "":
			r.skip(m.reason, wayType, e.id)
		default:
			mapped = true
		}
	}
	r.waysMapped = r.waysMapped || mapped
	return mapped
}

func (r *Reader) collectRelation(e *element) {
	for _, m := range mapRelation(e.tags) {
		switch {
		case !r.wanted(m.layer):
		case m.reason != "":
			r.skip(m.reason, relationType, e.id)
		default:
			r.rels = append(r.rels, relation{id: e.id, tags: slices.Clone(e.tags), members: slices.Clone(e.members)})
			for _, mb := range e.members {
				if mb.typ == wayType {
					r.relWays = append(r.relWays, mb.ref)
				}
			}
		}
	}
}

func (r *Reader) visitNode(e *element) {
	if e.coords && len(r.nodes.ids) > 0 {
		r.nodes.set(e.id, e.lon, e.lat)
	}
	if len(e.tags) == 0 {
		return
	}
	for _, m := range mapNode(e.tags) {
		switch {
		case !r.wanted(m.layer):
		case m.reason != "":
			r.skip(m.reason, nodeType, e.id)
		case !e.coords:
			r.skip("节点没有坐标", nodeType, e.id)
		default:
			r.emit(m, nodeType, e.id, orb.Point{degrees(e.lon), degrees(e.lat)}, e.tags)
		}
	}
}

// visitWay emits the features of a way; skips by tag were counted in
// pass 1, skips by geometry are counted here.
func (r *Reader) visitWay(e *element) {
	if len(e.tags) == 0 {
		return
	}
	for _, m := range mapWay(e.tags, closed(e.refs)) {
		if !r.wanted(m.layer) || m.reason != "" {
			continue
		}
		var g orb.Geometry
		var reason string
		switch m.layer {
		case Roads, PowerLines:
			g, reason = r.nodes.line(e.refs)
		case Reservoirs:
			if _, ok := slices.BinarySearch(r.relWays, e.id); ok {
				// Old-style tagging: the outer way carries the tags too.
				reason = "是水库多边形关系的成员，已随关系导入"
				break
			}
			var ring orb.Ring
			if ring, reason = r.nodes.ring(e.refs, true); reason == "" {
				g = orb.Polygon{ring}
			}
		default:
			g, reason = r.nodes.centroid(e.refs)
		}
		if reason != "" {
			r.skip(reason, wayType, e.id)
			continue
		}
		r.emit(m, wayType, e.id, g, e.tags)
	}
}

func (r *Reader) emitRelation(rel relation) {
	for _, m := range mapRelation(rel.tags) {
		if !r.wanted(m.layer) || m.reason != "" {
			continue
		}
		g, reason := r.nodes.multipolygon(rel.members, r.wayRefs)
		if reason != "" {
			r.skip(reason, relationType, rel.id)
			continue
		}
		r.emit(m, relationType, rel.id, g, rel.tags)
	}
}
