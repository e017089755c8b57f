package budget

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file fits 项目库 candidates into yearly budgets. The problem is a
// multiple knapsack (items → plan years, or left out) with side rows
// (per-source budgets, a per-township cap) and precedence (After). Fit
// solves it in four steps:
//
//  1. Bound, the smallest of three relaxations: the LP of the yearly
//     budgets alone, solved greedily; nested 0-1 knapsacks over the
//     budgets of years 0..t, which count whole items; and a Lagrangian
//     relaxation that prices every budget row and keeps precedence, solved
//     per precedence tree by dynamic programming, its prices started at the
//     LP duals and refined by deflected subgradient steps.
//  2. Incumbent: greedy fills, by value density and from the Lagrangian
//     solutions, improved by local search (build earlier, insert, exchange
//     two items) and by ruin and recreate.
//  3. Reduced-cost fixing: an option (a year, or left out) of an item whose
//     Lagrangian bound cannot beat the incumbent is dropped; items left with
//     one option are fixed, the rest form the core.
//  4. Depth-first branch and bound over the core. A small core is searched
//     whole and the search proves optimality when it ends; a large one is
//     searched in windows around the year boundaries first.
//
// Loops run over items sorted by Key and over sorted map keys, random
// choices come from a fixed seed, and the work is bounded by counts of
// iterations and nodes, so the same input gives the same schedule; only
// TimeLimit and ctx, the safety nets, depend on the clock.

// Item is one candidate project for the budget fit. Money is in 万元.
type Item struct {
	Key      string             // unique id of the project
	CostWan  float64            // total cost (> 0)
	Funding  map[string]float64 // amount per funding source, summing to CostWan; nil/empty: all of it from the default source ""
	Value    float64            // benefit if built (≥ 0): poor-population-weighted gap closure
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

// Year sums up one plan year of a schedule. Money is in 万元.
type Year struct {
	Year      int                `json:"year"`
	BudgetWan float64            `json:"budget_wan"`
	SpentWan  float64            `json:"spent_wan"`
	BySource  map[string]float64 `json:"by_source"` // spent per funding source; "" is the default source
	Items     int                `json:"items"`
	Value     float64            `json:"value"` // with the early bonus
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
	limit := cmp.Or(in.TimeLimit, defaultTimeLimit)
	f := &fitter{p: p, ctx: ctx, deadline: start.Add(limit), nodeLimit: cmp.Or(in.NodeLimit, defaultNodeLimit)}
	if err := f.solve(); err != nil {
		return Result{}, err
	}
	res := f.result(in)
	res.Elapsed = time.Since(start)
	return res, ctx.Err()
}

// term is what an item uses of one row (a budget) when built in a year.
type term struct {
	row int
	amt float64 // 万元
}

// problem is a validated Input in index form. Items are sorted by
// Key; years are indices 0..T-1; options are a year index or -1 (left out).
type problem struct {
	T     int
	years []int
	w     []float64 // w[t] = 1 − EarlyBonus×t; w[T] = 0 closes the LP dual recursion

	n      int
	items  []Item // the input items, sorted by Key
	keys   []string
	cost   []float64
	value  []float64
	parent []int   // index of the After prerequisite, −1 for none
	kids   [][]int // dependents, ascending
	fixed  []int   // year index of a Fixed item, −1 for a free one
	mask   []uint32
	terms  [][]term // [i*T+t]: rows item i uses in year t

	rowCap   []float64
	rowLim   []float64 // rowCap plus a rounding allowance
	rowLabel []string

	post      []int // items with dependents before prerequisites; each tree contiguous
	treeStart []int // tree k is post[treeStart[k]:treeStart[k+1]]
	treeOf    []int

	density   []float64 // Value/CostWan
	byDensity []int     // items by density, descending
	eps       float64   // absolute optimality tolerance
}

// optBit is the mask bit of option t (−1: left out).
func optBit(t int) uint32 { return 1 << uint(t+1) }

// hasYear reports whether mask allows some year.
func hasYear(m uint32) bool { return m>>1 != 0 }

// newProblem validates in and builds its index form. Problems are
// reported stage by stage, because later checks need the earlier ones.
func newProblem(in Input) (*problem, error) {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	T := len(in.Years)
	switch {
	case T == 0:
		add("规划年份不能为空")
	case T > maxYears:
		add("规划年份最多 %d 个，收到 %d 个", maxYears, T)
	}
	for k := 1; k < T; k++ {
		if in.Years[k] <= in.Years[k-1] {
			add("规划年份必须严格递增：%d 排在 %d 之后", in.Years[k], in.Years[k-1])
		}
	}
	eb := in.EarlyBonus
	if eb == 0 {
		eb = defaultEarlyBonus
	}
	if !(eb > 0) || eb*float64(max(T-1, 0)) >= 1 {
		add("提前建设奖励系数 EarlyBonus=%v 无效：应大于 0，且与（年数−1）之积小于 1", in.EarlyBonus)
	}
	if !(in.TownshipCap >= 0) || math.IsInf(in.TownshipCap, 0) {
		add("乡镇年度投资上限 %v 万元无效：不能为负", in.TownshipCap)
	}
	if in.TimeLimit < 0 || in.NodeLimit < 0 {
		add("计算时间上限和节点上限不能为负")
	}
	for _, y := range in.Years {
		if b := in.Budget[y]; !validWan(b) {
			add("%d 年度预算 %v 万元无效：不能为负", y, b)
		}
		for _, s := range slices.Sorted(maps.Keys(in.SourceBudget[y])) {
			if b := in.SourceBudget[y][s]; !validWan(b) {
				add("%d 年资金来源「%s」预算 %v 万元无效：不能为负", y, sourceName(s), b)
			}
		}
	}
	if len(bad) > 0 {
		return nil, invalid(bad)
	}

	p := &problem{T: T, years: slices.Clone(in.Years), n: len(in.Items)}
	p.w = make([]float64, T+1)
	for t := range T {
		p.w[t] = 1 - eb*float64(t)
	}
	yearIdx := make(map[int]int, T)
	for t, y := range in.Years {
		yearIdx[y] = t
	}

	// Items, sorted by Key so that nothing depends on the caller's order.
	items := slices.Clone(in.Items)
	slices.SortStableFunc(items, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
	p.items = items
	n := p.n
	p.keys = make([]string, n)
	p.cost = make([]float64, n)
	p.value = make([]float64, n)
	p.fixed = make([]int, n)
	index := make(map[string]int, n)
	for i, it := range items {
		p.keys[i] = it.Key
		p.cost[i], p.value[i], p.fixed[i] = it.CostWan, it.Value, -1
		switch {
		case strings.TrimSpace(it.Key) == "":
			add("第 %d 个项目（按 Key 排序）的 Key 为空", i+1)
			continue
		case i > 0 && items[i-1].Key == it.Key:
			if i < 2 || items[i-2].Key != it.Key {
				add("项目 %s 重复", it.Key)
			}
			continue
		}
		index[it.Key] = i
		if !(it.CostWan > 0) || math.IsInf(it.CostWan, 0) {
			add("项目 %s 的投资 CostWan=%v 万元无效：必须大于 0", it.Key, it.CostWan)
		}
		if !validWan(it.Value) {
			add("项目 %s 的效益 Value=%v 无效：不能为负", it.Key, it.Value)
		}
		if it.Fixed != 0 {
			if t, ok := yearIdx[it.Fixed]; ok {
				p.fixed[i] = t
			} else {
				add("项目 %s 的固定年度 %d 不在规划年份内", it.Key, it.Fixed)
			}
		}
		if len(it.Funding) > 0 {
			sum := 0.0
			for _, s := range slices.Sorted(maps.Keys(it.Funding)) {
				a := it.Funding[s]
				if !validWan(a) {
					add("项目 %s 的资金来源「%s」金额 %v 万元无效：不能为负", it.Key, sourceName(s), a)
				}
				sum += a
			}
			if math.Abs(sum-it.CostWan) > fundingTolWan {
				add("项目 %s 的各资金来源合计 %.2f 万元，与投资 %.2f 万元不符", it.Key, sum, it.CostWan)
			}
		}
	}
	p.parent = make([]int, n)
	for i, it := range items {
		p.parent[i] = -1
		if it.After == "" {
			continue
		}
		if j, ok := index[it.After]; ok {
			p.parent[i] = j
		} else {
			add("项目 %s 的前置项目 %s 不存在", it.Key, it.After)
		}
	}
	if len(bad) > 0 {
		return nil, invalid(bad)
	}
	if bad = p.cycles(); len(bad) > 0 {
		return nil, invalid(bad)
	}
	p.buildForest()
	p.buildRows(in)
	if bad = p.buildMasks(); len(bad) > 0 {
		return nil, invalid(bad)
	}

	p.density = make([]float64, n)
	total := 0.0
	for i := range n {
		p.density[i] = p.value[i] / p.cost[i]
		total += p.value[i]
	}
	p.byDensity = make([]int, n)
	for i := range n {
		p.byDensity[i] = i
	}
	slices.SortStableFunc(p.byDensity, func(a, b int) int { return cmp.Compare(p.density[b], p.density[a]) })
	p.eps = relTol * max(1, total)
	return p, nil
}

// validWan reports whether a money or value field is finite and ≥ 0.
func validWan(v float64) bool { return v >= 0 && !math.IsInf(v, 1) }

// sourceName names a funding source in a message.
func sourceName(s string) string {
	if s == "" {
		return "默认来源"
	}
	return s
}

// invalid joins validation problems into one *Error, as planning's
// Project.Validate does, listing the first few when there are many.
func invalid(bad []string) *Error {
	if len(bad) > maxMessages {
		bad = append(bad[:maxMessages:maxMessages], fmt.Sprintf("等共 %d 处问题", len(bad)))
	}
	return &Error{Message: strings.Join(bad, "；")}
}

// cycles reports every cycle of After links, each once, starting at its
// smallest Key.
func (p *problem) cycles() []string {
	var bad []string
	state := make([]uint8, p.n) // 0 unseen, 1 on the current walk, 2 done
	var walk []int
	for i := range p.n {
		walk = walk[:0]
		j := i
		for j >= 0 && state[j] == 0 {
			state[j] = 1
			walk = append(walk, j)
			j = p.parent[j]
		}
		if j >= 0 && state[j] == 1 {
			cyc := walk[slices.Index(walk, j):]
			m := slices.Index(cyc, slices.Min(cyc))
			var names []string
			for k := range len(cyc) + 1 {
				names = append(names, p.keys[cyc[(m+k)%len(cyc)]])
			}
			bad = append(bad, fmt.Sprintf("项目前置关系（After）存在循环：%s", strings.Join(names, " → ")))
		}
		for _, k := range walk {
			state[k] = 2
		}
	}
	return bad
}

// buildForest lists each precedence tree contiguously, dependents before
// their prerequisite, which is the order the tree DP needs.
func (p *problem) buildForest() {
	p.kids = make([][]int, p.n)
	for i, pa := range p.parent {
		if pa >= 0 {
			p.kids[pa] = append(p.kids[pa], i)
		}
	}
	p.treeOf = make([]int, p.n)
	p.post = make([]int, 0, p.n)
	var stack []int
	for root := range p.n {
		if p.parent[root] >= 0 {
			continue
		}
		start := len(p.post)
		p.treeStart = append(p.treeStart, start)
		stack = append(stack[:0], root)
		for len(stack) > 0 { // pre-order; reversed below
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			p.post = append(p.post, i)
			p.treeOf[i] = len(p.treeStart) - 1
			stack = append(stack, p.kids[i]...)
		}
		slices.Reverse(p.post[start:])
	}
	p.treeStart = append(p.treeStart, len(p.post))
}

// buildRows creates the budget rows (yearly totals first, so that row t is
// year t's budget; then per-source budgets; then township caps) and the
// terms of every item in every year.
func (p *problem) buildRows(in Input) {
	T := p.T
	addRow := func(limit float64, label string) int {
		p.rowCap = append(p.rowCap, limit)
		p.rowLim = append(p.rowLim, limit+1e-9*(1+limit))
		p.rowLabel = append(p.rowLabel, label)
		return len(p.rowCap) - 1
	}
	for _, y := range p.years {
		addRow(in.Budget[y], fmt.Sprintf("%d 年度预算", y))
	}
	srcRow := make([]map[string]int, T)
	for t, y := range p.years {
		srcRow[t] = map[string]int{}
		for _, s := range slices.Sorted(maps.Keys(in.SourceBudget[y])) {
			srcRow[t][s] = addRow(in.SourceBudget[y][s], fmt.Sprintf("%d 年资金来源「%s」预算", y, sourceName(s)))
		}
	}
	townRow := map[string]int{} // first row of a township; its year t is +t
	if in.TownshipCap > 0 {
		var towns []string
		for _, it := range p.items {
			if it.Township != "" {
				towns = append(towns, it.Township)
			}
		}
		slices.Sort(towns)
		for _, k := range slices.Compact(towns) {
			townRow[k] = len(p.rowCap)
			for _, y := range p.years {
				addRow(in.TownshipCap, fmt.Sprintf("%d 年乡镇 %s 投资上限", y, k))
			}
		}
	}
	p.terms = make([][]term, p.n*T)
	for i, it := range p.items {
		funding := it.Funding
		if len(funding) == 0 {
			funding = map[string]float64{"": it.CostWan}
		}
		sources := slices.Sorted(maps.Keys(funding))
		for t := range T {
			ts := []term{{row: t, amt: it.CostWan}}
			if k, ok := townRow[it.Township]; ok {
				ts = append(ts, term{row: k + t, amt: it.CostWan})
			}
			for _, s := range sources {
				if r, ok := srcRow[t][s]; ok && funding[s] > 0 {
					ts = append(ts, term{row: r, amt: funding[s]})
				}
			}
			p.terms[i*T+t] = ts
		}
	}
}

// buildMasks works out the options each item has: Fixed items only their
// year; a free item every year in which it fits beside the Fixed items,
// no earlier than its prerequisite can be built; and no "left out" for
// the prerequisites of a Fixed item. It reports Fixed items that cannot
// all be built.
func (p *problem) buildMasks() []string {
	var bad []string
	T := p.T
	fixedUse := make([]float64, len(p.rowCap))
	for i, t := range p.fixed {
		if t >= 0 {
			for _, tm := range p.terms[i*T+t] {
				fixedUse[tm.row] += tm.amt
			}
		}
	}
	for r, u := range fixedUse {
		if u > p.rowLim[r] {
			bad = append(bad, fmt.Sprintf("%s %.2f 万元，已被固定年度的项目占用 %.2f 万元，超出上限", p.rowLabel[r], p.rowCap[r], u))
		}
	}
	if len(bad) > 0 {
		return bad
	}
	p.mask = make([]uint32, p.n)
	for i, ft := range p.fixed {
		if ft >= 0 {
			p.mask[i] = optBit(ft)
			continue
		}
		p.mask[i] = optBit(-1)
		for t := range T {
			ok := true
			for _, tm := range p.terms[i*T+t] {
				ok = ok && fixedUse[tm.row]+tm.amt <= p.rowLim[tm.row]
			}
			if ok {
				p.mask[i] |= optBit(t)
			}
		}
	}
	// Top-down: a dependent cannot come before the earliest year of its
	// prerequisite, nor at all if the prerequisite cannot be built.
	for k := len(p.post) - 1; k >= 0; k-- {
		i := p.post[k]
		pa := p.parent[i]
		if pa < 0 {
			continue
		}
		lo := T
		if hasYear(p.mask[pa]) {
			lo = bits.TrailingZeros32(p.mask[pa] >> 1)
		}
		before := p.mask[i]
		p.mask[i] &= ^(optBit(lo) - 2) // clear years < lo, keep bit 0
		if p.fixed[i] >= 0 && p.mask[i] != before {
			if p.fixed[pa] >= 0 {
				bad = append(bad, fmt.Sprintf("项目 %s 固定在 %d 年，早于其前置项目 %s 的固定年度 %d 年",
					p.keys[i], p.years[p.fixed[i]], p.keys[pa], p.years[p.fixed[pa]]))
			} else {
				bad = append(bad, fmt.Sprintf("项目 %s 固定在 %d 年，但其前置项目 %s 无法在该年或更早安排（超出预算或上限）",
					p.keys[i], p.years[p.fixed[i]], p.keys[pa]))
			}
		}
	}
	if len(bad) > 0 {
		return bad
	}
	// Bottom-up: the prerequisite of an item that must be built must be
	// built too, no later than that item's latest year.
	for _, i := range p.post {
		pa := p.parent[i]
		if pa < 0 || p.mask[i]&optBit(-1) != 0 || p.fixed[pa] >= 0 {
			continue
		}
		hi := bits.Len32(p.mask[i]>>1) - 1 // latest year of i
		p.mask[pa] &= optBit(hi+1) - 2     // keep years ≤ hi, drop "left out"
		if !hasYear(p.mask[pa]) {
			bad = append(bad, fmt.Sprintf("项目 %s 须在 %d 年或更早建成（其后续项目已固定），但无法在预算和上限内安排",
				p.keys[pa], p.years[max(hi, 0)]))
		}
	}
	return bad
}

// --- Lagrangian relaxation ---------------------------------------------

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

// --- the solver ------------------------------------------------------------

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

// --- schedules and the primal heuristic -------------------------------------

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

// --- reduced-cost fixing and branch and bound -------------------------------

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

// --- result ------------------------------------------------------------------

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
