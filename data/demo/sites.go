package demo

import "slices"

// placePV adds the 光伏扶贫 stations: 村级 stations in 8 poor villages with
// three-phase supply (a 村级 station needs it to feed in), 户用 systems in 6
// other 行政村, and one 20 MW 集中式 plant in 羊楼司镇.
func (g *gen) placePV() {
	r := newRNG(streamPV)
	pick := func(keep func(i int) bool, n int) []int {
		c := g.unitsBy(keep, func(int) float64 { return 0 })
		r.Shuffle(len(c), func(a, b int) { c[a], c[b] = c[b], c[a] })
		c = c[:n]
		slices.Sort(c)
		return c
	}
	admin := func(i int) bool { return !g.units[i].community }
	add := func(i int, name, typ string, kw float64, year int) {
		v := g.c.Villages[i]
		g.c.PVStations = append(g.c.PVStations, PVStation{Name: name, KW: kw, Type: typ, GridConnected: true,
			VillageCode: v.Code, Year: year, Geom: g.pointNear(r, v.Office, 100, 500, -1, g.dry)})
	}
	for _, i := range pick(func(i int) bool { return g.c.Villages[i].IsPoor && !g.units[i].onePhase }, 8) {
		add(i, g.c.Villages[i].Name+"村级光伏电站", PVVillage, float64(between(r, 10, 30)*10), between(r, 2015, 2016))
	}
	for _, i := range pick(func(i int) bool { return admin(i) && !g.c.Villages[i].IsPoor }, 6) {
		add(i, g.c.Villages[i].Name+"户用光伏", PVHousehold, float64(between(r, 3, 5)), between(r, 2015, 2016))
	}
	ylsTown := g.townIndex("430682114")
	yls := g.remoteFirst(func(i int) bool { return admin(i) && g.units[i].town == ylsTown })
	add(yls[0], "羊楼司集中式光伏电站", PVCentralised, 20000, 2016)
}

// tourismSites are the county plan's tourism village and the seed-named
// scenic places, each tied to a real village of a plausible township: by
// name, or else the township's most remote 行政村 (forests and mountains lie
// at the edges).
var tourismSites = []struct {
	name, kind string
	aLevel     int
	town       string // township code, used when village is empty
	village    string
}{
	{"梅池村", "乡村旅游", 0, "", "梅池村"},
	{"五尖山国家森林公园", "森林公园", 4, "430682004", ""},
	{"大云山国家森林公园", "森林公园", 3, "430682101", ""},
	{"黄盖湖", "湖泊", 0, "", "黄盖湖村"},
	{"龙窖山千家峒", "文物", 0, "", "龙窖山村"},
	{"聂市古镇", "古镇", 0, "", "沿河社区"},
	{"药姑山", "森林公园", 0, "430682110", ""},
}

// placeTourism puts each tourism site 0.3–1.8 km from its village's office.
func (g *gen) placeTourism() {
	r := newRNG(streamTourism)
	for _, s := range tourismSites {
		var i int
		if s.village != "" {
			i = slices.IndexFunc(g.c.Villages, func(v Village) bool { return v.Name == s.village })
		} else {
			t := g.townIndex(s.town)
			i = g.remoteFirst(func(i int) bool { return g.units[i].town == t && !g.units[i].community })[0]
		}
		v := g.c.Villages[i]
		g.c.TourismSites = append(g.c.TourismSites, TourismSite{Name: s.name, ALevel: s.aLevel, Kind: s.kind,
			VillageCode: v.Code, Geom: g.pointNear(r, v.Office, 300, 1800, -1, g.dry)})
	}
}
