package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestCountyCommands: `county init` prints what it set up and changes
// nothing the second time; `county locate` places by name and lists the
// names it could not; `county profile` stores the county's targets.
func TestCountyCommands(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	var out bytes.Buffer
	if err := run(ctx, []string{"county", "init", "--code", "430682"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"湖南省 岳阳市 430682 临湘市", "乡镇 14 个（新增 14）", "村级单位 161 个（新增 161；社区 47，行政村 114）", "未定位的村 161 个"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("county init output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"county", "init", "--code", "430682"}, env, &out, io.Discard); err != nil || !strings.Contains(out.String(), "（新增 0）") {
		t.Errorf("second init: %v\n%s", err, out.String())
	}
	err := run(ctx, []string{"county", "init", "--code", "430626"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("another county without --replace: %v", err)
	}
	if err := run(ctx, []string{"county", "init", "--code", "4306"}, env, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "6-digit") {
		t.Errorf("short code: %v", err)
	}

	points := filepath.Join(t.TempDir(), "村委会.geojson")
	if err := os.WriteFile(points, []byte(`{"type": "FeatureCollection", "features": [
		{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.46, 29.47]}, "properties": {"名称": "长城社区"}},
		{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.47, 29.48]}, "properties": {"名称": "杨田村民委员会"}},
		{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.48, 29.49]}, "properties": {"名称": "没有这个村"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"county", "locate", "--points", points, "--name-field", "名称"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"已定位 2 个村", "无匹配 1 个", "无匹配：第 3 行 没有这个村"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("county locate output lacks %q:\n%s", want, out.String())
		}
	}
	var src string
	if err := db.Pool.QueryRow(ctx, `SELECT location_source FROM villages WHERE code = '430682001201'`).Scan(&src); err != nil || src != "name-match:村委会.geojson" {
		t.Errorf("杨田村 location_source %q, %v", src, err)
	}

	profile := filepath.Join(t.TempDir(), "county.json")
	if err := os.WriteFile(profile, []byte(`{"targets": {"bridges": 40}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"county", "profile", "--set", profile}, env, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"bridges": 40`) {
		t.Errorf("county profile: %v\n%s", err, out.String())
	}
}
