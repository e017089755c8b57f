package planning

// UnknownShare is the share (0–1) of a gap's weights that may rest on
// missing data before gapmap shows the gap as 数据不足 instead of its number:
// from half on, the measured indicators no longer decide the gap, so a
// colour or a 达标 would claim more than the data supports. The CLI summary,
// the tiles (their "unknown" attribute), the gap list and the exports all
// use this one value.
const UnknownShare = 0.5

// Unknown reports whether a gap with missing share missing (0–1) is shown
// as 数据不足: it has no value, or at least UnknownShare of its weights
// had no data.
func Unknown(gap *float64, missing float64) bool {
	return gap == nil || missing >= UnknownShare
}

// Unknown reports whether the dimension's gap is shown as 数据不足.
func (d DimensionScore) Unknown() bool { return Unknown(d.Gap, d.MissingWeight) }

// CompositeUnknown reports whether the village's composite is shown as
// 数据不足.
func (v VillageScore) CompositeUnknown() bool { return Unknown(v.Composite, v.MissingWeight) }

// UnknownGaps lists which of the village's gaps are shown as 数据不足, as
// [GapRow.Unknown] does.
func (v VillageScore) UnknownGaps() []string {
	gaps, missing := map[string]*float64{}, map[string]float64{}
	for _, d := range v.Dimensions {
		gaps[d.Dimension], missing[d.Dimension] = d.Gap, d.MissingWeight
	}
	return UnknownGaps(gaps, missing, v.Composite, v.MissingWeight)
}
