package planning

import (
	"context"

	"github.com/paulmach/orb"
)

// Village is a village unit: a 行政村 or 社区 keyed by its 12-digit
// 统计用区划代码 and the code's year, or a 自然村/村民组 under its parent.
// Geometry is EPSG:4490 longitude/latitude.
type Village struct {
	ID           int64
	Code         string // 12 digits; empty for a 自然村/村民组
	CodeYear     int
	Name         string
	TownshipCode string
	TownshipName string
	Kind         string           // 行政村, 社区, 自然村 or 村民组
	ParentCode   string           // the parent 行政村's code, for a 自然村/村民组
	Office       orb.Point        // meaningless unless Located
	Outline      orb.MultiPolygon // nil when unknown
	// Located is false for a 未定位 village: set up from the code list,
	// its 村委会 not placed yet (it is then no_data for every spatial
	// indicator, never placed at random).
	Located bool
	// LocationSource says where the location came from (migration 0016):
	// init, import:<file>, generator:<name>, map, name-match:<file>.
	LocationSource string

	Households     *int // nil when unknown
	Population     *int
	IsPoor         bool // 建档立卡贫困村
	PoorHouseholds *int // 建档立卡 poor households (nil: unknown)
	PoorPopulation *int // 建档立卡 poor people
	ExitYear       *int // year the village left the poor list
}

// VillageFilter selects villages. Zero values select everything.
type VillageFilter struct {
	Township string // a 9-digit township code or a township name
	PoorOnly bool   // only 建档立卡贫困村
	Limit    int    // page size, 1..MaxPageSize
	Offset   int
}

// Page sizes for listings.
const (
	DefaultPageSize = 200
	MaxPageSize     = 1000
)

// VillagePage is one page of villages and the number that match in all.
type VillagePage struct {
	Villages []Village
	Total    int
}

// Layer describes one stored layer: its name, Chinese title, geometry type,
// feature count and extent.
type Layer struct {
	Name     string     `json:"name"`
	Title    string     `json:"title"`
	Geometry string     `json:"geometry"`
	Count    int64      `json:"count"`
	Extent   *orb.Bound `json:"-"` // EPSG:4490 degrees; nil when the layer is empty
}

// Store is the persistence planning needs. Every method returns an *Error
// with code EUnavailable when the database cannot be reached.
type Store interface {
	RunStore
	LibraryStore
	CountyStore
	FundsStore
	ProgressStore
	ScenarioStore
	// Ping reports whether the database is reachable and fully migrated.
	Ping(ctx context.Context) error
	// Layers lists every layer with its feature count and extent.
	Layers(ctx context.Context) ([]Layer, error)
	// Villages returns one page of the villages that match f.
	Villages(ctx context.Context, f VillageFilter) (VillagePage, error)
	// Village returns the village with the given 12-digit code (newest code
	// year), or an *Error with code ENotFound.
	Village(ctx context.Context, code string) (Village, error)
}
