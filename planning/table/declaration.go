package table

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// MetaStore is what DeclarationMeta reads: the county, its profile (the
// plan period) and its 资金来源 list.
type MetaStore interface {
	planning.CountyStore
	FundSources(ctx context.Context) ([]planning.FundSource, error)
}

// DeclarationMeta fills the 申报表's heading for an export of the library:
// the county being set up, the period (year when it is > 0, else the
// plan's years from the county profile, e.g. "2016—2020年"), the county's
// 资金来源 and, from the principal ctx carries, the 填报单位 (the highest
// organisation the user holds a role in) and the 填报人 (the user's name).
// The caller adds the time, filters and data version.
func DeclarationMeta(ctx context.Context, s MetaStore, year int) (Meta, error) {
	var m Meta
	c, err := s.SetupCounty(ctx)
	if err != nil {
		return m, err
	}
	m.County = c.Name
	if year > 0 {
		m.Period = fmt.Sprintf("%d年", year)
	} else {
		p, err := planning.CountyProfile(ctx, s, nil)
		if err != nil {
			return m, err
		}
		first, n := int(p.Projects.FirstPlanYear.Value), int(p.Projects.TargetPlanYears.Value)
		if first > 0 && n > 0 {
			m.Period = fmt.Sprintf("%d—%d年", first, first+n-1)
		}
	}
	if m.Sources, err = s.FundSources(ctx); err != nil {
		return m, err
	}
	if pr, ok := access.From(ctx); ok {
		m.Unit, m.Preparer = signer(pr)
	}
	return m, nil
}

// signer is the 填报单位 and 填报人 of a principal: the organisation of its
// grant highest in access.Kinds (the first such grant), and its name. The
// CLI's operating-system user holds no grant: its 填报单位 stays blank.
func signer(pr access.Principal) (unit, name string) {
	rank := func(g access.Grant) int { return slices.Index(access.Kinds, g.Org.Kind) }
	if len(pr.Grants) > 0 {
		g := slices.MinFunc(pr.Grants, func(a, b access.Grant) int { return cmp.Compare(rank(a), rank(b)) })
		unit = g.Org.Name
	}
	return unit, pr.Name
}
