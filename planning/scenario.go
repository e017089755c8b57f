package planning

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// ChinaTime is UTC+8, the bureaus' clock (China has no daylight saving
// time): times in a scenario's messages and exports are given on it.
var ChinaTime = time.FixedZone("CST", 8*3600)

// ScenarioRecord is what every view of a saved plan shows: its id and
// name, who saved it and when, and whether it was applied. Scenario and
// ScenarioSummary embed it, so the two views cannot drift apart.
type ScenarioRecord struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	AppliedBy string     `json:"applied_by,omitempty"`
	AppliedAt *time.Time `json:"applied_at,omitempty"`
}

// Scenario is a plan saved under a name (方案): the request it was made
// from and its result, with its record.
type Scenario struct {
	ScenarioRecord
	Request PlanRequest `json:"request"`
	Plan    Plan        `json:"plan"`
}

// ScenarioSummary is a scenario as a list shows it: its record and the
// plan's totals, without its projects.
type ScenarioSummary struct {
	ScenarioRecord
	Chosen     int     `json:"chosen"`
	CostWan    float64 `json:"cost_wan"`
	UnspentWan float64 `json:"unspent_wan"`
}

// ScenarioStore keeps the saved plans. Every write checks the PlanApply
// action and lands in the audit trail with it, in one transaction.
type ScenarioStore interface {
	// SaveScenario stores a plan under name with the library it was made
	// from (Plan.Read); an empty or duplicate name is EInvalid/EConflict.
	SaveScenario(ctx context.Context, name string, req PlanRequest, plan Plan) (Scenario, error)
	Scenarios(ctx context.Context) ([]ScenarioSummary, error)
	// Scenario returns one saved plan, or ENotFound.
	Scenario(ctx context.Context, id int64) (Scenario, error)
	// DeleteScenario removes a saved plan (ENotFound if none).
	DeleteScenario(ctx context.Context, id int64) error
	// ApplyScenario writes the scenario into the library in one
	// transaction: every project it weighed gets its year or its reason
	// (Plan.Schedule), and every chosen project not yet in the annual plan
	// moves from 已入库 to 纳入年度计划 by CheckTransition and the access
	// policy. A project added, changed or deleted since the scenario was
	// saved, or a move the rules refuse, is EConflict naming the project,
	// and nothing is written.
	ApplyScenario(ctx context.Context, id int64) (Scenario, error)
}

// CheckScenarioName trims a scenario's name and refuses an empty or
// over-long one.
func CheckScenarioName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Errorf(EInvalid, "请填写方案名称")
	case len([]rune(name)) > 60:
		return "", Errorf(EInvalid, "方案名称最多 60 个字（收到 %d 个）", len([]rune(name)))
	}
	return name, nil
}

// ScenarioSide is one scenario's figures in a comparison.
type ScenarioSide struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	Years  []PlanYear `json:"years"`
	Chosen int        `json:"chosen"`
	// GapProjects counts the chosen projects that close a scored gap
	// (tier 1); GapValue sums their gap points closed × poor people.
	GapProjects int     `json:"gap_projects"`
	GapValue    float64 `json:"gap_value"`
	CostWan     float64 `json:"cost_wan"`
	UnspentWan  float64 `json:"unspent_wan"`
}

// ScenarioDiffRow is a project the two scenarios treat differently: in
// one only (year 0 in the other, with that one's reason for leaving it
// out), or in both in different years.
type ScenarioDiffRow struct {
	ID       int64   `json:"id"`
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Township string  `json:"township"`
	CostWan  float64 `json:"cost_wan"`
	YearA    int     `json:"year_a"`
	YearB    int     `json:"year_b"`
	ReasonA  string  `json:"reason_a,omitempty"`
	ReasonB  string  `json:"reason_b,omitempty"`
	// Kind is DiffOnlyA, DiffOnlyB or DiffYear.
	Kind string `json:"kind"`
}

// ScenarioDiffRow kinds.
const (
	DiffOnlyA = "only_a" // 仅方案 A
	DiffOnlyB = "only_b" // 仅方案 B
	DiffYear  = "year"   // 年度不同
)

// ScenarioDiff compares two scenarios.
type ScenarioDiff struct {
	A       ScenarioSide      `json:"a"`
	B       ScenarioSide      `json:"b"`
	Differs []ScenarioDiffRow `json:"differs"` // by code
}

// side sums a scenario up for CompareScenarios.
func side(s Scenario) ScenarioSide {
	out := ScenarioSide{ID: s.ID, Name: s.Name, Years: s.Plan.Years, Chosen: len(s.Plan.Rows),
		CostWan: s.Plan.CostWan, UnspentWan: s.Plan.UnspentWan}
	for _, r := range s.Plan.Rows {
		if r.Tier == 1 {
			out.GapProjects++
			out.GapValue += r.Value
		}
	}
	out.GapValue = round2(out.GapValue)
	return out
}

// CompareScenarios sets two scenarios side by side: per year the money and
// projects, the projects chosen, the gaps closed, and the projects they
// treat differently.
func CompareScenarios(a, b Scenario) ScenarioDiff {
	d := ScenarioDiff{A: side(a), B: side(b), Differs: []ScenarioDiffRow{}}
	type seen struct {
		row    PlanRow
		reason string
	}
	index := func(p Plan) map[int64]seen {
		m := map[int64]seen{}
		for _, r := range p.Rows {
			m[r.ID] = seen{row: r}
		}
		for _, o := range p.LeftOut {
			m[o.ID] = seen{row: PlanRow{ID: o.ID, Code: o.Code, Name: o.Name, Township: o.Township, CostWan: o.CostWan}, reason: o.Reason}
		}
		return m
	}
	ia, ib := index(a.Plan), index(b.Plan)
	for id, x := range ia {
		y := ib[id]
		if x.row.Year == y.row.Year {
			continue
		}
		r := ScenarioDiffRow{ID: id, Code: x.row.Code, Name: x.row.Name, Township: x.row.Township, CostWan: x.row.CostWan,
			YearA: x.row.Year, YearB: y.row.Year, ReasonA: x.reason, ReasonB: y.reason, Kind: DiffYear}
		switch {
		case r.YearB == 0:
			r.Kind = DiffOnlyA
		case r.YearA == 0:
			r.Kind = DiffOnlyB
		}
		d.Differs = append(d.Differs, r)
	}
	for id, y := range ib { // chosen in B, never weighed by A
		if _, ok := ia[id]; !ok && y.row.Year != 0 {
			d.Differs = append(d.Differs, ScenarioDiffRow{ID: id, Code: y.row.Code, Name: y.row.Name, Township: y.row.Township,
				CostWan: y.row.CostWan, YearB: y.row.Year, Kind: DiffOnlyB})
		}
	}
	slices.SortFunc(d.Differs, func(x, y ScenarioDiffRow) int {
		return cmp.Or(strings.Compare(x.Code, y.Code), cmp.Compare(x.ID, y.ID))
	})
	return d
}

// YearProjects are the projects a scenario builds in year, in the order
// of its rows (year, then code), with their years as the scenario sets
// them; the projects are read from lib as they are now.
func (s Scenario) YearProjects(year int, lib map[int64]Project) []Project {
	var out []Project
	for _, r := range s.Plan.Rows {
		if p, ok := lib[r.ID]; ok && r.Year == year {
			p.Year = r.Year
			out = append(out, p)
		}
	}
	return out
}
