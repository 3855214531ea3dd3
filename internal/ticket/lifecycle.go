package ticket

import "vigil/internal/apperr"

// transitions lists the status changes an agent may make by hand.
// StatusClosed is final: a customer writing again starts a follow-up.
var transitions = map[Status][]Status{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
	StatusSolved:  {StatusOpen, StatusClosed},
	StatusClosed:  {},
}

// CanTransition reports whether an agent may move a conversation from one
// status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

func checkTransition(from, to Status) error {
	if _, ok := transitions[to]; !ok {
		return apperr.Field("status", "conversation.status_invalid", "unknown status %q", to)
	}
	if from == to {
		return nil
	}
	if !CanTransition(from, to) {
		return apperr.Conflictf("conversation.invalid_transition", "cannot change status from %s to %s", from, to)
	}
	return nil
}

// afterCustomerMessage is the status a conversation takes when the
// customer writes: anything waiting or solved comes back to the agents.
func afterCustomerMessage(s Status) Status {
	switch s {
	case StatusPending, StatusOnHold, StatusSolved:
		return StatusOpen
	}
	return s
}

// afterAgentReply is the status after a public agent reply, unless the
// agent chose one: a new conversation becomes open.
func afterAgentReply(s Status) Status {
	if s == StatusNew {
		return StatusOpen
	}
	return s
}
