// Package export writes GIS layers in the formats consultants ask for:
// GeoJSON, CSV with a WKT column, KML, XLSX and zipped ESRI Shapefiles.
//
// Every format implements [Writer]: BeginLayer, Write once per feature,
// EndLayer, then Close with the export's [Meta]. Writers stream; a
// feature is encoded and handed on before the next one arrives, so memory
// stays flat however many rows a layer holds. The Shapefile writer, whose
// headers need the file length and extent, spools records to temporary
// files (see [ShapefileOptions]) and copies them into the zip at EndLayer.
// The XLSX writer holds up to excelize's 16 MB stream chunk per sheet
// before it spills to a temporary file (about 30 MB of heap at peak);
// the others hold one feature.
//
// Geometry is orb's and attributes are plain Go values in the order of
// [Layer.Fields]. The caller chooses the output CRS and says so in [Layer]
// (SRID, display name and the ESRI WKT for a .prj); GeoJSON and KML need
// lon/lat on WGS 84 and refuse other SRIDs.
//
// The package is pure: it imports orb, excelize, golang.org/x/text,
// gapmap's geo and data/internal/value (integer conversion), and must not
// import pgx, net/http or the other gapmap packages. Queries, handlers and
// the GeoPackage adapter live elsewhere and call these writers. It also
// exports [CSVSafe], the CSV formula guard planning/table's 项目库 CSV
// shares.
package export
