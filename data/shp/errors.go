package shp

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is; a [*FormatError] wraps one of them. Their text
// is only a fallback: users see FormatError's Chinese message.
var (
	ErrMissingFile   = errors.New("shp: missing file")           // no .shp or .dbf, or no set in the zip
	ErrSeveralSets   = errors.New("shp: several shapefile sets") // a zip holds more than one .shp
	ErrTruncated     = errors.New("shp: truncated file")         // a header or record runs past the end of its file
	ErrCountMismatch = errors.New("shp: record count mismatch")  // .shp, .shx and .dbf disagree on the number of records
	ErrShapeType     = errors.New("shp: bad shape type")         // unknown or unsupported shape type
	ErrRing          = errors.New("shp: bad polygon ring")       // a ring with fewer than 4 points
	ErrValue         = errors.New("shp: bad attribute value")    // a number, date or logical that does not parse
	ErrCorrupt       = errors.New("shp: corrupt file")           // any other structural fault
	ErrTooLarge      = errors.New("shp: over a size limit")      // a record or a zip entry past what a real file holds (a bomb)
)

// FormatError reports a fault in a shapefile set in terms its owner can
// act on: which file, which record, which field, and why.
type FormatError struct {
	File   string // the file's name as the user knows it, e.g. "村界.dbf" or "data/村界.shp" inside a zip
	Record int    // 0-based record index (ArcGIS's FID), or -1 when the fault is in the file as a whole
	Field  string // decoded field name, "" unless the fault is in one value
	Reason string // what is wrong, in Chinese
	Err    error  // one of the Err* sentinels, or the underlying I/O error
}

// Error returns the Chinese message, e.g.
// `村界.dbf：第 12 条记录（FID 11）字段 宽度 的值 "abc" 不是数字`.
// Records are counted from 1 for people and shown with their FID, the
// 0-based number ArcGIS and QGIS display, so either reading finds them.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString("：")
	}
	if e.Record >= 0 {
		fmt.Fprintf(&b, "第 %d 条记录（FID %d）", e.Record+1, e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "字段 %s ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel or I/O error behind e.
func (e *FormatError) Unwrap() error { return e.Err }

// fault builds a FormatError for a parser that does not know the file or
// record it is looking at; the caller fills those in with at.
func fault(sentinel error, format string, args ...any) *FormatError {
	return &FormatError{Record: -1, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// at sets the file and record of err when it is a FormatError that lacks
// them, and turns any other error into one.
func at(err error, file string, record int) error {
	var fe *FormatError
	if !errors.As(err, &fe) {
		return &FormatError{File: file, Record: record, Reason: "读取失败：" + err.Error(), Err: err}
	}
	if fe.File == "" {
		fe.File = file
	}
	if fe.Record < 0 {
		fe.Record = record
	}
	return fe
}
