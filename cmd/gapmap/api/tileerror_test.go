package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// TestTileErrorKeepsUnavailable: a tile whose render lost the database
// (PostgreSQL restarting, its connection terminated) is a 503 to retry,
// as the API's reads are; only a failure of the render itself is a 500.
// The fault suite (cmd/gapmap/faults) found these answered 500.
func TestTileErrorKeepsUnavailable(t *testing.T) {
	down := &planning.Error{Code: planning.EUnavailable, Message: "数据库连接中断，请稍后重试", Err: errors.New("FATAL: terminating connection (SQLSTATE 57P01)")}
	if got := tileError(fmt.Errorf("tile: %w", down)); planning.ErrorCode(got) != planning.EUnavailable || planning.ErrorMessage(got) != down.Message {
		t.Errorf("a lost database gives %q %q, want unavailable with the store's message", planning.ErrorCode(got), planning.ErrorMessage(got))
	}
	if got := tileError(errors.New("mvt: bad geometry")); planning.ErrorCode(got) != planning.EInternal {
		t.Errorf("a failed render gives %q, want internal", planning.ErrorCode(got))
	}
}
