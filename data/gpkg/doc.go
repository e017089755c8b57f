// Package gpkg reads and writes OGC GeoPackage 1.3 vector files, the
// format counties and provinces now exchange instead of shapefiles: one
// SQLite file holding several layers, Chinese text in UTF-8, and a CRS
// per layer.
//
// [Open] and [File.Read] serve the importer: a [Reader] streams one row
// at a time through a single SQL cursor, so memory stays flat however many
// features a layer holds. Geometry comes out as orb values in the layer's
// own coordinates: gapmap stores 2D, so Z and M are dropped, and
// [Reader.Dims] says whether there were any, for the import to report.
// The layer's CRS is reported as found in gpkg_spatial_ref_sys (see
// [LayerInfo]) for the caller to interpret.
//
// [Create] serves the exports: a [Writer] puts any number of layers in
// one file inside one transaction, with prepared statements and a reused
// geometry buffer, and at [Writer.Close] records the extents and the
// triggers of the R-tree spatial index that GDAL and QGIS use. A failed
// export is thrown away with [Writer.Abort], which is why the writer
// turns SQLite's journal off.
//
// Errors that users must act on are [*FormatError] values whose message is
// in Chinese and names the file, the layer, the feature (FID) and the
// field; test them with errors.Is against [ErrNotGeoPackage],
// [ErrTruncated], [ErrGeometry] and the other sentinels. No input makes
// the package panic.
//
// The package imports only the standard library, orb, gapmap's geo,
// data/internal/value (quoting values in messages, integer conversion)
// and the pure-Go SQLite driver modernc.org/sqlite (no cgo); it knows
// nothing of the PostGIS database and must not import pgx.
package gpkg
