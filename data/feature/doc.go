// Package feature streams the plain-text vector files counties deliver
// besides shapefiles: GeoJSON (a FeatureCollection or newline-delimited
// GeoJSONSeq) and CSV tables with coordinate or WKT columns, the latter as
// often in GBK (Excel's default in China) as in UTF-8.
//
// Readers mirror [github.com/gapmap/gapmap/data/shp]: open, then
//
//	for r.Next() { rec := r.Record() ... }
//	if err := r.Err(); err != nil { ... }
//
// and hold one feature or row at a time, so memory stays flat however
// large the file. Geometry comes out as orb values in the file's own
// coordinates; no reprojection happens here. gapmap stores 2D, so a
// GeoJSON height (a position's third number) is dropped, and
// [GeoJSONReader.Dims] says whether there was one, for the import to
// report. A WKT column with Z or M is refused, as orb's WKT parser does.
//
// Errors that users must act on are [*FormatError] values whose message is
// in Chinese and names the feature, line or row and column; test them with
// errors.Is against [ErrSyntax], [ErrGeometry] and the other sentinels.
// Readers take an io.Reader and do not know the file name, so callers
// prefix it. No input makes the package panic.
//
// The package imports only the standard library, orb, golang.org/x/text,
// gapmap's geo (for [geo.Dims]) and data/internal/value (how a value is
// quoted in a message); it knows nothing of the database.
package feature
