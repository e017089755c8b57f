// Package tiles will serve Mapbox Vector Tiles of every layer and of the gap
// scores, with TileJSON metadata and a cache (issue 4). It must not import
// pgx: it declares the source interface it needs and package data
// implements it.
package tiles
