// Package shp reads ESRI Shapefiles as counties deliver them: a .shp with
// its .dbf (and usually .shx, .prj, .cpg), loose on disk or as one set in
// a .zip, with attributes in GBK as often as in UTF-8.
//
// A [Reader] streams one record at a time through small buffers, so memory
// stays flat however many records a file holds. The .shx is optional: when
// present only its header is read, to report a record-count mismatch
// before anything is imported. Geometry comes out as orb values in the
// file's own coordinates: gapmap stores 2D, so Z and M are dropped, and
// [Reader.Dims] says whether there were any, for the import to report.
// The .prj is handed over as raw WKT for the caller to interpret.
// Attribute text is decoded by the rule the bureaus agreed on: the dbf
// language byte, then the .cpg, else UTF-8 with a GBK fallback per value
// (see [Reader.Encoding]).
//
// Errors that users must act on are [*FormatError] values whose message is
// in Chinese and names the file, the record and the field; test them with
// errors.Is against [ErrTruncated], [ErrCountMismatch] and the other
// sentinels. No input makes the package panic.
//
// The package imports only the standard library, orb, golang.org/x/text
// and gapmap's geo (for [geo.Dims] and ring geometry); it knows nothing of
// the database.
package shp
