package osm

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// number parses a plain decimal such as "6", "6.5" or ".5". It refuses
// what strconv.ParseFloat would also take but no mapper means: signs,
// exponents, hex floats, "NaN" and "Inf".
func number(s string) (float64, bool) {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 || digits > 15 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// cutUnit splits a lower-cased value into its number and the first of
// units it ends with ("" when none does), trimming spaces between.
func cutUnit(s string, units ...string) (num, unit string) {
	s = strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(s, u) {
			return strings.TrimSpace(strings.TrimSuffix(s, u)), u
		}
	}
	return s, ""
}

// maxWidthM is roads_width_m_check's upper bound.
const maxWidthM = 60

// parseWidth reads OSM's width=* for a road: meters, with or without a
// unit ("6", "6 m", "6.5m", "6米") and with a decimal comma ("6,5"), as
// European editors write it. Values outside (0, 60] m — a typo, or feet
// — are dropped rather than guessed at, so the column stays NULL.
func parseWidth(s string) (float64, bool) {
	s, _ = cutUnit(strings.ToLower(s), "meters", "metres", "meter", "metre", "米", "m")
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	w, ok := number(s)
	if !ok || w <= 0 || w > maxWidthM {
		return 0, false
	}
	return w, true
}

// maxKV bounds voltages: the highest in service anywhere is 1100 kV.
const maxKV = 2000

// parseVoltages reads OSM's voltage=*, in volts by the wiki's rule, with
// the kV and V units mappers also write ("10 kV", "10kV", "400V"), and
// several values separated by ";" (a line carrying circuits of several
// voltages on one set of towers, or a substation's levels), "," or "/".
// It returns the distinct values in kV, highest first. Empty parts are
// ignored; any other part that is not a voltage fails the whole tag, so
// that "110000;unknown" is not read as plain 110 kV.
func parseVoltages(s string) ([]float64, bool) {
	var out []float64
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '/' }) {
		num, unit := cutUnit(strings.ToLower(part), "kv", "v")
		if num == "" && unit == "" {
			continue
		}
		v, ok := number(num)
		if !ok || v <= 0 {
			return nil, false
		}
		if unit != "kv" {
			v /= 1000
		}
		if v > maxKV {
			return nil, false
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, false
	}
	slices.SortFunc(out, func(a, b float64) int { return cmp.Compare(b, a) })
	return slices.Compact(out), true
}

// kV sets allowed by the schema's CHECK constraints.
var (
	lineKVs          = []float64{0.22, 0.4, 10, 35, 110, 220, 500} // power_lines_voltage_kv_check
	substationKVs    = []float64{35, 110, 220, 500}                // substations_voltage_kv_check
	secondaryKVs     = []float64{10, 35, 110, 220}                 // substations_secondary_kv_check
	transformerPriKV = []float64{10, 35}                           // transformers_primary_kv_check
	transformerSecKV = []float64{0.22, 0.4}                        // transformers_secondary_kv_check
)

// snapTolerance is how far, relatively, a tagged voltage may sit from a
// standard one and still be taken for it: 380 V is the 0.4 kV class,
// 10.5 kV (a transformer's no-load voltage) is 10 kV, 38.5 kV is 35 kV,
// 115/230/525 kV are 110/220/500 kV as tagged by foreign habit. Classes
// China uses elsewhere but the schema does not hold (6, 20, 66, 330,
// 750, 1000 kV) are more than 10 % from every allowed value and are not
// snapped.
const snapTolerance = 0.10

// snap returns the value of set nearest kv within snapTolerance.
func snap(kv float64, set []float64) (float64, bool) {
	best, bestDiff := 0.0, math.Inf(1)
	for _, c := range set {
		if d := math.Abs(kv-c) / c; d <= snapTolerance && d < bestDiff {
			best, bestDiff = c, d
		}
	}
	return best, bestDiff <= snapTolerance
}

// parseRating reads a transformer's rating=* as kVA: "630 kVA",
// "0.63 MVA", "630000 VA", or a bare number, which on a distribution
// transformer can only mean kVA (no 配变 is rated 630 VA).
func parseRating(s string) (float64, bool) {
	part, _, _ := strings.Cut(s, ";")
	num, unit := cutUnit(strings.ToLower(part), "kva", "mva", "va")
	v, ok := number(num)
	if !ok || v <= 0 {
		return 0, false
	}
	switch unit {
	case "mva":
		v *= 1000
	case "va":
		v /= 1000
	}
	return v, v > 0 && !math.IsInf(v, 0)
}

// parseCapacity reads a reservoir's storage (volume=* or capacity=*) in
// 万m³, gapmap's unit: a bare number or "m3"/"m³"/"立方米" is cubic
// meters (OSM's unit; "方" is the spoken form), "万m³"/"万立方米"/"万方"
// and "亿m³"/"亿立方米"/"亿方" are the units of Chinese registers.
func parseCapacity(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	num, _ := cutUnit(s, "立方米", "方", "m3", "m³", "cubic metres", "cubic meters")
	factor := 1e-4 // m³ → 万m³
	switch {
	case strings.HasSuffix(num, "亿"):
		num, factor = strings.TrimSuffix(num, "亿"), 1e4
	case strings.HasSuffix(num, "万"):
		num, factor = strings.TrimSuffix(num, "万"), 1
	}
	v, ok := number(strings.TrimSpace(num))
	if !ok || v <= 0 {
		return 0, false
	}
	return v * factor, true
}

// Reservoir scales (reservoirs_scale_check), largest first.
const (
	scaleLarge1 = "大(1)型"
	scaleLarge2 = "大(2)型"
	scaleMedium = "中型"
	scaleSmall1 = "小(1)型"
	scaleSmall2 = "小(2)型"
)

// scaleNames maps the spellings registers use to the schema's.
var scaleNames = map[string]string{
	"大(1)型": scaleLarge1, "大（1）型": scaleLarge1, "大1型": scaleLarge1, "大一型": scaleLarge1, "大型一类": scaleLarge1,
	"大(2)型": scaleLarge2, "大（2）型": scaleLarge2, "大2型": scaleLarge2, "大二型": scaleLarge2, "大型二类": scaleLarge2,
	"中型":    scaleMedium,
	"小(1)型": scaleSmall1, "小（1）型": scaleSmall1, "小1型": scaleSmall1, "小一型": scaleSmall1,
	"小(2)型": scaleSmall2, "小（2）型": scaleSmall2, "小2型": scaleSmall2, "小二型": scaleSmall2,
}

// scaleFromCapacity classes a reservoir by its total storage in 万m³ as
// SL 252-2017 (水利水电工程等级划分及洪水标准) does: 大(1)型 ≥ 10 亿m³,
// 大(2)型 ≥ 1 亿, 中型 ≥ 1000 万, 小(1)型 ≥ 100 万, 小(2)型 ≥ 10 万. Below
// 10 万m³ a water body is a 塘坝, for which no scale exists.
func scaleFromCapacity(wan float64) (string, bool) {
	switch {
	case wan >= 100000:
		return scaleLarge1, true
	case wan >= 10000:
		return scaleLarge2, true
	case wan >= 1000:
		return scaleMedium, true
	case wan >= 100:
		return scaleSmall1, true
	case wan >= 10:
		return scaleSmall2, true
	}
	return "", false
}

// statCode reports whether s is a 12-digit 统计用区划代码.
func statCode(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
