package budget

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
)

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
		if !validWan(it.Fill) {
			add("项目 %s 的补充效益 Fill=%v 无效：不能为负", it.Key, it.Fill)
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
