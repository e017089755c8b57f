package budget

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// fixOptions returns, for each item, the options whose Lagrangian bound at
// f.lam (with the item forced to the option) could beat the incumbent. It
// forces one item at a time in O(size×T) per tree by adding to the
// bottom-up DP a top-down pass: up[i*T+t] is the best of the rest of the
// tree with i in year t, upOut[i] with i left out.
func (f *fitter) fixOptions() []uint32 {
	p := f.p
	T := p.T
	p.reducedProfits(f.lam, f.rp)
	lamCap := 0.0
	for r, c := range p.rowCap {
		lamCap += f.lam[r] * c
	}
	treeVal := make([]float64, len(p.treeStart)-1)
	total := lamCap
	for tr := range treeVal {
		treeVal[tr] = p.treeBest(tr, p.mask, f.rp, f.g, f.acc)
		total += treeVal[tr]
	}
	up := make([]float64, p.n*T)
	upOut := make([]float64, p.n)
	sub := make([]float64, T) // G of a dependent: best with it out or in a year ≥ s
	keep := make([]uint32, p.n)
	ninf := math.Inf(-1)
	for k := len(p.post) - 1; k >= 0; k-- {
		i := p.post[k]
		pa := p.parent[i]
		if pa < 0 {
			clear(up[i*T : (i+1)*T])
			upOut[i] = 0
		} else {
			run := ninf
			if p.mask[i]&optBit(-1) != 0 {
				run = 0
			}
			for t := T - 1; t >= 0; t-- {
				run = max(run, f.g[i*T+t])
				sub[t] = run
			}
			out := ninf // the rest of the tree with i left out
			if p.mask[pa]&optBit(-1) != 0 {
				out = upOut[pa]
			}
			pre := ninf // best of the rest with pa in a year ≤ t
			for t := range T {
				if h := f.g[pa*T+t]; h > ninf && sub[t] > ninf && up[pa*T+t] > ninf {
					pre = max(pre, up[pa*T+t]+h-sub[t])
				}
				up[i*T+t] = pre
			}
			upOut[i] = max(out, pre)
		}
		rest := total - treeVal[p.treeOf[i]]
		for t := -1; t < T; t++ {
			if p.mask[i]&optBit(t) == 0 {
				continue
			}
			forced := rest + upOut[i]
			if t >= 0 {
				forced = rest + up[i*T+t] + f.g[i*T+t]
			}
			if forced > f.best.value+p.eps {
				keep[i] |= optBit(t)
			}
		}
	}
	return keep
}

// fullCore is the largest core searched whole with the nested-knapsack
// bound at every node: enough to prove small plans optimal, while on a
// larger core the bound costs more time than it saves.
const fullCore = 200

// searcher is the depth-first branch and bound over the core items.
type searcher struct {
	f       *fitter
	core    []int // core items, by density
	knap    knapsack
	limit   int     // node count at which to stop
	opts    [][]int // options of core[k], most promising first
	decided []bool
	mask    []uint32 // options still open per item, for the Lagrangian bound
	s       *schedule
	treeVal []float64
	lamCap  float64
	resid   []float64
	aborted bool
	nested  bool
}

// branchAndBound fixes options by reduced cost and searches what is left.
// A small core is searched whole, which proves the incumbent optimal if the
// search ends. A large one cannot be, so the search is first spent on
// windows: the core items whose density is near a year boundary of the LP
// solution, the rest held at the incumbent. Such a window search is an
// exact large-neighbourhood step; the search of the whole core that
// follows improves the incumbent further where it can.
func (f *fitter) branchAndBound() {
	const (
		window      = 40     // core items per window
		windowNodes = 20_000 // search nodes per window
		rounds      = 2      // passes over the year boundaries
	)
	p := f.p
	keep := f.fixOptions()
	var core []int
	for _, i := range p.byDensity {
		switch bits.OnesCount32(keep[i]) {
		case 0:
			f.proven = true // no option of i can beat the incumbent
			return
		case 1:
		default:
			core = append(core, i)
		}
	}
	if len(core) > fullCore {
		mask := make([]uint32, p.n)
		for range rounds {
			for t := range p.T {
				for i := range mask {
					mask[i] = optBit(f.best.year[i])
				}
				for _, i := range f.window(core, f.edge[t], window) {
					mask[i] = keep[i]
				}
				f.search(mask, windowNodes, false)
			}
		}
	}
	f.proven = f.search(keep, f.nodeLimit-f.nodes, len(core) <= fullCore)
}

// window returns the size core items (by density) nearest to density d.
func (f *fitter) window(core []int, d float64, size int) []int {
	p := f.p
	k, _ := slices.BinarySearchFunc(core, d, func(i int, d float64) int { return cmp.Compare(d, p.density[i]) })
	lo, hi := k, k
	for hi-lo < size && (lo > 0 || hi < len(core)) {
		if lo > 0 {
			lo--
		}
		if hi < len(core) && hi-lo < size {
			hi++
		}
	}
	return core[lo:hi]
}

// search runs the branch and bound over the items whose mask allows more
// than one option, the others fixed to their one option, for at most limit
// nodes, with the nested-knapsack bound if nested. It reports whether it
// ran to the end, which proves that no schedule within mask beats the
// incumbent.
func (f *fitter) search(mask []uint32, limit int, nested bool) bool {
	p := f.p
	b := &searcher{f: f, decided: make([]bool, p.n), mask: slices.Clone(mask), resid: make([]float64, p.T),
		knap: knapsack{limit: 1000}, limit: f.nodes + limit, nested: nested}
	b.s = f.base.clone()
	// Fix the items with one option, then check what they use.
	for _, i := range p.post {
		if bits.OnesCount32(mask[i]) > 1 {
			continue
		}
		b.decided[i] = true
		t := bits.TrailingZeros32(mask[i]) - 1
		if b.s.year[i] != t {
			if b.s.year[i] >= 0 {
				p.unplace(b.s, i)
			}
			if t >= 0 {
				p.place(b.s, i, t)
			}
		}
	}
	for i := range p.n {
		if !b.decided[i] {
			if b.s.year[i] >= 0 { // a prerequisite placed by baseState
				p.unplace(b.s, i)
			}
			continue
		}
		if t := b.s.year[i]; t >= 0 && !b.consistent(i, t) {
			return true
		}
	}
	for r, u := range b.s.used {
		if u > p.rowLim[r] {
			return true
		}
	}
	for _, i := range p.byDensity {
		if !b.decided[i] {
			b.core = append(b.core, i)
		}
	}
	// Options: the incumbent's first, then years, then out.
	for _, i := range b.core {
		o := []int{}
		if t := f.best.year[i]; mask[i]&optBit(t) != 0 {
			o = append(o, t)
		}
		for t := 0; t < p.T; t++ {
			if mask[i]&optBit(t) != 0 && t != f.best.year[i] {
				o = append(o, t)
			}
		}
		if mask[i]&optBit(-1) != 0 && f.best.year[i] != -1 {
			o = append(o, -1)
		}
		b.opts = append(b.opts, o)
	}
	for r, c := range p.rowCap {
		b.lamCap += f.lam[r] * c
	}
	b.treeVal = make([]float64, len(p.treeStart)-1)
	sum := 0.0
	for tr := range b.treeVal {
		b.treeVal[tr] = p.treeBest(tr, b.mask, f.rp, f.g, f.acc)
		sum += b.treeVal[tr]
	}
	b.dfs(0, sum)
	return !b.aborted
}

// consistent reports whether decided item i in year t keeps precedence
// with its decided prerequisite and dependents.
func (b *searcher) consistent(i, t int) bool {
	p := b.f.p
	if pa := p.parent[i]; pa >= 0 && b.decided[pa] && t >= 0 && (b.s.year[pa] < 0 || b.s.year[pa] > t) {
		return false
	}
	for _, c := range p.kids[i] {
		if yc := b.s.year[c]; b.decided[c] && yc >= 0 && (t < 0 || yc < t) {
			return false
		}
	}
	return true
}

// dfs decides core[k:]; aSum is the sum of the trees' Lagrangian values
// with the options decided so far.
func (b *searcher) dfs(k int, aSum float64) {
	f, p := b.f, b.f.p
	f.nodes++
	if f.nodes > b.limit || f.halt || f.nodes%256 == 0 && f.halted() {
		b.aborted = true
		return
	}
	if k == len(b.core) {
		f.consider(b.s)
		return
	}
	target := f.best.value + p.eps
	if b.lamCap+aSum <= target {
		return
	}
	for t := range p.T {
		b.resid[t] = p.rowCap[t] - b.s.used[t]
	}
	open := b.core[k:] // undecided, by density
	if b.s.value+p.nwBound(open, b.resid, nil) <= target {
		return
	}
	if b.nested && b.s.value+p.nested(open, b.mask, b.s.used[:p.T], &b.knap) <= target {
		return
	}
	i := b.core[k]
	tr := p.treeOf[i]
	opts := b.mask[i]
	old := b.treeVal[tr]
	for _, t := range b.opts[k] {
		if !b.consistent(i, t) || t >= 0 && !p.fits(b.s, i, t) {
			continue
		}
		if t >= 0 {
			p.place(b.s, i, t)
		}
		b.decided[i], b.mask[i] = true, optBit(t)
		v := p.treeBest(tr, b.mask, f.rp, f.g, f.acc)
		if v > math.Inf(-1) {
			b.treeVal[tr] = v
			b.dfs(k+1, aSum-old+v)
		}
		b.decided[i], b.mask[i], b.treeVal[tr] = false, opts, old
		if t >= 0 {
			p.unplace(b.s, i)
		}
		if b.aborted {
			return
		}
	}
}
