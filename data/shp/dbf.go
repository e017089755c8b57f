package shp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Field describes one dbf column.
type Field struct {
	Name     string // decoded, e.g. "宽度"; made unique with a "_2"-style suffix when the file repeats a name
	Type     byte   // 'C' text, 'N' or 'F' number, 'L' logical, 'D' date; any other type reads as text
	Length   int    // bytes per value in the record
	Decimals int    // digits after the decimal point; N and F only
}

// dbfHeader is the part of a .dbf header read before the encoding is
// known: field names need the encoding, which needs the language byte.
type dbfHeader struct {
	records   int
	recordLen int
	ldid      byte   // language driver ID, byte 29
	fields    []byte // the field descriptors, 32 bytes each
}

// readDBFHeader reads the 32-byte header and the field descriptors, leaving
// r at the first record. All integers are little-endian.
func readDBFHeader(r io.Reader) (*dbfHeader, error) {
	var h [32]byte
	if n, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fault(ErrTruncated, "文件头不完整（只有 %d 字节，应至少 32 字节），不是有效的 dbf 文件", n)
		}
		return nil, err
	}
	hdr := &dbfHeader{
		records:   int(binary.LittleEndian.Uint32(h[4:])),
		recordLen: int(binary.LittleEndian.Uint16(h[10:])),
		ldid:      h[29],
	}
	headerLen := int(binary.LittleEndian.Uint16(h[8:]))
	if headerLen < 33 || hdr.recordLen < 1 {
		return nil, fault(ErrCorrupt, "文件头长度 %d 或记录长度 %d 无效，不是有效的 dbf 文件", headerLen, hdr.recordLen)
	}
	// headerLen is at most 65535, so reading it whole is bounded.
	rest := make([]byte, headerLen-32)
	if n, err := io.ReadFull(r, rest); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fault(ErrTruncated, "文件头声明 %d 字节，但文件只有 %d 字节", headerLen, 32+n)
		}
		return nil, err
	}
	// Descriptors run to a 0x0D terminator; Visual FoxPro puts a backlink
	// after it, which headerLen covers and we skip.
	n := 0
	for n+32 <= len(rest) && rest[n] != 0x0D {
		n += 32
	}
	hdr.fields = rest[:n]
	return hdr, nil
}

// dbfReader walks the records of a .dbf stream.
type dbfReader struct {
	r       io.Reader
	records int
	fields  []Field
	offsets []int // of each field in the record, after the deletion flag
	text    *textDecoder
	buf     []byte // the current record, reused

	// The previous raw value of each field and what it parsed to. County
	// layers repeat values (路面 is 水泥 row after row), and reusing the
	// parsed value, which is immutable, saves decoding and an allocation.
	lastRaw [][]byte
	lastVal []any
}

func newDBFReader(r io.Reader, h *dbfHeader, text *textDecoder) (*dbfReader, error) {
	d := &dbfReader{r: r, records: h.records, text: text, buf: make([]byte, h.recordLen)}
	seen := make(map[string]bool)
	off := 1 // the deletion flag
	for i := 0; i < len(h.fields); i += 32 {
		name, f := descriptor(h.fields[i : i+32])
		f.Name = text.decode(name)
		if f.Name == "" {
			f.Name = fmt.Sprintf("FIELD_%d", len(d.fields)+1)
		}
		// Attrs is keyed by name, so a repeated name would hide a column.
		if base := f.Name; seen[base] {
			for k := 2; seen[f.Name]; k++ {
				f.Name = fmt.Sprintf("%s_%d", base, k)
			}
		}
		seen[f.Name] = true
		d.fields = append(d.fields, f)
		d.offsets = append(d.offsets, off)
		off += f.Length
	}
	d.lastRaw = make([][]byte, len(d.fields))
	d.lastVal = make([]any, len(d.fields))
	if off > h.recordLen {
		return nil, fault(ErrCorrupt, "各字段宽度之和为 %d 字节，超过文件头的记录长度 %d 字节", off-1, h.recordLen-1)
	}
	return d, nil
}

// descriptor parses a 32-byte field descriptor, returning the raw name
// and the field without its decoded Name.
func descriptor(desc []byte) ([]byte, Field) {
	name := desc[:11]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	f := Field{Type: desc[11], Length: int(desc[16]), Decimals: int(desc[17])}
	if f.Type != 'N' && f.Type != 'F' {
		// Clipper and FoxPro store text widths over 255 with the
		// decimals byte as the high byte; GDAL reads them the same way.
		f.Length += f.Decimals << 8
		f.Decimals = 0
	}
	return name, f
}

// isText reports whether values of type t are decoded text.
func isText(t byte) bool {
	switch t {
	case 'N', 'F', 'L', 'D':
		return false
	}
	return true
}

// scanText reads the dbf at r and passes its field names and every text
// value of its live records to text.vote, so that the fallback knows the
// file's majority before the first record is decoded. It stops quietly at
// the first fault: the main pass reports it, with its record.
func scanText(r io.Reader, text *textDecoder) {
	h, err := readDBFHeader(r)
	if err != nil {
		return
	}
	type span struct{ off, end int }
	var spans []span
	off := 1
	for i := 0; i < len(h.fields); i += 32 {
		name, f := descriptor(h.fields[i : i+32])
		text.vote(name)
		if isText(f.Type) {
			spans = append(spans, span{off, off + f.Length})
		}
		off += f.Length
	}
	if off > h.recordLen {
		return
	}
	buf := make([]byte, h.recordLen)
	for range h.records {
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		if buf[0] == '*' {
			continue
		}
		for _, sp := range spans {
			text.vote(buf[sp.off:sp.end])
		}
	}
}

// next reads record index. A record flagged deleted ('*') is reported as
// such with nil attrs.
func (d *dbfReader) next(index int) (attrs map[string]any, deleted bool, err error) {
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, fault(ErrTruncated, "文件在此结束，但文件头声明有 %d 条记录，文件被截断", d.records)
		}
		return nil, false, err
	}
	if d.buf[0] == '*' {
		return nil, true, nil
	}
	attrs = make(map[string]any, len(d.fields))
	for i := range d.fields {
		f := &d.fields[i]
		raw := d.buf[d.offsets[i] : d.offsets[i]+f.Length]
		if d.lastRaw[i] != nil && bytes.Equal(raw, d.lastRaw[i]) {
			attrs[f.Name] = d.lastVal[i]
			continue
		}
		v, err := d.value(f, raw)
		if err != nil {
			err.Record, err.Field = index, f.Name
			return nil, false, err
		}
		d.lastRaw[i] = append(d.lastRaw[i][:0], raw...)
		d.lastVal[i] = v
		attrs[f.Name] = v
	}
	return attrs, false, nil
}

// value converts one raw field value. Blank values of every type are nil,
// as GDAL writes nulls blank and reads blanks as null.
func (d *dbfReader) value(f *Field, raw []byte) (any, *FormatError) {
	switch f.Type {
	case 'N', 'F':
		s := trimPad(raw)
		if len(s) == 0 || allStars(s) { // dBASE writes overflowing numbers as ****
			return nil, nil
		}
		if !numeric(s) {
			return nil, fault(ErrValue, "的值 %q 不是数字", d.show(raw))
		}
		// Integer columns stay int64 so that codes and counts keep every
		// digit; a value with a point in one falls back to float64.
		if f.Type == 'N' && f.Decimals == 0 {
			if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
				return v, nil
			}
		}
		v, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return nil, fault(ErrValue, "的值 %q 不是数字", d.show(raw))
		}
		return v, nil
	case 'L':
		s := trimPad(raw)
		if len(s) == 0 {
			return nil, nil
		}
		switch s[0] {
		case 'T', 't', 'Y', 'y':
			return true, nil
		case 'F', 'f', 'N', 'n':
			return false, nil
		case '?':
			return nil, nil
		}
		return nil, fault(ErrValue, "的值 %q 不是逻辑值（应为 T、F、Y、N 或 ?）", d.show(raw))
	case 'D':
		s := trimPad(raw)
		if len(s) == 0 || string(s) == "00000000" {
			return nil, nil
		}
		if t, ok := parseDate(s); ok {
			return t, nil
		}
		return nil, fault(ErrValue, "的值 %q 不是日期（应为 YYYYMMDD）", d.show(raw))
	}
	if s := d.text.decode(raw); s != "" {
		return s, nil
	}
	return nil, nil
}

// show returns raw as users should see it in a message: decoded, or as
// hex bytes when decoding leaves nothing legible.
func (d *dbfReader) show(raw []byte) string {
	if s := d.text.decode(raw); s != "" && !strings.ContainsRune(s, utf8.RuneError) {
		return s
	}
	return fmt.Sprintf("% X", trimPad(raw))
}

func allStars(s []byte) bool {
	for _, c := range s {
		if c != '*' {
			return false
		}
	}
	return true
}

// numeric reports whether s has only the characters of a decimal number.
// strconv alone would also take "NaN", "Inf" and hex floats, which no dbf
// writer produces and which are better reported than stored.
func numeric(s []byte) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

// parseDate parses YYYYMMDD as midnight UTC, rejecting dates such as
// 20230230 that time.Date would roll over.
func parseDate(s []byte) (time.Time, bool) {
	if len(s) != 8 {
		return time.Time{}, false
	}
	var n [3]int
	for i, w := range [3][2]int{{0, 4}, {4, 6}, {6, 8}} {
		for _, c := range s[w[0]:w[1]] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
	if t.Year() != n[0] || t.Month() != time.Month(n[1]) || t.Day() != n[2] {
		return time.Time{}, false
	}
	return t, true
}
