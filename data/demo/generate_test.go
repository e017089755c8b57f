package demo

import (
	"cmp"
	"encoding/csv"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gapmap/gapmap/geo"
)

var (
	countyOnce sync.Once
	county     *County
)

// demo returns one shared Generate() result; the tests only read it.
func demo(t *testing.T) *County {
	t.Helper()
	countyOnce.Do(func() { county = Generate() })
	return county
}

// haversineM is the great-circle distance in metres, independent of the
// generator's flat-earth approximation.
func haversineM(a, b orb.Point) float64 {
	const R = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (b[1]-a[1])*rad, (b[0]-a[0])*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * R * math.Asin(math.Sqrt(h))
}

// units returns the 行政村/社区 (the villages before the first 村民组).
func units(c *County) []Village {
	n := slices.IndexFunc(c.Villages, func(v Village) bool { return v.Kind == KindGroup })
	return c.Villages[:n]
}

func hardened(s string) bool { return s == SurfaceAsphalt || s == SurfaceConcrete }

func TestDeterministic(t *testing.T) {
	if !reflect.DeepEqual(Generate(), Generate()) {
		t.Fatal("two Generate() calls differ")
	}
}

func TestOutlineAndTownships(t *testing.T) {
	c := demo(t)
	if c.Code != "430682" || c.Name != "临湘市" || len(c.Outline) != 1 || len(c.Outline[0]) != 1 {
		t.Fatalf("county %s %s with %d polygons", c.Code, c.Name, len(c.Outline))
	}
	ring := c.Outline[0][0]
	if n := len(ring) - 1; n < 48 || n > 64 || ring[0] != ring[len(ring)-1] {
		t.Errorf("ring has %d vertices, closed=%v", n, ring[0] == ring[len(ring)-1])
	}
	if ring.Orientation() != orb.CCW {
		t.Error("outline ring is not counter-clockwise")
	}
	if b := ring.Bound(); b.Min[0] < 113.30 || b.Max[0] > 113.75 || b.Min[1] < 29.20 || b.Max[1] > 29.85 {
		t.Errorf("outline bound %v leaves 113.30–113.75 × 29.20–29.85", b)
	}
	if !simpleRing(ring) {
		t.Error("outline ring self-intersects")
	}

	f, err := os.Open("linxiang_townships_2023.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := csv.NewReader(f).ReadAll()
	if len(c.Townships) != len(rows)-1 {
		t.Fatalf("%d townships, want %d", len(c.Townships), len(rows)-1)
	}
	for k, tw := range c.Townships {
		if tw.Code != rows[k+1][0] || tw.Name != rows[k+1][1] {
			t.Errorf("township %d = %s %s, want %s %s", k, tw.Code, tw.Name, rows[k+1][0], rows[k+1][1])
		}
		for _, o := range c.Townships[k+1:] {
			d, need := haversineM(tw.Seat, o.Seat), 2500.0
			if strings.HasSuffix(tw.Name, "镇") && strings.HasSuffix(o.Name, "镇") {
				need = 8000
			}
			if d < need {
				t.Errorf("seats of %s and %s are %.0f m apart, want ≥ %.0f", tw.Name, o.Name, d, need)
			}
		}
	}
}

// simpleRing reports whether no two non-adjacent edges of a closed ring touch.
func simpleRing(r orb.Ring) bool {
	n := len(r) - 1
	for i := 0; i < n; i++ {
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue
			}
			if geo.SegmentsTouch(r[i], r[i+1], r[j], r[j+1]) {
				return false
			}
		}
	}
	return true
}

func TestVillages(t *testing.T) {
	c := demo(t)
	f, err := os.Open("linxiang_villages_2023.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := csv.NewReader(f).ReadAll()
	us := units(c)
	if len(us) != 161 || len(rows) != 162 {
		t.Fatalf("%d 行政村/社区, want 161", len(us))
	}
	seat := map[string]orb.Point{}
	for _, tw := range c.Townships {
		seat[tw.Code] = tw.Seat
	}
	poorByTown := map[string]int{}
	poorPop := 0
	byCode := map[string]Village{}
	for k, v := range us {
		row := rows[k+1]
		if v.Code != row[0] || v.Name != row[1] || v.TownshipCode != row[2] {
			t.Errorf("village %d = %s %s %s, want %v", k, v.Code, v.Name, v.TownshipCode, row[:3])
		}
		wantKind := KindAdministrative
		if strings.HasSuffix(v.Name, "社区") {
			wantKind = KindCommunity
		}
		if v.Kind != wantKind || v.ParentCode != "" {
			t.Errorf("%s: kind %s parent %q", v.Name, v.Kind, v.ParentCode)
		}
		lo, hi := 1500, 4000
		switch {
		case v.Kind == KindCommunity:
			lo, hi = 3000, 9000
			if d := haversineM(v.Office, seat[v.TownshipCode]); d > 3000 {
				t.Errorf("社区 %s is %.0f m from its seat", v.Name, d)
			}
		case v.IsPoor:
			lo, hi = 1800, 3600
		}
		if v.Population < lo || v.Population > hi || math.Abs(float64(v.Households)-float64(v.Population)/3.2) > 0.5 {
			t.Errorf("%s: population %d households %d", v.Name, v.Population, v.Households)
		}
		if v.IsPoor {
			poorByTown[v.TownshipCode]++
			poorPop += v.PoorPopulation
			if v.Kind != KindAdministrative || v.PoorPopulation < 350 || v.PoorPopulation > 800 ||
				math.Abs(float64(v.PoorHouseholds)-float64(v.PoorPopulation)/2.8) > 0.5 {
				t.Errorf("poor %s: kind %s poor population %d households %d", v.Name, v.Kind, v.PoorPopulation, v.PoorHouseholds)
			}
		} else if v.PoorPopulation != 0 || v.PoorHouseholds != 0 {
			t.Errorf("non-poor %s has poor figures", v.Name)
		}
		for _, o := range us[:k] {
			need := 700.0
			if v.Kind == KindCommunity && o.Kind == KindCommunity {
				need = 300
			}
			if d := haversineM(v.Office, o.Office); d < need*0.99 {
				t.Errorf("offices of %s and %s are %.0f m apart", v.Name, o.Name, d)
			}
		}
		byCode[v.Code] = v
	}
	total := 0
	for _, n := range poorByTown {
		total += n
	}
	if total != 26 || poorPop != 14895 {
		t.Errorf("%d poor villages with %d poor people, want 26 and 14895", total, poorPop)
	}
	for _, tw := range c.Townships {
		n := poorByTown[tw.Code]
		if excluded := tw.Code == "430682113" || tw.Code == "430682003"; excluded != (n == 0) {
			t.Errorf("%s has %d poor villages", tw.Name, n)
		}
	}

	groups := c.Villages[len(us):]
	perParent := map[string][]Village{}
	for _, gv := range groups {
		p, ok := byCode[gv.ParentCode]
		if gv.Kind != KindGroup || gv.Code != "" || !ok || p.Kind != KindAdministrative || gv.TownshipCode != p.TownshipCode || gv.IsPoor {
			t.Errorf("bad 村民组 %+v", gv)
			continue
		}
		if d := haversineM(gv.Office, p.Office); d < 395 || d > 2010 {
			t.Errorf("%s%s is %.0f m from its office", p.Name, gv.Name, d)
		}
		if gv.Households < 20 || gv.Households > 70 || math.Abs(float64(gv.Population)-3.3*float64(gv.Households)) > 0.5 {
			t.Errorf("%s%s: %d households, %d people", p.Name, gv.Name, gv.Households, gv.Population)
		}
		for _, o := range perParent[gv.ParentCode] {
			if o.Name == gv.Name {
				t.Errorf("%s has two %s", p.Name, gv.Name)
			}
		}
		perParent[gv.ParentCode] = append(perParent[gv.ParentCode], gv)
	}
	for i, a := range groups {
		for _, b := range groups[:i] {
			if d := haversineM(a.Office, b.Office); d < 198 {
				t.Errorf("村民组 %s/%s and %s/%s are %.0f m apart", a.ParentCode, a.Name, b.ParentCode, b.Name, d)
			}
		}
	}
	for _, v := range us {
		gs := perParent[v.Code]
		if v.Kind == KindCommunity {
			if len(gs) != 0 {
				t.Errorf("社区 %s has 村民组", v.Name)
			}
			continue
		}
		sum := 0
		for _, gv := range gs {
			sum += gv.Households
		}
		if len(gs) < 3 || len(gs) > 7 || sum > v.Households {
			t.Errorf("%s: %d groups with %d of %d households", v.Name, len(gs), sum, v.Households)
		}
	}
}

// TestTownshipCells applies the loader's rule: a village belongs to the
// Voronoi cell (degree space) of its seat; the generator keeps a 10% margin.
func TestTownshipCells(t *testing.T) {
	c := demo(t)
	for _, v := range c.Villages {
		var own orb.Point
		for _, tw := range c.Townships {
			if tw.Code == v.TownshipCode {
				own = tw.Seat
			}
		}
		d := planar.Distance(v.Office, own)
		for _, tw := range c.Townships {
			if tw.Code != v.TownshipCode && d >= 0.9*planar.Distance(v.Office, tw.Seat) {
				t.Errorf("%s %s (%s) is not clearly in its township cell (near %s)", v.ParentCode, v.Name, v.TownshipCode, tw.Name)
			}
		}
		if newOutline(c.Outline[0][0]).edgeDist(v.Office) < 0.005 {
			t.Errorf("%s %s is within 0.005° of the outline", v.ParentCode, v.Name)
		}
	}
}

func TestEverythingInsideOutline(t *testing.T) {
	c := demo(t)
	mp := c.Outline
	ring := mp[0][0]
	check := func(layer, name string, pts ...orb.Point) {
		for _, p := range pts {
			if !planar.MultiPolygonContains(mp, p) {
				t.Errorf("%s %s: vertex %v outside the outline", layer, name, p)
				return
			}
		}
	}
	for _, tw := range c.Townships {
		check("township", tw.Name, tw.Seat)
	}
	for _, v := range c.Villages {
		check("village", v.Name, v.Office)
	}
	for _, r := range c.Roads {
		check("road", r.Name, r.Geom...)
		for k := 1; k < len(r.Geom); k++ {
			for j := 1; j < len(ring); j++ {
				if geo.SegmentsTouch(r.Geom[k-1], r.Geom[k], ring[j-1], ring[j]) {
					t.Errorf("road %s crosses the outline", r.Name)
				}
			}
		}
	}
	for _, b := range c.Bridges {
		check("bridge", b.Name, b.Geom)
	}
	for _, s := range c.BusStops {
		check("bus stop", s.Name, s.Geom)
	}
	for _, r := range c.Reservoirs {
		check("reservoir", r.Name, r.Geom[0]...)
	}
	for _, w := range c.WaterWorks {
		check("works", w.Name, w.Geom)
	}
	for _, m := range c.WaterMains {
		check("main", m.WorksName, m.Geom...)
	}
	for _, s := range c.Substations {
		check("substation", s.Name, s.Geom)
	}
	for _, l := range c.PowerLines {
		check("power line", l.Name, l.Geom...)
	}
	for _, x := range c.Transformers {
		check("transformer", x.Name, x.Geom)
	}
	for _, p := range c.PVStations {
		check("pv", p.Name, p.Geom)
	}
	for _, s := range c.TourismSites {
		check("tourism", s.Name, s.Geom)
	}
}

// roadGraph joins consecutive vertices of every road on exact coordinates,
// optionally over hardened roads only.
func roadGraph(c *County, onlyHardened bool) map[orb.Point][]orb.Point {
	adj := map[orb.Point][]orb.Point{}
	for _, r := range c.Roads {
		if onlyHardened && !hardened(r.Surface) {
			continue
		}
		for k := 1; k < len(r.Geom); k++ {
			a, b := r.Geom[k-1], r.Geom[k]
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	return adj
}

func reach(adj map[orb.Point][]orb.Point, from orb.Point) map[orb.Point]bool {
	seen := map[orb.Point]bool{from: true}
	queue := []orb.Point{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range adj[p] {
			if !seen[q] {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	return seen
}

func TestRoadNetwork(t *testing.T) {
	c := demo(t)
	seat := c.Townships[0].Seat // 长安街道: the county seat
	adj := roadGraph(c, false)
	seen := reach(adj, seat)
	if len(seen) != len(adj) {
		t.Errorf("BFS from the county seat reaches %d of %d road vertices", len(seen), len(adj))
	}
	ends := map[orb.Point]bool{}
	for _, r := range c.Roads {
		if len(r.Geom) < 2 || lengthM(r.Geom) == 0 {
			t.Errorf("road %s is degenerate", r.Name)
			continue
		}
		ends[r.Geom[0]], ends[r.Geom[len(r.Geom)-1]] = true, true
	}
	for _, v := range c.Villages {
		if !ends[v.Office] {
			t.Errorf("%s %s is not a road end point", v.ParentCode, v.Name)
		}
	}

	// Roads may meet only at shared vertices: no two segments touch except
	// at a bit-identical end point.
	type seg struct {
		a, b orb.Point
		road int
		box  orb.Bound
	}
	var segs []seg
	for ri, r := range c.Roads {
		for k := 1; k < len(r.Geom); k++ {
			segs = append(segs, seg{r.Geom[k-1], r.Geom[k], ri, orb.MultiPoint{r.Geom[k-1], r.Geom[k]}.Bound()})
		}
	}
	slices.SortFunc(segs, func(x, y seg) int { return cmp.Compare(x.box.Min[0], y.box.Min[0]) })
	bad := 0
	for i, s := range segs {
		for _, o := range segs[i+1:] {
			if o.box.Min[0] > s.box.Max[0] {
				break
			}
			if !s.box.Intersects(o.box) {
				continue
			}
			shared := s.a == o.a || s.a == o.b || s.b == o.a || s.b == o.b
			if shared && (s.a == o.a && s.b == o.b || s.a == o.b && s.b == o.a) {
				bad++
			} else if !shared && geo.SegmentsTouch(s.a, s.b, o.a, o.b) {
				bad++
				if bad < 5 {
					t.Errorf("%s and %s meet off a shared vertex", c.Roads[s.road].Name, c.Roads[o.road].Name)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d segment pairs meet off shared vertices", bad)
	}

	km := map[string]float64{}
	for _, r := range c.Roads {
		km[r.Surface] += lengthM(r.Geom) / 1000
	}
	t.Logf("%d roads; km by surface: 沥青 %.0f, 水泥 %.0f, 砂石 %.0f, 土 %.0f", len(c.Roads),
		km[SurfaceAsphalt], km[SurfaceConcrete], km[SurfaceGravel], km[SurfaceEarth])
}

func TestHardenedAccess(t *testing.T) {
	c := demo(t)
	seen := reach(roadGraph(c, true), c.Townships[0].Seat)
	for _, tw := range c.Townships {
		if !seen[tw.Seat] {
			t.Errorf("seat of %s is not reachable over hardened roads", tw.Name)
		}
	}
	cut, poorCut := 0, 0
	for _, v := range units(c) {
		if !seen[v.Office] {
			cut++
			if v.IsPoor {
				poorCut++
			}
		}
	}
	t.Logf("%d villages (%d poor) lack hardened access", cut, poorCut)
	if poorCut < 9 || cut < 10 || cut > 20 {
		t.Errorf("%d villages (%d poor) lack hardened access, want about 14 with ≥ 9 poor", cut, poorCut)
	}
}

func TestEnumerations(t *testing.T) {
	c := demo(t)
	in := func(s string, set ...string) bool { return slices.Contains(set, s) }
	kvas := []float64{50, 100, 160, 200, 315, 400}
	for _, r := range c.Roads {
		if !in(r.Grade, GradeExpressway, GradeNational, GradeProvincial, GradeCounty, GradeTownship, GradeVillage, GradeGroup) ||
			!in(r.Surface, SurfaceAsphalt, SurfaceConcrete, SurfaceGravel, SurfaceEarth) || r.WidthM <= 0 ||
			r.Year < 2000 || r.Year > 2015 || r.Name == "" {
			t.Errorf("road %+v", r)
		}
		if r.Grade == GradeVillage && r.WidthM != 3.5 && r.WidthM != 4.5 {
			t.Errorf("村道 %s is %.1f m wide", r.Name, r.WidthM)
		}
		if r.Grade == GradeGroup && (r.WidthM < 3 || r.WidthM > 3.5) {
			t.Errorf("通组路 %s is %.1f m wide", r.Name, r.WidthM)
		}
	}
	for _, b := range c.Bridges {
		if b.LengthM < 10 || b.LengthM > 200 || b.ConditionClass < 1 || b.ConditionClass > 5 || b.Dangerous != (b.ConditionClass >= 4) || b.RoadRef == "" {
			t.Errorf("bridge %+v", b)
		}
	}
	for _, r := range c.Reservoirs {
		if !in(r.Scale, ScaleMedium, ScaleSmall1, ScaleSmall2) || !in(r.Safety, SafetyUnsafe, SafetyFixed) || r.CapacityWanM3 <= 0 {
			t.Errorf("reservoir %+v", r.Name)
		}
	}
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, w := range c.WaterWorks {
		if !in(w.Kind, "城镇水厂", "乡镇水厂", "单村供水") || w.DesignM3PerDay <= 0 || w.GuaranteePct < 80 || w.GuaranteePct > 99 ||
			(w.LastTestDate != "" && !date.MatchString(w.LastTestDate)) || (w.LastTestDate == "" && w.LastTestPassed) {
			t.Errorf("works %+v", w)
		}
	}
	for _, m := range c.WaterMains {
		if m.DiameterMM < 63 || m.DiameterMM > 400 || len(m.Geom) < 2 {
			t.Errorf("main %+v", m)
		}
	}
	for _, s := range c.Substations {
		if !(s.VoltageKV == 110 && (s.SecondaryKV == 35 || s.SecondaryKV == 10)) && !(s.VoltageKV == 35 && s.SecondaryKV == 10) {
			t.Errorf("substation %+v", s)
		}
	}
	for _, l := range c.PowerLines {
		ok := slices.Contains([]float64{0.22, 0.4, 10, 35, 110}, l.VoltageKV) && (l.VoltageKV != 0.22 || l.Phases == 1) &&
			(l.Phases == 1 || l.Phases == 3) && (l.VoltageKV <= 10) == (l.Feeder != "")
		if !ok {
			t.Errorf("power line %+v", l.Name)
		}
	}
	for _, x := range c.Transformers {
		if !slices.Contains(kvas, x.KVA) || x.PrimaryKV != 10 || (x.SecondaryKV == 0.22) != (x.Phases == 1) ||
			(x.SecondaryKV != 0.22 && x.SecondaryKV != 0.4) || x.Feeder == "" || x.VillageCode == "" {
			t.Errorf("transformer %+v", x)
		}
	}
	for _, p := range c.PVStations {
		if !in(p.Type, PVVillage, PVHousehold, PVCentralised) || p.KW <= 0 || p.VillageCode == "" || p.Year < 2015 || p.Year > 2016 {
			t.Errorf("pv %+v", p)
		}
	}
	for _, s := range c.TourismSites {
		if !in(s.Kind, "森林公园", "古镇", "乡村旅游", "湖泊", "文物") || s.ALevel < 0 || s.ALevel > 5 || s.VillageCode == "" {
			t.Errorf("tourism site %+v", s)
		}
	}
}

func TestBusStops(t *testing.T) {
	c := demo(t)
	verts := map[orb.Point]bool{}
	for _, r := range c.Roads {
		for _, p := range r.Geom {
			verts[p] = true
		}
	}
	for _, s := range c.BusStops {
		if !verts[s.Geom] || len(s.Routes) == 0 {
			t.Errorf("stop %s is off the road network or has no routes", s.Name)
		}
	}
	noneWithin1km, poorNone, between1and15 := 0, 0, 0
	for _, v := range units(c) {
		d := math.Inf(1)
		for _, s := range c.BusStops {
			d = math.Min(d, haversineM(v.Office, s.Geom))
		}
		if d > 1000 {
			noneWithin1km++
			if v.IsPoor {
				poorNone++
			}
		}
		if d >= 1000 && d <= 1500 {
			between1and15++
		}
	}
	t.Logf("%d stops; %d villages (%d poor) without a stop within 1 km; %d with the nearest at 1–1.5 km",
		len(c.BusStops), noneWithin1km, poorNone, between1and15)
	if poorNone < 6 || between1and15 < 3 {
		t.Errorf("%d poor villages without a stop within 1 km (want ≥ 6), %d with the nearest at 1–1.5 km (want ≥ 3)", poorNone, between1and15)
	}
}

func TestReservoirs(t *testing.T) {
	c := demo(t)
	count := map[string]int{}
	drinking := map[string]int{}
	unsafe2 := 0
	for i, r := range c.Reservoirs {
		count[r.Scale]++
		if r.DrinkingSource {
			drinking[r.Scale]++
		}
		if r.Scale == ScaleSmall2 && r.Safety == SafetyUnsafe {
			unsafe2++
		}
		ring := r.Geom[0]
		if len(r.Geom) != 1 || len(ring) < 5 || ring[0] != ring[len(ring)-1] || !simpleRing(ring) || ring.Orientation() != orb.CCW {
			t.Errorf("reservoir %s has an invalid ring", r.Name)
		}
		for _, v := range units(c) {
			if planar.RingContains(ring, v.Office) || lineDistM(v.Office, orb.LineString(ring)) < 299 {
				t.Errorf("reservoir %s is within 300 m of %s", r.Name, v.Name)
			}
		}
		for _, o := range c.Reservoirs[:i] {
			if o.Name == r.Name {
				t.Errorf("two reservoirs named %s", r.Name)
			}
			if o.Geom.Bound().Intersects(r.Geom.Bound()) {
				t.Errorf("reservoirs %s and %s overlap", r.Name, o.Name)
			}
		}
	}
	if count[ScaleMedium] != 3 || count[ScaleSmall1] < 12 || count[ScaleSmall1] > 16 || count[ScaleSmall2] != 190 ||
		unsafe2 != 177 || drinking[ScaleMedium] != 3 || drinking[ScaleSmall1] != 7 || drinking[ScaleSmall2] != 7 {
		t.Errorf("reservoirs %v, drinking %v, 小(2)型 病险 %d", count, drinking, unsafe2)
	}
}

func TestWater(t *testing.T) {
	c := demo(t)
	dry, poorDry := 0, 0
	for _, v := range units(c) {
		if v.Kind != KindAdministrative {
			continue
		}
		near := false
		for _, m := range c.WaterMains {
			near = near || lineDistM(v.Office, m.Geom) < 2000
		}
		for _, w := range c.WaterWorks {
			near = near || haversineM(v.Office, w.Geom) < 2000
		}
		if !near {
			dry++
			if v.IsPoor {
				poorDry++
			}
		}
	}
	overloaded, stale, untested := 0, 0, 0
	for _, w := range c.WaterWorks {
		if w.PopulationServed > 0 && w.DesignM3PerDay*1000/float64(w.PopulationServed) < 35 {
			overloaded++
		}
		switch {
		case w.LastTestDate == "":
			untested++
		case w.LastTestDate < "2015-06-30":
			stale++
		}
	}
	t.Logf("%d works, %d mains; %d 行政村 (%d poor) with no works or main within 2 km; %d overloaded, %d stale, %d untested",
		len(c.WaterWorks), len(c.WaterMains), dry, poorDry, overloaded, stale, untested)
	if dry < 18 || dry > 24 || poorDry < 8 || overloaded < 2 || untested != 2 || stale < 2 {
		t.Error("water gaps are not as planned")
	}
}

func TestGrid(t *testing.T) {
	c := demo(t)
	subs := map[float64]int{}
	for _, s := range c.Substations {
		subs[s.VoltageKV]++
	}
	if subs[110] != 4 || subs[35] != 8 {
		t.Errorf("substations %v", subs)
	}
	type acc struct {
		kva       float64
		hh        int
		onePhase  bool
		threePh   bool
		hasFeeder bool
	}
	byVillage := map[string]*acc{}
	for _, x := range c.Transformers {
		a := byVillage[x.VillageCode]
		if a == nil {
			a = &acc{}
			byVillage[x.VillageCode] = a
		}
		a.kva += x.KVA
		a.hh += x.HouseholdsServed
		a.onePhase = a.onePhase || x.Phases == 1
		a.threePh = a.threePh || x.Phases == 3
	}
	feederKm := map[string]float64{}
	for _, l := range c.PowerLines {
		if l.VoltageKV == 10 {
			feederKm[l.Feeder] += lengthM(l.Geom) / 1000
		}
	}
	e1, below1, single, poorSingle := 0, 0, 0, 0
	for _, v := range units(c) {
		a := byVillage[v.Code]
		if a == nil || a.hh != v.Households {
			t.Errorf("%s: transformers serve %v households of %d", v.Name, a, v.Households)
			continue
		}
		if r := a.kva / float64(v.Households); r < 2 {
			e1++
			if r < 1 {
				below1++
			}
		}
		if a.onePhase && !a.threePh {
			power := false
			for _, l := range c.PowerLines {
				power = power || (l.VoltageKV == 0.4 && l.Phases == 3 && lineDistM(v.Office, l.Geom) < 500)
			}
			if !power {
				single++
				if v.IsPoor {
					poorSingle++
				}
			}
		}
	}
	long := 0
	for _, km := range feederKm {
		if km > 15 {
			long++
		}
	}
	t.Logf("%d transformers; %d villages under 2 kVA/household (%d under 1); %d single-phase villages (%d poor); %d feeders, %d over 15 km",
		len(c.Transformers), e1, below1, single, poorSingle, len(feederKm), long)
	if single < 8 || poorSingle < 6 || e1 < 5 || below1 < 2 || long < 2 {
		t.Error("grid gaps are not as planned")
	}
}

func TestPVAndTourism(t *testing.T) {
	c := demo(t)
	office := map[string]Village{}
	for _, v := range units(c) {
		office[v.Code] = v
	}
	n := map[string]int{}
	for _, p := range c.PVStations {
		n[p.Type]++
		v := office[p.VillageCode]
		if d := haversineM(p.Geom, v.Office); d < 95 || d > 505 {
			t.Errorf("PV %s is %.0f m from %s", p.Name, d, v.Name)
		}
		if p.Type == PVVillage && (!v.IsPoor || p.KW < 100 || p.KW > 300) {
			t.Errorf("村级 PV %s: village poor=%v, %v kW", p.Name, v.IsPoor, p.KW)
		}
	}
	if n[PVVillage] != 8 || n[PVHousehold] < 4 || n[PVCentralised] != 1 {
		t.Errorf("PV stations %v", n)
	}
	for _, s := range c.TourismSites {
		v, ok := office[s.VillageCode]
		if !ok || haversineM(s.Geom, v.Office) > 2000 {
			t.Errorf("tourism site %s is not within 2 km of its village", s.Name)
		}
	}
	if len(c.TourismSites) != 7 || c.TourismSites[0].Name != "梅池村" {
		t.Errorf("%d tourism sites", len(c.TourismSites))
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate()
	}
}
