package ingest

import (
	"strconv"
	"strings"
)

// Village kinds a village unit's name or code gives (villages_kind_check).
const (
	KindAdmin     = "行政村"
	KindCommunity = "社区"
)

// How a village unit's name was read (VillageName.How).
const (
	NameAsIs      = iota // the short name already: …村, …社区, …居委会
	NameShortened        // an NBS long name shortened: 罗巷村民委员会 → 罗巷村
	NameTypo             // a miswritten long name read as the form it garbles: 罗巷新村村民委委会 → 罗巷新村
	NameByCode           // a name that says neither 村 nor 社区: the kind from the code (红色农场虚拟生活区 → 行政村)
	NameUnknown          // neither the name nor the code says: taken as 行政村
)

// VillageName is how a village unit's name is stored.
type VillageName struct {
	Name string // the name to store
	Kind string // KindAdmin or KindCommunity
	How  int    // Name*
	// Reason says in Chinese what was done, for the report ("" for NameAsIs).
	Reason string
}

// nbsSuffixes are the long and short forms of the unit types in the
// national code list (统计用区划代码), longest first: the suffix, the
// unit's kind, and what replaces the suffix in the stored name. A 村民委员会
// keeps its 村 ("罗巷村民委员会" and "罗巷村村民委员会" are both 罗巷村); a
// 居民委员会 is its 社区 when the name says 社区, else its 居委会 (its own
// short form: 湖塘鱼场居民委员会 → 湖塘鱼场居委会, not a 社区 it was never
// called). A 农村社区 is a village committee renamed (Hunan gives them
// 村民委员会 codes, 2xx): 行政村.
var nbsSuffixes = []struct {
	suffix, kind, short string
}{
	{"社区居民委员会", KindCommunity, "社区"},
	{"社区居委会", KindCommunity, "社区"},
	{"社区委员会", KindCommunity, "社区"},
	{"居民委员会", KindCommunity, "居委会"},
	{"村民委员会", KindAdmin, "村"},
	{"农村社区", KindAdmin, "农村社区"},
	{"居委会", KindCommunity, "居委会"},
	{"村委会", KindAdmin, "村"},
	{"社区", KindCommunity, "社区"},
	{"村", KindAdmin, "村"},
}

// nbsTypos are the miswritten endings the real code list has (Hunan
// 2023: 罗巷新村村民委委会, 桂花村季会, 鸡公垭村村民居委会, and a doubled
// 会 in 韶山 and elsewhere), and the ending each garbles.
var nbsTypos = []struct{ wrong, right string }{
	{"委委会", "委员会"},
	{"村季会", "村委会"},
	{"村民居委会", "村民委员会"},
}

// ReadVillageName reads the name of a 行政村 or 社区 with statistical
// code code as the national code list writes it: the unit's kind from the
// name's ending (the long forms …村民委员会, …居民委员会, …社区居委会 and
// …村委会, with the list's known typos, or the short …村 and …社区), the
// name shortened as people use it, and, for a name that ends in none of
// these (a farm's 生活区), the kind from the code's last three digits by
// the NBS rule: 001–199 居民委员会 and 400–499 units like one are 社区,
// 200–399 村民委员会 and 500–599 units like one are 行政村. The name
// wins over the code: a county's own table may number its villages 001….
func ReadVillageName(name, code string) VillageName {
	n := strings.TrimSpace(name)
	fixed := n
	typo := false
	for strings.HasSuffix(fixed, "会会") {
		fixed, typo = strings.TrimSuffix(fixed, "会"), true
	}
	for _, t := range nbsTypos {
		if strings.HasSuffix(fixed, t.wrong) {
			fixed, typo = strings.TrimSuffix(fixed, t.wrong)+t.right, true
		}
	}
	for _, s := range nbsSuffixes {
		stem, ok := strings.CutSuffix(fixed, s.suffix)
		if !ok || stem == "" {
			continue
		}
		short := stem + s.short
		if s.short == "村" && s.suffix != "村" && strings.HasSuffix(stem, "村") {
			short = stem // 南田坪村村民委员会: the name has its 村 (桃村村 keeps both)
		}
		v := VillageName{Name: short, Kind: s.kind}
		switch {
		case typo:
			v.How, v.Reason = NameTypo, "名称“"+n+"”疑有错字，按“"+fixed+"”读作"+s.kind+"，导入为“"+short+"”"
		case short != n:
			v.How, v.Reason = NameShortened, "统计用区划名称“"+n+"”按简称“"+short+"”导入（"+s.kind+"）"
		}
		return v
	}
	if kind, unit := kindByCode(code); kind != "" {
		return VillageName{Name: n, Kind: kind, How: NameByCode,
			Reason: "名称“" + n + "”不以“村”或“社区”结尾，按代码末三位 " + code[9:] + "（" + unit + "）归为" + kind}
	}
	return VillageName{Name: n, Kind: KindAdmin, How: NameUnknown, Reason: "名称不以“村”或“社区”结尾，已按行政村导入"}
}

// kindByCode is the kind the last three digits of a 12-digit village code
// give under the NBS rule, and the unit they name; "" for other codes.
func kindByCode(code string) (kind, unit string) {
	if len(code) != 12 {
		return "", ""
	}
	d, err := strconv.Atoi(code[9:])
	if err != nil {
		return "", ""
	}
	switch {
	case d >= 1 && d <= 199:
		return KindCommunity, "居民委员会"
	case d >= 200 && d <= 399:
		return KindAdmin, "村民委员会"
	case d >= 400 && d <= 499:
		return KindCommunity, "类似居民委员会的单位"
	case d >= 500 && d <= 599:
		return KindAdmin, "类似村民委员会的单位"
	}
	return "", ""
}
