package data

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// Where an import's rows lie, against the county outlines already loaded
// (issue #17): rows beyond a margin outside the county, codes of another
// province, many rows on one identical point, an extent far larger than
// the county, and coordinates that fit the outline better once taken as
// GCJ-02 (高德/DataV) and converted. Each check is one set-based query
// over the rows as staged (with their row numbers) or, after a direct
// load, over the rows just written (without them: any finding sends the
// import through the staging table, which names the rows).

// identicalPoints is how many rows on one identical point are reported:
// two buildings may share a point, three rows rarely do unless a
// geocoder put every unknown address on the county seat.
const identicalPoints = 3

// gcjProbe bounds the GCJ-02 offset test: the vertices of the first rows
// are a sample that decides it as well as all of them.
const (
	gcjProbeRows     = 2000
	gcjProbeVertices = 20000
)

// countyArea is the county outlines loaded, as the checks need them.
type countyArea struct {
	loaded    bool
	provinces []string  // the first two digits of the loaded counties' codes
	centre    orb.Point // of the outlines' extent
	env       orb.Bound
}

// suspicion is a finding of the spatial checks: a problem whose severity
// the import's mode and --strict decide (see spatialSeverity), and the
// rows it concerns.
type suspicion struct {
	p    planning.ImportProblem
	rows []int // every row the problem concerns (p.Row is the first)
	gcj  bool  // a GCJ-02 suspicion, which is an error only in --strict
}

// loadCounty writes the county outlines into a temporary table the
// checks share: their union, its boundary, and the union buffered by
// the margin, so that a row inside is decided by one prepared
// intersection. IF NOT EXISTS: a direct load that gave way to staging has
// rolled its copy back with the savepoint.
func (im *importer) loadCounty(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_county
		(g geometry, bnd geometry, bndg geography, near geometry, provinces text[]) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM import_county`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO import_county
		SELECT g, ST_Boundary(g), ST_Boundary(g)::geography, ST_SetSRID(ST_Buffer(g::geography, $1)::geometry, 4490), provinces
		FROM (SELECT ST_Union(outline) AS g, array_agg(DISTINCT left(code, 2)) AS provinces FROM counties WHERE outline IS NOT NULL) c
		WHERE g IS NOT NULL`, im.margin); err != nil {
		return err
	}
	var provinces []string
	var x0, y0, x1, y1 float64
	err := tx.QueryRow(ctx, `SELECT provinces, ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM import_county`).Scan(&provinces, &x0, &y0, &x1, &y1)
	if err == pgx.ErrNoRows {
		im.county = countyArea{}
		return nil
	}
	if err != nil {
		return err
	}
	env := orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	im.county = countyArea{loaded: true, provinces: provinces, centre: env.Center(), env: env}
	return nil
}

// spatialRows is the relation the checks read: row_no, fid, geom and the
// administrative code columns. from is a fixed table expression; args
// are its parameters.
type spatialRows struct {
	from  string
	args  []any
	named bool // row_no names the rows (staging); else any finding is enough
}

// stagedRows is the staging table: every part of every row.
func (im *importer) stagedSpatialRows() spatialRows {
	return spatialRows{from: "import_stage", named: true}
}

// writtenRows are the rows a direct load has just written.
func (im *importer) writtenSpatialRows() spatialRows {
	cols := []string{"NULL::integer AS row_no", "NULL::text AS fid", pgx.Identifier{im.layer.GeomCol}.Sanitize() + " AS geom"}
	for _, c := range im.codeCols() {
		cols = append(cols, pgx.Identifier{c}.Sanitize())
	}
	return spatialRows{from: "(SELECT " + strings.Join(cols, ", ") + " FROM " + pgx.Identifier{im.layer.Table}.Sanitize() + " WHERE source_id = $1)",
		args: []any{im.sourceID}}
}

// adminCodes are the columns that hold a statistical division code, whose
// first two digits name the province.
var adminCodes = []string{"county_code", "township_code", "village_code", "parent_code"}

// codeCols are the administrative code columns the import fills.
func (im *importer) codeCols() []string {
	var out []string
	for _, c := range im.cols {
		if slices.Contains(adminCodes, c) || c == "code" && (im.layer.Table == "townships" || im.layer.Table == "villages") {
			out = append(out, c)
		}
	}
	return out
}

// spatial runs the checks on rows and returns what they found. With
// rows.named false it stops at the first finding.
func (im *importer) spatial(ctx context.Context, tx pgx.Tx, rows spatialRows) ([]suspicion, error) {
	var found []suspicion
	enough := func() bool { return !rows.named && len(found) > 0 }
	if err := im.identical(ctx, tx, rows, &found); err != nil || enough() {
		return found, err
	}
	if !im.county.loaded {
		if im.dataV != nil {
			found = append(found, im.dataVSuspicion())
		}
		return found, nil
	}
	if im.layer.Table != "counties" { // the outlines are the county; other counties are not outside it
		if err := im.outside(ctx, tx, rows, &found); err != nil || enough() {
			return found, err
		}
		if err := im.province(ctx, tx, rows, &found); err != nil || enough() {
			return found, err
		}
		if !slices.ContainsFunc(found, func(s suspicion) bool { return s.p.Field == "geom" }) {
			if err := im.extent(ctx, tx, rows, &found); err != nil || enough() {
				return found, err
			}
		}
	}
	return found, im.gcjOffset(ctx, tx, rows, &found)
}

// outside finds the rows beyond the margin outside the county, with
// their distance from it.
func (im *importer) outside(ctx context.Context, tx pgx.Tx, rows spatialRows, found *[]suspicion) error {
	var row *int32
	var fid, where string
	var dist float64
	return collect(ctx, tx, `SELECT DISTINCT ON (p.row_no) p.row_no, coalesce(p.fid, ''),
			ST_AsText(ST_GeometryN(ST_Points(p.geom), 1), 6), ST_Distance(p.geom::geography, c.g::geography)
		FROM `+rows.from+` p, import_county c
		WHERE p.geom IS NOT NULL AND NOT ST_Intersects(p.geom, c.near)
		ORDER BY p.row_no, 4 DESC`+limitUnless(rows.named), rows.args, []any{&row, &fid, &where, &dist}, func() {
		*found = append(*found, im.rowSuspicion(row, fid, "geom", where,
			fmt.Sprintf("位于县界外 %.1f km", dist/1000), "请核对坐标或坐标系；不属于本县的数据请从文件中删去"))
	})
}

// province finds rows whose division codes belong to a province none of
// the loaded counties is in.
func (im *importer) province(ctx context.Context, tx pgx.Tx, rows spatialRows, found *[]suspicion) error {
	loaded := strings.Join(im.county.provinces, "、")
	for _, c := range im.codeCols() {
		id := pgx.Identifier{c}.Sanitize()
		var row *int32
		var fid, code string
		args := append(slices.Clone(rows.args), im.county.provinces)
		err := collect(ctx, tx, fmt.Sprintf(`SELECT DISTINCT ON (row_no) row_no, coalesce(fid, ''), %s FROM %s p
			WHERE length(%s) >= 2 AND NOT (left(%s, 2) = ANY ($%d)) ORDER BY row_no%s`, id, rows.from, id, id, len(args), limitUnless(rows.named)),
			args, []any{&row, &fid, &code}, func() {
				title := c
				if f := im.layer.Field(c); f != nil {
					title = f.Title
				}
				*found = append(*found, im.rowSuspicion(row, fid, c, code,
					fmt.Sprintf("%s %s 属于其他省份（代码前两位 %s，已加载的县在 %s）", title, code, code[:2], loaded), "请核对代码；不属于本县的数据请从文件中删去"))
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// identical finds points shared by identicalPoints rows or more: one
// problem a point, listing its rows.
func (im *importer) identical(ctx context.Context, tx pgx.Tx, rows spatialRows, found *[]suspicion) error {
	if im.layer.Role != catalog.RolePoint && im.layer.Role != catalog.RoleSeat {
		return nil
	}
	var at []int32
	var fid, where string
	return collect(ctx, tx, `SELECT array_agg(DISTINCT p.row_no ORDER BY p.row_no) FILTER (WHERE p.row_no IS NOT NULL), coalesce(min(p.fid), ''), min(ST_AsText(p.geom, 6))
		FROM `+rows.from+` p WHERE GeometryType(p.geom) = 'POINT'
		GROUP BY ST_X(p.geom), ST_Y(p.geom) HAVING count(*) >= `+strconv.Itoa(identicalPoints)+`
		ORDER BY 1`+limitUnless(rows.named), rows.args, []any{&at, &fid, &where}, func() {
		var first *int32
		list := make([]string, 0, 20)
		for i, r := range at {
			if i == 0 {
				first = &at[0]
			}
			if i < 20 {
				list = append(list, strconv.Itoa(int(r)))
			}
		}
		more := ""
		if len(at) > 20 {
			more = fmt.Sprintf(" 等 %d 行", len(at))
		}
		s := im.rowSuspicion(first, fid, "geom", where,
			fmt.Sprintf("%d 行坐标完全相同（第 %s 行%s），很可能是占位坐标", len(at), strings.Join(list, "、"), more),
			"请核对这些行的坐标：没有位置的记录不要填同一个点")
		for _, r := range at {
			s.rows = append(s.rows, int(r))
		}
		*found = append(*found, s)
	})
}

// extent finds a file whose rows, each near the county, together span far
// more than the county: roads that run on to other counties, say.
func (im *importer) extent(ctx context.Context, tx pgx.Tx, rows spatialRows, found *[]suspicion) error {
	var x0, y0, x1, y1 *float64
	if err := tx.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM `+rows.from+` p) x`,
		rows.args...).Scan(&x0, &y0, &x1, &y1); err != nil || x0 == nil {
		return err
	}
	file := orb.Bound{Min: orb.Point{*x0, *y0}, Max: orb.Point{*x1, *y1}}
	c := im.county.env
	// Half the county's size on every side, and at least the margin.
	padX := math.Max((c.Max[0]-c.Min[0])/2, im.margin/metresPerDegree(c.Center()[1]))
	padY := math.Max((c.Max[1]-c.Min[1])/2, im.margin/metresPerDegree(0))
	fits := orb.Bound{Min: orb.Point{c.Min[0] - padX, c.Min[1] - padY}, Max: orb.Point{c.Max[0] + padX, c.Max[1] + padY}}
	if fits.Contains(file.Min) && fits.Contains(file.Max) {
		return nil
	}
	fw, fh := boundKm(file)
	cw, ch := boundKm(c)
	*found = append(*found, suspicion{p: planning.ImportProblem{Field: "geom",
		Value:  fmt.Sprintf("%.4f,%.4f – %.4f,%.4f", file.Min[0], file.Min[1], file.Max[0], file.Max[1]),
		Reason: fmt.Sprintf("数据范围约 %.0f × %.0f km，远大于县域（约 %.0f × %.0f km）", fw, fh, cw, ch),
		Hint:   "请核对文件是否只含本县的数据，或先裁剪到县域"}})
	return nil
}

// metresPerDegree is the length of a degree of longitude at latitude lat
// (of latitude at 0), on the sphere: for messages and paddings only.
func metresPerDegree(lat float64) float64 { return 111320 * math.Cos(lat*math.Pi/180) }

// boundKm is a bound's width and height in kilometres.
func boundKm(b orb.Bound) (w, h float64) {
	return (b.Max[0] - b.Min[0]) * metresPerDegree(b.Center()[1]) / 1000, (b.Max[1] - b.Min[1]) * metresPerDegree(0) / 1000
}

// gcjVerdict is what the offset test measured.
type gcjVerdict struct {
	vertices, near     int     // sampled vertices, and those near the county boundary
	median0, median1   float64 // their median distance to it as they are and converted from GCJ-02, metres
	outside0, outside1 int     // sampled vertices outside the county as they are and converted
}

// suspect is true when the converted coordinates fit the county markedly
// better: vertices along its boundary (an outline, townships) come to lie
// on it, or points outside come inside.
func (v gcjVerdict) suspect() bool {
	aligned := v.near >= 10 && v.median0 >= 150 && v.median1*4 <= v.median0
	inside := v.outside0-v.outside1 >= 3 && v.outside1*3 <= v.outside0
	return aligned || inside
}

// fits is true when the coordinates as they are fit the boundary
// markedly better than converted: they are WGS-84 indeed.
func (v gcjVerdict) fits() bool {
	return v.near >= 10 && v.median1 >= 150 && v.median0*4 <= v.median1
}

// gcjOffset compares the rows with the county as they are and as if they
// were GCJ-02 converted to WGS-84. The conversion is taken as the shift at
// the county's centre: across a county it varies by tens of metres
// (临湘: 30 m), against an offset of 500–700 m. It runs only on longitude/
// latitude read as WGS-84.
func (im *importer) gcjOffset(ctx context.Context, tx pgx.Tx, rows spatialRows, found *[]suspicion) error {
	if im.srs.Datum != geo.DatumWGS84 {
		return nil
	}
	back := geo.GCJ02ToWGS84(im.county.centre)
	dx, dy := back[0]-im.county.centre[0], back[1]-im.county.centre[1]
	args := append(slices.Clone(rows.args), dx, dy)
	n := len(args)
	var v gcjVerdict
	var m0, m1 *float64
	err := tx.QueryRow(ctx, fmt.Sprintf(`WITH s AS (
			SELECT (ST_DumpPoints(geom)).geom AS v FROM (SELECT geom FROM %s p WHERE geom IS NOT NULL LIMIT %d) r LIMIT %d
		), m AS (
			SELECT v, ST_Translate(v, $%d, $%d) AS w FROM s
		), j AS (
			SELECT ST_Intersects(m.v, c.g) AS in0, ST_Intersects(m.w, c.g) AS in1,
			       ST_DWithin(m.v, c.bnd, 0.015) OR ST_DWithin(m.w, c.bnd, 0.015) AS near, m.v, m.w, c.bndg
			FROM m, import_county c
		), d AS (
			SELECT in0, in1, CASE WHEN near THEN ST_Distance(v::geography, bndg) END AS d0, CASE WHEN near THEN ST_Distance(w::geography, bndg) END AS d1 FROM j
		)
		SELECT count(*), count(d0), percentile_cont(0.5) WITHIN GROUP (ORDER BY d0), percentile_cont(0.5) WITHIN GROUP (ORDER BY d1),
		       count(*) FILTER (WHERE NOT in0), count(*) FILTER (WHERE NOT in1)
		FROM d`, rows.from, gcjProbeRows, gcjProbeVertices, n-1, n), args...).Scan(&v.vertices, &v.near, &m0, &m1, &v.outside0, &v.outside1)
	if err != nil {
		return err
	}
	if m0 != nil && m1 != nil {
		v.median0, v.median1 = *m0, *m1
	}
	im.gcj = v
	switch {
	case v.suspect():
		measured := fmt.Sprintf("县界外的点 %d 个，按 GCJ-02 换算后 %d 个", v.outside0, v.outside1)
		if v.near >= 10 && v.median1*4 <= v.median0 {
			measured = fmt.Sprintf("靠近县界的 %d 个顶点距已加载县界的中位距离 %.0f m，按 GCJ-02 换算到 WGS-84 后为 %.0f m", v.near, v.median0, v.median1)
		}
		*found = append(*found, suspicion{gcj: true, p: planning.ImportProblem{Field: "geom", Value: im.rep.SRS,
			Reason: "疑似高德/DataV GCJ-02 坐标，约偏移 500–700 m：" + measured,
			Hint:   gcjHint}})
	case im.dataV != nil && !v.fits():
		// Nothing measured either way: the fields alone say DataV.
		*found = append(*found, im.dataVSuspicion())
	}
	return nil
}

// gcjHint is what to do about a GCJ-02 suspicion.
const gcjHint = "如确为高德/DataV（GCJ-02）坐标，请加 --srs gcj02 重新导入；如已转换为 WGS-84，请加 --srs wgs84 明确指定"

// dataVSuspicion is the suspicion the DataV fields raise alone.
func (im *importer) dataVSuspicion() suspicion {
	return suspicion{gcj: true, p: planning.ImportProblem{Field: "geom", Value: strings.Join(im.dataV, ","),
		Reason: fmt.Sprintf("疑似高德/DataV GCJ-02 坐标，约偏移 500–700 m：文件带有 DataV 行政区划字段（%s），DataV 发布的坐标是 GCJ-02，而文件按 %s 导入", strings.Join(im.dataV, "、"), im.rep.SRS),
		Hint:   gcjHint}}
}

// rowSuspicion is a finding about one row (row nil: a row of a direct
// load, which staging will name).
func (im *importer) rowSuspicion(row *int32, fid, field, value, reason, hint string) suspicion {
	s := suspicion{p: planning.ImportProblem{ID: fid, Field: field, Value: ingest.Cut(value), Reason: reason, Hint: hint}}
	if row != nil {
		s.p.Row = int(*row)
		s.rows = []int{int(*row)}
	}
	return s
}

// limitUnless is " LIMIT 1" when the rows are not named: whether there is
// a finding is all a direct load needs.
func limitUnless(named bool) string {
	if named {
		return ""
	}
	return " LIMIT 1"
}

// report adds the findings to the report with their severity: a row
// outside the county, of another province, on a shared point or an
// extent too large is an error in reject mode (the county's data goes in
// whole or not at all) and with --strict, else a warning and the row is
// written; a GCJ-02 suspicion is an error only with --strict. An error
// leaves its rows out; suspectErr makes the import write nothing.
func (im *importer) reportSpatial(found []suspicion) {
	for _, s := range found {
		s.p.Severity = planning.SeverityWarning
		if im.strict || !s.gcj && im.rep.Mode == planning.ImportReject {
			s.p.Severity = planning.SeverityError
			im.suspectErr = true
			for _, r := range s.rows {
				if !im.bad[r] {
					im.bad[r] = true
					im.rep.Rejected++
				}
			}
		}
		im.rep.Add(s.p)
	}
}
