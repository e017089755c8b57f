package province

import (
	"math"
	"math/rand/v2"

	"github.com/gapmap/gapmap/data/demo"
)

// PV shares: 村级 stations go to poor villages with three-phase supply
// (a village station needs it to feed in), sized at 1.5–7.5 kW a poor
// household so that P1 (5 kW) passes for about 40% of them; 户用 systems
// to some other poor villages (0.5–3 kW a poor household) and a few
// non-poor 行政村; one 集中式 plant per county, credited to its most remote
// poor village.
const (
	villagePVShare   = 0.55
	householdPVPoor  = 0.25
	householdPVOther = 0.04
	offGridShare     = 0.05 // built but not yet connected
)

// placePV adds the 光伏扶贫 stations.
func (g *county) placePV(r *rand.Rand) {
	add := func(i int, name, typ string, kw float64, minM, maxM float64) {
		v := g.c.Villages[i]
		g.c.PVStations = append(g.c.PVStations, demo.PVStation{Name: name, KW: kw, Type: typ,
			GridConnected: r.Float64() >= offGridShare, VillageCode: v.Code, Year: between(r, 2014, 2016),
			Geom: g.near(r, v.Office, minM, maxM, nil)})
	}
	remotest := -1
	for i, u := range g.units {
		v := g.c.Villages[i]
		name := shortName(v.Name)
		switch x := r.Float64(); {
		case u.community:
		case v.IsPoor && !u.onePhase && x < villagePVShare:
			kw := math.Max(30, 10*math.Round(float64(v.PoorHouseholds)*uniform(r, 1.5, 7.5)/10))
			add(i, name+"村级光伏电站", demo.PVVillage, kw, 100, 500)
		case v.IsPoor && x < villagePVShare+householdPVPoor:
			add(i, name+"户用光伏", demo.PVHousehold, math.Round(float64(v.PoorHouseholds)*uniform(r, 0.5, 3)), 50, 300)
		case !v.IsPoor && x < householdPVOther:
			add(i, name+"户用光伏", demo.PVHousehold, float64(between(r, 3, 5)*between(r, 3, 20)), 50, 300)
		}
		if v.IsPoor && (remotest < 0 || u.remote > g.units[remotest].remote) {
			remotest = i
		}
	}
	if remotest >= 0 {
		add(remotest, countyShort(g.in.name)+"集中式光伏电站", demo.PVCentralised, float64(between(r, 10, 30)*1000), 500, 1500)
	}
}

// tourismKinds are the kinds of tourism site with their A-level range and
// how a site is named after its village or township.
var tourismKinds = []struct {
	kind           string
	weight         float64
	aLo, aHi       int
	suffix         string
	namedAfterTown bool
}{
	{"乡村旅游", 0.4, 0, 3, "乡村旅游区", false},
	{"森林公园", 0.2, 2, 4, "森林公园", false},
	{"古镇", 0.1, 2, 4, "古镇", true},
	{"湖泊", 0.1, 0, 3, "湖", false},
	{"文物", 0.2, 0, 2, "古建筑群", false},
}

// placeTourism puts about one tourism site per 50 units (at least one) near
// the offices of remote 行政村, where forests and old villages are.
func (g *county) placeTourism(r *rand.Rand) {
	cands := g.ranked(r, func(i int) bool { return !g.units[i].community }, func(i int) float64 { return -g.units[i].remote })
	if len(cands) == 0 {
		cands = g.ranked(r, func(int) bool { return true }, func(i int) float64 { return -g.units[i].remote })
	}
	used := names{}
	n := max(1, int(math.Round(float64(len(g.units))/50)))
	for k := 0; k < n && k < len(cands); k++ {
		i := cands[k]
		x, kind := r.Float64(), tourismKinds[0]
		for _, tk := range tourismKinds {
			if x < tk.weight {
				kind = tk
				break
			}
			x -= tk.weight
		}
		stem := shortName(g.c.Villages[i].Name)
		if kind.namedAfterTown {
			stem = shortName(g.in.towns[g.units[i].town].name)
		}
		g.c.TourismSites = append(g.c.TourismSites, demo.TourismSite{Name: used.unique(stem, kind.suffix),
			ALevel: between(r, kind.aLo, kind.aHi), Kind: kind.kind, VillageCode: g.c.Villages[i].Code,
			Geom: g.near(r, g.c.Villages[i].Office, 300, 1800, nil)})
	}
}
