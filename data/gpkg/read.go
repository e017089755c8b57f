package gpkg

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	_ "modernc.org/sqlite" // pure-Go SQLite: a GeoPackage is an SQLite file

	"github.com/gapmap/gapmap/data/internal/value"
	"github.com/gapmap/gapmap/geo"
)

// sqliteMagic opens every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// Application ids a GeoPackage may carry: "GPKG" (1.2 and later, with the
// version in user_version), "GP10" and "GP11" (1.0 and 1.1).
const (
	appGP10 = 0x47503130
	appGP11 = 0x47503131
)

// File is a GeoPackage opened for reading. Its methods may be called from
// several goroutines; each [Reader] belongs to one.
type File struct {
	name string // base name, for messages
	db   *sql.DB

	mu      sync.Mutex
	readers map[*Reader]bool // open readers, closed with the File
}

// LayerInfo describes one feature layer: its gpkg_contents row joined with
// gpkg_geometry_columns and gpkg_spatial_ref_sys.
type LayerInfo struct {
	Name          string // table name, which is the layer's name in QGIS and ogrinfo
	Description   string // gpkg_contents.description, often ""
	GeomColumn    string // geometry column, usually "geom"; "" if the file declares none
	GeometryType  string // geometry_type_name, e.g. "MULTIPOLYGON" or "GEOMETRY"
	SRSID         int    // srs_id of the geometry column
	Organization  string // the SRS's organization, e.g. "EPSG"; "" if the SRS row is missing
	OrgCoordsysID int    // the organization's code, e.g. 4490 or 4546
	Definition    string // the SRS as OGC WKT 1, or "undefined"
	Count         int64  // number of rows in the table
}

// Open opens the GeoPackage at path read-only. It checks the SQLite header
// (a file shorter than its header says is reported as [ErrTruncated]), the
// GeoPackage application_id ("GPKG", "GP10", "GP11", or 0 as some older
// tools leave it) and that gpkg_contents exists ([ErrNotGeoPackage]
// otherwise). Errors are [*FormatError] values with a Chinese message.
func Open(path string) (*File, error) {
	name := baseName(path)
	bad := func(sentinel error, format string, args ...any) error {
		fe := fault(sentinel, format, args...)
		fe.File = name
		return fe
	}
	if err := checkHeader(path, bad); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, "ro"))
	if err != nil {
		return nil, dbError(err, name, "", "打开文件")
	}
	var n int
	err = db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'gpkg_contents'`).Scan(&n)
	if err == nil && n == 0 {
		err = bad(ErrNotGeoPackage, "是 SQLite 数据库但不是 GeoPackage：缺少 gpkg_contents 表")
	} else if err != nil {
		err = dbError(err, name, "", "读取文件结构")
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return &File{name: name, db: db, readers: map[*Reader]bool{}}, nil
}

// checkHeader reads the 100-byte SQLite header of path and reports what
// can be told without SQLite: not SQLite, not a GeoPackage, truncated.
func checkHeader(path string, bad func(error, string, ...any) error) error {
	f, err := os.Open(path)
	if err != nil {
		return &FormatError{File: baseName(path), Index: -1, Reason: "无法打开文件：" + err.Error(), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &FormatError{File: baseName(path), Index: -1, Reason: "无法读取文件：" + err.Error(), Err: err}
	}
	if st.IsDir() {
		return bad(ErrNotGeoPackage, "是目录，不是 GeoPackage 文件")
	}
	size := st.Size()
	if size == 0 {
		return bad(ErrNotGeoPackage, "文件是空的，不是 GeoPackage")
	}
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{File: baseName(path), Index: -1, Reason: "无法读取文件：" + err.Error(), Err: err}
	}
	if n < len(sqliteMagic) || string(h[:len(sqliteMagic)]) != sqliteMagic {
		return bad(ErrNotGeoPackage, "不是 SQLite 数据库文件，因而不是 GeoPackage（.gpkg）")
	}
	if n < len(h) {
		return bad(ErrTruncated, "文件不完整：只有 %d 字节，连 SQLite 文件头（100 字节）都不全", n)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return bad(ErrCorrupt, "SQLite 文件头已损坏（页大小 %d 无效）", pageSize)
	}
	// The page count at offset 28 is valid when the change counter at 24
	// matches the version-valid-for number at 92 (SQLite 3.7.0 and later).
	pages := int64(binary.BigEndian.Uint32(h[28:]))
	if pages > 0 && binary.BigEndian.Uint32(h[24:]) == binary.BigEndian.Uint32(h[92:]) && size < pages*pageSize {
		return bad(ErrTruncated, "文件不完整：应有 %d 字节，实际只有 %d 字节（下载或复制可能中断了）", pages*pageSize, size)
	}
	if size%pageSize != 0 {
		return bad(ErrTruncated, "文件不完整：%d 字节不是页大小 %d 的整数倍（下载或复制可能中断了）", size, pageSize)
	}
	switch app := binary.BigEndian.Uint32(h[68:]); app {
	case applicationID, appGP10, appGP11, 0:
	default:
		return bad(ErrNotGeoPackage, "是 SQLite 数据库但不是 GeoPackage（application_id 为 0x%08x，应为 “GPKG”）", app)
	}
	return nil
}

// dsn is the modernc.org/sqlite data source name for path opened with
// SQLite's URI parameter mode (ro, rw). A URI keeps a "?" or "#" in the
// path from being read as parameters, and mode=ro/rw keeps SQLite from
// creating a missing file.
func dsn(path, mode string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(filepath.ToSlash(path)) + "?mode=" + mode
}

// Close closes the file and any Reader still open on it.
func (f *File) Close() error {
	f.mu.Lock()
	rs := f.readers
	f.readers = nil
	f.mu.Unlock()
	for r := range rs {
		r.Close()
	}
	return f.db.Close()
}

// layers lists the feature layers without counting their rows, ordered by
// table name so the list is stable.
func (f *File) layers() ([]LayerInfo, error) {
	var have int
	if err := f.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')
		AND name IN ('gpkg_geometry_columns', 'gpkg_spatial_ref_sys')`).Scan(&have); err != nil {
		return nil, dbError(err, f.name, "", "读取图层列表")
	}
	var q string
	if have == 2 {
		q = `SELECT c.table_name, c.description, g.column_name, g.geometry_type_name, coalesce(g.srs_id, c.srs_id),
			s.organization, s.organization_coordsys_id, s.definition
		FROM gpkg_contents c
		LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = coalesce(g.srs_id, c.srs_id)
		WHERE c.data_type = 'features'
		ORDER BY c.table_name`
	} else {
		// Not valid, but readable: report the layers without geometry
		// column or SRS details rather than refuse the file.
		q = `SELECT table_name, description, NULL, NULL, srs_id, NULL, NULL, NULL
		FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name`
	}
	rows, err := f.db.Query(q)
	if err != nil {
		return nil, dbError(err, f.name, "", "读取图层列表")
	}
	defer rows.Close()
	var out []LayerInfo
	seen := map[string]bool{}
	for rows.Next() {
		var (
			name                     string
			desc, col, typ, org, def sql.NullString
			srs, orgID               sql.NullInt64
		)
		if err := rows.Scan(&name, &desc, &col, &typ, &srs, &org, &orgID, &def); err != nil {
			return nil, &FormatError{File: f.name, Index: -1, Reason: "gpkg_contents 或 gpkg_spatial_ref_sys 中有无效的值：" + err.Error(),
				Err: errors.Join(ErrCorrupt, err)}
		}
		if seen[name] { // a pre-1.2 file may list a table twice in gpkg_geometry_columns
			continue
		}
		seen[name] = true
		out = append(out, LayerInfo{
			Name: name, Description: desc.String, GeomColumn: col.String, GeometryType: strings.ToUpper(typ.String),
			SRSID: int(srs.Int64), Organization: org.String, OrgCoordsysID: int(orgID.Int64), Definition: def.String,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, f.name, "", "读取图层列表")
	}
	return out, nil
}

// Layers returns the feature layers (gpkg_contents rows with data_type
// 'features') ordered by name, with their geometry column, SRS and row
// count. Tile and attribute tables are left out.
func (f *File) Layers() ([]LayerInfo, error) {
	ls, err := f.layers()
	if err != nil {
		return nil, err
	}
	for i := range ls {
		if err := f.db.QueryRow("SELECT count(*) FROM " + quote(ls[i].Name)).Scan(&ls[i].Count); err != nil {
			fe := dbError(err, f.name, ls[i].Name, "统计要素数")
			if !errors.Is(fe, ErrCorrupt) && !errors.Is(fe, ErrTruncated) {
				fe.Reason, fe.Err = "gpkg_contents 列出的表无法读取："+err.Error(), errors.Join(ErrCorrupt, err)
			}
			return nil, fe
		}
	}
	return ls, nil
}

// Reader streams the features of one layer in fid order through one SQL
// cursor; memory does not grow with the number of features. Use it as
//
//	for r.Next() { rec := r.Record(); ... }
//	if err := r.Err(); err != nil { ... }
//
// A Reader is not safe for concurrent use.
type Reader struct {
	f       *File
	layer   string
	geomCol string
	fields  []string
	kinds   []kind // how to convert each field's values
	rows    *sql.Rows
	hasFID  bool
	hasGeom bool

	vals []any // scan targets: fid, geometry, fields
	ptrs []any
	geom sql.RawBytes
	// geomLen is the blob's length, read apart from the blob, which the
	// query returns only up to maxGeometryBytes: SQLite reads a longer
	// one's length from its record header without loading it.
	geomLen sql.NullInt64
	dims    geo.Dims // ordinates beyond XY of the geometries read so far
	index   int      // Index of the next feature
	fid     int64    // fid of the feature being read, once known
	known   bool     // fid holds the current feature's fid
	last    int64    // fid of the last feature returned
	rec     Record
	err     error
	done    bool
}

// Record is one feature.
type Record struct {
	Index    int            // 0-based position in the layer, in fid order
	FID      int64          // the feature's primary key (fid), as QGIS shows it; Index+1 for a view without an integer key
	Geometry orb.Geometry   // XY in the layer's SRS (Z and M dropped, see [Reader.Dims]); nil for a NULL or empty geometry
	Attrs    map[string]any // by field name: string, int64, float64, bool, time.Time, []byte (BLOB) or nil; a new map per Record
}

// kind is how Reader converts one column's values.
type kind int

const (
	kindAny  kind = iota // as SQLite stores it
	kindBool             // BOOLEAN: integers become bool
	kindTime             // DATE, DATETIME: text becomes time.Time
)

// Read opens a Reader on the feature layer named layer. With layer "" the
// file must hold exactly one feature layer; otherwise the error wraps
// [ErrSeveralLayers] and lists them. An unknown name wraps [ErrNoLayer].
// Table names are matched exactly, then ignoring case as SQLite does.
func (f *File) Read(layer string) (*Reader, error) {
	ls, err := f.layers()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	bad := func(sentinel error, format string, args ...any) error {
		fe := fault(sentinel, format, args...)
		fe.File = f.name
		return fe
	}
	var info *LayerInfo
	switch {
	case len(ls) == 0:
		return nil, bad(ErrNoLayer, "文件中没有要素图层")
	case layer == "" && len(ls) > 1:
		return nil, bad(ErrSeveralLayers, "文件中有 %d 个要素图层（%s），请指定要导入哪一个", len(ls), strings.Join(names, "、"))
	case layer == "":
		info = &ls[0]
	default:
		for i := range ls {
			if ls[i].Name == layer {
				info = &ls[i]
			}
		}
		for i := range ls {
			if info == nil && strings.EqualFold(ls[i].Name, layer) {
				info = &ls[i]
			}
		}
		if info == nil {
			return nil, bad(ErrNoLayer, "没有名为 %q 的要素图层；文件中的图层有：%s", layer, strings.Join(names, "、"))
		}
	}
	return f.open(*info)
}

// open starts the cursor over a layer. The table and column names come
// from the file's own gpkg_contents and table_info, never from the
// caller, and are quoted.
func (f *File) open(info LayerInfo) (*Reader, error) {
	r := &Reader{f: f, layer: info.Name}
	rows, err := f.db.Query(`SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, info.Name)
	if err != nil {
		return nil, dbError(err, f.name, info.Name, "读取图层字段")
	}
	var fid string
	var pks int
	var cols, types []string
	for rows.Next() {
		var name, typ string
		var pk int
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			rows.Close()
			return nil, dbError(err, f.name, info.Name, "读取图层字段")
		}
		if pk > 0 {
			pks++
			if strings.EqualFold(typ, "INTEGER") {
				fid = name
			}
		}
		cols, types = append(cols, name), append(types, typ)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, dbError(err, f.name, info.Name, "读取图层字段")
	}
	if len(cols) == 0 {
		fe := fault(ErrCorrupt, "gpkg_contents 列出的表不存在")
		fe.File, fe.Layer = f.name, info.Name
		return nil, fe
	}
	if pks != 1 {
		fid = "" // no single integer key (a view, say): number the rows instead
	}
	sel := []string{"NULL", "NULL"}
	if fid != "" {
		sel[0], r.hasFID = quote(fid), true
	}
	for i, c := range cols {
		switch {
		case c == fid:
		case info.GeomColumn != "" && strings.EqualFold(c, info.GeomColumn) && !r.hasGeom:
			sel[1], r.hasGeom, r.geomCol = "CASE WHEN length("+quote(c)+") <= ? THEN "+quote(c)+" END", true, c
		default:
			sel = append(sel, quote(c))
			r.fields = append(r.fields, c)
			r.kinds = append(r.kinds, kindOf(types[i]))
		}
	}
	if info.GeomColumn != "" && !r.hasGeom {
		fe := fault(ErrCorrupt, "gpkg_geometry_columns 登记的几何列 %s 在表中不存在", info.GeomColumn)
		fe.File, fe.Layer = f.name, info.Name
		return nil, fe
	}
	var args []any
	if r.hasGeom {
		sel = append(sel, "length("+quote(r.geomCol)+")")
		args = append(args, maxGeometryBytes)
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quote(info.Name)
	if fid != "" {
		q += " ORDER BY " + quote(fid) // the rowid order, so free
	}
	if r.rows, err = f.db.Query(q, args...); err != nil {
		return nil, dbError(err, f.name, info.Name, "读取图层")
	}
	r.vals = make([]any, len(sel))
	r.ptrs = make([]any, len(sel))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	r.ptrs[1] = &r.geom
	if r.hasGeom {
		r.ptrs[len(sel)-1] = &r.geomLen
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readers == nil { // the File was closed meanwhile
		r.rows.Close()
		return nil, &FormatError{File: f.name, Layer: info.Name, Index: -1, Reason: "文件已关闭", Err: sql.ErrConnDone}
	}
	f.readers[r] = true
	return r, nil
}

// kindOf maps a declared column type to how its values are converted.
func kindOf(decl string) kind {
	t := strings.ToUpper(strings.TrimSpace(decl))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "BOOLEAN", "BOOL":
		return kindBool
	case "DATE", "DATETIME", "TIMESTAMP":
		return kindTime
	}
	return kindAny
}

// Fields returns the attribute column names in table order, without the
// fid and geometry columns.
func (r *Reader) Fields() []string { return append([]string(nil), r.fields...) }

// Next advances to the next feature and reports whether there is one. It
// returns false at the end of the layer or on the first error; see Err.
func (r *Reader) Next() bool {
	if r.done || r.err != nil {
		return false
	}
	r.known = false
	if !r.rows.Next() {
		r.done = true
		if err := r.rows.Err(); err != nil {
			r.err = r.at(dbError(err, r.f.name, r.layer, "读取要素"))
		}
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = r.at(dbError(err, r.f.name, r.layer, "读取要素"))
		return false
	}
	rec := Record{Index: r.index, FID: int64(r.index) + 1, Attrs: make(map[string]any, len(r.fields))}
	if r.hasFID {
		fid, ok := r.vals[0].(int64)
		if !ok {
			r.err = r.at(fault(ErrCorrupt, "主键不是整数（%T）", r.vals[0]))
			return false
		}
		rec.FID = fid
	}
	r.fid, r.known = rec.FID, true
	if r.hasGeom && r.geomLen.Int64 > int64(maxGeometryBytes) {
		fe := r.at(geometryTooLarge(r.geomLen.Int64))
		fe.Field = r.geomCol
		r.err = fe
		return false
	}
	if r.hasGeom && r.geom != nil {
		g, dims, err := decodeGeometry(r.geom)
		if err != nil {
			fe := r.at(err)
			fe.Field = r.geomCol
			r.err = fe
			return false
		}
		rec.Geometry = g
		r.dims |= dims
	}
	for i, name := range r.fields {
		v, err := convert(r.kinds[i], r.vals[2+i])
		if err != nil {
			fe := r.at(err)
			fe.Field = name
			r.err = fe
			return false
		}
		rec.Attrs[name] = v
	}
	r.rec = rec
	r.last = rec.FID
	r.index++
	return true
}

// at places err at the current layer and feature.
func (r *Reader) at(err error) *FormatError {
	var fe *FormatError
	if !errors.As(err, &fe) {
		fe = &FormatError{Reason: "读取失败：" + err.Error(), Err: err}
	}
	fe.File, fe.Layer = r.f.name, r.layer
	switch {
	case r.known:
		fe.Index, fe.FID = r.index, r.fid
	case r.index > 0: // failed before this feature's fid was known
		fe.Index = -1
		fe.Reason = fmt.Sprintf("读完第 %d 个要素（FID %d）之后%s", r.index, r.last, fe.Reason)
	default:
		fe.Index = -1
	}
	return fe
}

// convert turns a scanned value into a Record attribute.
func convert(k kind, v any) (any, error) {
	switch k {
	case kindBool:
		switch b := v.(type) {
		case int64:
			return b != 0, nil
		case float64:
			return b != 0, nil
		}
	case kindTime:
		// modernc.org/sqlite already parses DATE and DATETIME text in the
		// ISO 8601 forms GeoPackage uses; what reaches here as a string
		// did not parse.
		if s, ok := v.(string); ok {
			s = strings.TrimSpace(s)
			if s == "" {
				return nil, nil
			}
			for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
				if t, err := time.Parse(layout, s); err == nil {
					return t, nil
				}
			}
			return nil, fault(ErrValue, "的值 %s 不是日期或时间", value.Quote(s))
		}
	}
	return v, nil
}

// Dims reports the ordinates beyond x and y that the geometries read so
// far carried, which the Reader drops (gapmap stores 2D): a Z or M in a
// WKB type code (ISO 1001–3007, or EWKB's flags) or in a geometry's
// envelope (xyz, xym, xyzm). Empty and NULL geometries carry none. Ask
// after Next has returned false to cover the whole layer.
func (r *Reader) Dims() geo.Dims { return r.dims }

// Record returns the feature Next moved to.
func (r *Reader) Record() Record { return r.rec }

// Err returns the error that stopped Next, or nil at the end of the layer.
// Faults in the data are [*FormatError] values naming the feature.
func (r *Reader) Err() error { return r.err }

// Close ends the cursor. It is safe to call more than once.
func (r *Reader) Close() error {
	r.f.mu.Lock()
	delete(r.f.readers, r)
	r.f.mu.Unlock()
	r.done = true
	return r.rows.Close()
}
