package budget

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// schedule is an assignment of items to years that keeps every budget:
// the year of each item (−1: left out) and what it uses of each row.
type schedule struct {
	year  []int
	used  []float64
	value float64
}

func (s *schedule) clone() *schedule {
	return &schedule{year: slices.Clone(s.year), used: slices.Clone(s.used), value: s.value}
}

func (s *schedule) copyFrom(o *schedule) {
	copy(s.year, o.year)
	copy(s.used, o.used)
	s.value = o.value
}

// place builds item i in year t; unplace takes it out again.
func (p *problem) place(s *schedule, i, t int) {
	s.year[i] = t
	for _, tm := range p.terms[i*p.T+t] {
		s.used[tm.row] += tm.amt
	}
	s.value += p.value[i] * p.w[t]
}

func (p *problem) unplace(s *schedule, i int) {
	t := s.year[i]
	for _, tm := range p.terms[i*p.T+t] {
		s.used[tm.row] -= tm.amt
	}
	s.value -= p.value[i] * p.w[t]
	s.year[i] = -1
}

// fits reports whether item i, not in year t now, fits there.
func (p *problem) fits(s *schedule, i, t int) bool {
	for _, tm := range p.terms[i*p.T+t] {
		if s.used[tm.row]+tm.amt > p.rowLim[tm.row] {
			return false
		}
	}
	return true
}

// linked reports whether item i may take option t (−1: left out) given its
// mask and the years of its prerequisite and dependents in s.
func (p *problem) linked(s *schedule, i, t int) bool {
	if p.mask[i]&optBit(t) == 0 {
		return false
	}
	if pa := p.parent[i]; t >= 0 && pa >= 0 && (s.year[pa] < 0 || s.year[pa] > t) {
		return false
	}
	for _, c := range p.kids[i] {
		if yc := s.year[c]; yc >= 0 && (t < 0 || yc < t) {
			return false
		}
	}
	return true
}

// baseState places the Fixed items and then the prerequisites they force
// in, each in its earliest year that fits.
func (f *fitter) baseState() (*schedule, error) {
	p := f.p
	s := &schedule{year: make([]int, p.n), used: make([]float64, len(p.rowCap))}
	for i := range s.year {
		s.year[i] = -1
	}
	for i, t := range p.fixed {
		if t >= 0 {
			p.place(s, i, t)
		}
	}
	for k := len(p.post) - 1; k >= 0; k-- { // prerequisites first
		i := p.post[k]
		if p.fixed[i] >= 0 || p.mask[i]&optBit(-1) != 0 {
			continue
		}
		placed := false
		for t := range p.T {
			if p.linked(s, i, t) && p.fits(s, i, t) {
				p.place(s, i, t)
				placed = true
				break
			}
		}
		if !placed {
			return nil, &Error{Message: fmt.Sprintf("项目 %s 是已固定项目的前置项目，但无法在预算和上限内安排", p.keys[i])}
		}
	}
	return s, nil
}

// insert builds item i in year t, with its prerequisites that are not yet
// built, each in the latest year ≤ t that fits, so that they take as little
// of the more valuable early budget as possible. It changes nothing and
// returns false if that is not possible.
func (f *fitter) insert(s *schedule, i, t int) bool {
	p := f.p
	if p.mask[i]&optBit(t) == 0 {
		return false
	}
	var chain []int
	lo := 0
	for a := p.parent[i]; a >= 0; a = p.parent[a] {
		if s.year[a] >= 0 {
			lo = s.year[a]
			break
		}
		chain = append(chain, a)
	}
	if t < lo {
		return false
	}
	k := len(chain) - 1
	for ; k >= 0; k-- {
		a, ta := chain[k], -1
		for u := t; u >= lo; u-- {
			if p.mask[a]&optBit(u) != 0 && p.fits(s, a, u) {
				ta = u
				break
			}
		}
		if ta < 0 {
			break
		}
		p.place(s, a, ta)
		lo = ta
	}
	if k < 0 && p.fits(s, i, t) {
		p.place(s, i, t)
		return true
	}
	for _, a := range chain[k+1:] {
		p.unplace(s, a)
	}
	return false
}

// greedy builds, from the base, each item of order that has value in the
// earliest year it fits.
func (f *fitter) greedy(order []int) *schedule {
	s := f.base.clone()
	f.fill(s, order)
	return s
}

// fill builds, in order, each unbuilt item with value in the earliest year
// it fits, and reports whether it built any.
func (f *fitter) fill(s *schedule, order []int) bool {
	p := f.p
	changed := false
	for _, i := range order {
		if s.year[i] >= 0 || p.value[i] <= 0 {
			continue
		}
		for t := range p.T {
			if f.insert(s, i, t) {
				changed = true
				break
			}
		}
	}
	return changed
}

// repair turns a Lagrangian solution x at prices lam into a schedule: its
// items, in order of value per priced use of the budgets, in their x year
// where they fit, then a greedy fill by density.
func (f *fitter) repair(x []int, lam []float64) *schedule {
	p := f.p
	s := f.base.clone()
	for _, i := range f.priced(lam) {
		if t := x[i]; t >= 0 && s.year[i] < 0 && p.value[i] > 0 {
			f.insert(s, i, t)
		}
	}
	f.fill(s, p.byDensity)
	return s
}

// priced orders the items by value per priced use of the budgets:
// max over t of Value×w[t] / Σ lam×amount, so an item heavy on a scarce
// source or township comes later.
func (f *fitter) priced(lam []float64) []int {
	p := f.p
	u := make([]float64, p.n)
	for i := range p.n {
		for t := range p.T {
			pc := 0.0
			for _, tm := range p.terms[i*p.T+t] {
				pc += lam[tm.row] * tm.amt
			}
			v := p.value[i] * p.w[t]
			if pc <= 0 {
				u[i] = math.Inf(1)
			} else {
				u[i] = max(u[i], v/pc)
			}
		}
	}
	order := slices.Clone(p.byDensity)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(u[b], u[a]) })
	return order
}

// improve applies local search to s until no move gains: build items
// earlier, insert items, and exchange an item for one in its target year.
func (f *fitter) improve(s *schedule) {
	for pass := 0; pass < 20 && !f.halted(); pass++ {
		a := f.advance(s)
		b := f.fill(s, f.p.byDensity)
		c := f.exchange(s)
		if !a && !b && !c {
			break
		}
	}
	f.consider(s)
}

// advance moves each built item with value to the earliest year it fits.
func (f *fitter) advance(s *schedule) bool {
	p := f.p
	changed := false
	for _, i := range p.byDensity {
		y := s.year[i]
		if y <= 0 || p.fixed[i] >= 0 || p.value[i] <= 0 {
			continue
		}
		for t := range y {
			if p.linked(s, i, t) && p.fits(s, i, t) {
				p.unplace(s, i)
				p.place(s, i, t)
				changed = true
				break
			}
		}
	}
	return changed
}

// exchange tries, for each item i (left out, or built in a later year) and
// each year t, to make room for i in t by moving one item j out of t, to
// another year or out of the plan, and makes the best such move that gains.
// Candidates j are scanned by cost from the smallest that frees enough of
// the yearly budget, at most exchangeScan of them.
func (f *fitter) exchange(s *schedule) bool {
	const exchangeScan = 48
	p := f.p
	T := p.T
	byYear := make([][]int, T) // movable built items per year, by cost
	for _, j := range p.byDensity {
		if t := s.year[j]; t >= 0 && p.fixed[j] < 0 && p.value[j] > 0 {
			byYear[t] = append(byYear[t], j)
		}
	}
	for t := range byYear {
		slices.SortStableFunc(byYear[t], func(a, b int) int { return cmp.Compare(p.cost[a], p.cost[b]) })
	}
	changed := false
	for k, i := range p.byDensity {
		if k%64 == 0 && f.halted() {
			break
		}
		if p.value[i] <= 0 || p.fixed[i] >= 0 {
			continue
		}
		yi := s.year[i]
		hi := T
		if yi >= 0 {
			hi = yi
		}
		for t := 0; t < hi; t++ {
			if !p.linked(s, i, t) {
				continue
			}
			gainI := p.value[i] * p.w[t]
			if yi >= 0 {
				gainI -= p.value[i] * p.w[yi]
			}
			list := byYear[t]
			need := s.used[t] + p.cost[i] - p.rowLim[t]
			k, _ := slices.BinarySearchFunc(list, need, func(j int, c float64) int { return cmp.Compare(p.cost[j], c) })
			bestJ, bestTo, bestGain := -1, -1, p.eps
			for scanned := 0; k < len(list) && scanned < exchangeScan; k++ {
				j := list[k]
				if s.year[j] != t || p.parent[i] == j || p.parent[j] == i {
					continue // stale, or related: moving one constrains the other
				}
				scanned++
				if !p.fitsWithout(s, i, t, j) {
					continue
				}
				if to, ok := f.relocate(s, j, t, i); ok {
					gain := gainI - p.value[j]*p.w[t]
					if to >= 0 {
						gain += p.value[j] * p.w[to]
					}
					if gain > bestGain {
						bestJ, bestTo, bestGain = j, to, gain
					}
				}
			}
			if bestJ >= 0 {
				if yi >= 0 {
					p.unplace(s, i)
				}
				p.unplace(s, bestJ)
				p.place(s, i, t)
				if bestTo >= 0 {
					p.place(s, bestJ, bestTo)
				}
				changed = true
				break
			}
		}
	}
	return changed
}

// relocate returns the best new option for item j, now in year t, when
// item i (unrelated to j) leaves its year for t: the earliest other year
// where j fits, else out of the plan; false if j can go nowhere.
func (f *fitter) relocate(s *schedule, j, t, i int) (int, bool) {
	p := f.p
	for u := range p.T {
		if u == t || !p.linked(s, j, u) {
			continue
		}
		if u == s.year[i] && p.fitsWithout(s, j, u, i) || u != s.year[i] && p.fits(s, j, u) {
			return u, true
		}
	}
	return -1, p.linked(s, j, -1)
}

// fitsWithout reports whether item i fits in year t once item k leaves its
// year (k left out: as fits).
func (p *problem) fitsWithout(s *schedule, i, t, k int) bool {
	if s.year[k] < 0 {
		return p.fits(s, i, t)
	}
	out := p.terms[k*p.T+s.year[k]]
	for _, tm := range p.terms[i*p.T+t] {
		u := s.used[tm.row] + tm.amt
		for _, o := range out {
			if o.row == tm.row {
				u -= o.amt
			}
		}
		if u > p.rowLim[tm.row] {
			return false
		}
	}
	return true
}

// prune drops built items worth nothing that no built item needs, which
// changes no value but spends less.
func (f *fitter) prune(s *schedule) {
	p := f.p
	for _, i := range p.post { // dependents first
		if s.year[i] >= 0 && p.value[i] == 0 && p.linked(s, i, -1) {
			p.unplace(s, i)
		}
	}
}

// ruin is a ruin-and-recreate search around best: take a few movable items
// out of one year, refill by density, move items earlier, and keep the
// result if it is better. The random choices come from a fixed seed, so
// the search is reproducible.
func (f *fitter) ruin(best *schedule) {
	const (
		rounds = 1000 // attempts
		taken  = 10   // items taken out per attempt
	)
	p := f.p
	rng := rand.New(rand.NewPCG(2016, 2020))
	work := best.clone()
	var pool []int
	for range rounds {
		if f.halted() {
			return
		}
		work.copyFrom(best)
		t := rng.IntN(p.T)
		pool = pool[:0]
		for i, y := range work.year {
			if y == t && p.fixed[i] < 0 && p.linked(work, i, -1) {
				pool = append(pool, i)
			}
		}
		for range min(taken, len(pool)) {
			k := rng.IntN(len(pool))
			p.unplace(work, pool[k])
			pool[k] = pool[len(pool)-1]
			pool = pool[:len(pool)-1]
		}
		f.fill(work, p.byDensity)
		f.advance(work)
		if work.value > best.value+p.eps {
			best.copyFrom(work)
		}
	}
}
