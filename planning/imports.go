package planning

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ImportMode says what an import does with bad rows and with rows whose key
// (statistical code, 项目编号 or the file's own feature id) already exists.
type ImportMode string

// The import modes.
const (
	// ImportReject writes nothing if any row has an error; an existing key
	// is an error. It is the default: a county's data goes in whole or not
	// at all.
	ImportReject ImportMode = "reject"
	// ImportSkip writes the good rows and reports the bad ones; rows whose
	// key exists are left as they are in the database.
	ImportSkip ImportMode = "skip"
	// ImportUpsert writes the good rows and updates rows whose key exists
	// (only the columns the file has); bad rows are reported and left out.
	ImportUpsert ImportMode = "upsert"
)

// ParseImportMode returns the mode named s ("" is ImportReject).
func ParseImportMode(s string) (ImportMode, error) {
	switch ImportMode(s) {
	case "", ImportReject:
		return ImportReject, nil
	case ImportSkip, ImportUpsert:
		return ImportMode(s), nil
	}
	return "", Errorf(EInvalid, "未知的导入模式 %q：可选 reject（有错误则全部不写入）、skip（跳过错误行）、upsert（更新已存在的记录）", s)
}

// Mapping maps a county's column names and values to gapmap's schema, e.g.
//
//	{"columns": {"路面类型": "surface", "电压等级": "voltage_kv"},
//	 "values": {"surface": {"水泥混凝土路面": "水泥"}, "voltage_kv": {"10kV线路": "10"}},
//	 "defaults": {"grade": "村道"},
//	 "ignore": ["备注"]}
//
// Columns maps a file column to a schema field; Values maps, per schema
// field, a file value to a schema value (after the built-in aliases, which
// it overrides); Defaults fills a field the file lacks or leaves blank;
// Ignore silences the warning about columns that map to nothing. In the
// JSON, defaults and values may be numbers or true/false as well as text
// ({"defaults": {"voltage_kv": 110}}); they are kept as their text and
// parsed as the field's kind.
type Mapping struct {
	Columns  map[string]string            `json:"columns,omitempty"`
	Values   map[string]map[string]string `json:"values,omitempty"`
	Defaults map[string]string            `json:"defaults,omitempty"`
	Ignore   []string                     `json:"ignore,omitempty"`
}

// mappingJSON is a mapping file as written: defaults and values are any
// JSON scalar.
type mappingJSON struct {
	Columns  map[string]string                     `json:"columns"`
	Values   map[string]map[string]json.RawMessage `json:"values"`
	Defaults map[string]json.RawMessage            `json:"defaults"`
	Ignore   []string                              `json:"ignore"`
}

// ParseMapping reads a mapping file; unknown keys are errors so that a typo
// is not silently ignored.
func ParseMapping(b []byte) (Mapping, error) {
	var raw mappingJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Mapping{}, Errorf(EInvalid, "映射文件中 %s 的值应为%s，实际是%s", te.Field, jsonShape(te.Type.Kind().String()), jsonShape(te.Value))
		}
		return Mapping{}, Errorf(EInvalid, "映射文件不是有效的 JSON（应含 columns、values、defaults、ignore）：%v", err)
	}
	m := Mapping{Columns: raw.Columns, Ignore: raw.Ignore}
	if raw.Defaults != nil {
		m.Defaults = make(map[string]string, len(raw.Defaults))
		for field, v := range raw.Defaults {
			s, err := scalarText(v)
			if err != nil {
				return Mapping{}, Errorf(EInvalid, "映射文件 defaults 中字段 %s 的默认值%s", field, err)
			}
			m.Defaults[field] = s
		}
	}
	if raw.Values != nil {
		m.Values = make(map[string]map[string]string, len(raw.Values))
		for field, vals := range raw.Values {
			m.Values[field] = make(map[string]string, len(vals))
			for from, v := range vals {
				s, err := scalarText(v)
				if err != nil {
					return Mapping{}, Errorf(EInvalid, "映射文件 values 中字段 %s 的值“%s”要映射成的值%s", field, from, err)
				}
				m.Values[field][from] = s
			}
		}
	}
	return m, nil
}

// scalarText renders a JSON string, number or boolean as the text a file
// cell would hold: a number as written (110, 0.4), a boolean as true or
// false. Other shapes are errors, in Chinese.
func scalarText(v json.RawMessage) (string, error) {
	var x any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return "", fmt.Errorf("无法读取：%v", err)
	}
	switch t := x.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		return strconv.FormatBool(t), nil
	case nil:
		return "", errors.New("不能是 null；不需要默认值时请删去该项")
	}
	return "", fmt.Errorf("应为数字、文字或 true/false，不能是%s", jsonShape(fmt.Sprintf("%T", x)))
}

// jsonShape names a JSON value's shape, as encoding/json and Go types
// spell it, in Chinese.
func jsonShape(kind string) string {
	switch {
	case kind == "string":
		return "文字"
	case kind == "number", strings.HasPrefix(kind, "number"), strings.HasPrefix(kind, "float"), strings.HasPrefix(kind, "int"):
		return "数字"
	case kind == "bool":
		return "true/false"
	case kind == "array", strings.HasPrefix(kind, "[]"), kind == "slice":
		return "数组"
	case kind == "object", strings.HasPrefix(kind, "map"):
		return "对象"
	}
	return kind
}

// DefaultMarginMetres is how far outside the county outline a row may lie
// before an import reports it: boundaries are generalised (DataV's by
// hundreds of metres), and a road or a main may run a little beyond them.
const DefaultMarginMetres = 2000

// MaxMarginKm bounds the margin an import may be given: beyond it the
// county check no longer checks anything.
const MaxMarginKm = 100

// CheckMarginKm refuses a margin that is not a number of kilometres above
// 0 and at most MaxMarginKm. NaN passed a "<= 0" test and failed the
// import in the database (500).
func CheckMarginKm(km float64) error {
	if !finite(km) || km <= 0 || km > MaxMarginKm {
		return Errorf(EInvalid, "margin_km 应为 0 到 %d 之间的公里数，实为 %s", MaxMarginKm, strconv.FormatFloat(km, 'g', -1, 64))
	}
	return nil
}

// ImportOptions are the choices of one import.
type ImportOptions struct {
	Layer   string     // target layer (table name), e.g. "roads"
	Name    string     // the file's name as the user knows it, for the report and the source row
	SRS     string     // input coordinate system, overriding the file's (.prj, GeoJSON crs); "" = from the file, else EPSG:4490
	Mapping Mapping    // the county's columns and values
	Mode    ImportMode // "" is ImportReject
	// Source names the dataset the file's feature ids (ext_id) belong to:
	// ids are unique within a source, so that two files numbering their
	// features 1..n never collide. "" is the file's name without its
	// extension; OpenStreetMap's ids are global, its source is always osm.
	Source string
	// Encoding overrides the detected text encoding of a Shapefile's dbf or
	// a CSV: "utf-8" or "gbk"; "" detects.
	Encoding string
	// MarginMetres is how far outside the loaded county outline a row may
	// lie before it is reported; 0 is the default, 2 km.
	MarginMetres float64
	// Strict makes every suspicion an error and the import write nothing:
	// coordinates that look like GCJ-02 (高德/DataV), rows outside the
	// county or of another province, shared placeholder points.
	Strict bool
	// Attribution is the credit the file's data requires, such as
	// "© OpenStreetMap contributors" for an extract converted to GeoJSON;
	// TileJSON, packs and exports carry it. An OSM extract read as such
	// records OSM's credit itself.
	Attribution string
	// ValidFrom is the file's 数据日期: the day its rows took effect in
	// the county (their valid_from, and the valid_to of the versions they
	// replace; see data.SetEffective). Zero: now.
	ValidFrom time.Time
	DryRun    bool // validate and count, then roll back
	// Progress, when set, is called from the reading goroutine every few
	// thousand rows with the rows read so far.
	Progress func(rows int64)
}

// ImportProblem is one fault in one row (Row 0: the file as a whole).
type ImportProblem struct {
	Row      int    `json:"row"`            // 1-based feature number, or the row as Excel numbers it for CSV (header = 1)
	ID       string `json:"id,omitempty"`   // the feature's own id or key, when it has one
	Field    string `json:"field"`          // schema field, "geom" for geometry, "" for the row as a whole
	Value    string `json:"value"`          // the value as given (cut short)
	Severity string `json:"severity"`       // "error" (row not written), "warning" (written as reported), "repaired" or "notice" (what was done, for the record)
	Reason   string `json:"reason"`         // what is wrong, in Chinese
	Hint     string `json:"hint,omitempty"` // what to do about it
}

// Problem severities.
const (
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityRepaired = "repaired"
	// SeverityNotice records what the import did with a row that is not a
	// problem: a long official name shortened, the rows a dry run would
	// update or leave unchanged.
	SeverityNotice = "notice"
)

// severityLabels name the severities in Chinese.
var severityLabels = map[string]string{SeverityError: "错误", SeverityWarning: "警告", SeverityRepaired: "已修复", SeverityNotice: "提示"}

// SeverityLabel returns the Chinese name of p's severity (错误, 警告,
// 已修复 or 提示), as the CSV report and the CLI show it.
func (p ImportProblem) SeverityLabel() string { return severityLabels[p.Severity] }

// ImportReport says what an import did, row by row where something was
// wrong. The same report answers the CLI and the API.
type ImportReport struct {
	Layer       string          `json:"layer"`
	File        string          `json:"file"`
	Format      string          `json:"format"`             // GeoJSON, GeoJSONSeq, CSV, Shapefile, GeoPackage, OSM PBF, OSM XML
	Encoding    string          `json:"encoding,omitempty"` // text encoding and how it was found
	SRS         string          `json:"srs"`                // input coordinate system and how it was found
	Mode        ImportMode      `json:"mode"`
	DryRun      bool            `json:"dry_run"`
	Source      string          `json:"source,omitempty"` // the dataset the file's feature ids belong to (see ImportOptions.Source), when it has ids
	Columns     []string        `json:"columns"`          // "file column → field" pairs as applied
	Read        int64           `json:"read"`             // rows read from the file
	Valid       int64           `json:"valid"`            // rows without errors
	Inserted    int64           `json:"inserted"`
	Updated     int64           `json:"updated"`
	Unchanged   int64           `json:"unchanged"` // good rows whose key exists with the same values (upsert mode): left as they are
	Skipped     int64           `json:"skipped"`   // good rows left out because their key exists (skip mode)
	Rejected    int64           `json:"rejected"`  // rows with at least one error
	Repaired    int64           `json:"repaired"`  // geometries made valid
	Errors      int64           `json:"errors"`    // problems of severity error, including those not listed
	Warnings    int64           `json:"warnings"`
	Notices     int64           `json:"notices"` // entries of severity notice, including those not listed
	Problems    []ImportProblem `json:"problems"`
	Truncated   int64           `json:"problems_truncated"` // problems counted but not listed
	Committed   bool            `json:"committed"`
	SourceID    int64           `json:"source_id,omitempty"`
	DataVersion int64           `json:"data_version,omitempty"` // the layer's tile version after the import
	Seconds     float64         `json:"seconds"`
	// Phases are the seconds each step took: read (parse and stage),
	// check, write.
	Phases  map[string]float64 `json:"phases,omitempty"`
	Message string             `json:"message"` // one line for people, in Chinese
}

// MaxListedProblems bounds the problems a report lists; the counts go on.
const MaxListedProblems = 10000

// MaxListedNotices bounds the notices among them, so that notices never
// crowd out the errors of a large file.
const MaxListedNotices = 1000

// Add records a problem, counting it whether or not it is listed.
func (r *ImportReport) Add(p ImportProblem) {
	switch p.Severity {
	case SeverityError:
		r.Errors++
	case SeverityWarning:
		r.Warnings++
	case SeverityNotice:
		r.Notices++
		if r.Notices > MaxListedNotices {
			r.Truncated++
			return
		}
	}
	if len(r.Problems) >= MaxListedProblems {
		r.Truncated++
		return
	}
	r.Problems = append(r.Problems, p)
}

// Summarise sets Message from the counts. A file in which every row lacks
// its geometry is one problem, not one per row: it is a code list (what
// 统计用区划代码 gives), and the message says how to load one.
func (r *ImportReport) Summarise(took time.Duration) {
	r.Seconds = took.Seconds()
	if r.collapseMissingGeometry() {
		return
	}
	switch {
	case r.DryRun && r.Rejected > 0 && r.Mode == ImportReject:
		r.Message = fmt.Sprintf("试导入（未写入）：读取 %d 行，%d 行有错误，按 reject 模式不会写入任何行。请按问题清单修改文件，或用 --mode skip 只导入无误的行", r.Read, r.Rejected)
	case r.DryRun:
		r.Message = fmt.Sprintf("试导入（未写入）：读取 %d 行，%d 行有错误，将新增 %d 行、更新 %d 行、%d 行与已有记录相同不变、跳过 %d 行", r.Read, r.Rejected, r.Inserted, r.Updated, r.Unchanged, r.Skipped)
	case !r.Committed && r.Rejected == 0:
		r.Message = fmt.Sprintf("未导入：读取 %d 行，文件有 %d 个错误（见问题清单），数据库未改动", r.Read, r.Errors)
	case !r.Committed:
		r.Message = fmt.Sprintf("未导入：%d 行中有 %d 行有错误，数据库未改动。请按问题清单修改文件，或用 --mode skip 只导入无误的行", r.Read, r.Rejected)
	default:
		r.Message = fmt.Sprintf("已导入：读取 %d 行，新增 %d 行，更新 %d 行，%d 行与已有记录相同未改动，跳过 %d 行，%d 行有错误未导入，修复几何 %d 个", r.Read, r.Inserted, r.Updated, r.Unchanged, r.Skipped, r.Rejected, r.Repaired)
	}
}

// collapseMissingGeometry replaces the per-row errors of a file whose
// every row was refused for lacking a geometry by one file-level error,
// and reports whether it did.
func (r *ImportReport) collapseMissingGeometry() bool {
	if r.Read == 0 || r.Rejected != r.Read || r.Committed {
		return false
	}
	var rest []ImportProblem
	n := int64(0)
	for _, p := range r.Problems {
		if p.Severity == SeverityError && p.Field == "geom" && strings.HasPrefix(p.Reason, "缺少几何") {
			n++
			continue
		}
		if p.Severity == SeverityError {
			return false // some row fails for another reason: list them all
		}
		rest = append(rest, p)
	}
	if n == 0 {
		return false
	}
	hint := "请在文件中加入坐标列（经度、纬度）或几何后重新导入"
	if r.Layer == "villages" || r.Layer == "townships" {
		hint = "只有代码和名称的乡镇、村清单请用 gapmap county init --code <6 位县代码> 从内置的统计用区划代码建立（未定位），" +
			"再导入“代码 + 坐标”（--mode upsert）或用 gapmap county locate 按名称匹配点文件附上位置"
	}
	p := ImportProblem{Field: "geom", Severity: SeverityError,
		Reason: fmt.Sprintf("全部 %d 行都缺少几何（坐标为空）", r.Read), Hint: hint}
	r.Problems = append([]ImportProblem{p}, rest...)
	r.Errors, r.Truncated = 1, 0
	r.Message = fmt.Sprintf("未导入：全部 %d 行都缺少几何（坐标），数据库未改动。%s", r.Read, hint)
	return true
}

// WriteCSV writes the problem list as a UTF-8 CSV with a BOM, so that Excel
// opens the Chinese text correctly.
func (r *ImportReport) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"行号", "编号", "字段", "值", "级别", "原因", "建议"})
	for _, p := range r.Problems {
		cw.Write([]string{strconv.Itoa(p.Row), p.ID, p.Field, p.Value, p.SeverityLabel(), p.Reason, p.Hint})
	}
	if r.Truncated > 0 {
		cw.Write([]string{"", "", "", "", "", fmt.Sprintf("另有 %d 个问题未列出", r.Truncated), ""})
	}
	cw.Flush()
	return cw.Error()
}

// ImportStore loads files into layers.
type ImportStore interface {
	// Import reads the file at path into opt.Layer in one transaction and
	// reports every problem. A report with Committed false and a nil error
	// means the file was read but not written (errors in reject mode, or a
	// dry run). The error is an *Error: EInvalid for a file that cannot be
	// read at all (unknown format, missing required column, bad --srs),
	// ENotFound for an unknown layer.
	Import(ctx context.Context, path string, opt ImportOptions) (ImportReport, error)
}

// ParseValidFrom reads a 数据日期 (YYYY-MM-DD, "" for none) given with an
// import: a day not after today.
func ParseValidFrom(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, "数据日期 valid_from 应为日期 YYYY-MM-DD，收到 %q", s)
	}
	if d.After(time.Now()) {
		return time.Time{}, Errorf(EInvalid, "数据日期 valid_from %s 晚于今天：只能录入已经生效的数据", s)
	}
	return d, nil
}

// ParseAsOf reads an as_of date (YYYY-MM-DD) of a request: a scoring run's
// reference date, or the day whose layers tiles and exports show.
func ParseAsOf(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, "as_of 应为日期 YYYY-MM-DD，收到 %q", s)
	}
	return d, nil
}
