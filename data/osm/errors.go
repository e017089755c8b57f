package osm

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Sentinels for errors.Is; a [*FormatError] wraps one of them or an I/O
// error. Their text is only a fallback: users see FormatError's Chinese
// message.
var (
	ErrFormat      = errors.New("osm: not an OpenStreetMap file") // neither .osm.pbf nor OSM XML
	ErrUnsupported = errors.New("osm: unsupported OSM variant")   // o5m, osmChange, history files, lz4/zstd blocks
	ErrTruncated   = errors.New("osm: truncated file")            // a block or the XML ends early
	ErrCorrupt     = errors.New("osm: corrupt PBF block")         // bad protobuf, zlib, string index, coordinates
	ErrSyntax      = errors.New("osm: malformed OSM XML")         // XML syntax, missing or non-numeric attributes
	ErrValue       = errors.New("osm: coordinate out of range")   // a latitude or longitude outside the globe
	ErrLayer       = errors.New("osm: unknown layer")             // an Open option names no gapmap layer
)

// FormatError reports a fault in an OSM extract in terms its owner can act
// on: which file, which PBF block (and byte offset) or XML line, which
// element, and why.
type FormatError struct {
	File    string // base name of the file, e.g. "hunan-latest.osm.pbf"
	Block   int    // 1-based PBF block (the OSMHeader is block 1), 0 if not in a block
	Offset  int64  // byte offset of that block in the file, -1 if unknown
	Line    int    // 1-based XML line, 0 if unknown
	Element string // "node/1", "way/2" or "relation/3" when the fault is in one element
	Reason  string // what is wrong, in Chinese
	Err     error  // one of the Err* sentinels, or the underlying I/O error
}

// Error returns the Chinese message, e.g.
// `hunan.osm.pbf：第 12 个数据块（偏移 345678 字节）：数据块被截断：…` or
// `临湘.osm：第 40 行 node/7：lat 的值 "abc" 不是数字`.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString("：")
	}
	where := b.Len()
	switch {
	case e.Block > 0 && e.Offset >= 0:
		fmt.Fprintf(&b, "第 %d 个数据块（偏移 %d 字节）", e.Block, e.Offset)
	case e.Block > 0:
		fmt.Fprintf(&b, "第 %d 个数据块", e.Block)
	case e.Line > 0:
		fmt.Fprintf(&b, "第 %d 行", e.Line)
	}
	if e.Element != "" {
		if b.Len() > where {
			b.WriteString(" ")
		}
		b.WriteString(e.Element)
	}
	if b.Len() > where {
		b.WriteString("：")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel or I/O error behind e.
func (e *FormatError) Unwrap() error { return e.Err }

// fault builds a FormatError for a decoder that does not know the file,
// block or line it is in; the caller fills those in.
func fault(sentinel error, format string, args ...any) *FormatError {
	return &FormatError{Offset: -1, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// ioReason describes an I/O error for users without the server path a
// *fs.PathError carries: "读取失败：read: is a directory".
func ioReason(what string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return what + "：" + pe.Op + ": " + pe.Err.Error()
	}
	return what + "：" + err.Error()
}
