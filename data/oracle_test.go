package data_test

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// The indicator oracle re-measures every indicator of every village unit
// from the raw layers and compares it with a stored run. It was written
// from domain.md §1–5, the table schemas and the profile, without reading
// the scoring queries (score_facts.sql, road_pieces.sql, data/scoring.go)
// or using the routable graph they build (road_edges): its SQL is in
// testdata/oracle, its road graph and shortest paths are the Go below.
//
// Where domain.md leaves a choice open, the oracle takes the reading
// written next to its SQL: people outside any 自然村 live at the 村委会;
// a village is supplied by the works whose main passes nearest its 村委会
// within main_radius_m; roads join where they share a vertex or where an
// end lies within oracleEndJoinM of another road (crossings without a
// shared vertex are grade-separated); the 村委会 and the 乡镇驻地 join the
// hardened network at the nearest point of a 沥青/水泥 road within
// snap_tolerance_m.
//
// Unknown is unknown: a fact that a NULL input could turn either way is
// expected as no_data. For roads of unknown surface the oracle measures
// twice, once with them unhardened and once hardened, and expects a
// verdict only where both agree.

// oracleEndJoinM is how far a road's end may lie from another road and
// still join it: survey ends that stop short of the road they meet.
const oracleEndJoinM = 5.0

// oracleIndicators are the indicators every village unit carries.
var oracleIndicators = []string{"R1", "R2", "R3", "R4", "R5", "W1", "W2", "W3", "W4", "W5", "E1", "E2", "E3", "E4", "E5", "P1", "P2"}

// oracleExpect is the oracle's value and status of one indicator. Unit is
// checked only where the indicator reports one of two measures (E4).
type oracleExpect struct {
	Value  *float64
	Unit   string
	Status string
	Tol    float64 // absolute tolerance of Value
}

// oracleStored is one stored indicator row.
type oracleStored struct {
	Value  *float64
	Unit   string
	Status string
}

// Tolerances: 1 m of geodesy for distances, 0.1 %-point for shares
// oracleMeasured on geometry, and floating-point noise for values computed from
// attributes alone.
const (
	oracleTolMetre = 1.0
	oracleTolKm    = 0.001
	oracleTolShare = 0.1
	oracleTolExact = 1e-6
)

func TestIndicatorOracle(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	run, _, err := planning.Score(ctx, db.Store, p, asOf2016, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	want := oracleMeasure(t, db, p, asOf2016)
	t.Logf("oracle oracleMeasured %d village units in %v", len(want), time.Since(start).Round(time.Millisecond))
	got := oracleStoredRows(t, db.Pool, run.ID)
	if len(want) != 161 {
		t.Errorf("oracle oracleMeasured %d village units, want the demo's 161", len(want))
	}
	for _, d := range oracleCompare(want, got) {
		t.Error(d)
	}
	// The demo must exercise every verdict the oracle can reach, else an
	// agreement proves little.
	seen := map[string]bool{}
	for _, inds := range want {
		for id, e := range inds {
			seen[id+" "+e.Status] = true
		}
	}
	for _, s := range []string{"R1 pass", "R1 fail", "R2 pass", "R2 fail", "R2 no_data", "R3 pass", "R3 fail", "R3 not_applicable",
		"R4 pass", "R4 fail", "R5 pass", "R5 fail", "W1 pass", "W1 fail", "W1 no_data", "W2 pass", "W2 fail", "W2 no_data",
		"W4 pass", "W4 fail", "W5 pass", "W5 fail", "E1 pass", "E1 fail", "E2 pass", "E2 fail", "E4 pass", "E4 fail",
		"P1 pass", "P1 fail", "P1 not_applicable", "P2 pass", "P2 fail"} {
		if !seen[s] {
			t.Errorf("no demo village has %s in the oracle: the comparison does not reach it", s)
		}
	}

	t.Run("a perturbed stored value is reported", func(t *testing.T) {
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		// 2 m on one village's distance to its bus stop: twice the tolerance.
		var code string
		err = tx.QueryRow(ctx, `UPDATE indicator_scores i SET value = i.value + 2 FROM villages v
			WHERE v.id = i.village_id AND i.run_id = $1 AND i.indicator = 'R4'
			  AND i.village_id = (SELECT min(village_id) FROM indicator_scores WHERE run_id = $1 AND indicator = 'R4' AND value > 0)
			RETURNING v.code`, run.ID).Scan(&code)
		if err != nil {
			t.Fatal(err)
		}
		diffs := oracleCompare(want, oracleStoredRows(t, tx, run.ID))
		if len(diffs) != 1 || !strings.HasPrefix(diffs[0], code+" R4:") {
			t.Errorf("after moving %s's stored R4 by 2 m the oracle reports %q, want that one disagreement", code, diffs)
		}
	})

	t.Run("a road edit after scoring is reported", func(t *testing.T) {
		// Unpave the hardened access road that ends at a connected
		// village's 村委会: the stored run, oracleMeasured before, no longer
		// agrees with the layers on that village's R1.
		var code string
		var roadID int64
		err := db.Pool.QueryRow(ctx, `SELECT v.code, r.id FROM roads r
			JOIN villages v ON v.kind = '行政村' AND ST_Equals(ST_EndPoint(r.geom), v.office)
			JOIN run_indicators i ON i.village_id = v.id AND i.run_id = $1 AND i.indicator = 'R1' AND i.status = 'pass'
			WHERE r.grade = '村道' AND r.surface IN ('沥青', '水泥')
			ORDER BY r.id LIMIT 1`, run.ID).Scan(&code, &roadID)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, fmt.Sprintf(`UPDATE roads SET surface = '土' WHERE id = %d`, roadID))
		diffs := oracleCompare(oracleMeasure(t, db, p, asOf2016), got)
		found := false
		for _, d := range diffs {
			found = found || strings.HasPrefix(d, code+" R1:")
		}
		if !found {
			t.Errorf("after unpaving road %d to %s's 村委会 the oracle reports %q, want %s R1 among them", roadID, code, diffs, code)
		}
	})
}

// TestIndicatorOracleOnPartialData scores a copy of the demo with inputs
// missing here and there — road surfaces and widths, 户数 and 人口 of
// 村民组, 台区 links, works' served population and 供水保证率, bus service —
// and expects every indicator that such a gap could decide to say
// no_data (issue 16: unknown is unknown).
func TestIndicatorOracleOnPartialData(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	for _, sql := range []string{
		`UPDATE roads SET surface = NULL WHERE id % 7 = 0`,
		`UPDATE roads SET width_m = NULL WHERE id % 5 = 0`,
		`UPDATE villages SET households = NULL WHERE kind = '村民组' AND id % 9 = 0`,
		`UPDATE villages SET population = NULL WHERE kind = '村民组' AND id % 11 = 0`,
		`UPDATE transformers SET village_id = NULL WHERE village_id IN (SELECT id FROM villages WHERE kind = '行政村' AND id % 6 = 0)`,
		`UPDATE water_works SET population_served = NULL WHERE id % 4 = 0`,
		`UPDATE water_works SET guarantee_pct = NULL WHERE id % 5 = 0`,
		`UPDATE bus_stops SET routes = '{}' WHERE id % 3 = 0`,
	} {
		mustExec(t, db, sql)
	}
	p := planning.DefaultProfile()
	run, _, err := planning.Score(ctx, db.Store, p, asOf2016, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range oracleCompare(oracleMeasure(t, db, p, asOf2016), oracleStoredRows(t, db.Pool, run.ID)) {
		t.Error(d)
	}
}

// oracleCompare lists every disagreement between the oracle and the
// stored rows, as "<code> <indicator>: …", sorted.
func oracleCompare(want map[string]map[string]oracleExpect, got map[string]map[string]oracleStored) []string {
	var out []string
	for code, inds := range want {
		for id, w := range inds {
			g, ok := got[code][id]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s %s: not stored", code, id))
			case g.Status != w.Status:
				out = append(out, fmt.Sprintf("%s %s: status %s (value %s %s), oracle %s (value %s)", code, id, g.Status, oracleFmt(g.Value), g.Unit, w.Status, oracleFmt(w.Value)))
			case (g.Value == nil) != (w.Value == nil):
				out = append(out, fmt.Sprintf("%s %s: value %s, oracle %s", code, id, oracleFmt(g.Value), oracleFmt(w.Value)))
			case w.Unit != "" && g.Unit != w.Unit:
				out = append(out, fmt.Sprintf("%s %s: value %s %s, oracle %s %s", code, id, oracleFmt(g.Value), g.Unit, oracleFmt(w.Value), w.Unit))
			case w.Value != nil && !(math.Abs(*g.Value-*w.Value) <= w.Tol):
				out = append(out, fmt.Sprintf("%s %s: value %s %s, oracle %s (±%g)", code, id, oracleFmt(g.Value), g.Unit, oracleFmt(w.Value), w.Tol))
			}
		}
	}
	for code, inds := range got {
		for id := range inds {
			if _, ok := want[code][id]; !ok {
				out = append(out, fmt.Sprintf("%s %s: stored, the oracle knows no such village or indicator", code, id))
			}
		}
	}
	sort.Strings(out)
	return out
}

func oracleFmt(v *float64) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprintf("%.6g", *v)
}

type oracleQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// oracleStoredRows reads what run knows, by village code and indicator.
func oracleStoredRows(t *testing.T, q oracleQuerier, run int64) map[string]map[string]oracleStored {
	t.Helper()
	rows, err := q.Query(datatest.Context(), `SELECT v.code, i.indicator, i.value, i.unit, i.status
		FROM run_indicators i JOIN villages v ON v.id = i.village_id WHERE i.run_id = $1`, run)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]oracleStored{}
	var code, id string
	var s oracleStored
	if _, err := pgx.ForEachRow(rows, []any{&code, &id, &s.Value, &s.Unit, &s.Status}, func() error {
		if out[code] == nil {
			out[code] = map[string]oracleStored{}
		}
		out[code][id] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// oracleSQL reads one of the oracle's statements from testdata/oracle.
func oracleSQL(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "oracle", name+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oracleConn runs the oracle's statements on one connection, which holds
// its temporary table of settlements.
type oracleConn struct {
	t    *testing.T
	conn *pgx.Conn
}

func (o oracleConn) each(name string, args []any, dest []any, fn func()) {
	o.t.Helper()
	rows, err := o.conn.Query(datatest.Context(), oracleSQL(o.t, name), args...)
	if err != nil {
		o.t.Fatalf("%s: %v", name, err)
	}
	if _, err := pgx.ForEachRow(rows, dest, func() error { fn(); return nil }); err != nil {
		o.t.Fatalf("%s: %v", name, err)
	}
}

// oracleUnit is what the oracle knows of one village unit.
type oracleUnit struct {
	id, township      int64
	code              string
	households, pop   *int
	poorHouseholds    *int
	groups            int
	groupHouseholds   map[int64]*int    // 自然村/村民组 → 户数
	groupRoads        map[int64][]int64 // 自然村/村民组 → hardened or unknown roads in reach
	stopM             *float64          // R4: nearest stop with service
	stopUnknownM      *float64          // R4: nearest stop of unknown service
	stopAnyM          *float64          // R4: nearest stop of any kind
	anyStops          bool
	popAll            *float64
	popNear, popMaybe float64
	works             *string
	designM3, served  *float64
	testDate          *time.Time
	testPassed        *bool
	guaranteePct      *float64
	hh                *float64
	hhTap             float64
	anyMains          bool
	transformers      int
	kva               *float64
	allLinked         bool // every transformer of the county has a 台区 link
	threePhaseM       *float64
	threePhaseMaybeM  *float64
	feederKm          *float64
	feederUnknown     bool
	lvM               *float64
	villagePVKW       float64
	centralPVKW       float64
}

// oracleMeasure measures every indicator of every village unit, by code.
func oracleMeasure(t *testing.T, db *datatest.DB, p planning.Profile, asOf time.Time) map[string]map[string]oracleExpect {
	t.Helper()
	ctx := datatest.Context()
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	o := oracleConn{t: t, conn: pc.Conn()}
	if _, err := o.conn.Exec(ctx, "DROP TABLE IF EXISTS oracle_settlements"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.conn.Exec(ctx, oracleSQL(t, "settlements")); err != nil {
		t.Fatalf("settlements: %v", err)
	}

	units := map[int64]*oracleUnit{}
	var order []int64
	var u oracleUnit
	o.each("units", nil, []any{&u.id, &u.code, &u.township, &u.households, &u.pop, &u.poorHouseholds, &u.groups}, func() {
		c := u
		c.groupHouseholds, c.groupRoads = map[int64]*int{}, map[int64][]int64{}
		units[u.id] = &c
		order = append(order, u.id)
	})
	var id, group int64
	var road *int64
	var hh *int
	o.each("group_roads", []any{p.Road.GroupNetworkRadiusM.Value}, []any{&id, &group, &hh, &road}, func() {
		x := units[id]
		x.groupHouseholds[group] = hh
		if road != nil {
			x.groupRoads[group] = append(x.groupRoads[group], *road)
		}
	})
	var stopM, stopUnknownM, stopAnyM, popAll *float64
	var anyStops bool
	var popNear, popMaybe float64
	o.each("road_facts", []any{p.Road.AllSeasonRadiusM.Value}, []any{&id, &stopM, &stopUnknownM, &stopAnyM, &anyStops, &popAll, &popNear, &popMaybe}, func() {
		x := units[id]
		x.stopM, x.stopUnknownM, x.stopAnyM, x.anyStops, x.popAll, x.popNear, x.popMaybe = stopM, stopUnknownM, stopAnyM, anyStops, popAll, popNear, popMaybe
	})
	var w oracleUnit
	o.each("water_facts", []any{p.Water.MainRadiusM.Value}, []any{&id, &w.works, &w.designM3, &w.served, &w.testDate, &w.testPassed,
		&w.guaranteePct, &w.hh, &w.hhTap, &w.anyMains}, func() {
		x := units[id]
		x.works, x.designM3, x.served, x.testDate, x.testPassed, x.guaranteePct, x.hh, x.hhTap, x.anyMains =
			w.works, w.designM3, w.served, w.testDate, w.testPassed, w.guaranteePct, w.hh, w.hhTap, w.anyMains
	})
	var g oracleUnit
	o.each("grid_facts", []any{p.Grid.TransformerRadiusM.Value}, []any{&id, &g.transformers, &g.kva, &g.allLinked, &g.threePhaseM, &g.threePhaseMaybeM, &g.feederKm, &g.feederUnknown, &g.lvM}, func() {
		x := units[id]
		x.transformers, x.kva, x.allLinked, x.threePhaseM, x.threePhaseMaybeM, x.feederKm, x.feederUnknown, x.lvM =
			g.transformers, g.kva, g.allLinked, g.threePhaseM, g.threePhaseMaybeM, g.feederKm, g.feederUnknown, g.lvM
	})
	var vkw, ckw float64
	o.each("pv_facts", nil, []any{&id, &vkw, &ckw}, func() {
		units[id].villagePVKW, units[id].centralPVKW = vkw, ckw
	})

	net := oracleBuildNetwork(o, p)
	out := map[string]map[string]oracleExpect{}
	for _, id := range order {
		x := units[id]
		e := map[string]oracleExpect{}
		oracleJudgeRoad(e, x, net, p)
		oracleJudgeWater(e, x, p, asOf)
		oracleJudgeGrid(e, x, p)
		oracleJudgePV(e, x, p)
		if len(e) != len(oracleIndicators) {
			t.Fatalf("%s: the oracle judged %d indicators, want %d", x.code, len(e), len(oracleIndicators))
		}
		for _, id := range oracleIndicators {
			if _, ok := e[id]; !ok {
				t.Fatalf("%s: the oracle did not judge %s", x.code, id)
			}
		}
		out[x.code] = e
	}
	return out
}

// Expectation constructors.
func oracleNoData() oracleExpect        { return oracleExpect{Status: planning.StatusNoData} }
func oracleNotApplicable() oracleExpect { return oracleExpect{Status: planning.StatusNotApplicable} }
func oracleMeasured(v float64, ok bool, tol float64) oracleExpect {
	s := planning.StatusFail
	if ok {
		s = planning.StatusPass
	}
	return oracleExpect{Value: &v, Status: s, Tol: tol}
}

func oracleExact(v float64) float64 { return oracleTolExact * math.Max(1, math.Abs(v)) }

// oracleJudgeRoad expects R1–R5 (domain.md §2).
func oracleJudgeRoad(e map[string]oracleExpect, x *oracleUnit, net *oracleNetwork, p planning.Profile) {
	for _, id := range []string{"R1", "R2", "R3", "R5"} {
		e[id] = oracleNoData()
	}
	if net.roads > 0 {
		known, maybe := net.reach(x, false), net.reach(x, true)
		switch {
		case known.connected:
			e["R1"] = oracleMeasured(1, true, 0)
			e["R3"] = oracleJudgeNarrow(known, p)
		case !maybe.seatOnNetwork:
			// No (possibly) hardened road at the seat: R1 has nothing to
			// connect to, which is no verdict on the village.
		case !maybe.connected:
			e["R1"] = oracleMeasured(0, false, 0)
			e["R3"] = oracleNotApplicable()
		}
		e["R2"] = oracleJudgeGroups(x, net, p)
		if x.popAll != nil && *x.popAll > 0 && x.popNear == x.popMaybe {
			e["R5"] = oracleMeasured(100*x.popNear / *x.popAll, x.popNear == *x.popAll, oracleTolShare)
		}
	}
	// R4: a stop with service within the radius passes; a stop of unknown
	// service within it could, so the answer is unknown; otherwise the
	// village fails, measured to the nearest stop with service or, when
	// none has any, to the nearest stop.
	radius := p.Road.BusStopRadiusM.Value
	e["R4"] = oracleNoData()
	switch {
	case !x.anyStops:
	case x.stopM != nil && *x.stopM <= radius:
		e["R4"] = oracleMeasured(*x.stopM, true, oracleTolMetre)
	case x.stopUnknownM != nil && *x.stopUnknownM <= radius:
	case x.stopM != nil:
		e["R4"] = oracleMeasured(*x.stopM, false, oracleTolMetre)
	case x.stopAnyM != nil:
		e["R4"] = oracleMeasured(*x.stopAnyM, false, oracleTolMetre)
	}
}

// oracleJudgeNarrow expects R3 from the shortest hardened path: the share of
// its length narrower than min_width_m; unknown where a width on it is.
func oracleJudgeNarrow(r oracleReach, p planning.Profile) oracleExpect {
	var narrow float64
	for _, a := range r.path {
		if a.width == nil {
			return oracleNoData()
		}
		if *a.width < p.Road.MinWidthM.Value {
			narrow += a.lenM
		}
	}
	share := 0.0
	if r.pathM > 0 {
		share = 100 * narrow / r.pathM
	}
	return oracleMeasured(share, narrow == 0, oracleTolShare)
}

// oracleJudgeGroups expects R2: of the 自然村/村民组 with at least
// group_min_households, the share within group_network_radius_m of the
// hardened network connected to the township seat.
func oracleJudgeGroups(x *oracleUnit, net *oracleNetwork, p planning.Profile) oracleExpect {
	if x.groups == 0 {
		return oracleNoData()
	}
	large, served := 0, 0
	for gid, hh := range x.groupHouseholds {
		if hh == nil {
			return oracleNoData()
		}
		if float64(*hh) < p.Road.GroupMinHouseholds.Value {
			continue
		}
		large++
		known, maybe := net.onSeatNetwork(x, x.groupRoads[gid], false), net.onSeatNetwork(x, x.groupRoads[gid], true)
		if known == nil || maybe == nil || *known != *maybe {
			return oracleNoData()
		}
		if *known {
			served++
		}
	}
	if large == 0 {
		return oracleNotApplicable()
	}
	return oracleMeasured(100*float64(served)/float64(large), served == large, oracleTolShare)
}

// oracleJudgeWater expects W1–W5 (domain.md §3).
func oracleJudgeWater(e map[string]oracleExpect, x *oracleUnit, p planning.Profile, asOf time.Time) {
	for _, id := range []string{"W1", "W2", "W3", "W4", "W5"} {
		e[id] = oracleNoData() // W3 always: the schema holds no water points
	}
	if x.works != nil {
		if x.designM3 != nil && x.served != nil && *x.served > 0 {
			l := *x.designM3 * 1000 / *x.served
			e["W1"] = oracleMeasured(l, l >= p.Water.LitresPerPersonDay.Value, oracleExact(l))
		}
		if x.testDate != nil && x.testPassed != nil {
			days := asOf.Sub(*x.testDate).Hours() / 24
			ok := *x.testPassed && days <= p.Water.TestMaxAgeDays.Value
			v := 0.0
			if ok {
				v = 1
			}
			e["W2"] = oracleMeasured(v, ok, 0)
		}
		if x.guaranteePct != nil {
			e["W4"] = oracleMeasured(*x.guaranteePct, *x.guaranteePct >= p.Water.GuaranteePct.Value, oracleExact(*x.guaranteePct))
		}
	}
	if x.anyMains && x.hh != nil && *x.hh > 0 {
		share := 100 * x.hhTap / *x.hh
		e["W5"] = oracleMeasured(share, share >= p.Water.TapSharePct.Value, oracleTolShare)
	}
}

// oracleJudgeGrid expects E1–E5 (domain.md §4). E3 and E5 need per-feeder
// statistics and 机井, which the schema does not hold.
func oracleJudgeGrid(e map[string]oracleExpect, x *oracleUnit, p planning.Profile) {
	for _, id := range []string{"E1", "E2", "E3", "E4", "E5"} {
		e[id] = oracleNoData()
	}
	// The unit's transformers are those of its 台区, else those without a
	// link near its settlements (grid_facts.sql). None is a measured 0 only
	// when every transformer of the county has its link.
	switch {
	case x.transformers > 0 && x.kva != nil && x.households != nil && *x.households > 0:
		v := *x.kva / float64(*x.households)
		e["E1"] = oracleMeasured(v, v >= p.Grid.KVAPerHousehold.Value, oracleExact(v))
	case x.transformers == 0 && x.allLinked:
		e["E1"] = oracleMeasured(0, false, 0)
	}
	if x.threePhaseM != nil && (x.threePhaseMaybeM == nil || *x.threePhaseMaybeM >= *x.threePhaseM) {
		e["E2"] = oracleMeasured(*x.threePhaseM, *x.threePhaseM <= p.Grid.ThreePhaseRadiusM.Value, oracleTolMetre)
	}
	if x.transformers > 0 && x.feederKm != nil && !x.feederUnknown && x.lvM != nil {
		// Each part scores linearly up to twice its limit; the row shows
		// the worse part (the feeder when they tie).
		fMax, lvMax := p.Grid.FeederMaxKm.Value, p.Grid.LVMaxM.Value
		ok := *x.feederKm <= fMax && *x.lvM <= lvMax
		sf := oracleClamp(100 * (*x.feederKm - fMax) / fMax)
		sl := oracleClamp(100 * (*x.lvM - lvMax) / lvMax)
		if sl > sf {
			ex := oracleMeasured(*x.lvM, ok, oracleTolMetre)
			ex.Unit = "m"
			e["E4"] = ex
		} else {
			ex := oracleMeasured(*x.feederKm, ok, oracleTolKm)
			ex.Unit = "km"
			e["E4"] = ex
		}
	}
}

func oracleClamp(s float64) float64 { return math.Max(0, math.Min(100, s)) }

// oracleJudgePV expects P1 and P2 (domain.md §5): 村级/户用 kW count as they
// are, 集中式 kW cover one poor household per centralised kW per household
// (at most all of them), each covered household counting its full kW.
func oracleJudgePV(e map[string]oracleExpect, x *oracleUnit, p planning.Profile) {
	switch {
	case x.poorHouseholds == nil:
		e["P1"], e["P2"] = oracleNoData(), oracleNoData()
	case *x.poorHouseholds == 0:
		e["P1"], e["P2"] = oracleNotApplicable(), oracleNotApplicable()
	default:
		n := float64(*x.poorHouseholds)
		perHH := p.PV.KWPerPoorHousehold.Value
		covered := math.Min(x.centralPVKW/p.PV.CentralisedKWPerPoorHousehold.Value, n)
		kw := x.villagePVKW + covered*perHH
		e["P1"] = oracleMeasured(kw/n, kw >= perHH*n, oracleExact(kw/n))
		income := kw * p.PV.IncomePerKWYuan.Value / n
		e["P2"] = oracleMeasured(income, income >= p.PV.IncomePerHouseholdYuan.Value, oracleExact(income))
	}
}

// The oracle's road network: nodes are distinct coordinates, edges the
// pieces of road segments between them.

type oracleEdge struct {
	u, v     int
	lenM     float64
	road     int64
	hardened *bool // nil: surface unknown
	width    *float64
}

type oracleArc struct {
	to   int
	edge int
}

type oracleSegRef struct {
	road int64
	seg  int
}

type oracleSegment struct {
	a, b orb.Point
	lenM float64
}

type oracleRoad struct {
	hardened *bool
	width    *float64
	segs     []oracleSegment
}

type oracleAnchor struct {
	at oracleSegRef
	f  float64
}

type oracleNetwork struct {
	roads    int
	hardened map[int64]*bool // by road; nil: surface unknown
	edges    []oracleEdge
	adj      [][]oracleArc
	roadAt   map[int64]int // a node of each road
	anchors  [2]map[string]int
	// from caches one Dijkstra per seat and mode.
	from map[string]*oracleTree
}

type oracleTree struct {
	dist []float64
	pred []int // edge into each node on its shortest path
}

// point is where fraction f of segment s lies: its ends exactly, else
// linear in longitude/latitude like PostGIS's ST_LineLocatePoint.
func (s oracleSegment) point(f float64) orb.Point {
	switch f {
	case 0:
		return s.a
	case 1:
		return s.b
	}
	return orb.Point{s.a[0] + f*(s.b[0]-s.a[0]), s.a[1] + f*(s.b[1]-s.a[1])}
}

func oracleBuildNetwork(o oracleConn, p planning.Profile) *oracleNetwork {
	o.t.Helper()
	roads := map[int64]*oracleRoad{}
	var roadOrder []int64
	var id int64
	var seg int
	var hardened *bool
	var width *float64
	var ax, ay, bx, by, lenM float64
	o.each("segments", nil, []any{&id, &seg, &hardened, &width, &ax, &ay, &bx, &by, &lenM}, func() {
		r := roads[id]
		if r == nil {
			r = &oracleRoad{hardened: hardened, width: width}
			roads[id] = r
			roadOrder = append(roadOrder, id)
		}
		if seg != len(r.segs)+1 {
			o.t.Fatalf("road %d: segment %d out of order", id, seg)
		}
		r.segs = append(r.segs, oracleSegment{orb.Point{ax, ay}, orb.Point{bx, by}, lenM})
	})

	// Every point where a segment must be cut: the ends of roads that join
	// it, and where a 村委会 or seat meets it.
	cuts := map[oracleSegRef][]float64{}
	type join struct {
		road  int64
		atEnd bool
		on    oracleAnchor
	}
	var joins []join
	var atEnd bool
	var other int64
	var f float64
	o.each("end_joins", []any{oracleEndJoinM}, []any{&id, &atEnd, &other, &seg, &f}, func() {
		j := join{id, atEnd, oracleAnchor{oracleSegRef{other, seg}, f}}
		joins = append(joins, j)
		cuts[j.on.at] = append(cuts[j.on.at], f)
	})
	net := &oracleNetwork{roads: len(roads), hardened: map[int64]*bool{}, roadAt: map[int64]int{}, from: map[string]*oracleTree{}}
	for rid, r := range roads {
		net.hardened[rid] = r.hardened
	}
	anchorAt := [2]map[string]oracleAnchor{{}, {}}
	for mode, maybe := range []bool{false, true} {
		var kind string
		var dist float64
		o.each("anchors", []any{p.Road.SnapToleranceM.Value, maybe}, []any{&kind, &id, &other, &seg, &f, &dist}, func() {
			a := oracleAnchor{oracleSegRef{other, seg}, f}
			anchorAt[mode][fmt.Sprintf("%s:%d", kind, id)] = a
			cuts[a.at] = append(cuts[a.at], f)
		})
	}

	nodes := map[orb.Point]int{}
	var parent []int
	node := func(pt orb.Point) int {
		n, ok := nodes[pt]
		if !ok {
			n = len(parent)
			nodes[pt] = n
			parent = append(parent, n)
		}
		return n
	}
	var find func(int) int
	find = func(n int) int {
		if parent[n] != n {
			parent[n] = find(parent[n])
		}
		return parent[n]
	}
	at := func(a oracleAnchor) int { return node(roads[a.at.road].segs[a.at.seg-1].point(a.f)) }

	type piece struct {
		a, b int
		lenM float64
		road int64
	}
	var pieces []piece
	for _, rid := range roadOrder {
		r := roads[rid]
		net.roadAt[rid] = node(r.segs[0].a)
		for k, s := range r.segs {
			fs := append([]float64{0, 1}, cuts[oracleSegRef{rid, k + 1}]...)
			sort.Float64s(fs)
			for i := 1; i < len(fs); i++ {
				if fs[i] == fs[i-1] {
					continue
				}
				pieces = append(pieces, piece{node(s.point(fs[i-1])), node(s.point(fs[i])), s.lenM * (fs[i] - fs[i-1]), rid})
			}
		}
	}
	for _, j := range joins {
		segs := roads[j.road].segs
		end := segs[0].a
		if j.atEnd {
			end = segs[len(segs)-1].b
		}
		a, b := find(node(end)), find(at(j.on))
		parent[a] = b
	}
	for mode := range anchorAt {
		net.anchors[mode] = map[string]int{}
		for k, a := range anchorAt[mode] {
			net.anchors[mode][k] = at(a)
		}
	}
	net.adj = make([][]oracleArc, len(parent))
	for _, pc := range pieces {
		r := roads[pc.road]
		e := len(net.edges)
		net.edges = append(net.edges, oracleEdge{find(pc.a), find(pc.b), pc.lenM, pc.road, r.hardened, r.width})
		net.adj[find(pc.a)] = append(net.adj[find(pc.a)], oracleArc{find(pc.b), e})
		net.adj[find(pc.b)] = append(net.adj[find(pc.b)], oracleArc{find(pc.a), e})
	}
	for rid, n := range net.roadAt {
		net.roadAt[rid] = find(n)
	}
	for mode := range net.anchors {
		for k, n := range net.anchors[mode] {
			net.anchors[mode][k] = find(n)
		}
	}
	return net
}

// oracleHardened reports whether a road of the given surface counts as hardened:
// known so, or (maybe) of unknown surface.
func oracleHardened(hardened *bool, maybe bool) bool {
	if hardened == nil {
		return maybe
	}
	return *hardened
}

func oracleMode(maybe bool) int {
	if maybe {
		return 1
	}
	return 0
}

// tree returns the shortest hardened paths from the seat of township
// township, or nil when the seat is off the hardened network.
func (n *oracleNetwork) tree(township int64, maybe bool) *oracleTree {
	key := fmt.Sprintf("%d:%v", township, maybe)
	if t, ok := n.from[key]; ok {
		return t
	}
	src, ok := n.anchors[oracleMode(maybe)][fmt.Sprintf("seat:%d", township)]
	if !ok {
		n.from[key] = nil
		return nil
	}
	t := &oracleTree{dist: make([]float64, len(n.adj)), pred: make([]int, len(n.adj))}
	for i := range t.dist {
		t.dist[i], t.pred[i] = math.Inf(1), -1
	}
	t.dist[src] = 0
	q := &oracleQueue{{src, 0}}
	for q.Len() > 0 {
		it := heap.Pop(q).(oracleItem)
		if it.d > t.dist[it.node] {
			continue
		}
		for _, a := range n.adj[it.node] {
			e := n.edges[a.edge]
			if !oracleHardened(e.hardened, maybe) {
				continue
			}
			if d := it.d + e.lenM; d < t.dist[a.to] {
				t.dist[a.to], t.pred[a.to] = d, a.edge
				heap.Push(q, oracleItem{a.to, d})
			}
		}
	}
	n.from[key] = t
	return t
}

// oracleReach is how a 村委会 reaches its seat in one mode.
type oracleReach struct {
	seatOnNetwork bool
	connected     bool
	pathM         float64
	path          []oracleEdge // the shortest hardened path, when connected
}

func (n *oracleNetwork) reach(x *oracleUnit, maybe bool) oracleReach {
	t := n.tree(x.township, maybe)
	if t == nil {
		return oracleReach{}
	}
	r := oracleReach{seatOnNetwork: true}
	office, ok := n.anchors[oracleMode(maybe)][fmt.Sprintf("office:%d", x.id)]
	if !ok || math.IsInf(t.dist[office], 1) {
		return r
	}
	r.connected, r.pathM = true, t.dist[office]
	for v := office; t.pred[v] >= 0; {
		e := n.edges[t.pred[v]]
		r.path = append(r.path, e)
		if e.u == v {
			v = e.v
		} else {
			v = e.u
		}
	}
	return r
}

// onSeatNetwork reports whether one of roads is a hardened road connected
// to x's township seat (nil: the seat is off the network).
func (n *oracleNetwork) onSeatNetwork(x *oracleUnit, roads []int64, maybe bool) *bool {
	t := n.tree(x.township, maybe)
	if t == nil {
		return nil
	}
	on := false
	for _, rid := range roads {
		if oracleHardened(n.hardened[rid], maybe) && !math.IsInf(t.dist[n.roadAt[rid]], 1) {
			on = true
		}
	}
	return &on
}

type oracleItem struct {
	node int
	d    float64
}

type oracleQueue []oracleItem

func (q oracleQueue) Len() int           { return len(q) }
func (q oracleQueue) Less(i, j int) bool { return q[i].d < q[j].d }
func (q oracleQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *oracleQueue) Push(x any)        { *q = append(*q, x.(oracleItem)) }
func (q *oracleQueue) Pop() any          { old := *q; x := old[len(old)-1]; *q = old[:len(old)-1]; return x }
