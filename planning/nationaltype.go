package planning

// NationalTypes are the 项目类型 of the national 项目库 (国务院扶贫办《关于完善
// 县级脱贫攻坚项目库建设的指导意见》, 2018), in the order the 申报表 lists
// them.
var NationalTypes = []string{"产业发展", "就业扶贫", "易地扶贫搬迁", "农村基础设施", "生活条件改善",
	"教育扶贫", "健康扶贫", "危房改造", "金融扶贫", "综合保障性扶贫", "村级组织建设", "项目管理费"}

// NationalType is where a 项目类别 of the library falls among the national
// 项目类型: the type and, where the category names one, its sub-type.
type NationalType struct {
	Type    string // one of NationalTypes
	Subtype string // e.g. 农村道路建设; "" when the category is the whole type
}

// Label is the type and sub-type as the 申报表 names a group, e.g.
// "农村基础设施·农村道路建设".
func (n NationalType) Label() string {
	if n.Subtype == "" {
		return n.Type
	}
	return n.Type + "·" + n.Subtype
}

// nationalTypes is the one mapping of the library's categories onto the
// national 项目类型 (README, "项目库 申报表"). 光伏 stations are an 产业发展
// project: their income is the village's (domain.md §5, §6).
var nationalTypes = map[string]NationalType{
	CatRoad:  {"农村基础设施", "农村道路建设"},
	CatWater: {"农村基础设施", "农村饮水安全"},
	CatGrid:  {"农村基础设施", "农村电网"},
	CatPV:    {"产业发展", "光伏扶贫"},
	"产业发展":   {"产业发展", ""},
	"就业扶贫":   {"就业扶贫", ""},
	"基础设施":   {"农村基础设施", ""},
	"生活条件改善": {"生活条件改善", ""},
	"教育":     {"教育扶贫", ""},
	"健康":     {"健康扶贫", ""},
	"项目管理费":  {"项目管理费", ""},
}

// NationalTypeOf returns the national 项目类型 of a category, and false for
// a category the library does not accept.
func NationalTypeOf(category string) (NationalType, bool) {
	n, ok := nationalTypes[category]
	return n, ok
}
