package planning

import (
	"context"

	"github.com/paulmach/orb"
)

// CountyInit is what `county init` did: the county from the national code
// list, how many units the list has and how many were new, and the
// counties --replace removed.
type CountyInit struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	City     string `json:"city"`
	Province string `json:"province"`
	CodeList string `json:"code_list"` // the list's edition
	// Townships and Villages count the county's units in the list; Added*
	// those written now (0 and 0 when run again).
	Townships      int `json:"townships"`
	Villages       int `json:"villages"`
	AddedTownships int `json:"added_townships"`
	AddedVillages  int `json:"added_villages"`
	// Communities counts the villages stored as 社区, Shortened the long
	// names stored short (…村民委员会 → …村), ByCode those whose kind the
	// code's last digits gave (a farm's 生活区).
	Communities int `json:"communities"`
	Shortened   int `json:"shortened"`
	ByCode      int `json:"by_code"`
	// Replaced lists the counties whose data --replace removed ("430682 临湘市").
	Replaced []string `json:"replaced,omitempty"`
	// Unlocated counts the county's villages without a location (未定位).
	Unlocated int `json:"unlocated"`
}

// County is the county being set up, as the page and the exports show it.
type County struct {
	Code string `json:"code"` // "" when none is set up
	Name string `json:"name"`
	// Synthetic says that some loaded geometry is generated, not surveyed
	// (a source row marked synthetic: the demo), whatever the county.
	Synthetic bool `json:"synthetic"`
	// SyntheticSources names those sources.
	SyntheticSources []string `json:"synthetic_sources,omitempty"`
	Villages         int      `json:"villages"`  // 行政村 and 社区
	Unlocated        int      `json:"unlocated"` // of which 未定位
	HasOutline       bool     `json:"has_outline"`
}

// Location sources a writer names itself (the rest come from the row's
// source; migration 0016).
const (
	LocationMap       = "map"         // placed on the review map
	LocationNameMatch = "name-match:" // + the point file's name
)

// CountyStore sets a county up from the national code list and attaches
// locations to its units.
type CountyStore interface {
	// InitCounty creates the county with this 6-digit code, its townships
	// and villages from the code list, without locations, and records it
	// as the county being set up. Idempotent. Another county's data is an
	// EConflict error unless replace, which removes every layer's rows,
	// the scoring runs and the 项目库 first.
	InitCounty(ctx context.Context, code string, replace bool) (CountyInit, error)
	// SetupCounty describes the county being set up.
	SetupCounty(ctx context.Context) (County, error)
	// LocateVillage places the 村委会 of the village with this code at p,
	// recording source (LocationMap, LocationNameMatch+file).
	LocateVillage(ctx context.Context, code string, p orb.Point, source string) error
}
