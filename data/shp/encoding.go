package shp

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Encoding names reported by [Reader.Encoding].
const (
	EncodingGBK      = "GBK"
	EncodingGB18030  = "GB18030"
	EncodingUTF8     = "UTF-8" // declared; a value that is not valid UTF-8 is still read as GBK
	EncodingFallback = "UTF-8 with GBK fallback"
)

// textDecoder turns dbf bytes into strings. It is not safe for concurrent
// use, nor is the Reader that owns it.
type textDecoder struct {
	name   string // one of the Encoding* names
	source string // why, e.g. "dbf language byte 0x4D" or `.cpg "936"`
	gb     bool   // decode every value as GB18030; otherwise UTF-8 first
	utf8   bool   // UTF-8 is declared: valid UTF-8 is never second-guessed
	dec    *encoding.Decoder
	out    []byte // gbk's output buffer, reused

	// Unambiguous values seen in the fallback's pass over the dbf.
	gbkVotes, utf8Votes int
}

// newTextDecoder applies the bureaus' rule: the dbf language byte (LDID),
// then the .cpg, else UTF-8 with a GBK fallback per value. cpg is the
// .cpg's content, hasCPG whether the file exists.
//
// Only the Chinese code pages and UTF-8 are honoured. Any other LDID (0x57
// "ANSI" and 0x00 included) defers to the .cpg, and any other .cpg to the
// fallback: a county's data in cp1252 or cp437 is far less likely than
// GBK behind a generic label, and the fallback still reads UTF-8 exactly.
func newTextDecoder(ldid byte, cpg string, hasCPG bool) *textDecoder {
	// GB18030 decodes all of GBK (and GB2312) identically and also the
	// four-byte sequences some tools use for rare characters in place
	// names, so one decoder serves every Chinese label.
	d := &textDecoder{dec: simplifiedchinese.GB18030.NewDecoder()}
	switch ldid {
	case 0x4D, 0x7A: // ESRI's table: 0x4D Chinese GBK (PRC), 0x7A PRC GBK; both code page 936
		d.name, d.source, d.gb = EncodingGBK, fmt.Sprintf("dbf language byte 0x%02X", ldid), true
		return d
	}
	raw := strings.TrimSpace(strings.TrimPrefix(cpg, "\ufeff"))
	if hasCPG {
		switch name := cpgEncoding(raw); name {
		case EncodingGBK, EncodingGB18030:
			d.name, d.source, d.gb = name, fmt.Sprintf(".cpg %q", raw), true
			return d
		case EncodingUTF8:
			// Declared UTF-8 still falls back to GBK for a value that is not
			// valid UTF-8: it would otherwise become replacement characters,
			// and in practice it is GBK from a tool that mislabelled the file.
			d.name, d.source, d.utf8 = EncodingUTF8, fmt.Sprintf(".cpg %q", raw), true
			return d
		}
		d.name, d.source = EncodingFallback, fmt.Sprintf("default (.cpg %q is not a Chinese or UTF-8 encoding)", raw)
		return d
	}
	d.name, d.source = EncodingFallback, "default (no language byte or .cpg)"
	return d
}

// forcedDecoder decodes as name (see WithEncoding), whatever the file
// says.
func forcedDecoder(name string) *textDecoder {
	d := &textDecoder{name: name, source: "--encoding", dec: simplifiedchinese.GB18030.NewDecoder()}
	if name == EncodingUTF8 {
		d.utf8 = true
	} else {
		d.gb = true
	}
	return d
}

// cpgEncoding maps a .cpg label to EncodingGBK, EncodingGB18030,
// EncodingUTF8, or "" when unsupported. Labels vary by writer: "GBK" (GDAL), "936" and
// "UTF-8" (ArcGIS), "cp936" (Python), so case, spaces, dashes and
// underscores are ignored.
func cpgEncoding(label string) string {
	l := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return r
	}, strings.ToUpper(label))
	switch l {
	case "GBK", "CP936", "936", "WINDOWS936", "MS936", "ANSI936", "GB2312", "GB231280", "EUCCN", "CSGB2312":
		return EncodingGBK
	case "GB18030", "54936", "CP54936", "WINDOWS54936":
		return EncodingGB18030
	case "UTF8", "65001", "CP65001":
		return EncodingUTF8
	}
	return ""
}

// decode returns raw as a string with dbf padding (spaces and NULs)
// trimmed from both ends. Trimming the raw bytes is the same as trimming
// after decoding, and cheaper: neither byte occurs inside a GBK, GB18030
// or UTF-8 multibyte sequence, so no character can be cut.
//
// With the fallback, a value that is not valid UTF-8 is GBK, and a valid
// one whose UTF-8 reading is Chinese text is UTF-8. The rest are
// ambiguous: short GBK values are often valid UTF-8 by accident ("砂石"
// is "ɰʯ", "3楼" is "3¥"), so taking every valid value as UTF-8 would
// garble them. Those follow the majority of the file's unambiguous values
// (see [textDecoder.vote]), and with no majority they are GBK when that
// reads as Chinese text: in files without encoding hints GBK is far more
// common than UTF-8, which GDAL, QGIS and ArcGIS all label with a .cpg.
func (d *textDecoder) decode(raw []byte) string {
	b := trimPad(raw)
	if isASCII(b) {
		return string(b)
	}
	if d.gb {
		return d.gbk(b)
	}
	u, kind := classify(raw)
	switch kind {
	case textGBK:
		return d.gbk(b)
	case textAmbiguous:
		if !d.utf8 && d.gbkVotes >= d.utf8Votes {
			if s := d.gbk(b); hasCJK(s) && !strings.ContainsRune(s, utf8.RuneError) {
				return s
			}
		}
	}
	return string(u)
}

// Kinds of non-ASCII values under the fallback.
const (
	textASCII     = iota
	textGBK       // not valid UTF-8
	textUTF8      // valid UTF-8 that reads as Chinese text
	textAmbiguous // valid UTF-8 that does not read as Chinese text
)

// classify sorts a raw value for the fallback and returns its trimmed
// UTF-8 bytes when it is valid UTF-8.
func classify(raw []byte) ([]byte, int) {
	b := trimPad(raw)
	if isASCII(b) {
		return b, textASCII
	}
	if !utf8.Valid(b) {
		// A writer that cut a UTF-8 value at the field width leaves a
		// partial character at the end; the value then fills the field.
		full := len(raw) > 0 && raw[len(raw)-1] != ' ' && raw[len(raw)-1] != 0
		i := partialUTF8Tail(b)
		if !full || i < 0 || !utf8.Valid(b[:i]) {
			return nil, textGBK
		}
		b = b[:i]
	}
	if utf8Chinese(b) {
		return b, textUTF8
	}
	return b, textAmbiguous
}

// needsVotes reports whether decode depends on the file's majority.
func (d *textDecoder) needsVotes() bool { return !d.gb && !d.utf8 }

// vote counts raw towards the file's majority for ambiguous values; the
// Reader calls it for every text value in a pass over the dbf before the
// first record is returned.
func (d *textDecoder) vote(raw []byte) {
	switch _, kind := classify(raw); kind {
	case textGBK:
		d.gbkVotes++
	case textUTF8:
		d.utf8Votes++
	}
}

// gbk decodes b as GB18030, without an incomplete sequence at its end: a
// writer cutting a value at the field width leaves one behind, and
// decoded it would show as a stray replacement character.
func (d *textDecoder) gbk(b []byte) string {
	b = b[:completeGB(b)]
	// Decoding into a reused buffer leaves one allocation, the string.
	// Three bytes out per byte in is the worst case: a lone 0x80 or an
	// invalid byte becomes a three-byte rune.
	if cap(d.out) < 3*len(b) {
		d.out = make([]byte, 3*len(b))
	}
	d.dec.Reset()
	n, _, err := d.dec.Transform(d.out[:cap(d.out)], b, true)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(d.out[:n])
}

// utf8Chinese reports whether valid UTF-8 b reads as Chinese text: it has
// a CJK ideograph and nothing from U+0100–U+1FFF (Latin extensions, IPA,
// Greek, Cyrillic, Arabic…) or the private use area, which is what GBK
// bytes decoded as UTF-8 by accident produce. The reverse accident, GBK
// bytes forming UTF-8 ideographs, needs rare characters in a rare order.
func utf8Chinese(b []byte) bool {
	cjk := false
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case isCJK(r):
			cjk = true
		case r >= 0x100 && r < 0x2000, r >= 0xE000 && r < 0xF900:
			return false
		}
	}
	return cjk
}

func hasCJK(s string) bool {
	for _, r := range s {
		if isCJK(r) {
			return true
		}
	}
	return false
}

// isCJK reports whether r is a CJK ideograph (unified, extensions or
// compatibility).
func isCJK(r rune) bool {
	return (r >= 0x3400 && r <= 0x9FFF) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0x20000 && r <= 0x3FFFF)
}

// trimPad trims the spaces and NULs dbf writers pad values with.
func trimPad(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == 0) {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// partialUTF8Tail returns where an incomplete UTF-8 sequence at the end of
// b starts, or -1 when b does not end in one.
func partialUTF8Tail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			return -1
		}
	}
	return -1
}

// completeGB returns the length of b without an incomplete GBK/GB18030
// sequence at its end.
func completeGB(b []byte) int {
	i := 0
	for i < len(b) {
		switch c := b[i]; {
		case c < 0x81 || c == 0xFF:
			i++
		case i+1 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39:
			if i+4 > len(b) {
				return i
			}
			i += 4
		default:
			if i+2 > len(b) {
				return i
			}
			i += 2
		}
	}
	return len(b)
}
