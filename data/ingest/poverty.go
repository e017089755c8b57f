package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/data/internal/value"
	"github.com/gapmap/gapmap/planning"
)

// Fields of a yearly 建档立卡 table besides planning.PovertyFields.
const (
	povertyCode     = "village_code"
	povertyName     = "village_name"
	povertyYear     = "year"
	povertyExitYear = "exit_year"
)

// povertyAliases maps the column names county tables use, normalised by
// povertyHeader, to fields. The schema's own names are accepted too.
var povertyAliases = map[string]string{
	"村代码": povertyCode, "村级代码": povertyCode, "行政区划代码": povertyCode, "统计用区划代码": povertyCode, "区划代码": povertyCode,
	"代码": povertyCode, "行政村代码": povertyCode, "code": povertyCode,
	"村名": povertyName, "村名称": povertyName, "行政村": povertyName, "行政村名称": povertyName, "村": povertyName, "name": povertyName,
	"年度": povertyYear, "年份": povertyYear, "年": povertyYear,
	"退出年度": povertyExitYear, "贫困村退出年度": povertyExitYear, "退出年份": povertyExitYear, "出列年度": povertyExitYear, "贫困村出列年度": povertyExitYear,
	"贫困户数": "poor_households", "建档立卡贫困户数": "poor_households", "年末贫困户数": "poor_households", "年末建档立卡贫困户数": "poor_households",
	"贫困人口": "poor_population", "贫困人数": "poor_population", "建档立卡贫困人口": "poor_population", "建档立卡贫困人数": "poor_population",
	"年末贫困人口": "poor_population", "年末贫困人数": "poor_population", "年末建档立卡贫困人口": "poor_population",
	"脱贫户数": "exited_households", "当年脱贫户数": "exited_households",
	"脱贫人数": "exited_population", "脱贫人口": "exited_population", "当年脱贫人数": "exited_population", "当年脱贫人口": "exited_population",
	"返贫户数": "returned_households", "返贫人数": "returned_population", "返贫人口": "returned_population",
	"新识别户数": "new_households", "新识别贫困户数": "new_households",
	"新识别人数": "new_population", "新识别人口": "new_population", "新识别贫困人口": "new_population", "新识别贫困人数": "new_population",
}

func init() {
	for _, f := range append([]string{povertyCode, povertyName, povertyYear, povertyExitYear}, planning.PovertyFields...) {
		povertyAliases[f] = f
	}
}

// unitSuffix is a unit in brackets after a column name: 脱贫户数（户）.
var unitSuffix = regexp.MustCompile(`[（(][^（()）]*[)）]$`)

// povertyHeader normalises a column name: full-width folded, spaces and a
// trailing unit dropped, lower case.
func povertyHeader(h string) string {
	h = width.Fold.String(strings.TrimSpace(h))
	h = strings.Join(strings.Fields(h), "")
	h = unitSuffix.ReplaceAllString(h, "")
	return strings.ToLower(h)
}

// PovertyTable is a county's yearly 建档立卡 table as read.
type PovertyTable struct {
	Format  string   // CSV or XLSX
	Columns []string // "file column → field" pairs
	// Has names the figures (of planning.PovertyFields) and exit_year the
	// table has a column for: an update leaves the others as stored.
	Has      map[string]bool
	Rows     []planning.PovertyRow    // the rows without errors
	Problems []planning.ImportProblem // every row's problems, with row, field and reason
	Read     int                      // data rows read
	Rejected []planning.PovertyRow    // rows with an error, as far as they were read
}

// headerScan is how many rows at the top of a sheet may hold the header:
// county tables put a title and a unit line above it.
const headerScan = 10

// ReadPovertyTable reads the CSV or XLSX file at path, known to the user
// as name (the first sheet of a workbook; its header is the first of the
// top rows that names a 村代码 column). year, when not 0, is the year of
// every row; a 年度 column must then agree with it. Problems of single
// rows go into the table; a file that cannot be read, lacks the 村代码
// column or any year is an *planning.Error (EInvalid) naming the file.
func ReadPovertyTable(path, name string, year int) (*PovertyTable, error) {
	var (
		t      = &PovertyTable{}
		header []string
		rows   [][]string // data rows
		lines  []int      // their Excel row numbers
	)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		t.Format = "XLSX"
		f, err := excelize.OpenFile(path)
		if err != nil {
			return nil, planning.Errorf(planning.EInvalid, "%s：不是可读的 XLSX 工作簿：%v", name, err)
		}
		defer f.Close()
		all, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			return nil, planning.Errorf(planning.EInvalid, "%s：读取第一个工作表失败：%v", name, err)
		}
		at := -1
		for i := 0; i < len(all) && i < headerScan && at < 0; i++ {
			for _, c := range all[i] {
				if povertyAliases[povertyHeader(c)] == povertyCode {
					at = i
					break
				}
			}
		}
		if at < 0 {
			return nil, planning.Errorf(planning.EInvalid, "%s：前 %d 行中没有村代码列（村代码、行政区划代码或统计用区划代码）", name, headerScan)
		}
		header = all[at]
		for i := at + 1; i < len(all); i++ {
			rows, lines = append(rows, all[i]), append(lines, i+1)
		}
	case ".csv", ".txt":
		t.Format = "CSV"
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		cr, err := feature.OpenCSV(f, feature.CSVOptions{})
		if err != nil {
			return nil, inFile(name, err)
		}
		header = cr.Header()
		for cr.Next() {
			r := cr.Record()
			row := make([]string, len(header))
			for j, h := range header {
				s, _ := r.Attrs[h].(string)
				row[j] = s
			}
			rows, lines = append(rows, row), append(lines, r.Line)
		}
		if err := cr.Err(); err != nil {
			return nil, inFile(name, err)
		}
	default:
		return nil, planning.Errorf(planning.EInvalid, "%s：建档立卡年度表应为 CSV 或 XLSX 文件", name)
	}
	col := map[string]int{}
	t.Has = map[string]bool{}
	for j, h := range header {
		f, ok := povertyAliases[povertyHeader(h)]
		switch {
		case !ok:
			t.Problems = append(t.Problems, planning.ImportProblem{Field: h, Severity: planning.SeverityWarning,
				Reason: fmt.Sprintf("列“%s”不是建档立卡年度表的字段，已忽略", h)})
			continue
		case col[f] > 0:
			return nil, planning.Errorf(planning.EInvalid, "%s：列“%s”与第 %d 列都是 %s", name, h, col[f], f)
		}
		col[f] = j + 1
		t.Has[f] = true
		t.Columns = append(t.Columns, h+" → "+f)
	}
	if col[povertyCode] == 0 {
		return nil, planning.Errorf(planning.EInvalid, "%s：缺少村代码列（村代码、行政区划代码或统计用区划代码）", name)
	}
	if col[povertyYear] == 0 && year == 0 {
		return nil, planning.Errorf(planning.EInvalid, "%s：没有年度列，请用 --year 指明年度", name)
	}
	some := false
	for _, f := range planning.PovertyFields {
		some = some || col[f] > 0
	}
	if !some {
		return nil, planning.Errorf(planning.EInvalid, "%s：没有任何建档立卡数字列（如年末贫困户数、年末贫困人口、脱贫户数）", name)
	}
	cell := func(row []string, f string) string {
		if j := col[f] - 1; j >= 0 && j < len(row) {
			return strings.TrimSpace(width.Fold.String(row[j]))
		}
		return ""
	}
	seen := map[[2]int]int{} // village code as a number, year → row
	for i, row := range rows {
		if blankRow(row) {
			continue
		}
		t.Read++
		r := planning.PovertyRow{Row: lines[i], VillageCode: cell(row, povertyCode), VillageName: cell(row, povertyName), Year: year}
		bad := false
		problem := func(field, val, reason, hint string) {
			bad = true
			t.Problems = append(t.Problems, planning.ImportProblem{Row: r.Row, ID: r.VillageCode, Field: field, Value: val,
				Severity: planning.SeverityError, Reason: reason, Hint: hint})
		}
		if !villageCodeRE.MatchString(r.VillageCode) {
			problem(povertyCode, r.VillageCode, "村代码应为12位统计用区划代码", "在 Excel 中把该列设为文本，以免代码被写成科学计数法")
		}
		if s := cell(row, povertyYear); s != "" {
			y, ok := parseYear(s)
			switch {
			case !ok:
				problem(povertyYear, s, "年度应为 2014–2030 之间的四位年份", "")
			case year != 0 && y != year:
				problem(povertyYear, s, fmt.Sprintf("年度与指定的 %d 年不符", year), "去掉 --year，或只导入该年度的行")
			default:
				r.Year = y
			}
		} else if year == 0 {
			problem(povertyYear, "", "缺少年度", "填写年度，或用 --year 指明")
		}
		if s := cell(row, povertyExitYear); s != "" {
			if y, ok := parseYear(s); ok {
				r.ExitYear = &y
			} else {
				problem(povertyExitYear, s, "贫困村退出年度应为 2014–2030 之间的四位年份", "未退出的村留空")
			}
		}
		ptrs := r.Ptrs()
		for k, f := range planning.PovertyFields {
			s := cell(row, f)
			if s == "" {
				continue // unknown, not 0
			}
			n, err := parseCount(s)
			if err != nil {
				problem(f, s, fmt.Sprintf("%s%s", planning.PovertyFieldTitles[k], err.Error()), "")
				continue
			}
			*ptrs[k] = &n
		}
		for k := 0; k < len(ptrs); k += 2 { // households, then people of the same count
			if hh, pop := *ptrs[k], *ptrs[k+1]; hh != nil && pop != nil && *hh > *pop {
				problem(planning.PovertyFields[k], strconv.Itoa(*hh),
					fmt.Sprintf("%s %d 大于%s %d：每户至少一人", planning.PovertyFieldTitles[k], *hh, planning.PovertyFieldTitles[k+1], *pop), "")
			}
		}
		if !bad && allNil(r.Values()) {
			problem("", "", "该行没有任何建档立卡数字", "填写数字，或删除该行")
		}
		if !bad {
			code, _ := strconv.Atoi(r.VillageCode)
			k := [2]int{code, r.Year}
			if first, dup := seen[k]; dup {
				problem(povertyCode, r.VillageCode, fmt.Sprintf("与第 %d 行是同一村同一年度", first), "每村每年只保留一行")
			} else {
				seen[k] = r.Row
			}
		}
		if bad {
			t.Rejected = append(t.Rejected, r)
			continue
		}
		t.Rows = append(t.Rows, r)
	}
	if t.Read == 0 {
		return nil, planning.Errorf(planning.EInvalid, "%s：表中没有数据行", name)
	}
	return t, nil
}

var villageCodeRE = regexp.MustCompile(`^[0-9]{12}$`)

func blankRow(row []string) bool {
	for _, s := range row {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

func allNil(vs []*int) bool {
	for _, v := range vs {
		if v != nil {
			return false
		}
	}
	return true
}

// parseYear reads a year such as 2018, 2018年 or 2018.0 (a spreadsheet
// number).
func parseYear(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "年"), ".0")
	y, err := strconv.Atoi(s)
	return y, err == nil && y >= 2014 && y <= 2030
}

var errNotCount = errors.New("应为非负整数")

// parseCount reads a count: digits, with thousands separators or a
// spreadsheet's ".0"; a negative or fractional number is an error.
func parseCount(s string) (int, error) {
	s = strings.ReplaceAll(s, ",", "")
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("不能为负数（%s）", value.Quote(s))
		}
		return int(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f > 1e9 {
		return 0, fmt.Errorf("%w，收到 %s", errNotCount, value.Quote(s))
	}
	if f < 0 {
		return 0, fmt.Errorf("不能为负数（%s）", value.Quote(s))
	}
	return int(f), nil
}
