package province

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"maps"
	"math"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"

	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/geo"
)

// sampleCSV holds every row of three real counties: 临湘市 (430682, 161
// units), 南岳区 (430412, 25) and 湖南衡阳松木经济开发区 (430473, 7, the
// smallest county, which gets the layout's minimum cell).
const sampleCSV = "testdata/villages_sample.csv"

// provinceEnv names the full village CSV for TestProvince and
// BenchmarkGenerate: /work/shared/data/real/hunan_villages_2023.csv.
const provinceEnv = "GAPMAP_PROVINCE_CSV"

var (
	sampleOnce sync.Once
	sampleOut  []*demo.County
	sampleErr  error
)

// sample returns the shared Generate result for sampleCSV; tests only read it.
func sample(tb testing.TB) []*demo.County {
	tb.Helper()
	sampleOnce.Do(func() {
		var b []byte
		if b, sampleErr = os.ReadFile(sampleCSV); sampleErr == nil {
			sampleOut, sampleErr = Generate(bytes.NewReader(b))
		}
	})
	if sampleErr != nil {
		tb.Fatal(sampleErr)
	}
	return sampleOut
}

// sampleRows returns the sample's data rows keyed by village code.
func sampleRows(tb testing.TB) map[string][]string {
	tb.Helper()
	f, err := os.Open(sampleCSV)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]string{}
	for _, row := range rows[1:] {
		out[row[0]] = row
	}
	return out
}

// units returns the 行政村/社区 of c (the villages before the first 村民组).
func units(c *demo.County) []demo.Village {
	n := slices.IndexFunc(c.Villages, func(v demo.Village) bool { return v.Kind == demo.KindGroup })
	if n < 0 {
		return c.Villages
	}
	return c.Villages[:n]
}

func hardened(s string) bool { return s == demo.SurfaceAsphalt || s == demo.SurfaceConcrete }

func TestDeterministic(t *testing.T) {
	b, err := os.ReadFile(sampleCSV)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Generate(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sample(t), again) {
		t.Fatal("two Generate calls on the same input differ")
	}
}

func TestCodesAndNames(t *testing.T) {
	rows := sampleRows(t)
	seen := 0
	var prev string
	for _, c := range sample(t) {
		if c.Code <= prev {
			t.Errorf("county %s after %s: not in code order", c.Code, prev)
		}
		prev = c.Code
		towns := map[string]demo.Township{}
		for _, tw := range c.Townships {
			if !strings.HasPrefix(tw.Code, c.Code) || len(tw.Code) != 9 {
				t.Errorf("township %s is not a 9-digit code of county %s", tw.Code, c.Code)
			}
			towns[tw.Code] = tw
		}
		codes := map[string]bool{}
		for _, v := range units(c) {
			row, ok := rows[v.Code]
			switch {
			case !ok:
				t.Errorf("village %s %s is not in the input", v.Code, v.Name)
				continue
			case v.Name != row[1] || v.TownshipCode != row[2] || c.Code != row[4] || c.Name != row[5]:
				t.Errorf("village %s = %s/%s/%s %s, want %v", v.Code, v.Name, v.TownshipCode, c.Code, c.Name, row[:6])
			case towns[v.TownshipCode].Name != row[3]:
				t.Errorf("township %s named %q, want %q", v.TownshipCode, towns[v.TownshipCode].Name, row[3])
			case !strings.HasPrefix(v.Code, v.TownshipCode):
				t.Errorf("village %s is not under township %s", v.Code, v.TownshipCode)
			case v.Kind != kindOf(v.Name) || v.ParentCode != "":
				t.Errorf("village %s %s: kind %s parent %q", v.Code, v.Name, v.Kind, v.ParentCode)
			}
			codes[v.Code] = true
			seen++
		}
		for _, v := range c.Villages[len(units(c)):] {
			if v.Kind != demo.KindGroup || v.Code != "" || !codes[v.ParentCode] || !strings.HasPrefix(v.ParentCode, v.TownshipCode) {
				t.Errorf("村民组 %s of %s: kind %s code %q township %s", v.Name, v.ParentCode, v.Kind, v.Code, v.TownshipCode)
			}
		}
	}
	if seen != len(rows) {
		t.Errorf("%d units generated, want the %d input rows", seen, len(rows))
	}
}

func TestPeople(t *testing.T) {
	admin, poor := 0, 0
	for _, c := range sample(t) {
		groupsHH := map[string]int{}
		for _, v := range c.Villages[len(units(c)):] {
			groupsHH[v.ParentCode] += v.Households
		}
		for _, v := range units(c) {
			if v.Kind == demo.KindAdministrative {
				admin++
			}
			if v.Households <= 0 || v.Population < v.Households || groupsHH[v.Code] > v.Households {
				t.Errorf("%s: %d households, %d people, %d in its 村民组", v.Code, v.Households, v.Population, groupsHH[v.Code])
			}
			if !v.IsPoor {
				if v.PoorHouseholds != 0 || v.PoorPopulation != 0 {
					t.Errorf("%s is not poor but has %d poor households", v.Code, v.PoorHouseholds)
				}
				continue
			}
			poor++
			if v.Kind != demo.KindAdministrative || v.PoorHouseholds <= 0 || v.PoorPopulation > v.Population {
				t.Errorf("poor %s %s: %d poor households, %d of %d people", v.Kind, v.Code, v.PoorHouseholds, v.PoorPopulation, v.Population)
			}
		}
	}
	if want := int(math.Round(PoorShare * float64(admin))); poor != want {
		t.Errorf("%d poor villages, want round(PoorShare × %d) = %d", poor, admin, want)
	}
}

// points lists every point feature and vertex of c by layer.
func points(c *demo.County) map[string][]orb.Point {
	out := map[string][]orb.Point{}
	layer := func(name string, n int, at func(i int) []orb.Point) {
		for i := range n {
			out[name] = append(out[name], at(i)...)
		}
	}
	one := func(p orb.Point) []orb.Point { return []orb.Point{p} }
	layer("seats", len(c.Townships), func(i int) []orb.Point { return one(c.Townships[i].Seat) })
	layer("offices", len(c.Villages), func(i int) []orb.Point { return one(c.Villages[i].Office) })
	layer("roads", len(c.Roads), func(i int) []orb.Point { return c.Roads[i].Geom })
	layer("bridges", len(c.Bridges), func(i int) []orb.Point { return one(c.Bridges[i].Geom) })
	layer("bus stops", len(c.BusStops), func(i int) []orb.Point { return one(c.BusStops[i].Geom) })
	layer("reservoirs", len(c.Reservoirs), func(i int) []orb.Point { return c.Reservoirs[i].Geom[0] })
	layer("water works", len(c.WaterWorks), func(i int) []orb.Point { return one(c.WaterWorks[i].Geom) })
	layer("water mains", len(c.WaterMains), func(i int) []orb.Point { return c.WaterMains[i].Geom })
	layer("substations", len(c.Substations), func(i int) []orb.Point { return one(c.Substations[i].Geom) })
	layer("power lines", len(c.PowerLines), func(i int) []orb.Point { return c.PowerLines[i].Geom })
	layer("transformers", len(c.Transformers), func(i int) []orb.Point { return one(c.Transformers[i].Geom) })
	layer("PV stations", len(c.PVStations), func(i int) []orb.Point { return one(c.PVStations[i].Geom) })
	layer("tourism sites", len(c.TourismSites), func(i int) []orb.Point { return one(c.TourismSites[i].Geom) })
	return out
}

func TestEverythingInsideOutline(t *testing.T) {
	for _, c := range sample(t) {
		if len(c.Outline) != 1 || len(c.Outline[0]) != 1 || c.Outline[0][0].Orientation() != orb.CCW {
			t.Fatalf("%s: outline is not one counter-clockwise ring", c.Code)
		}
		ring := c.Outline[0][0]
		for layer, ps := range points(c) {
			if len(ps) == 0 {
				t.Errorf("%s: no %s", c.Code, layer)
			}
			for _, p := range ps {
				if !planar.RingContains(ring, p) {
					t.Errorf("%s: a vertex of %s at %v is outside the outline", c.Code, layer, p)
					break
				}
			}
		}
	}
}

// TestTownshipCells checks the loader's rule: every office and 村民组 is
// nearer (in degrees) to its own township seat than to any other.
func TestTownshipCells(t *testing.T) {
	for _, c := range sample(t) {
		for _, v := range c.Villages {
			best := slices.MinFunc(c.Townships, func(a, b demo.Township) int {
				return cmp.Compare(planar.Distance(v.Office, a.Seat), planar.Distance(v.Office, b.Seat))
			})
			if best.Code != v.TownshipCode {
				t.Errorf("%s %s of %s lies in the cell of %s", v.Code, v.Name, v.TownshipCode, best.Code)
			}
		}
	}
}

// edge is one straight piece of a road segment.
type edge struct{ a, b orb.Point }

// edgeGrid buckets edges by a uniform grid over their bounds so that only
// neighbours are compared.
func edgeGrid(edges []edge, cell float64) map[[2]int][]int {
	grid := map[[2]int][]int{}
	for k, e := range edges {
		b := orb.MultiPoint{e.a, e.b}.Bound()
		for i := int(math.Floor(b.Min[0] / cell)); i <= int(math.Floor(b.Max[0]/cell)); i++ {
			for j := int(math.Floor(b.Min[1] / cell)); j <= int(math.Floor(b.Max[1]/cell)); j++ {
				grid[[2]int{i, j}] = append(grid[[2]int{i, j}], k)
			}
		}
	}
	return grid
}

// TestRoadNetwork checks that the roads are exactly noded — segments meet
// only at shared end points or vertices, and a segment's end is either a
// seat, an office or a 村民组, or the start of the next segment — and that
// every office and 村民组 is reached from the county seat.
func TestRoadNetwork(t *testing.T) {
	for _, c := range sample(t) {
		places := map[orb.Point]bool{}
		for _, tw := range c.Townships {
			places[tw.Seat] = true
		}
		for _, v := range c.Villages {
			places[v.Office] = true
		}
		ends := map[orb.Point]int{}
		var edges []edge
		adj := map[orb.Point][]orb.Point{}
		for _, r := range c.Roads {
			if len(r.Geom) < 2 {
				t.Fatalf("%s: road %s has %d vertices", c.Code, r.Name, len(r.Geom))
			}
			ends[r.Geom[0]]++
			ends[r.Geom[len(r.Geom)-1]]++
			for k := 1; k < len(r.Geom); k++ {
				edges = append(edges, edge{r.Geom[k-1], r.Geom[k]})
				adj[r.Geom[k-1]] = append(adj[r.Geom[k-1]], r.Geom[k])
				adj[r.Geom[k]] = append(adj[r.Geom[k]], r.Geom[k-1])
			}
		}
		for p, n := range ends {
			if !places[p] && n != 2 {
				t.Errorf("%s: segment end %v is shared by %d segments, want 2", c.Code, p, n)
			}
		}
		bad := 0
		for _, ids := range edgeGrid(edges, 0.01) {
			for x, i := range ids {
				for _, j := range ids[x+1:] {
					e, f := edges[i], edges[j]
					shared := e.a == f.a || e.a == f.b || e.b == f.a || e.b == f.b
					if !shared && geo.SegmentsTouch(e.a, e.b, f.a, f.b) || e == f || e == (edge{f.b, f.a}) {
						bad++
					}
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d pairs of road edges cross or overlap", c.Code, bad)
		}

		// Depth-first flood from the county seat.
		seen := map[orb.Point]bool{}
		for stack := []orb.Point{c.Townships[0].Seat}; len(stack) > 0; {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !seen[p] {
				seen[p] = true
				stack = append(stack, adj[p]...)
			}
		}
		for _, v := range c.Villages {
			if !seen[v.Office] {
				t.Errorf("%s: %s %s is not reached from the county seat", c.Code, v.Name, v.ParentCode)
			}
		}
	}
}

// TestReservoirs checks that no road touches or enters the water and that
// offices, transformers and other sites are on dry land.
func TestReservoirs(t *testing.T) {
	for _, c := range sample(t) {
		var edges []edge
		for _, r := range c.Roads {
			for k := 1; k < len(r.Geom); k++ {
				edges = append(edges, edge{r.Geom[k-1], r.Geom[k]})
			}
		}
		pts := points(c)
		for _, res := range c.Reservoirs {
			ring, b := res.Geom[0], res.Geom.Bound()
			if ring.Orientation() != orb.CCW || ring[0] != ring[len(ring)-1] {
				t.Errorf("%s: %s is not a closed CCW ring", c.Code, res.Name)
			}
			for _, e := range edges {
				if !b.Intersects(orb.MultiPoint{e.a, e.b}.Bound()) {
					continue
				}
				if planar.RingContains(ring, e.a) || planar.RingContains(ring, e.b) {
					t.Errorf("%s: a road vertex lies in %s", c.Code, res.Name)
				}
				for k := 1; k < len(ring); k++ {
					if geo.SegmentsTouch(ring[k-1], ring[k], e.a, e.b) {
						t.Errorf("%s: a road crosses the shore of %s", c.Code, res.Name)
						break
					}
				}
			}
			for _, layer := range []string{"offices", "transformers", "water works", "substations", "PV stations", "bus stops", "bridges"} {
				for _, p := range pts[layer] {
					if b.Contains(p) && planar.RingContains(ring, p) {
						t.Errorf("%s: one of the %s lies in %s", c.Code, layer, res.Name)
					}
				}
			}
		}
	}
}

func TestBridgesAndStops(t *testing.T) {
	for _, c := range sample(t) {
		interior := map[orb.Point]bool{}
		for _, r := range c.Roads {
			for _, p := range r.Geom {
				interior[p] = true
			}
		}
		for _, tw := range c.Townships {
			delete(interior, tw.Seat)
		}
		for _, v := range c.Villages {
			delete(interior, v.Office)
		}
		names := map[string]bool{}
		for _, b := range c.Bridges {
			if !interior[b.Geom] {
				t.Errorf("%s: bridge %s is not on an interior road vertex", c.Code, b.Name)
			}
			if names[b.Name] || b.RoadRef == "" || b.Dangerous != (b.ConditionClass >= 4) || b.LengthM <= 0 {
				t.Errorf("%s: bridge %+v", c.Code, b)
			}
			names[b.Name] = true
		}
		for _, s := range c.BusStops {
			if s.Name == "" || len(s.Routes) == 0 {
				t.Errorf("%s: bus stop %+v", c.Code, s)
			}
		}
	}
}

// TestGrid checks the power layers' links: every unit has a transformer on
// a feeder that exists, households are shared out exactly, and single-phase
// villages really have no three-phase supply within 500 m.
func TestGrid(t *testing.T) {
	feederOf := map[string]string{} // feeder id → county, across counties
	for _, c := range sample(t) {
		lines := map[string]bool{}
		for _, l := range c.PowerLines {
			if !slices.Contains([]float64{0.22, 0.4, 10, 35, 110}, l.VoltageKV) || len(l.Geom) < 2 {
				t.Errorf("%s: power line %s at %g kV with %d vertices", c.Code, l.Name, l.VoltageKV, len(l.Geom))
			}
			if l.VoltageKV == 10 {
				lines[l.Feeder] = true
				if other, ok := feederOf[l.Feeder]; ok && other != c.Code {
					t.Errorf("feeder id %s is used in %s and %s", l.Feeder, other, c.Code)
				}
				feederOf[l.Feeder] = c.Code
			}
			if (l.VoltageKV > 10) != (l.Feeder == "") {
				t.Errorf("%s: %g kV line %s has feeder %q", c.Code, l.VoltageKV, l.Name, l.Feeder)
			}
		}
		if len(c.Substations) == 0 {
			t.Errorf("%s: no substation", c.Code)
		}
		byVillage := map[string][]demo.Transformer{}
		var three []orb.Point
		for _, tr := range c.Transformers {
			byVillage[tr.VillageCode] = append(byVillage[tr.VillageCode], tr)
			if !slices.Contains(kvaSizes, tr.KVA) || !lines[tr.Feeder] || tr.PrimaryKV != 10 {
				t.Errorf("%s: transformer %s: %g kVA on feeder %q", c.Code, tr.Name, tr.KVA, tr.Feeder)
			}
			if tr.Phases == 3 {
				three = append(three, tr.Geom)
			}
		}
		for _, l := range c.PowerLines {
			if l.VoltageKV == 0.4 && l.Phases == 3 {
				three = append(three, l.Geom...) // low-voltage lines are single straight pieces
			}
		}
		for _, v := range units(c) {
			trs := byVillage[v.Code]
			if len(trs) == 0 {
				t.Errorf("%s %s has no transformer", v.Code, v.Name)
				continue
			}
			hh := 0
			for _, tr := range trs {
				hh += tr.HouseholdsServed
			}
			if hh != v.Households {
				t.Errorf("%s: transformers serve %d households, want %d", v.Code, hh, v.Households)
			}
			if trs[0].Phases == 1 {
				m := metricAt(v.Office[1])
				for _, l := range c.PowerLines {
					if l.Phases == 3 && l.VoltageKV == 0.4 && m.segDist(v.Office, l.Geom[0], l.Geom[1]) < 500 {
						t.Errorf("single-phase %s has a three-phase line %s within 500 m", v.Code, l.Name)
					}
				}
				for _, p := range three {
					if orbgeo.Distance(p, v.Office) < 500 {
						t.Errorf("single-phase %s has three-phase supply at %v within 500 m", v.Code, p)
						break
					}
				}
			}
		}
	}
}

func TestWater(t *testing.T) {
	for _, c := range sample(t) {
		works := map[string]demo.WaterWorks{}
		for _, w := range c.WaterWorks {
			if _, dup := works[w.Name]; dup {
				t.Errorf("%s: two water works named %s", c.Code, w.Name)
			}
			works[w.Name] = w
			if w.PopulationServed <= 0 || w.DesignM3PerDay <= 0 || w.GuaranteePct < 50 || w.GuaranteePct > 100 {
				t.Errorf("%s: works %+v", c.Code, w)
			}
		}
		for _, m := range c.WaterMains {
			if _, ok := works[m.WorksName]; !ok || len(m.Geom) < 2 || m.DiameterMM <= 0 {
				t.Errorf("%s: main of %q with %d vertices", c.Code, m.WorksName, len(m.Geom))
			}
		}
	}
}

// TestGapMix checks that the sample plants every kind of gap the scoring
// looks for, next to the villages that pass.
func TestGapMix(t *testing.T) {
	type tally struct{ pass, fail int }
	mix := map[string]*tally{}
	count := func(name string, fail bool) {
		if mix[name] == nil {
			mix[name] = &tally{}
		}
		if fail {
			mix[name].fail++
		} else {
			mix[name].pass++
		}
	}
	for _, c := range sample(t) {
		for _, r := range c.Roads {
			count("road surface hardened", !hardened(r.Surface))
			count("road width ≥4.5 m", r.WidthM < 4.5)
		}
		for _, b := range c.Bridges {
			count("bridge safe", b.Dangerous)
		}
		for _, r := range c.Reservoirs {
			count("reservoir safe", r.Safety == demo.SafetyUnsafe)
		}
		for _, w := range c.WaterWorks {
			count("works ≥35 L a head", w.DesignM3PerDay*1000/float64(w.PopulationServed) < 35)
			count("works tested and passed in 2016", !w.LastTestPassed || !strings.HasPrefix(w.LastTestDate, "2016"))
			count("works guarantee ≥90%", w.GuaranteePct < 90)
		}
		kva := map[string]float64{}
		phases := map[string]int{}
		for _, tr := range c.Transformers {
			kva[tr.VillageCode] += tr.KVA
			phases[tr.VillageCode] = tr.Phases
		}
		feederKm := map[string]float64{}
		for _, l := range c.PowerLines {
			if l.VoltageKV == 10 {
				feederKm[l.Feeder] += orbgeo.Length(l.Geom) / 1000
			}
		}
		pv := map[string]float64{}
		for _, p := range c.PVStations {
			pv[p.VillageCode] += p.KW
		}
		for _, v := range units(c) {
			m := metricAt(v.Office[1])
			stop := math.Inf(1)
			for _, s := range c.BusStops {
				stop = math.Min(stop, orbgeo.Distance(s.Geom, v.Office))
			}
			count("bus stop ≤1 km", stop > 1000)
			main := math.Inf(1)
			for _, w := range c.WaterMains {
				for k := 1; k < len(w.Geom); k++ {
					main = math.Min(main, m.segDist(v.Office, w.Geom[k-1], w.Geom[k]))
				}
			}
			count("main ≤200 m", main > 200)
			count("≥2 kVA a household", kva[v.Code] < 2*float64(v.Households))
			count("three-phase", phases[v.Code] == 1)
			var feeder string
			for _, tr := range c.Transformers {
				if tr.VillageCode == v.Code {
					feeder = tr.Feeder
				}
			}
			count("feeder ≤15 km", feederKm[feeder] > 15)
			if v.IsPoor {
				count("PV for the poor", pv[v.Code] == 0)
			}
		}
		count("tourism sites", len(c.TourismSites) == 0)
	}
	for name, m := range mix {
		t.Logf("%-32s pass %6d fail %5d", name, m.pass, m.fail)
		if name != "tourism sites" && (m.pass == 0 || m.fail == 0) {
			t.Errorf("%s: %d pass and %d fail, want both", name, m.pass, m.fail)
		}
	}
	if m := mix["tourism sites"]; m.fail > 0 {
		t.Errorf("%d counties have no tourism site", m.fail)
	}
}

func TestInputErrors(t *testing.T) {
	const head = "village_code,village_name,township_code,township_name,county_code,county_name\n"
	const good = "430682001001,长城社区,430682001,长安街道,430682,临湘市\n"
	cases := []struct {
		name string
		csv  string
		line int // 0: not an *InputError
	}{
		{"missing column", "village_code,village_name\n", 1},
		{"short code", head + "43068200100,长城社区,430682001,长安街道,430682,临湘市\n", 2},
		{"village outside its township", head + good + "430682002001,甲村,430682001,长安街道,430682,临湘市\n", 3},
		{"township outside its county", head + "430681001001,甲村,430681001,甲镇,430682,临湘市\n", 2},
		{"empty name", head + "430682001001,,430682001,长安街道,430682,临湘市\n", 2},
		{"duplicate code", head + good + good, 3},
		{"no rows", head, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(strings.NewReader(tc.csv))
			var ie *InputError
			switch {
			case err == nil:
				t.Fatal("got no error")
			case tc.line == 0 && errors.As(err, &ie):
				t.Errorf("got %v, want a plain error", err)
			case tc.line > 0 && (!errors.As(err, &ie) || ie.Line != tc.line):
				t.Errorf("got %v, want an *InputError on line %d", err, tc.line)
			}
		})
	}
}

// hunanCSV returns the village list named by GAPMAP_PROVINCE_CSV, by
// default the embedded real Hunan codes.
func hunanCSV(tb testing.TB) []byte {
	tb.Helper()
	in, err := CodeList(os.Getenv("GAPMAP_PROVINCE_CSV"))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// TestProvince generates the whole province and checks the row targets.
func TestProvince(t *testing.T) {
	in := hunanCSV(t)
	runtime.GC()
	start := time.Now()
	cs, err := Generate(bytes.NewReader(in))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	// HeapSys only grows while the run lasts, so it bounds the peak heap;
	// HeapAlloc after a collection is what the result holds.
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rows := map[string]int{}
	nUnits, poor := 0, 0
	for _, c := range cs {
		for _, v := range units(c) {
			nUnits++
			if v.IsPoor {
				poor++
			}
		}
		for layer, n := range map[string]int{"villages": len(c.Villages), "roads": len(c.Roads), "bridges": len(c.Bridges),
			"bus stops": len(c.BusStops), "reservoirs": len(c.Reservoirs), "water works": len(c.WaterWorks),
			"water mains": len(c.WaterMains), "substations": len(c.Substations), "power lines": len(c.PowerLines),
			"transformers": len(c.Transformers), "PV stations": len(c.PVStations), "tourism sites": len(c.TourismSites)} {
			rows[layer] += n
		}
	}
	t.Logf("%d counties, %d units, %d poor; generated in %v; heap %d MiB at most, %d MiB for the result",
		len(cs), nUnits, poor, elapsed.Round(time.Millisecond), ms.HeapSys>>20, ms.HeapAlloc>>20)
	for _, layer := range slices.Sorted(maps.Keys(rows)) {
		t.Logf("%-14s %9d", layer, rows[layer])
	}
	for _, want := range []struct {
		layer  string
		target float64
		tol    float64
	}{{"roads", 1_000_000, 0.10}, {"power lines", 200_000, 0.15}, {"transformers", 30_000, 0.20}} {
		if got := float64(rows[want.layer]); math.Abs(got-want.target) > want.tol*want.target {
			t.Errorf("%d %s, want %.0f ± %.0f%%", rows[want.layer], want.layer, want.target, 100*want.tol)
		}
	}
	if poor != 6920 {
		t.Errorf("%d poor villages, want 6,920", poor)
	}
}

// BenchmarkGenerate generates the whole province.
func BenchmarkGenerate(b *testing.B) {
	in := hunanCSV(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Generate(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
