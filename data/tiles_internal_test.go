package data

import "github.com/gapmap/gapmap/tiles"

// TileSQL returns the statement Store.Tile runs for layers, for the test
// that compares it with the statement before the Web Mercator copies.
func TileSQL(s *Store, layers []tiles.Layer) (string, error) {
	return s.layers.tileSQL(layers)
}
