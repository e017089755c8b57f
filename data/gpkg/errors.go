package gpkg

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
)

// Sentinels for errors.Is; a [*FormatError] wraps one of them. Their text
// is only a fallback: users see FormatError's Chinese message.
var (
	ErrNotGeoPackage = errors.New("gpkg: not a GeoPackage")      // not an SQLite file, or an SQLite file without gpkg_contents
	ErrTruncated     = errors.New("gpkg: truncated file")        // the file is shorter than its SQLite header says
	ErrCorrupt       = errors.New("gpkg: corrupt file")          // SQLite finds the file malformed, or the GeoPackage tables disagree
	ErrNoLayer       = errors.New("gpkg: no such layer")         // the named layer is not a feature layer of the file, or there is none
	ErrSeveralLayers = errors.New("gpkg: several layers")        // no layer was named and the file holds more than one
	ErrGeometry      = errors.New("gpkg: bad geometry")          // a geometry blob with a bad header, unknown type or truncated WKB
	ErrValue         = errors.New("gpkg: bad attribute value")   // a stored date that does not parse
	ErrInvalid       = errors.New("gpkg: invalid write request") // the Writer was given a name, type, value or geometry it cannot store
	ErrTooLarge      = errors.New("gpkg: over a size limit")     // a geometry blob past what a real file holds (a bomb)
)

// FormatError reports a fault in a GeoPackage, or in a feature given to a
// [Writer], in terms its owner can act on: which file, which layer, which
// feature, which field, and why.
type FormatError struct {
	File   string // base name of the path given to Open or Create, e.g. "临湘市.gpkg"
	Layer  string // table name of the layer, "" when the fault is in the file as a whole
	Index  int    // 0-based number of the feature in the layer, or -1 when the fault is not in one feature
	FID    int64  // the feature's fid (primary key); meaningful only when Index >= 0
	Field  string // column name, "" unless the fault is in one value
	Reason string // what is wrong, in Chinese
	Err    error  // one of the Err* sentinels, or the underlying SQLite or I/O error
}

// Error returns the Chinese message, e.g.
// `临湘市.gpkg：图层 道路 第 12 个要素（FID 12）字段 geom 几何数据在第 45 字节处截断`.
// Features are counted from 1 for people and shown with their FID, the
// number QGIS and ogrinfo display, so either reading finds them.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString("：")
	}
	if e.Layer != "" {
		fmt.Fprintf(&b, "图层 %s ", e.Layer)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, "第 %d 个要素（FID %d）", e.Index+1, e.FID)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "字段 %s ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel or underlying error behind e.
func (e *FormatError) Unwrap() error { return e.Err }

// fault builds a FormatError for code that does not know the file, layer or
// feature it is looking at; the caller fills those in.
func fault(sentinel error, format string, args ...any) *FormatError {
	return &FormatError{Index: -1, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// SQLite primary result codes (the low byte of an extended code) that say
// something about the file rather than about our SQL.
const (
	sqliteCorrupt = 11  // SQLITE_CORRUPT: database disk image is malformed
	sqliteNotADB  = 26  // SQLITE_NOTADB: file is not a database
	sqliteIOErr   = 10  // SQLITE_IOERR
	sqliteShort   = 522 // SQLITE_IOERR_SHORT_READ: the file ends early
)

// dbError turns an error from SQLite into a FormatError for file name and
// layer, choosing the sentinel by SQLite's result code (never by message
// text).
func dbError(err error, file, layer, doing string) *FormatError {
	fe := &FormatError{File: file, Layer: layer, Index: -1, Err: err}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqliteShort:
			fe.Reason, fe.Err = "文件不完整（读到文件末尾之前数据就结束了）", errors.Join(ErrTruncated, err)
			return fe
		case code&0xff == sqliteCorrupt:
			fe.Reason, fe.Err = "文件已损坏或不完整（SQLite 报告数据库格式错误）", errors.Join(ErrCorrupt, err)
			return fe
		case code&0xff == sqliteNotADB:
			fe.Reason, fe.Err = "不是 SQLite 数据库文件，因而不是 GeoPackage", errors.Join(ErrNotGeoPackage, err)
			return fe
		case code&0xff == sqliteIOErr:
			fe.Reason = "读写文件失败：" + err.Error()
			return fe
		}
	}
	fe.Reason = doing + "失败：" + err.Error()
	return fe
}

// baseName is how errors name a file: its base name, which is what the
// user uploaded or downloaded.
func baseName(path string) string { return filepath.Base(path) }
