// Package callback owns phone callbacks: a customer the policy entitles
// asks to be called back in a time window and a language; the request
// becomes a phone conversation routed like any other (to the account
// manager first); the customer is told beforehand which staff ID will call
// and when; the agent places the call through the SIP trunk (or dials from
// a desk phone and records the outcome); and recordings are deleted when
// their retention runs out. The desk never dials anyone who did not ask:
// the only way to a call is a callback request.
package callback

import (
	"context"
	"time"
)

// State is where a callback request stands.
type State string

const (
	// Requested: the customer asked; nobody has told them who calls yet.
	Requested State = "requested"
	// Scheduled: the customer was told the staff ID and the time; the
	// call may be placed.
	Scheduled State = "scheduled"
	// Calling: a call is in progress through the trunk.
	Calling State = "calling"
	// Done: a call reached the customer (or the agent closed the request).
	Done State = "done"
)

// Outcome is how one call attempt ended.
type Outcome string

const (
	Answered  Outcome = "answered"
	Busy      Outcome = "busy"
	NoAnswer  Outcome = "no_answer"
	Failed    Outcome = "failed"
	Cancelled Outcome = "cancelled"
)

// Outcomes lists every outcome, for validation and forms.
var Outcomes = []Outcome{Answered, Busy, NoAnswer, Failed, Cancelled}

// Callback is one customer's request to be called.
type Callback struct {
	ID             int64      `json:"id"`
	ConversationID int64      `json:"conversation_id"`
	CustomerID     int64      `json:"customer_id"`
	Reason         string     `json:"reason"` // why the policy allowed it: vip, account_manager, security
	Language       string     `json:"language"`
	WindowStart    time.Time  `json:"window_start"`
	WindowEnd      time.Time  `json:"window_end"`
	State          State      `json:"state"`
	AgentID        int64      `json:"agent_id,omitempty"`    // who will call (set with the notice)
	StaffID        string     `json:"staff_id,omitempty"`    // that agent's public staff ID
	CallAt         *time.Time `json:"call_at,omitempty"`     // the time the customer was told
	NotifiedAt     *time.Time `json:"notified_at,omitempty"` // when the notice was written
	Attempts       int        `json:"attempts"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	phone          string
}

// Call is one attempt to reach the customer.
type Call struct {
	ID          int64      `json:"id"`
	CallbackID  int64      `json:"callback_id"`
	AgentID     int64      `json:"agent_id"`
	Via         string     `json:"via"` // sip or desk_phone
	Outcome     Outcome    `json:"outcome,omitempty"`
	SIPStatus   int        `json:"sip_status,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	Seconds     int        `json:"duration_seconds"`
	Recording   string     `json:"recording,omitempty"`
	RecordingAt *time.Time `json:"recording_deleted_at,omitempty"`
}

// Dial is what the dialer needs to place one call.
type Dial struct {
	CallID int64
	// Number is the customer's number, "+" and digits.
	Number  string
	StaffID string
	// OnAnswer is told when the customer picks up, so the console can
	// show the call as connected while it lasts.
	OnAnswer func(at time.Time)
}

// Result is how the dialer saw the call end.
type Result struct {
	Outcome    Outcome
	SIPStatus  int // the final answer to the INVITE (200, 486, 487…)
	StartedAt  time.Time
	AnsweredAt *time.Time
	EndedAt    time.Time
	// Recording is the trunk's reference to the call's recording, when it
	// sent one.
	Recording string
	// Detail says what failed, for the note agents read (no secrets).
	Detail string
}

// Dialer places calls. Dial blocks until the call ends: the customer
// declines, nobody answers in time, either side hangs up, or ctx ends
// (the agent hung up, the desk is stopping), which cancels or ends the
// call on the line.
type Dialer interface {
	Dial(ctx context.Context, d Dial) Result
}
