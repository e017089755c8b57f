package province

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/demo"
)

// columns are the CSV columns Generate reads; others are ignored.
var columns = []string{"village_code", "village_name", "township_code", "township_name", "county_code", "county_name"}

type countyIn struct {
	code, name string
	towns      []townIn
	units      int // 行政村 + 社区
	admin      int // 行政村
}

type townIn struct {
	code, name string
	villages   []villageIn
}

type villageIn struct {
	code, name, kind string
}

// InputError reports a bad row of the village CSV.
type InputError struct {
	Line int // 1-based line in the file, header = 1
	Msg  string
}

func (e *InputError) Error() string { return fmt.Sprintf("village CSV line %d: %s", e.Line, e.Msg) }

// readVillages parses the village CSV into counties, townships and villages,
// each sorted by code. Codes must be well formed and nested: a village code
// is 12 digits beginning with its 9-digit township code, which begins with
// its 6-digit county code.
func readVillages(r io.Reader) ([]*countyIn, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("village CSV header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	col := make([]int, len(columns))
	for k, name := range columns {
		i, ok := idx[name]
		if !ok {
			return nil, &InputError{Line: 1, Msg: "missing column " + name}
		}
		col[k] = i
	}
	counties := map[string]*countyIn{}
	towns := map[string]*townIn{}
	seen := map[string]bool{}
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("village CSV: %w", err)
		}
		v := make([]string, len(columns))
		for k, i := range col {
			if i >= len(rec) {
				return nil, &InputError{Line: line, Msg: "short row"}
			}
			v[k] = strings.TrimSpace(rec[i])
		}
		vc, vn, tc, tn, cc, cn := v[0], v[1], v[2], v[3], v[4], v[5]
		switch {
		case !digits(vc, 12) || !digits(tc, 9) || !digits(cc, 6):
			return nil, &InputError{Line: line, Msg: fmt.Sprintf("codes must be 12, 9 and 6 digits: %q %q %q", vc, tc, cc)}
		case vc[:9] != tc || tc[:6] != cc:
			return nil, &InputError{Line: line, Msg: fmt.Sprintf("village %s is not in township %s of county %s", vc, tc, cc)}
		case vn == "" || tn == "" || cn == "":
			return nil, &InputError{Line: line, Msg: "empty name"}
		case seen[vc]:
			return nil, &InputError{Line: line, Msg: "duplicate village code " + vc}
		}
		seen[vc] = true
		c := counties[cc]
		if c == nil {
			c = &countyIn{code: cc, name: cn}
			counties[cc] = c
		}
		t := towns[tc]
		if t == nil {
			t = &townIn{code: tc, name: tn}
			towns[tc] = t
		}
		t.villages = append(t.villages, villageIn{code: vc, name: vn, kind: kindOf(vn)})
	}
	for code, t := range towns {
		c := counties[code[:6]]
		c.towns = append(c.towns, *t)
	}
	out := make([]*countyIn, 0, len(counties))
	for _, c := range counties {
		slices.SortFunc(c.towns, func(a, b townIn) int { return strings.Compare(a.code, b.code) })
		for k := range c.towns {
			vs := c.towns[k].villages
			slices.SortFunc(vs, func(a, b villageIn) int { return strings.Compare(a.code, b.code) })
			for _, v := range vs {
				c.units++
				if v.kind == demo.KindAdministrative {
					c.admin++
				}
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *countyIn) int { return strings.Compare(a.code, b.code) })
	if len(out) == 0 {
		return nil, errors.New("village CSV has no rows")
	}
	return out, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// kindOf classifies a unit by its name: 居委会, 社区 and anything that is
// neither 村 nor 社区 (农场/林场 生活区, 管理区) are 社区; the rest with 村 in
// the name, typos such as 村民委委会 included, are 行政村.
func kindOf(name string) string {
	switch {
	case strings.Contains(name, "社区"), strings.Contains(name, "居委"), strings.Contains(name, "居民"):
		return demo.KindCommunity
	case strings.Contains(name, "村"):
		return demo.KindAdministrative
	}
	return demo.KindCommunity
}

// shortName drops the administrative suffix for derived names:
// "识字里社区居委会" → "识字里", "红旗村村委会" → "红旗村"... → "红旗",
// "文艺路街道" → "文艺路".
func shortName(name string) string {
	for _, suf := range []string{"村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "委员会"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			name = s
			break
		}
	}
	for _, suf := range []string{"街道办事处", "街道", "社区", "镇", "乡", "村"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	return name
}

// countyShort drops 市/县/区 from a short county name for station and line
// names: "临湘市" → "临湘", "武陵源区" → "武陵源"; longer names such as
// "湘潭昭山示范区" stay whole.
func countyShort(name string) string {
	if r := []rune(name); len(r) <= 4 {
		for _, suf := range []string{"市", "县", "区"} {
			if s, ok := strings.CutSuffix(name, suf); ok {
				return s
			}
		}
	}
	return name
}

// names hands out names unique within a county: the second "红旗" + "水库"
// is "红旗二水库", the eleventh "红旗11水库".
type names map[string]bool

var numerals = []string{"", "", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

func (n names) unique(stem, suffix string) string {
	name := stem + suffix
	for k := 2; n[name]; k++ {
		num := strconv.Itoa(k)
		if k < len(numerals) {
			num = numerals[k]
		}
		name = stem + num + suffix
	}
	n[name] = true
	return name
}
