package planning

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// Project categories (项目类别). Generated rows use the first four; the rest
// are the national categories a hand-entered row may carry (巩留 list).
const (
	CatRoad  = "基础设施-道路"
	CatWater = "基础设施-饮水"
	CatGrid  = "基础设施-电力"
	CatPV    = "产业发展-光伏"
)

// Categories lists every 项目类别 the library accepts, in display order.
var Categories = []string{CatRoad, CatWater, CatGrid, CatPV,
	"产业发展", "就业扶贫", "基础设施", "生活条件改善", "教育", "健康", "项目管理费"}

// Natures lists the 建设性质 values.
var Natures = []string{"新建", "改建", "扩建", "续建", "维修"}

// Project states (domain.md §6), in lifecycle order; StatusWithdrawn (已出库)
// is reachable from any state before completion, with a reason.
const (
	StateSurvey     = "需求摸底"
	StateVillage    = "村级申报"
	StateTownship   = "乡镇审核"
	StateReview     = "县级论证"
	StateApproved   = "县级审定"
	StateInLibrary  = "已入库"
	StateAnnualPlan = "纳入年度计划"
	StateBuilding   = "实施中"
	StateBuilt      = "已完工"
	StateAccepted   = "已验收"
	StateEvaluated  = "绩效评价"
	StateWithdrawn  = "已出库"
)

// States lists the lifecycle in order, 已出库 last.
var States = []string{StateSurvey, StateVillage, StateTownship, StateReview, StateApproved, StateInLibrary,
	StateAnnualPlan, StateBuilding, StateBuilt, StateAccepted, StateEvaluated, StateWithdrawn}

// Funding is one source's share of a project's cost.
type Funding struct {
	Source    string  `json:"source"` // e.g. 统筹整合涉农资金, 中央财政专项扶贫资金
	AmountWan float64 `json:"amount_wan"`
}

// Target is one 绩效目标 row (财政扶贫 绩效目标申报表): 一级/二级/三级 indicator
// and its target value.
type Target struct {
	Level1 string `json:"level1"` // 产出指标, 效益指标, 满意度指标
	Level2 string `json:"level2"` // 数量指标, 质量指标, 时效指标, 成本指标, 经济效益, 社会效益, …
	Level3 string `json:"level3"` // e.g. 新建硬化路里程
	Value  string `json:"value"`  // e.g. "≥2.30 km"
}

// Beneficiaries are the 受益对象 of a project.
type Beneficiaries struct {
	Households     int `json:"households"`
	Population     int `json:"population"`
	PoorHouseholds int `json:"poor_households"` // 建档立卡
	PoorPopulation int `json:"poor_population"`
}

// Project is one row of the 项目库 (国开办发〔2018〕10号 items plus the
// traceability back to the gap it closes). Money is in 万元.
type Project struct {
	ID           int64     `json:"id"`
	Code         string    `json:"code"` // 项目编号
	Year         int       `json:"year,omitempty"`
	Name         string    `json:"name"`
	Category     string    `json:"category"`
	Subtype      string    `json:"subtype"` // 项目子类: 通村硬化路, 配变增容, …
	Nature       string    `json:"nature"`  // 建设性质
	TownshipCode string    `json:"township_code"`
	TownshipName string    `json:"township_name"`
	VillageCode  string    `json:"village_code,omitempty"`
	VillageName  string    `json:"village_name,omitempty"`
	Content      string    `json:"content"` // 建设内容及规模
	Quantity     float64   `json:"quantity"`
	Unit         string    `json:"unit"`
	UnitPriceWan float64   `json:"unit_price_wan"`
	PriceSource  string    `json:"price_source,omitempty"` // a Source* constant: 估算 when estimated
	CostWan      float64   `json:"cost_wan"`
	Funding      []Funding `json:"funding"`
	Beneficiaries
	Mechanism       string     `json:"mechanism"` // 带贫减贫机制
	ResponsibleUnit string     `json:"responsible_unit"`
	Status          string     `json:"status"`
	PlannedStart    *time.Time `json:"planned_start,omitempty"`
	PlannedEnd      *time.Time `json:"planned_end,omitempty"`
	// The gap the project closes: dimension, indicators, the village's gap
	// before (from RunID) and the estimated gap once it is built.
	GapDimension     string   `json:"gap_dimension,omitempty"`
	SourceIndicators []string `json:"source_indicators"`
	GapBefore        *float64 `json:"gap_before,omitempty"`
	GapAfter         *float64 `json:"gap_after_est,omitempty"`
	// EstimateCleared says why GapAfter is nil after an edit changed what
	// it was sized from (migration 0038): "项目 123 工程量（2026-12-07）".
	EstimateCleared string `json:"estimate_cleared,omitempty"`
	RunID           int64  `json:"run_id,omitempty"`
	// Key identifies a generated candidate (village code, subtype, object),
	// so that generating again updates it instead of adding a copy; "" for
	// a row entered by hand.
	Key string `json:"key,omitempty"`
	// DependsOn is the Key of a project that must be built no later than
	// this one (a PV station after its grid upgrade).
	DependsOn  string   `json:"depends_on,omitempty"`
	Targets    []Target `json:"targets"`
	ExitReason string   `json:"exit_reason,omitempty"` // 出库理由
	// PlanReason is why the last applied plan left the project out ("" when
	// it was chosen or no plan was applied).
	PlanReason string `json:"plan_reason,omitempty"`
	// AsBuilt is the bureau's record of what was actually built, which
	// completion writes into the layers instead of the planned values.
	AsBuilt   AsBuilt      `json:"as_built"`
	Geometry  orb.Geometry `json:"-"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Village holds the counts of the project's village as stored (nil for
	// a project without one), so that totals count each village's people
	// once however many of its projects there are.
	Village *VillageCounts `json:"village,omitempty"`
}

// BenefitUnknown says why the project's gap closure is unknown although
// its village's gap was scored: its own 缺口后 was cleared by an edit, or
// never measured (数据不足); "" when it is known or nothing was scored.
// Such a project's PoorPeopleClosed is 0 for want of a figure, not
// because it closes nothing, so a plan must not weigh it as 0.
func (p Project) BenefitUnknown() string {
	if p.GapBefore == nil {
		return ""
	}
	return p.GapAfterUnknown()
}

// GapAfterUnknown says why GapAfter (预计补短板后缺口) is nil: an edit
// cleared it (EstimateCleared, migration 0038), the project has no
// 补短板前缺口 to start from, or it was never measured (数据不足); "" when
// it is known. The plan's 未入选原因 and the 申报表 say it in these words.
func (p Project) GapAfterUnknown() string {
	switch {
	case p.GapAfter != nil:
		return ""
	case p.EstimateCleared != "":
		return "无预测：" + p.EstimateCleared + "后预计缺口后已清除"
	case p.GapBefore == nil:
		return "无预测：补短板前缺口暂无数据"
	}
	return "无预测：预计缺口后暂无数据"
}

// GapBeforeUnknown says why GapBefore (补短板前缺口) is nil: the project
// comes from no scoring run (entered or imported by hand), names no
// 补短板维度, or its run did not measure its village's gap in that
// dimension (数据不足, or a village the run did not score: migration
// 0039); "" when it is known. 无数据 is what the map shows for it.
func (p Project) GapBeforeUnknown() string {
	switch {
	case p.GapBefore != nil:
		return ""
	case p.RunID == 0:
		return "无数据：项目不是由评分生成的，没有评分批次"
	case p.GapDimension == "":
		return "无数据：项目没有补短板维度"
	}
	return fmt.Sprintf("无数据：评分批次 %d 没有测得该村的%s缺口（数据不足或未评分）", p.RunID, p.GapDimension)
}

// PoorPeopleClosed is the project's value to the plan: gap points closed
// in its dimension × poor people who benefit.
func (p Project) PoorPeopleClosed() float64 {
	if p.GapBefore == nil || p.GapAfter == nil {
		return 0
	}
	return max(*p.GapBefore-*p.GapAfter, 0) * float64(p.PoorPopulation)
}

// othersWeight is what a beneficiary who is not 建档立卡 counts for in a
// plan's second tier, against 1 for a poor one: the poor come first, and
// projects in villages without poor people still count by the people they
// serve.
const othersWeight = 0.001

// MeetsNeed reports whether the project serves anyone. A plan spends what
// the gap closure leaves on such projects; one that closes no gap and
// meets no need is left out as 无实际效果.
func (p Project) MeetsNeed() bool { return p.Population > 0 || p.PoorPopulation > 0 }

// NeedServed is the project's value to a plan's second tier: its 建档立卡
// beneficiaries, plus othersWeight for each other beneficiary; 0 when it
// meets no need.
func (p Project) NeedServed() float64 {
	if !p.MeetsNeed() {
		return 0
	}
	return float64(p.PoorPopulation) + othersWeight*float64(max(p.Population-p.PoorPopulation, 0))
}

// ValueForMoney is gap points closed × poor beneficiaries ÷ cost (万元).
func (p Project) ValueForMoney() float64 {
	if p.CostWan <= 0 {
		return 0
	}
	return p.PoorPeopleClosed() / p.CostWan
}

// Validate checks a project as a user would enter or edit it; every
// problem names its field in Chinese.
func (p Project) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(p.Name) == "" {
		bad("项目名称不能为空")
	}
	if !slices.Contains(Categories, p.Category) {
		bad("项目类别 %q 无效；可用：%s", p.Category, strings.Join(Categories, "、"))
	}
	if !slices.Contains(Natures, p.Nature) {
		bad("建设性质 %q 无效；可用：%s", p.Nature, strings.Join(Natures, "、"))
	}
	if p.Year != 0 && (p.Year < 2000 || p.Year > 2100) {
		bad("年度 %d 超出范围 2000–2100", p.Year)
	}
	if p.Quantity < 0 || p.UnitPriceWan < 0 || p.CostWan < 0 {
		bad("工程量、单价和投资不能为负")
	}
	if p.Households < 0 || p.Population < 0 || p.PoorHouseholds < 0 || p.PoorPopulation < 0 {
		bad("受益户数和人数不能为负")
	}
	if p.PoorHouseholds > p.Households && p.Households > 0 || p.PoorPopulation > p.Population && p.Population > 0 {
		bad("建档立卡受益户（人）数不能超过受益总户（人）数")
	}
	sum := 0.0
	for i, f := range p.Funding {
		if strings.TrimSpace(f.Source) == "" || f.AmountWan < 0 {
			bad("资金来源第 %d 行：来源不能为空，金额不能为负", i+1)
		}
		sum += f.AmountWan
	}
	if len(p.Funding) > 0 && math.Abs(sum-p.CostWan) > 0.005 {
		bad("各资金来源合计 %.2f 万元，与投资估算 %.2f 万元不符", sum, p.CostWan)
	}
	if p.PlannedStart != nil && p.PlannedEnd != nil && p.PlannedEnd.Before(*p.PlannedStart) {
		bad("计划完工日期早于计划开工日期")
	}
	for i, t := range p.Targets {
		if strings.TrimSpace(t.Level1) == "" || strings.TrimSpace(t.Level3) == "" || strings.TrimSpace(t.Value) == "" {
			bad("绩效目标第 %d 行：一级指标、三级指标和指标值不能为空", i+1)
		}
	}
	if p.Geometry != nil {
		if err := CheckGeometry(p.Geometry); err != nil {
			bad("几何（geometry）%s", err)
		}
	}
	if len(errs) > 0 {
		return Errorf(EInvalid, "%s", strings.Join(errs, "；"))
	}
	return nil
}

// CheckGeometry returns why g cannot be stored as a project's shape, in
// Chinese, or nil: its shape must be well formed (geo.CheckShape) and
// every vertex a finite longitude/latitude in China (geo.CheckLonLat), so
// that 1e308 or NaN never reaches the database, where one such row made
// every Gauss-Krüger export fail. Self-intersection is PostGIS's to judge
// (ST_IsValid) when the row is written.
func CheckGeometry(g orb.Geometry) error {
	if err := geo.CheckShape(g); err != nil {
		return err
	}
	var err error
	geo.EachVertex(g, func(p orb.Point) bool {
		if e := geo.CheckLonLat(p); e != nil {
			err = fmt.Errorf("的%w", e)
		}
		return err == nil
	})
	return err
}

// transitions lists, for each state, the states it may move to. Any state
// before 已完工 may also go to 已出库 (with a reason); a withdrawn project may
// be taken back to 需求摸底 in the yearly Q4 adjustment. Completion (已完工,
// 已验收) may be withdrawn one step back, with a reason: past the county's
// completion state that undoes the project's writes into the layers.
var transitions = map[string][]string{
	StateSurvey:     {StateVillage},
	StateVillage:    {StateTownship, StateSurvey},
	StateTownship:   {StateReview, StateVillage},
	StateReview:     {StateApproved, StateTownship},
	StateApproved:   {StateInLibrary, StateReview},
	StateInLibrary:  {StateAnnualPlan},
	StateAnnualPlan: {StateBuilding, StateInLibrary},
	StateBuilding:   {StateBuilt},
	StateBuilt:      {StateAccepted, StateBuilding},
	StateAccepted:   {StateEvaluated, StateBuilt},
	StateEvaluated:  {},
	StateWithdrawn:  {StateSurvey},
}

// Transition is one recorded move of a project through the lifecycle.
type Transition struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Actor     string    `json:"actor"`
	ActorID   *int64    `json:"actor_id,omitempty"` // the user; nil for the command line
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// Declarer is the user who last declared a project (moved it from 需求摸底
// to 村级申报) in its moves ts, oldest first; 0 if none did. A bureau that
// sends a project back to 村级申报 has not declared it: its declarer stays
// the one who may not approve it.
func Declarer(ts []Transition) int64 {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].From == StateSurvey && ts[i].To == StateVillage {
			if ts[i].ActorID == nil {
				return 0
			}
			return *ts[i].ActorID
		}
	}
	return 0
}

// Moves lists the states p may move to, per the state machine alone (who
// may take each is the access policy's question).
func Moves(p Project) []string {
	var out []string
	for _, to := range States {
		if canMove(p.Status, to) {
			out = append(out, to)
		}
	}
	return out
}

// canMove says whether the state machine has a move from one state to
// another: along transitions, or to 已出库 from any state before 已完工.
func canMove(from, to string) bool {
	if to == StateWithdrawn {
		return from != StateWithdrawn && slices.Index(States, from) < slices.Index(States, StateBuilt)
	}
	return slices.Contains(transitions[from], to)
}

// IsBack says whether a move returns a project to an earlier state (a
// rejection), which needs a reason like a withdrawal.
func IsBack(from, to string) bool {
	return to == StateWithdrawn || slices.Index(States, to) < slices.Index(States, from)
}

// CheckTransition says whether p may move to state to, and why not in
// Chinese. Withdrawal needs a reason; entering the library needs 绩效目标
// (国开办发〔2018〕10号) and a cost; the annual plan needs a year.
func CheckTransition(p Project, to, reason string) error {
	if !slices.Contains(States, to) {
		return Errorf(EInvalid, "项目状态 %q 无效；可用：%s", to, strings.Join(States, "、"))
	}
	if !canMove(p.Status, to) {
		next := "无（流程已结束）"
		if m := Moves(p); len(m) > 0 {
			next = strings.Join(m, "、")
		}
		return Errorf(EConflict, "项目“%s”当前为“%s”，不能直接转为“%s”；可转为：%s", p.Name, p.Status, to, next)
	}
	// Going back a step is a rejection, leaving the library a withdrawal:
	// say why.
	if IsBack(p.Status, to) && strings.TrimSpace(reason) == "" {
		if to == StateWithdrawn {
			return Errorf(EInvalid, "出库须填写理由")
		}
		return Errorf(EInvalid, "退回到“%s”须填写理由", to)
	}
	switch to {
	case StateInLibrary:
		if len(p.Targets) == 0 {
			return Errorf(EInvalid, "项目“%s”没有绩效目标，不能入库（国开办发〔2018〕10号）", p.Name)
		}
		if p.CostWan <= 0 {
			return Errorf(EInvalid, "项目“%s”没有投资估算，不能入库", p.Name)
		}
	case StateAnnualPlan:
		if p.Year == 0 {
			return Errorf(EInvalid, "项目“%s”未安排年度，不能纳入年度计划", p.Name)
		}
	}
	return nil
}
