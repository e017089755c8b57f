// Package geo holds gapmap's coordinate reference systems and geometry
// helpers. It has no database and no HTTP: everything here is pure and
// testable on its own.
package geo
