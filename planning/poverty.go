package planning

import (
	"context"
	"time"
)

// PovertyFigures are one village's 建档立卡 figures for one year: the stock
// at the year's end and the year's flows. nil is unknown (the county's
// table lacked the column or left the cell blank), never 0.
type PovertyFigures struct {
	PoorHouseholds     *int `json:"poor_households"` // 年末建档立卡贫困户数
	PoorPopulation     *int `json:"poor_population"` // 年末建档立卡贫困人口
	ExitedHouseholds   *int `json:"exited_households"`
	ExitedPopulation   *int `json:"exited_population"` // 脱贫
	ReturnedHouseholds *int `json:"returned_households"`
	ReturnedPopulation *int `json:"returned_population"` // 返贫
	NewHouseholds      *int `json:"new_households"`
	NewPopulation      *int `json:"new_population"` // 新识别
}

// PovertyFields names the figures in PovertyFigures order: the column
// names of the table, the API and the exports.
var PovertyFields = []string{"poor_households", "poor_population", "exited_households", "exited_population",
	"returned_households", "returned_population", "new_households", "new_population"}

// PovertyFieldTitles are the Chinese column titles of PovertyFields.
var PovertyFieldTitles = []string{"年末贫困户数", "年末贫困人口", "脱贫户数", "脱贫人数", "返贫户数", "返贫人数", "新识别户数", "新识别人数"}

// Values returns the figures in PovertyFields order.
func (f *PovertyFigures) Values() []*int {
	return []*int{f.PoorHouseholds, f.PoorPopulation, f.ExitedHouseholds, f.ExitedPopulation,
		f.ReturnedHouseholds, f.ReturnedPopulation, f.NewHouseholds, f.NewPopulation}
}

// Ptrs returns pointers to the figures in PovertyFields order, to fill
// them.
func (f *PovertyFigures) Ptrs() []**int {
	return []**int{&f.PoorHouseholds, &f.PoorPopulation, &f.ExitedHouseholds, &f.ExitedPopulation,
		&f.ReturnedHouseholds, &f.ReturnedPopulation, &f.NewHouseholds, &f.NewPopulation}
}

// PovertyYear is a village's register for one year.
type PovertyYear struct {
	Year int `json:"year"`
	PovertyFigures
	// OtherHouseholds and OtherPopulation are the change of the stock that
	// the flows do not explain: stock − (last year's stock − 脱贫 + 新识别 +
	// 返贫), i.e. 自然增减, 分户 and 清退. nil when a term is unknown or the
	// previous year has no row. Shown, so that a register that does not add
	// up is seen rather than hidden.
	OtherHouseholds *int   `json:"other_households"`
	OtherPopulation *int   `json:"other_population"`
	Source          string `json:"source"` // the file the row came from
}

// VillagePoverty is one village's 建档立卡 register by year.
type VillagePoverty struct {
	Code         string        `json:"code"`
	Name         string        `json:"name"`
	TownshipCode string        `json:"township_code"`
	TownshipName string        `json:"township_name"`
	IsPoor       bool          `json:"is_poor_village"`
	ExitYear     *int          `json:"exit_year"` // 贫困村退出年度; nil: not exited or unknown
	Years        []PovertyYear `json:"years"`     // by year, oldest first
}

// PovertyRow is one data row of a county's yearly table, as read.
type PovertyRow struct {
	Row         int    // the row as Excel numbers it (header = 1)
	VillageCode string // 12-digit 村代码
	VillageName string // as the table names it, "" when it has no name column
	Year        int
	ExitYear    *int // 贫困村退出年度, when the table has the column and the cell is filled
	PovertyFigures
}

// PovertyImportOptions says what an import of a yearly table does.
type PovertyImportOptions struct {
	Name string // the file's name as the user knows it (an upload's)
	// Year is the year every row is for; 0: each row's 年度 column. When
	// both are given they must agree.
	Year   int
	DryRun bool // check everything, write nothing
}

// Outcomes of a row of a yearly import.
const (
	PovertyInserted  = "新增"
	PovertyUpdated   = "更新"
	PovertyUnchanged = "未变"
	PovertyRejected  = "错误"
)

// PovertyRowResult is what an import did (or, in a dry run, would do) with
// one row.
type PovertyRowResult struct {
	Row     int    `json:"row"`
	Village string `json:"village"` // the row's 村代码
	Name    string `json:"name"`    // the village's name in gapmap, "" when the code is unknown
	Year    int    `json:"year"`
	Outcome string `json:"outcome"` // 新增, 更新, 未变 or 错误
}

// PovertyImport is the report of an import of a yearly table.
type PovertyImport struct {
	File      string             `json:"file"`
	Format    string             `json:"format"` // CSV or XLSX
	Columns   []string           `json:"columns"`
	Years     []int              `json:"years"` // the years the file covers
	DryRun    bool               `json:"dry_run"`
	Read      int                `json:"read"`
	Inserted  int                `json:"inserted"`
	Updated   int                `json:"updated"`
	Unchanged int                `json:"unchanged"`
	Rejected  int                `json:"rejected"`
	ExitYears int                `json:"exit_years_set"` // villages whose 退出年度 the file set or changed
	Rows      []PovertyRowResult `json:"rows"`
	Problems  []ImportProblem    `json:"problems"`
	Committed bool               `json:"committed"`
}

// PovertyFilter selects the roll-up.
type PovertyFilter struct {
	Township string // a township's code: its villages by year; "": the county by township and in total
	From, To int    // years, inclusive; 0: open
}

// PovertyRollup is the sum of the villages with a row for one year, in one
// township or (TownshipCode "") the whole county.
type PovertyRollup struct {
	Year         int    `json:"year"`
	TownshipCode string `json:"township_code"` // "" for the county's total
	TownshipName string `json:"township_name"`
	Villages     int    `json:"villages"` // villages with a row for the year
	// Sums of the known figures; nil when no village knows the figure.
	PovertyFigures
	// Unknown counts, per field of PovertyFields, the villages with a row
	// for the year whose figure is unknown: the sum leaves them out, so it
	// is a lower bound. Omitted when every village knows every figure.
	Unknown map[string]int `json:"unknown,omitempty"`
	// VillagesExited counts the villages whose 退出年度 is the year.
	VillagesExited int `json:"villages_exited"`
}

// PovertyStore keeps the 建档立卡 register by year.
type PovertyStore interface {
	// ImportPoverty reads the county's yearly table at path (CSV or XLSX
	// with 村代码) and writes its rows in one transaction, or none: a row
	// with an error rejects the file. The report lists every row's outcome
	// and every problem with its row, field and Chinese reason. The error
	// is an *Error: EInvalid for a file that cannot be read (format,
	// missing columns, no year), EForbidden for a village the principal may
	// not edit, EUnauthorized without one.
	ImportPoverty(ctx context.Context, path string, opt PovertyImportOptions) (PovertyImport, error)
	// VillagePoverty returns a village's register by year, or an ENotFound
	// error.
	VillagePoverty(ctx context.Context, code string) (VillagePoverty, error)
	// PovertyRollup sums the register by year, township and county, or
	// by year and village of one township.
	PovertyRollup(ctx context.Context, f PovertyFilter) ([]PovertyRollup, error)
}

// PovertyYearOf is the register year a scoring run as of asOf reads: the
// year of asOf. A village's figures are those of the latest year up to it
// with a row; a village without one keeps its own columns.
func PovertyYearOf(asOf time.Time) int { return asOf.Year() }
