package planning

import (
	"strings"
	"testing"
)

// TestProgressMissingRun: a year-end without a run leaves its village
// figures unknown (nil cells, printed 无数据, a no_data reason), and the
// next year's gaps closed unknown too; the facts of both years still count.
func TestProgressMissingRun(t *testing.T) {
	zero := 0.0
	vs := VillageScore{VillageID: 1, TownshipCode: "1", TownshipName: "甲镇", IsPoor: true,
		Dimensions: []DimensionScore{{Dimension: DimRoad, Gap: &zero, Indicators: []IndicatorScore{{ID: "R1", Status: StatusPass}}}}}
	years := []YearScores{{Year: 2016}, {Year: 2017}, {Year: 2018, RunID: 7, Scores: []VillageScore{vs}}}
	facts := []ProgressFact{{Year: 2017, TownshipCode: "1", Projects: 2, Km: 1.5, PaidCents: 1234}}
	rows := Progress(years, facts)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	r17, r18 := rows[0], rows[1]
	if r17.Year != 2017 || r17.RunID != 0 || r17.NoData == "" || r17.Meeting != nil || r17.GapsClosed != nil ||
		r17.Projects != 2 || r17.KmPaved != 1.5 || r17.PaidWan != 12.34 {
		t.Errorf("2017 without a run: %+v", r17)
	}
	cells := r17.Row()
	if cells[3] != nil || cells[4] != nil || cells[len(cells)-6] != nil || cells[len(cells)-1] != nil {
		t.Errorf("2017 cells %v: village figures, gaps closed and run must be nil", cells)
	}
	if r18.Villages != 1 || r18.Meeting[DimRoad] != 1 || r18.GapsClosed != nil || r18.NoData != "" {
		t.Errorf("2018 after a year without a run: %+v; want its village figures, gaps closed unknown", r18)
	}
	var b strings.Builder
	if err := WriteProgress(&b, rows); err != nil || !strings.Contains(b.String(), "无数据") {
		t.Errorf("text table %q (%v): want 无数据 for the unknown figures", b.String(), err)
	}
}
