package budget

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Item is one candidate project for the budget fit. Money is in 万元.
type Item struct {
	Key      string             // unique id of the project
	CostWan  float64            // total cost (> 0)
	Funding  map[string]float64 // amount per funding source, summing to CostWan; nil/empty: all of it from the default source ""
	Value    float64            // benefit if built (≥ 0): poor-population-weighted gap closure
	Fill     float64            // second-tier benefit (≥ 0), counted only after Value is maximised: see Fit
	Township string             // township code, for TownshipCap; "" is not capped
	After    string             // optional Key of a prerequisite that must be built in the same or an earlier year
	Fixed    int                // 0: free; otherwise the plan year the item is already scheduled in
}

// Input is a budget-fit problem.
type Input struct {
	Years        []int                      // plan years, strictly ascending, non-empty (at most 30)
	Budget       map[int]float64            // total budget per year (万元); a missing year has none
	SourceBudget map[int]map[string]float64 // optional per-year per-source budgets (万元); a listed source caps Σ Funding[source] of the items built that year
	TownshipCap  float64                    // optional cap per township per year (万元); 0: no cap
	EarlyBonus   float64                    // default 0.01: an item built in year index i is worth Value×(1−EarlyBonus×i)
	TimeLimit    time.Duration              // default 2s: when it runs out the best schedule is returned with its proven gap
	NodeLimit    int                        // default 2,000,000 branch-and-bound nodes: a clock-free work limit that keeps results reproducible
	Items        []Item
}

const (
	defaultEarlyBonus = 0.01
	defaultTimeLimit  = 2 * time.Second
	defaultNodeLimit  = 2_000_000
	maxYears          = 30   // options are bits of a uint32: bit 0 is "left out"
	fundingTolWan     = 0.01 // Funding must sum to CostWan within this
	relTol            = 1e-9 // optimality tolerance, relative to the total value
	maxMessages       = 10   // validation problems listed before "…"
)

// Fit chooses which items to build in which plan year so that the
// total value, with the early bonus, is as large as possible within the
// yearly budgets, the per-source budgets and the township cap, and with
// every item built no earlier than its After prerequisite.
//
// The objective has two tiers, compared lexicographically. The first is
// Value. When some item has a Fill, a second search then spends what the
// first leaves: the items the first tier builds for their Value stay in
// their years, and the rest are chosen to maximise Fill with the same
// early bonus (the prerequisites the first tier needed stay built, in any
// year that keeps them before their dependents). Both searches are exact
// within their node limits and report their own gaps; the first tier's
// Value is never lowered for the second. Every item left out gets a
// Reason (Result.Out).
//
// Invalid input gives an *Error that names the item or year at fault, as
// does a set of Fixed items that already exceeds a budget.
// When ctx is cancelled the search stops and Fit returns the best
// schedule found so far together with ctx.Err().
func Fit(ctx context.Context, in Input) (Result, error) {
	start := time.Now()
	p, err := newProblem(in)
	if err != nil {
		return Result{}, err
	}
	deadline := start.Add(cmp.Or(in.TimeLimit, defaultTimeLimit))
	nodeLimit := cmp.Or(in.NodeLimit, defaultNodeLimit)
	f := &fitter{p: p, ctx: ctx, deadline: deadline, nodeLimit: nodeLimit}
	if err := f.solve(); err != nil {
		return Result{}, err
	}
	res := f.result(in)
	final := f
	if hasFill(in) {
		f2, err := fillTier(ctx, in, f, deadline, nodeLimit)
		if err != nil {
			return Result{}, err
		}
		res = f2.result(in)
		res.Bound, res.Optimal = max(f.bound, res.Value), f.proven
		res.gaps()
		res.Nodes += f.nodes
		res.FillOptimal = f2.proven
		res.FillBound = max(f2.bound, res.Fill)
		if res.FillOptimal {
			res.FillBound = res.Fill
		}
		final = f2
	}
	res.Out = final.p.reasons(final.best, in)
	res.Elapsed = time.Since(start)
	return res, ctx.Err()
}

// hasFill reports whether any item has a second-tier value.
func hasFill(in Input) bool {
	for _, it := range in.Items {
		if it.Fill > 0 {
			return true
		}
	}
	return false
}

// fillTier runs the second tier after the first tier's search f: the same
// input with Fill as the value, and every item f built for its Value fixed
// in its year. A prerequisite f built only for a dependent is free to move
// (problem.buildMasks keeps it built, before its dependent); should the
// fixed items' prerequisites then not be placeable one by one
// (baseState places them greedily), they are fixed in f's years as well,
// which f proved feasible.
func fillTier(ctx context.Context, in Input, f *fitter, deadline time.Time, nodeLimit int) (*fitter, error) {
	built := map[string]int{}
	for i, t := range f.best.year {
		if t >= 0 {
			built[f.p.keys[i]] = t
		}
	}
	for _, all := range []bool{false, true} {
		in2 := in
		in2.Items = make([]Item, len(in.Items))
		for k, it := range in.Items {
			counts := it.Value > 0
			it.Value = it.Fill
			if t, ok := built[it.Key]; ok && (all || counts) {
				it.Fixed = f.p.years[t]
			}
			in2.Items[k] = it
		}
		p2, err := newProblem(in2)
		if err == nil {
			f2 := &fitter{p: p2, ctx: ctx, deadline: deadline, nodeLimit: nodeLimit}
			if err = f2.solve(); err == nil {
				return f2, nil
			}
		}
		if all {
			return nil, err
		}
	}
	panic("unreachable")
}

// fitter holds the search state of one Fit call.
type fitter struct {
	p         *problem
	ctx       context.Context
	deadline  time.Time
	nodeLimit int
	halt      bool // the clock or ctx stopped the search

	rp, g, acc []float64 // n*T scratch for the tree DP
	x          []int

	base   *schedule // Fixed items and their prerequisites only
	best   *schedule // incumbent
	bound  float64   // proven upper bound
	lam    []float64 // best Lagrange multipliers found
	edge   []float64 // densities at the year boundaries of the LP solution
	lamL   float64   // the Lagrangian bound at lam
	nodes  int
	proven bool
}

// halted reports whether ctx or the time limit has stopped the search.
// Hot loops call it every so many steps, since it reads the clock.
func (f *fitter) halted() bool {
	if !f.halt && (f.ctx.Err() != nil || time.Now().After(f.deadline)) {
		f.halt = true
	}
	return f.halt
}

// solve runs the four steps and leaves the schedule in f.best and the bound
// in f.bound. It fails only when the prerequisites of Fixed items cannot
// be placed.
func (f *fitter) solve() error {
	p := f.p
	f.rp = make([]float64, p.n*p.T)
	f.g = make([]float64, p.n*p.T)
	f.acc = make([]float64, p.n*p.T)
	f.x = make([]int, p.n)
	var err error
	if f.base, err = f.baseState(); err != nil {
		return err
	}
	f.best = f.base.clone()
	f.consider(f.greedy(p.byDensity))
	f.improve(f.best)
	f.rootBound()
	if f.bound-f.best.value > p.eps && !f.halted() {
		// The best prices give the best guide for a last repair.
		f.lagrangian(f.lam, p.mask, f.x)
		f.improve(f.repair(f.x, f.lam))
		f.ruin(f.best)
		f.branchAndBound()
	}
	// A search cut short by its limits may end on a schedule where an item
	// with value still fits; building it only gains, and afterwards every
	// item with value left out is left out for a reason reasons can name.
	f.fill(f.best, p.byDensity)
	if f.proven || f.bound-f.best.value <= p.eps {
		f.proven, f.bound = true, f.best.value
	}
	f.bound = max(f.bound, f.best.value)
	f.prune(f.best)
	return nil
}

// consider makes s the incumbent if it is better.
func (f *fitter) consider(s *schedule) {
	if s.value > f.best.value+f.p.eps {
		f.best.copyFrom(s)
	}
}

// Place returns the earliest plan year in which the item with key can be
// built beside the Fixed items of in (and the prerequisites they force):
// the year the planner's 纳入 (include by hand) fixes it in before the
// search. When no year fits it returns 0 and the *Error of the last year
// tried, which names the budget or cap exceeded.
func Place(in Input, key string) (int, error) {
	i := slices.IndexFunc(in.Items, func(it Item) bool { return it.Key == key })
	if i < 0 {
		return 0, &Error{Message: fmt.Sprintf("没有项目 %s", key)}
	}
	items := slices.Clone(in.Items)
	in.Items = items
	var last error
	for _, y := range in.Years {
		items[i].Fixed = y
		if _, err := newProblem(in); err != nil {
			last = err
			continue
		}
		return y, nil
	}
	return 0, last
}
