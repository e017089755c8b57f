package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

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
