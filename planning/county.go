package planning

import (
	"bytes"
	"context"
	"fmt"
	"io"

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
	// LocateByName places the 未定位 villages of the county being set up
	// whose names (read as the code list writes them: 罗巷村民委员会 is
	// 罗巷村) the points carry, within the township a point names (or the
	// county when it names none), recording source; with dryRun it only
	// reports.
	LocateByName(ctx context.Context, points []NamedPoint, source string, dryRun bool) (LocateReport, error)
	// CountyOverrides returns the county's own profile overrides (JSON in
	// the shape of a --profile file; "{}" when it has none or no county is
	// loaded): its targets, prices, responsible units.
	CountyOverrides(ctx context.Context) ([]byte, error)
	// SetCountyOverrides stores them for the county being set up (or the
	// only county loaded), after ParseProfile has accepted them.
	SetCountyOverrides(ctx context.Context, overrides []byte) error
}

// CountyProfile is the profile a county is scored and planned with: the
// defaults (profile_default.json, no targets), overridden by the county's
// own (CountyOverrides: the demo's are 临湘's plan targets), then by file
// (a --profile file or an API body) when it is not nil.
func CountyProfile(ctx context.Context, store CountyStore, file io.Reader) (Profile, error) {
	own, err := store.CountyOverrides(ctx)
	if err != nil {
		return Profile{}, err
	}
	p, err := ParseProfile(bytes.NewReader(own))
	if err != nil {
		return Profile{}, fmt.Errorf("县配置（counties.profile）：%w", err)
	}
	if file == nil {
		return p, nil
	}
	return ParseProfileOver(p, file)
}

// NamedPoint is one feature of a point file matched by name (`county
// locate`): its row in the file, the village name, the township it names
// (code or name; "" when the file has none) and its location in
// EPSG:4490 degrees.
type NamedPoint struct {
	Row      int
	Name     string
	Township string
	Point    orb.Point
}

// LocateReport is what matching names against a point file did. Nothing
// is guessed: a name that fits several villages, or repeats in the file,
// is reported and left alone.
type LocateReport struct {
	Located   []LocateRow `json:"located"`   // 未定位 villages placed now
	Already   []LocateRow `json:"already"`   // matched villages that had a location: left as they are
	Ambiguous []LocateRow `json:"ambiguous"` // names that fit several villages (Candidates)
	Repeated  []LocateRow `json:"repeated"`  // names the file has more than once in one township
	Unmatched []LocateRow `json:"unmatched"` // names no village of the county has
	Outside   []LocateRow `json:"outside"`   // matched, but the point lies beyond DefaultMarginMetres outside the county outline: not placed
}

// LocateRow is one point of the file and what became of it.
type LocateRow struct {
	Row        int      `json:"row"`
	Name       string   `json:"name"`
	Township   string   `json:"township,omitempty"`
	Code       string   `json:"code,omitempty"`       // the village matched
	Candidates []string `json:"candidates,omitempty"` // "code name（township）" of every fitting village
	OutsideKm  float64  `json:"outside_km,omitempty"` // Outside: km beyond the county outline
}
