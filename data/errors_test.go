package data

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gapmap/gapmap/planning"
)

func TestTranslateNamesTableAndField(t *testing.T) {
	cases := []struct {
		name     string
		err      *pgconn.PgError
		wantCode string
		want     []string
	}{
		{
			name:     "check names the field and the rule",
			err:      &pgconn.PgError{Code: "23514", TableName: "villages", ConstraintName: "villages_code_check"},
			wantCode: planning.EInvalid,
			want:     []string{"村（villages）", "字段 code", "12位统计用区划代码"},
		},
		{
			name:     "check without a reason still names the field",
			err:      &pgconn.PgError{Code: "23514", TableName: "roads", ConstraintName: "roads_year_check"},
			wantCode: planning.EInvalid,
			want:     []string{"道路（roads）", "字段 year", "roads_year_check"},
		},
		{
			name:     "not null",
			err:      &pgconn.PgError{Code: "23502", TableName: "power_lines", ColumnName: "voltage_kv"},
			wantCode: planning.EInvalid,
			want:     []string{"电力线路（power_lines）", "字段 voltage_kv 不能为空"},
		},
		{
			name:     "duplicate",
			err:      &pgconn.PgError{Code: "23505", TableName: "villages", ConstraintName: "villages_code_code_year_key", Detail: "Key (code, code_year)=(430682101201, 2023) already exists."},
			wantCode: planning.EConflict,
			want:     []string{"已存在", "430682101201"},
		},
		{
			name:     "bad login is unavailable",
			err:      &pgconn.PgError{Code: "28P01", Message: "password authentication failed"},
			wantCode: planning.EUnavailable,
			want:     []string{"无法登录数据库"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err, "test")
			if code := planning.ErrorCode(got); code != tc.wantCode {
				t.Errorf("code = %q, want %q", code, tc.wantCode)
			}
			msg := planning.ErrorMessage(got)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}
