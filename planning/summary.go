package planning

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// GapCounts counts villages by how one gap stands: a measured gap above 0,
// met (0), or 数据不足 (see [VillageScore.UnknownGaps]).
type GapCounts struct {
	Gap, Met, Unknown int
}

// TownshipSummary aggregates the villages of one township: how many there
// are, their mean gap per dimension and composite over the villages whose
// gap is known, how many have a gap, meet the standard or lack the data,
// and how many fail each dimension's veto (R1 通硬化路, 饮水安全, 通电).
type TownshipSummary struct {
	Code, Name  string
	Villages    int
	PoorPeople  int // 建档立卡 people of the villages whose count is known
	PoorUnknown int // villages whose 建档立卡 population is unknown
	// MeanGap is by dimension and "综合", over the villages whose gap is
	// not 数据不足; a key is absent when there is no such village.
	MeanGap map[string]float64
	Counts  map[string]GapCounts // by dimension and "综合"
	Vetoed  map[string]int       // villages whose dimension gap is vetoed to 100
}

// Summary is the per-township summary of a run.
type Summary struct {
	// PoorOnly is true when it covers the 建档立卡贫困村 only; when no
	// village is flagged poor it covers every village instead, so that an
	// unflagged county still sees its gaps.
	PoorOnly  bool
	Townships []TownshipSummary // in township code order
}

// SummariseByTownship summarises scores per township. Only the poor
// villages count, the plan's targets, unless none is flagged poor.
func SummariseByTownship(scores []VillageScore) Summary {
	sum := Summary{PoorOnly: poorOnly(scores)}
	byCode := map[string]*TownshipSummary{}
	known := map[string]map[string]int{}
	for _, vs := range scores {
		if sum.PoorOnly && !vs.IsPoor {
			continue
		}
		t := byCode[vs.TownshipCode]
		if t == nil {
			t = &TownshipSummary{Code: vs.TownshipCode, Name: vs.TownshipName, MeanGap: map[string]float64{},
				Counts: map[string]GapCounts{}, Vetoed: map[string]int{}}
			byCode[vs.TownshipCode] = t
			known[vs.TownshipCode] = map[string]int{}
		}
		t.Villages++
		if vs.PoorPopulation == nil {
			t.PoorUnknown++
		} else {
			t.PoorPeople += *vs.PoorPopulation
		}
		add := func(key string, gap *float64, unknown bool) {
			c := t.Counts[key]
			switch {
			case unknown:
				c.Unknown++
			case *gap > 0:
				c.Gap++
			default:
				c.Met++
			}
			t.Counts[key] = c
			if !unknown {
				t.MeanGap[key] += *gap
				known[vs.TownshipCode][key]++
			}
		}
		add(CompositeKey, vs.Composite, vs.CompositeUnknown())
		for _, d := range vs.Dimensions {
			add(d.Dimension, d.Gap, d.Unknown())
			if d.Veto {
				t.Vetoed[d.Dimension]++
			}
		}
	}
	for code, t := range byCode {
		for key := range t.MeanGap {
			t.MeanGap[key] /= float64(known[code][key])
		}
		sum.Townships = append(sum.Townships, *t)
	}
	sort.Slice(sum.Townships, func(i, j int) bool { return sum.Townships[i].Code < sum.Townships[j].Code })
	return sum
}

// poorOnly says whether summaries count the poor villages only: when any
// village is flagged poor.
func poorOnly(scores []VillageScore) bool {
	for _, vs := range scores {
		if vs.IsPoor {
			return true
		}
	}
	return false
}

// WriteSummary prints the summary as two aligned tables, mean gaps and
// village counts, each with a county total line, in Chinese for the bureau
// reading it. A gap no village knows prints as 无数据, never as 0.
func WriteSummary(w io.Writer, s Summary) error {
	keys := append(append([]string{}, Dimensions...), CompositeKey)
	villages := "贫困村"
	if !s.PoorOnly {
		villages = "村"
		fmt.Fprintln(w, "尚未标记任何建档立卡贫困村（导入村图层的“是否贫困村”字段后重新评分）：下表汇总全部村。")
	}
	fmt.Fprintf(w, "各乡镇%s平均缺口（0 = 达标，100 = 最差；不含数据不足的村）：\n", villages)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "乡镇\t%s\t建档立卡人口\t通路\t饮水\t农网\t光伏\t综合\t未通硬化路\t饮水否决\t未通电\t\n", villages)
	var total TownshipSummary
	vetoed := map[string]int{}
	counts := map[string]GapCounts{}
	for _, t := range s.Townships {
		fmt.Fprintf(tw, "%s\t%d\t%s\t", t.Name, t.Villages, poorPeople(t))
		for _, k := range keys {
			if m, ok := t.MeanGap[k]; ok {
				fmt.Fprintf(tw, "%.1f\t", m)
			} else {
				fmt.Fprint(tw, "无数据\t")
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t\n", t.Vetoed[DimRoad], t.Vetoed[DimWater], t.Vetoed[DimGrid])
		total.Villages += t.Villages
		total.PoorPeople += t.PoorPeople
		total.PoorUnknown += t.PoorUnknown
		for _, d := range []string{DimRoad, DimWater, DimGrid} {
			vetoed[d] += t.Vetoed[d]
		}
		for _, k := range keys {
			c := counts[k]
			c.Gap, c.Met, c.Unknown = c.Gap+t.Counts[k].Gap, c.Met+t.Counts[k].Met, c.Unknown+t.Counts[k].Unknown
			counts[k] = c
		}
	}
	fmt.Fprintf(tw, "合计\t%d\t%s\t\t\t\t\t\t%d\t%d\t%d\t\n", total.Villages, poorPeople(total),
		vetoed[DimRoad], vetoed[DimWater], vetoed[DimGrid])
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n各乡镇%s数：有缺口 / 达标 / 数据不足（无数据，或%.0f%%以上的权重缺数据；缺什么见 gapmap projects needs）：\n",
		villages, UnknownShare*100)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "乡镇\t通路\t饮水\t农网\t光伏\t综合\t")
	row := func(name string, c map[string]GapCounts) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, k := range keys {
			fmt.Fprintf(tw, "%d / %d / %d\t", c[k].Gap, c[k].Met, c[k].Unknown)
		}
		fmt.Fprintln(tw)
	}
	for _, t := range s.Townships {
		row(t.Name, t.Counts)
	}
	row("合计", counts)
	return tw.Flush()
}

// poorPeople prints the known 建档立卡 people of a row and, when some
// villages' counts are unknown, how many: an unknown count is never 0, and
// nor is the sum of no known count (a county fresh from its code list).
func poorPeople(t TownshipSummary) string {
	switch t.PoorUnknown {
	case 0:
		return fmt.Sprint(t.PoorPeople)
	case t.Villages:
		return "无数据"
	}
	return fmt.Sprintf("%d（%d 村未知）", t.PoorPeople, t.PoorUnknown)
}
