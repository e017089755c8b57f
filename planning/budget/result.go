package budget

import (
	"maps"
	"slices"
	"time"
)

// Result is a schedule and how far from optimal it can be.
type Result struct {
	Year    map[string]int // Key → plan year of each selected item (Fixed items included)
	Value   float64        // first-tier objective of the schedule: Σ Value with the early bonus
	Bound   float64        // proven upper bound on Value
	Gap     float64        // (Bound−Value)/max(Bound, 1e-9); 0 when proven optimal
	Optimal bool           // Value proven optimal, to a relative tolerance of 1e-9
	// The second tier (see Fit), all zero when no item has a Fill: Σ Fill
	// of the schedule with the early bonus, its proven bound among the
	// schedules of optimal Value, and whether that is proven optimal.
	Fill        float64
	FillBound   float64
	FillOptimal bool
	Years       []Year            // one per plan year, in order
	Out         map[string]Reason // Key → why, for every item left out
	Nodes       int               // branch-and-bound nodes explored, both tiers
	Elapsed     time.Duration
}

// Year sums up one plan year of a schedule. Money is in 万元. Its JSON
// form is what the API returns for a plan year: planning.PlanYear is
// defined on it, so a change here changes the wire.
type Year struct {
	Year      int                `json:"year"`
	BudgetWan float64            `json:"budget_wan"`
	SpentWan  float64            `json:"spent_wan"`
	BySource  map[string]float64 `json:"by_source"` // spent per funding source; "" is the default source
	Items     int                `json:"items"`
	Value     float64            `json:"value"` // with the early bonus
}

// result reports f.best in the input's terms: Value and Fill from in's
// items, whatever values f searched with, and Bound, Gap and Optimal from
// f's own search.
func (f *fitter) result(in Input) Result {
	p := f.p
	s := f.best
	res := Result{Year: map[string]int{}, Bound: f.bound, Optimal: f.proven, Nodes: f.nodes}
	res.Years = make([]Year, p.T)
	for t, y := range p.years {
		res.Years[t] = Year{Year: y, BudgetWan: in.Budget[y], BySource: map[string]float64{}}
	}
	orig := make(map[string]Item, len(in.Items))
	for _, it := range in.Items {
		orig[it.Key] = it
	}
	for i, key := range p.keys { // Key order, so the sums are reproducible
		t := s.year[i]
		if t < 0 {
			continue
		}
		it := orig[key]
		yr := &res.Years[t]
		v := it.Value * p.w[t]
		res.Year[it.Key] = p.years[t]
		res.Value += v
		res.Fill += it.Fill * p.w[t]
		yr.Value += v
		yr.Items++
		yr.SpentWan += it.CostWan
		if len(it.Funding) == 0 {
			yr.BySource[""] += it.CostWan
			continue
		}
		for _, src := range slices.Sorted(maps.Keys(it.Funding)) {
			yr.BySource[src] += it.Funding[src]
		}
	}
	res.gaps()
	return res
}

// gaps settles Bound and Gap once Value, Bound and Optimal are set.
func (res *Result) gaps() {
	if res.Optimal {
		res.Bound = res.Value
	}
	res.Bound = max(res.Bound, res.Value)
	res.Gap = (res.Bound - res.Value) / max(res.Bound, 1e-9)
}
