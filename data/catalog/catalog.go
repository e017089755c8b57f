package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind is how a field's file values are parsed, and the type it has in
// exports and tiles.
type Kind int

// The kinds. A Code is digits kept as text (430682101001, never
// 4.30682101001e+11); a TextList is a list such as 1路;2路, stored as text[].
const (
	Text Kind = iota
	Code
	Int
	Float
	Bool
	Date
	TextList
)

// MVT is the TileJSON type of a tile attribute of kind k: "String",
// "Number" or "Boolean". A text list is drawn joined (see [TileSQL.Attrs]).
func (k Kind) MVT() string {
	switch k {
	case Int, Float:
		return "Number"
	case Bool:
		return "Boolean"
	}
	return "String"
}

// Role says how an imported file's geometry fills the layer's geometry
// columns.
type Role int

const (
	RoleLine     Role = iota // LineString; a MultiLineString is split into one row per part
	RolePoint                // Point; a polygon gives its point on surface, with a warning
	RoleArea                 // MultiPolygon outline (counties)
	RoleSeat                 // point column + optional outline: a polygon fills the outline and its point on surface the point
	RoleAny                  // stored as given (reservoirs: point or polygon; projects)
	RoleOptional             // like RoleAny, but a row may have no geometry (projects)
)

// Declared geometry types of a layer's main geometry column, spelt as
// PostGIS's geometry(<type>, 4490) and as the exports name them.
const (
	GeomPoint        = "Point"
	GeomLineString   = "LineString"
	GeomMultiPolygon = "MultiPolygon"
	GeomAny          = "Geometry" // mixed
)

// LowZoomBelow is the zoom below which a tile layer takes its
// [TileSQL.LowBudget] and roads come from roads_lowzoom.
const LowZoomBelow = 10

// LowZoomTable names the table prepared in advance for table's low-zoom
// tiles (roads_lowzoom); as a data version it is the version of table the
// prepared table was built from (lowzoom_state).
func LowZoomTable(table string) string { return table + "_lowzoom" }

// DefaultBudget is a tile layer's feature budget when its entry gives none.
const DefaultBudget = 2000

// Field is one column a file may fill and an export writes.
type Field struct {
	Column  string // table column; for a reference (see Read), the staging column naming the referenced row
	Title   string // Chinese name, for reports, exports and messages
	Kind    Kind
	Aliases []string // what counties call it, compared after normalising
	// Values spells the allowed values' common variants (after
	// normalising); a value that is neither allowed nor an alias is left
	// for the CHECK constraint to reject with the allowed list.
	Values map[string]string
	// Units are suffixes stripped from numbers: "6.5m", "10kV", "100千瓦".
	Units []string
	// Highest takes the largest of a list such as OSM's voltage
	// "220000;110000" (a substation's primary side).
	Highest bool
	// Check is the users' explanation of the column's CHECK constraint,
	// <table>_<column>_check, where the rule is not obvious from the
	// field's title; without one, messages name the constraint.
	Check string
	// Derived says the import can fill the field from others (a
	// village's township from its code; see data/ingest's derive), so that
	// a file need not carry it.
	Derived bool
	// Read, set on a reference field (村代码 naming a village, a works'
	// name), is the SQL that reads the referenced value back for exports,
	// on the table aliased x; the field is then not a table column but
	// resolves into one of the layer's [Layer.Reference] columns.
	Read string
	// Tile draws the field as an attribute of the layer's tiles.
	Tile bool
}

// Export is what an export of the layer adds to its fields.
type Export struct {
	// Township is the SQL expression of a row's township code, on the
	// table aliased x, for the township filter. New fills x.township_code
	// when the layer has that field; without one, the filter keeps rows
	// within the township's outline.
	Township string
	// Extra are stored columns exported after the fields, read as they
	// are (a project's lifecycle state); only Column, Title and Kind count.
	Extra []Field
	// Filters are the export filters the layer takes besides township and
	// bbox ("poor", "status", "year").
	Filters []string
}

// Tile is a layer's vector-tile layer.
type Tile struct {
	ID      string // MVT layer name, which clients use; New fills the table name
	Title   string // Chinese, shown in the map's legend; New fills the layer's title
	MinZoom int
	MaxZoom int // the most detailed zoom; 0 is the tile engine's (tiles.MaxZoom)
	// Tables are the tables whose versions the tiles depend on; New
	// fills the layer's own table.
	Tables []string
	// Sets are the named layer sets the layer belongs to besides "all".
	Sets []string
	// Extra are the kinds of attributes that are not fields of the layer
	// (the villages' scores), drawn by hand-written Attrs.
	Extra map[string]Kind
	SQL   TileSQL

	fields map[string]string // attribute → MVT type, see Fields
}

// Fields maps each tile attribute to its TileJSON type: the fields marked
// Tile and the Extra attributes.
func (t *Tile) Fields() map[string]string {
	out := make(map[string]string, len(t.fields))
	for k, v := range t.fields {
		out[k] = v
	}
	return out
}

// TileSQL are the SQL fragments that draw a tile layer. Request values
// reach them only as columns of p (z, x, y, township, dim, min_score,
// status, year) and the tile's envelopes as columns of env (e3857, the tile;
// b3857, the tile grown by the 64/4096 buffer that ST_AsMVTGeom keeps; px);
// the layer's table is aliased g. Geometry is read in Web Mercator from
// the <column>_3857 copies (migration 0028), so a layer's table keeps one
// for every geometry column its tiles draw or select by. New derives the
// fragments a plain layer leaves empty from its entry.
type TileSQL struct {
	From   string // FROM clause; New fills "<table> g"
	Geom   string // the feature geometry in EPSG:3857; New fills g.<geometry column>_3857
	Filter string // the index condition against env.b3857; New fills g.<geometry column>_3857 && env.b3857
	Where  string // zoom-dependent and user filters; empty keeps every row
	// Attrs are the attribute columns, starting with the integer id;
	// New fills g.id and the fields marked Tile (a text list joined by 、).
	Attrs string
	Order string // importance, most important first, ending in a unique key; New fills g.id
	// Budget is the number of features per tile below the layer's maximum
	// zoom; New fills DefaultBudget.
	Budget int
	// LowBudget, when set, is the budget below LowZoomBelow, where a tile
	// spans a prefecture and per-feature bytes add up.
	LowBudget int
	// Simplify lines and polygons below z12 to about a pixel.
	Simplify bool
	// Low, when set, draws the layer below zoom LowBelow from a table
	// prepared in advance (data's RefreshLowZoom), while that table is
	// current; its Attrs must match the layer's. It is used as written.
	Low      *TileSQL
	LowBelow int
}

// Layer is one stored layer: a table of the schema.
type Layer struct {
	Table    string
	Title    string // Chinese name users see
	GeomCol  string // the main geometry column: what listings measure, exports write and tiles draw
	Geometry string // its declared type, Geom*
	Role     Role
	// PointCol and AreaCol are the columns a RolePoint or RoleSeat
	// import's point and a RoleArea or RoleSeat import's outline fill.
	// New fills PointCol, and AreaCol for RoleArea, with GeomCol; a
	// RoleSeat layer names its outline column in AreaCol.
	PointCol, AreaCol string
	Key               []string // the columns that identify a row, with a unique constraint on them
	// AltKey identifies the rows that lack a Key column (a 自然村 has no
	// code: its 行政村 and name identify it), with a unique constraint on
	// its columns; nil when every row has its Key.
	AltKey []string
	// Reference are the columns the import resolves from references (a
	// field with Read) or from the geometry: village_id, parent_id,
	// works_id.
	Reference []string
	Fields    []Field
	// Unnamed, when set, is what a feature the file leaves unnamed is
	// called, with its id or row: infrastructure is there whatever it is
	// called, so a substation without a name is kept as
	// 未命名变电站（第 3 行）, with a warning, rather than refused for its
	// required name. Empty: an unnamed feature is refused where the name
	// is required (a village's name is who it is).
	Unnamed string
	// Checks explain the CHECK constraints that are not on a field,
	// keyed by the <name> of <table>_<name>_check: a cross-column rule, a
	// column no file fills.
	Checks map[string]string
	Export Export
	Tile   *Tile // nil: not drawn in tiles
}

// Field returns the layer's field for column col, or nil.
func (l *Layer) Field(col string) *Field {
	for i := range l.Fields {
		if l.Fields[i].Column == col {
			return &l.Fields[i]
		}
	}
	return nil
}

// CheckReason explains the layer's CHECK constraint named constraint
// (<table>_<name>_check) to users, or returns "" when the catalogue has no
// explanation for it.
func (l *Layer) CheckReason(constraint string) string {
	name, ok := strings.CutPrefix(constraint, l.Table+"_")
	if !ok {
		return ""
	}
	if name, ok = strings.CutSuffix(name, "_check"); !ok {
		return ""
	}
	if f := l.Field(name); f != nil && f.Check != "" {
		return f.Check
	}
	return l.Checks[name]
}

// otherTitles are the Chinese names of tables and exports that are not
// stored layers but whose names users see.
var otherTitles = map[string]string{
	"sources":   "数据来源",
	VillageGaps: "村缺口评分",
}

// VillageGaps is the export of the villages with their latest scores.
const VillageGaps = "village_gaps"

// Catalog is an immutable, validated list of layers in the order users
// read them.
type Catalog struct {
	entries []Layer // as given, for With
	layers  []*Layer
	byTable map[string]*Layer
	byTile  map[string]*Layer
}

// Layers returns the layers in order. They belong to the catalogue: callers
// must not modify them.
func (c *Catalog) Layers() []*Layer { return slices.Clone(c.layers) }

// Layer returns the layer stored in table, or nil.
func (c *Catalog) Layer(table string) *Layer { return c.byTable[table] }

// TileLayer returns the layer drawn as tile layer id, or nil.
func (c *Catalog) TileLayer(id string) *Layer { return c.byTile[id] }

// Tables lists the layers' tables in order.
func (c *Catalog) Tables() []string {
	out := make([]string, len(c.layers))
	for i, l := range c.layers {
		out[i] = l.Table
	}
	return out
}

// Title is the Chinese name of a layer's table, of the sources table or of
// the village_gaps export, or "".
func (c *Catalog) Title(name string) string {
	if l := c.byTable[name]; l != nil {
		return l.Title
	}
	return otherTitles[name]
}

// CheckReason explains table's CHECK constraint named constraint, or
// returns "" (see [Layer.CheckReason]).
func (c *Catalog) CheckReason(table, constraint string) string {
	if l := c.byTable[table]; l != nil {
		return l.CheckReason(constraint)
	}
	return ""
}

// With returns a catalogue of c's layers followed by more; c is unchanged.
func (c *Catalog) With(more ...Layer) (*Catalog, error) {
	return New(append(slices.Clone(c.entries), more...)...)
}

// builtin is the catalogue of gapmap's schema.
var builtin = func() *Catalog {
	c, err := New(layers()...)
	if err != nil {
		panic("data/catalog: " + err.Error()) // a mistake in layers.go; every test catches it
	}
	return c
}()

// Default returns the catalogue of gapmap's layers.
func Default() *Catalog { return builtin }

// identifier is what a table, column or tile id may look like: generated
// SQL writes them unquoted.
var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// New validates the layers, fills what an entry leaves to be derived (see
// the field comments of Layer, Tile and TileSQL), and returns them as a
// catalogue. The entries given are not modified.
func New(layers ...Layer) (*Catalog, error) {
	c := &Catalog{entries: slices.Clone(layers), byTable: map[string]*Layer{}, byTile: map[string]*Layer{}}
	var errs []error
	for _, e := range layers {
		l, err := complete(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("layer %s: %w", e.Table, err))
			continue
		}
		if c.byTable[l.Table] != nil || otherTitles[l.Table] != "" {
			errs = append(errs, fmt.Errorf("layer %s: table listed twice", l.Table))
			continue
		}
		if l.Tile != nil {
			if c.byTile[l.Tile.ID] != nil {
				errs = append(errs, fmt.Errorf("layer %s: tile id %s taken", l.Table, l.Tile.ID))
				continue
			}
			c.byTile[l.Tile.ID] = l
		}
		c.byTable[l.Table] = l
		c.layers = append(c.layers, l)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// complete checks entry e and returns a copy with its derived parts.
func complete(e Layer) (*Layer, error) {
	l := e
	l.Fields = slices.Clone(e.Fields)
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	ident := func(what, s string) {
		if !identifier.MatchString(s) {
			bad("%s %q is not a plain lower-case identifier", what, s)
		}
	}
	ident("table", l.Table)
	ident("geometry column", l.GeomCol)
	if l.Title == "" {
		bad("no title")
	}
	switch l.Geometry {
	case GeomPoint, GeomLineString, GeomMultiPolygon, GeomAny:
	default:
		bad("geometry type %q", l.Geometry)
	}
	switch l.Role {
	case RolePoint:
		l.PointCol = l.GeomCol
	case RoleArea:
		l.AreaCol = l.GeomCol
	case RoleSeat:
		l.PointCol = l.GeomCol
		ident("outline column", l.AreaCol)
	case RoleLine, RoleAny, RoleOptional:
	default:
		bad("role %d", l.Role)
	}
	seen := map[string]bool{}
	for _, f := range l.Fields {
		ident("field", f.Column)
		if seen[f.Column] {
			bad("field %s listed twice", f.Column)
		}
		seen[f.Column] = true
		if f.Title == "" {
			bad("field %s has no title", f.Column)
		}
		if f.Kind < Text || f.Kind > TextList {
			bad("field %s: kind %d", f.Column, f.Kind)
		}
		if f.Read != "" && f.Tile {
			bad("field %s: a reference is not a tile attribute", f.Column)
		}
	}
	for _, c := range append(slices.Clone(l.Key), l.AltKey...) {
		ident("key column", c)
	}
	for _, c := range l.Reference {
		ident("reference column", c)
	}
	for name := range l.Checks {
		ident("check", name)
	}
	l.Export = completeExport(l, bad, ident)
	if e.Tile != nil {
		t := completeTile(l, *e.Tile, bad, ident)
		l.Tile = &t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &l, nil
}

func completeExport(l Layer, bad func(string, ...any), ident func(string, string)) Export {
	x := l.Export
	x.Extra = slices.Clone(x.Extra)
	for _, f := range x.Extra {
		ident("export column", f.Column)
		if f.Title == "" {
			bad("export column %s has no title", f.Column)
		}
	}
	if x.Township == "" && l.Field("township_code") != nil {
		x.Township = "x.township_code"
	}
	return x
}

func completeTile(l Layer, t Tile, bad func(string, ...any), ident func(string, string)) Tile {
	if t.ID == "" {
		t.ID = l.Table
	}
	ident("tile id", t.ID)
	if t.Title == "" {
		t.Title = l.Title
	}
	if len(t.Tables) == 0 {
		t.Tables = []string{l.Table}
	}
	for _, s := range t.Tables {
		ident("tile table", s)
	}
	for _, s := range t.Sets {
		if s == "" || s == "all" {
			bad("tile set %q", s)
		}
	}
	if t.MinZoom < 0 || t.MaxZoom < 0 || (t.MaxZoom > 0 && t.MaxZoom < t.MinZoom) {
		bad("tile zooms %d–%d", t.MinZoom, t.MaxZoom)
	}
	t.fields = map[string]string{}
	var attrs []string
	for _, f := range l.Fields {
		if !f.Tile {
			continue
		}
		t.fields[f.Column] = f.Kind.MVT()
		if f.Kind == TextList {
			attrs = append(attrs, fmt.Sprintf("array_to_string(g.%[1]s, '、') AS %[1]s", f.Column))
		} else {
			attrs = append(attrs, "g."+f.Column)
		}
	}
	for name, k := range t.Extra {
		ident("tile attribute", name)
		if _, dup := t.fields[name]; dup {
			bad("tile attribute %s is also a field", name)
		}
		t.fields[name] = k.MVT()
	}
	q := t.SQL
	if q.Attrs == "" {
		if len(t.Extra) > 0 {
			bad("tile attributes %v need hand-written Attrs", t.Extra)
		}
		q.Attrs = strings.Join(append([]string{"g.id"}, attrs...), ", ")
	}
	if q.From == "" {
		q.From = l.Table + " g"
	}
	if q.Geom == "" {
		q.Geom = "g." + l.GeomCol + "_3857"
	}
	if q.Filter == "" {
		q.Filter = "g." + l.GeomCol + "_3857 && env.b3857"
	}
	if q.Order == "" {
		q.Order = "g.id"
	}
	if q.Budget == 0 {
		q.Budget = DefaultBudget
	}
	if q.Budget < 0 || q.LowBudget < 0 {
		bad("tile budgets %d, %d", q.Budget, q.LowBudget)
	}
	if q.Low != nil {
		low := *q.Low
		if low.From == "" || low.Geom == "" || low.Filter == "" || low.Attrs == "" || low.Order == "" || low.Budget <= 0 || low.Low != nil {
			bad("the low-zoom tile SQL must be complete and single")
		}
		if q.LowBelow <= 0 {
			bad("low-zoom tile SQL without LowBelow")
		}
		q.Low = &low
	}
	t.SQL = q
	t.Tables = slices.Clone(t.Tables)
	t.Sets = slices.Clone(t.Sets)
	return t
}
