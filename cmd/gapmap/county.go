package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// countyInitOptions are the flags of `gapmap county init`.
type countyInitOptions struct {
	Code    string // 6-digit county code
	Replace bool   // remove another county's data first
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func countyInitFlags(fs *flag.FlagSet, o *countyInitOptions) func() error {
	fs.StringVar(&o.Code, "code", "", "the county's 6-digit 统计用区划代码, e.g. 430682")
	fs.BoolVar(&o.Replace, "replace", false, "when another county has data: delete every layer's rows, the scoring runs and the 项目库 first")
	return func() error {
		if !sixDigits.MatchString(o.Code) {
			return fmt.Errorf("--code: want the county's 6-digit code, got %q", o.Code)
		}
		return nil
	}
}

// countyInit runs `gapmap county init`: the county's townships and
// villages from the national code list, without locations.
func countyInit(ctx context.Context, a app, o countyInitOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	res, err := a.store.InitCounty(ctx, o.Code, o.Replace)
	if err != nil {
		return err
	}
	if len(res.Replaced) > 0 {
		fmt.Fprintf(a.stdout, "已删除原有县的全部数据：%s\n", strings.Join(res.Replaced, "、"))
	}
	fmt.Fprintf(a.stdout, "%s %s %s %s（%s）\n", res.Province, res.City, res.Code, res.Name, res.CodeList)
	fmt.Fprintf(a.stdout, "乡镇 %d 个（新增 %d），村级单位 %d 个（新增 %d；社区 %d，行政村 %d）\n",
		res.Townships, res.AddedTownships, res.Villages, res.AddedVillages, res.Communities, res.Villages-res.Communities)
	if res.Shortened > 0 || res.ByCode > 0 {
		fmt.Fprintf(a.stdout, "名称按简称保存 %d 个（…村民委员会 → …村），按代码末三位定类型 %d 个\n", res.Shortened, res.ByCode)
	}
	fmt.Fprintf(a.stdout, "未定位的村 %d 个：导入含代码和坐标的文件（gapmap import --layer villages --mode upsert），\n"+
		"或按名称匹配点文件（gapmap county locate），或在地图页上定位\n", res.Unlocated)
	return nil
}

// countyLocateOptions are the flags of `gapmap county locate`.
type countyLocateOptions struct {
	Points        string // GeoJSON FeatureCollection of points
	NameField     string
	TownshipField string
	SRS           string // wgs84 (also CGCS2000), gcj02 or bd09
	DryRun        bool
}

func countyLocateFlags(fs *flag.FlagSet, o *countyLocateOptions) func() error {
	fs.StringVar(&o.Points, "points", "", "GeoJSON FeatureCollection of points (村委会, settlements) carrying village names")
	fs.StringVar(&o.NameField, "name-field", "name", "the property holding the village name")
	fs.StringVar(&o.TownshipField, "township-field", "", "the property holding the township name or code (names repeat across townships)")
	fs.StringVar(&o.SRS, "srs", "wgs84", "the points' coordinates: wgs84 (also CGCS2000), gcj02 or bd09")
	fs.BoolVar(&o.DryRun, "dry-run", false, "report the matches without writing")
	return func() error {
		if o.Points == "" {
			return errors.New("--points: the point file is required")
		}
		if _, err := geo.ParseDatum(o.SRS); err != nil {
			return fmt.Errorf("--srs: %w", err)
		}
		return nil
	}
}

// countyLocate runs `gapmap county locate`: the county's 未定位 villages
// placed at the points whose names match theirs, within the township a
// point names. Ambiguous, repeated and unmatched names are listed, never
// guessed.
func countyLocate(ctx context.Context, a app, o countyLocateOptions) error {
	raw, err := os.ReadFile(o.Points)
	if err != nil {
		return err
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return fmt.Errorf("%s: not a GeoJSON FeatureCollection: %w", o.Points, err)
	}
	datum, _ := geo.ParseDatum(o.SRS)
	var points []planning.NamedPoint
	skipped := 0
	for i, f := range fc.Features {
		pt, ok := f.Geometry.(orb.Point)
		name := strings.TrimSpace(f.Properties.MustString(o.NameField, ""))
		if !ok || name == "" {
			skipped++
			continue
		}
		p := planning.NamedPoint{Row: i + 1, Name: name, Point: geo.ToWGS84(pt, datum).(orb.Point)}
		if o.TownshipField != "" {
			p.Township = fmt.Sprint(f.Properties[o.TownshipField])
		}
		points = append(points, p)
	}
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	rep, err := a.store.LocateByName(ctx, points, planning.LocationNameMatch+filepath.Base(o.Points), o.DryRun)
	if err != nil {
		return err
	}
	verb := "已定位"
	if o.DryRun {
		verb = "可定位（试运行，未写入）"
	}
	fmt.Fprintf(a.stdout, "%s %d 个村；已有位置未改 %d 个；同名多村 %d 个；文件内重名 %d 个；无匹配 %d 个；县界外（未定位）%d 个；无名称或非点要素 %d 个\n",
		verb, len(rep.Located), len(rep.Already), len(rep.Ambiguous), len(rep.Repeated), len(rep.Unmatched), len(rep.Outside), skipped)
	for _, l := range []struct {
		title string
		rows  []planning.LocateRow
	}{{"同名多村（请加 --township-field 或在地图上定位）", rep.Ambiguous}, {"文件内重名（未使用）", rep.Repeated}, {"无匹配", rep.Unmatched}, {"县界外（请核对坐标）", rep.Outside}} {
		for _, r := range l.rows {
			fmt.Fprintf(a.stdout, "  %s：第 %d 行 %s", l.title, r.Row, r.Name)
			if r.Township != "" {
				fmt.Fprintf(a.stdout, "（%s）", r.Township)
			}
			if len(r.Candidates) > 0 {
				fmt.Fprintf(a.stdout, " → %s", strings.Join(r.Candidates, "、"))
			}
			if r.OutsideKm > 0 {
				fmt.Fprintf(a.stdout, " → %s，位于县界外 %.1f km", r.Code, r.OutsideKm)
			}
			fmt.Fprintln(a.stdout)
		}
	}
	return nil
}

// countyProfileOptions are the flags of `gapmap county profile`.
type countyProfileOptions struct {
	Set string // a profile file to store as the county's own
}

func countyProfileFlags(fs *flag.FlagSet, o *countyProfileOptions) func() error {
	fs.StringVar(&o.Set, "set", "", "store this profile file (JSON, as for --profile) as the county's own: its targets, prices, responsible units")
	return nil
}

// countyProfile runs `gapmap county profile`: it prints the county's own
// profile overrides, or stores a file as them.
func countyProfile(ctx context.Context, a app, o countyProfileOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	if o.Set != "" {
		raw, err := os.ReadFile(o.Set)
		if err != nil {
			return err
		}
		if err := a.store.SetCountyOverrides(ctx, raw); err != nil {
			return fmt.Errorf("profile %s: %w", o.Set, err)
		}
	}
	own, err := a.store.CountyOverrides(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n", own)
	return nil
}
