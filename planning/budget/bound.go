package budget

import (
	"math"
	"slices"
	"sort"
)

// reducedProfits sets rp[i*T+t] to item i's value in year t less the price
// lam puts on the rows it uses there.
func (p *problem) reducedProfits(lam, rp []float64) {
	T := p.T
	for i := range p.n {
		for t := range T {
			v := p.value[i] * p.w[t]
			for _, tm := range p.terms[i*T+t] {
				v -= lam[tm.row] * tm.amt
			}
			rp[i*T+t] = v
		}
	}
}

// treeBest solves the Lagrangian subproblem of precedence tree tr: the
// largest sum of reduced profits rp over the options mask allows, with
// every dependent built no earlier than its prerequisite. It returns −Inf
// when mask allows nothing. On return g[i*T+t] is the best value of i's
// subtree with i in year t, and acc holds the dependents' part of it.
func (p *problem) treeBest(tr int, mask []uint32, rp, g, acc []float64) float64 {
	T := p.T
	seg := p.post[p.treeStart[tr]:p.treeStart[tr+1]]
	for _, i := range seg {
		clear(acc[i*T : (i+1)*T])
	}
	best := math.Inf(-1)
	for _, i := range seg {
		m := mask[i]
		gi := g[i*T : (i+1)*T]
		for t := range T {
			if m&optBit(t) != 0 {
				gi[t] = rp[i*T+t] + acc[i*T+t]
			} else {
				gi[t] = math.Inf(-1)
			}
		}
		run := math.Inf(-1) // best of i's subtree with i left out or in a year ≥ t
		if m&optBit(-1) != 0 {
			run = 0
		}
		pa := p.parent[i]
		if pa < 0 {
			for _, v := range gi {
				run = max(run, v)
			}
			best = run
			continue
		}
		ap := acc[pa*T : (pa+1)*T]
		for t := T - 1; t >= 0; t-- {
			run = max(run, gi[t])
			ap[t] += run
		}
	}
	return best
}

// treeArgmax reads the solution of treeBest back into x, preferring
// "left out" and then earlier years on ties.
func (p *problem) treeArgmax(tr int, mask []uint32, g []float64, x []int) {
	T := p.T
	seg := p.post[p.treeStart[tr]:p.treeStart[tr+1]]
	for k := len(seg) - 1; k >= 0; k-- {
		i := seg[k]
		lo := 0
		if pa := p.parent[i]; pa >= 0 {
			if x[pa] < 0 {
				x[i] = -1
				continue
			}
			lo = x[pa]
		}
		bestT, bestV := -1, math.Inf(-1)
		if mask[i]&optBit(-1) != 0 {
			bestV = 0
		}
		for t := lo; t < T; t++ {
			if g[i*T+t] > bestV {
				bestT, bestV = t, g[i*T+t]
			}
		}
		x[i] = bestT
	}
}

// nwBound is the LP bound of the yearly budgets alone: the items (sorted by
// density, descending) fill year 0, then year 1, and so on, the last one
// in each year split, which is optimal because an item's value per 万元 is
// density×w[t], a product of two sorted factors. resid holds the budget
// left in each year and is used up. If duals is not nil it receives the LP
// prices of the yearly budgets. Side rows, precedence and the years an
// item cannot use are ignored, so this is an upper bound.
func (p *problem) nwBound(items []int, resid []float64, duals []float64) float64 {
	T := p.T
	val, t := 0.0, 0
	var edge [maxYears]float64 // density at which year t filled up
	for _, i := range items {
		d := p.density[i]
		if d <= 0 {
			break
		}
		amt := p.cost[i]
		for t < T {
			if resid[t] >= amt {
				val += d * p.w[t] * amt
				resid[t] -= amt
				break
			}
			val += d * p.w[t] * max(resid[t], 0)
			amt -= max(resid[t], 0)
			resid[t] = 0
			edge[t] = d
			t++
		}
		if t == T {
			break
		}
	}
	if duals != nil {
		// λ[t] = λ[t+1] + edge[t]×(w[t]−w[t+1]) for the years that filled
		// up; λ = 0 from the first year that did not.
		lam := 0.0
		for k := T - 1; k >= 0; k-- {
			if k < t {
				lam += edge[k] * (p.w[k] - p.w[k+1])
			}
			duals[k] = lam
		}
	}
	return val
}

// rootBound computes the bound: the LP bound of the yearly budgets, and the
// Lagrangian bound with multipliers started at that LP's duals and improved
// by subgradient steps. Steps follow Polyak's rule towards the incumbent's
// value, and each direction is deflected by the previous one (Camerini,
// Fratta and Maffioli) to damp the zigzag between rows that bind in turn.
// Every few steps the Lagrangian solution, repaired, is tried as an
// incumbent; a better incumbent also makes the steps more accurate.
func (f *fitter) rootBound() {
	const (
		maxIter    = 1000 // subgradient steps at most
		iterWork   = 25e6 // and at most this many item-years over all steps
		stallIter  = 30   // steps without a better bound before halving the step
		repairIter = 50   // steps between repairs
		deflect    = 1.5  // CFM deflection factor
	)
	p := f.p
	resid := slices.Clone(p.rowCap[:p.T])
	nw := 0.0
	for i, t := range p.fixed {
		if t >= 0 {
			resid[t] -= p.cost[i]
			nw += p.value[i] * p.w[t]
		}
	}
	var items []int
	for _, i := range p.byDensity {
		if p.fixed[i] < 0 && hasYear(p.mask[i]) {
			items = append(items, i)
		}
	}
	lam := make([]float64, len(p.rowCap))
	nw += p.nwBound(items, resid, lam[:p.T])
	f.edge = make([]float64, p.T)
	for t := range p.T { // from λ[t] = λ[t+1] + edge[t]×(w[t]−w[t+1])
		next := 0.0
		if t+1 < p.T {
			next = lam[t+1]
		}
		f.edge[t] = (lam[t] - next) / (p.w[t] - p.w[t+1])
	}

	f.lam = slices.Clone(lam)
	f.lamL = math.Inf(1)
	dir := make([]float64, len(p.rowCap))
	prev := make([]float64, len(p.rowCap))
	theta, stall := 1.0, 0
	iters := min(maxIter, max(100, int(iterWork/float64(max(1, p.n*p.T)))))
	for it := 0; it < iters && !f.halted(); it++ {
		L := f.lagrangian(lam, p.mask, f.x)
		if L < f.lamL-1e-12*math.Abs(L) {
			f.lamL, stall = L, 0
			copy(f.lam, lam)
		} else if stall++; stall >= stallIter {
			theta, stall = theta/2, 0
		}
		if it%repairIter == 0 {
			f.consider(f.repair(f.x, lam))
		}
		if min(f.lamL, nw)-f.best.value <= p.eps || theta < 1e-6 {
			break
		}
		// dir = cap − use(x), the subgradient of L at lam, without the
		// parts that would push a zero price below zero.
		copy(dir, p.rowCap)
		for i, t := range f.x {
			if t >= 0 {
				for _, tm := range p.terms[i*p.T+t] {
					dir[tm.row] -= tm.amt
				}
			}
		}
		dot, prevNorm := 0.0, 0.0
		for r := range dir {
			if lam[r] == 0 && dir[r] > 0 {
				dir[r] = 0
			}
			dot += dir[r] * prev[r]
			prevNorm += prev[r] * prev[r]
		}
		if dot < 0 {
			beta := -deflect * dot / prevNorm
			for r := range dir {
				dir[r] += beta * prev[r]
			}
		}
		norm := 0.0
		for _, d := range dir {
			norm += d * d
		}
		if norm == 0 {
			break // x is feasible and the prices are complementary: L is exact
		}
		copy(prev, dir)
		step := theta * (L - f.best.value) / norm
		for r := range lam {
			lam[r] = max(0, lam[r]-step*dir[r])
		}
	}
	f.bound = min(f.lamL, nw, f.nestedBound())
}

// nestedBound is the nested-knapsack bound at the root: Fixed items
// counted, every other item open.
func (f *fitter) nestedBound() float64 {
	p := f.p
	spent := make([]float64, p.T)
	value := 0.0
	var open []int
	for _, i := range p.byDensity {
		if t := p.fixed[i]; t >= 0 {
			spent[t] += p.cost[i]
			value += p.value[i] * p.w[t]
		} else {
			open = append(open, i)
		}
	}
	return value + p.nested(open, p.mask, spent, &knapsack{limit: 20_000})
}

// nested bounds what the open items (by density) can add to a schedule
// that already spends spent[t] of year t's budget. With w[T] = 0 the
// objective is Σ_t (w[t]−w[t+1])·V(≤t), V(≤t) the value built in years
// 0..t; those items cost at most the budget left in years 0..t (and in
// 0..s for every later s), so V(≤t) is at most K_t, the best value of a
// 0-1 knapsack with that capacity. Unlike the LP bound this counts whole
// items, which matters when a budget holds few of them. Side rows and
// precedence are ignored.
func (p *problem) nested(open []int, mask []uint32, spent []float64, kn *knapsack) float64 {
	T := p.T
	capacity := kn.capacity[:0]
	run := 0.0
	for t := range T {
		run += p.rowCap[t] - spent[t]
		capacity = append(capacity, run)
	}
	for t := T - 2; t >= 0; t-- {
		capacity[t] = min(capacity[t], capacity[t+1])
	}
	kn.capacity = capacity
	bound := 0.0
	for t := range T {
		items := kn.items[:0]
		for _, i := range open {
			if p.value[i] > 0 && mask[i]&(optBit(t+1)-2) != 0 { // may be built by year t
				items = append(items, i)
			}
		}
		kn.items = items
		bound += (p.w[t] - p.w[t+1]) * kn.solve(p, items, max(capacity[t], 0))
	}
	return bound
}

// knapsack solves 0-1 knapsacks for nested, reusing its buffers.
type knapsack struct {
	limit    int // search nodes per knapsack; past it the LP bound stands in
	pc, pv   []float64
	items    []int
	capacity []float64
}

// solve returns an upper bound on the value of a subset of items (sorted
// by density, descending) that costs at most capacity: the optimum if a
// depth-first search with the LP bound finishes within kn.limit nodes,
// else the LP bound.
func (kn *knapsack) solve(p *problem, items []int, capacity float64) float64 {
	n := len(items)
	pc := append(kn.pc[:0], 0) // prefix sums of cost and value
	pv := append(kn.pv[:0], 0)
	for k, i := range items {
		pc = append(pc, pc[k]+p.cost[i])
		pv = append(pv, pv[k]+p.value[i])
	}
	kn.pc, kn.pv = pc, pv
	// lp is the LP bound of items[k:] in capacity r.
	lp := func(k int, r float64) float64 {
		j := k + sort.SearchFloat64s(pc[k:], pc[k]+r+1e-12) - 1 // the last prefix that fits
		v := pv[j] - pv[k]
		if j < n {
			v += (r - (pc[j] - pc[k])) * p.density[items[j]]
		}
		return v
	}
	root := lp(0, capacity)
	tol := 1e-9 * max(1, root)
	best, nodes := 0.0, 0
	var dfs func(k int, r, v float64)
	dfs = func(k int, r, v float64) {
		nodes++
		best = max(best, v)
		if k == n || nodes > kn.limit || v+lp(k, r) <= best+tol {
			return
		}
		if c := p.cost[items[k]]; c <= r {
			dfs(k+1, r-c, v+p.value[items[k]])
		}
		dfs(k+1, r, v)
	}
	dfs(0, capacity, 0)
	if nodes > kn.limit {
		return root
	}
	return best + tol
}

// lagrangian returns the Lagrangian bound at prices lam over the options
// mask allows, and its solution in x (if not nil). It leaves the reduced
// profits in f.rp.
func (f *fitter) lagrangian(lam []float64, mask []uint32, x []int) float64 {
	p := f.p
	p.reducedProfits(lam, f.rp)
	L := 0.0
	for r, c := range p.rowCap {
		L += lam[r] * c
	}
	for tr := range len(p.treeStart) - 1 {
		L += p.treeBest(tr, mask, f.rp, f.g, f.acc)
		if x != nil {
			p.treeArgmax(tr, mask, f.g, x)
		}
	}
	return L
}
