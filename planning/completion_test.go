package planning

import (
	"strings"
	"testing"
)

// TestCompletes: completion is reached by the move into the county's
// completion state (or past it), undone by a move back before it, and
// neither by other moves.
func TestCompletes(t *testing.T) {
	cases := []struct {
		from, to, state   string
		completes, undoes bool
	}{
		{StateBuilt, StateAccepted, StateAccepted, true, false},
		{StateAccepted, StateBuilt, StateAccepted, false, true},
		{StateBuilding, StateBuilt, StateAccepted, false, false},
		{StateBuilding, StateBuilt, StateBuilt, true, false},
		{StateBuilt, StateBuilding, StateBuilt, false, true},
		{StateAccepted, StateBuilt, StateBuilt, false, false}, // still complete
		{StateAccepted, StateEvaluated, StateAccepted, false, false},
		{StateAnnualPlan, StateWithdrawn, StateAccepted, false, false},
	}
	for _, c := range cases {
		if got := Completes(c.from, c.to, c.state); got != c.completes {
			t.Errorf("Completes(%s → %s, at %s) = %v, want %v", c.from, c.to, c.state, got, c.completes)
		}
		if got := Uncompletes(c.from, c.to, c.state); got != c.undoes {
			t.Errorf("Uncompletes(%s → %s, at %s) = %v, want %v", c.from, c.to, c.state, got, c.undoes)
		}
	}
	// The back moves exist in the state machine, with a reason.
	p := Project{Name: "x", Status: StateAccepted}
	if err := CheckTransition(p, StateBuilt, ""); ErrorCode(err) != EInvalid {
		t.Errorf("已验收 → 已完工 without a reason: %v", err)
	}
	if err := CheckTransition(p, StateBuilt, "验收不合格"); err != nil {
		t.Errorf("已验收 → 已完工 with a reason: %v", err)
	}
}

// TestCompletionStateProfile: the county chooses 已完工 or 已验收; anything
// else is refused naming the key.
func TestCompletionStateProfile(t *testing.T) {
	if got := DefaultProfile().CompletionState; got != StateAccepted {
		t.Errorf("default completion state %q, want 已验收", got)
	}
	p, err := ParseProfile(strings.NewReader(`{"completion_state": "已完工"}`))
	if err != nil || p.CompletionState != StateBuilt {
		t.Errorf("completion_state 已完工: %q, %v", p.CompletionState, err)
	}
	if _, err := ParseProfile(strings.NewReader(`{"completion_state": "实施中"}`)); err == nil || !strings.Contains(err.Error(), "completion_state") {
		t.Errorf("completion_state 实施中: %v, want refused naming the key", err)
	}
}

// TestAsBuiltValidate: each bad value is named in Chinese; good ones pass.
func TestAsBuiltValidate(t *testing.T) {
	w, big, class := 5.0, 100.0, 4
	if err := (AsBuilt{WidthM: &w, Surface: "沥青", CompletedOn: "2016-06-30"}).Validate(); err != nil {
		t.Errorf("good values: %v", err)
	}
	for _, c := range []struct {
		ab   AsBuilt
		want string
	}{
		{AsBuilt{WidthM: &big}, "路面宽"},
		{AsBuilt{Surface: "砂石"}, "路面"},
		{AsBuilt{CompletedOn: "2016-13-01"}, "完工日期"},
		{AsBuilt{ConditionClass: &class}, "技术状况等级"},
	} {
		if err := c.ab.Validate(); ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), c.want) {
			t.Errorf("%+v: %v, want invalid naming %s", c.ab, err, c.want)
		}
	}
}
