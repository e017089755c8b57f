package tiles

import "context"

// Filter narrows the features of a tile. Zero values filter nothing.
type Filter struct {
	Township  string   // 9-digit township code or its name
	Dimension string   // 通路, 饮水, 农网, 光伏 or 综合 (composite): the gap MinScore applies to
	MinScore  *float64 // keep villages whose gap is at least this
	Status    string   // project status
	Year      int      // project year
	// AsOf is a day YYYY-MM-DD: the layers as they were at its end (their
	// history); "" as they are.
	AsOf string
}

// Request is one tile of a layer set.
type Request struct {
	Layers  []Layer // the layers to draw, each drawn at Z: see [LayersAt]
	Z, X, Y int
	Filter  Filter
}

// Source renders tiles from the store. Package data implements it.
type Source interface {
	// Tile renders every layer of req in one database round trip and
	// returns the MVT bytes and the ids of layers cut by their feature
	// budget. The caller passes only layers drawn at req.Z ([LayersAt]):
	// the Source filters nothing. No layers render an empty tile.
	Tile(ctx context.Context, req Request) (mvt []byte, truncated []string, err error)
	// Versions returns the current version of every stored layer (and of
	// each low-zoom table, see [Layer.LowTable]).
	Versions(ctx context.Context) (map[string]int64, error)
	// Changes returns the boxes ([w, s, e, n] degrees, EPSG:4490) of the
	// rows written to table by the writes that moved its version from
	// after to upTo, old and new rows alike. complete is false when some
	// of those writes are not on record: then any of its tiles may differ.
	Changes(ctx context.Context, table string, after, upTo int64) (boxes [][4]float64, complete bool, err error)
	// Bounds returns the extent of the county data as [w, s, e, n] degrees,
	// or false when nothing is loaded.
	Bounds(ctx context.Context) ([4]float64, bool, error)
	// Attribution returns the credits the loaded data requires, such as
	// "© OpenStreetMap contributors", or "" when none.
	Attribution(ctx context.Context) (string, error)
}

// attribution is what maps built on gapmap tiles credit.
func attribution(data string) string {
	if data == "" {
		return "gapmap"
	}
	return "gapmap; " + data
}
