package data

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/project"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/gpkg"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// An export is one query per layer, streamed row by row into a writer of
// data/export: memory stays flat whatever the layer's size, the response
// starts with the first row (a GeoPackage, a SQLite file, is written to a
// temporary file and then copied), and a client that goes away cancels
// the query through the request context.

// exportLayer is one layer as exported: its fields, the SQL that reads
// them (geometry last, as WKB in the output CRS), and the filters it takes.
type exportLayer struct {
	name, title, description string
	geometry                 string // export.Geom* (the catalogue spells them alike)
	fields                   []export.Field
	selects                  []string // SQL expressions, in fields order; identifiers from the catalogue
	geom                     string   // geometry expression in EPSG:4490
	from                     string
	township                 string // expression of the row's township code, "" to filter by outline
	filters                  []string
	labels                   map[int]map[string]string // by field index: stored value → what users read
}

// exportKinds maps field kinds to export field types.
var exportKinds = map[catalog.Kind]export.FieldType{
	catalog.Text: export.String, catalog.Code: export.String, catalog.Int: export.Int, catalog.Float: export.Float,
	catalog.Bool: export.Bool, catalog.Date: export.Date, catalog.TextList: export.String,
}

// tableExport describes a stored layer from its catalogue entry, so that an
// export carries the fields an import takes and reads back identically:
// the id, the fields, then the references as codes and names, then the
// entry's extra columns.
func tableExport(c *catalog.Layer) *exportLayer {
	l := &exportLayer{name: c.Table, title: c.Title, from: pgx.Identifier{c.Table}.Sanitize() + " x",
		geometry: c.Geometry, description: "gapmap 导出的" + c.Title, geom: "x." + pgx.Identifier{c.GeomCol}.Sanitize(),
		township: c.Export.Township, filters: c.Export.Filters}
	add := func(f catalog.Field, expr string) {
		l.fields = append(l.fields, export.Field{Name: f.Column, Title: f.Title, Type: exportKinds[f.Kind]})
		l.selects = append(l.selects, expr)
	}
	add(catalog.Field{Column: "id", Title: "序号", Kind: catalog.Int}, "x.id")
	var refs []catalog.Field
	for _, f := range c.Fields {
		if f.Read != "" {
			refs = append(refs, f)
			continue
		}
		add(f, columnExpr(f))
	}
	for _, f := range refs {
		add(f, f.Read)
	}
	for _, f := range c.Export.Extra {
		add(f, columnExpr(f))
	}
	return l
}

// columnExpr reads field f's column of the table aliased x as its export
// type.
func columnExpr(f catalog.Field) string {
	expr := "x." + pgx.Identifier{f.Column}.Sanitize()
	switch f.Kind {
	case catalog.TextList:
		return "array_to_string(" + expr + ", ';')"
	case catalog.Float:
		return expr + "::double precision" // numeric columns (cost_wan) too
	}
	return expr
}

// villageGapsExport joins the villages with the latest run's scores, exit
// checklist counts, every indicator's value and status (as users read it:
// 未达标, 达标, 无数据, 不适用) and, for the indicators with a need
// (planning.NeedUnits), that need and the cost of the projects that
// address it (not 已出库). geometry "outline" writes each village's
// outline where it has one, else its 村委会 point.
func villageGapsExport(title string, indicators []string, geometry string) *exportLayer {
	// $1 is the run, $2… the indicator ids, then the withdrawn state (query).
	withdrawn := len(indicators) + 2
	l := &exportLayer{name: catalog.VillageGaps, title: title, geometry: export.GeomPoint,
		description: "每个行政村/社区在最新评分批次中的四维缺口（0 = 达标，100 = 最差；空 = 无数据）、各缺口缺数据的权重（0–1）、" +
			fmt.Sprintf("数据不足的缺口（无数据，或 %.0f%% 以上权重缺数据）、退出清单、各指标实测值和判定，", planning.UnknownShare*100) +
			"以及待硬化里程（km）、未通自来水户数、配变容量缺口（kVA）和针对该指标的项目投资（万元，不含已出库）",
		from: fmt.Sprintf(`run_scores s JOIN villages x ON x.id = s.village_id JOIN townships t ON t.code = x.township_code
			LEFT JOIN LATERAL (SELECT jsonb_object_agg(i.indicator, jsonb_build_array(i.value, i.status, i.need)) AS ind
				FROM run_indicators i WHERE i.run_id = s.run_id AND i.village_id = s.village_id) ind ON true
			LEFT JOIN LATERAL (SELECT jsonb_object_agg(y.k, y.c) AS cost
				FROM (SELECT u.k, sum(p.cost_wan) AS c FROM projects p CROSS JOIN unnest(p.source_indicator_ids) u(k)
				      WHERE p.village_id = x.id AND p.status <> $%d GROUP BY u.k) y) cost ON true`, withdrawn),
		geom: "x.office", township: "x.township_code", filters: []string{"poor", "dimension", "min_score", "indicator", "result", "complete"},
		labels: map[int]map[string]string{}}
	if geometry == "outline" {
		l.geometry, l.geom = export.GeomGeometry, "coalesce(x.outline, x.office)"
		l.description += "；几何为村界（无村界的村为村委会点）"
	}
	add := func(name, title string, typ export.FieldType, expr string) {
		l.fields = append(l.fields, export.Field{Name: name, Title: title, Type: typ})
		l.selects = append(l.selects, expr)
	}
	add("code", "村代码", export.String, "x.code")
	add("name", "村名称", export.String, "x.name")
	add("township_code", "乡镇代码", export.String, "x.township_code")
	add("township", "乡镇", export.String, "t.name")
	add("is_poor_village", "是否贫困村", export.Bool, "x.is_poor_village")
	add("poor_households", "建档立卡贫困户数", export.Int, "x.poor_households::bigint")
	add("poor_population", "建档立卡贫困人口", export.Int, "x.poor_population::bigint")
	add("run_id", "评分批次", export.Int, "s.run_id")
	// A gap without data is an empty cell (null in GeoJSON), never 0; each
	// gap's missing share and the 数据不足 list say how far to trust it.
	add("composite", "综合缺口", export.Float, "s.composite")
	for _, dim := range planning.Dimensions {
		add(gapColumns[dim], dim+"缺口", export.Float, "s."+gapColumns[dim])
	}
	add("missing_weight", "综合缺数据权重", export.Float, "s.missing_weight")
	for _, dim := range planning.Dimensions {
		add(missingColumns[gapColumns[dim]], dim+"缺数据权重", export.Float, "s."+missingColumns[gapColumns[dim]])
	}
	add("unknown", "数据不足", export.String, catalog.UnknownGaps("s"))
	add("exit_fail", "退出清单未达标项", export.Int, "s.exit_fail::bigint")
	add("exit_no_data", "退出清单无数据项", export.Int, "s.exit_no_data::bigint")
	for i, id := range indicators {
		// The indicator ids come from the database; they are bound as
		// parameters ($2…) rather than written into the SQL.
		add(id+"_value", id+" 实测值", export.Float, fmt.Sprintf("(ind.ind -> $%d ->> 0)::double precision", i+2))
		l.labels[len(l.fields)] = planning.ResultTitles
		add(id+"_status", id+" 判定", export.String, fmt.Sprintf("ind.ind -> $%d ->> 1", i+2))
		if unit, ok := planning.NeedUnits[id]; ok {
			add(id+"_need", fmt.Sprintf("%s %s（%s）", id, needTitles[id], unit), export.Float, fmt.Sprintf("(ind.ind -> $%d ->> 2)::double precision", i+2))
			add(id+"_cost_wan", id+" 项目投资（万元）", export.Float, fmt.Sprintf("coalesce((cost.cost ->> $%d)::double precision, 0)", i+2))
		}
	}
	return l
}

// needTitles name the needs of planning.NeedUnits.
var needTitles = map[string]string{"R1": "待硬化里程", "W5": "未通自来水户数", "E1": "配变容量缺口"}

// exportable lists the layers users may ask for.
func (s *Store) exportable() []string { return append(s.layers.Tables(), catalog.VillageGaps) }

// Export implements planning.ExportStore.
func (s *Store) Export(ctx context.Context, w io.Writer, opt planning.ExportOptions) error {
	return s.export(ctx, opt, func(s *Store, plan []*exportLayer, out outputCRS, runID int64, meta export.Meta) error {
		if opt.Format == "gpkg" {
			return s.exportGeoPackage(ctx, w, plan, opt, out, runID, meta)
		}
		ew, err := newExportWriter(w, opt)
		if err != nil {
			return err
		}
		return s.writeLayers(ctx, ew, plan, opt, out, runID, meta)
	})
}

// exportWrite writes the planned layers with the Store that reads them
// (a snapshot's for a past date).
type exportWrite func(s *Store, plan []*exportLayer, out outputCRS, runID int64, meta export.Meta) error

// export checks opt, plans its layers with their filters and hands them to
// write: the one path of the exports and the village table.
func (s *Store) export(ctx context.Context, opt planning.ExportOptions, write exportWrite) error {
	if _, ok := planning.ExportFormats[opt.Format]; !ok {
		return planning.Errorf(planning.EInvalid, "未知的导出格式 %q", opt.Format)
	}
	if !opt.AsOf.IsZero() {
		past, err := s.ForDate(ctx, opt.AsOf)
		if err != nil {
			return err
		}
		if past != s {
			opt.AsOf = time.Time{}
			return past.export(ctx, opt, write)
		}
	}
	names := opt.Layers
	if len(names) == 1 && names[0] == "county" {
		names = s.exportable()
	}
	if len(names) > 1 && opt.Format != "gpkg" && opt.Format != "shp.zip" && opt.Format != "xlsx" {
		return planning.Errorf(planning.EInvalid, "%s 格式一次只能导出一个图层；多个图层请用 gpkg、shp.zip 或 xlsx", opt.Format)
	}
	out, err := s.outputSRS(ctx, opt)
	if err != nil {
		return err
	}
	var plan []*exportLayer
	var runID int64
	for _, name := range names {
		var l *exportLayer
		switch {
		case name == catalog.VillageGaps:
			run, err := s.LatestRun(ctx)
			if err != nil {
				return planning.Errorf(planning.EInvalid, "还没有评分结果，无法导出村缺口：请先运行 gapmap score")
			}
			runID = run.ID
			ids, err := s.runIndicators(ctx, runID)
			if err != nil {
				return err
			}
			if f := opt.Filter; f.Indicator != "" && !slices.Contains(ids, f.Indicator) {
				return planning.Errorf(planning.EInvalid, "indicator 应为评分指标之一（%s），收到 %q", strings.Join(ids, "、"), f.Indicator)
			}
			l = villageGapsExport(s.layers.Title(catalog.VillageGaps), ids, opt.Geometry)
		case s.layers.Layer(name) != nil:
			if opt.Geometry == "outline" {
				return planning.Errorf(planning.EInvalid, "参数 geometry 只用于村缺口（village_gaps），图层 %s 按其自身几何导出", name)
			}
			l = tableExport(s.layers.Layer(name))
		default:
			return planning.Errorf(planning.ENotFound, "没有可导出的图层 %q；可导出：%s（gpkg 可用 county 导出全部）", name, strings.Join(s.exportable(), "、"))
		}
		if err := checkFilters(l, opt.Filter); err != nil {
			return err
		}
		plan = append(plan, l)
	}
	meta, err := s.exportMeta(ctx, names, opt, out)
	if err != nil {
		return err
	}
	return write(s, plan, out, runID, meta)
}

// VillageTable implements planning.ExportStore: the village_gaps
// export's rows, read through the same plan and query, collected instead
// of written to a file.
func (s *Store) VillageTable(ctx context.Context, opt planning.ExportOptions) (planning.VillageTable, error) {
	// csv: coordinates stay in EPSG:4490 (no transform); the rows are not written.
	opt.Layers, opt.Format, opt.SRS, opt.Encoding, opt.Geometry = []string{catalog.VillageGaps}, "csv", "", "", ""
	c := &tableCollector{}
	table := func(s *Store) error {
		c = &tableCollector{} // afresh: a read the replica failed runs again on the primary
		return s.export(ctx, opt, func(s *Store, plan []*exportLayer, out outputCRS, runID int64, meta export.Meta) error {
			c.t.RunID = runID
			return s.writeLayers(ctx, c, plan, opt, out, runID, meta)
		})
	}
	var err error
	if opt.AsOf.IsZero() {
		err = s.apiReadStore(ctx, table)
	} else {
		err = table(s) // a date's table reads its snapshot, which the primary builds and keeps
	}
	return c.t, err
}

// tableCollector is export.Writer into a planning.VillageTable.
type tableCollector struct {
	t      planning.VillageTable
	fields []export.Field
}

// totalled says which columns the table totals: the needs and costs of
// villageGapsExport and the 建档立卡 counts.
func totalled(name string) bool {
	return strings.HasSuffix(name, "_need") || strings.HasSuffix(name, "_cost_wan") || name == "poor_households" || name == "poor_population"
}

var tableTypes = map[export.FieldType]string{export.String: "string", export.Int: "int", export.Float: "float", export.Bool: "bool"}

func (c *tableCollector) BeginLayer(l export.Layer) error {
	c.fields = l.Fields
	c.t.Totals = map[string]planning.TableTotal{}
	c.t.Rows = []map[string]any{}
	for _, f := range l.Fields {
		c.t.Fields = append(c.t.Fields, planning.TableField{Name: f.Name, Title: f.Title, Type: tableTypes[f.Type]})
		if totalled(f.Name) {
			c.t.Totals[f.Name] = planning.TableTotal{}
		}
	}
	return nil
}

func (c *tableCollector) Write(_ orb.Geometry, values []any) error {
	row := make(map[string]any, len(values))
	for i, f := range c.fields {
		row[f.Name] = values[i]
		t, ok := c.t.Totals[f.Name]
		if !ok {
			continue
		}
		switch v := values[i].(type) {
		case float64:
			t.Sum += v
		case int64:
			t.Sum += float64(v)
		case int32:
			t.Sum += float64(v)
		default:
			t.Unknown++
		}
		c.t.Totals[f.Name] = t
	}
	c.t.Rows = append(c.t.Rows, row)
	return nil
}

func (c *tableCollector) EndLayer() error           { return nil }
func (c *tableCollector) Close(_ export.Meta) error { return nil }

// newExportWriter returns the writer of a streaming format.
func newExportWriter(w io.Writer, opt planning.ExportOptions) (export.Writer, error) {
	switch opt.Format {
	case "geojson":
		return export.NewGeoJSON(w), nil
	case "csv":
		return export.NewCSV(w), nil
	case "kml":
		return export.NewKML(w), nil
	case "xlsx":
		return export.NewXLSX(w), nil
	case "shp.zip":
		enc := strings.ToLower(opt.Encoding)
		switch enc {
		case "", "utf-8", "utf8":
			enc = export.EncodingUTF8
		case "gbk", "cp936", "936":
			enc = export.EncodingGBK
		default:
			return nil, planning.Errorf(planning.EInvalid, "encoding 只能是 utf-8 或 gbk，收到 %q", opt.Encoding)
		}
		return export.NewShapefileZip(w, export.ShapefileOptions{Encoding: enc}), nil
	}
	return nil, planning.Errorf(planning.EInvalid, "未知的导出格式 %q", opt.Format)
}

// outputCRS is where exported coordinates go.
type outputCRS struct {
	srs  geo.SRS
	srid int    // the SRID PostGIS transforms to (4490 for GCJ-02, converted in Go)
	prj  string // its WKT for .prj files and GeoPackage definitions
}

func (s *Store) outputSRS(ctx context.Context, opt planning.ExportOptions) (outputCRS, error) {
	name := opt.SRS
	if name == "" {
		name = "EPSG:4490"
	}
	srs, err := geo.ParseSRS(name)
	if err != nil {
		return outputCRS{}, planning.Errorf(planning.EInvalid, "输出坐标系：%v", err)
	}
	out := outputCRS{srs: srs, srid: srs.EPSG}
	if srs.Datum == geo.DatumGCJ02 || srs.Datum == geo.DatumBD09 {
		out.srid = geo.WGS84
	}
	if (opt.Format == "geojson" || opt.Format == "kml") && srs.Projected {
		return out, planning.Errorf(planning.EInvalid, "%s 只能使用经纬度（EPSG:4326/4490 或 GCJ-02），不能用 %s", opt.Format, srs.Name)
	}
	err = s.pool.QueryRow(ctx, `SELECT srtext FROM spatial_ref_sys WHERE srid = $1`, out.srid).Scan(&out.prj)
	return out, translate(err, "output srs")
}

// checkFilters refuses filters the layer cannot apply.
func checkFilters(l *exportLayer, f planning.ExportFilter) error {
	used := map[string]bool{"poor": f.Poor != nil, "dimension": f.Dimension != "", "min_score": f.MinScore != nil,
		"status": f.Status != "", "year": f.Year != 0, "indicator": f.Indicator != "", "result": f.Result != "", "complete": f.Complete != nil}
	for name, on := range used {
		if on && !slices.Contains(l.filters, name) {
			return planning.Errorf(planning.EInvalid, "图层 %s 不支持筛选条件 %s", l.name, name)
		}
	}
	if _, ok := gapColumns[f.Dimension]; f.Dimension != "" && !ok {
		return planning.Errorf(planning.EInvalid, "dimension 只能是 通路、饮水、农网 或 光伏，收到 %q", f.Dimension)
	}
	switch {
	case f.Indicator != "" && f.Result == "":
		return planning.Errorf(planning.EInvalid, "indicator 需与 result（未达标、达标、无数据或不适用）同用")
	case f.Result != "" && f.Indicator == "" && f.Dimension == "":
		return planning.Errorf(planning.EInvalid, "result 需与 indicator（指标）或 dimension（维度）同用")
	case f.Result == planning.StatusNotApplicable && f.Indicator == "":
		return planning.Errorf(planning.EInvalid, "维度缺口没有“不适用”；请改选 未达标、达标 或 无数据")
	}
	return nil
}

// query builds the layer's SELECT with its filters as bound parameters.
func (l *exportLayer) query(f planning.ExportFilter, out outputCRS, runID int64, indicators []string) (string, []any) {
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var where []string
	if l.name == catalog.VillageGaps {
		where = append(where, "s.run_id = "+arg(runID))
		for _, id := range indicators {
			arg(id)
		}
		arg(planning.StateWithdrawn) // the cost join's (villageGapsExport)
		switch {
		case f.Indicator != "":
			where = append(where, fmt.Sprintf("ind.ind -> %s ->> 1 = %s", arg(f.Indicator), arg(f.Result)))
		case f.Result != "":
			// A dimension's result is its map class: 数据不足 (the run's
			// unknown_gaps) first, then a measured gap above 0 or 0.
			unknown := fmt.Sprintf("%s = ANY (s.unknown_gaps)", arg(f.Dimension))
			switch col := "s." + gapColumns[f.Dimension]; f.Result {
			case planning.StatusNoData:
				where = append(where, unknown)
			case planning.StatusFail:
				where = append(where, col+" > 0 AND NOT "+unknown)
			default:
				where = append(where, col+" = 0 AND NOT "+unknown)
			}
		}
		if f.Complete != nil {
			where = append(where, fmt.Sprintf("(cardinality(s.unknown_gaps) = 0) = %s", arg(*f.Complete)))
		}
	}
	if f.Township != "" {
		t := arg(f.Township)
		code := fmt.Sprintf("(SELECT code FROM townships WHERE code = %s OR name = %s LIMIT 1)", t, t)
		if l.township != "" {
			where = append(where, l.township+" = "+code)
		} else {
			where = append(where, fmt.Sprintf("ST_Intersects(%s, (SELECT coalesce(outline, seat) FROM townships WHERE code = %s))", l.geom, code))
		}
	}
	if f.Poor != nil {
		where = append(where, "x.is_poor_village = "+arg(*f.Poor))
	}
	if f.MinScore != nil {
		where = append(where, "s."+gapColumns[f.Dimension]+" >= "+arg(*f.MinScore))
	}
	if f.Status != "" {
		where = append(where, "x.status = "+arg(f.Status))
	}
	if f.Year != 0 {
		where = append(where, "x.year = "+arg(f.Year))
	}
	if f.BBox != nil {
		where = append(where, fmt.Sprintf("%s && ST_MakeEnvelope(%s, %s, %s, %s, 4490)", l.geom,
			arg(f.BBox.Min[0]), arg(f.BBox.Min[1]), arg(f.BBox.Max[0]), arg(f.BBox.Max[1])))
	}
	// A row stored before coordinates were checked on every write (1e308,
	// NaN, metres read as degrees) would fail ST_Transform and with it the
	// whole export: its geometry is left out (NULL) and the row flagged,
	// so writeLayer can name it. NaN compares above every number in
	// PostgreSQL, so the upper bounds catch it.
	box := geo.ChinaBound()
	inChina := fmt.Sprintf("(%[1]s IS NULL OR ST_XMin(%[1]s) >= %[2]s AND ST_XMax(%[1]s) <= %[3]s AND ST_YMin(%[1]s) >= %[4]s AND ST_YMax(%[1]s) <= %[5]s)",
		l.geom, arg(box.Min[0]), arg(box.Max[0]), arg(box.Min[1]), arg(box.Max[1]))
	geom := l.geom
	if out.srid != SRID {
		geom = fmt.Sprintf("ST_Transform(%s, %s::int)", geom, arg(out.srid))
	}
	q := "SELECT " + strings.Join(l.selects, ", ") + ", ST_AsBinary(CASE WHEN " + inChina + " THEN " + geom + " END), " + inChina + " FROM " + l.from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY 1", args
}

// runIndicators lists the indicator ids a run judged.
func (s *Store) runIndicators(ctx context.Context, runID int64) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT indicator FROM run_indicators WHERE run_id = $1 ORDER BY 1`, runID)
	if err != nil {
		return nil, translate(err, "run indicators")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, translate(err, "run indicators")
}

// writeLayers streams every layer into ew and closes it with meta.
func (s *Store) writeLayers(ctx context.Context, ew export.Writer, plan []*exportLayer, opt planning.ExportOptions, out outputCRS, runID int64, meta export.Meta) error {
	for _, l := range plan {
		var dropped []string
		if err := s.writeLayer(ctx, ew, l, opt, out, runID, &dropped); err != nil {
			ew.Close(meta)
			return err
		}
		if len(dropped) > 0 {
			s.log.Warn("export: rows with coordinates outside China written without geometry", "layer", l.name, "rows", len(dropped), "first", dropped[0])
			meta.Dropped = append(meta.Dropped, droppedNote(l, dropped))
		}
	}
	return ew.Close(meta)
}

// droppedNote says, in Chinese, which rows of l were exported without
// their geometry: named by the layer's first column (its order).
func droppedNote(l *exportLayer, keys []string) string {
	const shown = 10
	list := strings.Join(keys[:min(len(keys), shown)], "、")
	if len(keys) > shown {
		list += " 等"
	}
	title := l.title
	if title == "" {
		title = l.name
	}
	label := l.fields[0].Title
	if label == "" {
		label = l.fields[0].Name
	}
	return fmt.Sprintf("%s（%s）有 %d 行的坐标超出中国范围或不是有效数字（%s为 %s），无法换算，导出时几何为空，请在系统中修正",
		title, l.name, len(keys), label, list)
}

// writeLayer writes l's rows into ew and adds to dropped the first column
// of each row whose stored geometry lies outside China (see query), which
// is written without its geometry.
func (s *Store) writeLayer(ctx context.Context, ew export.Writer, l *exportLayer, opt planning.ExportOptions, out outputCRS, runID int64, dropped *[]string) error {
	var indicators []string
	if l.name == catalog.VillageGaps {
		for _, f := range l.fields {
			if id, ok := strings.CutSuffix(f.Name, "_value"); ok {
				indicators = append(indicators, id)
			}
		}
	}
	srid := out.srid
	if srid == SRID && (opt.Format == "geojson" || opt.Format == "kml") {
		srid = geo.WGS84 // RFC 7946 and KML say WGS 84; CGCS2000 is the same to centimetres
	}
	if err := ew.BeginLayer(export.Layer{Name: l.name, Title: l.title, Description: l.description, Geometry: l.geometry,
		SRID: srid, SRSName: out.srs.Name, PRJ: out.prj, Fields: l.fields}); err != nil {
		return err
	}
	q, args := l.query(opt.Filter, out, runID, indicators)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return translate(err, "export "+l.name)
	}
	defer rows.Close()
	vals := make([]any, len(l.fields))
	for rows.Next() {
		raw, err := rows.Values()
		if err != nil {
			return translate(err, "export "+l.name)
		}
		copy(vals, raw[:len(l.fields)])
		for i, labels := range l.labels {
			if v, ok := vals[i].(string); ok && labels[v] != "" {
				vals[i] = labels[v]
			}
		}
		if ok, _ := raw[len(l.fields)+1].(bool); !ok {
			*dropped = append(*dropped, fmt.Sprint(vals[0]))
		}
		var g orb.Geometry
		if b, ok := raw[len(l.fields)].([]byte); ok && b != nil {
			if g, err = wkb.Unmarshal(b); err != nil {
				return fmt.Errorf("export %s: geometry: %w", l.name, err)
			}
			switch out.srs.Datum {
			case geo.DatumGCJ02:
				g = project.Geometry(g, geo.WGS84ToGCJ02)
			case geo.DatumBD09:
				g = project.Geometry(g, geo.WGS84ToBD09)
			}
		}
		if err := ew.Write(g, vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "export "+l.name)
	}
	return ew.EndLayer()
}

// exportMeta records what is exported, with which filters, from which data
// version.
func (s *Store) exportMeta(ctx context.Context, names []string, opt planning.ExportOptions, out outputCRS) (export.Meta, error) {
	versions, err := s.Versions(ctx)
	if err != nil {
		return export.Meta{}, err
	}
	var vs []string
	for _, n := range names {
		if v, ok := versions[n]; ok {
			vs = append(vs, fmt.Sprintf("%s=%d", n, v))
		}
	}
	if v, ok := versions["scores"]; ok {
		vs = append(vs, fmt.Sprintf("scores=%d", v))
	}
	credits, synthetic, err := s.provenance(ctx)
	if err != nil {
		return export.Meta{}, err
	}
	f := opt.Filter
	filters := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			filters[k] = v
		}
	}
	set("乡镇（township）", f.Township)
	if f.Poor != nil {
		set("贫困村（poor）", fmt.Sprint(*f.Poor))
	}
	set("维度（dimension）", f.Dimension)
	if f.MinScore != nil {
		set("最低缺口（min_score）", fmt.Sprint(*f.MinScore))
	}
	set("状态（status）", f.Status)
	if f.Year != 0 {
		set("年度（year）", fmt.Sprint(f.Year))
	}
	if f.Indicator != "" {
		set("指标（indicator）", f.Indicator)
	}
	if f.Result != "" {
		set("结果（result）", planning.ResultTitles[f.Result])
	}
	if f.Complete != nil {
		set("数据完整（complete）", map[bool]string{true: "数据完整", false: "有数据不足的缺口"}[*f.Complete])
	}
	if opt.Geometry == "outline" {
		set("几何（geometry）", "村界")
	}
	if f.BBox != nil {
		set("范围（bbox）", fmt.Sprintf("%g,%g,%g,%g", f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1]))
	}
	return export.Meta{Layers: names, Filters: filters, DataVersion: strings.Join(vs, "，"), ExportedAt: time.Now(),
		Source: "gapmap " + s.Target(), Attribution: strings.Join(credits, "; "), Synthetic: synthetic, CRS: out.srs.Name}, nil
}

// exportGeoPackage writes the layers into a temporary GeoPackage (SQLite
// needs a file it can seek in) and copies it to w.
func (s *Store) exportGeoPackage(ctx context.Context, w io.Writer, plan []*exportLayer, opt planning.ExportOptions, out outputCRS, runID int64, meta export.Meta) error {
	dir, err := os.MkdirTemp("", "gapmap-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := dir + "/export.gpkg"
	gw, err := gpkg.Create(path)
	if err != nil {
		return err
	}
	ew := &gpkgExport{w: gw, srs: out}
	if err := s.writeLayers(ctx, ew, plan, opt, out, runID, meta); err != nil {
		gw.Abort()
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// gpkgExport is export.Writer over a GeoPackage.
type gpkgExport struct {
	w   *gpkg.Writer
	srs outputCRS
	lw  *gpkg.LayerWriter
}

var gpkgTypes = map[export.FieldType]string{export.String: "TEXT", export.Int: "INTEGER", export.Float: "REAL",
	export.Bool: "BOOLEAN", export.Date: "DATE", export.DateTime: "DATETIME"}

func (g *gpkgExport) BeginLayer(l export.Layer) error {
	if l.SRID != gpkg.SRSCGCS2000 && l.SRID != gpkg.SRSWGS84 {
		if err := g.w.AddSRS(gpkg.SRS{ID: l.SRID, Name: l.SRSName, Organization: "EPSG", OrgID: l.SRID, Definition: l.PRJ}); err != nil {
			return err
		}
	}
	cols := make([]gpkg.Column, len(l.Fields))
	for i, f := range l.Fields {
		name := f.Name
		if name == "id" {
			name = "gapmap_id" // fid is the GeoPackage's own key
		}
		cols[i] = gpkg.Column{Name: name, Type: gpkgTypes[f.Type], Description: f.Title}
	}
	geomType := strings.ToUpper(l.Geometry)
	if geomType == "" {
		geomType = "GEOMETRY"
	}
	lw, err := g.w.CreateLayer(l.Name, l.Title, l.Description, geomType, l.SRID, cols)
	g.lw = lw
	return err
}

func (g *gpkgExport) Write(geom orb.Geometry, values []any) error { return g.lw.Insert(geom, values) }
func (g *gpkgExport) EndLayer() error                             { return nil }

func (g *gpkgExport) Close(meta export.Meta) error {
	text := fmt.Sprintf("gapmap 导出\n图层：%s\n筛选：%s\n数据版本：%s\n导出时间：%s\n坐标系：%s\n来源：%s\n署名：%s\n",
		strings.Join(meta.Layers, "、"), export.FiltersText(meta.Filters), meta.DataVersion, meta.ExportedAt.Format(time.RFC3339), meta.CRS, meta.Source, meta.Attribution)
	if len(meta.Synthetic) > 0 {
		text += "数据性质：" + export.SyntheticNote(meta.Synthetic) + "\n"
	}
	for _, d := range meta.Dropped {
		text += "几何置空：" + d + "\n"
	}
	if err := g.w.AddMetadata("", "text/plain", text); err != nil {
		return err
	}
	return g.w.Close()
}
