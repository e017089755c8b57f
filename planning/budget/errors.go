package budget

import (
	"fmt"
	"strings"
)

// Error reports input that Fit cannot schedule: a rule it breaks (plan
// years out of order, a cost that is not positive, a duplicate Key, an
// After that is unknown or circular, …) or Fixed items that already exceed
// a budget. Message is in Chinese, names the items or years at fault and
// is meant to be shown to users as it is; planning.MakePlan passes it on as
// an invalid-input error.
type Error struct {
	Message string
}

func (e *Error) Error() string { return "budget: " + e.Message }

// invalid joins validation problems into one *Error, as planning's
// Project.Validate does, listing the first few when there are many.
func invalid(bad []string) *Error {
	if len(bad) > maxMessages {
		bad = append(bad[:maxMessages:maxMessages], fmt.Sprintf("等共 %d 处问题", len(bad)))
	}
	return &Error{Message: strings.Join(bad, "；")}
}
