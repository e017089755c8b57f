package division

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"testing"
)

// TestCountyMatchesRealCSV checks the embedded list against the CSV export
// of the same package that the real-data fixtures hold
// (shared/data/real/hunan_villages_2023.csv, gzipped in
// data/province/testdata), for every village
// of 湖南省 (29,534 villages in its 134 county-level units).
func TestCountyMatchesRealCSV(t *testing.T) {
	rows := readCSV(t, "../province/testdata/hunan_villages_2023.csv.gz")
	l, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // county → "village code name township code name" lines
	for _, r := range rows {
		want[r[4]] = append(want[r[4]], r[0]+" "+r[1]+" "+r[2]+" "+r[3])
	}
	if len(rows) != 29534 {
		t.Fatalf("fixture has %d villages, want 29534", len(rows))
	}
	for code, lines := range want {
		c, ok := l.County(code)
		if !ok {
			t.Fatalf("county %s not in the list", code)
		}
		var got []string
		for _, tw := range c.Townships {
			for _, v := range tw.Villages {
				got = append(got, v.Code+" "+v.Name+" "+tw.Code+" "+tw.Name)
			}
		}
		if len(got) != len(lines) {
			t.Errorf("county %s: %d villages, want %d", code, len(got), len(lines))
			continue
		}
		for i := range got {
			if got[i] != lines[i] {
				t.Errorf("county %s village %d: %q, want %q", code, i, got[i], lines[i])
			}
		}
	}
	c, _ := l.County("430682")
	if c.Name != "临湘市" || c.City != (Unit{"4306", "岳阳市"}) || c.Province != (Unit{"43", "湖南省"}) || len(c.Townships) != 14 || c.Villages() != 161 {
		t.Errorf("临湘: %+v %+v %+v, %d townships, %d villages", c.Unit, c.City, c.Province, len(c.Townships), c.Villages())
	}
	if _, ok := l.County("430699"); ok {
		t.Error("430699 found")
	}
	if _, ok := l.County("4306"); ok {
		t.Error("a city code found as county")
	}
	total := 0
	for code := range l.counties {
		c, _ := l.County(code)
		total += c.Villages()
	}
	if total != 620573 || l.Counties() != 2978 {
		t.Errorf("%d villages in %d counties, want 620573 in 2978", total, l.Counties())
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
