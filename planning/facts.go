package planning

import "github.com/paulmach/orb"

// Dimensions of the gap score.
const (
	DimRoad  = "通路"
	DimWater = "饮水"
	DimGrid  = "农网"
	DimPV    = "光伏"
)

// Dimensions lists the four dimensions in display order.
var Dimensions = []string{DimRoad, DimWater, DimGrid, DimPV}

// Facts are what PostGIS measured for one village unit: the inputs of the
// judgement in ScoreVillage. A nil pointer means "no data" for the
// indicator that reads it, never zero. Distances are metres.
type Facts struct {
	VillageID      int64
	Code           string
	Name           string
	TownshipCode   string
	TownshipName   string
	IsPoor         bool
	Households     *int
	Population     *int
	PoorHouseholds *int // 建档立卡 (nil: unknown)
	PoorPopulation *int
	// PoorYear is the register year the 建档立卡 figures come from (the
	// latest up to the run's as_of year); 0: the village's own figures.
	PoorYear int

	// Settlements (村民组/自然村 points, and the 村委会 for the people in no
	// group) whose 户数 or 人口 is unknown: a share over them is unknown.
	SettlementsUnknownHouseholds int
	SettlementsUnknownPopulation int

	// 通路. Roads of unknown surface may or may not be hardened: a fact is
	// known when it comes out the same either way.
	RoadData                bool     // the county has any road
	SeatOffRoad             bool     // R1: no road within snap_tolerance_m of the township seat (R1 unknown)
	HardenedConnected       *bool    // R1: true on known-hardened road; false not even with every unknown surface hardened; nil undecided or no roads
	UnhardenedM             *float64 // R1: length to pave on the cheapest path to the seat's hardened network (when not connected)
	UnhardenedStraight      bool     // R1: UnhardenedM is the straight line to that network × road.detour_factor (no road path)
	UnknownSurfaceM         *float64 // R1: unknown-surface length on that path; when undecided, the least that decides connection
	LargeGroups             *int     // R2: 自然村/村民组 with at least group_min_households (nil: no group or road data)
	LargeGroupsServed       *int     // R2: of those, within group_network_radius_m of the seat's hardened network
	LargeGroupsOpen         int      // R2: of those, served or not as roads of unknown surface are hardened or not
	GroupsUnknownHouseholds int      // R2: groups whose 户数 is unknown (may be large)
	PathM                   *float64 // R3: length of the shortest hardened path 村委会 → seat
	NarrowM                 *float64 // R3: of which narrower than min_width_m
	WidthUnknownM           *float64 // R3: of which of unknown width
	BusStopM                *float64 // R4: distance to the nearest stop with service (service, or routes listed)
	BusStopUnknownM         *float64 // R4: distance to the nearest stop whose service is unknown
	BusStopAnyM             *float64 // R4: distance to the nearest stop of any kind (nil: no stops in the data)
	AllSeasonShare          *float64 // R5: share (0–1) of the population within all_season_radius_m of a hardened road
	AllSeasonShareMax       *float64 // R5: the same with every road of unknown surface hardened
	TourismNearby           bool     // a tourism site within road.tourism_radius_m: road.tourism_bonus on 通路 when R1 fails

	// 饮水
	WorksName          string   // the supplying works; "" when none is in reach
	LitresPerPersonDay *float64 // W1: design m³/d × 1000 ÷ population served of the supplying works
	TestAgeDays        *float64 // W2: days since the works' last quality test (nil: never tested or no works)
	TestPassed         *bool    // W2
	CarryFailShare     *float64 // W3: share (0–1) of people without a tap beyond carry_distance_m
	GuaranteePct       *float64 // W4: 供水保证率 of the supplying works
	TapShare           *float64 // W5: share (0–1) of households within main_radius_m of a main

	// 农网
	Transformers         int      // distribution transformers serving the village (0: none on record)
	TransformerKVA       *float64 // E1: their total kVA (nil: unknown; 0 only when the county links transformers to villages)
	TransformersByRadius bool     // E1: no 台区 link: the transformers are those within grid.transformer_radius_m of its settlements
	TransformerData      bool     // the county has any transformer data
	ThreePhaseM          *float64 // E2: distance from the 村委会 to the nearest three-phase supply
	ReliabilityPct       *float64 // E3: the feeder's 供电可靠率
	VoltagePct           *float64 // E3: the feeder's 综合电压合格率
	FeederKm             *float64 // E4: length of the longest 10 kV feeder serving the village
	LVMaxM               *float64 // E4: farthest settlement from its transformer
	WellsElectrifiedPct  *float64 // E5: share (0–100) of 机井 with power

	// 光伏
	VillagePVKW     *float64 // P1: kW of 村级 and 户用 stations attributed to the village (nil: the county has no PV data)
	CentralisedPVKW *float64 // P1: kW of 集中式 stations attributed to the village

	// Unlocated: the village is 未定位 (no 村委会 location); its spatial
	// indicators are no_data with NoteUnlocated (unlocated.go).
	Unlocated bool

	// Explain holds the geometry that explains an indicator, by indicator
	// id: the path to the seat (R1, R3), the line to the nearest bus stop
	// (R4), the supplying main (W1), the transformers (E1), the nearest
	// three-phase supply (E2). EPSG:4490.
	Explain map[string]orb.Geometry
}

// Indicator states.
const (
	StatusPass          = "pass"
	StatusFail          = "fail"
	StatusNoData        = "no_data"        // the data the indicator needs is missing
	StatusNotApplicable = "not_applicable" // e.g. P1 for a village with no poor households
)

// IndicatorScore is one indicator's judgement, explainable down to the
// measured value.
type IndicatorScore struct {
	ID              string   `json:"id"`   // "R1" … "P2"
	Name            string   `json:"name"` // Chinese name, e.g. 建制村通硬化路
	Dimension       string   `json:"dimension"`
	Value           *float64 `json:"value"` // measured value in Unit; nil for no data
	Unit            string   `json:"unit"`
	Threshold       float64  `json:"threshold"`
	ThresholdSource string   `json:"threshold_source"` // a Source* constant
	Score           *float64 `json:"score"`            // 0 (meets the standard) … 100 (worst); nil when not scored
	Status          string   `json:"status"`           // a Status* constant
	Weight          float64  `json:"weight"`           // weight within the dimension (0 for veto-only indicators)
	Veto            bool     `json:"veto"`             // this failure sets the dimension gap to 100
	Note            string   `json:"note"`             // Chinese explanation with the numbers
	// Need is the quantity that closes the gap, for the indicators whose
	// gap a bureau counts in its own unit (NeedUnits): R1 km to pave, W5
	// 户 without tap water, E1 kVA short; nil when unknown or not one of
	// them. The village table totals it.
	Need     *float64     `json:"need,omitempty"`
	Geometry orb.Geometry `json:"-"`
}

// NeedUnits are the indicators with a Need and its unit.
var NeedUnits = map[string]string{"R1": "km", "W5": "户", "E1": "kVA"}

// DimensionScore is one dimension's gap G_d.
type DimensionScore struct {
	Dimension string   `json:"dimension"`
	Gap       *float64 `json:"gap"` // 0–100; nil when no indicator had data
	Veto      bool     `json:"veto"`
	// VetoUnknown: an indicator that could veto the dimension (R1, E1, and
	// W1–W4 where poor households live or may live) is no_data, so the gap
	// may be 100; Gap is then the gap without that veto.
	VetoUnknown bool `json:"veto_unknown"`
	// MissingWeight is the share (0–1) of the dimension's weights whose
	// indicators had no data; the gap is computed over the rest.
	MissingWeight float64          `json:"missing_weight"`
	Indicators    []IndicatorScore `json:"indicators"`
}

// ExitItem is one item of the 贫困村退出 checklist.
type ExitItem struct {
	Item   string `json:"item"`   // e.g. 通硬化路
	Status string `json:"status"` // StatusPass, StatusFail or StatusNoData
	Note   string `json:"note"`
}

// VillageScore is the whole judgement of one village.
type VillageScore struct {
	VillageID      int64            `json:"village_id"`
	Code           string           `json:"code"`
	Name           string           `json:"name"`
	TownshipCode   string           `json:"township_code"`
	TownshipName   string           `json:"township_name"`
	IsPoor         bool             `json:"is_poor_village"`
	PoorHouseholds *int             `json:"poor_households"` // nil: unknown
	PoorPopulation *int             `json:"poor_population"`
	Dimensions     []DimensionScore `json:"dimensions"` // in Dimensions order
	// Composite weighs the dimension gaps that exist (weights renormalised
	// over them); nil only when no dimension has a gap. MissingWeight is the
	// share (0–1) of the composite that rests on missing data: Σ over
	// dimensions of weight × that dimension's missing share (a dimension
	// with no gap counts whole).
	Composite     *float64   `json:"composite"`
	MissingWeight float64    `json:"missing_weight"`
	Exit          []ExitItem `json:"exit_checklist"`
}
