package budget

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// townYear keys what a township spends in a year.
type townYear struct {
	town string
	year int
}

// budgetCheck fails tb unless res is a schedule that keeps every rule of in
// and whose Value, Bound and Gap agree with it. It is written from the
// Input, not from the solver's index form, so that it checks the solver.
func budgetCheck(tb testing.TB, in Input, res Result) {
	tb.Helper()
	eb := cmp.Or(in.EarlyBonus, 0.01)
	byKey := map[string]Item{}
	for _, it := range in.Items {
		byKey[it.Key] = it
	}
	for k, y := range res.Year {
		if _, ok := byKey[k]; !ok {
			tb.Errorf("Year has unknown key %q", k)
		}
		if !slices.Contains(in.Years, y) {
			tb.Errorf("%s in year %d, not a plan year", k, y)
		}
	}
	value := 0.0
	spent := map[int]float64{}
	source := map[int]map[string]float64{}
	town := map[townYear]float64{}
	for _, it := range in.Items {
		y, ok := res.Year[it.Key]
		if it.Fixed != 0 && y != it.Fixed {
			tb.Errorf("Fixed %s in year %d, want %d", it.Key, y, it.Fixed)
		}
		if !ok {
			continue
		}
		if it.After != "" {
			if ya, ok := res.Year[it.After]; !ok || ya > y {
				tb.Errorf("%s (%d) is built without or before its prerequisite %s (%d, %v)", it.Key, y, it.After, ya, ok)
			}
		}
		value += it.Value * (1 - eb*float64(slices.Index(in.Years, y)))
		spent[y] += it.CostWan
		if source[y] == nil {
			source[y] = map[string]float64{}
		}
		if len(it.Funding) == 0 {
			source[y][""] += it.CostWan
		}
		for s, a := range it.Funding {
			source[y][s] += a
		}
		if it.Township != "" {
			town[townYear{it.Township, y}] += it.CostWan
		}
	}
	over := func(used, limit float64) bool { return used > limit+1e-6 }
	for _, y := range in.Years {
		if over(spent[y], in.Budget[y]) {
			tb.Errorf("%d spends %.4f, budget %.4f", y, spent[y], in.Budget[y])
		}
		for s, b := range in.SourceBudget[y] {
			if over(source[y][s], b) {
				tb.Errorf("%d spends %.4f of %q, budget %.4f", y, source[y][s], s, b)
			}
		}
	}
	if in.TownshipCap > 0 {
		for k, u := range town {
			if over(u, in.TownshipCap) {
				tb.Errorf("township %s spends %.4f in %d, cap %.4f", k.town, u, k.year, in.TownshipCap)
			}
		}
	}
	if math.Abs(value-res.Value) > 1e-6*max(1, value) {
		tb.Errorf("Value = %v, the schedule is worth %v", res.Value, value)
	}
	fill := 0.0
	for _, it := range in.Items {
		if y, ok := res.Year[it.Key]; ok {
			fill += it.Fill * (1 - eb*float64(slices.Index(in.Years, y)))
		}
	}
	if math.Abs(fill-res.Fill) > 1e-6*max(1, fill) || res.FillBound < res.Fill-1e-9 {
		tb.Errorf("Fill = %v (bound %v), the schedule is worth %v", res.Fill, res.FillBound, fill)
	}
	outCheck(tb, in, res, spent, source, town)
	if res.Bound < res.Value-1e-9 || res.Gap < 0 || res.Optimal && res.Gap != 0 {
		tb.Errorf("Bound %v, Value %v, Gap %v, Optimal %v are inconsistent", res.Bound, res.Value, res.Gap, res.Optimal)
	}
	if len(res.Years) != len(in.Years) {
		tb.Fatalf("len(Years) = %d, want %d", len(res.Years), len(in.Years))
	}
	for t, py := range res.Years {
		y := in.Years[t]
		if py.Year != y || math.Abs(py.SpentWan-spent[y]) > 1e-6 || py.BudgetWan != in.Budget[y] {
			tb.Errorf("Years[%d] = %+v, want year %d spending %.4f", t, py, y, spent[y])
		}
		for s, a := range source[y] {
			if math.Abs(py.BySource[s]-a) > 1e-6 {
				tb.Errorf("Years[%d].BySource[%q] = %v, want %v", t, s, py.BySource[s], a)
			}
		}
	}
}

// outCheck fails tb unless every item is either in the schedule or in
// res.Out, and each reason holds for the schedule as the Input describes
// it: a shortfall is real, every year the item may take is listed, and an
// item with value that fits somewhere is never left out.
func outCheck(tb testing.TB, in Input, res Result, spent map[int]float64, source map[int]map[string]float64, town map[townYear]float64) {
	tb.Helper()
	townLeft := func(tw string, y int) float64 { return in.TownshipCap - town[townYear{tw, y}] }
	// fits reports whether it fits in y beside the schedule, and if not the
	// money left on the first row short: the yearly budget, the township
	// cap, the sources by name (the order Reason names them in).
	fits := func(it Item, y int) (bool, float64) {
		if left := in.Budget[y] - spent[y]; it.CostWan > left+1e-6 {
			return false, left
		}
		if in.TownshipCap > 0 && it.Township != "" && it.CostWan > townLeft(it.Township, y)+1e-6 {
			return false, townLeft(it.Township, y)
		}
		funding := it.Funding
		if len(funding) == 0 {
			funding = map[string]float64{"": it.CostWan}
		}
		for _, s := range slices.Sorted(maps.Keys(funding)) {
			if b, ok := in.SourceBudget[y][s]; ok && funding[s] > 0 && funding[s] > b-source[y][s]+1e-6 {
				return false, b - source[y][s]
			}
		}
		return true, 0
	}
	for _, it := range in.Items {
		_, built := res.Year[it.Key]
		r, out := res.Out[it.Key]
		if built == out {
			tb.Errorf("%s: built %v, left out %v (%+v): want exactly one", it.Key, built, out, r)
			continue
		}
		if built {
			continue
		}
		worth := it.Value > 0 || it.Fill > 0
		from := 0 // first year index the prerequisite allows
		if it.After != "" {
			if ya, ok := res.Year[it.After]; ok {
				from = slices.Index(in.Years, ya)
			} else if r.Kind != OutNoValue && (r.Kind != OutAfter || r.After != it.After || r.AfterYear != 0) {
				tb.Errorf("%s: prerequisite %s left out, reason %+v", it.Key, it.After, r)
				continue
			}
		}
		switch r.Kind {
		case OutNoValue:
			if worth {
				tb.Errorf("%s (value %v, fill %v): reason %q", it.Key, it.Value, it.Fill, r.Kind)
			}
			continue
		case OutNotChosen:
			if res.Optimal && res.FillOptimal {
				tb.Errorf("%s: %q in a schedule proven optimal", it.Key, r.Kind)
			}
			continue
		case OutAfter:
			if r.After != it.After {
				tb.Errorf("%s: waits for %q, its prerequisite is %q", it.Key, r.After, it.After)
			}
			if r.AfterYear == 0 {
				continue
			}
			if r.AfterYear != res.Year[it.After] {
				tb.Errorf("%s: reason says prerequisite in %d, it is in %d", it.Key, r.AfterYear, res.Year[it.After])
			}
		case OutBudget, OutCap:
		default:
			tb.Errorf("%s: unknown reason %+v", it.Key, r)
			continue
		}
		if !worth {
			tb.Errorf("%s has no value, reason %+v", it.Key, r)
		}
		if len(r.Short) != len(in.Years)-from {
			tb.Errorf("%s: %d shortfalls for years from %d: %+v", it.Key, len(r.Short), in.Years[from], r.Short)
			continue
		}
		cap := false
		for k, sf := range r.Short {
			y := in.Years[from+k]
			ok, left := fits(it, y)
			if sf.Year != y || ok || math.Abs(max(left, 0)-sf.LeftWan) > 1e-6 || sf.NeedWan <= sf.LeftWan {
				tb.Errorf("%s: shortfall %+v, but in %d fits=%v, left %.4f", it.Key, sf, y, ok, left)
			}
			cap = cap || sf.Row != fmt.Sprintf("%d 年度预算", y)
		}
		if cap != (r.Kind == OutCap) && r.Kind != OutAfter {
			tb.Errorf("%s: kind %q with shortfalls %+v", it.Key, r.Kind, r.Short)
		}
	}
}

// fitOK runs Fit and fails tb on an error or a broken schedule.
func fitOK(tb testing.TB, in Input) Result {
	tb.Helper()
	res, err := Fit(context.Background(), in)
	if err != nil {
		tb.Fatalf("Fit: %v", err)
	}
	budgetCheck(tb, in, res)
	return res
}

func TestFitBudgetSmall(t *testing.T) {
	one := []int{2020}
	two := []int{2019, 2020}
	cases := []struct {
		name  string
		in    Input
		want  map[string]int
		value float64
	}{
		{
			// Greedy by density takes A (5/万元) and then only D fits: 40.
			name: "knapsack beats greedy",
			in: Input{Years: one, Budget: map[int]float64{2020: 10}, Items: []Item{
				{Key: "A", CostWan: 6, Value: 30}, {Key: "B", CostWan: 5, Value: 20},
				{Key: "C", CostWan: 5, Value: 21}, {Key: "D", CostWan: 4, Value: 10}}},
			want:  map[string]int{"B": 2020, "C": 2020},
			value: 41,
		},
		{
			name: "early bonus orders the years",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "A", CostWan: 10, Value: 50}, {Key: "B", CostWan: 10, Value: 100}}},
			want:  map[string]int{"B": 2019, "A": 2020},
			value: 100 + 50*0.99,
		},
		{
			name: "custom early bonus",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, EarlyBonus: 0.5, Items: []Item{
				{Key: "A", CostWan: 10, Value: 50}, {Key: "B", CostWan: 10, Value: 100}}},
			want:  map[string]int{"B": 2019, "A": 2020},
			value: 125,
		},
		{
			// P is worth most but needs the grid first: G in 2019, P in 2020.
			name: "precedence",
			in: Input{Years: two, Budget: map[int]float64{2019: 5, 2020: 5}, Items: []Item{
				{Key: "P", CostWan: 5, Value: 100, After: "G"}, {Key: "G", CostWan: 5, Value: 0},
				{Key: "X", CostWan: 5, Value: 60}}},
			want:  map[string]int{"G": 2019, "P": 2020},
			value: 99,
		},
		{
			name: "prerequisite over budget blocks its dependent",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "P", CostWan: 5, Value: 100, After: "G"}, {Key: "G", CostWan: 20, Value: 0},
				{Key: "X", CostWan: 5, Value: 1}}},
			want:  map[string]int{"X": 2019},
			value: 1,
		},
		{
			name: "precedence chain in one year",
			in: Input{Years: two, Budget: map[int]float64{2019: 9, 2020: 0}, Items: []Item{
				{Key: "C", CostWan: 3, Value: 10, After: "B"}, {Key: "B", CostWan: 3, Value: 0, After: "A"},
				{Key: "A", CostWan: 3, Value: 1}, {Key: "D", CostWan: 7, Value: 10}}},
			want:  map[string]int{"A": 2019, "B": 2019, "C": 2019},
			value: 11,
		},
		{
			// 中央 allows 10: A (10) alone, or C (5 of it) alone.
			name: "source budget binds",
			in: Input{Years: one, Budget: map[int]float64{2020: 100},
				SourceBudget: map[int]map[string]float64{2020: {"中央": 10}}, Items: []Item{
					{Key: "A", CostWan: 10, Value: 50, Funding: map[string]float64{"中央": 10}},
					{Key: "B", CostWan: 10, Value: 40, Funding: map[string]float64{"中央": 10}},
					{Key: "C", CostWan: 10, Value: 30, Funding: map[string]float64{"中央": 5, "县级": 5}},
					{Key: "D", CostWan: 10, Value: 5}}},
			want:  map[string]int{"A": 2020, "D": 2020},
			value: 55,
		},
		{
			name: "default source budget binds",
			in: Input{Years: one, Budget: map[int]float64{2020: 100},
				SourceBudget: map[int]map[string]float64{2020: {"": 10}}, Items: []Item{
					{Key: "A", CostWan: 10, Value: 50}, {Key: "B", CostWan: 10, Value: 40},
					{Key: "C", CostWan: 10, Value: 30, Funding: map[string]float64{"县级": 10}}}},
			want:  map[string]int{"A": 2020, "C": 2020},
			value: 80,
		},
		{
			name: "township cap binds",
			in: Input{Years: one, Budget: map[int]float64{2020: 100}, TownshipCap: 10, Items: []Item{
				{Key: "a", CostWan: 6, Value: 30, Township: "t1"}, {Key: "b", CostWan: 5, Value: 20, Township: "t1"},
				{Key: "c", CostWan: 4, Value: 15, Township: "t1"}, {Key: "d", CostWan: 8, Value: 10, Township: "t2"}}},
			want:  map[string]int{"a": 2020, "c": 2020, "d": 2020},
			value: 55,
		},
		{
			name: "fixed items stay and count",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "F", CostWan: 6, Value: 1, Fixed: 2019}, {Key: "L", CostWan: 1, Value: 50, Fixed: 2020},
				{Key: "A", CostWan: 9, Value: 50}, {Key: "B", CostWan: 4, Value: 30}}},
			want:  map[string]int{"F": 2019, "B": 2019, "L": 2020, "A": 2020},
			value: 1 + 30 + (50+50)*0.99,
		},
		{
			name: "fixed dependent pulls in its prerequisite",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "P", CostWan: 5, Value: 10, Fixed: 2019, After: "G"}, {Key: "G", CostWan: 5, Value: 0},
				{Key: "A", CostWan: 10, Value: 50}}},
			want:  map[string]int{"G": 2019, "P": 2019, "A": 2020},
			value: 10 + 50*0.99,
		},
		{
			name: "too dear and worthless items stay out",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "huge", CostWan: 11, Value: 1000}, {Key: "zero", CostWan: 1, Value: 0},
				{Key: "A", CostWan: 3, Value: 3}}},
			want:  map[string]int{"A": 2019},
			value: 3,
		},
		{
			name:  "no items",
			in:    Input{Years: two},
			want:  map[string]int{},
			value: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := fitOK(t, tc.in)
			if !reflect.DeepEqual(res.Year, tc.want) {
				t.Errorf("Year = %v, want %v", res.Year, tc.want)
			}
			if math.Abs(res.Value-tc.value) > 1e-9 {
				t.Errorf("Value = %v, want %v", res.Value, tc.value)
			}
			if !res.Optimal || res.Gap != 0 || res.Bound != res.Value {
				t.Errorf("Optimal %v, Gap %v, Bound %v: want proven optimal", res.Optimal, res.Gap, res.Bound)
			}
		})
	}
}

// TestFitReasons pins the reason of each item left out, and that the
// second tier spends what the first leaves without lowering its Value.
func TestFitReasons(t *testing.T) {
	two := []int{2019, 2020}
	short := func(y int, row string, left, need float64) Shortfall {
		return Shortfall{Year: y, Row: row, LeftWan: left, NeedWan: need}
	}
	cases := []struct {
		name      string
		in        Input
		want      map[string]int
		out       map[string]Reason
		fill      float64
		fillBound float64
	}{
		{
			name: "over budget in every year",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "A", CostWan: 8, Value: 10}, {Key: "B", CostWan: 8, Value: 9}, {Key: "C", CostWan: 5, Value: 1}}},
			want: map[string]int{"A": 2019, "B": 2020},
			out: map[string]Reason{"C": {Kind: OutBudget, Short: []Shortfall{
				short(2019, "2019 年度预算", 2, 5), short(2020, "2020 年度预算", 2, 5)}}},
		},
		{
			name: "township cap",
			in: Input{Years: []int{2020}, Budget: map[int]float64{2020: 100}, TownshipCap: 10, Items: []Item{
				{Key: "a", CostWan: 7, Value: 30, Township: "t1"}, {Key: "b", CostWan: 5, Value: 20, Township: "t1"}}},
			want: map[string]int{"a": 2020},
			out: map[string]Reason{"b": {Kind: OutCap, Short: []Shortfall{
				short(2020, "2020 年乡镇 t1 投资上限", 3, 5)}}},
		},
		{
			name: "prerequisite left out, and worthless",
			in: Input{Years: two, Budget: map[int]float64{2019: 10, 2020: 10}, Items: []Item{
				{Key: "P", CostWan: 30, Value: 5}, {Key: "D", CostWan: 1, Value: 5, After: "P"}, {Key: "Z", CostWan: 1}}},
			want: map[string]int{},
			out: map[string]Reason{
				"P": {Kind: OutBudget, Short: []Shortfall{short(2019, "2019 年度预算", 10, 30), short(2020, "2020 年度预算", 10, 30)}},
				"D": {Kind: OutAfter, After: "P"},
				"Z": {Kind: OutNoValue}},
		},
		{
			// X then P is worth 149.5, P and D first 149.1: P goes to 2020,
			// where D no longer fits, though 3 万元 of 2019 are left.
			name: "prerequisite built too late",
			in: Input{Years: two, Budget: map[int]float64{2019: 13, 2020: 10}, Items: []Item{
				{Key: "X", CostWan: 10, Value: 100}, {Key: "P", CostWan: 10, Value: 50},
				{Key: "D", CostWan: 3, Value: 0.1, After: "P"}}},
			want: map[string]int{"X": 2019, "P": 2020},
			out: map[string]Reason{"D": {Kind: OutAfter, After: "P", AfterYear: 2020,
				Short: []Shortfall{short(2020, "2020 年度预算", 0, 3)}}},
		},
		{
			// A closes the gap; 4 万元 are left, and F2 and F3 serve more
			// than F1. B would serve most but would take A's place.
			name: "second tier spends what is left",
			in: Input{Years: []int{2019}, Budget: map[int]float64{2019: 10}, Items: []Item{
				{Key: "A", CostWan: 6, Value: 10}, {Key: "B", CostWan: 6, Value: 1, Fill: 100},
				{Key: "F1", CostWan: 4, Fill: 5}, {Key: "F2", CostWan: 3, Fill: 6}, {Key: "F3", CostWan: 1, Fill: 1}}},
			want: map[string]int{"A": 2019, "F2": 2019, "F3": 2019},
			out: map[string]Reason{
				"B":  {Kind: OutBudget, Short: []Shortfall{short(2019, "2019 年度预算", 0, 6)}},
				"F1": {Kind: OutBudget, Short: []Shortfall{short(2019, "2019 年度预算", 0, 4)}}},
			fill: 7, fillBound: 7,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := fitOK(t, tc.in)
			if !reflect.DeepEqual(res.Year, tc.want) {
				t.Errorf("Year = %v, want %v", res.Year, tc.want)
			}
			for k, r := range res.Out {
				for i := range r.Short {
					r.Short[i].LeftWan = math.Round(r.Short[i].LeftWan*1e6) / 1e6
				}
				res.Out[k] = r
			}
			if !reflect.DeepEqual(res.Out, tc.out) {
				t.Errorf("Out =\n%+v\nwant\n%+v", res.Out, tc.out)
			}
			if res.Fill != tc.fill || res.FillBound != tc.fillBound || !res.Optimal || hasFill(tc.in) && !res.FillOptimal {
				t.Errorf("Fill %v (bound %v, optimal %v), Optimal %v: want %v", res.Fill, res.FillBound, res.FillOptimal, res.Optimal, tc.fill)
			}
		})
	}
}

// budgetRandom is a small random instance with every kind of rule: two
// sources with budgets, a township cap, After links and Fixed items.
func budgetRandom(r *rand.Rand, n int) Input {
	in := Input{Years: []int{2019, 2020}, Budget: map[int]float64{}}
	total := 0.0
	for i := range n {
		it := Item{
			Key:      string(rune('a' + i)),
			CostWan:  float64(1+r.IntN(100)) / 10,
			Value:    float64(r.IntN(200)) / 10,
			Township: []string{"t1", "t2", "t3"}[r.IntN(3)],
		}
		if r.IntN(8) == 0 {
			it.Value = 0
		}
		if r.IntN(2) == 0 {
			a := math.Round(it.CostWan*r.Float64()*100) / 100
			it.Funding = map[string]float64{"中央": a, "县级": it.CostWan - a}
		}
		if i > 0 && r.IntN(3) == 0 {
			it.After = string(rune('a' + r.IntN(i)))
		}
		if r.IntN(10) == 0 {
			it.Fixed = in.Years[r.IntN(2)]
		}
		total += it.CostWan
		in.Items = append(in.Items, it)
	}
	for _, y := range in.Years {
		in.Budget[y] = math.Round(total*(0.1+0.4*r.Float64())*10) / 10
	}
	if r.IntN(2) == 0 {
		in.SourceBudget = map[int]map[string]float64{2019: {"中央": total * 0.15}, 2020: {"": total * 0.1, "县级": total * 0.2}}
	}
	if r.IntN(2) == 0 {
		in.TownshipCap = total * 0.15
	}
	if r.IntN(3) == 0 {
		in.EarlyBonus = 0.2
	}
	r.Shuffle(len(in.Items), func(i, j int) { in.Items[i], in.Items[j] = in.Items[j], in.Items[i] })
	return in
}

// budgetBrute returns the best value over every schedule of in, by
// enumeration, and whether any schedule is feasible.
func budgetBrute(in Input) (float64, bool) {
	best, found := 0.0, false
	budgetEnum(in, func(value, _ float64) {
		if !found || value > best {
			best, found = value, true
		}
	})
	return best, found
}

// budgetBrute2 returns the two-tier optimum of in by enumeration: the best
// Value, and the best Fill among the schedules of that Value (to 1e-9).
func budgetBrute2(in Input) (value, fill float64, found bool) {
	value, found = budgetBrute(in)
	budgetEnum(in, func(v, f float64) {
		if v >= value-1e-9*max(1, value) {
			fill = max(fill, f)
		}
	})
	return value, fill, found
}

// budgetEnum calls visit with the Value and Fill of every feasible
// schedule of in.
func budgetEnum(in Input, visit func(value, fill float64)) {
	n := len(in.Items)
	years := make([]int, n) // index into in.Years, or −1
	for i := range years {
		years[i] = -1
	}
	pos := map[string]int{}
	for i, it := range in.Items {
		pos[it.Key] = i
	}
	eb := cmp.Or(in.EarlyBonus, 0.01)
	var rec func(k int)
	rec = func(k int) {
		if k < n {
			for t := -1; t < len(in.Years); t++ {
				years[k] = t
				rec(k + 1)
			}
			return
		}
		spent := make([]float64, len(in.Years))
		source := make([]map[string]float64, len(in.Years))
		town := make([]map[string]float64, len(in.Years))
		value, fill := 0.0, 0.0
		for i, it := range in.Items {
			t := years[i]
			if it.Fixed != 0 && (t < 0 || in.Years[t] != it.Fixed) {
				return
			}
			if t < 0 {
				continue
			}
			if it.After != "" {
				if ta := years[pos[it.After]]; ta < 0 || ta > t {
					return
				}
			}
			value += it.Value * (1 - eb*float64(t))
			fill += it.Fill * (1 - eb*float64(t))
			spent[t] += it.CostWan
			if source[t] == nil {
				source[t], town[t] = map[string]float64{}, map[string]float64{}
			}
			if len(it.Funding) == 0 {
				source[t][""] += it.CostWan
			}
			for s, a := range it.Funding {
				source[t][s] += a
			}
			town[t][it.Township] += it.CostWan
		}
		for t, y := range in.Years {
			if spent[t] > in.Budget[y]+1e-9 {
				return
			}
			for s, b := range in.SourceBudget[y] {
				if source[t][s] > b+1e-9 {
					return
				}
			}
			for _, u := range town[t] {
				if in.TownshipCap > 0 && u > in.TownshipCap+1e-9 {
					return
				}
			}
		}
		visit(value, fill)
	}
	rec(0)
}

func TestFitBudgetBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(2016, 2020))
	for k := range 200 {
		in := budgetRandom(r, 1+r.IntN(10))
		want, feasible := budgetBrute(in)
		res, err := Fit(context.Background(), in)
		if !feasible {
			if err == nil {
				t.Errorf("case %d: no schedule is feasible, Fit found one: %v", k, res.Year)
			}
			continue
		}
		if err != nil {
			t.Errorf("case %d: Fit: %v", k, err)
			continue
		}
		budgetCheck(t, in, res)
		if math.Abs(res.Value-want) > 1e-6 || !res.Optimal {
			t.Errorf("case %d: Value = %v (optimal %v), brute force %v\n%+v", k, res.Value, res.Optimal, want, in)
		}
	}
}

// budgetRandom2 is budgetRandom with a second tier: many items that close
// no gap (Value 0) but serve people (Fill), and first-tier values drawn
// from a continuum so that no two schedules tie on Value, which makes the
// two-tier optimum one number.
func budgetRandom2(r *rand.Rand, n int) Input {
	in := budgetRandom(r, n)
	for i := range in.Items {
		it := &in.Items[i]
		it.Value = 0
		if r.IntN(5) < 3 {
			it.Value = 20 * r.Float64()
		}
		if r.IntN(5) > 0 {
			it.Fill = float64(r.IntN(60))
		}
	}
	return in
}

// TestFitTwoTierBruteForce compares both tiers with enumeration: Value
// must be the best of all schedules and Fill the best of the schedules
// with that Value, both proven; the checks of budgetCheck hold, so every
// item left out has a true reason and none with value fits anywhere.
func TestFitTwoTierBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(2020, 16))
	filled := 0
	for k := range 300 {
		in := budgetRandom2(r, 1+r.IntN(9))
		value, fill, feasible := budgetBrute2(in)
		res, err := Fit(context.Background(), in)
		if !feasible {
			if err == nil {
				t.Errorf("case %d: no schedule is feasible, Fit found one: %v", k, res.Year)
			}
			continue
		}
		if err != nil {
			t.Errorf("case %d: Fit: %v", k, err)
			continue
		}
		budgetCheck(t, in, res)
		if math.Abs(res.Value-value) > 1e-6 || !res.Optimal {
			t.Errorf("case %d: Value = %v (optimal %v), brute force %v\n%+v", k, res.Value, res.Optimal, value, in)
		}
		if math.Abs(res.Fill-fill) > 1e-6 || !res.FillOptimal && hasFill(in) {
			t.Errorf("case %d: Fill = %v (optimal %v), brute force %v\n%+v", k, res.Fill, res.FillOptimal, fill, in)
		}
		if fill > 0 {
			filled++
		}
	}
	if filled < 100 {
		t.Errorf("only %d cases have a second tier to fill", filled)
	}
}

// budgetDP returns the optimum of a two-year instance with integer costs
// and no side rows, by dynamic programming over the budget left in each
// year: an independent check at sizes brute force cannot reach.
func budgetDP(in Input) float64 {
	eb := cmp.Or(in.EarlyBonus, 0.01)
	b0, b1 := int(in.Budget[in.Years[0]]), int(in.Budget[in.Years[1]])
	best := make([]float64, (b0+1)*(b1+1)) // [u0*(b1+1)+u1]: best value using u0, u1
	next := make([]float64, len(best))
	for _, it := range in.Items {
		c := int(it.CostWan)
		copy(next, best)
		for u0 := 0; u0 <= b0; u0++ {
			for u1 := 0; u1 <= b1; u1++ {
				v := best[u0*(b1+1)+u1]
				if u0+c <= b0 {
					k := (u0+c)*(b1+1) + u1
					next[k] = max(next[k], v+it.Value)
				}
				if u1+c <= b1 {
					k := u0*(b1+1) + u1 + c
					next[k] = max(next[k], v+it.Value*(1-eb))
				}
			}
		}
		best, next = next, best
	}
	return slices.Max(best)
}

func TestFitBudgetDP(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2016))
	for k := range 40 {
		in := Input{Years: []int{2019, 2020}, Budget: map[int]float64{}}
		total := 0
		for i := range 20 + r.IntN(40) {
			c := 1 + r.IntN(30)
			total += c
			in.Items = append(in.Items, Item{Key: keyOf(i), CostWan: float64(c), Value: float64(c + r.IntN(c+5))})
		}
		in.Budget[2019] = float64(total * (10 + r.IntN(30)) / 100)
		in.Budget[2020] = float64(total * (10 + r.IntN(30)) / 100)
		want := budgetDP(in)
		res := fitOK(t, in)
		if res.Bound < want-1e-6 {
			t.Errorf("case %d: Bound = %v is below the optimum %v", k, res.Bound, want)
		}
		if math.Abs(res.Value-want) > 1e-6 || !res.Optimal {
			t.Errorf("case %d (%d items): Value = %v (optimal %v, %d nodes), DP %v", k, len(in.Items), res.Value, res.Optimal, res.Nodes, want)
		}
	}
}

// budgetLarge is the benchmark instance: n items with costs 5–300 万元,
// values correlated with cost, 20 townships, 2016–2020, each year's budget
// about 15% of the total cost, and 10% of the items after another.
func budgetLarge(seed uint64, n int) Input {
	r := rand.New(rand.NewPCG(seed, 5000))
	in := Input{Years: []int{2016, 2017, 2018, 2019, 2020}, Budget: map[int]float64{}}
	total := 0.0
	for i := range n {
		cost := 5 + 295*r.Float64()
		it := Item{
			Key:      keyOf(i),
			CostWan:  math.Round(cost*100) / 100,
			Value:    math.Round(cost*(0.5+r.Float64())*(1+0.2*r.NormFloat64())*100) / 100,
			Township: keyOf(1000 + r.IntN(20)),
		}
		it.Value = max(it.Value, 0)
		if i > 0 && r.IntN(10) == 0 {
			it.After = keyOf(r.IntN(i))
		}
		total += it.CostWan
		in.Items = append(in.Items, it)
	}
	for _, y := range in.Years {
		in.Budget[y] = math.Round(total * 0.15)
	}
	return in
}

func keyOf(i int) string { return fmt.Sprintf("P%05d", i) }

// budgetCapped adds a township cap and per-source budgets to a large
// instance so that the side rows bind too.
func budgetCapped(in Input) Input {
	r := rand.New(rand.NewPCG(7, 7))
	in.Items = slices.Clone(in.Items)
	for i := range in.Items {
		it := &in.Items[i]
		if r.IntN(2) == 0 {
			a := math.Round(it.CostWan*r.Float64()*100) / 100
			it.Funding = map[string]float64{"中央": a, "县级": it.CostWan - a}
		}
	}
	in.TownshipCap = in.Budget[2016] / 20 * 1.1
	in.SourceBudget = map[int]map[string]float64{}
	for _, y := range in.Years {
		in.SourceBudget[y] = map[string]float64{"中央": in.Budget[y] * 0.2}
	}
	return in
}

func TestFitBudgetDeterministic(t *testing.T) {
	in := budgetCapped(budgetLarge(1, 400))
	in.NodeLimit = 20_000           // the work limit, not the clock, ends the search
	in.TimeLimit = 30 * time.Second // only a safety net
	first := fitOK(t, in)
	r := rand.New(rand.NewPCG(3, 3))
	for range 3 {
		in.Items = slices.Clone(in.Items)
		r.Shuffle(len(in.Items), func(i, j int) { in.Items[i], in.Items[j] = in.Items[j], in.Items[i] })
		for i := range in.Items { // rebuild the maps, so they iterate differently
			in.Items[i].Funding = maps.Clone(in.Items[i].Funding)
		}
		again := fitOK(t, in)
		first.Elapsed, again.Elapsed = 0, 0
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("shuffled input gives another result:\n%+v\n%+v", first, again)
		}
	}
}

func TestFitBudgetLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("2 s fits")
	}
	for _, tc := range []struct {
		name string
		in   Input
		gap  float64 // the gap measured when the test was written, rounded up
	}{
		{"budgets", budgetLarge(1, 2000), 1e-4},
		{"caps", budgetCapped(budgetLarge(2, 2000)), 5e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := fitOK(t, tc.in)
			if res.Gap > tc.gap {
				t.Errorf("Gap = %.2g, want ≤ %.0e", res.Gap, tc.gap)
			}
			t.Logf("value %.2f bound %.2f gap %.2g optimal %v nodes %d in %v", res.Value, res.Bound, res.Gap, res.Optimal, res.Nodes, res.Elapsed)
		})
	}
}

func TestFitBudgetCancel(t *testing.T) {
	in := budgetCapped(budgetLarge(1, 2000))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Fit(ctx, in)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	budgetCheck(t, in, res)
	if res.Optimal {
		t.Errorf("a cancelled search claims optimality")
	}
}

func TestFitBudgetInvalid(t *testing.T) {
	years := []int{2019, 2020}
	budget := map[int]float64{2019: 10, 2020: 10}
	cases := []struct {
		name  string
		in    Input
		wants []string // each must appear in the message
	}{
		{"no years", Input{}, []string{"规划年份不能为空"}},
		{"years out of order", Input{Years: []int{2020, 2019}}, []string{"严格递增"}},
		{"unknown after", Input{Years: years, Items: []Item{{Key: "pv", CostWan: 1, After: "grid"}}},
			[]string{"项目 pv 的前置项目 grid 不存在"}},
		{"cycle", Input{Years: years, Items: []Item{
			{Key: "b", CostWan: 1, After: "c"}, {Key: "c", CostWan: 1, After: "a"}, {Key: "a", CostWan: 1, After: "b"}}},
			[]string{"循环", "a → b → c → a"}},
		{"self after", Input{Years: years, Items: []Item{{Key: "a", CostWan: 1, After: "a"}}},
			[]string{"循环", "a → a"}},
		{"negative cost", Input{Years: years, Items: []Item{{Key: "r1", CostWan: -5}}},
			[]string{"项目 r1 的投资", "必须大于 0"}},
		{"negative value", Input{Years: years, Items: []Item{{Key: "r1", CostWan: 5, Value: -1}}},
			[]string{"项目 r1 的效益"}},
		{"duplicate", Input{Years: years, Items: []Item{{Key: "w", CostWan: 1}, {Key: "w", CostWan: 2}}},
			[]string{"项目 w 重复"}},
		{"fixed outside years", Input{Years: years, Items: []Item{{Key: "g", CostWan: 1, Fixed: 2018}}},
			[]string{"项目 g 的固定年度 2018 不在规划年份内"}},
		{"funding sum", Input{Years: years, Items: []Item{
			{Key: "f", CostWan: 10, Funding: map[string]float64{"中央": 5, "县级": 4.9}}}},
			[]string{"项目 f 的各资金来源合计 9.90 万元"}},
		{"fixed over budget", Input{Years: years, Budget: budget, Items: []Item{
			{Key: "x", CostWan: 6, Fixed: 2019}, {Key: "y", CostWan: 6, Fixed: 2019}}},
			[]string{"2019 年度预算", "超出上限"}},
		{"fixed before its prerequisite", Input{Years: years, Budget: budget, Items: []Item{
			{Key: "pv", CostWan: 1, Fixed: 2019, After: "grid"}, {Key: "grid", CostWan: 1, Fixed: 2020}}},
			[]string{"项目 pv 固定在 2019 年，早于其前置项目 grid"}},
		{"bonus too large", Input{Years: years, EarlyBonus: 1}, []string{"EarlyBonus"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit(context.Background(), tc.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			for _, want := range tc.wants {
				if !strings.Contains(e.Message, want) {
					t.Errorf("message %q does not contain %q", e.Message, want)
				}
			}
		})
	}
}

func BenchmarkFitBudget5000(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   Input
	}{
		{"budgets", budgetLarge(1, 5000)},
		{"caps", budgetCapped(budgetLarge(1, 5000))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var res Result
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if res, err = Fit(context.Background(), bc.in); err != nil {
					b.Fatal(err)
				}
			}
			optimal := 0.0
			if res.Optimal {
				optimal = 1
			}
			b.ReportMetric(res.Gap, "gap")
			b.ReportMetric(optimal, "optimal")
			b.ReportMetric(float64(res.Nodes), "nodes")
		})
	}
}
