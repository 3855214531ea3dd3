package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/sla"
)

// Policies is what conversations need of the SLA configuration
// (sla.Service): the policy that applies, and a policy by id.
type Policies interface {
	Match(ctx context.Context, f sla.Facts) (sla.Policy, bool, error)
	Policy(ctx context.Context, id int64) (sla.Policy, error)
}

// SLA is a conversation's service-level state as agents see it.
type SLA struct {
	PolicyID   int64          `json:"policy_id,omitempty"`
	PolicyName string         `json:"policy_name,omitempty"`
	Paused     bool           `json:"paused"`
	Deadlines  []sla.Deadline `json:"deadlines"`
	// DueAt is the earliest breach deadline, the queue's second key.
	DueAt *time.Time `json:"due_at,omitempty"`
}

// slaState is what the conversations table stores for SLA.
type slaState struct {
	policyID int64
	clocks   sla.Clocks
	nextAt   *time.Time // when the watcher next has something to do
}

func phaseOf(s Status) sla.Phase {
	switch s {
	case StatusPending:
		return sla.Paused
	case StatusSolved, StatusClosed:
		return sla.Stopped
	}
	return sla.Running
}

// policyFor returns the policy the conversation runs under: a fresh match
// when rematch is set (opened, or a field a condition looks at changed),
// else the stored one.
func (s *Service) policyFor(ctx context.Context, c Conversation, rematch bool) (sla.Policy, bool, error) {
	if s.policies == nil {
		return sla.Policy{}, false, nil
	}
	if !rematch {
		if c.sla.policyID == 0 {
			return sla.Policy{}, false, nil
		}
		p, err := s.policies.Policy(ctx, c.sla.policyID)
		if apperr.Is(err, apperr.NotFound) {
			return sla.Policy{}, false, nil
		}
		return p, err == nil && p.Enabled, err
	}
	tier := c.vipTier
	if tier < 0 {
		cust, err := s.customers.ByID(ctx, c.CustomerID)
		if err != nil {
			return sla.Policy{}, false, err
		}
		tier = cust.VIPTier
	}
	return s.policies.Match(ctx, sla.Facts{Priority: c.Priority.String(), VIPTier: tier, Channel: c.Channel,
		Category: c.Category, TeamID: c.TeamID})
}

// advanceSLA moves the conversation's clocks by one step and refreshes its
// deadlines, writing them when they changed. It runs inside the
// transaction that made the change.
func (s *Service) advanceSLA(ctx context.Context, c *Conversation, st sla.Step, rematch bool) error {
	if s.policies == nil {
		return nil
	}
	p, ok, err := s.policyFor(ctx, *c, rematch)
	if err != nil {
		return err
	}
	before, beforeDue := c.sla, c.SLADueAt
	cal := sla.AlwaysOpen
	if ok {
		cal = p.Calendar
	}
	c.sla.clocks = sla.Advance(c.sla.clocks, cal, st)
	c.sla.policyID = 0
	if ok {
		c.sla.policyID = p.ID
	}
	refreshSLA(c, p, ok)
	if sameSLA(before, c.sla) && sameTime(beforeDue, c.SLADueAt) {
		return nil
	}
	return s.saveSLA(ctx, *c)
}

// refreshSLA derives the stored deadlines from the clocks.
func refreshSLA(c *Conversation, p sla.Policy, ok bool) {
	c.SLADueAt, c.sla.nextAt = nil, nil
	if !ok {
		return
	}
	if ds := sla.Deadlines(c.sla.clocks, p); len(ds) > 0 {
		due := ds[0].Due
		c.SLADueAt = &due
	}
	if as := sla.Alerts(c.sla.clocks, p); len(as) > 0 {
		next := as[0].At
		c.sla.nextAt = &next
	}
}

// sameSLA compares without encoding: it runs on every customer message.
func sameSLA(a, b slaState) bool {
	x, y := a.clocks, b.clocks
	return a.policyID == b.policyID && sameTime(a.nextAt, b.nextAt) && x.Phase == y.Phase &&
		sameTime(x.PausedSince, y.PausedSince) && maps.EqualFunc(x.Running, y.Running, func(p, q sla.Clock) bool {
		return p.Start.Equal(q.Start) && p.Paused == q.Paused
	}) && maps.Equal(x.Fired, y.Fired)
}

func (s *Service) saveSLA(ctx context.Context, c Conversation) error {
	clocks, err := json.Marshal(c.sla.clocks)
	if err != nil {
		return wrap("sla state", err)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET sla_policy_id = $1, sla_clocks = $2, sla_due_at = $3,
		next_deadline_at = $4 WHERE id = $5`, db.NullID(c.sla.policyID), string(clocks), db.NullMillis(c.SLADueAt), db.NullMillis(c.sla.nextAt), c.ID)
	return wrap("save sla", err)
}

func parseClocks(raw string) sla.Clocks {
	var c sla.Clocks
	if raw != "" && raw != "{}" {
		_ = json.Unmarshal([]byte(raw), &c) // written by saveSLA only; a bad value means no clocks
	}
	return c
}

// SLAView returns the conversation's SLA state for display.
func (s *Service) SLAView(ctx context.Context, c Conversation) (SLA, error) {
	out := SLA{Deadlines: []sla.Deadline{}, DueAt: c.SLADueAt, Paused: c.sla.clocks.PausedSince != nil}
	p, ok, err := s.policyFor(ctx, c, false)
	if err != nil || !ok {
		return out, err
	}
	out.PolicyID, out.PolicyName = p.ID, p.Name
	if ds := sla.Deadlines(c.sla.clocks, p); ds != nil {
		out.Deadlines = ds
	}
	return out, nil
}

// FireSLA acts on the conversations whose next SLA alert is due at now:
// each warning and breach fires once, recorded in sla_events in the same
// transaction as the conversation's fired marks and its escalation, so a
// restart or a second instance never fires one twice and none is lost.
// It reads due rows in batches of batch through the next_deadline_at
// index, never the whole table, and returns how many alerts fired.
func (s *Service) FireSLA(ctx context.Context, now time.Time, batch int) (int, error) {
	if s.policies == nil {
		return 0, nil
	}
	fired := 0
	for {
		ids, err := s.dueSLA(ctx, now, batch)
		if err != nil {
			return fired, err
		}
		for _, id := range ids {
			n, err := s.fireOne(ctx, id, now)
			if err != nil {
				return fired, fmt.Errorf("ticket: sla for conversation %d: %w", id, err)
			}
			fired += n
		}
		// Each row handled either fired or moved its next_deadline_at past
		// now, so the next batch holds only rows not yet seen.
		if len(ids) < batch || ctx.Err() != nil {
			return fired, ctx.Err()
		}
	}
}

// dueQuery reads due rows from the partial index on next_deadline_at.
const dueQuery = `SELECT id FROM conversations WHERE next_deadline_at <= $1 ORDER BY next_deadline_at LIMIT $2`

func (s *Service) dueSLA(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, dueQuery, db.Millis(now), limit)
	if err != nil {
		return nil, wrap("due sla", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("due sla", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("due sla", rows.Err())
}

func (s *Service) fireOne(ctx context.Context, id int64, now time.Time) (int, error) {
	fired := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, id)
		if err != nil {
			return err
		}
		p, ok, err := s.policyFor(ctx, c, false)
		if err != nil {
			return err
		}
		if !ok || c.MergedInto != 0 {
			refreshSLA(&c, p, false) // nothing left to watch
			return s.saveSLA(ctx, c)
		}
		due, _ := sla.Due(c.sla.clocks, p, now)
		c.sla.clocks = sla.MarkFired(c.sla.clocks, due)
		refreshSLA(&c, p, true)
		if err := s.saveSLA(ctx, c); err != nil {
			return err
		}
		for _, a := range sla.Moot(due) {
			first, err := s.recordAlert(ctx, c, p, a, now)
			if err != nil {
				return err
			}
			if !first {
				continue
			}
			fired++
			if err := s.escalate(ctx, c.ID, p, a); err != nil {
				return err
			}
		}
		return nil
	})
	return fired, err
}

// recordAlert writes the alert's row; false means it was already there.
func (s *Service) recordAlert(ctx context.Context, c Conversation, p sla.Policy, a sla.Alert, now time.Time) (bool, error) {
	res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO sla_events (conversation_id, policy_id, metric, stage, due_at, fired_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, metric, stage, due_at) DO NOTHING`,
		c.ID, p.ID, string(a.Metric), string(a.Stage), db.Millis(a.Due), db.Millis(now))
	if err != nil {
		return false, wrap("record sla alert", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := s.audit.Record(ctx, "conversation.sla_"+string(a.Stage), "conversation", c.ID,
		map[string]any{"metric": a.Metric, "due": a.Due, "policy": p.ID}); err != nil {
		return false, err
	}
	ev := event.SLAAlerted{Scope: scopeOf(c), PolicyID: p.ID, Metric: string(a.Metric), Stage: string(a.Stage), Due: a.Due, At: now}
	changed := event.ConversationChanged{Scope: scopeOf(c), ActorKind: "system",
		Changes: map[string]string{"sla": string(a.Stage) + ":" + string(a.Metric)}, PrevTeamID: c.TeamID, PrevAssigneeID: c.AssigneeID, At: now}
	db.AfterCommit(ctx, func() { s.bus.Publish(ctx, ev, changed) })
	return true, nil
}

// escalate applies a breached policy's actions.
func (s *Service) escalate(ctx context.Context, id int64, p sla.Policy, a sla.Alert) error {
	if a.Stage != sla.Breach {
		return nil
	}
	for _, act := range p.OnBreach {
		c, err := s.load(ctx, id)
		if err != nil {
			return err
		}
		switch act {
		case sla.RaisePriority:
			if c.Priority < Urgent {
				next := (c.Priority + 1).String()
				if _, err := s.Update(ctx, id, Patch{Priority: &next}); err != nil {
					return err
				}
			}
		case sla.Reassign:
			if c.AssigneeID != 0 && (c.Status == StatusNew || c.Status == StatusOpen) {
				none := int64(0)
				if _, err := s.Update(ctx, id, Patch{AssigneeID: &none}); err != nil {
					return err
				}
			}
		case sla.NotifySupervisor:
			body := fmt.Sprintf("SLA breached: %s was due %s (policy %q). Supervisors have been alerted.",
				metricLabel(a.Metric), a.Due.UTC().Format("2006-01-02 15:04 UTC"), p.Name)
			if _, _, err := s.addMessage(ctx, c, MessageInput{ConversationID: id, AuthorKind: BySystem, Internal: true, Body: body}); err != nil {
				return err
			}
		}
	}
	return nil
}

func metricLabel(m sla.Metric) string {
	switch m {
	case sla.FirstResponse:
		return "the first response"
	case sla.NextResponse:
		return "the next response"
	}
	return "the resolution"
}

// Vocabulary is the set of values SLA conditions may name.
func Vocabulary() sla.Vocabulary {
	return sla.Vocabulary{Priorities: slices.Clone(priorityNames), Channels: slices.Clone(Channels), Categories: slices.Clone(Categories)}
}
