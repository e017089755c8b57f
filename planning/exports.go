package planning

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// ExportFormats are the formats of GET /api/v1/exports/{layer}.{format},
// with their content types.
var ExportFormats = map[string]string{
	"gpkg":    "application/geopackage+sqlite3",
	"shp.zip": "application/zip",
	"geojson": "application/geo+json",
	"kml":     "application/vnd.google-earth.kml+xml",
	"csv":     "text/csv; charset=utf-8",
	"xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// ExportFilter narrows an export. Filters a layer has no column for are
// errors, so that a consultant never gets more than they asked for
// without knowing it.
type ExportFilter struct {
	Township  string     // township code or name (layers without a township column: features within its outline)
	Poor      *bool      // villages, village_gaps: 贫困村 only (or not)
	Dimension string     // village_gaps: 通路, 饮水, 农网 or 光伏, with MinScore
	MinScore  *float64   // village_gaps: gap of Dimension (or composite) at least this
	Status    string     // projects
	Year      int        // projects
	BBox      *orb.Bound // EPSG:4490 lon/lat
	// village_gaps: Result (a Status* constant) of Indicator (R1…), or,
	// without Indicator, of Dimension's gap (no_data: 数据不足 there).
	Indicator string
	Result    string
	// village_gaps: Complete true keeps the villages none of whose gaps is
	// 数据不足, false those with at least one.
	Complete *bool
}

// ResultTitles are the indicator states as users read them, in the page,
// the village table and the exported attributes.
var ResultTitles = map[string]string{StatusFail: "未达标", StatusPass: "达标", StatusNoData: "无数据", StatusNotApplicable: "不适用"}

// parseResult reads ?result= as a Status* constant or its title.
func parseResult(v string) (string, error) {
	for st, title := range ResultTitles {
		if v == st || v == title {
			return st, nil
		}
	}
	return "", Errorf(EInvalid, "result 应为 未达标（fail）、达标（pass）、无数据（no_data）或 不适用（not_applicable），收到 %q", v)
}

// ExportOptions is one export request.
type ExportOptions struct {
	Layers   []string // one layer, or several for a GeoPackage "county package"
	Format   string   // a key of ExportFormats
	SRS      string   // output CRS: "" (EPSG:4490), EPSG:4326, a CGCS2000 Gauss-Krüger zone, gcj02
	Encoding string   // shp.zip: "utf-8" (default) or "gbk"
	Filter   ExportFilter
	// AsOf, when before today, exports the layers as they were at the end
	// of that day (their history) and village_gaps of the latest run of
	// them; zero: as they are.
	AsOf time.Time
	// Geometry of village_gaps: "office" (the 村委会 point, the default) or
	// "outline" (the village's boundary where known, else its point).
	Geometry string
}

// ExportStore writes exports.
type ExportStore interface {
	// Export streams the layers to w, row by row from the database. Errors
	// before the first byte are *Error (EInvalid for a bad option or
	// filter, ENotFound for an unknown layer).
	Export(ctx context.Context, w io.Writer, opt ExportOptions) error
	// VillageTable answers the village table: opt's Filter and AsOf
	// apply; its layers, format and geometry do not.
	VillageTable(ctx context.Context, opt ExportOptions) (VillageTable, error)
}

// ParseExportQuery reads the export options of a request, the API's
// query or the CLI's --filter (both url.Values, so the two cannot drift
// apart): layer is a
// layer, a comma-separated list, or "county" (every layer and village_gaps;
// GeoPackage only); query holds srs, encoding and the filters township,
// poor, dimension, min_score, status, year and bbox (minlon,minlat,maxlon,maxlat).
func ParseExportQuery(layer, format string, q url.Values) (ExportOptions, error) {
	allowed := []string{"srs", "encoding", "township", "poor", "dimension", "min_score", "status", "year", "bbox", "as_of",
		"indicator", "result", "complete", "geometry"}
	for key := range q {
		if !slices.Contains(allowed, key) {
			return ExportOptions{}, Errorf(EInvalid, "未知的查询参数 %q；可用参数：%s", key, strings.Join(allowed, ", "))
		}
	}
	opt := ExportOptions{Layers: strings.Split(layer, ","), Format: format, SRS: q.Get("srs"), Encoding: q.Get("encoding"),
		Filter:   ExportFilter{Township: q.Get("township"), Dimension: q.Get("dimension"), Status: q.Get("status"), Indicator: q.Get("indicator")},
		Geometry: q.Get("geometry")}
	switch opt.Geometry {
	case "", "office", "outline":
	default:
		return opt, Errorf(EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", opt.Geometry)
	}
	if v := q.Get("result"); v != "" {
		st, err := parseResult(v)
		if err != nil {
			return opt, err
		}
		opt.Filter.Result = st
	}
	if v := q.Get("complete"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opt, Errorf(EInvalid, "complete 应为 true（数据完整）或 false（有数据不足的缺口），收到 %q", v)
		}
		opt.Filter.Complete = &b
	}
	if v := q.Get("poor"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opt, Errorf(EInvalid, "poor 应为 true 或 false，收到 %q", v)
		}
		opt.Filter.Poor = &b
	}
	if v := q.Get("min_score"); v != "" {
		f, err := ParseMinScore(v)
		if err != nil {
			return opt, err
		}
		opt.Filter.MinScore = &f
	}
	if v := q.Get("as_of"); v != "" {
		d, err := ParseAsOf(v)
		if err != nil {
			return opt, err
		}
		opt.AsOf = d
	}
	if v := q.Get("year"); v != "" {
		y, err := ParseYear(v)
		if err != nil {
			return opt, err
		}
		opt.Filter.Year = y
	}
	if v := q.Get("bbox"); v != "" {
		var b [4]float64
		parts := strings.Split(v, ",")
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			var err error
			b[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			ok = err == nil && finite(b[i])
		}
		if !ok || b[0] >= b[2] || b[1] >= b[3] {
			return opt, Errorf(EInvalid, "bbox 应为 最小经度,最小纬度,最大经度,最大纬度，收到 %q", v)
		}
		opt.Filter.BBox = &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	}
	return opt, nil
}

// VillageTable is the village_gaps export as the page's village table
// reads it: the same filter (ExportFilter, applied in SQL by the export's
// query), the same fields and rows, and the totals of the filtered set.
type VillageTable struct {
	RunID  int64            `json:"run_id"`
	Fields []TableField     `json:"fields"`
	Rows   []map[string]any `json:"rows"` // by field name, in the export's order (by code)
	// Totals of every numeric need, cost and 建档立卡 column over Rows; a
	// total says how many rows lacked a value (Unknown), never counts them
	// as 0.
	Totals map[string]TableTotal `json:"totals"`
}

// TableField is one column of a VillageTable.
type TableField struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Type  string `json:"type"` // string, int, float or bool
}

// TableTotal is the sum of one column over the rows that have a value.
type TableTotal struct {
	Sum     float64 `json:"sum"`
	Unknown int     `json:"unknown"` // rows without a value
}
