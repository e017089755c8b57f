// Package data is gapmap's PostGIS store: the connection pool, the embedded
// migrations, the queries behind planning.Store, and loading the demo county.
// It is the only package that imports pgx. Geometry crosses its boundary as
// orb values in EPSG:4490 (CGCS2000 longitude/latitude); see [SRID].
package data
