package budget

import (
	"maps"
	"slices"
	"time"
)

// Result is a schedule and how far from optimal it can be.
type Result struct {
	Year    map[string]int // Key → plan year of each selected item (Fixed items included)
	Value   float64        // objective of the schedule, with the early bonus
	Bound   float64        // proven upper bound on the objective
	Gap     float64        // (Bound−Value)/max(Bound, 1e-9); 0 when proven optimal
	Optimal bool           // proven optimal, to a relative tolerance of 1e-9
	Years   []Year         // one per plan year, in order
	Nodes   int            // branch-and-bound nodes explored
	Elapsed time.Duration
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

// result reports f.best in the input's terms.
func (f *fitter) result(in Input) Result {
	p := f.p
	s := f.best
	res := Result{Year: map[string]int{}, Bound: f.bound, Optimal: f.proven, Nodes: f.nodes}
	res.Years = make([]Year, p.T)
	for t, y := range p.years {
		res.Years[t] = Year{Year: y, BudgetWan: in.Budget[y], BySource: map[string]float64{}}
	}
	for i, t := range s.year { // Key order, so the sums are reproducible
		if t < 0 {
			continue
		}
		it := &res.Years[t]
		v := p.value[i] * p.w[t]
		res.Year[p.keys[i]] = p.years[t]
		res.Value += v
		it.Value += v
		it.Items++
		it.SpentWan += p.cost[i]
	}
	for i, it := range p.items {
		t := s.year[i]
		if t < 0 {
			continue
		}
		if len(it.Funding) == 0 {
			res.Years[t].BySource[""] += it.CostWan
			continue
		}
		for _, src := range slices.Sorted(maps.Keys(it.Funding)) {
			res.Years[t].BySource[src] += it.Funding[src]
		}
	}
	if res.Optimal {
		res.Bound = res.Value
	}
	res.Bound = max(res.Bound, res.Value)
	res.Gap = (res.Bound - res.Value) / max(res.Bound, 1e-9)
	return res
}
