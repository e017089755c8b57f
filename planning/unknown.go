package planning

// UnknownShare is the share (0–1) of a gap's weights that may rest on
// missing data before gapmap shows the gap as 数据不足 instead of its number:
// from half on, the measured indicators no longer decide the gap, so a
// colour or a 达标 would claim more than the data supports.
const UnknownShare = 0.5

// CompositeKey names the composite beside the dimensions, as in the API's
// dimension parameter and the lists of unknown gaps.
const CompositeKey = "综合"

// Unknown reports whether the dimension's gap is shown as 数据不足: it has
// no value, or no veto decided it (a veto is a measured failure: the gap is
// 100 whatever else is missing) and either at least UnknownShare of its
// weights had no data or a veto indicator is no_data (VetoUnknown: the
// gap shown could be 100).
func (d DimensionScore) Unknown() bool {
	return d.Gap == nil || (!d.Veto && (d.VetoUnknown || d.MissingWeight >= UnknownShare))
}

// Gap is the village's gap in dimension dim, nil when it has none (or no
// such dimension).
func (v VillageScore) Gap(dim string) *float64 {
	for _, d := range v.Dimensions {
		if d.Dimension == dim {
			return d.Gap
		}
	}
	return nil
}

// CompositeUnknown reports whether the village's composite is shown as
// 数据不足: it has no value, at least UnknownShare of it rests on missing
// data, or a dimension's undecided veto could still raise it to 100.
func (v VillageScore) CompositeUnknown() bool {
	if v.Composite == nil || v.MissingWeight >= UnknownShare {
		return true
	}
	for _, d := range v.Dimensions {
		if !d.Veto && d.VetoUnknown {
			return true
		}
	}
	return false
}

// UnknownGaps lists the village's gaps shown as 数据不足: dimensions in
// display order, then "综合"; never nil. It is the one rule: a run stores
// this list (village_scores.unknown_gaps), and the summary, tiles, gap
// list, exports and the page read it.
func (v VillageScore) UnknownGaps() []string {
	out := []string{}
	for _, name := range Dimensions {
		for _, d := range v.Dimensions {
			if d.Dimension == name && d.Unknown() {
				out = append(out, name)
			}
		}
	}
	if v.CompositeUnknown() {
		out = append(out, CompositeKey)
	}
	return out
}
