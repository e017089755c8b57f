// Package province generates a synthetic province-scale dataset for
// benchmarks: one [demo.County] per county of a village code list such as
// Hunan's 29,534 行政村/社区 of the NBS 2023 统计用区划代码, with every layer
// the gap scoring reads.
//
// Codes and names are real; all geometry is synthetic. The counties tile
// the province's extent in code order, each a convex outline in its own
// rectangle, so that every straight line between two of its points stays
// inside it. Township seats spread over the outline; each 村委会 lies well
// inside its seat's Voronoi cell (the loader derives township outlines from
// these cells), reached by a straight 村道 from the seat, with 村民组 at the
// end of straight 通组路. Roads and 10 kV lines are planned as straight
// lines and cut into segments only when the whole province is known, so
// that the segment lengths can be calibrated to about 1,000,000 road rows
// and 200,000 power-line rows for 29,534 units; road segments meet only at
// shared end points.
//
// Like the demo county, the data plants gaps for every indicator, in the
// remote and poor villages more than elsewhere: access roads ending on
// 砂石/土, narrow roads, villages far from a bus stop, villages with no water
// works or main within reach, overloaded or untested works, one transformer
// per unit (so most are short of 2 kVA a household and of a 500 m
// low-voltage radius), single-phase villages, long 10 kV feeders, 病险
// reservoirs and 危桥. Records describe the end of 2016, like the demo
// ([demo.BaselineDate]). Poor villages (建档立卡贫困村) are exactly
// round(PoorShare × 行政村), shared among the counties by their 行政村.
//
// Output is deterministic: every county draws from its own PCG streams
// (math/rand/v2) seeded by its code, one stream per layer, so the same
// input gives deeply equal output however the counties are scheduled. The
// package imports only demo and orb; it knows nothing of the database.
package province
