// Package budget fits 项目库 candidates into yearly budgets: it chooses
// which projects to build in which plan year so that the value built, with
// a bonus for building early, is as large as possible, and it proves how
// far from optimal the schedule can be. It owns the solver, its input
// ([Input], [Item]), its result ([Result], [Year]) and its [Error].
//
// The package is pure computation. It must not import package planning
// (planning.MakePlan builds the Input from the library and turns an
// *Error into a planning.Error), nor net/http, nor pgx or package data.
//
// The problem is a multiple knapsack (items → plan years, or left out)
// with side rows (per-source budgets, a per-township cap) and precedence
// (After). [Fit] solves it in four steps:
//
//  1. Bound (bound.go), the smallest of three relaxations: the LP of the
//     yearly budgets alone, solved greedily; nested 0-1 knapsacks over the
//     budgets of years 0..t, which count whole items; and a Lagrangian
//     relaxation that prices every budget row and keeps precedence, solved
//     per precedence tree by dynamic programming, its prices started at the
//     LP duals and refined by deflected subgradient steps.
//  2. Incumbent (heuristic.go): greedy fills, by value density and from the
//     Lagrangian solutions, improved by local search (build earlier,
//     insert, exchange two items) and by ruin and recreate.
//  3. Reduced-cost fixing (branch.go): an option (a year, or left out) of an
//     item whose Lagrangian bound cannot beat the incumbent is dropped;
//     items left with one option are fixed, the rest form the core.
//  4. Depth-first branch and bound over the core (branch.go). A small core
//     is searched whole and the search proves optimality when it ends; a
//     large one is searched in windows around the year boundaries first.
//
// When items carry a Fill, Fit runs these steps a second time (budget.go,
// fillTier): the items built for their Value fixed in their years, Fill
// as the value, so the money the first tier leaves goes to the second
// without lowering the first. Both searches end with a greedy fill, so no
// item with value that fits is left out.
//
// Before that, problem.go validates the Input and builds its index form;
// afterwards result.go reports the schedule in the Input's terms and
// reasons.go says why each item left out is left out.
//
// Loops run over items sorted by Key and over sorted map keys, random
// choices come from a fixed seed, and the work is bounded by counts of
// iterations and nodes, so the same input gives the same schedule; only
// TimeLimit and ctx, the safety nets, depend on the clock.
package budget
