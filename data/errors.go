package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
)

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
	// A server that stops or ends the session mid-query leaves pgx an
	// unexpected EOF on the socket: the connection is gone, not the query
	// wrong.
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF)
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
// and why, relying on the schema's constraint naming convention. Titles and
// reasons come from the built-in catalogue: the tables a statement can fail
// on are gapmap's own.
func pgMessage(e *pgconn.PgError) string {
	table := catalog.Default().Title(e.TableName)
	if table == "" {
		table = e.TableName
	}
	where := fmt.Sprintf("%s（%s）", table, e.TableName)
	switch e.Code {
	case "23514": // check_violation
		if e.TableName == "" {
			// Raised by a constraint trigger (migration 0023), whose
			// message is written for users.
			return e.Message
		}
		field := strings.TrimSuffix(strings.TrimPrefix(e.ConstraintName, e.TableName+"_"), "_check")
		reason := catalog.Default().CheckReason(e.TableName, e.ConstraintName)
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
