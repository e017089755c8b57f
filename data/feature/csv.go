package feature

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"

	"github.com/gapmap/gapmap/data/internal/value"
)

// Encodings reported by [CSVReader.Encoding].
const (
	EncodingUTF8    = "UTF-8"
	EncodingGB18030 = "GB18030" // a superset of GBK, which Excel in China writes
)

// sniffSize is how much of a CSV file decides its encoding and separator.
const sniffSize = 64 << 10

// Column names recognised, after trimming and case folding, when
// [CSVOptions] names no geometry column; the first present wins.
var (
	lonNames = []string{"经度", "lon", "lng", "longitude", "x"}
	latNames = []string{"纬度", "lat", "latitude", "y"}
	wktNames = []string{"wkt", "geometry", "geom", "几何"}
)

// CSVOptions names the geometry columns of a CSV file. Empty names are
// detected from the header; Lon and Lat take precedence over WKT.
type CSVOptions struct {
	Lon, Lat string // columns holding x and y as decimal numbers
	WKT      string // column holding a WKT geometry
	Comma    rune   // field separator; 0 detects comma, tab or semicolon
	// Encoding, EncodingUTF8 or EncodingGB18030, overrides the detection
	// (a file whose first 64 KiB are ASCII and whose GBK comes later);
	// "" detects.
	Encoding string
}

// CSVReader streams the rows of a CSV table with a header row. A
// CSVReader is not safe for concurrent use.
type CSVReader struct {
	cr       *csv.Reader
	lim      *rowLimit
	encoding string
	header   []string
	fields   []string // header minus geometry columns
	lon, lat int      // column indexes, -1 if absent
	wkt      int
	row      int // Excel row of the last record read (header = 1)
	endLine  int // file line the last record ended on
	index    int
	rec      Record
	err      error
	done     bool
}

// OpenCSV reads the header of r and prepares to stream its rows. The
// encoding is UTF-8 (a BOM is dropped) unless the first 64 KiB are not
// valid UTF-8, in which case the file is read as GB18030. Each Record's
// Attrs holds every non-geometry column as a trimmed string, "" when
// blank: numbers are not guessed, the importer types them.
//
// Geometry is a Point from the longitude and latitude columns, or the
// parse of the WKT column; it is nil when those cells are blank or the
// table has no geometry column at all.
func OpenCSV(r io.Reader, opt CSVOptions) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &FormatError{Feature: -1, Reason: "读取失败：" + err.Error(), Err: err}
	}
	c := &CSVReader{encoding: EncodingUTF8, lon: -1, lat: -1, wkt: -1}
	var text io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
	case opt.Encoding == EncodingGB18030,
		opt.Encoding == "" && !validUTF8Prefix(head, len(head) == sniffSize):
		c.encoding = EncodingGB18030
		text = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	c.lim = &rowLimit{r: text}
	tb := bufio.NewReaderSize(c.lim, sniffSize)
	comma := opt.Comma
	if comma == 0 {
		first, _ := tb.Peek(sniffSize)
		comma = separator(first)
	}
	c.cr = csv.NewReader(tb)
	c.cr.Comma = comma
	c.cr.FieldsPerRecord = -1 // ragged rows get a Chinese message below
	c.cr.ReuseRecord = true
	if !validComma(comma) {
		return nil, &FormatError{Feature: -1, Reason: fmt.Sprintf("分隔符 %q 无效", comma), Err: ErrHeader}
	}
	if err := c.readHeader(opt); err != nil {
		return nil, err
	}
	return c, nil
}

func validComma(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && utf8.ValidRune(r)
}

// validUTF8Prefix reports whether b is UTF-8, forgiving a rune cut by the
// end of the sniff window.
func validUTF8Prefix(b []byte, cut bool) bool {
	if cut {
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if utf8.Valid(b) {
				return true
			}
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

// separator picks the header line's separator: comma unless the line has
// none and has tabs (a paste from Excel) or semicolons (European Excel).
func separator(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	switch {
	case bytes.IndexByte(head, ',') >= 0:
		return ','
	case bytes.IndexByte(head, '\t') >= 0:
		return '\t'
	case bytes.IndexByte(head, ';') >= 0:
		return ';'
	}
	return ','
}

// readHeader reads row 1 and resolves the geometry columns.
func (c *CSVReader) readHeader(opt CSVOptions) error {
	rec, err := c.read()
	if errors.Is(err, io.EOF) {
		return &FormatError{Feature: -1, Reason: "文件是空的，缺少表头", Err: ErrHeader}
	}
	if err != nil {
		return err
	}
	c.header = make([]string, len(rec))
	seen := map[string]int{}
	for i, h := range rec {
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("列%d", i+1)
		}
		if j, dup := seen[h]; dup {
			return &FormatError{Feature: -1, Line: c.row, Reason: fmt.Sprintf("表头第 %d 列与第 %d 列同名（%s），请改名后再导入", i+1, j+1, h), Err: ErrHeader}
		}
		seen[h] = i
		c.header[i] = h
	}
	find := func(want string, names []string) (int, error) {
		if want != "" {
			for i, h := range c.header {
				if strings.EqualFold(h, strings.TrimSpace(want)) {
					return i, nil
				}
			}
			return -1, &FormatError{Feature: -1, Line: c.row, Reason: fmt.Sprintf("表头中没有“%s”列", want), Err: ErrHeader}
		}
		if opt.Lon != "" || opt.Lat != "" || opt.WKT != "" {
			return -1, nil // the caller named the geometry; do not guess the rest
		}
		for _, n := range names {
			for i, h := range c.header {
				if strings.EqualFold(h, n) {
					return i, nil
				}
			}
		}
		return -1, nil
	}
	if c.lon, err = find(opt.Lon, lonNames); err != nil {
		return err
	}
	if c.lat, err = find(opt.Lat, latNames); err != nil {
		return err
	}
	if c.wkt, err = find(opt.WKT, wktNames); err != nil {
		return err
	}
	switch {
	case c.lon >= 0 && c.lat >= 0:
		if opt.WKT == "" {
			c.wkt = -1 // a stray "geometry" text column stays an attribute
		}
	case c.lon >= 0 && c.wkt < 0:
		return &FormatError{Feature: -1, Line: c.row, Reason: fmt.Sprintf("有经度列“%s”但没有纬度列", c.header[c.lon]), Err: ErrHeader}
	case c.lat >= 0 && c.wkt < 0:
		return &FormatError{Feature: -1, Line: c.row, Reason: fmt.Sprintf("有纬度列“%s”但没有经度列", c.header[c.lat]), Err: ErrHeader}
	default:
		c.lon, c.lat = -1, -1
	}
	for i, h := range c.header {
		if i != c.lon && i != c.lat && i != c.wkt {
			c.fields = append(c.fields, h)
		}
	}
	return nil
}

// read returns the next record and advances the Excel row count. Excel
// shows a blank line as an empty row and a quoted multi-line cell as one
// row, so the row number counts records and blank lines, not lines.
func (c *CSVReader) read() ([]string, error) {
	rec, err := c.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, err
		}
		if errors.Is(err, errRowTooLong) {
			return nil, &FormatError{Feature: -1, Line: c.row + 1, Err: ErrTooLarge,
				Reason: fmt.Sprintf("一行超过上限 %s：文件已损坏或为恶意构造", sizeText(maxRowBytes))}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &FormatError{Feature: -1, Line: c.row + 1 + max(pe.StartLine-c.endLine-1, 0),
				Reason: fmt.Sprintf("引号不配对或引号后有多余字符（文件第 %d 行第 %d 列附近）", pe.Line, pe.Column), Err: ErrSyntax}
		}
		return nil, &FormatError{Feature: -1, Reason: "读取失败：" + err.Error(), Err: err}
	}
	c.lim.base = c.cr.InputOffset()
	start, _ := c.cr.FieldPos(0)
	c.row += 1 + max(start-c.endLine-1, 0)
	c.endLine = start
	for i := range rec {
		c.endLine += strings.Count(rec[i], "\n")
		if !utf8.ValidString(rec[i]) { // past the sniff window a UTF-8 file may still hold GBK bytes
			rec[i] = strings.ToValidUTF8(rec[i], "\uFFFD")
		}
	}
	return rec, nil
}

// Encoding returns [EncodingUTF8] or [EncodingGB18030].
func (c *CSVReader) Encoding() string { return c.encoding }

// Fields returns the header's column names, trimmed, without the geometry
// columns; an empty header cell is named "列N" (N from 1).
func (c *CSVReader) Fields() []string { return c.fields }

// Header returns every column name, the geometry columns included.
func (c *CSVReader) Header() []string { return c.header }

// Next advances to the next non-blank row and reports whether there is
// one. It returns false at the end and on the first error, which Err then
// returns.
func (c *CSVReader) Next() bool {
	for !c.done {
		rec, err := c.read()
		if errors.Is(err, io.EOF) {
			c.done = true
			return false
		}
		if err != nil {
			return c.fail(err)
		}
		if blank(rec) { // Excel writes ",,," for rows it thinks are used
			continue
		}
		if len(rec) != len(c.header) {
			return c.fail(&FormatError{Feature: -1, Line: c.row,
				Reason: fmt.Sprintf("有 %d 列，而表头有 %d 列", len(rec), len(c.header)), Err: ErrFieldCount})
		}
		r := Record{Index: c.index, Line: c.row, Attrs: make(map[string]any, len(c.fields))}
		for i, v := range rec {
			if i != c.lon && i != c.lat && i != c.wkt {
				r.Attrs[c.header[i]] = strings.TrimSpace(v)
			}
		}
		if r.Geometry, err = c.geometry(rec); err != nil {
			return c.fail(err)
		}
		c.rec = r
		c.index++
		return true
	}
	return false
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// geometry builds the row's geometry from its coordinate or WKT cells.
func (c *CSVReader) geometry(rec []string) (orb.Geometry, error) {
	if c.lon >= 0 {
		x, y := strings.TrimSpace(rec[c.lon]), strings.TrimSpace(rec[c.lat])
		if x == "" && y == "" {
			return nil, nil
		}
		lon, err := c.number(x, c.lon)
		if err != nil {
			return nil, err
		}
		lat, err := c.number(y, c.lat)
		if err != nil {
			return nil, err
		}
		return orb.Point{lon, lat}, nil
	}
	if c.wkt >= 0 {
		s := strings.TrimSpace(rec[c.wkt])
		if s == "" {
			return nil, nil
		}
		g, err := parseWKT(s)
		if err != nil {
			return nil, &FormatError{Feature: -1, Line: c.row, Column: c.header[c.wkt],
				Reason: fmt.Sprintf("的值 %s 不是有效的 WKT", value.Quote(s)), Err: ErrGeometry}
		}
		return g, nil
	}
	return nil, nil
}

// number parses a coordinate cell. Full-width digits, point and minus, as
// typed with a Chinese input method, are accepted; "NaN" and "Inf" are not.
func (c *CSVReader) number(s string, col int) (float64, error) {
	v, err := strconv.ParseFloat(width.Narrow.String(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &FormatError{Feature: -1, Line: c.row, Column: c.header[col],
			Reason: fmt.Sprintf("的值 %s 不是数字", value.Quote(s)), Err: ErrValue}
	}
	return v, nil
}

// parseWKT wraps orb's parser, which is not fuzzed upstream, so that a
// panic on odd input becomes an error.
func parseWKT(s string) (g orb.Geometry, err error) {
	defer func() {
		if recover() != nil {
			g, err = nil, errors.New("bad wkt")
		}
	}()
	return wkt.Unmarshal(s)
}

func (c *CSVReader) fail(err error) bool {
	c.err, c.done = err, true
	c.rec = Record{}
	return false
}

// Record returns the row Next advanced to. Its Attrs map is the caller's
// to keep.
func (c *CSVReader) Record() Record { return c.rec }

// Err returns the error that stopped Next, or nil at a clean end. It is a
// [*FormatError] for faults in the data.
func (c *CSVReader) Err() error { return c.err }

// maxRowBytes bounds one CSV record (a row, with the lines of its quoted
// cells), so that a file without line breaks cannot make encoding/csv
// buffer all of it; a WKT county boundary is a few MiB. encoding/csv
// holds about five times the row while it reads it (its line buffer
// doubles as it grows): a 70 MiB row against a 64 MiB limit took the
// server to 356 MiB, so the limit is that of a JSON string, 8 MiB. A
// variable so that tests can lower it.
var maxRowBytes = 8 << 20

// errRowTooLong is what rowLimit returns to encoding/csv, which hands it
// back from Read.
var errRowTooLong = errors.New("feature: CSV row over the limit")

// rowLimit sits under encoding/csv and refuses to give it more once the
// record being read has passed maxRowBytes. encoding/csv reads through a
// bufio.Reader of sniffSize, so up to that much may be read ahead.
type rowLimit struct {
	r    io.Reader
	n    int64 // bytes read so far
	base int64 // offset where the record being read starts
}

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.n-l.base > int64(maxRowBytes)+sniffSize {
		return 0, errRowTooLong
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}
