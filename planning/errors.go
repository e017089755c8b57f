package planning

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to one HTTP status in cmd/gapmap/api.
const (
	EInvalid      = "invalid"      // bad input from the user: 400
	ENotFound     = "not_found"    // 404
	EConflict     = "conflict"     // duplicate or state conflict: 409
	EUnauthorized = "unauthorized" // no authenticated user (not logged in, session expired): 401
	EForbidden    = "forbidden"    // the user lacks the role the action needs: 403
	ETooMany      = "too_many"     // too many attempts (login lockout): 429
	EUnavailable  = "unavailable"  // the database cannot be reached or is not ready: 503
	ETimeout      = "timeout"      // the work outlasted its time budget (a tile render): 504
	EInternal     = "internal"     // a bug or an unexpected failure: 500
)

// Error is an error whose Message can be shown to a user as it is. Messages
// are in Chinese; Code classifies the error; Err keeps the cause for logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	// A message often already says what its cause says (a file's name put
	// before an *Error's message, a parser's Chinese text): the cause is
	// added only when it says more, so that the CLI prints a message once.
	cause := e.Err
	for inner := (*Error)(nil); errors.As(cause, &inner) && inner == cause && strings.Contains(e.Message, inner.Message); {
		cause = inner.Err
	}
	if cause != nil && !strings.Contains(e.Message, cause.Error()) {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted user message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EInternal
	}
}

// ErrorMessage returns the user message of the first *Error in err's chain,
// or a generic message that reveals nothing internal. Errors joined with
// errors.Join (validation reports every problem) give every message.
func ErrorMessage(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var msgs []string
		for _, e := range j.Unwrap() {
			msgs = append(msgs, ErrorMessage(e))
		}
		return strings.Join(msgs, "；")
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "服务器内部错误，请稍后重试或联系管理员"
}
