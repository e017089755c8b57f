// Package gdaltest finds GDAL's command-line tools (ogrinfo, ogr2ogr,
// gdalsrsinfo, ...) for tests that check gapmap's readers and writers
// against an independent implementation. Debian's gdal-bin provides
// them; scripts/testdeps.sh installs it and `make test` runs that.
//
// A missing tool skips the test on a developer's machine but fails it
// when the CI environment variable is set, so CI cannot go green by
// skipping the comparisons, the same rule as data/datatest applies to the
// test database.
//
// Only tests import this package.
package gdaltest
