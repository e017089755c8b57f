package data_test

import (
	"os"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

// TestMigrationDimensionMissing runs migration 0019 over scores stored
// before it: each dimension's missing share and the 数据不足 list come out
// of the score document equal to what a run now stores (the list by
// planning.VillageScore.UnknownGaps), and run_scores shows them.
func TestMigrationDimensionMissing(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	// With some water works gone, 饮水 rests mostly on missing data in some
	// villages; without the grid, 农网 has no gap: the shares and the lists
	// differ by village and dimension.
	mustExec(t, db, `DELETE FROM water_works WHERE id IN (SELECT id FROM water_works ORDER BY id LIMIT 2)`)
	// Unknown 建档立卡 counts leave 光伏 without a gap in some villages.
	mustExec(t, db, `UPDATE villages SET poor_households = NULL, poor_population = NULL WHERE kind = '行政村' AND id % 4 = 0`)
	for _, table := range []string{"transformers", "power_lines", "substations"} {
		mustExec(t, db, `DELETE FROM `+table) // 农网 without any data: null gaps
	}
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	const cols = `run_id, village_id, missing_road, missing_water, missing_grid, missing_pv, array_to_string(unknown_gaps, ',')`
	type stored struct {
		missing [4]float64
		unknown string
	}
	want := map[[2]int64]stored{}
	lists := map[string]bool{}
	rows, err := db.Pool.Query(ctx, `SELECT `+cols+` FROM village_scores`)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[float64]bool{}
	for rows.Next() {
		var k [2]int64
		var m stored
		if err := rows.Scan(&k[0], &k[1], &m.missing[0], &m.missing[1], &m.missing[2], &m.missing[3], &m.unknown); err != nil {
			t.Fatal(err)
		}
		want[k] = m
		for _, v := range m.missing {
			distinct[v] = true
		}
		lists[m.unknown] = true
	}
	rows.Close()
	if len(distinct) < 3 || len(lists) < 3 {
		t.Fatalf("missing shares %v, 数据不足 lists %v: too few kinds for the test to prove anything", distinct, lists)
	}

	// Back to the schema before 0019 (the run_scores of 0008).
	mustExec(t, db, `ALTER TABLE village_scores DROP COLUMN missing_road CASCADE, DROP COLUMN missing_water,
		DROP COLUMN missing_grid, DROP COLUMN missing_pv, DROP COLUMN unknown_gaps`)
	mustExec(t, db, `CREATE VIEW run_scores AS
		SELECT rv.run_id, rv.scored_run_id, s.village_id, s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv,
		       s.missing_weight, s.score, s.exit_fail, s.exit_no_data
		FROM run_villages rv JOIN village_scores s ON s.run_id = rv.scored_run_id AND s.village_id = rv.village_id`)
	sql, err := os.ReadFile("migrations/0019_dimension_missing.sql")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, string(sql))

	rows, err = db.Pool.Query(ctx, `SELECT `+cols+` FROM run_scores`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k [2]int64
		var m stored
		if err := rows.Scan(&k[0], &k[1], &m.missing[0], &m.missing[1], &m.missing[2], &m.missing[3], &m.unknown); err != nil {
			t.Fatal(err)
		}
		if m != want[k] {
			t.Errorf("run %d village %d: %+v after the migration, want %+v", k[0], k[1], m, want[k])
		}
		n++
	}
	if n != len(want) {
		t.Errorf("run_scores has %d rows after the migration, want %d", n, len(want))
	}
}
