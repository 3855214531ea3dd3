// Package event defines the typed domain events and the Bus that carries
// them after commit. Events are plain data so they can cross processes.
package event

import (
	"context"
	"time"
)

// Event is a domain event. Topic names the stream it belongs to.
type Event interface {
	EventType() string
}

// Bus delivers events to subscribers. Publish never blocks on a slow
// subscriber: each subscription has a bounded buffer and a drop counter.
type Bus interface {
	Publish(ctx context.Context, events ...Event)
	Subscribe(name string, buffer int) *Subscription
}

// Conversation-scoped facts carried by every conversation event so that a
// subscriber (the realtime hub) can authorise delivery without a lookup.
type Scope struct {
	ConversationID int64 `json:"conversation_id"`
	CustomerID     int64 `json:"customer_id"`
	TeamID         int64 `json:"team_id,omitempty"`
	AssigneeID     int64 `json:"assignee_id,omitempty"`
}

// ConversationCreated fires when a conversation is opened by any channel.
type ConversationCreated struct {
	Scope
	Channel  string    `json:"channel"`
	Subject  string    `json:"subject"`
	Status   string    `json:"status"`
	Priority string    `json:"priority"`
	Category string    `json:"category"`
	Language string    `json:"language"`
	At       time.Time `json:"at"`
}

// ConversationChanged fires when fields of a conversation change. Changes
// maps a field name to its new value rendered as a string.
type ConversationChanged struct {
	Scope
	ActorKind string            `json:"actor_kind"`
	ActorID   int64             `json:"actor_id"`
	Changes   map[string]string `json:"changes"`
	// PrevTeamID and PrevAssigneeID let subscribers who lost access hear it.
	PrevTeamID     int64     `json:"prev_team_id,omitempty"`
	PrevAssigneeID int64     `json:"prev_assignee_id,omitempty"`
	At             time.Time `json:"at"`
}

// MessageCreated fires for every message, public or internal.
type MessageCreated struct {
	Scope
	MessageID   int64     `json:"message_id"`
	Seq         int64     `json:"seq"`
	AuthorKind  string    `json:"author_kind"`
	AuthorID    int64     `json:"author_id"`
	AuthorName  string    `json:"author_name"`
	Internal    bool      `json:"internal"`
	Body        string    `json:"body"`
	BodyHTML    string    `json:"body_html"`
	Attachments []int64   `json:"attachments,omitempty"`
	At          time.Time `json:"at"`
}

// ConversationsMerged fires when a duplicate is folded into a target.
type ConversationsMerged struct {
	Scope          // the target
	SourceID int64 `json:"source_id"`
	At       time.Time
}

// CustomersMerged fires when one customer record absorbs another.
type CustomersMerged struct {
	TargetID int64     `json:"target_id"`
	SourceID int64     `json:"source_id"`
	At       time.Time `json:"at"`
}

// AgentChanged fires when an agent's profile, teams or status change.
type AgentChanged struct {
	AgentID int64  `json:"agent_id"`
	Status  string `json:"status"`
	// Access is set when teams, role or the disabled flag may have
	// changed, so anything caching the agent's permissions must drop them.
	Access bool      `json:"access,omitempty"`
	At     time.Time `json:"at"`
}

// SLAAlerted fires once for each SLA warning and breach.
type SLAAlerted struct {
	Scope
	PolicyID int64     `json:"policy_id"`
	Metric   string    `json:"metric"` // first_response, next_response, resolution
	Stage    string    `json:"stage"`  // warning, breach
	Due      time.Time `json:"due"`
	At       time.Time `json:"at"`
}

func (SLAAlerted) EventType() string { return "sla.alerted" }

// ComplaintAlerted fires once for each complaint reminder and breach
// notice (ack_reminder, ack_breach, final_reminder, final_breach).
type ComplaintAlerted struct {
	Scope
	Alert string    `json:"alert"`
	Due   time.Time `json:"due"`
	At    time.Time `json:"at"`
}

func (ComplaintAlerted) EventType() string { return "complaint.alerted" }

// OnCallPaged fires when an on-call supervisor is paged for an urgent
// conversation nobody is scheduled to answer.
type OnCallPaged struct {
	Scope
	AgentID  int64     `json:"agent_id"`
	TeamID   int64     `json:"team_id"`
	Category string    `json:"category"`
	At       time.Time `json:"at"`
}

func (OnCallPaged) EventType() string { return "oncall.paged" }

// AgentsNotified fires when an automation rule calls agents' attention
// to a conversation; their consoles show it.
type AgentsNotified struct {
	Scope
	AgentIDs []int64   `json:"agent_ids"`
	RuleID   int64     `json:"rule_id"`
	Rule     string    `json:"rule"`
	At       time.Time `json:"at"`
}

func (AgentsNotified) EventType() string { return "automation.notified" }

// Typing is a live typing indicator in a conversation. It is ephemeral:
// it crosses instances but is never stored.
type Typing struct {
	ConversationID int64  `json:"conversation_id"`
	AuthorKind     string `json:"author_kind"`
	Name           string `json:"name"`
	// ConnID identifies the typing connection so it does not echo back.
	ConnID string `json:"conn_id"`
}

// Read is a read receipt: one side has read a conversation up to Seq.
type Read struct {
	ConversationID int64  `json:"conversation_id"`
	Reader         string `json:"reader"` // customer or agent
	Seq            int64  `json:"seq"`
	ConnID         string `json:"conn_id"`
}

// Viewing is one instance's list of agents who have a conversation open,
// so consoles on every instance can warn about a collision. An empty list
// means none there any more.
type Viewing struct {
	ConversationID int64    `json:"conversation_id"`
	Instance       string   `json:"instance"`
	AgentIDs       []int64  `json:"agent_ids"`
	Names          []string `json:"names"`
}

// ConsolesOpen is how many console connections an agent has open on one
// instance, so presence is decided across all of them.
type ConsolesOpen struct {
	Instance string `json:"instance"`
	AgentID  int64  `json:"agent_id"`
	Open     int    `json:"open"`
}

func (ConsolesOpen) EventType() string { return "live.consoles" }

func (Typing) EventType() string  { return "live.typing" }
func (Read) EventType() string    { return "live.read" }
func (Viewing) EventType() string { return "live.viewing" }

func (ConversationCreated) EventType() string { return "conversation.created" }
func (ConversationChanged) EventType() string { return "conversation.changed" }
func (MessageCreated) EventType() string      { return "message.created" }
func (ConversationsMerged) EventType() string { return "conversation.merged" }
func (CustomersMerged) EventType() string     { return "customer.merged" }
func (AgentChanged) EventType() string        { return "agent.changed" }
