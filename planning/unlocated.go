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

// withoutLocation drops the facts of a 未定位 village that rest on its
// location: whatever SQL returned for a NULL point (an unconnected
// vertex, no works, a share of 0 out of people placed nowhere) is not data.
func withoutLocation(f Facts) Facts {
	f.HardenedConnected, f.UnhardenedM = nil, nil
	f.LargeGroups, f.LargeGroupsServed = nil, nil
	f.PathM, f.NarrowM, f.BusStopM, f.AllSeasonShare = nil, nil, nil, nil
	f.TourismNearby = false
	f.WorksName, f.LitresPerPersonDay, f.TestAgeDays, f.TestPassed = "", nil, nil, nil
	f.CarryFailShare, f.GuaranteePct, f.TapShare = nil, nil, nil
	f.ThreePhaseM, f.LVMaxM = nil, nil
	explain := map[string]orb.Geometry{}
	for id, g := range f.Explain {
		if !spatialIndicators[id] {
			explain[id] = g
		}
	}
	f.Explain = explain
	return f
}
