package export

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// dBASE limits.
const (
	dbfMaxText      = 254 // bytes of a C field
	dbfMaxName      = 10  // bytes of a field name
	dbfMaxFields    = (65535 - 33) / 32
	dbfMaxRecordLen = 65535
	dbfMinIntWidth  = 9  // what GDAL gives an Integer; GDAL and ArcGIS read ≤9 digits as a 32-bit integer
	dbfMaxNumWidth  = 24 // what GDAL gives a Real
	dbfMaxDecimals  = 15
	dateTimeWidth   = len(dateTimeLayout)
)

// textEncoder turns Go strings into dbf bytes in the export's encoding.
type textEncoder struct {
	gbk      bool
	enc      *encoding.Encoder // GBK only
	replaced int               // characters GBK cannot hold, written as '?'

	// Scratch for one character; fields rather than locals, which would
	// escape through the Transform interface call and allocate per rune.
	src [utf8.UTFMax]byte
	dst [4]byte
}

func newTextEncoder(gbk bool) *textEncoder {
	e := &textEncoder{gbk: gbk}
	if gbk {
		e.enc = simplifiedchinese.GBK.NewEncoder()
	}
	return e
}

// append appends s encoded. In UTF-8 invalid bytes become U+FFFD; in GBK
// characters it lacks (emoji, some rare names) become '?' and are counted.
func (e *textEncoder) append(b []byte, s string) []byte {
	if !e.gbk {
		if utf8.ValidString(s) {
			return append(b, s...)
		}
		return append(b, strings.ToValidUTF8(s, "\uFFFD")...)
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			b = append(b, byte(r))
			continue
		}
		n := utf8.EncodeRune(e.src[:], r)
		m, _, err := e.enc.Transform(e.dst[:], e.src[:n], true)
		if err != nil || m == 0 {
			e.replaced++
			b = append(b, '?')
			continue
		}
		b = append(b, e.dst[:m]...)
	}
	return b
}

// cut returns the longest prefix of encoded text b that fits n bytes
// without splitting a character.
func (e *textEncoder) cut(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	if !e.gbk {
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		return b[:n]
	}
	// GBK: a byte ≥ 0x81 leads a two-byte character; others stand alone.
	i := 0
	for i < n {
		step := 1
		if b[i] >= 0x81 {
			step = 2
		}
		if i+step > n {
			break
		}
		i += step
	}
	return b[:i]
}

// decode turns encoded bytes back into a string, for README and mapping
// files. It cannot fail on what append produced.
func (e *textEncoder) decode(b []byte) string {
	if !e.gbk {
		return string(b)
	}
	s, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// dbfField is one column of the dbf and what has been seen in it.
type dbfField struct {
	field Field
	name  []byte // the short name, encoded, ≤ 10 bytes
	typ   byte   // 'C', 'N', 'L' or 'D'

	maxLen    int // longest value so far, bytes
	maxFrac   int // most digits after the point so far (floats)
	truncated int // text values cut to 254 bytes
}

// shortNames returns the dbf names of fields: each Name encoded and cut
// to 10 bytes on a character boundary ("poor_population" → "poor_popul"),
// then made unique, ignoring case as dBASE readers do, by replacing its
// tail with _1, _2, … ("poor_pop_1").
func shortNames(enc *textEncoder, fields []Field) [][]byte {
	out := make([][]byte, len(fields))
	used := make(map[string]bool, len(fields))
	for i, f := range fields {
		full := enc.append(nil, f.Name)
		name := enc.cut(full, dbfMaxName)
		for k := 1; used[strings.ToUpper(string(name))]; k++ {
			suffix := "_" + strconv.Itoa(k)
			name = append(enc.cut(full, dbfMaxName-len(suffix)), suffix...)
		}
		used[strings.ToUpper(string(name))] = true
		out[i] = name
	}
	return out
}

func dbfType(t FieldType) byte {
	switch t {
	case Int, Float:
		return 'N'
	case Bool:
		return 'L'
	case Date:
		return 'D'
	}
	return 'C' // String, and DateTime as text: dBASE III has no date-time
}

// width and decimals return the field's final size from what was seen:
// text as wide as its longest value (1–254 bytes), integers at least 9
// digits (GDAL: Integer; 10–18 digits Integer64), floats as wide as their
// longest shortest-exact form with at least one decimal so every reader
// takes them as reals.
func (f *dbfField) width() int {
	switch f.field.Type {
	case String:
		return min(max(f.maxLen, 1), dbfMaxText)
	case DateTime:
		return dateTimeWidth
	case Int:
		return max(f.maxLen, dbfMinIntWidth)
	case Float:
		return max(f.maxLen, f.decimals()+2)
	case Bool:
		return 1
	case Date:
		return 8
	}
	return 1
}

func (f *dbfField) decimals() int {
	if f.field.Type != Float {
		return 0
	}
	return min(max(f.maxFrac, 1), dbfMaxDecimals)
}

// typeText describes the field for people: "整数 N(9,0)".
func (f *dbfField) typeText() string {
	w := f.width()
	switch f.typ {
	case 'N':
		return fmt.Sprintf("%s N(%d,%d)", f.field.Type.chinese(), w, f.decimals())
	case 'C':
		if f.field.Type == DateTime {
			return fmt.Sprintf("日期时间（文本 yyyy-mm-dd hh:mm:ss）C(%d)", w)
		}
		return fmt.Sprintf("%s C(%d)", f.field.Type.chinese(), w)
	}
	return fmt.Sprintf("%s %c(%d)", f.field.Type.chinese(), f.typ, w)
}

// dbfTable is the schema of one layer's dbf files and the spooled-row
// encoding they share.
type dbfTable struct {
	enc    *textEncoder
	fields []dbfField
	val    []byte // scratch
}

func newDBFTable(enc *textEncoder, fields []Field) *dbfTable {
	t := &dbfTable{enc: enc, fields: make([]dbfField, len(fields))}
	names := shortNames(enc, fields)
	for i, f := range fields {
		t.fields[i] = dbfField{field: f, name: names[i], typ: dbfType(f.Type)}
	}
	return t
}

// recordLen is the dbf record length for the widths seen so far: the
// deletion flag and every field.
func (t *dbfTable) recordLen() int {
	n := 1
	for i := range t.fields {
		n += t.fields[i].width()
	}
	return n
}

func (t *dbfTable) headerLen() int { return 32 + 32*len(t.fields) + 1 }

// fileSize is the size of a dbf of n records at the widths seen so far.
func (t *dbfTable) fileSize(n int) int64 {
	return int64(t.headerLen()) + int64(n)*int64(t.recordLen()) + 1
}

// appendRow appends the spooled form of a row: per field, a uvarint of
// the value's length plus one (0 for NULL) and the value's dbf text,
// already encoded and cut. The widths are only known once the layer
// ends, so rows are spooled compact and padded when copied into the zip.
func (t *dbfTable) appendRow(b []byte, cs []cell) []byte {
	for i := range t.fields {
		f := &t.fields[i]
		c := cs[i]
		if c.null {
			b = append(b, 0)
			continue
		}
		v := t.val[:0]
		switch f.field.Type {
		case String:
			v = t.enc.append(v, c.s)
			if len(v) > dbfMaxText {
				v = t.enc.cut(v, dbfMaxText)
				f.truncated++
			}
		case Int:
			v = appendInt(v, c.i)
		case Float:
			v = appendDBFFloat(v, c.f)
			if dot := bytes.IndexByte(v, '.'); dot >= 0 {
				end := bytes.IndexByte(v, 'e')
				if end < 0 {
					end = len(v)
				}
				f.maxFrac = max(f.maxFrac, end-dot-1)
			}
		case Bool:
			if c.b {
				v = append(v, 'T')
			} else {
				v = append(v, 'F')
			}
		case Date:
			v = c.t.AppendFormat(v, "20060102")
		case DateTime:
			v = c.t.AppendFormat(v, dateTimeLayout)
		}
		f.maxLen = max(f.maxLen, len(v))
		b = binary.AppendUvarint(b, uint64(len(v))+1)
		b = append(b, v...)
		t.val = v
	}
	return b
}

// appendDBFFloat appends f in its shortest exact decimal form, which GDAL
// reads back as the same float64; with an exponent when that is longer
// than GDAL's 24-character reals (|f| ≥ 1e24 or tiny), which GDAL still
// parses exactly.
func appendDBFFloat(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if len(b)-start > dbfMaxNumWidth {
		b = strconv.AppendFloat(b[:start], f, 'e', -1, 64)
	}
	return b
}

// writeHeader writes the dbf header and field descriptors for n records:
// dBASE III (0x03), the date, and the language driver byte (0x4D for
// GBK/CP936, 0 for UTF-8, which the .cpg declares).
func (t *dbfTable) writeHeader(w io.Writer, n int, date time.Time) error {
	h := make([]byte, 32, t.headerLen())
	h[0] = 0x03
	h[1], h[2], h[3] = byte(date.Year()-1900), byte(date.Month()), byte(date.Day())
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint16(h[8:], uint16(t.headerLen()))
	binary.LittleEndian.PutUint16(h[10:], uint16(t.recordLen()))
	if t.enc.gbk {
		h[29] = 0x4D
	}
	for i := range t.fields {
		f := &t.fields[i]
		var d [32]byte
		copy(d[:11], f.name) // NUL-padded
		d[11] = f.typ
		d[16] = byte(f.width())
		d[17] = byte(f.decimals())
		h = append(h, d[:]...)
	}
	h = append(h, 0x0D)
	_, err := w.Write(h)
	return err
}

// rowCopier turns spooled rows into fixed-width dbf records.
type rowCopier struct {
	t   *dbfTable
	rec []byte
	val []byte
}

// copyRows reads n spooled rows from r and writes them as dbf records.
func (c *rowCopier) copyRows(w io.Writer, r io.ByteReader, n int) error {
	recLen := c.t.recordLen()
	if cap(c.rec) < recLen {
		c.rec = make([]byte, recLen)
	}
	rec := c.rec[:recLen]
	for range n {
		rec[0] = ' '
		pos := 1
		for i := range c.t.fields {
			f := &c.t.fields[i]
			width := f.width()
			l, err := binary.ReadUvarint(r)
			if err != nil {
				return fmt.Errorf("read spooled rows: %w", err)
			}
			field := rec[pos : pos+width]
			pos += width
			if l == 0 { // NULL: blanks, which GDAL reads as null in every type
				fill(field, ' ')
				if f.typ == 'L' {
					field[0] = '?'
				}
				continue
			}
			v := c.val[:0]
			for range l - 1 {
				b, err := r.ReadByte()
				if err != nil {
					return fmt.Errorf("read spooled rows: %w", err)
				}
				v = append(v, b)
			}
			c.val = v
			if f.typ == 'N' { // right-aligned
				fill(field[:width-len(v)], ' ')
				copy(field[width-len(v):], v)
			} else {
				copy(field, v)
				fill(field[len(v):], ' ')
			}
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func fill(b []byte, c byte) {
	for i := range b {
		b[i] = c
	}
}
