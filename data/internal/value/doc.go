// Package value holds the small value helpers that gapmap's file-format
// packages under data/ (feature, osm, gpkg, export) share without
// importing one another: how a user's value is shown in a message, and
// which Go integers fit an int64.
//
// It imports only the standard library; Go's internal rule keeps it to
// the packages under data/.
package value
