package planning

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// summaryVillage is a scored village of township 甲镇 with the given
// dimension gaps and missing shares (nil gap: no data), in Dimensions order.
func summaryVillage(poor bool, gaps []*float64, missing []float64) VillageScore {
	vs := VillageScore{TownshipCode: "430682100", TownshipName: "甲镇", IsPoor: poor, PoorPopulation: new(10)}
	for i, d := range Dimensions {
		vs.Dimensions = append(vs.Dimensions, DimensionScore{Dimension: d, Gap: gaps[i], MissingWeight: missing[i]})
	}
	vs.Composite, vs.MissingWeight = composite(vs.Dimensions, []float64{1, 1, 1, 1})
	return vs
}

func fp(v float64) *float64 { return &v }

// row returns the cells of the table line that starts with name in the
// part of out after heading.
func row(t *testing.T, out, heading, name string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, heading)
	if !ok {
		t.Fatalf("no %q in:\n%s", heading, out)
	}
	for _, line := range strings.Split(rest, "\n") {
		if f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1); f[0] == name {
			return f
		}
	}
	t.Fatalf("no line %q after %q in:\n%s", name, heading, out)
	return nil
}

func TestSummaryShowsUnknownAsUnknown(t *testing.T) {
	scores := []VillageScore{
		// 饮水 has no data in both villages: its mean is unknown, not 0.
		summaryVillage(true, []*float64{fp(40), nil, fp(0), fp(0)}, []float64{0, 1, 0, 0}),
		// 通路 rests 80 % on missing data: 数据不足, left out of the mean.
		summaryVillage(true, []*float64{fp(0), nil, fp(20), fp(0)}, []float64{0.8, 1, 0, 0}),
		summaryVillage(false, []*float64{fp(100), fp(100), fp(100), fp(100)}, []float64{0, 0, 0, 0}),
	}
	// A veto is a measured failure: 光伏 100 on 60 % missing data still has a gap.
	vetoed := summaryVillage(true, []*float64{fp(0), fp(0), fp(0), fp(100)}, []float64{0, 0, 0, 0.6})
	vetoed.Dimensions[3].Veto = true
	scores = append(scores, vetoed)
	var b bytes.Buffer
	if err := WriteSummary(&b, SummariseByTownship(scores)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	means := row(t, out, "平均缺口", "甲镇")
	// 乡镇 贫困村 人口 通路 饮水 农网 光伏 综合 …
	if got, want := strings.Join(means[1:8], " "), "3 30 20.0 0.0 6.7 33.3 15.0"; got != want {
		t.Errorf("means = %q, want %q:\n%s", got, want, out)
	}
	counts := row(t, out, "有缺口 / 达标 / 数据不足", "甲镇")
	if got, want := strings.Join(counts[1:], "|"), "1 / 1 / 1|0 / 1 / 2|1 / 2 / 0|1 / 2 / 0|3 / 0 / 0"; got != want {
		t.Errorf("counts = %q, want %q:\n%s", got, want, out)
	}
	if strings.Contains(out, "尚未标记") {
		t.Errorf("summary with poor villages says none is flagged:\n%s", out)
	}
}

func TestSummaryWithoutPoorVillagesCoversAll(t *testing.T) {
	scores := []VillageScore{
		summaryVillage(false, []*float64{fp(40), fp(0), fp(0), fp(0)}, []float64{0, 0, 0, 0}),
		summaryVillage(false, []*float64{fp(20), fp(0), fp(0), fp(0)}, []float64{0, 0, 0, 0}),
	}
	s := SummariseByTownship(scores)
	if s.PoorOnly || len(s.Townships) != 1 || s.Townships[0].Villages != 2 {
		t.Fatalf("summary of unflagged villages = %+v, want both villages", s)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "尚未标记任何建档立卡贫困村") {
		t.Errorf("summary does not say no 贫困村 is flagged:\n%s", out)
	}
	if got := row(t, out, "平均缺口", "甲镇")[3]; got != "30.0" {
		t.Errorf("通路 mean = %s, want 30.0:\n%s", got, out)
	}
}

// TestSummaryPoorPeopleUnknown: a row whose villages' 建档立卡 counts are
// all unknown says 无数据 (it printed "0（2 村未知）"); a row with some known
// gives their sum and how many are unknown.
func TestSummaryPoorPeopleUnknown(t *testing.T) {
	unknown := func(code, name string) VillageScore {
		vs := summaryVillage(false, []*float64{nil, nil, nil, nil}, []float64{1, 1, 1, 1})
		vs.TownshipCode, vs.TownshipName, vs.PoorPopulation = code, name, nil
		return vs
	}
	scores := []VillageScore{
		unknown("430682100", "甲镇"), unknown("430682100", "甲镇"),
		unknown("430682101", "乙镇"), summaryVillage(false, []*float64{nil, nil, nil, nil}, []float64{1, 1, 1, 1}),
	}
	scores[3].TownshipCode, scores[3].TownshipName = "430682101", "乙镇"
	var b bytes.Buffer
	if err := WriteSummary(&b, SummariseByTownship(scores)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for name, want := range map[string]string{"甲镇": "无数据", "乙镇": "10（1 村未知）", "合计": "10（3 村未知）"} {
		if got := row(t, out, "平均缺口", name)[2]; got != want {
			t.Errorf("%s 建档立卡人口 = %q, want %q:\n%s", name, got, want, out)
		}
	}
}
