package planning

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CompletionStates are the states a county may choose (Profile.
// CompletionState) for a project to write what it built into the layers.
var CompletionStates = []string{StateBuilt, StateAccepted}

// Completes says whether a move from one state to another reaches the
// completion state: the project is then written into the layers.
func Completes(from, to, state string) bool {
	i := slices.Index(States, state)
	return from != StateWithdrawn && to != StateWithdrawn && slices.Index(States, from) < i && slices.Index(States, to) >= i
}

// Uncompletes says whether a move takes a project back before the
// completion state: its writes into the layers are undone.
func Uncompletes(from, to, state string) bool {
	return Completes(to, from, state)
}

// Road surfaces a hardening project may build.
var builtSurfaces = []string{"水泥", "沥青"}

// AsBuilt holds a bureau's corrections of what a project actually built
// (竣工实际值), used instead of the planned values when the project is
// written into the layers. Nil and "" are "as planned".
type AsBuilt struct {
	CompletedOn      string   `json:"completed_on,omitempty"`      // 完工日期 YYYY-MM-DD; default: the day of the move
	Surface          string   `json:"surface,omitempty"`           // 路面: 水泥 (default) or 沥青
	WidthM           *float64 `json:"width_m,omitempty"`           // 路面宽 m; default 4.5 (通组路 3.5)
	ConditionClass   *int     `json:"condition_class,omitempty"`   // 危桥改造: 技术状况等级 1–3; default 1
	DiameterMM       *int     `json:"diameter_mm,omitempty"`       // 管网延伸: 管径 mm
	DesignM3PerDay   *float64 `json:"design_m3_per_day,omitempty"` // 单村供水工程: 设计供水规模 m³/d
	PopulationServed *int     `json:"population_served,omitempty"` // 单村供水工程: 供水人口
	GuaranteePct     *float64 `json:"guarantee_pct,omitempty"`     // 单村供水工程: 供水保证率 %
	KVA              *float64 `json:"kva,omitempty"`               // 配变增容: 新增容量合计 kVA
	KW               *float64 `json:"kw,omitempty"`                // 村级光伏电站: 装机 kW
	Households       *int     `json:"households,omitempty"`        // 村级光伏电站: 受益户数
}

// Date is the completion date, or on when none is set.
func (a AsBuilt) Date(on time.Time) time.Time {
	if d, err := time.Parse(time.DateOnly, a.CompletedOn); err == nil {
		return d
	}
	return on
}

// Validate checks the values as a bureau enters them; every problem names
// its field in Chinese.
func (a AsBuilt) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if a.CompletedOn != "" {
		if d, err := time.Parse(time.DateOnly, a.CompletedOn); err != nil || d.Year() < 2000 || d.Year() > 2100 {
			bad("完工日期 %q 无效，应为 2000–2100 年间的 YYYY-MM-DD", a.CompletedOn)
		}
	}
	if a.Surface != "" && !slices.Contains(builtSurfaces, a.Surface) {
		bad("路面 %q 无效；可用：%s", a.Surface, strings.Join(builtSurfaces, "、"))
	}
	if a.WidthM != nil && !(*a.WidthM > 0 && *a.WidthM <= 60) {
		bad("路面宽 %g m 超出范围 (0, 60]", *a.WidthM)
	}
	if a.ConditionClass != nil && (*a.ConditionClass < 1 || *a.ConditionClass > 3) {
		bad("改造后桥梁技术状况等级 %d 无效，应为 1–3 类（4、5 类仍是危桥）", *a.ConditionClass)
	}
	if a.DiameterMM != nil && (*a.DiameterMM <= 0 || *a.DiameterMM > 3000) {
		bad("管径 %d mm 超出范围 (0, 3000]", *a.DiameterMM)
	}
	if a.DesignM3PerDay != nil && !(*a.DesignM3PerDay > 0) {
		bad("设计供水规模须大于 0 m³/d")
	}
	if a.PopulationServed != nil && *a.PopulationServed < 0 {
		bad("供水人口不能为负")
	}
	if a.GuaranteePct != nil && !(*a.GuaranteePct >= 0 && *a.GuaranteePct <= 100) {
		bad("供水保证率 %g%% 超出范围 0–100", *a.GuaranteePct)
	}
	if a.KVA != nil && !(*a.KVA > 0) {
		bad("配变容量须大于 0 kVA")
	}
	if a.KW != nil && !(*a.KW > 0 && *a.KW <= 1000000) {
		bad("装机容量 %g kW 超出范围 (0, 1000000]", *a.KW)
	}
	if a.Households != nil && *a.Households < 0 {
		bad("受益户数不能为负")
	}
	if len(errs) > 0 {
		return Errorf(EInvalid, "竣工实际值有误：%s", strings.Join(errs, "；"))
	}
	return nil
}

// Realised is one completed project's predicted 缺口后 against the gap
// measured in the first scoring run after it was written into the layers.
// That gap reflects every project of the village and dimension written
// before the run (CompletedWith besides this one); the prediction is the
// one generation measured for exactly that set (PredictedWith besides this
// one) when it made one, else the project's own (PredictedAlone) when it
// was completed alone, else none.
type Realised struct {
	ProjectID    int64    `json:"project_id"`
	Code         string   `json:"code"` // 项目编号
	Name         string   `json:"name"`
	Subtype      string   `json:"subtype"`
	TownshipCode string   `json:"township_code"`
	VillageCode  string   `json:"village_code"`
	VillageName  string   `json:"village_name"`
	Dimension    string   `json:"dimension"`
	CompletedOn  string   `json:"completed_on"` // YYYY-MM-DD
	GapBefore    *float64 `json:"gap_before"`
	Predicted    *float64 `json:"predicted"` // nil: no prediction for the set (NoPrediction says why)
	RunID        int64    `json:"run_id"`    // the first run after the write; 0: none yet
	Realised     *float64 `json:"realised"`  // the village's gap in that run; nil: no run yet, or 数据不足
	// Indicators are the statuses, in that run, of the indicators the
	// project was to close (its source indicators).
	Indicators []IndicatorResult `json:"indicators"`
	// PredictedAlone is the project's own 缺口后 (gap_after_est).
	PredictedAlone *float64 `json:"predicted_alone"`
	// PredictedWith are the other projects (ids) Predicted assumes built:
	// empty when it is the project alone.
	PredictedWith []int64 `json:"predicted_with"`
	// CompletedWith are the village's other projects of the dimension
	// written before the run, which Realised reflects too.
	CompletedWith []int64 `json:"completed_with"`
	// Measured says Predicted was measured from the set's completion
	// writes at generation; false: the generator's model of the project
	// alone, or no prediction for the set (Predicted nil).
	Measured bool `json:"measured"`
	// NoPrediction says why Predicted is nil ("无预测：…": an edit after
	// generation cleared it, the set was not measured, or the project has
	// no 缺口后); empty when there is a prediction.
	NoPrediction string `json:"no_prediction"`
}

// IndicatorResult is one indicator's status in a run.
type IndicatorResult struct {
	ID     string `json:"id"`
	Status string `json:"status"` // a Status* constant
}

// statusTitles are the statuses in Chinese, as tables show them.
var statusTitles = map[string]string{StatusPass: "达标", StatusFail: "未达标", StatusNoData: "数据不足", StatusNotApplicable: "不适用"}

// Diff is realised − predicted (negative: the gap closed more than
// predicted), or nil when either is unknown.
func (r Realised) Diff() *float64 {
	if r.Realised == nil || r.Predicted == nil {
		return nil
	}
	d := *r.Realised - *r.Predicted
	return &d
}

// RealisedHeaders are the columns of the predicted-against-realised table.
var RealisedHeaders = []string{"项目ID", "项目编号", "项目名称", "项目子类", "乡镇代码", "村代码", "村", "缺口维度",
	"完工日期", "缺口前", "预计缺口后", "评分批次", "实际缺口", "差值（实际−预计）", "来源指标（实际）",
	"单独预计缺口后", "预计所含同村项目ID", "实际所含同村项目ID", "预计为完工实测", "无预测原因"}

// Row is r as the table's cells: nil for an unknown value.
func (r Realised) Row() []any {
	val := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	var run any
	if r.RunID != 0 {
		run = r.RunID
	}
	var inds []string
	for _, x := range r.Indicators {
		inds = append(inds, x.ID+" "+cmp.Or(statusTitles[x.Status], x.Status))
	}
	return []any{r.ProjectID, r.Code, r.Name, r.Subtype, r.TownshipCode, r.VillageCode, r.VillageName, r.Dimension,
		r.CompletedOn, val(r.GapBefore), val(r.Predicted), run, val(r.Realised), val(r.Diff()), strings.Join(inds, "；"),
		val(r.PredictedAlone), idList(r.PredictedWith), idList(r.CompletedWith), yesNo(r.Measured), r.NoPrediction}
}

// idList is ids as one cell, 、-separated ("" for none).
func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, "、")
}

// yesNo is b as a table cell.
func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
