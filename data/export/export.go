package export

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/internal/value"
)

// FieldType is the type of an attribute column. The zero value is String.
type FieldType int

// Field types and the Go values [Writer.Write] accepts for them (nil is
// NULL in every type).
const (
	String   FieldType = iota // string
	Int                       // int64 (any Go integer type is accepted)
	Float                     // float64 (float32 and integers are accepted); NaN and ±Inf are written as NULL
	Bool                      // bool
	Date                      // time.Time; the calendar date in the value's own location
	DateTime                  // time.Time; the wall clock in the value's own location (convert to Asia/Shanghai first)
)

var fieldTypeNames = [...]string{"String", "Int", "Float", "Bool", "Date", "DateTime"}

// String returns the type's Go-style name, e.g. "Int".
func (t FieldType) String() string {
	if t >= 0 && int(t) < len(fieldTypeNames) {
		return fieldTypeNames[t]
	}
	return fmt.Sprintf("FieldType(%d)", int(t))
}

// chinese returns the type's name for README files and sheets.
func (t FieldType) chinese() string {
	switch t {
	case String:
		return "文本"
	case Int:
		return "整数"
	case Float:
		return "小数"
	case Bool:
		return "是否"
	case Date:
		return "日期"
	case DateTime:
		return "日期时间"
	}
	return t.String()
}

// Field is one attribute column of a [Layer].
type Field struct {
	Name  string    // schema name, e.g. "poor_population"; unique within the layer
	Title string    // Chinese label, e.g. "贫困人口"; Name when empty
	Type  FieldType // what Write's values hold
}

func (f Field) label() string {
	if f.Title != "" {
		return f.Title
	}
	return f.Name
}

// Geometry types a [Layer] may declare.
const (
	GeomPoint           = "Point"
	GeomMultiPoint      = "MultiPoint"
	GeomLineString      = "LineString"
	GeomMultiLineString = "MultiLineString"
	GeomPolygon         = "Polygon"
	GeomMultiPolygon    = "MultiPolygon"
	GeomGeometry        = "Geometry" // mixed; also what "" means
)

// Layer describes one layer of an export. The writers do not transform
// coordinates: SRID, SRSName and PRJ describe the coordinates the caller
// passes to Write.
type Layer struct {
	Name        string // file and schema name, e.g. "roads"; letters, digits, '_', '-' and Chinese, unique within an export
	Title       string // Chinese display name, e.g. "道路"; Name when empty
	Description string // a sentence or two for KML and the README; may be ""

	// Geometry is the declared type: one of the Geom* constants. Rows may
	// still hold other types (a Polygon layer with a MultiPolygon row);
	// the Shapefile writer then splits the layer by geometry family.
	Geometry string

	SRID    int    // EPSG code of the coordinates, e.g. 4490 (CGCS2000) or 4326
	SRSName string // display name, e.g. "CGCS2000 经纬度（EPSG:4490）"
	PRJ     string // ESRI WKT (WKT1_ESRI) written as the Shapefile .prj; no .prj when empty

	Fields []Field
}

func (l *Layer) label() string {
	if l.Title != "" {
		return l.Title
	}
	return l.Name
}

// Meta describes the whole export. Writers that carry metadata (the
// Shapefile README.txt, the XLSX 说明 sheet) print it at Close; GeoJSON,
// CSV and KML have no place for it and ignore it.
type Meta struct {
	Layers      []string          // Layer.Name of every layer requested; one without rows is reported as such
	Filters     map[string]string // human-readable filter → value, e.g. "乡镇" → "羊楼司镇"; printed sorted by key
	DataVersion string            // e.g. "2024-06 普查"
	ExportedAt  time.Time         // shown to the minute in its own location
	Source      string            // e.g. "临湘市脱贫攻坚规划系统"
	Attribution string            // e.g. "© 临湘市乡村振兴局"
	// Synthetic names the generators whose geometry the data holds (sources
	// marked synthetic, e.g. "demo:430682"); empty for surveyed data.
	Synthetic []string
	CRS       string // display name of the output CRS, e.g. "CGCS2000 经纬度（EPSG:4490）"
	// Dropped says, one Chinese sentence per layer, which rows were written
	// without their geometry because their stored coordinates could not be
	// transformed; empty when none was.
	Dropped []string
}

// Writer writes the layers of one export to one output. Calls must follow
// the order BeginLayer, Write…, EndLayer, (BeginLayer…EndLayer)…, Close.
// A Writer is not safe for concurrent use.
//
// After any error the Writer is broken: later calls return the same
// error. Close must still be called, because it releases temporary files;
// after an error it writes nothing more and returns that error, and the
// output is incomplete.
type Writer interface {
	// BeginLayer starts a layer. It returns an *InvalidLayerError for a
	// bad layer (an empty or unsafe name, duplicate field names, an
	// unknown geometry type, a CRS the format cannot state),
	// ErrSingleLayer from single-layer formats on the second layer, and
	// ErrCallOrder when a layer is already open.
	BeginLayer(l Layer) error

	// Write writes one feature: g may be nil (no geometry), values are in
	// the order of Layer.Fields. It returns a *ValueError when a value
	// does not suit its field, a *LimitError when the feature would make
	// the output exceed a hard limit of the format, ErrCallOrder outside
	// a layer, or the output's write error.
	Write(g orb.Geometry, values []any) error

	// EndLayer finishes the current layer. It returns ErrCallOrder when
	// no layer is open, or the output's write error.
	EndLayer() error

	// Close finishes the output (closing tags, the zip's central
	// directory, README) without closing the underlying io.Writer. It
	// returns ErrCallOrder when a layer is still open.
	Close(meta Meta) error
}

// ErrCallOrder is returned when Writer methods are called out of order.
var ErrCallOrder = errors.New("export: writer methods called out of order")

// ErrSingleLayer is returned by BeginLayer of a format that holds one
// layer (GeoJSON, CSV) when a second layer begins.
var ErrSingleLayer = errors.New("export: format holds a single layer")

// ErrTooLarge matches every [*LimitError] with errors.Is.
var ErrTooLarge = errors.New("export: output exceeds a limit of the format")

// InvalidLayerError reports a Layer that BeginLayer cannot write.
type InvalidLayerError struct {
	Layer  string // Layer.Name
	Reason string // e.g. `duplicate field name "name"`
}

func (e *InvalidLayerError) Error() string {
	return fmt.Sprintf("export: layer %q: %s", e.Layer, e.Reason)
}

// ValueError reports a value passed to Write that does not suit its field.
type ValueError struct {
	Layer string    // Layer.Name
	Row   int       // 1-based row within the layer
	Field string    // Field.Name; "" when the count of values is wrong
	Want  FieldType // the field's type
	Got   string    // the Go type received, e.g. "string", or "3 values" for a count mismatch
}

func (e *ValueError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("export: layer %q row %d: got %s, want one per field", e.Layer, e.Row, e.Got)
	}
	return fmt.Sprintf("export: layer %q row %d field %q: got %s, want %s", e.Layer, e.Row, e.Field, e.Got, e.Want)
}

// LimitError reports that a layer does not fit a hard limit of the
// format, such as the 2 GB of a Shapefile's .shp or .dbf or the rows of an
// Excel sheet. Its message is in Chinese because it reaches the user. It
// matches [ErrTooLarge].
type LimitError struct {
	Format string // e.g. "Shapefile"
	Layer  string // Layer.Title, or Name
	What   string // Chinese, e.g. "roads.dbf 文件大小"
	Limit  string // Chinese, e.g. "2 GB"
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("图层“%s”的%s超过 %s 格式的上限（%s），请缩小导出范围，或改用 GeoPackage 格式导出",
		e.Layer, e.What, e.Format, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// state enforces the call order shared by all writers and keeps the first
// error, after which the writer is broken.
type state struct {
	err     error
	inLayer bool
	closed  bool
	layers  int // layers begun
}

// between returns the writer's first error, or ErrCallOrder inside a
// layer or after Close: where BeginLayer and Close may be called.
func (s *state) between() error {
	switch {
	case s.err != nil:
		return s.err
	case s.inLayer || s.closed:
		return ErrCallOrder
	}
	return nil
}

// beginLayer is how every BeginLayer starts: the call order, one layer at
// most for a single-layer format, and checkLayer, whose error fails the
// writer. The caller sets inLayer once the format has started the layer.
func (s *state) beginLayer(l Layer, single bool) (Layer, error) {
	if err := s.between(); err != nil {
		return l, err
	}
	if single && s.layers > 0 {
		return l, s.fail(ErrSingleLayer)
	}
	l, err := checkLayer(l)
	if err != nil {
		return l, s.fail(err)
	}
	return l, nil
}

// write returns the writer's first error, or ErrCallOrder outside a
// layer: where Write and EndLayer may be called.
func (s *state) write() error {
	switch {
	case s.err != nil:
		return s.err
	case !s.inLayer:
		return ErrCallOrder
	}
	return nil
}

// row is how Write starts: the call order, then the values of feature n
// (0-based) of l normalised into buf by cells, whose error fails the
// writer.
func (s *state) row(buf []cell, l Layer, n int, values []any) ([]cell, error) {
	if err := s.write(); err != nil {
		return buf, err
	}
	buf, err := cells(buf, l.Name, n+1, l.Fields, values)
	if err != nil {
		return buf, s.fail(err)
	}
	return buf, nil
}

// endLayer checks the call order of EndLayer and leaves the layer.
func (s *state) endLayer() error {
	if err := s.write(); err != nil {
		return err
	}
	s.inLayer = false
	return nil
}

// close checks the call order of Close and marks the writer closed.
func (s *state) close() error {
	if err := s.between(); err != nil {
		return err
	}
	s.closed = true
	return nil
}

// fail records err as the writer's first error and returns it.
func (s *state) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

// checkLayer validates what every format needs of a Layer and returns a
// copy with Geometry normalised.
func checkLayer(l Layer) (Layer, error) {
	bad := func(format string, args ...any) (Layer, error) {
		return l, &InvalidLayerError{Layer: l.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if err := checkName(l.Name); err != nil {
		return bad("name: %v", err)
	}
	switch l.Geometry {
	case "":
		l.Geometry = GeomGeometry
	case GeomPoint, GeomMultiPoint, GeomLineString, GeomMultiLineString, GeomPolygon, GeomMultiPolygon, GeomGeometry:
	default:
		return bad("unknown geometry type %q", l.Geometry)
	}
	seen := make(map[string]bool, len(l.Fields))
	for _, f := range l.Fields {
		if f.Name == "" {
			return bad("empty field name")
		}
		if seen[f.Name] {
			return bad("duplicate field name %q", f.Name)
		}
		seen[f.Name] = true
		if f.Type < String || f.Type > DateTime {
			return bad("field %q: unknown type %d", f.Name, int(f.Type))
		}
	}
	l.Fields = append([]Field(nil), l.Fields...) // the caller may reuse its slice
	return l, nil
}

// checkName accepts names that are safe as file names on every system:
// letters (Chinese included), digits, '_' and '-', at most 64 bytes.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty")
	}
	if len(name) > 64 {
		return errors.New("longer than 64 bytes")
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF: // CJK ideographs
		default:
			return fmt.Errorf("character %q not allowed (letters, digits, '_', '-')", r)
		}
	}
	return nil
}

// checkWGS84 refuses layers whose SRID is not lon/lat on WGS 84, for the
// formats whose specification fixes the CRS. CGCS2000 (4490) passes:
// its datum agrees with WGS 84 to a few centimetres, PROJ's transformation
// between them is a null shift, and PostGIS returns the same numbers.
func checkWGS84(l Layer, format string) error {
	switch l.SRID {
	case 0, 4326, 4490:
		return nil
	}
	return &InvalidLayerError{Layer: l.Name, Reason: fmt.Sprintf("%s needs lon/lat on WGS 84 (EPSG:4326), got EPSG:%d", format, l.SRID)}
}

// cell is one normalised attribute value. A struct rather than an any
// keeps Write free of per-value allocations.
type cell struct {
	null bool
	s    string
	i    int64
	f    float64
	b    bool
	t    time.Time
}

// cells normalises values into buf (reused between rows) following
// fields, or returns a *ValueError for row (1-based) of layer.
func cells(buf []cell, layer string, row int, fields []Field, values []any) ([]cell, error) {
	if len(values) != len(fields) {
		return buf, &ValueError{Layer: layer, Row: row, Got: fmt.Sprintf("%d values for %d fields", len(values), len(fields))}
	}
	buf = buf[:0]
	for i, f := range fields {
		c, ok := toCell(f.Type, values[i])
		if !ok {
			return buf, &ValueError{Layer: layer, Row: row, Field: f.Name, Want: f.Type, Got: fmt.Sprintf("%T", values[i])}
		}
		buf = append(buf, c)
	}
	return buf, nil
}

func toCell(t FieldType, v any) (cell, bool) {
	if v == nil {
		return cell{null: true}, true
	}
	switch t {
	case String:
		if s, ok := v.(string); ok {
			return cell{s: s}, true
		}
	case Int:
		if i, ok := value.Int(v); ok {
			return cell{i: i}, true
		}
	case Float:
		var f float64
		switch v := v.(type) {
		case float64:
			f = v
		case float32:
			f = float64(v)
		default:
			i, ok := value.Int(v)
			if !ok {
				return cell{}, false
			}
			f = float64(i)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return cell{null: true}, true
		}
		return cell{f: f}, true
	case Bool:
		if b, ok := v.(bool); ok {
			return cell{b: b}, true
		}
	case Date, DateTime:
		if tm, ok := v.(time.Time); ok {
			return cell{t: tm}, true
		}
	}
	return cell{}, false
}

// Date and time layouts of the text formats.
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04:05"
)

// appendText appends the value as the text formats (CSV, KML, dbf) show
// it: floats in the shortest form that reads back exactly, dates as
// 2006-01-02, date-times as 2006-01-02 15:04:05 in the value's location.
// Bools are left to the caller, which knows its words for them.
func appendText(b []byte, t FieldType, c cell) []byte {
	switch t {
	case String:
		return append(b, c.s...)
	case Int:
		return appendInt(b, c.i)
	case Float:
		return appendFloat(b, c.f)
	case Date:
		return c.t.AppendFormat(b, dateLayout)
	case DateTime:
		return c.t.AppendFormat(b, dateTimeLayout)
	}
	return b
}

// pickNameField returns the index of the field Placemark names and the
// like come from: the field named "name", else the first String field,
// else -1.
func pickNameField(fields []Field) int {
	first := -1
	for i, f := range fields {
		if f.Type != String {
			continue
		}
		if strings.EqualFold(f.Name, "name") {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}
