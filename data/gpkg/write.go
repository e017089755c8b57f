package gpkg

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/internal/value"
)

// GeoPackage identity written into the SQLite header (spec 1.1.1.1.1).
const (
	applicationID = 0x47504B47 // "GPKG"
	userVersion   = 10300      // GeoPackage 1.3.0
)

// Names the Writer gives every layer's key and geometry columns, as GDAL
// does.
const (
	fidColumn  = "fid"
	geomColumn = "geom"
)

// cacheKiB is the SQLite page cache of a Writer, in KiB (32 MiB; the
// envelopes waiting for the R-tree get a quarter of that). It lives in
// SQLite's own allocator, outside the Go heap. Features are appended in
// fid order, so a bigger cache buys nothing: measured on 1M lines, 128 MiB
// cost 60% more CPU than 32 MiB, most of it in modernc's allocator
// mapping and unmapping pages, and 2 MiB cost 20% more.
const cacheKiB = 32 << 10

var (
	//go:embed schema.sql
	schemaSQL string
	//go:embed extensions.sql
	extensionsSQL string
	//go:embed rtree.sql
	rtreeSQL string
)

// extensionSQL returns the block of extensions.sql that creates the tables
// of extension name ("metadata" or "schema") and registers them.
func extensionSQL(name string) string {
	const marker = "-- extension: "
	for _, block := range strings.Split(extensionsSQL, marker)[1:] {
		if strings.HasPrefix(block, name+" ") {
			return marker + block
		}
	}
	return "" // unreachable: the names are constants of this package
}

// geometryTypes are the geometry_type_name values CreateLayer accepts.
var geometryTypes = map[string]bool{
	"POINT": true, "LINESTRING": true, "POLYGON": true,
	"MULTIPOINT": true, "MULTILINESTRING": true, "MULTIPOLYGON": true,
	"GEOMETRYCOLLECTION": true, "GEOMETRY": true,
}

// columnTypes are the attribute types CreateLayer accepts (spec table 1,
// without the sized variants).
var columnTypes = map[string]bool{
	"TEXT": true, "INTEGER": true, "REAL": true, "BOOLEAN": true,
	"DATE": true, "DATETIME": true, "BLOB": true,
}

// Column is one attribute column of a layer being written.
type Column struct {
	Name        string // column name as users see it in QGIS, e.g. "村名"; not "fid" or "geom" in any case
	Type        string // TEXT, INTEGER, REAL, BOOLEAN, DATE, DATETIME or BLOB (case-insensitive)
	Description string // written to gpkg_data_columns, which GDAL shows as the field comment; "" for none
}

// SRS is one row of gpkg_spatial_ref_sys.
type SRS struct {
	ID           int    // srs_id the layers refer to, by convention the EPSG code
	Name         string // srs_name, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 114E"
	Organization string // e.g. "EPSG", or "NONE" for the undefined systems
	OrgID        int    // the organization's code for it, e.g. 4546
	Definition   string // OGC WKT 1 (the form GDAL writes), or "undefined"
	Description  string // optional
}

// Built-in spatial reference systems: every file gets the two rows the
// spec requires (-1 and 0) and the two this service stores in.
const (
	SRSUndefinedCartesian  = -1   // undefined Cartesian coordinates
	SRSUndefinedGeographic = 0    // undefined geographic coordinates
	SRSWGS84               = 4326 // WGS 84 longitude/latitude, degrees
	SRSCGCS2000            = 4490 // China Geodetic Coordinate System 2000 longitude/latitude, degrees
)

// builtinSRS holds the rows Create writes; the WKT is what GDAL 3.6 writes
// for these codes.
var builtinSRS = []SRS{
	{ID: SRSUndefinedCartesian, Name: "Undefined Cartesian SRS", Organization: "NONE", OrgID: -1, Definition: "undefined",
		Description: "undefined Cartesian coordinate reference system"},
	{ID: SRSUndefinedGeographic, Name: "Undefined geographic SRS", Organization: "NONE", OrgID: 0, Definition: "undefined",
		Description: "undefined geographic coordinate reference system"},
	{ID: SRSWGS84, Name: "WGS 84 geodetic", Organization: "EPSG", OrgID: 4326,
		Definition: `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],` +
			`PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],` +
			`AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`,
		Description: "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
	{ID: SRSCGCS2000, Name: "China Geodetic Coordinate System 2000", Organization: "EPSG", OrgID: 4490,
		Definition: `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],` +
			`PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],` +
			`AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]`,
		Description: "longitude/latitude coordinates in decimal degrees on the CGCS2000 spheroid"},
}

// writer states.
const (
	stateOpen = iota
	stateClosed
	stateAborted
)

// Writer builds a new GeoPackage. All writes go into one SQLite
// transaction that [Writer.Close] commits; until then the file is not a
// usable GeoPackage. A Writer is not safe for concurrent use.
//
// The usual shape of an export is:
//
//	w, err := gpkg.Create(path)
//	if err != nil { return err }
//	defer w.Abort() // deletes the file unless Close succeeded
//	lw, err := w.CreateLayer(...)
//	... lw.Insert(...) for each feature ...
//	return w.Close()
type Writer struct {
	path   string // as given to Create
	file   string // base name, for messages
	db     *sql.DB
	conn   *sql.Conn
	tx     *sql.Tx
	srs    map[int]bool
	layers []*LayerWriter
	byName map[string]*LayerWriter // by lower-case table name: SQLite names are case-insensitive
	ids    map[string]bool         // gpkg_contents identifiers in use
	ext    map[string]bool         // extension blocks already created
	state  int
	err    error // the first SQLite failure; Close will not commit after one
}

// LayerWriter appends features to one layer of a [Writer]. It reuses its
// statement arguments and geometry buffer, so inserting allocates little
// and nothing is kept per feature.
type LayerWriter struct {
	w        *Writer
	name     string
	geomType string
	srsID    int32
	cols     []Column
	ins      *sql.Stmt // INSERT INTO the layer
	args     []any
	enc      encoder
	n        int64 // features inserted; the next fid is n+1

	// envelopes waiting for the R-tree, which Close builds (see rtree.go)
	boxTable string
	boxStmt  *sql.Stmt
	boxes    int    // cells waiting in boxBuf
	boxBuf   []byte // boxBatch cells
	boxArgs  []any

	extent                 bool // some non-empty geometry has been inserted
	minX, minY, maxX, maxY float64
}

// Create creates a new GeoPackage at path, which must not exist yet, with
// application_id "GPKG" and user_version 10300, the core tables and the
// built-in SRS rows ([SRSUndefinedCartesian], [SRSUndefinedGeographic],
// [SRSWGS84], [SRSCGCS2000]).
//
// The file is tuned for one bulk load: no rollback journal, no fsync and
// an exclusive lock. A crash or a failed export leaves a broken file,
// which [Writer.Abort] deletes. Until Close, the envelopes for the R-trees
// wait in SQLite's temp database (a file in the system temp directory of
// about 60 bytes per feature), not in Go memory.
func Create(path string) (*Writer, error) {
	w := &Writer{
		path: path, file: baseName(path),
		srs: map[int]bool{}, byName: map[string]*LayerWriter{}, ids: map[string]bool{}, ext: map[string]bool{},
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, &FormatError{File: w.file, Index: -1, Reason: "文件已存在，不会覆盖", Err: err}
		}
		return nil, &FormatError{File: w.file, Index: -1, Reason: "无法创建文件：" + err.Error(), Err: err}
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, &FormatError{File: w.file, Index: -1, Reason: "无法创建文件：" + err.Error(), Err: err}
	}
	if err := w.start(); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// start opens the new file, sets it up for bulk loading and writes the
// core tables.
func (w *Writer) start() error {
	ctx := context.Background()
	var err error
	if w.db, err = sql.Open("sqlite", dsn(w.path, "rw")); err != nil {
		return w.fail(err, "", "打开文件")
	}
	w.db.SetMaxOpenConns(1)
	if w.conn, err = w.db.Conn(ctx); err != nil {
		return w.fail(err, "", "打开文件")
	}
	pragmas := []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", userVersion),
		"PRAGMA journal_mode = OFF", // a failed export is deleted, never rolled back
		"PRAGMA synchronous = OFF",
		fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB),
		fmt.Sprintf("PRAGMA temp.cache_size = -%d", cacheKiB/4), // the envelopes waiting for the R-tree
		"PRAGMA locking_mode = EXCLUSIVE",
	}
	for _, p := range pragmas {
		if _, err := w.conn.ExecContext(ctx, p); err != nil {
			return w.fail(err, "", "设置文件参数")
		}
	}
	if w.tx, err = w.conn.BeginTx(ctx, nil); err != nil {
		return w.fail(err, "", "开始写入")
	}
	if _, err := w.tx.Exec(schemaSQL); err != nil {
		return w.fail(err, "", "创建 GeoPackage 系统表")
	}
	for _, s := range builtinSRS {
		if err := w.AddSRS(s); err != nil {
			return err
		}
	}
	return nil
}

// fail records a SQLite failure, after which Close refuses to commit, and
// returns it as a FormatError for layer.
func (w *Writer) fail(err error, layer, doing string) error {
	if w.err == nil {
		w.err = err
	}
	return dbError(err, w.file, layer, doing)
}

// invalid builds the error for a request the Writer cannot carry out.
func (w *Writer) invalid(layer string, format string, args ...any) *FormatError {
	fe := fault(ErrInvalid, format, args...)
	fe.File, fe.Layer = w.file, layer
	return fe
}

// usable returns an error when w can no longer be written to.
func (w *Writer) usable() error {
	switch {
	case w.state == stateClosed:
		return w.invalid("", "文件已经写完关闭，不能再写入")
	case w.state == stateAborted:
		return w.invalid("", "写入已放弃，文件已删除")
	case w.err != nil:
		return &FormatError{File: w.file, Index: -1, Reason: "之前的写入失败，文件不完整：" + w.err.Error(), Err: w.err}
	}
	return nil
}

// AddSRS adds a spatial reference system for layers to refer to by s.ID.
// It is idempotent per ID: when the ID is already present (the built-in
// ones always are) the call does nothing and the first definition stays.
func (w *Writer) AddSRS(s SRS) error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.srs[s.ID] {
		return nil
	}
	switch {
	case strings.TrimSpace(s.Name) == "":
		return w.invalid("", "空间参考 %d 没有名称", s.ID)
	case strings.TrimSpace(s.Organization) == "":
		return w.invalid("", "空间参考 %d 没有注明机构（如 EPSG）", s.ID)
	case strings.TrimSpace(s.Definition) == "":
		return w.invalid("", "空间参考 %d 没有 WKT 定义（未知时写 undefined）", s.ID)
	case !utf8.ValidString(s.Name + s.Organization + s.Definition + s.Description):
		return w.invalid("", "空间参考 %d 的文字不是有效的 UTF-8", s.ID)
	}
	var desc any
	if s.Description != "" {
		desc = s.Description
	}
	_, err := w.tx.Exec(`INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
		VALUES (?, ?, ?, ?, ?, ?)`, s.Name, s.ID, s.Organization, s.OrgID, s.Definition, desc)
	if err != nil {
		return w.fail(err, "", fmt.Sprintf("写入空间参考 %d ", s.ID))
	}
	w.srs[s.ID] = true
	return nil
}

// checkName rejects a table or column name SQLite or the spec would not
// take, describing it as what (表名, 字段名).
func (w *Writer) checkName(layer, what, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return w.invalid(layer, "%s不能为空", what)
	case !utf8.ValidString(name):
		return w.invalid(layer, "%s %q 不是有效的 UTF-8", what, name)
	case strings.ContainsRune(name, 0):
		return w.invalid(layer, "%s %q 含有 NUL 字符", what, name)
	}
	return nil
}

// CreateLayer adds a feature layer: a table name with an INTEGER PRIMARY
// KEY "fid", a geometry column "geom" of geomType in SRS srsID, and cols
// in order; its gpkg_contents and gpkg_geometry_columns rows; and its
// R-tree, which the returned LayerWriter fills as it inserts.
//
// identifier is the human-readable layer title (gpkg_contents.identifier,
// shown by QGIS; "" means name), description is free text. geomType is
// POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON,
// GEOMETRYCOLLECTION or GEOMETRY (case-insensitive). srsID must be built in
// or added with [Writer.AddSRS] first. Layers may be created at any time
// before Close and written in any interleaving.
//
// Errors are [*FormatError] values wrapping [ErrInvalid] for a bad name,
// type, SRS or column list, or describing the SQLite failure.
func (w *Writer) CreateLayer(name, identifier, description, geomType string, srsID int, cols []Column) (*LayerWriter, error) {
	if err := w.usable(); err != nil {
		return nil, err
	}
	if err := w.checkName(name, "图层表名", name); err != nil {
		return nil, err
	}
	lower := strings.ToLower(name)
	for _, p := range []string{"gpkg_", "rtree_", "sqlite_"} {
		if strings.HasPrefix(lower, p) {
			return nil, w.invalid(name, "图层表名不能以 %s 开头（GeoPackage 和 SQLite 保留）", p)
		}
	}
	if w.byName[lower] != nil {
		return nil, w.invalid(name, "图层已存在（表名不区分大小写）")
	}
	if identifier == "" {
		identifier = name
	}
	if !utf8.ValidString(identifier) || !utf8.ValidString(description) {
		return nil, w.invalid(name, "图层标题或说明不是有效的 UTF-8")
	}
	if w.ids[identifier] {
		return nil, w.invalid(name, "图层标题 %q 已被另一个图层使用", identifier)
	}
	gt := strings.ToUpper(geomType)
	if !geometryTypes[gt] {
		return nil, w.invalid(name, "几何类型 %q 不受支持", geomType)
	}
	if !w.srs[srsID] {
		return nil, w.invalid(name, "空间参考 %d 未定义，请先调用 AddSRS", srsID)
	}
	lw := &LayerWriter{w: w, name: name, geomType: gt, srsID: int32(srsID), cols: make([]Column, len(cols))}
	seen := map[string]bool{fidColumn: true, geomColumn: true}
	var ddl, ins strings.Builder
	fmt.Fprintf(&ddl, "CREATE TABLE %s (%s INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, %s %s",
		quote(name), quote(fidColumn), quote(geomColumn), gt)
	fmt.Fprintf(&ins, "INSERT INTO %s (%s, %s", quote(name), quote(fidColumn), quote(geomColumn))
	described := false
	for i, c := range cols {
		if err := w.checkName(name, "字段名", c.Name); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(c.Name)] {
			return nil, w.invalid(name, "字段名 %s 重复，或与 fid、geom 冲突（不区分大小写）", c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		c.Type = strings.ToUpper(c.Type)
		if !columnTypes[c.Type] {
			return nil, w.invalid(name, "字段 %s 的类型 %q 不受支持（可用 TEXT、INTEGER、REAL、BOOLEAN、DATE、DATETIME、BLOB）", c.Name, c.Type)
		}
		if !utf8.ValidString(c.Description) {
			return nil, w.invalid(name, "字段 %s 的说明不是有效的 UTF-8", c.Name)
		}
		described = described || c.Description != ""
		lw.cols[i] = c
		fmt.Fprintf(&ddl, ", %s %s", quote(c.Name), c.Type)
		fmt.Fprintf(&ins, ", %s", quote(c.Name))
	}
	ddl.WriteString(")")
	ins.WriteString(") VALUES (?, ?" + strings.Repeat(", ?", len(cols)) + ")")

	now := timestamp(time.Now())
	stmts := []struct {
		sql  string
		args []any
	}{
		{ddl.String(), nil},
		{`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
			VALUES (?, 'features', ?, ?, ?, ?)`, []any{name, identifier, description, now, srsID}},
		{`INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
			VALUES (?, ?, ?, ?, 0, 0)`, []any{name, geomColumn, gt, srsID}},
		{fmt.Sprintf("CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)", quote(rtreeName(name))), nil},
	}
	for _, s := range stmts {
		if _, err := w.tx.Exec(s.sql, s.args...); err != nil {
			return nil, w.fail(err, name, "创建图层")
		}
	}
	if described {
		if err := w.extension("schema"); err != nil {
			return nil, err
		}
		for _, c := range lw.cols {
			if c.Description == "" {
				continue
			}
			if _, err := w.tx.Exec(`INSERT INTO gpkg_data_columns (table_name, column_name, name, description) VALUES (?, ?, ?, ?)`,
				name, c.Name, c.Name, c.Description); err != nil {
				return nil, w.fail(err, name, "写入字段说明")
			}
		}
	}
	var err error
	if lw.ins, err = w.tx.Prepare(ins.String()); err != nil {
		return nil, w.fail(err, name, "准备写入语句")
	}
	if err := lw.createBoxes(len(w.layers)); err != nil {
		return nil, w.fail(err, name, "准备空间索引")
	}
	lw.args = make([]any, 2+len(cols))
	w.layers = append(w.layers, lw)
	w.byName[lower] = lw
	w.ids[identifier] = true
	return lw, nil
}

// extension creates the tables of an optional extension once.
func (w *Writer) extension(name string) error {
	if w.ext[name] {
		return nil
	}
	if _, err := w.tx.Exec(extensionSQL(name)); err != nil {
		return w.fail(err, "", "创建扩展表")
	}
	w.ext[name] = true
	return nil
}

// Insert appends one feature with the next fid (1, 2, 3, …). g may be nil
// for a NULL geometry; it must suit the layer's geometry type, except that
// a single Point, LineString or Polygon is promoted into a MULTI* layer,
// and an orb.Ring or orb.Bound is written as a Polygon. Coordinates must
// be finite and in the layer's SRS; they are written 2D.
//
// values are in column order, one per column: nil (or a nil
// [driver.Valuer] value such as sql.NullString{}) is NULL; TEXT takes a
// UTF-8 string; INTEGER any Go integer; REAL any float or integer (NaN is
// stored as NULL, as SQLite does); BOOLEAN a bool; DATE a time.Time (its
// calendar date in its own location) or a "2006-01-02" string; DATETIME
// a time.Time, stored in UTC to the millisecond as the spec requires; BLOB
// a []byte. Values implementing [driver.Valuer] are converted first.
//
// A [*FormatError] wrapping [ErrInvalid] names the feature and field of a
// value or geometry that does not fit; the feature is then not written and
// the layer stays usable. Any other error means the file is unusable.
func (lw *LayerWriter) Insert(g orb.Geometry, values []any) error {
	w := lw.w
	if err := w.usable(); err != nil {
		return err
	}
	fid := lw.n + 1
	bad := func(field, format string, args ...any) error {
		fe := w.invalid(lw.name, format, args...)
		fe.Index, fe.FID, fe.Field = int(lw.n), fid, field
		return fe
	}
	if len(values) != len(lw.cols) {
		return bad("", "有 %d 个属性值，而图层有 %d 个字段", len(values), len(lw.cols))
	}
	g, err := lw.fit(g)
	if err != nil {
		return bad(geomColumn, "%s", err.Error())
	}
	lw.args[0] = fid
	lw.args[1] = nil
	empty := true
	if g != nil {
		var blob []byte
		blob, empty = lw.enc.encode(g, lw.srsID)
		if !lw.enc.finite {
			return bad(geomColumn, "坐标含有 NaN 或无穷大")
		}
		lw.args[1] = blob
	}
	for i, c := range lw.cols {
		v, err := columnValue(c.Type, values[i])
		if err != nil {
			return bad(c.Name, "%s", err.Error())
		}
		lw.args[2+i] = v
	}
	if _, err := lw.ins.Exec(lw.args...); err != nil {
		return w.fail(err, lw.name, fmt.Sprintf("写入第 %d 个要素", fid))
	}
	if !empty {
		e := &lw.enc
		if err := lw.addBox(fid, e); err != nil {
			return w.fail(err, lw.name, fmt.Sprintf("写入第 %d 个要素的空间索引", fid))
		}
		if !lw.extent {
			lw.minX, lw.minY, lw.maxX, lw.maxY, lw.extent = e.minX, e.minY, e.maxX, e.maxY, true
		} else {
			lw.minX, lw.minY = min(lw.minX, e.minX), min(lw.minY, e.minY)
			lw.maxX, lw.maxY = max(lw.maxX, e.maxX), max(lw.maxY, e.maxY)
		}
	}
	lw.n++
	return nil
}

// fit checks g against the layer's geometry type, promoting single parts
// into MULTI* layers. The error text is Chinese and goes into a
// FormatError's Reason.
func (lw *LayerWriter) fit(g orb.Geometry) (orb.Geometry, error) {
	switch t := g.(type) {
	case nil:
		return nil, nil
	case orb.Ring:
		g = orb.Polygon{t}
	case orb.Bound:
		g = t.ToPolygon()
	}
	if err := supported(g, 0); err != nil {
		return nil, err
	}
	ok := false
	switch t := g.(type) {
	case orb.Point:
		ok = lw.geomType == "POINT"
		if lw.geomType == "MULTIPOINT" {
			g, ok = orb.MultiPoint{t}, true
		}
	case orb.LineString:
		ok = lw.geomType == "LINESTRING"
		if lw.geomType == "MULTILINESTRING" {
			g, ok = orb.MultiLineString{t}, true
		}
	case orb.Polygon:
		ok = lw.geomType == "POLYGON"
		if lw.geomType == "MULTIPOLYGON" {
			g, ok = orb.MultiPolygon{t}, true
		}
	case orb.MultiPoint:
		ok = lw.geomType == "MULTIPOINT"
	case orb.MultiLineString:
		ok = lw.geomType == "MULTILINESTRING"
	case orb.MultiPolygon:
		ok = lw.geomType == "MULTIPOLYGON"
	case orb.Collection:
		ok = lw.geomType == "GEOMETRYCOLLECTION"
	}
	if !ok && lw.geomType != "GEOMETRY" {
		return nil, fmt.Errorf("几何类型 %s 与图层的几何类型 %s 不符", g.GeoJSONType(), lw.geomType)
	}
	return g, nil
}

// supported rejects geometry values the encoder cannot write: types from
// outside orb and nil members of a collection.
func supported(g orb.Geometry, depth int) error {
	switch t := g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon, orb.Ring, orb.Bound:
		return nil
	case orb.Collection:
		if depth >= maxDepth {
			return fmt.Errorf("几何集合嵌套超过 %d 层", maxDepth)
		}
		for _, m := range t {
			if m == nil {
				return errors.New("几何集合中有空（nil）成员")
			}
			if err := supported(m, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("不支持的几何类型 %T", g)
}

// columnValue converts v for a column of type typ (upper case) into what
// the driver stores. The error text is Chinese and goes into a FormatError's
// Reason.
func columnValue(typ string, v any) (any, error) {
	if vr, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = vr.Value(); err != nil {
			return nil, fmt.Errorf("取值失败：%w", err)
		}
	}
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "TEXT":
		if s, ok := v.(string); ok {
			if !utf8.ValidString(s) {
				return nil, errors.New("文字不是有效的 UTF-8")
			}
			return s, nil
		}
	case "INTEGER":
		if i, ok := value.Int(v); ok {
			return i, nil
		}
		if isInteger(v) {
			return nil, fmt.Errorf("整数 %v 超出 64 位范围", v)
		}
	case "REAL":
		switch f := v.(type) {
		case float64:
			if math.IsNaN(f) {
				return nil, nil
			}
			return f, nil
		case float32:
			if math.IsNaN(float64(f)) {
				return nil, nil
			}
			return float64(f), nil
		}
		if i, ok := value.Int(v); ok {
			return float64(i), nil
		}
	case "BOOLEAN":
		if b, ok := v.(bool); ok {
			if b {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case "DATE":
		switch t := v.(type) {
		case time.Time:
			return t.Format(time.DateOnly), nil
		case string:
			if _, err := time.Parse(time.DateOnly, t); err != nil {
				return nil, fmt.Errorf("日期 %q 不是 YYYY-MM-DD 格式", t)
			}
			return t, nil
		}
	case "DATETIME":
		if t, ok := v.(time.Time); ok {
			return timestamp(t), nil
		}
	case "BLOB":
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%T 类型的值不能写入 %s 字段", v, typ)
}

// isInteger reports whether v is of a Go integer type.
func isInteger(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// timestamp formats t as GeoPackage DATETIME: ISO 8601 in UTC to the
// millisecond, as strftime('%Y-%m-%dT%H:%M:%fZ') writes it.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// AddMetadata stores text (an ISO 19139 XML document, or plain text) of
// the given MIME type in gpkg_metadata, referenced from the layer named
// layer, or from the whole GeoPackage when layer is "". mimeType ""
// means "text/xml", the spec's default. The metadata extension's tables
// and gpkg_extensions rows are created on first use. GDAL shows the text
// as GPKG_METADATA_ITEM_n of the dataset or the layer.
func (w *Writer) AddMetadata(layer string, mimeType string, text string) error {
	if err := w.usable(); err != nil {
		return err
	}
	scope, table := "geopackage", any(nil)
	if layer != "" {
		lw := w.byName[strings.ToLower(layer)]
		if lw == nil {
			return w.invalid(layer, "图层不存在，无法写入元数据")
		}
		scope, table = "table", lw.name
	}
	if mimeType == "" {
		mimeType = "text/xml"
	}
	if !utf8.ValidString(text) || !utf8.ValidString(mimeType) {
		return w.invalid(layer, "元数据不是有效的 UTF-8 文字")
	}
	standard := "undefined"
	if mimeType == "text/xml" {
		standard = "http://schemas.opengis.net/iso/19139/"
	}
	if err := w.extension("metadata"); err != nil {
		return err
	}
	res, err := w.tx.Exec(`INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, ?, ?)`,
		standard, mimeType, text)
	if err != nil {
		return w.fail(err, layer, "写入元数据")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return w.fail(err, layer, "写入元数据")
	}
	if _, err := w.tx.Exec(`INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, timestamp, md_file_id, md_parent_id)
		VALUES (?, ?, NULL, NULL, ?, ?, NULL)`, scope, table, timestamp(time.Now()), id); err != nil {
		return w.fail(err, layer, "写入元数据")
	}
	return nil
}

// Close finishes the file: it builds each layer's R-tree, records its
// extent and last_change in gpkg_contents, creates the R-tree triggers and
// registers the
// gpkg_rtree_index extension, commits and closes. After an earlier SQLite
// failure it commits nothing and returns that failure; call
// [Writer.Abort] to delete the file. Closing a closed Writer does
// nothing.
func (w *Writer) Close() error {
	switch w.state {
	case stateClosed:
		return nil
	case stateAborted:
		return w.invalid("", "写入已放弃，文件已删除")
	}
	if w.err != nil {
		return w.usable()
	}
	now := timestamp(time.Now())
	for _, lw := range w.layers {
		lw.ins.Close()
		if err := lw.buildRTree(); err != nil {
			return w.fail(err, lw.name, "建立空间索引")
		}
		var ext [4]any // NULL extent for a layer without geometries
		if lw.extent {
			ext = [4]any{lw.minX, lw.minY, lw.maxX, lw.maxY}
		}
		if _, err := w.tx.Exec(`UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, last_change = ? WHERE table_name = ?`,
			ext[0], ext[1], ext[2], ext[3], now, lw.name); err != nil {
			return w.fail(err, lw.name, "写入图层范围")
		}
		r := strings.NewReplacer(
			"<t>", quoteInner(lw.name), "<c>", quoteInner(geomColumn),
			"<i>", quoteInner(fidColumn), "<r>", quoteInner(rtreeName(lw.name)))
		if _, err := w.tx.Exec(r.Replace(rtreeSQL)); err != nil {
			return w.fail(err, lw.name, "创建空间索引触发器")
		}
		if _, err := w.tx.Exec(`INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
			VALUES (?, ?, 'gpkg_rtree_index', 'http://www.geopackage.org/spec/#extension_rtree', 'write-only')`,
			lw.name, geomColumn); err != nil {
			return w.fail(err, lw.name, "登记空间索引扩展")
		}
	}
	if err := w.tx.Commit(); err != nil {
		return w.fail(err, "", "提交写入")
	}
	w.tx = nil
	if err := w.release(); err != nil {
		return w.fail(err, "", "关闭文件")
	}
	w.state = stateClosed
	return nil
}

// release closes the connection and the pool, returning the first error.
func (w *Writer) release() error {
	var errs []error
	if w.tx != nil {
		// With journal_mode=OFF a rollback cannot undo anything; it only
		// ends the transaction so the connection can close.
		w.tx.Rollback()
		w.tx = nil
	}
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
		w.conn = nil
	}
	if w.db != nil {
		errs = append(errs, w.db.Close())
		w.db = nil
	}
	return errors.Join(errs...)
}

// Abort closes the Writer and deletes the partial file. After a successful
// Close it does nothing, so `defer w.Abort()` is safe on every path.
func (w *Writer) Abort() error {
	if w.state != stateOpen {
		return nil
	}
	w.state = stateAborted
	for _, lw := range w.layers {
		lw.ins.Close()
		lw.boxStmt.Close()
	}
	err := w.release()
	for _, p := range []string{w.path + "-journal", w.path + "-wal", w.path + "-shm"} {
		os.Remove(p) // normally absent: the journal is off
	}
	if rmErr := os.Remove(w.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return &FormatError{File: w.file, Index: -1, Reason: "删除未完成的文件失败：" + err.Error(), Err: err}
	}
	return nil
}

// rtreeName is the name of a layer's R-tree table, fixed by the spec.
func rtreeName(table string) string { return "rtree_" + table + "_" + geomColumn }

// quote returns name as an SQL identifier in double quotes.
func quote(name string) string { return `"` + quoteInner(name) + `"` }

// quoteInner doubles the double quotes in name, for use between quotes.
func quoteInner(name string) string { return strings.ReplaceAll(name, `"`, `""`) }
