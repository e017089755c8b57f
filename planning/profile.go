package planning

// Param is one profile value with where it comes from, so the UI can label
// estimates "估算" as domain.md asks.
type Param struct {
	Value  float64 `json:"value"`
	Source string  `json:"source"` // SourceSourced, SourceDerived, SourceEstimated or SourceCounty
	Note   string  `json:"note,omitempty"`
}

// Param sources.
const (
	SourceSourced   = "sourced"   // [S] stated in a source of domain.md §9
	SourceDerived   = "derived"   // [D] calculated from sourced figures
	SourceEstimated = "estimated" // [E] an engineering default: shown as 估算
	SourceCounty    = "county"    // set by the county's own profile
)

// Profile holds every threshold, weight, tolerance and detour factor of the
// gap scoring. DefaultProfile equals domain.md; a county overrides any
// subset (see ParseProfile). Distances are metres, shares are 0–1 unless the
// name says pct.
type Profile struct {
	Name      string          `json:"name"`
	Composite CompositeParams `json:"composite"`
	Road      RoadParams      `json:"road"`
	Water     WaterParams     `json:"water"`
	Grid      GridParams      `json:"grid"`
	PV        PVParams        `json:"pv"`
	Exit      ExitParams      `json:"exit"`
}

// CompositeParams weighs the four dimension gaps into the composite G.
type CompositeParams struct {
	WeightRoad  Param `json:"weight_road"`  // 0.30 [E]
	WeightWater Param `json:"weight_water"` // 0.30 [E]
	WeightGrid  Param `json:"weight_grid"`  // 0.25 [E]
	WeightPV    Param `json:"weight_pv"`    // 0.15 [E]
}

// RoadParams are the 通路 indicators R1–R5 (domain.md §2).
type RoadParams struct {
	SnapToleranceM      Param `json:"snap_tolerance_m"`       // 100 [E]: 村委会 to hardened edge; also endpoint snapping of the graph
	GroupMinHouseholds  Param `json:"group_min_households"`   // 30 [S] (20 optional): 较大自然村
	GroupNetworkRadiusM Param `json:"group_network_radius_m"` // 200 [E]: R2
	MinWidthM           Param `json:"min_width_m"`            // 4.5 [S]: narrower is 窄路 (R3)
	BusStopRadiusM      Param `json:"bus_stop_radius_m"`      // 1000 [E]: R4
	AllSeasonRadiusM    Param `json:"all_season_radius_m"`    // 2000 [S]: R5 (SDG 9.1.1)
	DetourFactor        Param `json:"detour_factor"`          // 1.3 [E]: straight line × factor where no road geometry
	WeightR2            Param `json:"weight_r2"`              // 0.35 [E]
	WeightR3            Param `json:"weight_r3"`              // 0.20 [E]
	WeightR4            Param `json:"weight_r4"`              // 0.25 [E]
	WeightR5            Param `json:"weight_r5"`              // 0.20 [E]
}

// WaterParams are the 饮水 indicators W1–W5 (domain.md §3).
type WaterParams struct {
	LitresPerPersonDay Param `json:"litres_per_person_day"` // 35 [S] (丰水; 20 缺水)
	TestMaxAgeDays     Param `json:"test_max_age_days"`     // 365 [E]: W2
	CarryDistanceM     Param `json:"carry_distance_m"`      // 800 [S]: W3
	GuaranteePct       Param `json:"guarantee_pct"`         // 90 [S]: W4, ≤36 days of outage
	OutageDaysFloor    Param `json:"outage_days_floor"`     // 90 [E]: W4 scores 100 at this many outage days
	TapSharePct        Param `json:"tap_share_pct"`         // 90 [S]: W5 target
	MainRadiusM        Param `json:"main_radius_m"`         // 200 [E]: a household within this of a main has a tap (W5) and the village is supplied (W1)
	DetourFactor       Param `json:"detour_factor"`         // 1.2 [E]
	WeightW1           Param `json:"weight_w1"`             // 0.25 [E]
	WeightW2           Param `json:"weight_w2"`             // 0.25 [E]
	WeightW3           Param `json:"weight_w3"`             // 0.20 [E]
	WeightW4           Param `json:"weight_w4"`             // 0.10 [E]
	WeightW5           Param `json:"weight_w5"`             // 0.20 [E]
}

// GridParams are the 农网 indicators E1–E5 (domain.md §4).
type GridParams struct {
	KVAPerHousehold      Param `json:"kva_per_household"`       // 2.0 [S] (2.8 安徽)
	KVAPerHouseholdFloor Param `json:"kva_per_household_floor"` // 0.5 [E]: E1 scores 100 here
	ThreePhaseRadiusM    Param `json:"three_phase_radius_m"`    // 500 [E]: E2
	ReliabilityPct       Param `json:"reliability_pct"`         // 99.8 [S]: E3
	ReliabilityFloorPct  Param `json:"reliability_floor_pct"`   // 99.0 [E]
	VoltagePct           Param `json:"voltage_pct"`             // 97.9 [S]: E3
	VoltageFloorPct      Param `json:"voltage_floor_pct"`       // 95 [E]
	FeederMaxKm          Param `json:"feeder_max_km"`           // 15 [E]: E4, 10 kV supply radius
	LVMaxM               Param `json:"lv_max_m"`                // 500 [E]: E4, transformer to farthest household
	DetourFactor         Param `json:"detour_factor"`           // 1.2 [E]
	WeightE1             Param `json:"weight_e1"`               // 0.35 [E]
	WeightE2             Param `json:"weight_e2"`               // 0.25 [E]
	WeightE3             Param `json:"weight_e3"`               // 0.15 [E]
	WeightE4             Param `json:"weight_e4"`               // 0.15 [E]
	WeightE5             Param `json:"weight_e5"`               // 0.10 [E]
}

// PVParams are the 光伏 indicators P1–P2 (domain.md §5).
type PVParams struct {
	KWPerPoorHousehold            Param `json:"kw_per_poor_household"`             // 5 [S] (5–7)
	CentralisedKWPerPoorHousehold Param `json:"centralised_kw_per_poor_household"` // 25 [S]
	IncomePerHouseholdYuan        Param `json:"income_per_household_yuan"`         // 3000 [S]: P2 target per poor household per year
	IncomePerKWYuan               Param `json:"income_per_kw_yuan"`                // 1070 [D]: 元/kW/yr
	WeightP1                      Param `json:"weight_p1"`                         // 0.7 [E]
	WeightP2                      Param `json:"weight_p2"`                         // 0.3 [E]
}

// ExitParams are the 贫困村退出 checklist thresholds (domain.md §1).
type ExitParams struct {
	MaxPovertyIncidencePct Param `json:"max_poverty_incidence_pct"` // 2 [S] (3 in the west)
}
