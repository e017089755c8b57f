package data_test

import (
	"fmt"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// scoredDemo is the demo county with its year-end 2016 run under the
// default profile, the run candidate generation plans from.
func scoredDemo(tb testing.TB) (*datatest.DB, planning.Profile) {
	tb.Helper()
	db := datatest.NewDemo(tb)
	prof := planning.DefaultProfile()
	if _, _, err := planning.Score(datatest.Context(), db.Store, prof, planning.YearEnd(2016), false, nil); err != nil {
		tb.Fatal(err)
	}
	return db, prof
}

// buildInYear takes project id, 县级审定, through the 项目库 into the
// 年度计划, pays it through the ledger from its first 计划 source (one entry
// of each kind, 下达, 到位 and 拨付, of amounts[k] 万元 for the k-th, dated
// March 1st of year, document number docNo) and completes it on June 30th
// of year: completion writes it into the layers dated then.
func buildInYear(t *testing.T, db *datatest.DB, id int64, year int, amounts [3]float64, docNo string) {
	t.Helper()
	ctx := datatest.Context()
	move(t, db, id, "", planning.StateInLibrary, planning.StateAnnualPlan)
	var source string
	if err := db.Pool.QueryRow(ctx, `SELECT source_code FROM fund_entries WHERE project_id = $1 AND kind = '计划'
		ORDER BY id LIMIT 1`, id).Scan(&source); err != nil {
		t.Fatalf("project %d has no 计划 entry: %v", id, err)
	}
	for k, kind := range []string{planning.LedgerAllocated, planning.LedgerArrived, planning.LedgerPaid} {
		if _, err := db.Store.AddFundEntry(ctx, planning.FundEntry{ProjectID: id, Kind: kind, Source: source,
			AmountWan: amounts[k], Date: fmt.Sprintf("%d-03-01", year), DocNo: docNo}); err != nil {
			t.Fatalf("project %d %s: %v", id, kind, err)
		}
	}
	move(t, db, id, "", planning.StateBuilding, planning.StateBuilt)
	if _, err := db.Store.SetAsBuilt(ctx, id, planning.AsBuilt{CompletedOn: fmt.Sprintf("%d-06-30", year)}); err != nil {
		t.Fatal(err)
	}
}
