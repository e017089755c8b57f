package planning

import (
	"context"
	"slices"
	"time"
)

// Rankings are the three orders of the library, never blended (issue 5):
// need is the gap before, poor is the 建档立卡 people who benefit, value is
// gap points closed × poor beneficiaries ÷ cost.
const (
	RankNeed  = "need"
	RankPoor  = "poor"
	RankValue = "value"
)

// ProjectSorts are the orders a listing accepts: the rankings, then plain
// columns.
var ProjectSorts = []string{RankNeed, RankPoor, RankValue, "cost", "code", "year"}

// ProjectFilter selects projects. Zero values select everything.
type ProjectFilter struct {
	Township string // township code or name
	Village  string // 12-digit village code
	Category string
	Status   string
	Year     int    // 0: any; -1: not yet scheduled
	Sort     string // one of ProjectSorts; "" means RankNeed
	Limit    int    // 0: no limit (exports)
	Offset   int
	// Scoped limits the projects to the townships and villages a user
	// holds roles in (a township or village user's row scope).
	Scoped    bool
	Townships []string // township codes
	Villages  []string // village codes
}

// Validate checks f's enumerations, naming the bad parameter in Chinese.
func (f ProjectFilter) Validate() error {
	switch {
	case f.Category != "" && !slices.Contains(Categories, f.Category):
		return Errorf(EInvalid, "category 参数 %q 无效；可用：%v", f.Category, Categories)
	case f.Status != "" && !slices.Contains(States, f.Status):
		return Errorf(EInvalid, "status 参数 %q 无效；可用：%v", f.Status, States)
	case f.Sort != "" && !slices.Contains(ProjectSorts, f.Sort):
		return Errorf(EInvalid, "sort 参数 %q 无效；可用：%v", f.Sort, ProjectSorts)
	case f.Year != 0 && f.Year != -1 && (f.Year < 2000 || f.Year > 2100):
		return Errorf(EInvalid, "year 参数 %d 超出范围 2000–2100", f.Year)
	case f.Limit < 0 || f.Limit > MaxPageSize || f.Offset < 0:
		return Errorf(EInvalid, "分页参数无效：limit 须在 1–%d 之间，offset 不能为负", MaxPageSize)
	}
	return nil
}

// VillageCounts are a village's own counts (nil: unknown): the people a
// total over projects counts once per village.
type VillageCounts struct {
	Households     *int `json:"households"`
	Population     *int `json:"population"`
	PoorHouseholds *int `json:"poor_households"`
	PoorPopulation *int `json:"poor_population"`
}

// Covered counts the distinct villages of ps and their 建档立卡 people, each
// village once however many projects it has (the poor population of a
// village whose count is unknown is left out and counted in Unknown).
// Projects without a village are counted in Unplaced.
type Covered struct {
	Villages       int `json:"villages"`
	PoorPopulation int `json:"poor_population"`
	Unknown        int `json:"unknown"`  // covered villages whose 建档立卡 population is unknown
	Unplaced       int `json:"unplaced"` // projects with no village
}

// CoveredBy returns what ps cover.
func CoveredBy(ps []Project) Covered {
	var c Covered
	seen := map[string]bool{}
	for i := range ps {
		c.Add(&ps[i], seen)
	}
	return c
}

// Add counts p into c; seen holds the villages counted so far.
func (c *Covered) Add(p *Project, seen map[string]bool) {
	switch {
	case p.VillageCode == "":
		c.Unplaced++
	case seen[p.VillageCode]:
	default:
		seen[p.VillageCode] = true
		c.Villages++
		if p.Village == nil || p.Village.PoorPopulation == nil {
			c.Unknown++
		} else {
			c.PoorPopulation += *p.Village.PoorPopulation
		}
	}
}

// RankedProject is a project with its place in each ranking among the
// projects that match the filter (1 = first).
type RankedProject struct {
	Project
	RankNeed  int `json:"rank_need"`
	RankPoor  int `json:"rank_poor"`
	RankValue int `json:"rank_value"`
}

// ProjectPage is one page of a listing and the number that match in all.
type ProjectPage struct {
	Projects []RankedProject `json:"projects"`
	Total    int             `json:"total"`
	CostWan  float64         `json:"cost_wan"` // total of all that match
	// Covered are the villages all that match cover, each counted once.
	Covered Covered `json:"covered"`
}

// Unranked returns the page's projects without their ranks, as the 项目库
// table and the target report take them.
func (p ProjectPage) Unranked() []Project {
	ps := make([]Project, len(p.Projects))
	for i, r := range p.Projects {
		ps[i] = r.Project
	}
	return ps
}

// GenerateReport says what a generation did to the library.
type GenerateReport struct {
	RunID      int64   `json:"run_id"`
	Villages   int     `json:"villages"`   // villages examined
	Candidates int     `json:"candidates"` // candidates generated
	Added      int     `json:"added"`
	Updated    int     `json:"updated"`
	Removed    int     `json:"removed"` // earlier candidates whose gap is closed, still at 需求摸底
	Kept       int     `json:"kept"`    // earlier candidates already past 需求摸底, left as they are
	CostWan    float64 `json:"cost_wan"`
	// Predicted counts the merged candidates whose 缺口后 was predicted by
	// their completion's writes (Prediction); the others keep the
	// generator's estimate.
	Predicted int `json:"predicted"`
	// Unsized are the villages whose measured gaps could not be sized into
	// a project (an unknown population, a bridge without a length), with
	// the data that would size them: no project is made from missing data.
	Unsized []VillageNeeds `json:"unsized"`
}

// Scheduled is what applying a plan writes into one project.
type Scheduled struct {
	Year   int    // the plan year chosen; 0: left out
	Reason string // why it was left out, in Chinese; "" when chosen
}

// Prediction asks SaveCandidates to predict each candidate's 缺口后 the way
// it will be realised: each village's candidates of a dimension have their
// completion writes applied to the layers one after another in a
// savepoint, the village is measured after each by the scoring's facts (on
// the road graph patched as a scoring run would patch it) and scored by
// ScoreVillage under Profile, with test ages counted to AsOf, and the
// savepoint is rolled back (data/predict.go). One rule, completion's and
// scoring's, instead of a model of their effect. Each candidate gets the
// gap its village is left with once it and the ones before it are built,
// for comparing with a run after several were completed together; a
// candidate closing R1 (通村硬化路), measured alone, also gets it as its
// own 缺口后, which the others keep from the generator's model.
type Prediction struct {
	Profile Profile
	AsOf    time.Time
}

// LibraryStore is the persistence of the 项目库.
type LibraryStore interface {
	DataNeedStore
	// GapVillages lists the village units of a run that have a gap and poor
	// people (every village with a gap when all is set).
	GapVillages(ctx context.Context, runID int64, all bool) ([]int64, error)
	// CandidateFacts measures what sizing candidates needs beyond Facts for
	// the given village units.
	CandidateFacts(ctx context.Context, p Profile, ids []int64) (map[int64]CandidateFacts, error)
	// SaveCandidates merges generated candidates into the library by Key,
	// in one transaction. With pred, the 缺口后 of every merged candidate
	// that closes R1 is predicted from what its completion writes: see
	// Prediction.
	SaveCandidates(ctx context.Context, runID int64, ps []Project, pred *Prediction) (GenerateReport, error)
	Projects(ctx context.Context, f ProjectFilter) (ProjectPage, error)
	Project(ctx context.Context, id int64) (Project, error)
	CreateProject(ctx context.Context, p Project) (Project, error)
	// UpdateProject stores an edit. While the project's ledger is open (in
	// the library, or withdrawn from it) a change of its 资金来源 rewrites
	// its 计划 entries in the same transaction; an unknown source or a
	// 计划 under what is 下达 is EInvalid and nothing is written.
	UpdateProject(ctx context.Context, p Project) (Project, error)
	// DeleteProject removes a project still at 需求摸底; later ones are
	// withdrawn (已出库) instead, so the record stays.
	DeleteProject(ctx context.Context, id int64) error
	// Transition moves a project to state to, checked by CheckTransition
	// and by the access policy under a row lock, and records who (the
	// context's principal), when and why. Reaching the county's completion
	// state writes the project into the layers, and moving back before it
	// restores them (EConflict when a later change touched those rows). Entering 已入库 writes the
	// project's 资金来源 into its ledger as 计划 entries (refused, nothing
	// moved, as UpdateProject refuses a 资金来源 the ledger cannot take).
	Transition(ctx context.Context, id int64, to, reason string) (Project, error)
	Transitions(ctx context.Context, id int64) ([]Transition, error)
	// SetAsBuilt stores a bureau's as-built values of a project (its
	// category's bureau, per the access policy; audited), refused with
	// EConflict once the project is written into the layers.
	SetAsBuilt(ctx context.Context, id int64, a AsBuilt) (Project, error)
	// Realised lists every project written into the layers with its
	// predicted 缺口后 and the gap of the first scoring run after the write.
	Realised(ctx context.Context) ([]Realised, error)
	// ScheduleProjects writes an applied plan into the projects by id, in
	// one transaction: each one's year (zero clears it) and why it was
	// left out ("" for a chosen one).
	ScheduleProjects(ctx context.Context, plan map[int64]Scheduled) error
}
