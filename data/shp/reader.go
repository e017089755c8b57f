package shp

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// Record is one shapefile record: a shape and its dbf row.
type Record struct {
	Index    int            // 0-based position in the file (ArcGIS's FID); deleted rows are skipped but counted
	Geometry orb.Geometry   // XY in the file's coordinates (see [Reader.PRJ]; Z and M dropped, see [Reader.Dims]); nil for a null or empty shape
	Attrs    map[string]any // by [Field].Name: string, int64, float64, bool, time.Time (UTC midnight), or nil when blank
}

// Reader streams the records of one shapefile set. Use it as
//
//	for r.Next() { rec := r.Record() ... }
//	if err := r.Err(); err != nil { ... }
//
// A Reader is not safe for concurrent use.
type Reader struct {
	shp     *shpReader
	dbf     *dbfReader
	shpName string // for messages
	dbfName string
	prj     string
	closers []io.Closer
	index   int // of the last record read, -1 before the first
	rec     Record
	err     error
	done    bool
}

// Fields returns the dbf columns in file order.
func (r *Reader) Fields() []Field { return slices.Clone(r.dbf.fields) }

// Encoding reports how attribute text and field names are decoded: name is
// [EncodingGBK], [EncodingGB18030], [EncodingUTF8] or [EncodingFallback];
// source says what decided it: "dbf language byte 0x4D", `.cpg "GBK"` or
// "default (no language byte or .cpg)". With the fallback, a value that is
// not valid UTF-8 is GBK, one that reads as Chinese in UTF-8 is UTF-8, and
// the rare value valid both ways follows the file's majority.
func (r *Reader) Encoding() (name, source string) { return r.dbf.text.name, r.dbf.text.source }

// PRJ returns the .prj's WKT as written, without surrounding white space,
// or "" when the set has no .prj.
func (r *Reader) PRJ() string { return r.prj }

// ShapeType returns the shape type of the .shp header. Records are of this
// type or null.
func (r *Reader) ShapeType() ShapeType { return r.shp.typ }

// Dims reports the ordinates beyond x and y that the set carries, which
// the Reader drops (gapmap stores 2D): Z for the Z shape types (PointZ,
// PolyLineZ, PolygonZ, MultiPointZ) and M for the M types, both from the
// .shp header; and M for a Z type once Next has read a record that carries
// the optional measure array, which GDAL reads as XYZM. Ask after Next
// has returned false to cover the whole file.
func (r *Reader) Dims() geo.Dims { return r.shp.dims }

// Len returns the number of records the dbf header declares, deleted rows
// included; Next stops with ErrCountMismatch if the .shp disagrees.
func (r *Reader) Len() int { return r.dbf.records }

// Next advances to the next record that is not deleted and reports whether
// there is one. It returns false at the end and on the first error, which
// Err then returns.
func (r *Reader) Next() bool {
	if r.done {
		return false
	}
	for {
		if r.index+1 >= r.dbf.records {
			r.finish()
			return false
		}
		r.index++
		g, err := r.shp.next()
		if errors.Is(err, io.EOF) {
			return r.fail(&FormatError{File: r.shpName, Record: -1, Err: ErrCountMismatch,
				Reason: fmt.Sprintf("只有 %d 条记录，而 %s 有 %d 条，记录数不一致", r.index, r.dbfName, r.dbf.records)})
		}
		if err != nil {
			return r.fail(at(err, r.shpName, r.index))
		}
		attrs, deleted, err := r.dbf.next(r.index)
		if err != nil {
			return r.fail(at(err, r.dbfName, r.index))
		}
		if deleted {
			continue
		}
		r.rec = Record{Index: r.index, Geometry: g, Attrs: attrs}
		return true
	}
}

// finish checks, once the dbf is exhausted, that the .shp holds no further
// record. Bytes past the length in the .shp header are ignored, since some
// writers pad files; a header that overstates the length is tolerated when
// nothing follows.
func (r *Reader) finish() {
	r.done = true
	if r.shp.off >= r.shp.fileLen {
		return
	}
	if _, err := r.shp.next(); errors.Is(err, io.EOF) {
		return
	}
	r.err = &FormatError{File: r.shpName, Record: -1, Err: ErrCountMismatch,
		Reason: fmt.Sprintf("在第 %d 条之后还有记录，而 %s 只有 %d 条，记录数不一致", r.dbf.records, r.dbfName, r.dbf.records)}
}

func (r *Reader) fail(err error) bool {
	r.err, r.done = err, true
	r.rec = Record{}
	return false
}

// Record returns the record Next advanced to. Its Attrs map is the
// caller's to keep.
func (r *Reader) Record() Record { return r.rec }

// Err returns the error that stopped Next, or nil at a clean end. It is a
// [*FormatError] for faults in the data.
func (r *Reader) Err() error { return r.err }

// Close closes the files (and the zip) behind r.
func (r *Reader) Close() error {
	r.done = true
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	r.closers = nil
	return errors.Join(errs...)
}
