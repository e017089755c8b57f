package ingest

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data/catalog"
)

// valueError is why a file value could not be read as its field's kind,
// in Chinese.
type valueError struct{ reason string }

func (e *valueError) Error() string { return e.reason }

func badValue(format string, args ...any) error {
	return &valueError{fmt.Sprintf(format, args...)}
}

// text renders any reader value as the user typed it: numbers without
// exponent or trailing ".0" (Excel and shapefiles turn codes into floats).
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case time.Time:
		return x.Format("2006-01-02")
	case []byte:
		return fmt.Sprintf("<%d 字节二进制>", len(x))
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// convert parses raw (a reader value) for field f, after the mapping
// file's value aliases (extra) and the built-in ones. nil means blank.
func convert(f *catalog.Field, raw any, extra map[string]string) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if x, ok := raw.(float64); ok && len(extra) == 0 && len(f.Values) == 0 {
		// A number where one is wanted, with no value aliases: the
		// common case, without rendering it as text to parse it back.
		switch f.Kind {
		case catalog.Float:
			return x, nil
		case catalog.Int:
			if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
				return nil, badValue("不是整数")
			}
			return int64(x), nil
		}
	}
	s := text(raw)
	if s == "" {
		return nil, nil
	}
	if f.Highest && strings.ContainsAny(s, ";；/") {
		var best any
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(";；/", r) }) {
			v, err := convert(f, part, extra)
			if err != nil {
				return nil, err
			}
			if x, ok := v.(float64); ok && (best == nil || x > best.(float64)) {
				best = x
			}
		}
		return best, nil
	}
	if (f.Kind == catalog.Text || f.Kind == catalog.Code) && len(extra) == 0 && len(f.Values) == 0 {
		return plainText(f, s), nil // nothing to look up, no key needed
	}
	key := normaliseValue(s)
	if v, ok := extra[s]; ok {
		s, key = v, normaliseValue(v)
	} else if v, ok := extra[key]; ok {
		s, key = v, normaliseValue(v)
	} else if v, ok := f.Values[key]; ok {
		s, key = v, normaliseValue(v)
	}
	switch f.Kind {
	case catalog.Text, catalog.Code:
		return plainText(f, s), nil
	case catalog.Int:
		if x, ok := raw.(float64); ok && s == text(raw) {
			if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
				return nil, badValue("不是整数")
			}
			return int64(x), nil
		}
		x, err := parseNumber(key, f.Units)
		if err != nil {
			return nil, err
		}
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return nil, badValue("不是整数")
		}
		return int64(x), nil
	case catalog.Float:
		if x, ok := raw.(float64); ok && s == text(raw) {
			return x, nil
		}
		return parseNumber(key, f.Units)
	case catalog.Bool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		switch key {
		case "是", "有", "true", "t", "yes", "y", "1", "√", "已并网", "达标", "合格":
			return true, nil
		case "否", "无", "false", "f", "no", "n", "0", "×", "未并网", "不达标", "不合格":
			return false, nil
		}
		return nil, badValue("不是“是/否”")
	case catalog.Date:
		if t, ok := raw.(time.Time); ok {
			return t, nil
		}
		return parseDate(s)
	case catalog.TextList:
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;，；、|", r) })
		out := make([]string, 0, len(parts))
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return s, nil
}

// plainText is a text or code field's value: codes lose inner spaces and
// the ".0" that Excel adds.
func plainText(f *catalog.Field, s string) string {
	if f.Kind == catalog.Code {
		return strings.TrimSuffix(strings.Join(strings.Fields(s), ""), ".0")
	}
	return s
}

// parseNumber reads a decimal number with an optional unit suffix and a
// decimal comma ("6,5"); key is already normalised (lower case, half-width).
func parseNumber(key string, units []string) (float64, error) {
	num := key
	for _, u := range units {
		if strings.HasSuffix(num, u) {
			num = strings.TrimSuffix(num, u)
			break
		}
	}
	if strings.Count(num, ",") == 1 && !strings.Contains(num, ".") {
		num = strings.Replace(num, ",", ".", 1)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		if len(units) > 0 {
			return 0, badValue("不是数字（可带单位 %s）", strings.Join(units, "、"))
		}
		return 0, badValue("不是数字")
	}
	return x, nil
}

var chineseDate = regexp.MustCompile(`^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$`)

// parseDate reads the dates Chinese tables hold: 2019-05-01, 2019/5/1,
// 2019.5.1, 2019年5月1日 and 20190501.
func parseDate(s string) (any, error) {
	if m := chineseDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Month() == time.Month(mo) && t.Day() == d {
			return t, nil
		}
	}
	if t, err := time.Parse("20060102", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return nil, badValue("不是日期（应为 2019-05-01、2019/5/1 或 2019年5月1日）")
}
