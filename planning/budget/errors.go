package budget

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
