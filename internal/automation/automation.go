// Package automation runs rules: on an event (a conversation created, the
// customer or an agent replying, a status change, an SLA warning or
// breach) or on a conversation nobody updated for some hours, when every
// condition on the conversation holds, the rule's actions change it, send
// a macro, notify agents or call a webhook. A rule fires at most once per
// event chain: the changes rules make are evaluated at once, in the same
// chain, and a rule that already fired in it is skipped, so rules that
// undo each other stop after one round.
package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/macro"
	"vigil/internal/ticket"
)

// Triggers a rule may listen to.
const (
	OnCreated       = "conversation.created"
	OnCustomerReply = "customer.replied"
	OnAgentReply    = "agent.replied"
	OnStatusChanged = "status.changed"
	OnSLAWarning    = "sla.warning"
	OnSLABreach     = "sla.breach"
	// OnIdle fires for conversations in the rule's statuses that nobody
	// updated for its hours, once per such quiet period.
	OnIdle = "idle"
)

// Triggers lists them.
var Triggers = []string{OnCreated, OnCustomerReply, OnAgentReply, OnStatusChanged, OnSLAWarning, OnSLABreach, OnIdle}

// MaxIdleHours bounds an idle rule's wait (90 days).
const MaxIdleHours = 90 * 24

// IdleStatuses are the statuses an idle rule may watch.
var IdleStatuses = []string{"new", "open", "pending", "on_hold", "solved"}

// Fields a condition may test.
var Fields = []string{"channel", "language", "category", "priority", "status", "team_id", "assignee_id", "tags", "subject"}

// Condition tests one field: eq, ne, in (comma-separated), contains.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// Actions are what a rule does; empty means not done. A macro runs first
// (its reply and its own changes), then the field changes, then the
// notice and the webhook call, all in one transaction.
type Actions struct {
	Status     string   `json:"status,omitempty"`
	Priority   string   `json:"priority,omitempty"`
	TeamID     int64    `json:"team_id,omitempty"`
	AssigneeID int64    `json:"assignee_id,omitempty"`
	AddTags    []string `json:"add_tags,omitempty"`
	// MacroID sends a team or global macro: its reply in the customer's
	// language, as a system message, and its field changes.
	MacroID int64 `json:"macro_id,omitempty"`
	// Notify calls agents' attention in their consoles, with an internal
	// note on the conversation naming them.
	Notify *Notify `json:"notify,omitempty"`
	// WebhookID posts the rule's firing to a webhook endpoint as a signed,
	// retried and logged delivery of type "automation.rule".
	WebhookID int64 `json:"webhook_id,omitempty"`
}

// Notify names who a rule notifies: the assignee, every active member of
// the conversation's team, and listed agents.
type Notify struct {
	Assignee bool    `json:"assignee,omitempty"`
	Team     bool    `json:"team,omitempty"`
	AgentIDs []int64 `json:"agent_ids,omitempty"`
}

// Idle is what an idle rule waits for: Hours without an update while in
// one of Statuses.
type Idle struct {
	Hours    int      `json:"hours"`
	Statuses []string `json:"statuses"`
}

// Rule is one automation rule.
type Rule struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	On         string      `json:"on"`
	Conditions []Condition `json:"conditions"`
	Actions    Actions     `json:"actions"`
	Idle       *Idle       `json:"idle,omitempty"` // only on idle rules
	Position   int         `json:"position"`
	// Enabled is false for a paused rule: it keeps its place but fires
	// neither on events nor in the idle sweep. Callers that build a Rule
	// set it; the API reads a missing field as true.
	Enabled    bool      `json:"enabled"`
	CreatedAt  time.Time `json:"created_at"`
	sweptUntil int64     // how far the idle sweep has looked
}

// Tickets is what rules read and change.
type Tickets interface {
	ByID(ctx context.Context, scope ticket.Scope, id int64) (ticket.Conversation, error)
	Update(ctx context.Context, id int64, p ticket.Patch) (ticket.Conversation, error)
	AddMessage(ctx context.Context, in ticket.MessageInput) (ticket.Message, error)
	Idle(ctx context.Context, q ticket.IdleQuery) ([]ticket.Idle, error)
}

// Macros sends shared macros for rules (macro.Service).
type Macros interface {
	Shared(ctx context.Context, id int64) (macro.Macro, error)
	ApplyForRule(ctx context.Context, macroID, convID int64) (macro.Result, error)
}

// Webhooks calls endpoints for rules (webhook.Service).
type Webhooks interface {
	Check(ctx context.Context, id int64) error
	Send(ctx context.Context, hookID int64, occurrence, typ string, data any) error
}

// Agents names who a rule notifies (agent.Service).
type Agents interface {
	List(ctx context.Context) ([]agent.Agent, error)
}

// Options wire a Service.
type Options struct {
	DB      *db.DB
	Audit   *audit.Log
	Bus     event.Bus // carries notices; nil: none are shown live
	Tickets Tickets
	Outbox  interface {
		Enqueue(ctx context.Context, s job.Spec) (bool, error)
	}
	Macros   Macros   // nil: rules cannot send macros
	Webhooks Webhooks // nil: rules cannot call webhooks
	Agents   Agents   // nil: rules cannot notify
	Now      func() time.Time
}

// Service keeps and runs rules.
type Service struct {
	o Options
	// listening is the rules table as Enqueue consults it on every event;
	// another instance's changes show within its TTL.
	listening db.Snapshot[[]Rule]
}

// New returns a Service.
func New(o Options) *Service {
	return &Service{o: o, listening: db.Snapshot[[]Rule]{TTL: 2 * time.Second}}
}

func (r *Rule) validate() error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || utf8.RuneCountInString(r.Name) > 100 {
		return apperr.Field("name", "automation.name_invalid", "the name must be 1-100 characters")
	}
	if !slices.Contains(Triggers, r.On) {
		return apperr.Field("on", "automation.trigger_invalid", "on must be one of %v", Triggers)
	}
	for _, c := range r.Conditions {
		if !slices.Contains(Fields, c.Field) || !slices.Contains([]string{"eq", "ne", "in", "contains"}, c.Op) || len(c.Value) > 500 {
			return apperr.Field("conditions", "automation.condition_invalid", "fields are %v; ops are eq, ne, in, contains", Fields)
		}
	}
	a := r.Actions
	if a.Status != "" && !slices.Contains([]string{"open", "pending", "on_hold", "solved"}, a.Status) {
		return apperr.Field("actions", "automation.action_invalid", "status must be open, pending, on_hold or solved")
	}
	if _, ok := ticket.ParsePriority(a.Priority); a.Priority != "" && !ok {
		return apperr.Field("actions", "automation.action_invalid", "priority must be low, normal, high or urgent")
	}
	if n := a.Notify; n != nil && (!n.Assignee && !n.Team && len(n.AgentIDs) == 0 || len(n.AgentIDs) > 50) {
		return apperr.Field("actions", "automation.notify_invalid", "notify the assignee, the team or up to 50 agents")
	}
	if a.Status == "" && a.Priority == "" && a.TeamID == 0 && a.AssigneeID == 0 && len(a.AddTags) == 0 && a.MacroID == 0 &&
		a.Notify == nil && a.WebhookID == 0 {
		return apperr.Field("actions", "automation.action_invalid", "a rule needs an action")
	}
	if err := r.validateIdle(); err != nil {
		return err
	}
	if r.Conditions == nil {
		r.Conditions = []Condition{}
	}
	return nil
}

func (r *Rule) validateIdle() error {
	if r.On != OnIdle {
		if r.Idle != nil {
			return apperr.Field("idle", "automation.idle_invalid", "only idle rules take idle")
		}
		return nil
	}
	if r.Idle == nil || r.Idle.Hours < 1 || r.Idle.Hours > MaxIdleHours || len(r.Idle.Statuses) == 0 {
		return apperr.Field("idle", "automation.idle_invalid", "an idle rule needs 1-%d hours and at least one status", MaxIdleHours)
	}
	for _, st := range r.Idle.Statuses {
		if !slices.Contains(IdleStatuses, st) {
			return apperr.Field("idle", "automation.idle_invalid", "statuses are %v", IdleStatuses)
		}
	}
	return nil
}

// checkTargets refuses a rule whose macro or webhook does not exist (or
// that this desk cannot send).
func (s *Service) checkTargets(ctx context.Context, a Actions) error {
	if a.MacroID != 0 {
		if s.o.Macros == nil {
			return apperr.Field("actions", "automation.macro_invalid", "no such team or global macro")
		}
		if _, err := s.o.Macros.Shared(ctx, a.MacroID); apperr.Is(err, apperr.NotFound) {
			return apperr.Field("actions", "automation.macro_invalid", "no such team or global macro")
		} else if err != nil {
			return err
		}
	}
	if a.WebhookID != 0 {
		if s.o.Webhooks == nil {
			return apperr.Field("actions", "automation.webhook_invalid", "no such webhook")
		}
		if err := s.o.Webhooks.Check(ctx, a.WebhookID); apperr.Is(err, apperr.NotFound) {
			return apperr.Field("actions", "automation.webhook_invalid", "no such webhook")
		} else if err != nil {
			return err
		}
	}
	if a.Notify != nil && s.o.Agents == nil {
		return apperr.Field("actions", "automation.notify_invalid", "notify the assignee, the team or up to 50 agents")
	}
	return nil
}

// encode validates a rule and returns its conditions, actions and idle
// settings as stored (JSON).
func (r *Rule) encode() (conds, acts, idle string, err error) {
	if err := r.validate(); err != nil {
		return "", "", "", err
	}
	c, _ := json.Marshal(r.Conditions)
	a, _ := json.Marshal(r.Actions)
	i := []byte("{}")
	if r.Idle != nil {
		i, _ = json.Marshal(r.Idle)
	}
	return string(c), string(a), string(i), nil
}

// Create stores a rule.
func (s *Service) Create(ctx context.Context, r Rule) (Rule, error) {
	conds, acts, idle, err := r.encode()
	if err != nil {
		return Rule{}, err
	}
	r.CreatedAt = s.o.Now().UTC().Truncate(time.Millisecond)
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := s.checkTargets(ctx, r.Actions); err != nil {
			return err
		}
		if err := s.o.DB.Q(ctx).QueryRowContext(ctx, `INSERT INTO automation_rules (name, on_event, conditions, actions, idle, position, enabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, r.Name, r.On, conds, acts, idle, r.Position,
			r.Enabled, db.Millis(r.CreatedAt)).Scan(&r.ID); err != nil {
			return fmt.Errorf("automation: create: %w", err)
		}
		db.AfterCommit(ctx, s.listening.Invalidate)
		return s.o.Audit.Record(ctx, "automation.create", "automation_rule", r.ID, map[string]any{"name": r.Name, "on": r.On, "enabled": r.Enabled})
	})
	return r, err
}

// Update replaces a rule's name, trigger, conditions, actions, idle
// settings and order, checked as Create checks them; whether it is
// enabled stays. The idle sweep of an edited rule starts again from the
// beginning, so conversations that the new hours or statuses make quiet
// are found; a quiet period it already fired in does not fire again.
func (s *Service) Update(ctx context.Context, id int64, r Rule) (Rule, error) {
	conds, acts, idle, err := r.encode()
	if err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := s.checkTargets(ctx, r.Actions); err != nil {
			return err
		}
		var err error
		out, err = s.change(ctx, id, "update", `UPDATE automation_rules SET name = $1, on_event = $2, conditions = $3, actions = $4,
			idle = $5, position = $6, idle_swept_until = 0 WHERE id = $7`, r.Name, r.On, conds, acts, idle, r.Position, id)
		if err != nil {
			return err
		}
		return s.o.Audit.Record(ctx, "automation.update", "automation_rule", id, map[string]any{"name": r.Name, "on": r.On})
	})
	return out, err
}

// SetEnabled pauses or resumes a rule. A rule resumed after a pause
// fires on the events that follow, and its idle sweep goes on from where
// it stopped, so conversations still quiet are found.
func (s *Service) SetEnabled(ctx context.Context, id int64, enabled bool) (Rule, error) {
	var out Rule
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if out, err = s.change(ctx, id, "enable", `UPDATE automation_rules SET enabled = $1 WHERE id = $2`, enabled, id); err != nil {
			return err
		}
		action := "automation.disable"
		if enabled {
			action = "automation.enable"
		}
		return s.o.Audit.Record(ctx, action, "automation_rule", id, map[string]any{"name": out.Name})
	})
	return out, err
}

// change runs an UPDATE of rule id inside a transaction and returns the
// rule as stored; the "does anyone listen?" snapshot is refreshed after
// the commit.
func (s *Service) change(ctx context.Context, id int64, what, query string, args ...any) (Rule, error) {
	res, err := s.o.DB.Q(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return Rule{}, fmt.Errorf("automation: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Rule{}, apperr.NotFoundf("automation.not_found", "rule %d not found", id)
	}
	db.AfterCommit(ctx, s.listening.Invalidate)
	return s.Rule(ctx, id)
}

// Patch changes a rule in one transaction: edit changes the stored rule
// and reports whether it did (then it is saved as by Update), and enabled,
// when not nil, enables or disables it (as by SetEnabled).
func (s *Service) Patch(ctx context.Context, id int64, edit func(*Rule) bool, enabled *bool) (Rule, error) {
	var out Rule
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		r, err := s.Rule(ctx, id)
		if err != nil {
			return err
		}
		out = r
		if edit(&r) {
			if out, err = s.Update(ctx, id, r); err != nil {
				return err
			}
		}
		if enabled != nil && *enabled != out.Enabled {
			out, err = s.SetEnabled(ctx, id, *enabled)
		}
		return err
	})
	return out, err
}

// Rule returns one rule.
func (s *Service) Rule(ctx context.Context, id int64) (Rule, error) {
	rules, err := s.query(ctx, ` WHERE id = $1`, id)
	if err != nil {
		return Rule{}, err
	}
	if len(rules) == 0 {
		return Rule{}, apperr.NotFoundf("automation.not_found", "rule %d not found", id)
	}
	return rules[0], nil
}

// Delete removes a rule.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.o.DB.Q(ctx).ExecContext(ctx, `DELETE FROM automation_rules WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("automation: delete: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("automation.not_found", "rule %d not found", id)
		}
		db.AfterCommit(ctx, s.listening.Invalidate)
		return s.o.Audit.Record(ctx, "automation.delete", "automation_rule", id, nil)
	})
}

// Rules returns every rule in the order they run.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	return s.query(ctx, ` ORDER BY position, id`)
}

func (s *Service) query(ctx context.Context, tail string, args ...any) ([]Rule, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT id, name, on_event, conditions, actions, idle, idle_swept_until, position, enabled, created_at
		FROM automation_rules`+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("automation: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		var conds, acts, idle string
		var created int64
		if err := rows.Scan(&r.ID, &r.Name, &r.On, &conds, &acts, &idle, &r.sweptUntil, &r.Position, &r.Enabled, &created); err != nil {
			return nil, fmt.Errorf("automation: rules: %w", err)
		}
		_ = json.Unmarshal([]byte(conds), &r.Conditions)
		_ = json.Unmarshal([]byte(acts), &r.Actions)
		if r.On == OnIdle {
			r.Idle = &Idle{}
			_ = json.Unmarshal([]byte(idle), r.Idle)
		}
		r.CreatedAt = db.Time(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// matches reports whether every condition holds for the conversation.
func matches(r Rule, c ticket.Conversation) bool {
	for _, cond := range r.Conditions {
		v := fieldValue(c, cond.Field)
		ok := false
		switch cond.Op {
		case "eq":
			ok = v == cond.Value
		case "ne":
			ok = v != cond.Value
		case "in":
			ok = slices.Contains(strings.Split(cond.Value, ","), v)
		case "contains":
			ok = strings.Contains(strings.ToLower(v), strings.ToLower(cond.Value))
		}
		if cond.Field == "tags" && (cond.Op == "eq" || cond.Op == "contains") {
			ok = slices.Contains(c.Tags, cond.Value)
		}
		if !ok {
			return false
		}
	}
	return true
}

func fieldValue(c ticket.Conversation, field string) string {
	switch field {
	case "channel":
		return c.Channel
	case "language":
		return c.Language
	case "category":
		return c.Category
	case "priority":
		return c.Priority.String()
	case "status":
		return string(c.Status)
	case "team_id":
		return strconv.FormatInt(c.TeamID, 10)
	case "assignee_id":
		return strconv.FormatInt(c.AssigneeID, 10)
	case "tags":
		return strings.Join(c.Tags, ",")
	case "subject":
		return c.Subject
	}
	return ""
}
