package table

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// TestRealisedXLSX: one row per project, an unknown realised gap and its
// difference empty cells (never 0), the difference realised − predicted,
// and the projects the prediction and the realised gap each include.
func TestRealisedXLSX(t *testing.T) {
	pred, real := 48.3, 52.6
	rows := []planning.Realised{
		{ProjectID: 7, Code: "430682-00007", Name: "渔潭村通村公路硬化工程", Dimension: planning.DimRoad, CompletedOn: "2016-06-30",
			Predicted: &pred, RunID: 3, Realised: &real, PredictedAlone: &real, PredictedWith: []int64{5, 6}, CompletedWith: []int64{5, 6, 9}, Measured: true},
		{ProjectID: 8, Name: "未评分", Dimension: planning.DimRoad, Predicted: &pred},
		{ProjectID: 9, Name: "改了路线", Dimension: planning.DimRoad, RunID: 3, Realised: &real,
			NoPrediction: "无预测：预测后项目 9 几何（2026-12-07），预测已清除"},
	}
	var b bytes.Buffer
	if err := WriteRealisedXLSX(&b, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.GetRows(sheetRealised, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0][13] != "差值（实际−预计）" {
		t.Fatalf("rows %q", got)
	}
	if got[1][12] != "52.6" || !strings.HasPrefix(got[1][13], "4.3") {
		t.Errorf("row 1 realised %q diff %q, want 52.6 and 4.3", got[1][12], got[1][13])
	}
	if got[0][16] != "预计所含同村项目ID" || got[1][15] != "52.6" || got[1][16] != "5、6" || got[1][17] != "5、6、9" || got[1][18] != "是" {
		t.Errorf("row 1 alone and sets %q, want 52.6, 5、6 and 5、6、9 under %q", got[1][15:], got[0][15:])
	}
	if len(got[2]) > 12 && (got[2][12] != "" || len(got[2]) > 13 && got[2][13] != "") {
		t.Errorf("row 2 (no run) realised %q, want empty", got[2][12:])
	}
	// No prediction: the predicted and the difference empty, the reason last.
	if got[0][19] != "无预测原因" || got[3][10] != "" || got[3][12] != "52.6" || got[3][13] != "" ||
		got[3][19] != "无预测：预测后项目 9 几何（2026-12-07），预测已清除" || len(got[1]) > 19 && got[1][19] != "" {
		t.Errorf("no-prediction row %q under %q (row 1 %q), want the reason in 无预测原因", got[3], got[0], got[1])
	}
}
