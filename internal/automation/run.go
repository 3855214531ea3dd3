package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// RunJob is the job kind that runs the rules for one event.
const RunJob = "automation.run"

// ActorKind marks changes made by rules in the audit log and in events.
const ActorKind = "automation"

type runPayload struct {
	Trigger        string `json:"trigger"`
	ConversationID int64  `json:"conversation_id"`
	Chain          string `json:"chain"`
	// RuleID limits the first round to one rule (an idle rule's firing).
	RuleID int64 `json:"rule_id,omitempty"`
}

// triggerOf maps a domain event to a rule trigger. Changes made by rules
// are not triggers here: they are followed inside their own chain.
func triggerOf(ev event.Event) (string, int64) {
	switch e := ev.(type) {
	case event.ConversationCreated:
		return OnCreated, e.ConversationID
	case event.MessageCreated:
		if e.Internal || e.Seq == 1 { // the opening message is the creation
			return "", 0
		}
		switch e.AuthorKind {
		case string(ticket.ByCustomer):
			return OnCustomerReply, e.ConversationID
		case string(ticket.ByAgent):
			return OnAgentReply, e.ConversationID
		}
	case event.ConversationChanged:
		if _, ok := e.Changes["status"]; ok && e.ActorKind != ActorKind {
			return OnStatusChanged, e.ConversationID
		}
	case event.SLAAlerted:
		if e.Stage == "warning" {
			return OnSLAWarning, e.ConversationID
		}
		return OnSLABreach, e.ConversationID
	}
	return "", 0
}

// Run queues every triggering event as a job until ctx ends. The chain is
// the event's own content, so on several instances it is queued once.
func (s *Service) Run(ctx context.Context, bus event.Bus, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub := bus.Subscribe("automation", 4096)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if err := s.Enqueue(ctx, ev); err != nil && ctx.Err() == nil {
				log.Warn("automation: could not queue an event", "component", "automation", "type", ev.EventType(), "err", err)
			}
		}
	}
}

// Enqueue writes the rules' job for one event, if it triggers any.
func (s *Service) Enqueue(ctx context.Context, ev event.Event) error {
	trig, convID := triggerOf(ev)
	if trig == "" {
		return nil
	}
	// No job at all when no rule listens to the trigger: most events.
	rules, err := s.listening.Get(ctx, s.Rules)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rules, func(r Rule) bool { return r.On == trig && r.Enabled }) {
		return nil
	}
	chain := event.Key(ev)
	_, err = s.o.Outbox.Enqueue(ctx, job.Spec{Kind: RunJob, Key: "automation:" + chain,
		Payload: runPayload{Trigger: trig, ConversationID: convID, Chain: chain}})
	return err
}

// Handle is the RunJob handler.
func (s *Service) Handle(ctx context.Context, j job.Job) error {
	var p runPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("automation: payload: %w", err))
	}
	return s.fire(ctx, p.Chain, p.Trigger, p.ConversationID, p.RuleID)
}

// Fire runs the rules for a trigger on a conversation within a chain. A
// rule's status change (its own or its macro's) triggers the status rules
// next, in the same chain; each rule fires at most once per chain (a
// unique row records it, so a repeated job does not fire it again
// either). A change the conversation refuses (closed, an impossible
// status) skips that rule.
func (s *Service) Fire(ctx context.Context, chain, trigger string, convID int64) error {
	return s.fire(ctx, chain, trigger, convID, 0)
}

func (s *Service) fire(ctx context.Context, chain, trigger string, convID, only int64) error {
	rules, err := s.Rules(ctx)
	if err != nil {
		return err
	}
	queue := []string{trigger}
	for len(queue) > 0 {
		trig := queue[0]
		queue = queue[1:]
		for _, r := range rules {
			if r.On != trig || !r.Enabled || only != 0 && trig == trigger && r.ID != only {
				continue
			}
			changed, err := s.fireOne(ctx, chain, r, convID)
			if err != nil {
				return err
			}
			if changed {
				queue = append(queue, OnStatusChanged)
			}
		}
	}
	return nil
}

// fireOne applies one rule if it matches and has not fired in the chain;
// it reports whether the status changed.
func (s *Service) fireOne(ctx context.Context, chain string, r Rule, convID int64) (statusChanged bool, err error) {
	var notice *event.AgentsNotified
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		conv, err := s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, convID)
		if err != nil {
			return err
		}
		if conv.MergedInto != 0 || conv.Status == ticket.StatusClosed || !matches(r, conv) {
			return nil
		}
		if idle, err := s.stillIdle(ctx, r, conv); err != nil || !idle {
			return err
		}
		res, err := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO automation_firings (rule_id, conversation_id, chain, fired_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, chain) DO NOTHING`, r.ID, convID, chain, db.Millis(s.o.Now()))
		if err != nil {
			return fmt.Errorf("automation: record firing: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // fired already in this chain
		}
		actx := audit.WithActor(ctx, audit.Actor{Kind: ActorKind, ID: r.ID})
		after, err := s.act(actx, chain, r, conv)
		if err != nil {
			return err
		}
		statusChanged = after.Status != conv.Status
		if notice, err = s.notify(actx, r, after); err != nil {
			return err
		}
		return s.recordLeft(ctx, r, chain, convID)
	})
	if k := apperr.KindOf(err); k == apperr.Conflict || k == apperr.Invalid {
		return false, nil
	}
	if err == nil && notice != nil && s.o.Bus != nil {
		s.o.Bus.Publish(ctx, *notice)
	}
	return statusChanged, err
}

// stillIdle re-checks an idle rule when it runs: a conversation updated
// or moved since the sweep saw it is no longer idle, and one whose last
// update was this rule's own firing is in the quiet period it already
// fired for.
func (s *Service) stillIdle(ctx context.Context, r Rule, conv ticket.Conversation) (bool, error) {
	if r.On != OnIdle {
		return true, nil
	}
	if r.Idle == nil || !slices.Contains(r.Idle.Statuses, string(conv.Status)) ||
		conv.UpdatedAt.After(s.o.Now().Add(-time.Duration(r.Idle.Hours)*time.Hour)) {
		return false, nil
	}
	var n int
	err := s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM automation_firings WHERE rule_id = $1 AND conversation_id = $2
		AND left_at = $3`, r.ID, conv.ID, db.Millis(conv.UpdatedAt)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("automation: idle check: %w", err)
	}
	return n == 0, nil
}

// recordLeft stores the conversation's update time as an idle rule's
// firing left it.
func (s *Service) recordLeft(ctx context.Context, r Rule, chain string, convID int64) error {
	if r.On != OnIdle {
		return nil
	}
	conv, err := s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, convID)
	if err != nil {
		return err
	}
	if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE automation_firings SET left_at = $1 WHERE rule_id = $2 AND chain = $3`,
		db.Millis(conv.UpdatedAt), r.ID, chain); err != nil {
		return fmt.Errorf("automation: record firing: %w", err)
	}
	return nil
}

// act runs a rule's macro, field changes and webhook call, returning the
// conversation as they left it.
func (s *Service) act(ctx context.Context, chain string, r Rule, conv ticket.Conversation) (ticket.Conversation, error) {
	a := r.Actions
	after := conv
	if a.MacroID != 0 {
		if s.o.Macros == nil {
			return after, nil
		}
		res, err := s.o.Macros.ApplyForRule(ctx, a.MacroID, conv.ID)
		if apperr.Is(err, apperr.NotFound) {
			return after, nil // the macro was deleted since: nothing to send
		}
		if err != nil {
			return after, err
		}
		after = res.Conversation
	}
	if p := patchOf(a, after); p != (ticket.Patch{}) {
		var err error
		if after, err = s.o.Tickets.Update(ctx, conv.ID, p); err != nil {
			return after, err
		}
	}
	if a.WebhookID != 0 && s.o.Webhooks != nil {
		err := s.o.Webhooks.Send(ctx, a.WebhookID, fmt.Sprintf("automation:%d:%s", r.ID, chain), "automation.rule", firing{
			RuleID: r.ID, Rule: r.Name, Chain: chain, ConversationID: after.ID, Status: string(after.Status),
			Priority: after.Priority.String(), TeamID: after.TeamID, AssigneeID: after.AssigneeID, Tags: after.Tags, At: s.o.Now().UTC()})
		if err != nil && !apperr.Is(err, apperr.NotFound) { // a deleted endpoint is not called
			return after, err
		}
	}
	return after, nil
}

// firing is what a rule's webhook call carries as its data.
type firing struct {
	RuleID         int64     `json:"rule_id"`
	Rule           string    `json:"rule"`
	Chain          string    `json:"chain"`
	ConversationID int64     `json:"conversation_id"`
	Status         string    `json:"status"`
	Priority       string    `json:"priority"`
	TeamID         int64     `json:"team_id,omitempty"`
	AssigneeID     int64     `json:"assignee_id,omitempty"`
	Tags           []string  `json:"tags"`
	At             time.Time `json:"at"`
}

// notify writes the internal note naming the agents a rule notifies and
// returns the notice to publish once committed; nil when nobody is.
func (s *Service) notify(ctx context.Context, r Rule, conv ticket.Conversation) (*event.AgentsNotified, error) {
	n := r.Actions.Notify
	if n == nil || s.o.Agents == nil {
		return nil, nil
	}
	all, err := s.o.Agents.List(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	var names []string
	for _, a := range all {
		if a.Disabled {
			continue
		}
		if n.Assignee && a.ID == conv.AssigneeID || n.Team && conv.TeamID != 0 && slices.Contains(a.Teams, conv.TeamID) ||
			slices.Contains(n.AgentIDs, a.ID) {
			ids = append(ids, a.ID)
			names = append(names, a.Name)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	body := fmt.Sprintf("Rule %q notified %s.", r.Name, strings.Join(names, ", "))
	if _, err := s.o.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Internal: true,
		Body: body}); err != nil {
		return nil, err
	}
	return &event.AgentsNotified{Scope: event.Scope{ConversationID: conv.ID, CustomerID: conv.CustomerID, TeamID: conv.TeamID,
		AssigneeID: conv.AssigneeID}, AgentIDs: ids, RuleID: r.ID, Rule: r.Name, At: s.o.Now().UTC()}, nil
}

func patchOf(a Actions, conv ticket.Conversation) ticket.Patch {
	var p ticket.Patch
	if a.Status != "" {
		st := ticket.Status(a.Status)
		p.Status = &st
	}
	if a.Priority != "" {
		pr := a.Priority
		p.Priority = &pr
	}
	if a.TeamID != 0 {
		t := a.TeamID
		p.TeamID = &t
	}
	if a.AssigneeID != 0 {
		id := a.AssigneeID
		p.AssigneeID = &id
	}
	if len(a.AddTags) > 0 {
		tags := append(append([]string{}, conv.Tags...), a.AddTags...)
		p.Tags = &tags
	}
	return p
}

// Firings counts how often each rule fired on a conversation.
func (s *Service) Firings(ctx context.Context, convID int64) (map[int64]int, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT rule_id, COUNT(*) FROM automation_firings WHERE conversation_id = $1 GROUP BY rule_id`, convID)
	if err != nil {
		return nil, fmt.Errorf("automation: firings: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
