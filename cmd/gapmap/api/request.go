package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
)

// decodeBody reads a JSON body into v, rejecting unknown fields; example
// shows the expected shape in the error. The route's maxBody (maxJSONBytes)
// bounds the body.
func decodeBody(r *http.Request, v any, example string) error {
	raw, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return planning.Errorf(planning.EInvalid, "请求体超过 %d 字节", tooBig.Limit)
	}
	if err != nil {
		return planning.Errorf(planning.EInvalid, "无法读取请求体：%v", err)
	}
	if strings.TrimSpace(string(raw)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return planning.Errorf(planning.EInvalid, "请求体应为 JSON：%s（%v）", example, err)
	}
	if hasNUL(raw) {
		return planning.Errorf(planning.EInvalid, "请求体的文本含有空字符（\\u0000），请删除")
	}
	return nil
}

// hasNUL says whether a string of the JSON document raw holds U+0000,
// which PostgreSQL refuses in text (SQLSTATE 22021). JSON can only carry
// it escaped, so a document without "\u0000" in any case is spared the
// walk over its tokens.
func hasNUL(raw []byte) bool {
	if !bytes.Contains(bytes.ToLower(raw), []byte(`\u0000`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return true
		}
	}
}

// idVar reads the route variable name, the number of a what (项目,
// 评分批次): the route's pattern admits only digits, but not their count,
// and a number past int64 would otherwise be read as 0 or clamped.
func idVar(r *http.Request, name, what string) (int64, error) {
	v := mux.Vars(r)[name]
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, planning.Errorf(planning.EInvalid, "%s编号应为 1 到 %d 之间的整数，收到 %q", what, int64(math.MaxInt64), v)
	}
	return id, nil
}

// onlyParams refuses query parameters other than allowed, naming those it
// takes (TestMalformedInputNever5xx reads that list).
func onlyParams(q url.Values, allowed ...string) error {
	for key := range q {
		if !slices.Contains(allowed, key) {
			return planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：%s", key, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// intParam reads an integer query parameter between lo and hi, def when it
// is absent.
func intParam(s, name string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, planning.Errorf(planning.EInvalid, "参数 %s 应为 %d 到 %d 之间的整数，收到 %q", name, lo, hi, s)
	}
	return n, nil
}

// pageParams reads the paging of a list, page (from 1) and page_size, and
// returns the page, the rows per page and the offset of its first row.
func pageParams(q url.Values) (page, limit, offset int, err error) {
	if page, err = intParam(q.Get("page"), "page", 1, 1, 1<<20); err != nil {
		return 0, 0, 0, err
	}
	if limit, err = intParam(q.Get("page_size"), "page_size", planning.DefaultPageSize, 1, planning.MaxPageSize); err != nil {
		return 0, 0, 0, err
	}
	return page, limit, (page - 1) * limit, nil
}

// boolParam reads the true/false query parameter name, false when absent.
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, planning.Errorf(planning.EInvalid, "参数 %s 应为 true 或 false，收到 %q", name, v)
	}
	return b, nil
}

// minScoreParam reads ?min_score=, a gap score from 0 to 100; nil when
// absent.
func minScoreParam(q url.Values) (*float64, error) {
	v := q.Get("min_score")
	if v == "" {
		return nil, nil
	}
	n, err := planning.ParseMinScore(v)
	if err != nil {
		return nil, err
	}
	return &n, nil
}
