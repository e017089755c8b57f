package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
)

// Columns says which file column fills which field of a layer.
type Columns struct {
	layer    *catalog.Layer
	info     Info
	from     map[string]string            // file column → field
	defaults map[string]any               // field → parsed default from the mapping file
	values   map[string]map[string]string // field → mapping file value aliases
	provided []string                     // fields the import fills, in the layer's order
}

// Fields are the layer's fields the import fills, in the layer's order:
// mapped columns, mapping-file defaults, and fields the import derives.
func (m *Columns) Fields() []string { return m.provided }

// MapColumns matches the file's columns to the layer's fields: the mapping
// file first, then the built-in aliases. required are the table's columns
// that must have a value and have no default, in table order (the
// database knows them: see data's table description); a required field
// nothing can fill is an error naming the file's columns and the accepted
// names. Warnings (a mapped column the file lacks, two columns for one
// field, unused columns) and the applied "column → field" pairs go to rep.
// Errors name the file.
func MapColumns(layer *catalog.Layer, info Info, mp planning.Mapping, required []string, rep *planning.ImportReport) (*Columns, error) {
	m, err := mapColumns(layer, info, mp, required, rep)
	if err != nil {
		return nil, inFile(info.Name, err)
	}
	return m, nil
}

func mapColumns(layer *catalog.Layer, info Info, mp planning.Mapping, required []string, rep *planning.ImportReport) (*Columns, error) {
	m := &Columns{layer: layer, info: info, from: map[string]string{}, defaults: map[string]any{}, values: map[string]map[string]string{}}
	allowed := func() string {
		var names []string
		for _, f := range layer.Fields {
			names = append(names, f.Column+"（"+f.Title+"）")
		}
		return strings.Join(names, "、")
	}
	for from, to := range mp.Columns {
		if layer.Field(to) == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件把列“%s”映射到未知字段 %q；%s图层可用字段：%s", from, to, layer.Title, allowed())
		}
		if !slices.Contains(info.Fields, from) && !info.Mapped {
			rep.Add(planning.ImportProblem{Field: to, Value: from, Severity: planning.SeverityWarning, Reason: fmt.Sprintf("映射文件中的列“%s”不在文件中", from)})
		}
	}
	for to, vals := range mp.Values {
		if layer.Field(to) == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件的 values 含未知字段 %q；可用字段：%s", to, allowed())
		}
		m.values[to] = vals
	}
	for to, v := range mp.Defaults {
		f := layer.Field(to)
		if f == nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件的 defaults 含未知字段 %q；可用字段：%s", to, allowed())
		}
		val, err := convert(f, v, m.values[to])
		if err != nil {
			return nil, planning.Errorf(planning.EInvalid, "映射文件中字段 %s 的默认值 %q %v", to, v, err)
		}
		m.defaults[to] = val
	}
	taken := map[string]string{}
	var unused []string
	for _, col := range info.Fields {
		to := mp.Columns[col]
		if to == "" && info.Mapped && layer.Field(col) != nil {
			to = col
		}
		if to == "" && !info.Mapped {
			to = matchAlias(layer, col)
		}
		switch {
		case to == "":
			if !slices.Contains(mp.Ignore, col) {
				unused = append(unused, col)
			}
		case taken[to] != "":
			rep.Add(planning.ImportProblem{Field: to, Value: col, Severity: planning.SeverityWarning,
				Reason: fmt.Sprintf("列“%s”与列“%s”都对应字段 %s，使用前者", taken[to], col, to)})
		default:
			taken[to] = col
			m.from[col] = to
			rep.Columns = append(rep.Columns, col+" → "+to)
		}
	}
	if len(unused) > 0 {
		rep.Add(planning.ImportProblem{Severity: planning.SeverityWarning, Value: strings.Join(unused, "、"),
			Reason: "这些列没有对应字段，未导入", Hint: "如需导入，请在映射文件 columns 中指定；不需要的列可列入 ignore"})
	}
	fills := func(col string) bool {
		_, mapped := taken[col]
		_, def := m.defaults[col]
		return mapped || def || (info.Mapped && slices.Contains(info.Fields, col))
	}
	// Feature ids are namespaced by their source (catalog.SourceKey): the
	// file's own 来源数据集 column where it has one (a gapmap export), else
	// the file's source for every row.
	if fills(catalog.ExtID.Column) && layer.Field(catalog.SourceKey.Column) != nil {
		src := info.Source
		if src == "" {
			src = DefaultSource(info.Name)
		}
		if v, set := m.defaults[catalog.SourceKey.Column].(string); set {
			rep.Source = v
		} else if src != "" {
			m.defaults[catalog.SourceKey.Column] = src
			rep.Source = src
		}
	}
	for _, f := range layer.Fields {
		// A layer that names its unnamed features (catalog.Layer.Unnamed)
		// fills its name even from a file without a name column.
		unnamed := f.Column == "name" && layer.Unnamed != ""
		if fills(f.Column) || f.Derived || unnamed {
			m.provided = append(m.provided, f.Column)
		}
	}
	for _, col := range required {
		f := layer.Field(col)
		if f == nil || slices.Contains(m.provided, col) {
			continue
		}
		return nil, planning.Errorf(planning.EInvalid,
			"文件缺少必填字段 %s（%s）：文件的列为 %s；可识别的列名：%s。请改列名，或在映射文件 columns 中指定，或在 defaults 中给出默认值",
			f.Column, f.Title, strings.Join(info.Fields, "、"), strings.Join(f.Aliases, "、"))
	}
	return m, nil
}

// matchAlias returns the field whose column name, Chinese title (the
// header gapmap's own exports write) or one of whose aliases file column
// col names, after normalising both, or "".
func matchAlias(layer *catalog.Layer, col string) string {
	key := normaliseName(col)
	for _, f := range layer.Fields {
		if normaliseName(f.Column) == key || normaliseName(f.Title) == key {
			return f.Column
		}
		for _, a := range f.Aliases {
			if normaliseName(a) == key {
				return f.Column
			}
		}
	}
	return ""
}

// fieldPlan is how one file column fills its field.
type fieldPlan struct {
	at     int // the field's index in Fields()
	field  *catalog.Field
	values map[string]string // the mapping file's value aliases
}

// plan returns how file column col is imported, or nil when it is not.
func (m *Columns) plan(col string) *fieldPlan {
	to := m.from[col]
	if to == "" && m.info.Mapped {
		to = col
	}
	if i := slices.Index(m.provided, to); to != "" && i >= 0 {
		return &fieldPlan{at: i, field: m.layer.Field(to), values: m.values[to]}
	}
	return nil
}
