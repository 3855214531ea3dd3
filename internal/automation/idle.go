package automation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vigil/internal/db"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// sweepBatch bounds the conversations one sweep queues per rule; the
// rest wait for the next sweep.
const sweepBatch = 500

// Sweep queues a rules job for every conversation that went quiet for an
// idle rule since the last sweep: in the rule's statuses and not updated
// for its hours. Each rule remembers how far it has looked, so a sweep
// reads only conversations that crossed the line since the one before,
// and the job key names the conversation's quiet period, so several
// instances sweeping at once queue it once. It returns the jobs queued.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rules, err := s.Rules(ctx)
	if err != nil {
		return 0, err
	}
	now := s.o.Now()
	queued := 0
	for _, r := range rules {
		if r.On != OnIdle || r.Idle == nil || !r.Enabled {
			continue
		}
		n, err := s.sweepRule(ctx, r, now)
		queued += n
		if err != nil {
			return queued, err
		}
	}
	return queued, nil
}

func (s *Service) sweepRule(ctx context.Context, r Rule, now time.Time) (int, error) {
	cutoff := now.Add(-time.Duration(r.Idle.Hours) * time.Hour)
	statuses := make([]ticket.Status, len(r.Idle.Statuses))
	for i, st := range r.Idle.Statuses {
		statuses[i] = ticket.Status(st)
	}
	queued := 0
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		idle, err := s.o.Tickets.Idle(ctx, ticket.IdleQuery{Statuses: statuses, Since: db.Time(r.sweptUntil), Before: cutoff, Limit: sweepBatch})
		if err != nil {
			return err
		}
		next := db.Millis(cutoff)
		if len(idle) == sweepBatch {
			next = db.Millis(idle[len(idle)-1].UpdatedAt) // the rest next time, this instant again included
		}
		for _, c := range idle {
			chain := fmt.Sprintf("idle:%d:%d:%d", r.ID, c.ID, db.Millis(c.UpdatedAt))
			ok, err := s.o.Outbox.Enqueue(ctx, job.Spec{Kind: RunJob, Key: "automation:" + chain,
				Payload: runPayload{Trigger: OnIdle, ConversationID: c.ID, Chain: chain, RuleID: r.ID}})
			if err != nil {
				return err
			}
			if ok {
				queued++
			}
		}
		_, err = s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE automation_rules SET idle_swept_until = $1 WHERE id = $2 AND idle_swept_until < $1`,
			next, r.ID)
		if err != nil {
			return fmt.Errorf("automation: sweep: %w", err)
		}
		return nil
	})
	return queued, err
}

// Watch sweeps every interval until ctx ends.
func (s *Service) Watch(ctx context.Context, every time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("automation: idle sweep failed", "component", "automation", "err", err)
			}
		}
	}
}
