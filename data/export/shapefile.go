package export

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Shapefile encodings for [ShapefileOptions].
const (
	EncodingUTF8 = "utf-8"
	EncodingGBK  = "gbk"
)

// ShapefileOptions configures [NewShapefileZip].
type ShapefileOptions struct {
	// Encoding of the dbf text: EncodingUTF8 (the default; declared by a
	// .cpg "UTF-8" and language byte 0) or EncodingGBK (code page 936, for
	// older ArcGIS; declared by language byte 0x4D and a .cpg "936").
	// Case is ignored; "utf8" and "cp936" are accepted too.
	Encoding string

	// TempDir holds the spooled records while a layer is written;
	// os.TempDir() when empty. It needs room for about the layer's
	// uncompressed .shp, .shx and .dbf.
	TempDir string
}

// shpMaxFile is the size limit of a .shp, .shx or .dbf, bytes. The .shp
// header counts 16-bit words in an int32, and ArcGIS and GDAL (by
// default) stop at 2 GB. A variable so that tests can lower it.
var shpMaxFile int64 = math.MaxInt32

// cpg contents. GDAL maps a numeric .cpg to CP<n>; ArcGIS reads code
// page numbers; data/shp reads both.
const (
	cpgUTF8 = "UTF-8"
	cpgGBK  = "936"
)

// NewShapefileZip returns a [Writer] of ESRI Shapefiles in one zip
// archive streamed to w. Each layer becomes <Name>.shp, .shx, .dbf, .prj
// (when Layer.PRJ is set) and .cpg, plus <Name>_fields.csv mapping the
// dbf's short field names to the full names, Chinese titles and types.
// Close adds README.txt (Chinese, UTF-8) from Meta: layers and counts,
// filters, version, time, CRS, encoding, attribution, the field mapping
// and anything lost on the way (truncated text, replaced characters).
//
// A shapefile holds one shape type, so a layer is split by geometry
// family into <Name>_point, _multipoint, _line and _polygon when it is
// declared "Geometry" (always suffixed, so the names are predictable) or
// when its rows turn out to hold more than one family. LineString and
// MultiLineString share the line files, Polygon and MultiPolygon the
// polygon files (a MultiPolygon is one record with all its rings).
// Points and MultiPoints are kept apart, because a Point shapefile cannot
// hold a MultiPoint: a layer declared MultiPoint writes single points as
// one-point MultiPoints, any other layer writes a one-point MultiPoint as
// a Point. A GeometryCollection is split by family and its row written to
// each family's files. Rows without geometry are null shapes in the
// layer's own files; in a "Geometry" layer they go at the end of its
// first family's files (or, when no row has geometry, to <Name>.shp of
// null shapes).
//
// The dbf is dBASE III. Field names are cut to 10 bytes and made unique
// (see the README's table). Text is C as wide as its longest value, at
// most 254 bytes: a longer value is cut on a character boundary and
// counted. Int is N(≥9,0), Float N(w,d) holding each value's shortest
// exact decimal, Bool L, Date D, DateTime C(19) "2006-01-02 15:04:05".
// Widths come from the data, so records are spooled to temporary files
// and laid out when the layer ends.
//
// A .shp or .dbf over 2 GB is refused with a [*LimitError] (Chinese
// message). Memory stays flat: records go to temporary files in
// opt.TempDir, removed (on Unix unlinked at creation) however the writer
// ends; Close must be called even after an error.
func NewShapefileZip(w io.Writer, opt ShapefileOptions) Writer {
	sw := &shapefileWriter{
		zw:      zip.NewWriter(w),
		dir:     opt.TempDir,
		mod:     time.Now().Truncate(time.Second),
		entries: map[string]bool{},
		names:   map[string]bool{},
	}
	switch strings.ToLower(strings.TrimSpace(opt.Encoding)) {
	case "", "utf-8", "utf8":
		sw.enc = newTextEncoder(false)
	case "gbk", "cp936", "936":
		sw.enc = newTextEncoder(true)
	default:
		sw.st.err = fmt.Errorf("export: shapefile encoding %q: want %q or %q", opt.Encoding, EncodingUTF8, EncodingGBK)
		sw.enc = newTextEncoder(false)
	}
	return sw
}

type shapefileWriter struct {
	st      state
	zw      *zip.Writer
	dir     string
	enc     *textEncoder
	mod     time.Time // zip entries and dbf headers
	cur     *shpLayer
	done    []layerSummary
	entries map[string]bool // zip entry names, lower case
	names   map[string]bool // layer names

	// Scratch reused between rows (a local array would escape through
	// the bufio.Writer and allocate per row).
	rec, row []byte
	shx      [8]byte
	cells    []cell
	routes   []routed
	shp      shpEncoder
	copier   rowCopier
}

// shpLayer is the layer being written.
type shpLayer struct {
	l        Layer
	table    *dbfTable
	home     family // the declared family, unless mixed
	mixed    bool
	sets     [numFamilies]*shpSet
	nulls    *spool // rows without geometry of a mixed layer
	nNulls   int
	n        int // features
	split    int // collections written to several families
	replaced int // GBK replacements before the layer began
}

// shpSet is one family's files while the layer is written.
type shpSet struct {
	fam            family
	shp, shx, rows *spool // nil for a set that was never written
	n              int    // records
	size           int64  // .shp bytes, header included
	bound          orb.Bound
	hasBound       bool
}

func (s *shpSet) release() error {
	var first error
	for _, sp := range []*spool{s.shp, s.shx, s.rows} {
		if err := sp.release(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (l *shpLayer) release() error {
	var first error
	for _, s := range l.sets {
		if s == nil {
			continue
		}
		if err := s.release(); err != nil && first == nil {
			first = err
		}
	}
	if err := l.nulls.release(); err != nil && first == nil {
		first = err
	}
	return first
}

// set returns the family's files, creating them on first use.
func (w *shapefileWriter) set(fam family) (*shpSet, error) {
	l := w.cur
	if s := l.sets[fam]; s != nil {
		return s, nil
	}
	s := &shpSet{fam: fam, size: 100}
	var err error
	for _, sp := range []**spool{&s.shp, &s.shx, &s.rows} {
		if *sp, err = newSpool(w.dir); err != nil {
			_ = s.release()
			return nil, err
		}
	}
	l.sets[fam] = s
	return s, nil
}

func (w *shapefileWriter) BeginLayer(l Layer) error {
	l, err := w.st.beginLayer(l, false)
	if err != nil {
		return err
	}
	if w.names[strings.ToLower(l.Name)] {
		return w.st.fail(&InvalidLayerError{Layer: l.Name, Reason: "a layer of that name was already written"})
	}
	if len(l.Fields) > dbfMaxFields {
		return w.st.fail(&InvalidLayerError{Layer: l.Name, Reason: fmt.Sprintf("%d fields, dBASE holds at most %d", len(l.Fields), dbfMaxFields)})
	}
	w.names[strings.ToLower(l.Name)] = true
	home, ok := declaredFamily(l.Geometry)
	w.cur = &shpLayer{l: l, table: newDBFTable(w.enc, l.Fields), home: home, mixed: !ok, replaced: w.enc.replaced}
	w.st.inLayer = true
	w.st.layers++
	return nil
}

func (w *shapefileWriter) Write(g orb.Geometry, values []any) error {
	if err := w.st.write(); err != nil {
		return err
	}
	if err := w.write(g, values); err != nil {
		return w.st.fail(err)
	}
	return nil
}

func (w *shapefileWriter) limit(what string) error {
	return &LimitError{Format: "Shapefile", Layer: w.cur.l.label(), What: what, Limit: "单个文件 2 GB"}
}

func (w *shapefileWriter) write(g orb.Geometry, values []any) error {
	l := w.cur
	var err error
	if w.cells, err = cells(w.cells, l.l.Name, l.n+1, l.l.Fields, values); err != nil {
		return err
	}
	w.row = l.table.appendRow(w.row[:0], w.cells)
	if l.table.recordLen() > dbfMaxRecordLen {
		return w.limit("属性表（.dbf）记录长度")
	}
	l.n++
	w.routes = route(w.routes, g, !l.mixed && l.home == famMultiPoint)
	if len(w.routes) == 0 {
		if l.mixed {
			if l.nulls == nil {
				if l.nulls, err = newSpool(w.dir); err != nil {
					return err
				}
			}
			l.nNulls++
			if _, err = l.nulls.w.Write(w.row); err != nil {
				return fmt.Errorf("export: temporary file: %w", err)
			}
			return nil
		}
		w.routes = append(w.routes, routed{fam: l.home})
	}
	if len(w.routes) > 1 {
		l.split++
	}
	for _, r := range w.routes {
		var s *shpSet
		if s, err = w.set(r.fam); err != nil {
			return err
		}
		w.rec = w.shp.appendRecord(w.rec[:0], s.n+1, r.fam, r.g)
		if s.size+int64(len(w.rec)) > shpMaxFile {
			return w.limit(r.fam.chinese() + "几何（.shp）文件大小")
		}
		if l.table.fileSize(s.n+1) > shpMaxFile {
			return w.limit("属性表（.dbf）文件大小")
		}
		binary.BigEndian.PutUint32(w.shx[0:], uint32(s.size/2))
		binary.BigEndian.PutUint32(w.shx[4:], uint32((len(w.rec)-8)/2))
		if _, err = s.shp.w.Write(w.rec); err == nil {
			if _, err = s.shx.w.Write(w.shx[:]); err == nil {
				_, err = s.rows.w.Write(w.row)
			}
		}
		if err != nil {
			return fmt.Errorf("export: temporary file: %w", err)
		}
		s.n++
		s.size += int64(len(w.rec))
		if r.g != nil {
			if bd := r.g.Bound(); s.hasBound {
				s.bound = s.bound.Union(bd)
			} else {
				s.bound, s.hasBound = bd, true
			}
		}
	}
	return nil
}

func (w *shapefileWriter) EndLayer() error {
	if err := w.st.write(); err != nil {
		return err
	}
	l := w.cur
	err := w.finish(l)
	if rerr := l.release(); err == nil {
		err = rerr
	}
	w.cur = nil
	w.st.inLayer = false
	if err != nil {
		return w.st.fail(err)
	}
	return nil
}

// output is one file set to write: a family's spooled records plus,
// for the host of a mixed layer's null rows, those rows at the end.
type output struct {
	set   *shpSet
	base  string // file name without extension
	nulls int    // null records appended
}

func (w *shapefileWriter) finish(l *shpLayer) error {
	var outs []output
	for _, s := range l.sets {
		if s != nil && s.n > 0 {
			outs = append(outs, output{set: s})
		}
	}
	if !l.mixed && len(outs) == 0 { // an empty layer still gets its (empty) files
		s, err := w.set(l.home)
		if err != nil {
			return err
		}
		outs = append(outs, output{set: s})
	}
	suffix := l.mixed || len(outs) > 1
	if l.nNulls > 0 {
		if len(outs) == 0 {
			outs = append(outs, output{set: &shpSet{fam: famNull, size: 100}})
			suffix = false
		}
		outs[0].nulls = l.nNulls
	}
	sum := layerSummary{layer: l.l, count: l.n}
	for i := range outs {
		o := &outs[i]
		o.base = l.l.Name
		if suffix {
			o.base += o.set.fam.suffix()
		}
		if err := w.writeSet(l, *o); err != nil {
			return err
		}
		sum.files = append(sum.files, o.base+".shp")
		sum.counts = append(sum.counts, fmt.Sprintf("%s %d 条", o.set.fam.chinese(), o.set.n+o.nulls))
	}
	if len(l.l.Fields) > 0 {
		if err := w.writeFieldMap(l); err != nil {
			return err
		}
	}
	for _, f := range l.table.fields {
		sum.fields = append(sum.fields, [4]string{w.enc.decode(f.name), f.field.Name, f.field.label(), f.typeText()})
		if f.truncated > 0 {
			sum.notes = append(sum.notes, fmt.Sprintf("字段“%s”有 %d 个值超过 254 字节，已在完整字符处截断", f.field.label(), f.truncated))
		}
	}
	if n := w.enc.replaced - l.replaced; n > 0 {
		sum.notes = append(sum.notes, fmt.Sprintf("%d 个字符无法用 GBK 表示，已替换为“?”；如需保留请选择 UTF-8 编码导出", n))
	}
	if l.split > 0 {
		sum.notes = append(sum.notes, fmt.Sprintf("%d 个要素的几何集合含多种几何类型，已按类型分别写入各文件（属性相同）", l.split))
	}
	if l.nNulls > 0 && outs[0].set.fam != famNull {
		sum.notes = append(sum.notes, fmt.Sprintf("%d 个要素没有几何，以空几何写在 %s.shp 末尾", l.nNulls, outs[0].base))
	}
	if len(outs) == 0 {
		sum.notes = append(sum.notes, "无要素，未生成文件")
	}
	w.done = append(w.done, sum)
	return nil
}

// create starts a zip entry, refusing a name already written.
func (w *shapefileWriter) create(name string) (io.Writer, error) {
	key := strings.ToLower(name)
	if w.entries[key] {
		layer := ""
		if w.cur != nil {
			layer = w.cur.l.Name
		}
		return nil, &InvalidLayerError{Layer: layer, Reason: fmt.Sprintf("file %s is already in the zip (layer names clash)", name)}
	}
	w.entries[key] = true
	return w.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: w.mod})
}

// writeEntry writes one zip entry through a buffer, so that small writes
// do not each reach the compressor.
func (w *shapefileWriter) writeEntry(name string, fn func(w io.Writer) error) error {
	zf, err := w.create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zf, 64<<10)
	if err := fn(bw); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (w *shapefileWriter) writeSet(l *shpLayer, o output) error {
	s := o.set
	shpLen := s.size + int64(o.nulls)*nullRecordLen
	if shpLen > shpMaxFile {
		return w.limit(s.fam.chinese() + "几何（.shp）文件大小")
	}
	nrec := s.n + o.nulls
	if l.table.fileSize(nrec) > shpMaxFile {
		return w.limit("属性表（.dbf）文件大小")
	}
	typ := s.fam.shapeType()
	if err := w.writeEntry(o.base+".shp", func(out io.Writer) error {
		if _, err := out.Write(shpHeader(typ, shpLen, s.bound, !s.hasBound)); err != nil {
			return err
		}
		if err := s.shp.copyTo(out); err != nil {
			return err
		}
		for k := range o.nulls {
			w.rec = w.shp.appendRecord(w.rec[:0], s.n+k+1, famNull, nil)
			if _, err := out.Write(w.rec); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := w.writeEntry(o.base+".shx", func(out io.Writer) error {
		if _, err := out.Write(shpHeader(typ, 100+8*int64(nrec), s.bound, !s.hasBound)); err != nil {
			return err
		}
		if err := s.shx.copyTo(out); err != nil {
			return err
		}
		for k := range o.nulls {
			var e [8]byte
			binary.BigEndian.PutUint32(e[0:], uint32((s.size+int64(k)*nullRecordLen)/2))
			binary.BigEndian.PutUint32(e[4:], (nullRecordLen-8)/2)
			if _, err := out.Write(e[:]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := w.writeEntry(o.base+".dbf", func(out io.Writer) error {
		if err := l.table.writeHeader(out, nrec, w.mod); err != nil {
			return err
		}
		w.copier.t = l.table
		if s.rows != nil {
			r, err := s.rows.reader()
			if err != nil {
				return err
			}
			if err := w.copier.copyRows(out, r, s.n); err != nil {
				return err
			}
		}
		if o.nulls > 0 {
			r, err := l.nulls.reader()
			if err != nil {
				return err
			}
			if err := w.copier.copyRows(out, r, o.nulls); err != nil {
				return err
			}
		}
		_, err := out.Write([]byte{0x1A})
		return err
	}); err != nil {
		return err
	}
	if l.l.PRJ != "" {
		if err := w.writeEntry(o.base+".prj", func(out io.Writer) error {
			_, err := io.WriteString(out, l.l.PRJ)
			return err
		}); err != nil {
			return err
		}
	}
	cpg := cpgUTF8
	if w.enc.gbk {
		cpg = cpgGBK
	}
	return w.writeEntry(o.base+".cpg", func(out io.Writer) error {
		_, err := io.WriteString(out, cpg)
		return err
	})
}

// writeFieldMap writes <name>_fields.csv: UTF-8 with BOM, one row per
// field: 短字段名, 字段名, 中文名, 类型.
func (w *shapefileWriter) writeFieldMap(l *shpLayer) error {
	return w.writeEntry(l.l.Name+"_fields.csv", func(out io.Writer) error {
		b := []byte("\uFEFF短字段名,字段名,中文名,类型\r\n")
		for _, f := range l.table.fields {
			for i, v := range []string{w.enc.decode(f.name), f.field.Name, f.field.label(), f.typeText()} {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendCSVField(b, []byte(v))
			}
			b = append(b, '\r', '\n')
		}
		_, err := out.Write(b)
		return err
	})
}

func (w *shapefileWriter) Close(meta Meta) error {
	err := w.st.close()
	if err == nil {
		err = w.close(meta)
		if err != nil {
			err = w.st.fail(err)
		}
	}
	if w.cur != nil { // a layer left open or broken: drop its temporary files
		_ = w.cur.release()
		w.cur = nil
	}
	return err
}

func (w *shapefileWriter) close(meta Meta) error {
	readme := readmeText(meta, w.done, w.encodingText())
	if err := w.writeEntry("README.txt", func(out io.Writer) error {
		_, err := io.WriteString(out, readme)
		return err
	}); err != nil {
		return err
	}
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	return nil
}

func (w *shapefileWriter) encodingText() string {
	if w.enc.gbk {
		return "GBK（代码页 936；dbf 语言标识 0x4D，.cpg 文件为 936）"
	}
	return "UTF-8（.cpg 文件为 UTF-8）"
}

// spool is a temporary file that records go to while a layer is written.
type spool struct {
	f    *os.File
	w    *bufio.Writer
	path string // to remove at release; "" once unlinked
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "gapmap-export-*")
	if err != nil {
		return nil, fmt.Errorf("export: temporary file: %w", err)
	}
	s := &spool{f: f, w: bufio.NewWriterSize(f, 64<<10), path: f.Name()}
	// Unlinked at once where the system allows it (not on Windows), so the
	// space comes back even if the process dies before release.
	if os.Remove(s.path) == nil {
		s.path = ""
	}
	return s, nil
}

// reader flushes the spool and returns a reader from its start.
func (s *spool) reader() (*bufio.Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("export: temporary file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export: temporary file: %w", err)
	}
	return bufio.NewReaderSize(s.f, 64<<10), nil
}

// copyTo copies everything written to the spool to w; a nil spool is
// empty.
func (s *spool) copyTo(w io.Writer) error {
	if s == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("export: temporary file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: temporary file: %w", err)
	}
	_, err := io.Copy(w, s.f)
	return err
}

// release closes and removes the file; a nil spool has nothing to do.
func (s *spool) release() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
