package data_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// scoresByCode renders each village's scores as JSON, by code, without the
// run-specific village id.
func scoresByCode(t *testing.T, scores []planning.VillageScore) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range scores {
		s.VillageID = 0
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Code] = string(b)
	}
	return out
}

// pavingSQL takes the surface off every 村道 and 通组路: it changes many
// villages' 通路 indicators.
const pavingSQL = `UPDATE roads SET surface = '土' WHERE grade IN ('村道', '通组路') AND surface IN ('沥青', '水泥')`

// TestAsOfScoresThePast edits the demo's roads with effective date
// 2018-06-30 and scores the county as of the day before and the day after:
// each must equal a full score of a demo county built directly in that
// state (the independent oracle), and the two must differ.
func TestAsOfScoresThePast(t *testing.T) {
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	db := datatest.NewDemo(t)
	if err := db.ExecOn("2018-06-30", pavingSQL); err != nil {
		t.Fatal(err)
	}
	oldDB, newDB := datatest.NewDemo(t), datatest.NewDemo(t)
	mustExec(t, newDB, pavingSQL)

	for _, c := range []struct {
		asOf   string
		oracle *datatest.DB
	}{{"2018-06-29", oldDB}, {"2018-07-01", newDB}, {"2016-12-31", oldDB}} {
		asOf := day(c.asOf)
		past, err := db.Store.AsOf(ctx, asOf)
		if err != nil {
			t.Fatal(err)
		}
		run, got, err := planning.Score(ctx, past, p, asOf, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if run.LayersAsOf == nil || !run.LayersAsOf.Equal(asOf) || run.ChangeWatermark != 0 {
			t.Errorf("as of %s: run records layers_as_of %v, watermark %d", c.asOf, run.LayersAsOf, run.ChangeWatermark)
		}
		stored, err := db.Store.Run(ctx, run.ID)
		if err != nil || stored.LayersAsOf == nil || !stored.LayersAsOf.Equal(asOf) {
			t.Errorf("as of %s: stored run layers_as_of %v (%v)", c.asOf, stored.LayersAsOf, err)
		}
		_, want, err := planning.Score(ctx, c.oracle.Store, p, asOf, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		g, w := scoresByCode(t, got), scoresByCode(t, want)
		if len(g) != len(w) || len(g) == 0 {
			t.Fatalf("as of %s: %d villages scored, oracle %d", c.asOf, len(g), len(w))
		}
		bad := 0
		for code, ws := range w {
			if g[code] != ws {
				bad++
				if bad <= 3 {
					t.Errorf("as of %s: village %s differs from the oracle\n got %s\nwant %s", c.asOf, code, g[code], ws)
				}
			}
		}
		if bad > 0 {
			t.Errorf("as of %s: %d villages differ from the oracle", c.asOf, bad)
		}
	}
	// The edit matters: the two oracles differ.
	_, a, err := planning.Score(ctx, oldDB.Store, p, day("2018-07-01"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := planning.Score(ctx, newDB.Store, p, day("2018-07-01"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	sa, sb := scoresByCode(t, a), scoresByCode(t, b)
	for k := range sa {
		if sa[k] != sb[k] {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the edit changed no village's scores: the test proves nothing")
	}
	// A run of the past is never the base of a live run, even of the same
	// profile and date: the live run after it scores every village.
	live, _, err := planning.Score(ctx, db.Store, p, day("2016-12-31"), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if live.BaseRunID != 0 || live.LayersAsOf != nil || live.Rescored != live.Villages {
		t.Errorf("live run after runs of the past: base %d, layers_as_of %v, rescored %d of %d; want no base, every village",
			live.BaseRunID, live.LayersAsOf, live.Rescored, live.Villages)
	}
}

// TestBackdatedChangeRefused: a change dated before the version it
// replaces is refused, for updates and deletes, with a Chinese message,
// and nothing is written.
func TestBackdatedChangeRefused(t *testing.T) {
	db := datatest.NewDemo(t)
	if err := db.ExecOn("2018-06-30", `UPDATE roads SET name = '新名' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE roads SET name = '倒填' WHERE id = 1`, `DELETE FROM roads WHERE id = 1`} {
		err := db.ExecOn("2017-01-01", sql)
		if err == nil || !strings.Contains(err.Error(), "历史不能倒填") {
			t.Errorf("%s dated 2017-01-01 after a change of 2018-06-30: %v, want refused", sql, err)
		}
	}
	var name string
	var n int
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT name, (SELECT count(*) FROM roads_history WHERE id = 1) FROM roads WHERE id = 1`).Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	if name != "新名" || n != 1 {
		t.Errorf("after refused changes: name %q, %d history rows; want 新名, 1", name, n)
	}
}

// snapshotRows returns the rows of table in the snapshot of the layers as
// of date, as text, by id (cols rendered by SQL).
func snapshotRows(t *testing.T, db *datatest.DB, date, table, cols string) map[int64]string {
	t.Helper()
	ctx := datatest.Context()
	if _, err := db.Store.AsOf(ctx, day(date)); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.Pool.QueryRow(ctx, `SELECT schema_name FROM layer_snapshots WHERE as_of = $1 ORDER BY used_at DESC LIMIT 1`, date).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return tableRows(t, db, pgx.Identifier{schema, table}.Sanitize(), cols)
}

func tableRows(t *testing.T, db *datatest.DB, from, cols string) map[int64]string {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), fmt.Sprintf(`SELECT id, concat_ws('|', %s) FROM %s`, cols, from))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	var id int64
	var s string
	if _, err := pgx.ForEachRow(rows, []any{&id, &s}, func() error { out[id] = s; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHistorySurvivesImports imports roads in reject mode (dated
// 2017-03-01), skip mode (2017-09-01) and upsert mode (2018-05-01), then
// deletes one (2019-01-01): every row replaced or deleted is read as it
// was before; a backdated upsert is refused and writes nothing.
func TestHistorySurvivesImports(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	const head = "ID,道路名称,行政等级,路面类型,WKT\n"
	imp := func(mode planning.ImportMode, date, content string) (planning.ImportReport, error) {
		return db.Store.Import(ctx, writeFile(t, "roads.csv", head+content),
			planning.ImportOptions{Layer: "roads", Mode: mode, ValidFrom: day(date)})
	}
	if _, err := imp(planning.ImportReject, "2017-03-01",
		"a1,甲线,村道,砂石,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n"+
			"a2,乙线,县道,沥青,\"LINESTRING(113.51 29.51, 113.52 29.52)\"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := imp(planning.ImportSkip, "2017-09-01",
		"a2,乙线,县道,沥青,\"LINESTRING(113.51 29.51, 113.52 29.52)\"\n"+
			"a3,丙线,村道,土,\"LINESTRING(113.52 29.52, 113.53 29.53)\"\n"); err != nil {
		t.Fatal(err)
	}
	rep, err := imp(planning.ImportUpsert, "2018-05-01",
		"a1,甲线,村道,水泥,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n"+
			"a3,丙线改,村道,土,\"LINESTRING(113.52 29.52, 113.535 29.53)\"\n")
	if err != nil || rep.Updated != 2 {
		t.Fatalf("upsert: %v, %d updated", err, rep.Updated)
	}
	before := snapshot(t, db)
	if _, err := imp(planning.ImportUpsert, "2018-01-01", "a1,甲线,村道,沥青,\"LINESTRING(113.50 29.50, 113.51 29.51)\"\n"); err == nil ||
		planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "历史不能倒填") {
		t.Errorf("backdated upsert: %v, want refused as invalid", err)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("refused import wrote: %s → %s", before, after)
	}
	if err := db.ExecOn("2019-01-01", `DELETE FROM roads WHERE ext_id = 'a2'`); err != nil {
		t.Fatal(err)
	}
	const cols = "ext_id, name, surface, ST_AsText(geom)"
	state := func(date string) []string {
		var out []string
		for _, r := range snapshotRows(t, db, date, "roads", cols) {
			out = append(out, r)
		}
		slices.Sort(out)
		return out
	}
	a1old, a1new := "a1|甲线|砂石|LINESTRING(113.5 29.5,113.51 29.51)", "a1|甲线|水泥|LINESTRING(113.5 29.5,113.51 29.51)"
	a2 := "a2|乙线|沥青|LINESTRING(113.51 29.51,113.52 29.52)"
	a3old, a3new := "a3|丙线|土|LINESTRING(113.52 29.52,113.53 29.53)", "a3|丙线改|土|LINESTRING(113.52 29.52,113.535 29.53)"
	for date, want := range map[string][]string{
		"2017-02-28": nil,
		"2017-03-01": {a1old, a2},
		"2017-08-31": {a1old, a2},
		"2017-09-01": {a1old, a2, a3old},
		"2018-04-30": {a1old, a2, a3old},
		"2018-05-01": {a1new, a2, a3new},
		"2018-12-31": {a1new, a2, a3new},
		"2019-01-01": {a1new, a3new},
	} {
		if got := state(date); !slices.Equal(got, want) {
			t.Errorf("roads as of %s:\n got %q\nwant %q", date, got, want)
		}
	}
	// The live table is the latest state.
	var live []string
	for _, r := range tableRows(t, db, "roads", cols) {
		live = append(live, r)
	}
	slices.Sort(live)
	if want := []string{a1new, a3new}; !slices.Equal(live, want) {
		t.Errorf("live roads %q, want %q", live, want)
	}
}

// TestSnapshotEqualsReplay is the randomized differential test: a random
// sequence of inserts, updates and deletes of roads and bus stops with
// non-decreasing effective dates (ties included), then for random dates
// the snapshot equals a replay of the edits up to that date, table by
// table. GAPMAP_DIFF_SEED overrides the seed.
func TestSnapshotEqualsReplay(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	seed := uint64(envInt(t, "GAPMAP_DIFF_SEED", 20261207))
	rng := rand.New(rand.NewPCG(seed, 19))
	var src int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO sources (kind, name) VALUES ('manual', 'history test') RETURNING id`).Scan(&src); err != nil {
		t.Fatal(err)
	}
	type edit struct {
		date  string
		table string
		state map[int64]string // the table's rows after the edit
	}
	tables := map[string]string{"roads": "name, surface, ST_AsText(geom)", "bus_stops": "name, ST_AsText(geom)"}
	current := map[string]map[int64]string{"roads": {}, "bus_stops": {}}
	var edits []edit
	d := day("2016-01-01")
	surfaces := []string{"沥青", "水泥", "砂石", "土"}
	for i := 0; i < 120; i++ {
		d = d.AddDate(0, 0, rng.IntN(3)*rng.IntN(40)) // often the same day
		date := d.Format(time.DateOnly)
		table := "roads"
		if rng.IntN(3) == 0 {
			table = "bus_stops"
		}
		ids := make([]int64, 0, len(current[table]))
		for id := range current[table] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		x, y := 113.3+rng.Float64()*0.4, 29.2+rng.Float64()*0.6
		var sql string
		var args []any
		switch op := rng.IntN(10); {
		case len(ids) == 0 || op < 4:
			if table == "roads" {
				sql, args = `INSERT INTO roads (name, grade, surface, geom, source_id) VALUES ($1, '村道', $2, ST_MakeLine(ST_SetSRID(ST_MakePoint($3, $4), 4490), ST_SetSRID(ST_MakePoint($3 + 0.01, $4), 4490)), $5)`,
					[]any{fmt.Sprintf("路%d", i), surfaces[rng.IntN(4)], x, y, src}
			} else {
				sql, args = `INSERT INTO bus_stops (name, geom, source_id) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4490), $4)`,
					[]any{fmt.Sprintf("站%d", i), x, y, src}
			}
		case op < 8:
			id := ids[rng.IntN(len(ids))]
			if table == "roads" {
				sql, args = `UPDATE roads SET surface = $1, name = $2 WHERE id = $3`, []any{surfaces[rng.IntN(4)], fmt.Sprintf("路%d改", i), id}
			} else {
				sql, args = `UPDATE bus_stops SET geom = ST_SetSRID(ST_MakePoint($1, $2), 4490) WHERE id = $3`, []any{x, y, id}
			}
		default:
			sql, args = fmt.Sprintf(`DELETE FROM %s WHERE id = $1`, table), []any{ids[rng.IntN(len(ids))]}
		}
		if err := db.ExecOn(date, sql, args...); err != nil {
			t.Fatalf("edit %d (%s, %s): %v", i, date, sql, err)
		}
		current[table] = tableRows(t, db, table, tables[table])
		edits = append(edits, edit{date, table, current[table]})
		// Now and then a backdated edit, which must be refused.
		if rng.IntN(10) == 0 && len(ids) > 0 {
			back := d.AddDate(0, 0, -1-rng.IntN(30)).Format(time.DateOnly)
			var latest string
			if err := db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(max(valid_from)::date::text, '') FROM %s`, table)).Scan(&latest); err != nil {
				t.Fatal(err)
			}
			if err := db.ExecOn(back, fmt.Sprintf(`DELETE FROM %s`, table)); err == nil && latest > back {
				t.Fatalf("a delete dated %s of rows valid from %s was accepted", back, latest)
			}
			current[table] = tableRows(t, db, table, tables[table])
			edits = append(edits, edit{d.Format(time.DateOnly), table, current[table]})
		}
	}
	// The replay: each table's rows after the last edit dated up to D.
	replay := func(table, date string) map[int64]string {
		state := map[int64]string{}
		for _, e := range edits {
			if e.table == table && e.date <= date {
				state = e.state
			}
		}
		return state
	}
	first, last := day("2015-12-01"), d.AddDate(0, 0, 10)
	dates := []string{first.Format(time.DateOnly)}
	for range 14 {
		dates = append(dates, first.AddDate(0, 0, rng.IntN(int(last.Sub(first).Hours()/24))).Format(time.DateOnly))
	}
	for _, i := range []int{rng.IntN(len(edits)), rng.IntN(len(edits))} {
		e := day(edits[i].date)
		dates = append(dates, e.AddDate(0, 0, -1).Format(time.DateOnly), edits[i].date)
	}
	for _, date := range dates {
		for table, cols := range tables {
			got, want := snapshotRows(t, db, date, table, cols), replay(table, date)
			if !mapsEqual(got, want) {
				t.Errorf("seed %d: %s as of %s: snapshot %v, replay %v", seed, table, date, got, want)
			}
		}
	}
	t.Logf("seed %d: %d edits up to %s, %d dates checked", seed, len(edits), d.Format(time.DateOnly), len(dates))
}

func mapsEqual(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestHistoryTablesKeepEveryColumn: every layer's history table has every
// column of its layer (a migration that adds a column to a layer must add
// it to the history table too, or reading the past fails).
func TestHistoryTablesKeepEveryColumn(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	rows, err := db.Pool.Query(ctx, `
		SELECT c.relname || '.' || a.attname
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		JOIN pg_class h ON h.relname = c.relname || '_history' AND h.relnamespace = c.relnamespace
		WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'r'
		  AND NOT EXISTS (SELECT 1 FROM pg_attribute ha WHERE ha.attrelid = h.oid AND ha.attname = a.attname AND NOT ha.attisdropped)
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE '%\_history' AND relnamespace = to_regnamespace(current_schema())`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables < 14 || len(missing) > 0 {
		t.Fatalf("%d history tables; columns missing from them: %v", tables, missing)
	}
}

// TestAsOfConcurrentFirstUse: the map asks for a dozen tiles of a date at
// once; the first use of that date builds its snapshot once and every
// caller gets it. Before the snapshot lock was taken ahead of the
// repeatable-read transaction, waiting builders could not see the
// snapshot registered before them (23505 on layer_snapshots, or 40001).
func TestAsOfConcurrentFirstUse(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	if err := db.ExecOn("2018-06-30", pavingSQL); err != nil {
		t.Fatal(err)
	}
	const callers = 12
	errs := make(chan error, callers)
	start := make(chan struct{})
	for range callers {
		go func() {
			<-start
			st, err := db.Store.AsOf(ctx, day("2018-06-29"))
			if err == nil && st.LayersAsOf() == nil {
				err = fmt.Errorf("AsOf returned a Store of the live layers")
			}
			errs <- err
		}()
	}
	close(start)
	for range callers {
		if err := <-errs; err != nil {
			t.Fatalf("a concurrent first use of a date failed: %v", err)
		}
	}
	var built int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM layer_snapshots WHERE as_of = '2018-06-29'`).Scan(&built); err != nil {
		t.Fatal(err)
	}
	if built != 1 {
		t.Fatalf("%d callers: %d snapshots registered, want one", callers, built)
	}
}
