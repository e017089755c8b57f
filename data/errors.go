package data

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gapmap/gapmap/planning"
)

// tableTitles are the Chinese names users see for each table.
var tableTitles = map[string]string{
	"sources":       "数据来源",
	"counties":      "县",
	"townships":     "乡镇",
	"villages":      "村",
	"roads":         "道路",
	"bridges":       "桥梁",
	"bus_stops":     "客运站点",
	"reservoirs":    "水库",
	"water_works":   "供水工程",
	"water_mains":   "供水管网",
	"substations":   "变电站",
	"power_lines":   "电力线路",
	"transformers":  "配电变压器",
	"pv_stations":   "光伏电站",
	"tourism_sites": "旅游景点",
	"projects":      "项目库",
}

// checkReasons explains, for users, the CHECK constraints whose rule is not
// obvious from the field name. Keys follow the schema's naming convention
// <table>_<column>_check.
var checkReasons = map[string]string{
	"counties_code_check":              "县代码必须是6位数字",
	"townships_code_check":             "乡镇代码必须是9位数字，且前6位等于所属县代码",
	"villages_code_check":              "村代码必须是12位统计用区划代码，且前9位等于所属乡镇代码（自然村/村民组不填）",
	"villages_kind_check":              "类型只能是 行政村、社区、自然村、村民组",
	"villages_parent_id_check":         "自然村/村民组必须有所属行政村，行政村和社区不能有",
	"villages_poor_households_check":   "建档立卡贫困户数不能为负，也不能超过总户数",
	"villages_poor_population_check":   "建档立卡贫困人口不能为负，也不能超过总人口",
	"villages_is_poor_village_check":   "只有行政村或社区可以是贫困村",
	"roads_grade_check":                "道路等级只能是 高速、国道、省道、县道、乡道、村道、通组路、专用",
	"roads_surface_check":              "路面类型只能是 沥青、水泥、砂石、土",
	"roads_width_m_check":              "路面宽度（米）必须大于0且不超过60",
	"bridges_condition_class_check":    "桥梁技术状况等级必须是1到5类",
	"bridges_is_dangerous_check":       "危桥标记必须与技术状况一致（4、5类为危桥）",
	"reservoirs_scale_check":           "水库规模只能是 大(1)型、大(2)型、中型、小(1)型、小(2)型",
	"reservoirs_capacity_wan_m3_check": "库容（万m³）必须大于0",
	"reservoirs_safety_status_check":   "安全状况只能是 病险 或 已除险加固",
	"water_works_kind_check":           "供水工程类型只能是 城镇水厂、乡镇水厂、单村供水、分散供水",
	"water_works_guarantee_pct_check":  "供水保证率必须在0到100之间",
	"substations_voltage_kv_check":     "变电站电压等级只能是 35、110、220、500 kV",
	"power_lines_voltage_kv_check":     "线路电压等级只能是 0.22、0.4、10、35、110、220、500 kV",
	"power_lines_phases_check":         "相数只能是1或3（0.22 kV 为单相）",
	"transformers_kva_check":           "配变容量（kVA）必须大于0且不超过2500",
	"transformers_phases_check":        "相数只能是1或3（0.22 kV 为单相）",
	"pv_stations_type_check":           "光伏电站类型只能是 村级、户用、集中式",
	"pv_stations_kw_check":             "装机容量（kW）必须大于0",
	"tourism_sites_a_level_check":      "A级只能是0到5",
	"projects_status_check":            "项目状态不在项目库流程之内",
	"projects_library_targets_check":   "已入库及之后的项目必须有绩效目标",
	"projects_year_plan_check":         "纳入年度计划及之后的项目必须有年度",
}

// translate turns a pgx error into a *planning.Error a user can act on,
// keeping the original error for logs. op names the operation for context.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &planning.Error{Code: planning.ENotFound, Message: "没有找到", Err: fmt.Errorf("%s: %w", op, err)}
	case errors.As(err, &pgErr):
		return &planning.Error{Code: pgCode(pgErr), Message: pgMessage(pgErr), Err: fmt.Errorf("%s: %w", op, err)}
	case errors.Is(err, context.DeadlineExceeded):
		return &planning.Error{Code: planning.EUnavailable, Message: "数据库查询超时，请稍后重试", Err: fmt.Errorf("%s: %w", op, err)}
	case isConnectError(err):
		return &planning.Error{Code: planning.EUnavailable, Message: "无法连接数据库，请检查数据库是否启动以及 DATABASE_URL 是否正确", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err)
}

func isUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

func pgCode(e *pgconn.PgError) string {
	switch {
	case e.Code == "23505":
		return planning.EConflict
	case strings.HasPrefix(e.Code, "22"), strings.HasPrefix(e.Code, "23"), e.Code == "XX000" && isGeometryError(e):
		return planning.EInvalid
	case strings.HasPrefix(e.Code, "08"), strings.HasPrefix(e.Code, "57P"), e.Code == "3D000", e.Code == "28P01", e.Code == "28000":
		return planning.EUnavailable
	}
	return planning.EInternal
}

// isGeometryError reports PostGIS errors about the geometry a user gave
// (parse failures and the like), which PostGIS raises as internal errors.
func isGeometryError(e *pgconn.PgError) bool {
	return strings.Contains(e.Message, "geometry") || strings.Contains(e.Message, "Geometry")
}

// pgMessage says in Chinese which table and field a database error concerns
// and why, relying on the schema's constraint naming convention.
func pgMessage(e *pgconn.PgError) string {
	table := tableTitles[e.TableName]
	if table == "" {
		table = e.TableName
	}
	where := fmt.Sprintf("%s（%s）", table, e.TableName)
	switch e.Code {
	case "23514": // check_violation
		field := strings.TrimSuffix(strings.TrimPrefix(e.ConstraintName, e.TableName+"_"), "_check")
		reason := checkReasons[e.ConstraintName]
		if reason == "" {
			reason = "取值不符合约束 " + e.ConstraintName
		}
		return fmt.Sprintf("%s 字段 %s 无效：%s", where, field, reason)
	case "23502": // not_null_violation
		return fmt.Sprintf("%s 字段 %s 不能为空", where, e.ColumnName)
	case "23505": // unique_violation
		return fmt.Sprintf("%s 已存在相同的记录（%s）：%s", where, e.ConstraintName, e.Detail)
	case "23503": // foreign_key_violation
		return fmt.Sprintf("%s 引用的记录不存在（%s）：%s", where, e.ConstraintName, e.Detail)
	case "3D000", "28P01", "28000":
		return "无法登录数据库：" + e.Message
	}
	if strings.HasPrefix(e.Code, "08") || strings.HasPrefix(e.Code, "57P") {
		return "数据库连接中断，请稍后重试"
	}
	if strings.HasPrefix(e.Code, "22") || isGeometryError(e) {
		return fmt.Sprintf("数据无效：%s", e.Message)
	}
	return "数据库错误，请联系管理员"
}
