package planning

import "github.com/paulmach/orb"

// NoteUnlocated is the reason every spatial indicator of a 未定位 village
// gives: its 村委会 has no location yet (`county init` creates villages
// from the code list alone), so nothing measured from it is a measurement.
const NoteUnlocated = "村委会未定位"

// spatialIndicators are the indicators measured from where the 村委会 (or
// the village's settlements, which fall back to it) lies: the network
// path to the seat (R1, R3), groups and people near roads and mains (R2,
// R5, W5), the nearest bus stop (R4), the supplying works found within
// reach of the 村委会 (W1, W2, W4), the distance people carry water (W3)
// and the nearest three-phase supply (E2).
// E1, E3, E4's feeder, E5 and P1/P2 come from what is attributed to the
// village by code or feeder and stay measured.
var spatialIndicators = map[string]bool{
	"R1": true, "R2": true, "R3": true, "R4": true, "R5": true,
	"W1": true, "W2": true, "W3": true, "W4": true, "W5": true,
	"E2": true,
}

// withoutLocation keeps only the facts of a 未定位 village that do not rest
// on its location: whatever SQL returned for a NULL point (an unconnected
// vertex, no works, no stop near nowhere, a share of 0 out of people placed
// nowhere) is not data. It lists what it keeps rather than what it drops,
// so that a spatial fact added to Facts later is dropped too.
func withoutLocation(f Facts) Facts {
	g := Facts{
		VillageID: f.VillageID, Code: f.Code, Name: f.Name,
		TownshipCode: f.TownshipCode, TownshipName: f.TownshipName, IsPoor: f.IsPoor,
		Households: f.Households, Population: f.Population,
		PoorHouseholds: f.PoorHouseholds, PoorPopulation: f.PoorPopulation,
		RoadData: f.RoadData, TransformerData: f.TransformerData,
		// Attributed by code or feeder (台区 link), not by distance.
		ReliabilityPct: f.ReliabilityPct, VoltagePct: f.VoltagePct,
		WellsElectrifiedPct: f.WellsElectrifiedPct,
		VillagePVKW:         f.VillagePVKW, CentralisedPVKW: f.CentralisedPVKW,
		Unlocated: true,
		Explain:   map[string]orb.Geometry{},
	}
	if !f.TransformersByRadius && f.Transformers > 0 {
		// Linked transformers are the village's by its 台区 link; the
		// radius fallback (and "none within the radius") measures from a
		// location it does not have.
		g.Transformers, g.TransformerKVA, g.FeederKm = f.Transformers, f.TransformerKVA, f.FeederKm
	}
	for id, geom := range f.Explain {
		if !spatialIndicators[id] {
			g.Explain[id] = geom
		}
	}
	return g
}
