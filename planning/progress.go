package planning

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// Progress by year: the figures a county reports upward, per year-end and
// township, from the year-end scoring runs and the project and ledger facts.

// MaxProgressYears bounds a progress range (each year may cost a scoring).
const MaxProgressYears = 20

// ExitItems are the 贫困村退出 checklist items in checklist order.
var ExitItems = []string{ExitPoverty, ExitRoad, ExitBus, ExitWater, ExitPower, ExitBroadband, ExitClinic, ExitCulture}

// ProgressFact is what the projects and the ledger did in one year and
// township: projects completed, km of road they built, 拨付 paid.
type ProgressFact struct {
	Year         int
	TownshipCode string
	Projects     int
	Km           float64
	PaidCents    int64 // 拨付 entries dated that year, in 0.01 万元
}

// YearScores are the village scores of the year-end run of Year.
type YearScores struct {
	Year   int
	RunID  int64 // 0: no year-end run, and none could be made
	Reused bool  // an existing run was read, not a new one made
	Scores []VillageScore
}

// ProgressRow is one year × township of the progress table.
type ProgressRow struct {
	Year  int   `json:"year"`
	RunID int64 `json:"run_id"` // the year-end run the village figures come from; 0: none
	// NoData says why the village figures are unknown (no year-end run):
	// they are then absent, never 0.
	NoData       string `json:"no_data,omitempty"`
	TownshipCode string `json:"township_code"`
	TownshipName string `json:"township_name"`
	Villages     int    `json:"villages"` // villages counted (the poor ones, unless none is flagged)
	// Meeting counts, by dimension, the villages whose gap is known and 0.
	Meeting map[string]int `json:"meeting"`
	// Exit counts, by checklist item, the villages passing it; ExitAll
	// those passing every item.
	Exit    map[string]int `json:"exit"`
	ExitAll int            `json:"exit_all"`
	// GapsClosed counts the indicators that were fail at the previous
	// year-end and are pass at this one; nil when either run is missing.
	GapsClosed *int    `json:"gaps_closed"`
	Projects   int     `json:"projects_completed"`
	KmPaved    float64 `json:"km_paved"`
	PaidWan    float64 `json:"paid_wan"` // 拨付 that year, 万元
}

// ProgressStore is the persistence progress needs: scoring, reading a
// year-end run and the project and ledger facts.
type ProgressStore interface {
	ScoreStore
	// YearEndRun returns the id of the newest finished run with as_of and
	// layers_as_of both day under the profile hash, or 0 when none.
	YearEndRun(ctx context.Context, profileHash string, day time.Time) (int64, error)
	RunScores(ctx context.Context, runID int64) ([]VillageScore, error)
	ProgressFacts(ctx context.Context, from, to int) ([]ProgressFact, error)
}

// CheckProgressRange validates a year range (Chinese message on error).
func CheckProgressRange(from, to int) error {
	switch {
	case from < 2000 || to > 2100:
		return Errorf(EInvalid, "年份应在 2000–2100 之间，实为 %d–%d", from, to)
	case from > to:
		return Errorf(EInvalid, "起始年份 %d 晚于结束年份 %d", from, to)
	case to-from+1 > MaxProgressYears:
		return Errorf(EInvalid, "一次最多 %d 年，实为 %d 年", MaxProgressYears, to-from+1)
	}
	return nil
}

// YearEnd is the last day of year.
func YearEnd(year int) time.Time { return time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC) }

// YearEndScores reads, or runs when there is none and score is true, the
// year-end run of every year from from-1 (the baseline of from's gaps
// closed) to to. A year without a run, score false, has RunID 0.
func YearEndScores(ctx context.Context, store ProgressStore, p Profile, from, to int, score bool) ([]YearScores, error) {
	var out []YearScores
	for y := from - 1; y <= to; y++ {
		day := YearEnd(y)
		id, err := store.YearEndRun(ctx, p.Hash(), day)
		if err != nil {
			return nil, err
		}
		ys := YearScores{Year: y, RunID: id, Reused: id != 0}
		switch {
		case id != 0:
			ys.Scores, err = store.RunScores(ctx, id)
		case score:
			var run Run
			run, ys.Scores, err = ScoreOn(ctx, store, p, day, true, nil)
			ys.RunID = run.ID
		}
		if err != nil {
			return nil, fmt.Errorf("year-end %d: %w", y, err)
		}
		out = append(out, ys)
	}
	return out, nil
}

// Progress builds the table, one row per year after the first of years
// (the baseline) and township, in year then township code order. A
// township appears in a year when it has a counted village or a fact.
func Progress(years []YearScores, facts []ProgressFact) []ProgressRow {
	var rows []ProgressRow
	for i := 1; i < len(years); i++ {
		y := years[i]
		prev := indicatorStatus(years[i-1].Scores)
		closed := y.RunID != 0 && years[i-1].RunID != 0
		poorOnly := poorOnly(y.Scores)
		byCode := map[string]*ProgressRow{}
		row := func(code, name string) *ProgressRow {
			r := byCode[code]
			if r == nil {
				r = &ProgressRow{Year: y.Year, RunID: y.RunID, TownshipCode: code, TownshipName: name}
				if y.RunID == 0 {
					r.NoData = fmt.Sprintf("尚无 %d 年末评分（需有“发起评分”权限的用户运行 gapmap progress 或本查询）", y.Year)
				} else {
					r.Meeting, r.Exit = map[string]int{}, map[string]int{}
				}
				if closed {
					r.GapsClosed = new(int)
				}
				byCode[code] = r
			}
			if r.TownshipName == "" {
				r.TownshipName = name
			}
			return r
		}
		for _, vs := range y.Scores {
			if poorOnly && !vs.IsPoor {
				continue
			}
			r := row(vs.TownshipCode, vs.TownshipName)
			r.Villages++
			for _, d := range vs.Dimensions {
				if !d.Unknown() && *d.Gap == 0 {
					r.Meeting[d.Dimension]++
				}
				for _, ind := range d.Indicators {
					if closed && ind.Status == StatusPass && prev[indicatorKey{vs.VillageID, ind.ID}] == StatusFail {
						*r.GapsClosed++
					}
				}
			}
			all := len(vs.Exit) > 0
			for _, e := range vs.Exit {
				if e.Status == StatusPass {
					r.Exit[e.Item]++
				} else {
					all = false
				}
			}
			if all {
				r.ExitAll++
			}
		}
		for _, f := range facts {
			if f.Year != y.Year {
				continue
			}
			r := row(f.TownshipCode, "")
			r.Projects += f.Projects
			r.KmPaved += f.Km
			r.PaidWan += float64(f.PaidCents) / 100
		}
		start := len(rows)
		for _, r := range byCode {
			rows = append(rows, *r)
		}
		part := rows[start:]
		sort.Slice(part, func(a, b int) bool { return part[a].TownshipCode < part[b].TownshipCode })
	}
	return rows
}

type indicatorKey struct {
	village int64
	id      string
}

// indicatorStatus maps every village's indicators to their status.
func indicatorStatus(scores []VillageScore) map[indicatorKey]string {
	m := map[indicatorKey]string{}
	for _, vs := range scores {
		for _, d := range vs.Dimensions {
			for _, ind := range d.Indicators {
				m[indicatorKey{vs.VillageID, ind.ID}] = ind.Status
			}
		}
	}
	return m
}

// ProgressHeaders are the table's Chinese column headers (Row order).
var ProgressHeaders = append(append(append([]string{"年度", "乡镇代码", "乡镇", "村数"},
	prefixed("达标村数·", Dimensions)...), prefixed("退出·", ExitItems)...),
	"退出全部达标村数", "关闭缺口指标数", "完工项目数", "硬化道路(km)", "拨付资金(万元)", "年末评分批次")

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// Row is the row's cells in ProgressHeaders order; an unknown figure is
// nil.
func (r ProgressRow) Row() []any {
	cells := []any{r.Year, r.TownshipCode, r.TownshipName}
	known := func(v int) any {
		if r.RunID == 0 {
			return nil
		}
		return v
	}
	cells = append(cells, known(r.Villages))
	for _, d := range Dimensions {
		cells = append(cells, known(r.Meeting[d]))
	}
	for _, e := range ExitItems {
		cells = append(cells, known(r.Exit[e]))
	}
	cells = append(cells, known(r.ExitAll), nil)
	if r.GapsClosed != nil {
		cells[len(cells)-1] = *r.GapsClosed
	}
	var run any
	if r.RunID != 0 {
		run = r.RunID
	}
	return append(cells, r.Projects, RoundQuantity(r.KmPaved), float64(Scaled(r.PaidWan, MoneyDecimals))/100, run)
}

// WriteProgress prints the table as aligned text with Chinese headers.
func WriteProgress(w io.Writer, rows []ProgressRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, h := range ProgressHeaders {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw, "\t")
	for _, r := range rows {
		for i, c := range r.Row() {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			switch v := c.(type) {
			case nil:
				fmt.Fprint(tw, "无数据")
			case float64:
				fmt.Fprintf(tw, "%.2f", v)
			default:
				fmt.Fprint(tw, v)
			}
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}

// ProgressReport is the whole progress table from from to to: the year-end
// runs (YearEndScores; scoring the missing ones when score) and the facts,
// put together by Progress.
func ProgressReport(ctx context.Context, store ProgressStore, p Profile, from, to int, score bool) ([]ProgressRow, error) {
	if err := CheckProgressRange(from, to); err != nil {
		return nil, err
	}
	years, err := YearEndScores(ctx, store, p, from, to, score)
	if err != nil {
		return nil, err
	}
	facts, err := store.ProgressFacts(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return Progress(years, facts), nil
}

// RunOn returns the id of the county's run of day, the scores the map and
// the gap lists show for that date: for a day before today, the run the
// progress table reads for a year-end (as_of and layers_as_of both day,
// under the county profile), or 0 when there is none — the past is never
// shown with today's scores; from today on, the latest run.
func RunOn(ctx context.Context, store interface {
	CountyStore
	ProgressStore
}, day time.Time) (int64, error) {
	now := time.Now()
	if !day.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
		run, err := store.LatestRun(ctx)
		return run.ID, err
	}
	p, err := CountyProfile(ctx, store, nil)
	if err != nil {
		return 0, err
	}
	return store.YearEndRun(ctx, p.Hash(), day)
}
