package ingest

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// Converter turns a file's records into a layer's typed rows, checking
// each value and geometry and adding its problems to the report.
type Converter struct {
	cols    *Columns
	layer   *catalog.Layer
	srs     geo.SRS
	rep     *planning.ImportReport
	ext     int                   // index of ext_id in cols.provided, or -1
	derived []*catalog.Field      // the layer's fields marked Derived
	plans   map[string]*fieldPlan // per file column, see planFor
	// defaults are the mapping file's defaults and the feature ids'
	// source, by index in cols.provided.
	defaults []fieldDefault
	// name is the index of the name field when the layer names unnamed
	// features (catalog.Layer.Unnamed), else -1.
	name int
	// villages: the layer derives a village's kind, and reads its name as
	// the national code list writes it (ReadVillageName).
	villages bool
	// counts tallies what the conversion did to the file as a whole, for
	// the summary at the end of Read: reason → rows.
	counts map[string]int64
}

// fieldDefault is the value a blank field takes.
type fieldDefault struct {
	at int
	v  any
}

// NewConverter converts records for the columns m planned, from input
// coordinates srs, and adds the problems it finds to rep.
func NewConverter(m *Columns, srs geo.SRS, rep *planning.ImportReport) *Converter {
	c := &Converter{cols: m, layer: m.layer, srs: srs, rep: rep, ext: slices.Index(m.provided, catalog.ExtID.Column), plans: map[string]*fieldPlan{},
		name: -1, counts: map[string]int64{}}
	for i := range m.layer.Fields {
		if m.layer.Fields[i].Derived {
			c.derived = append(c.derived, &m.layer.Fields[i])
			c.villages = c.villages || m.layer.Fields[i].Column == "kind"
		}
	}
	for _, col := range m.provided { // in field order, so that runs are reproducible
		if v, ok := m.defaults[col]; ok {
			c.defaults = append(c.defaults, fieldDefault{at: slices.Index(m.provided, col), v: v})
		}
	}
	if m.layer.Unnamed != "" {
		c.name = slices.Index(m.provided, "name")
	}
	return c
}

// Fields are the fields a Record's Values hold, in order (see
// [Columns.Fields]).
func (c *Converter) Fields() []string { return c.cols.provided }

// Record is one record of the file, converted: the layer's typed values
// and the geometry's parts.
type Record struct {
	Row int    // the row number users see: the line for CSV and GeoJSONSeq, else the feature number
	ID  string // the feature's own id, if its format has one
	// Values hold, per field of [Converter.Fields], a string, int64,
	// float64, bool, time.Time, []string, or nil for a blank.
	Values []any
	// Parts are the geometry in the coordinates of [Converter.SRID]: one
	// part, or one per line of a multi-line the layer stores as lines; a
	// nil part is a record without geometry where the layer allows it.
	Parts []orb.Geometry
	ext   int // index of ext_id in Values, or -1
}

// Value is field j's value for part i: the parts of a split multi-line
// keep distinct feature ids ("r7#1", "r7#2").
func (r Record) Value(j, part int) any {
	v := r.Values[j]
	if j == r.ext && v != nil && len(r.Parts) > 1 {
		return fmt.Sprintf("%s#%d", v, part+1)
	}
	return v
}

// SRID is the SRID the converted geometry is in: 4490 for lon/lat (GCJ-02
// and BD-09 are converted here), else the input's EPSG code, which the
// database transforms.
func (c *Converter) SRID() int {
	if c.srs.Projected || (c.srs.EPSG != 0 && c.srs.EPSG != geo.CGCS2000 && c.srs.EPSG != geo.WGS84) {
		return c.srs.EPSG
	}
	return geo.CGCS2000
}

// Convert maps, parses and checks one record: its field values and its
// geometry parts (several when a multi-line is split), and false when the
// record has an error. Every problem found is added to the report.
func (c *Converter) Convert(rec feature.Record) (r Record, ok bool) {
	row := rec.Index + 1
	if c.cols.info.RowIsLine && rec.Line > 0 {
		row = rec.Line
	}
	ok = true
	problem := func(field, value, sev, reason, hint string) {
		if sev == planning.SeverityError {
			ok = false
		}
		c.rep.Add(planning.ImportProblem{Row: row, ID: rec.ID, Field: field, Value: Cut(value), Severity: sev, Reason: reason, Hint: hint})
	}
	vals := make([]any, len(c.cols.provided))
	for fileCol, raw := range rec.Attrs {
		p := c.planFor(fileCol)
		if p == nil {
			continue
		}
		v, err := convert(p.field, raw, p.values)
		if err != nil {
			to := p.field.Column
			reason := fmt.Sprintf("“%s”列的值%s", fileCol, err)
			if rule := p.field.Check; rule != "" {
				reason += "；" + rule
			}
			problem(to, text(raw), planning.SeverityError, reason, "可在映射文件 values 中把该值映射为允许的值")
			continue
		}
		vals[p.at] = v
	}
	for _, d := range c.defaults {
		if vals[d.at] == nil {
			vals[d.at] = d.v
		}
	}
	c.derive(vals, problem)
	if c.name >= 0 && vals[c.name] == nil {
		c.nameUnnamed(vals, row, problem)
	}

	parts, reason := c.geometry(rec.Geometry)
	if reason != "" {
		problem("geom", geomSummary(rec.Geometry), planning.SeverityError, reason, "")
	}
	if !ok {
		return Record{}, false
	}
	if len(parts) > 1 {
		problem("geom", geomSummary(rec.Geometry), planning.SeverityWarning, fmt.Sprintf("多段线拆分为 %d 条线分别导入", len(parts)), "")
	}
	return Record{Row: row, ID: rec.ID, Values: vals, Parts: parts, ext: c.ext}, true
}

// EWKB encodes part i of r in the converter's SRID; a nil part stays nil
// (SQL NULL). A geometry that cannot be encoded is an error of the record,
// reported, and false.
func (c *Converter) EWKB(r Record, i int) (any, bool) {
	g := r.Parts[i]
	if g == nil {
		return nil, true
	}
	b, err := ewkb.Marshal(g, c.SRID())
	if err != nil {
		c.rep.Add(planning.ImportProblem{Row: r.Row, ID: r.ID, Field: "geom", Value: geomSummary(g), Severity: planning.SeverityError,
			Reason: fmt.Sprintf("几何无法编码：%v", err)})
		return nil, false
	}
	return b, true
}

// Cut shortens a value for the report.
func Cut(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// planFor returns how file column col is imported, or nil when it is not.
// Plans are made when a column is first seen: records need not all have
// the same columns.
func (c *Converter) planFor(col string) *fieldPlan {
	if p, seen := c.plans[col]; seen {
		return p
	}
	p := c.cols.plan(col)
	c.plans[col] = p
	return p
}

// get and set read and write field col of a record's values.
func (c *Converter) get(vals []any, col string) any {
	if i := slices.Index(c.cols.provided, col); i >= 0 {
		return vals[i]
	}
	return nil
}

func (c *Converter) set(vals []any, col string, v any) {
	if i := slices.Index(c.cols.provided, col); i >= 0 {
		vals[i] = v
	}
}

// nameUnnamed names an unnamed feature of a layer that keeps them (see
// catalog.Layer.Unnamed) after its id, or its row, and warns.
func (c *Converter) nameUnnamed(vals []any, row int, problem func(field, value, sev, reason, hint string)) {
	label := fmt.Sprintf("第 %d 行", row)
	if c.ext >= 0 {
		if id, ok := vals[c.ext].(string); ok && id != "" {
			label = "要素编号 " + id
		}
	}
	name := c.layer.Unnamed + "（" + label + "）"
	vals[c.name] = name
	c.counts["unnamed"]++
	problem("name", "", planning.SeverityWarning, "没有名称，已命名为“"+name+"”", "请在源数据中补上名称")
}

// summary is what the conversion did to the file as a whole: one line per
// kind of change made to many rows, with its count.
func (c *Converter) summary() []planning.ImportProblem {
	lines := []struct {
		key, sev, reason string
	}{
		{"unnamed", planning.SeverityWarning, "%d 个要素没有名称，已按“" + c.layer.Unnamed + "（编号或行号）”命名"},
		{"shortened", planning.SeverityNotice, "%d 个村名是统计用区划代码的全称（…村民委员会、…居民委员会、…村委会），已按简称导入，原名见各行提示"},
		{"typo", planning.SeverityWarning, "%d 个村名疑有错字（如“村民委委会”），已按其应有的写法读取"},
		{"bycode", planning.SeverityWarning, "%d 个村名不以“村”或“社区”结尾（如农场、林场生活区），按代码末三位归类"},
	}
	var out []planning.ImportProblem
	for _, l := range lines {
		if n := c.counts[l.key]; n > 0 {
			field := "name"
			out = append(out, planning.ImportProblem{Field: field, Severity: l.sev, Reason: fmt.Sprintf(l.reason, n)})
		}
	}
	return out
}

// derive fills the fields the catalogue marks Derived when the file leaves
// them blank: a township's county and a village's township from their
// codes, a village's kind from its name and code year from its code. A
// 行政村's or 社区's name in the national code list's long form is
// shortened (ReadVillageName), whether or not the file gives the kind.
func (c *Converter) derive(vals []any, problem func(field, value, sev, reason, hint string)) {
	if len(c.derived) == 0 {
		return
	}
	code, _ := c.get(vals, "code").(string)
	var village VillageName
	if c.villages && code != "" && c.get(vals, "parent_code") == nil {
		name, _ := c.get(vals, "name").(string)
		if name != "" {
			village = ReadVillageName(name, code)
			if village.Name != name {
				c.set(vals, "name", village.Name)
			}
			switch village.How {
			case NameShortened:
				c.counts["shortened"]++
				problem("name", name, planning.SeverityNotice, village.Reason, "")
			case NameTypo:
				c.counts["typo"]++
				problem("name", name, planning.SeverityWarning, village.Reason, "请核对名称")
			case NameByCode:
				c.counts["bycode"]++
				problem("name", name, planning.SeverityWarning, village.Reason, "请核对名称，或在文件中给出类型")
			case NameUnknown:
				problem("name", name, planning.SeverityWarning, village.Reason, "请核对名称（常见错字如“村民委委会”）或在文件中给出类型")
			}
		}
	}
	for _, f := range c.derived {
		if c.get(vals, f.Column) != nil {
			continue
		}
		switch f.Column {
		case "county_code":
			if len(code) >= 6 {
				c.set(vals, f.Column, code[:6])
			}
		case "township_code":
			if len(code) >= 9 {
				c.set(vals, f.Column, code[:9])
			}
		case "code_year":
			if code != "" {
				c.set(vals, f.Column, int64(2023))
			}
		case "kind":
			switch {
			case code == "" || c.get(vals, "parent_code") != nil:
				c.set(vals, f.Column, "自然村")
			case village.Kind != "":
				c.set(vals, f.Column, village.Kind)
			default: // no name: the name's own check reports it
				c.set(vals, f.Column, KindAdmin)
			}
		}
	}
}
