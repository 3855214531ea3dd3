// Package ticket owns conversations (a chat and a ticket are one thing) and
// their messages: the lifecycle, sequence numbers, tags, attachments and
// merges. Channels and the console change conversations only through it.
package ticket

import (
	"slices"
	"time"

	"vigil/internal/apperr"
)

// Status is where a conversation stands in its lifecycle.
type Status string

const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusPending Status = "pending" // waiting on the customer
	StatusOnHold  Status = "on_hold" // waiting on a third party: the chain, finance
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

// Statuses in lifecycle order.
var Statuses = []Status{StatusNew, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed}

// Priority orders the queue.
type Priority int

const (
	Low Priority = iota
	Normal
	High
	Urgent
)

var priorityNames = []string{"low", "normal", "high", "urgent"}

func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return "normal"
	}
	return priorityNames[p]
}

// ParsePriority reads a priority name.
func ParsePriority(s string) (Priority, bool) {
	i := slices.Index(priorityNames, s)
	return Priority(i), i >= 0
}

// MarshalText writes the priority's name.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Categories is the exchange taxonomy.
var Categories = []string{"deposit", "withdrawal", "kyc", "account_security", "2fa", "trading", "p2p", "futures", "fees", "other"}

// Channels a conversation can arrive on.
var Channels = []string{"webchat", "email", "telegram", "discord", "sms", "phone", "api"}

// Languages conversations are held in.
var Languages = []string{"en", "zh"}

// Conversation is one case, whatever the channel.
type Conversation struct {
	ID              int64      `json:"id"`
	CustomerID      int64      `json:"customer_id"`
	Channel         string     `json:"channel"`
	Subject         string     `json:"subject"`
	Status          Status     `json:"status"`
	Priority        Priority   `json:"priority"`
	Category        string     `json:"category"`
	Language        string     `json:"language"`
	TeamID          int64      `json:"team_id,omitempty"`
	AssigneeID      int64      `json:"assignee_id,omitempty"`
	Crypto          Crypto     `json:"crypto"`
	Tags            []string   `json:"tags"`
	MergedInto      int64      `json:"merged_into,omitempty"`
	LastSeq         int64      `json:"last_seq"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastMessageAt   time.Time  `json:"last_message_at"`
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	SolvedAt        *time.Time `json:"solved_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	// SLADueAt is the earliest SLA breach deadline while a clock runs; in
	// the past when overdue. It is the queue's second key.
	SLADueAt *time.Time `json:"sla_due_at,omitempty"`

	sla     slaState
	vipTier int // the customer's tier when known (Open), else -1
}

// Crypto holds the structured fields of a crypto case.
type Crypto struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
	TxID    string `json:"txid"`
	Memo    string `json:"memo"`
	OrderID string `json:"order_id"`
}

// AuthorKind says who wrote a message.
type AuthorKind string

const (
	ByCustomer AuthorKind = "customer"
	ByAgent    AuthorKind = "agent"
	ByBot      AuthorKind = "bot"
	BySystem   AuthorKind = "system"
)

// Message is one entry in a conversation's thread.
type Message struct {
	ID             int64        `json:"id"`
	ConversationID int64        `json:"conversation_id"`
	Seq            int64        `json:"seq"`
	AuthorKind     AuthorKind   `json:"author_kind"`
	AuthorID       int64        `json:"author_id,omitempty"`
	AuthorName     string       `json:"author_name"`
	Internal       bool         `json:"internal"`
	Body           string       `json:"body"`
	BodyHTML       string       `json:"body_html"`
	Delivery       string       `json:"delivery"`
	Attachments    []Attachment `json:"attachments"`
	CreatedAt      time.Time    `json:"created_at"`
	// Removed marks a message whose content retention or erasure took away.
	Removed bool `json:"removed,omitempty"`
}

// Attachment is a stored file linked to a message.
type Attachment struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id,omitempty"`
	Filename       string    `json:"filename"`
	ContentType    string    `json:"content_type"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256"`
	CreatedAt      time.Time `json:"created_at"`
	storageKey     string
}

// Scope says which conversations a viewer may see. Supervisors and admins
// see all; an agent sees conversations assigned to them, in their teams,
// or not yet routed to a team; a customer sees their own.
type Scope struct {
	All        bool
	AgentID    int64
	TeamIDs    []int64
	CustomerID int64
}

// Allows reports whether the scope covers a conversation.
func (s Scope) Allows(c Conversation) bool {
	switch {
	case s.All:
		return true
	case s.CustomerID != 0:
		return c.CustomerID == s.CustomerID
	case s.AgentID != 0:
		return c.AssigneeID == s.AgentID || c.TeamID == 0 || slices.Contains(s.TeamIDs, c.TeamID)
	}
	return false
}

// UnmarshalText reads a priority's name.
func (p *Priority) UnmarshalText(b []byte) error {
	v, ok := ParsePriority(string(b))
	if !ok {
		return apperr.Field("priority", "conversation.priority_invalid", "must be low, normal, high or urgent")
	}
	*p = v
	return nil
}
