package planning

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// TownshipSummary aggregates the poor villages of one township: how many
// there are, their mean gap per dimension and composite, and how many fail
// each dimension's veto (R1 通硬化路, 饮水安全, 通电).
type TownshipSummary struct {
	Code, Name    string
	Poor          int
	PoorPeople    int                // 建档立卡 people of the poor villages whose count is known
	PoorUnknown   int                // poor villages whose 建档立卡 population is unknown
	MeanGap       map[string]float64 // by dimension, over poor villages with a gap
	MeanComposite float64
	Vetoed        map[string]int // poor villages whose dimension gap is vetoed to 100
}

// SummariseByTownship summarises the poor villages of scores per township,
// in township code order. Non-poor villages are left out: the plan's
// targets are the 建档立卡贫困村.
func SummariseByTownship(scores []VillageScore) []TownshipSummary {
	byCode := map[string]*TownshipSummary{}
	counts := map[string]map[string]int{}
	for _, vs := range scores {
		if !vs.IsPoor {
			continue
		}
		t := byCode[vs.TownshipCode]
		if t == nil {
			t = &TownshipSummary{Code: vs.TownshipCode, Name: vs.TownshipName, MeanGap: map[string]float64{}, Vetoed: map[string]int{}}
			byCode[vs.TownshipCode] = t
			counts[vs.TownshipCode] = map[string]int{}
		}
		t.Poor++
		if vs.PoorPopulation == nil {
			t.PoorUnknown++
		} else {
			t.PoorPeople += *vs.PoorPopulation
		}
		if vs.Composite != nil {
			t.MeanComposite += *vs.Composite
			counts[vs.TownshipCode]["composite"]++
		}
		for _, d := range vs.Dimensions {
			if d.Gap != nil {
				t.MeanGap[d.Dimension] += *d.Gap
				counts[vs.TownshipCode][d.Dimension]++
			}
			if d.Veto {
				t.Vetoed[d.Dimension]++
			}
		}
	}
	out := make([]TownshipSummary, 0, len(byCode))
	for code, t := range byCode {
		for dim := range t.MeanGap {
			t.MeanGap[dim] /= float64(counts[code][dim])
		}
		if n := counts[code]["composite"]; n > 0 {
			t.MeanComposite /= float64(n)
		}
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// WriteSummary prints the township summaries as an aligned table with a
// county total line, in Chinese for the bureau reading it.
func WriteSummary(w io.Writer, sums []TownshipSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "乡镇\t贫困村\t建档立卡人口\t通路\t饮水\t农网\t光伏\t综合\t未通硬化路\t饮水否决\t未通电\t")
	var total TownshipSummary
	vetoed := map[string]int{}
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t\n", s.Name, s.Poor, s.PoorPeople,
			s.MeanGap[DimRoad], s.MeanGap[DimWater], s.MeanGap[DimGrid], s.MeanGap[DimPV], s.MeanComposite,
			s.Vetoed[DimRoad], s.Vetoed[DimWater], s.Vetoed[DimGrid])
		total.Poor += s.Poor
		total.PoorPeople += s.PoorPeople
		for _, d := range []string{DimRoad, DimWater, DimGrid} {
			vetoed[d] += s.Vetoed[d]
		}
	}
	fmt.Fprintf(tw, "合计\t%d\t%d\t\t\t\t\t\t%d\t%d\t%d\t\n", total.Poor, total.PoorPeople,
		vetoed[DimRoad], vetoed[DimWater], vetoed[DimGrid])
	return tw.Flush()
}
