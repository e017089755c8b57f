package feature

import (
	"errors"
	"strings"
	"testing"
)

// setLimits sets the GeoJSON reader's limits for one test, so that a bomb
// need not be gigabytes to be one.
func setLimits(t *testing.T, feature, depth, str int) {
	t.Helper()
	f, d, s := maxFeatureBytes, maxJSONDepth, maxStringBytes
	maxFeatureBytes, maxJSONDepth, maxStringBytes = feature, depth, str
	t.Cleanup(func() { maxFeatureBytes, maxJSONDepth, maxStringBytes = f, d, s })
}

// jsonLimits lifts the reader's own limits to encoding/json's, for tests
// that compare it with the encoding/json-based oracle.
func jsonLimits(t *testing.T) {
	t.Helper()
	setLimits(t, 1<<30, maxDepth, 1<<30)
}

// readAll reads every feature of src and returns the error that ended it.
func readAll(t *testing.T, src string) (int, error) {
	t.Helper()
	g, err := OpenGeoJSON(strings.NewReader(src))
	if err != nil {
		return 0, err
	}
	n := 0
	for g.Next() {
		n++
	}
	return n, g.Err()
}

// wantTooLarge checks err is a FormatError for ErrTooLarge whose message
// has each of parts.
func wantTooLarge(t *testing.T, err error, parts ...string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v (%T), want a FormatError for ErrTooLarge", err, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("message %q lacks %q", err.Error(), p)
		}
	}
}

const okFeature = `{"type":"Feature","properties":{"name":"道路"},"geometry":{"type":"Point","coordinates":[113,29]}}`

// TestDepthBombRefused: coordinates nested 10,000 deep, which
// encoding/json itself would still walk, stop at the default 64.
func TestDepthBombRefused(t *testing.T) {
	deep := `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":` +
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`
	for _, src := range []string{
		`{"type":"FeatureCollection","features":[` + okFeature + "," + deep + `]}`,
		okFeature + "\n" + deep + "\n",
	} {
		n, err := readAll(t, src)
		if n != 1 {
			t.Errorf("read %d features before the bomb, want 1", n)
		}
		wantTooLarge(t, err, "第 2 个要素", "嵌套超过 64 层")
	}
	// In properties too, where nested values are kept as JSON text.
	_, err := readAll(t, `{"type":"Feature","properties":{"a":`+strings.Repeat(`{"b":`, 100)+`1`+strings.Repeat("}", 100)+`}}`)
	wantTooLarge(t, err, "第 1 行", "第 1 个要素", "嵌套超过 64 层")
	// A real MultiPolygon stays well inside.
	if _, err := readAll(t, `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}`); err != nil {
		t.Fatal(err)
	}
}

// TestFeatureOverLimitRefused: a feature longer than the limit is
// refused, in a FeatureCollection and as a GeoJSONSeq line, before the
// reader holds much more than the limit.
func TestFeatureOverLimitRefused(t *testing.T) {
	setLimits(t, 1<<20, maxJSONDepth, maxStringBytes)
	big := `{"type":"Feature","properties":{"s":[` + strings.Repeat(`"abcdefgh",`, 200_000) + `"x"]}}`
	n, err := readAll(t, `{"type":"FeatureCollection","features":[`+okFeature+","+big+`]}`)
	if n != 1 {
		t.Errorf("read %d features before the big one, want 1", n)
	}
	wantTooLarge(t, err, "第 2 个要素", "要素超过上限 1 MiB")
	n, err = readAll(t, okFeature+"\n"+okFeature+"\n"+big+"\n")
	if n != 2 {
		t.Errorf("read %d features before the big one, want 2", n)
	}
	wantTooLarge(t, err, "第 3 行", "第 3 个要素", "要素超过上限 1 MiB")
}

// TestStringOverLimitRefused: one string longer than the limit is
// refused with its length, in properties or anywhere else.
func TestStringOverLimitRefused(t *testing.T) {
	setLimits(t, maxFeatureBytes, maxJSONDepth, 1<<10)
	long := strings.Repeat("村", 400) // 1200 bytes
	_, err := readAll(t, okFeature+"\n"+`{"type":"Feature","properties":{"name":"`+long+`"}}`+"\n")
	wantTooLarge(t, err, "第 2 行", "字符串长度 1200 字节超过上限 1 KiB")
	_, err = readAll(t, `{"type":"FeatureCollection","features":[{"type":"Feature","foo":"`+long+`"}]}`)
	wantTooLarge(t, err, "第 1 个要素", "超过上限 1 KiB")
	// At the limit it reads.
	if _, err := readAll(t, `{"type":"Feature","properties":{"name":"`+strings.Repeat("x", 1<<10)+`"}}`); err != nil {
		t.Fatal(err)
	}
}

// TestCSVRowOverLimitRefused: a row longer than the limit, on one line or
// spread over the lines of a quoted cell, is refused with its row number
// before encoding/csv buffers all of it.
func TestCSVRowOverLimitRefused(t *testing.T) {
	old := maxRowBytes
	maxRowBytes = 1 << 20
	t.Cleanup(func() { maxRowBytes = old })
	for name, cell := range map[string]string{
		"line":   strings.Repeat("村", 1<<20),                // 3 MiB on one line
		"quoted": `"` + strings.Repeat("一组\n", 1<<18) + `"`, // 1.75 MiB over many lines
	} {
		src := "名称,经度,纬度\n羊楼司,113.1,29.2\n" + cell + ",113.2,29.3\n"
		c, err := OpenCSV(strings.NewReader(src), CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for c.Next() {
			n++
		}
		if n != 1 {
			t.Errorf("%s: read %d rows before the long one, want 1", name, n)
		}
		wantTooLarge(t, c.Err(), "第 3 行", "一行超过上限 1 MiB")
	}
	// Rows that together pass the limit are fine one by one.
	src := "名称,经度,纬度\n" + strings.Repeat(strings.Repeat("村", 1000)+",113.2,29.3\n", 1000)
	c, err := OpenCSV(strings.NewReader(src), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for c.Next() {
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
}
