package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

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
	rules, err := s.Rules(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rules, func(r Rule) bool { return r.On == trig }) {
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
	return s.Fire(ctx, p.Chain, p.Trigger, p.ConversationID)
}

// Fire runs the rules for a trigger on a conversation within a chain. A
// rule's status change triggers the status rules next, in the same
// chain; each rule fires at most once per chain (a unique row records
// it, so a repeated job does not fire it again either). A change the
// conversation refuses (closed, an impossible status) skips that rule.
func (s *Service) Fire(ctx context.Context, chain, trigger string, convID int64) error {
	rules, err := s.Rules(ctx)
	if err != nil {
		return err
	}
	queue := []string{trigger}
	for len(queue) > 0 {
		trig := queue[0]
		queue = queue[1:]
		for _, r := range rules {
			if r.On != trig {
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
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		conv, err := s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, convID)
		if err != nil {
			return err
		}
		if conv.MergedInto != 0 || conv.Status == ticket.StatusClosed || !matches(r, conv) {
			return nil
		}
		res, err := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO automation_firings (rule_id, conversation_id, chain, fired_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, chain) DO NOTHING`, r.ID, convID, chain, db.Millis(s.o.Now()))
		if err != nil {
			return fmt.Errorf("automation: record firing: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // fired already in this chain
		}
		after, err := s.o.Tickets.Update(audit.WithActor(ctx, audit.Actor{Kind: ActorKind, ID: r.ID}), convID, patchOf(r.Actions, conv))
		if err != nil {
			return err
		}
		statusChanged = after.Status != conv.Status
		return nil
	})
	if k := apperr.KindOf(err); k == apperr.Conflict || k == apperr.Invalid {
		return false, nil
	}
	return statusChanged, err
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
