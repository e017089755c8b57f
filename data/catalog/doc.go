// Package catalog defines every stored layer once: its table, geometry
// column and declared type, Chinese title, fields (column, Chinese title,
// kind, the names counties give it, value spellings, units, the reason of
// its CHECK constraint), import key and references, what an export adds,
// and how its vector-tile layer is drawn (id, title, zooms, attributes,
// the tables whose versions matter, and the SQL fragments of its query).
//
// The layer listing, the importer, the exporter, the tile registry and
// the tile SQL, and the Chinese error messages all read it; a new simple
// layer is one [Layer] entry plus its migration. The entries are also the
// allowlist of identifiers that generated SQL may contain: [New] accepts
// only plain lower-case identifiers.
//
// The package is pure Go and imports nothing of gapmap's: no pgx, no
// net/http, no planning, no tiles. The SQL it holds is text; package data
// runs it and package tiles builds its registry from [Catalog.Layers].
// A [Catalog] never changes once built: tests that need an extra layer
// build another with [Catalog.With] and hand it to the store.
package catalog
