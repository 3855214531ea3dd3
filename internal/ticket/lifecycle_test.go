package ticket

import "testing"

func TestTransitions(t *testing.T) {
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{StatusNew, StatusOpen, true},
		{StatusNew, StatusSolved, true},
		{StatusNew, StatusClosed, false},
		{StatusOpen, StatusPending, true},
		{StatusOpen, StatusOnHold, true},
		{StatusPending, StatusOpen, true},
		{StatusOnHold, StatusSolved, true},
		{StatusSolved, StatusOpen, true},
		{StatusSolved, StatusClosed, true},
		{StatusClosed, StatusOpen, false},
		{StatusClosed, StatusSolved, false},
		{StatusOpen, StatusNew, false},
		{StatusPending, StatusClosed, false},
	}
	for _, tt := range tests {
		err := checkTransition(tt.from, tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("%s → %s: err = %v, want allowed=%v", tt.from, tt.to, err, tt.ok)
		}
	}
	if err := checkTransition(StatusOpen, "archived"); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestCustomerMessageReopens(t *testing.T) {
	for from, want := range map[Status]Status{StatusNew: StatusNew, StatusOpen: StatusOpen, StatusPending: StatusOpen, StatusOnHold: StatusOpen, StatusSolved: StatusOpen} {
		if got := afterCustomerMessage(from); got != want {
			t.Errorf("customer writes on %s: got %s, want %s", from, got, want)
		}
	}
	if afterAgentReply(StatusNew) != StatusOpen || afterAgentReply(StatusPending) != StatusPending {
		t.Error("agent reply: new must become open, others keep their status")
	}
}
