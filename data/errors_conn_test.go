package data

import (
	"fmt"
	"io"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// TestTranslateLostConnection: PostgreSQL stopped mid-query leaves pgx an
// unexpected EOF; that is the database being unavailable (503), not an
// internal error (500). The fault suite (cmd/gapmap/faults) found session
// look-ups answering 500 with it.
func TestTranslateLostConnection(t *testing.T) {
	err := translate(fmt.Errorf("read message: %w", io.ErrUnexpectedEOF), "session")
	if code := planning.ErrorCode(err); code != planning.EUnavailable {
		t.Errorf("code = %q, want %q", code, planning.EUnavailable)
	}
}
