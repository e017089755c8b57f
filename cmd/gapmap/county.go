package main

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"strings"
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
