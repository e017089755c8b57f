// Package ingest is the pure stage of an import: everything that needs
// the file and the layer catalogue but no database. It opens a file
// (sniffing its format among GeoJSON, GeoJSONSeq, CSV, Shapefile,
// GeoPackage and OpenStreetMap, with the readers of data/feature,
// data/shp, data/gpkg and data/osm, and their text encodings), decides its
// coordinate system (--srs, .prj, GeoJSON crs or lon/lat), maps the
// file's columns to the layer's fields (mapping file, built-in aliases,
// derived fields, required fields), and converts and checks each record
// into typed values and geometry parts (GCJ-02 and BD-09 converted to
// WGS-84, swapped or projected coordinates caught), adding every problem
// with its row, field, value and Chinese reason to the
// planning.ImportReport. [Converter.Read] overlaps parsing and converting
// on two goroutines and hands rows on in batches.
//
// The PostGIS stage in package data drives it: it says which columns the
// target table requires, COPYs the rows, and runs the set-based checks
// and the write. This package must not import pgx or net/http, so that
// all of the above is unit-tested without a database.
package ingest
