package planning

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

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
	// The 项目库: how candidates are sized, what they cost, and the county's
	// targets. Scoring does not read these, so Hash leaves them out.
	Projects ProjectParams `json:"projects"`
	Prices   PriceParams   `json:"prices"`
	Targets  TargetParams  `json:"targets"`
	// Units names the 责任单位 of each category; strings, set like "name".
	Units ResponsibleUnits `json:"units"`
	// CompletionState is the lifecycle state (已完工 or 已验收) at which a
	// project writes what it built into the layers (CompletionStates);
	// a string, set like "name".
	CompletionState string `json:"completion_state"`
}

// ProjectParams size candidate projects (domain.md §2–5).
type ProjectParams struct {
	WaterDesignLitres      Param `json:"water_design_litres"`       // 60 [E]: L/人·d a 管网延伸 must supply
	MainExtensionMaxM      Param `json:"main_extension_max_m"`      // 5000 [E]: farther than this, build a 单村供水工程 instead
	PVMinKW                Param `json:"pv_min_kw"`                 // 100 [S]: typical village station 100–300 kW
	PVMaxKW                Param `json:"pv_max_kw"`                 // 300 [S]: NEA 2017 村级电站 ≤300 kW
	PVMaxKWNear10kV        Param `json:"pv_max_kw_near_10kv"`       // 500 [S]: ≤500 kW with close grid access
	PV10kVRadiusM          Param `json:"pv_10kv_radius_m"`          // 1000 [E]: "close" = a 10 kV line within 1 km
	PVTransformerSharePct  Param `json:"pv_transformer_share_pct"`  // 30 [E]: PV at 380 V ≤30% of the transformer's kVA
	TransformerMaxKVA      Param `json:"transformer_max_kva"`       // 400 [E]: one 台区 transformer; more means several
	DangerousBridgeRadiusM Param `json:"dangerous_bridge_radius_m"` // 3000 [E]: a 危桥 this near a 村委会 is that village's
	TargetPlanYears        Param `json:"target_plan_years"`         // 5 [S]: a 十三五 plan runs 2016–2020
	FirstPlanYear          Param `json:"first_plan_year"`           // 2016 [S]
}

// PriceParams are unit prices in 万元 (domain.md §2–5).
type PriceParams struct {
	RoadKm            Param `json:"road_km"`             // 50 [E]: 通村/通组硬化路 万元/km
	WidenKm           Param `json:"widen_km"`            // 18 [D]: 窄路加宽 万元/km
	BusStop           Param `json:"bus_stop"`            // 3 [E]: 招呼站 万元/座
	BridgeM           Param `json:"bridge_m"`            // 3 [E]: 危桥改造 万元/延米; domain.md asks the user to enter it
	MainKm            Param `json:"main_km"`             // 12 [E]: 管网延伸 trunk 万元/km
	TapHousehold      Param `json:"tap_household"`       // 0.15 [E]: 入户 万元/户
	SingleWorksPerson Param `json:"single_works_person"` // 0.06 [D]: 单村供水工程 万元/受益人
	Disinfection      Param `json:"disinfection"`        // 8 [E]: 净化消毒设备 万元/套
	Transformer       Param `json:"transformer"`         // 12 [E]: 配变 万元/台 (≤400 kVA)
	Line10kVKm        Param `json:"line_10kv_km"`        // 25 [E]: 10 kV 万元/km
	LineLVKm          Param `json:"line_lv_km"`          // 12 [E]: 0.4 kV / 动力电 万元/km
	PVKW              Param `json:"pv_kw"`               // 0.6 [E]: 6 元/W
}

// TargetParams are the county plan's targets the library reports against;
// 0 is unset, the default: they belong to the county (its profile), never
// to another county's plan. The demo sets 临湘's (data/demo/profile.json:
// 500 km, 500 km, 286 座, 177 座).
type TargetParams struct {
	RoadNewKm     Param `json:"road_new_km"`     // 新建农村公路 km
	RoadUpgradeKm Param `json:"road_upgrade_km"` // 提质改造 km
	Bridges       Param `json:"bridges"`         // 危桥改造 座
	Reservoirs    Param `json:"reservoirs"`      // 水库除险加固 座
}

// ResponsibleUnits are the 责任单位 by category (domain.md §6), configurable
// because names differ by county (e.g. 国网临湘市供电公司).
type ResponsibleUnits struct {
	Road  string `json:"road"`
	Water string `json:"water"`
	Grid  string `json:"grid"`
	PV    string `json:"pv"`
}

// For returns the unit responsible for a project category.
func (u ResponsibleUnits) For(category string) string {
	switch category {
	case CatRoad:
		return u.Road
	case CatWater:
		return u.Water
	case CatGrid:
		return u.Grid
	case CatPV:
		return u.PV
	}
	return ""
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
	SnapToleranceM      Param `json:"snap_tolerance_m"`       // 100 [E]: 村委会 and seats to the nearest (hardened) edge
	GraphToleranceM     Param `json:"graph_tolerance_m"`      // 5 [E]: road ends this close are one graph vertex (≤ snap_tolerance_m)
	GroupMinHouseholds  Param `json:"group_min_households"`   // 30 [S] (20 optional): 较大自然村
	GroupNetworkRadiusM Param `json:"group_network_radius_m"` // 200 [E]: R2
	MinWidthM           Param `json:"min_width_m"`            // 4.5 [S]: narrower is 窄路 (R3)
	BusStopRadiusM      Param `json:"bus_stop_radius_m"`      // 1000 [E]: R4
	AllSeasonRadiusM    Param `json:"all_season_radius_m"`    // 2000 [S]: R5 (SDG 9.1.1)
	DetourFactor        Param `json:"detour_factor"`          // 1.3 [E]: straight line × factor where no road geometry
	TourismRadiusM      Param `json:"tourism_radius_m"`       // 2000 [E]: a tourism site this near a village without hardened access…
	TourismBonus        Param `json:"tourism_bonus"`          // 10 [E]: …adds this to G_通路 (0–100; 0 switches it off)
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
	TransformerRadiusM   Param `json:"transformer_radius_m"`    // 500 [E]: E1 without a 台区 link: transformers this near a settlement serve it
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

// countyNote is the Note of a value a county profile sets without one.
const countyNote = "county profile"

//go:embed profile_default.json
var defaultProfileJSON []byte

// defaultProfile decodes the embedded default once. Profile holds no
// pointers, slices or maps, so handing out copies is safe.
var defaultProfile = sync.OnceValue(func() Profile {
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(defaultProfileJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		panic("planning: profile_default.json: " + err.Error())
	}
	// A leaf missing from the file keeps Source "", which Validate rejects.
	if err := p.Validate(); err != nil {
		panic("planning: profile_default.json: " + err.Error())
	}
	return p
})

// DefaultProfile returns the profile of domain.md, embedded from
// profile_default.json. It panics if that file is broken or invalid;
// TestDefaultProfile guards against that.
func DefaultProfile() Profile { return defaultProfile() }

// field is one Param of a Profile with its dotted JSON key, e.g. "road.weight_r2".
type field struct {
	key string
	p   *Param
}

// fields lists every Param of p with its dotted JSON key, in struct field
// order. It is the one walk over the profile: ParseProfile, Validate, Lookup
// and Hash all go through it, so a field added to a *Params struct needs no
// other code (only a line in profile_default.json).
func (p *Profile) fields() []field {
	var out []field
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if prefix != "" {
				key = prefix + "." + key
			}
			switch f := v.Field(i); {
			case f.Type() == reflect.TypeFor[Param]():
				out = append(out, field{key, f.Addr().Interface().(*Param)})
			case f.Kind() == reflect.Struct:
				walk(key, f)
			}
		}
	}
	walk("", reflect.ValueOf(p).Elem())
	return out
}

// texts maps the dotted keys of the profile's strings to them.
func (p *Profile) texts() map[string]*string {
	return map[string]*string{"name": &p.Name, "completion_state": &p.CompletionState,
		"units.road": &p.Units.Road, "units.water": &p.Units.Water, "units.grid": &p.Units.Grid, "units.pv": &p.Units.PV}
}

// fieldIndex maps each dotted key of fs to its Param.
func fieldIndex(fs []field) map[string]*Param {
	m := make(map[string]*Param, len(fs))
	for _, f := range fs {
		m[f.key] = f.p
	}
	return m
}

// Lookup returns the Param at a dotted key such as "road.bus_stop_radius_m",
// and false if there is none.
func (p Profile) Lookup(key string) (Param, bool) {
	if q, ok := fieldIndex(p.fields())[key]; ok {
		return *q, true
	}
	return Param{}, false
}

// Hash returns the first 16 hex digits of the SHA-256 of the profile's values,
// written canonically as "key=value" lines in struct order. Name, Source,
// Note and the 项目库 sections are left out: two profiles that score alike
// hash alike.
func (p Profile) Hash() string {
	var b []byte
	for _, f := range p.fields() {
		if !scoringKey(f.key) {
			continue
		}
		b = append(b, f.key...)
		b = append(b, '=')
		b = strconv.AppendFloat(b, f.p.Value, 'g', -1, 64)
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// scoringKey says whether scoring reads the value at a dotted key: a new
// unit price or target must not make the next scoring run a full one.
func scoringKey(key string) bool {
	section, _, _ := strings.Cut(key, ".")
	return section != "projects" && section != "prices" && section != "targets"
}

// ParseProfile reads a county profile: JSON with the nesting of Profile that
// overrides any subset of DefaultProfile. A leaf is either a bare number,
// which becomes a Param with Source SourceCounty, or an object
// {"value": n, "source": "...", "note": "..."} whose source defaults to
// SourceCounty; "name" takes a string. Unknown keys and wrong types are
// errors naming the dotted key. The result is checked with Validate. Every
// error is an *Error with code EInvalid; several are joined with errors.Join.
func ParseProfile(r io.Reader) (Profile, error) { return ParseProfileOver(DefaultProfile(), r) }

// ParseProfileOver is ParseProfile overriding base instead of the default:
// a --profile file over the county's own profile (CountyProfile).
func ParseProfileOver(base Profile, r io.Reader) (Profile, error) {
	var raw map[string]any
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return Profile{}, Errorf(EInvalid, "配置文件不是有效的 JSON 对象：%v", err)
	}
	if raw == nil {
		return Profile{}, Errorf(EInvalid, "配置文件应为 JSON 对象，收到 null")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Profile{}, Errorf(EInvalid, "配置文件在 JSON 对象之后还有多余内容")
	}

	p := base
	fs := p.fields()
	byKey := fieldIndex(fs)
	texts := p.texts()
	keys := slices.Collect(maps.Keys(texts))
	for _, f := range fs {
		keys = append(keys, f.key)
	}
	var errs []error
	var walk func(prefix string, obj map[string]any)
	walk = func(prefix string, obj map[string]any) {
		allowed := childKeys(keys, prefix)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			key, v := joinKey(prefix, k), obj[k]
			switch {
			case texts[key] != nil:
				s, ok := v.(string)
				if !ok {
					errs = append(errs, wrongType(key, "字符串", v))
					continue
				}
				*texts[key] = s
			case byKey[key] != nil:
				errs = append(errs, setParam(byKey[key], key, v)...)
			case slices.Contains(allowed, k):
				sub, ok := v.(map[string]any)
				if !ok {
					errs = append(errs, wrongType(key, "对象", v))
					continue
				}
				walk(key, sub)
			default:
				errs = append(errs, unknownKey(key, allowed))
			}
		}
	}
	walk("", raw)
	if len(errs) > 0 {
		return Profile{}, errors.Join(errs...)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// setParam overrides *q, at dotted key, with a leaf of a county profile.
func setParam(q *Param, key string, v any) []error {
	switch v := v.(type) {
	case float64:
		*q = Param{Value: v, Source: SourceCounty, Note: countyNote}
		return nil
	case map[string]any:
		var errs []error
		next := Param{Source: SourceCounty, Note: countyNote}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			var ok bool
			switch k {
			case "value":
				next.Value, ok = v[k].(float64)
				if !ok {
					errs = append(errs, wrongType(key+".value", "数字", v[k]))
				}
			case "source":
				if next.Source, ok = v[k].(string); !ok {
					errs = append(errs, wrongType(key+".source", "字符串", v[k]))
				}
			case "note":
				if next.Note, ok = v[k].(string); !ok {
					errs = append(errs, wrongType(key+".note", "字符串", v[k]))
				}
			default:
				errs = append(errs, unknownKey(key+"."+k, []string{"note", "source", "value"}))
			}
		}
		if _, ok := v["value"]; !ok {
			errs = append(errs, Errorf(EInvalid, "配置项 %s 缺少 value", key))
		}
		if len(errs) == 0 {
			*q = next // the source is checked by Validate
		}
		return errs
	default:
		return []error{wrongType(key, `数字或 {"value": …}`, v)}
	}
}

// childKeys returns, sorted, the key segments directly below prefix ("" for
// the top level) among the dotted keys.
func childKeys(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if prefix == "" {
			rest, ok = k, true
		}
		if ok {
			seg, _, _ := strings.Cut(rest, ".")
			out = append(out, seg)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func unknownKey(key string, allowed []string) error {
	return Errorf(EInvalid, "配置项 %s 未知；可用：%s", key, strings.Join(allowed, ", "))
}

func wrongType(key, want string, got any) error {
	kind := "对象"
	switch got.(type) {
	case nil:
		kind = "null"
	case bool:
		kind = "布尔值"
	case float64:
		kind = "数字"
	case string:
		kind = "字符串"
	case []any:
		kind = "数组"
	}
	return Errorf(EInvalid, "配置项 %s 类型错误：应为%s（收到%s）", key, want, kind)
}

func invalid(key, format string, args ...any) error {
	return Errorf(EInvalid, "配置项 %s 无效："+format, append([]any{key}, args...)...)
}

// floorTargets pairs the floor (scores 100) of each score that is linear
// between a floor and a target (scores 0) with that target; the floor must
// lie below the target.
var floorTargets = map[string]string{
	"grid.kva_per_household_floor": "grid.kva_per_household",
	"grid.reliability_floor_pct":   "grid.reliability_pct",
	"grid.voltage_floor_pct":       "grid.voltage_pct",
}

// Validate returns every problem of p, each an *Error with code EInvalid that
// names its dotted key, joined with errors.Join in struct field order; nil if
// there is none. The rule for a value follows its key:
//   - weight_*: ≥ 0, and the weights of each section sum to more than 0;
//   - detour_factor: ≥ 1;
//   - *_pct: in (0, 100];
//   - group_min_households: ≥ 1;
//   - *_bonus: in [0, 100];
//   - graph_tolerance_m: > 0 and at most snap_tolerance_m;
//   - *_floor: ≥ 0, and below its target (floorTargets); outage_days_floor
//     above the outage days that guarantee_pct allows, 365×(100−pct)/100;
//   - anything else (distances, radii, tolerances, targets): > 0.
//
// Every Source must be one of SourceSourced, SourceDerived, SourceEstimated
// and SourceCounty.
func (p Profile) Validate() error {
	fs := p.fields()
	byKey := fieldIndex(fs)
	var errs []error
	for i, f := range fs {
		switch f.p.Source {
		case SourceSourced, SourceDerived, SourceEstimated, SourceCounty:
		default:
			errs = append(errs, invalid(f.key, "来源 %q 未知；可用：%s, %s, %s, %s", f.p.Source,
				SourceSourced, SourceDerived, SourceEstimated, SourceCounty))
		}
		if err := checkValue(f.key, f.p.Value); err != nil {
			errs = append(errs, err)
		}
		if target, ok := floorTargets[f.key]; ok && f.p.Value >= byKey[target].Value {
			errs = append(errs, invalid(f.key, "下限须小于目标 %s（收到 %g，目标 %g）", target, f.p.Value, byKey[target].Value))
		}
		if f.key == "road.graph_tolerance_m" && f.p.Value > byKey["road.snap_tolerance_m"].Value {
			errs = append(errs, invalid(f.key, "不能大于 road.snap_tolerance_m（收到 %g，吸附容差 %g）", f.p.Value, byKey["road.snap_tolerance_m"].Value))
		}
		if f.key == "water.outage_days_floor" {
			allowed := 365 * (100 - byKey["water.guarantee_pct"].Value) / 100
			if f.p.Value <= allowed {
				errs = append(errs, invalid(f.key, "须大于 water.guarantee_pct 允许的停水天数 %g（收到 %g）", allowed, f.p.Value))
			}
		}
		// After the last field of a section, check its weights' sum.
		if section := sectionOf(f.key); i == len(fs)-1 || sectionOf(fs[i+1].key) != section {
			var weights []string
			sum := 0.0
			for _, g := range fs {
				if sectionOf(g.key) == section && strings.HasPrefix(leafOf(g.key), "weight_") {
					weights = append(weights, g.key)
					sum += g.p.Value
				}
			}
			if len(weights) > 0 && !(sum > 0) {
				errs = append(errs, invalid(strings.Join(weights, ", "), "权重之和须大于 0（收到 %g）", sum))
			}
		}
	}
	for key, t := range p.texts() {
		if strings.HasPrefix(key, "units.") && strings.TrimSpace(*t) == "" {
			errs = append(errs, invalid(key, "责任单位不能为空"))
		}
	}
	if !slices.Contains(CompletionStates, p.CompletionState) {
		errs = append(errs, invalid("completion_state", "完工写入图层的状态 %q 无效；可用：%s", p.CompletionState, strings.Join(CompletionStates, "、")))
	}
	return errors.Join(errs...)
}

// checkValue checks one value by the rule its key names (see Validate).
func checkValue(key string, v float64) error {
	leaf := leafOf(key)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return invalid(key, "须为有限数值（收到 %g）", v)
	case sectionOf(key) == "targets":
		if v < 0 {
			return invalid(key, "目标不能为负（0 表示未设目标，收到 %g）", v)
		}
	case strings.HasPrefix(leaf, "weight_"):
		if v < 0 {
			return invalid(key, "权重不能为负（收到 %g）", v)
		}
	case leaf == "detour_factor":
		if v < 1 {
			return invalid(key, "绕行系数不能小于 1（收到 %g）", v)
		}
	case strings.HasSuffix(leaf, "_pct"):
		if v <= 0 || v > 100 {
			return invalid(key, "百分比须大于 0 且不超过 100（收到 %g）", v)
		}
	case leaf == "group_min_households":
		if v < 1 {
			return invalid(key, "户数门槛不能小于 1（收到 %g）", v)
		}
	case strings.HasSuffix(leaf, "_bonus"):
		if v < 0 || v > 100 {
			return invalid(key, "加分须在 0 到 100 之间（收到 %g）", v)
		}
	case strings.HasSuffix(leaf, "_floor"):
		if v < 0 {
			return invalid(key, "下限不能为负（收到 %g）", v)
		}
	default:
		if v <= 0 {
			return invalid(key, "须大于 0（收到 %g）", v)
		}
	}
	return nil
}

// sectionOf returns the dotted key without its last segment.
func sectionOf(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// leafOf returns the last segment of a dotted key.
func leafOf(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }
