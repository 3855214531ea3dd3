// Package automation runs rules: on an event (a conversation created, the
// customer or an agent replying, a status change, an SLA warning or
// breach), when every condition on the conversation holds, the rule's
// actions change it. A rule fires at most once per event chain: the
// changes rules make are evaluated at once, in the same chain, and a rule
// that already fired in it is skipped, so rules that undo each other
// stop after one round.
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

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/job"
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
)

// Triggers lists them.
var Triggers = []string{OnCreated, OnCustomerReply, OnAgentReply, OnStatusChanged, OnSLAWarning, OnSLABreach}

// Fields a condition may test.
var Fields = []string{"channel", "language", "category", "priority", "status", "team_id", "assignee_id", "tags", "subject"}

// Condition tests one field: eq, ne, in (comma-separated), contains.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// Actions are what a rule changes; empty means unchanged.
type Actions struct {
	Status     string   `json:"status,omitempty"`
	Priority   string   `json:"priority,omitempty"`
	TeamID     int64    `json:"team_id,omitempty"`
	AssigneeID int64    `json:"assignee_id,omitempty"`
	AddTags    []string `json:"add_tags,omitempty"`
}

// Rule is one automation rule.
type Rule struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	On         string      `json:"on"`
	Conditions []Condition `json:"conditions"`
	Actions    Actions     `json:"actions"`
	Position   int         `json:"position"`
	CreatedAt  time.Time   `json:"created_at"`
}

// Tickets is what rules read and change.
type Tickets interface {
	ByID(ctx context.Context, scope ticket.Scope, id int64) (ticket.Conversation, error)
	Update(ctx context.Context, id int64, p ticket.Patch) (ticket.Conversation, error)
}

// Options wire a Service.
type Options struct {
	DB      *db.DB
	Audit   *audit.Log
	Tickets Tickets
	Outbox  interface {
		Enqueue(ctx context.Context, s job.Spec) (bool, error)
	}
	Now func() time.Time
}

// Service keeps and runs rules.
type Service struct{ o Options }

// New returns a Service.
func New(o Options) *Service { return &Service{o: o} }

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
	if a.Status == "" && a.Priority == "" && a.TeamID == 0 && a.AssigneeID == 0 && len(a.AddTags) == 0 {
		return apperr.Field("actions", "automation.action_invalid", "a rule needs an action")
	}
	if r.Conditions == nil {
		r.Conditions = []Condition{}
	}
	return nil
}

// Create stores a rule.
func (s *Service) Create(ctx context.Context, r Rule) (Rule, error) {
	if err := r.validate(); err != nil {
		return Rule{}, err
	}
	conds, _ := json.Marshal(r.Conditions)
	acts, _ := json.Marshal(r.Actions)
	r.CreatedAt = s.o.Now().UTC().Truncate(time.Millisecond)
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := s.o.DB.Q(ctx).QueryRowContext(ctx, `INSERT INTO automation_rules (name, on_event, conditions, actions, position, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.Name, r.On, string(conds), string(acts), r.Position, db.Millis(r.CreatedAt)).Scan(&r.ID); err != nil {
			return fmt.Errorf("automation: create: %w", err)
		}
		return s.o.Audit.Record(ctx, "automation.create", "automation_rule", r.ID, map[string]any{"name": r.Name, "on": r.On})
	})
	return r, err
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
		return s.o.Audit.Record(ctx, "automation.delete", "automation_rule", id, nil)
	})
}

// Rules returns every rule in the order they run.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT id, name, on_event, conditions, actions, position, created_at
		FROM automation_rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("automation: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		var conds, acts string
		var created int64
		if err := rows.Scan(&r.ID, &r.Name, &r.On, &conds, &acts, &r.Position, &created); err != nil {
			return nil, fmt.Errorf("automation: rules: %w", err)
		}
		_ = json.Unmarshal([]byte(conds), &r.Conditions)
		_ = json.Unmarshal([]byte(acts), &r.Actions)
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
