package callback

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// noticeJob is the emailed copy of a notice: the chat follow-up job,
// which mails a message the customer has not read in the app.
func noticeJob(convID, msgID int64) job.Spec {
	return job.Spec{Kind: ticket.FollowUpJob, Key: fmt.Sprintf("followup:message:%d", msgID), Delay: ticket.FollowUpGrace,
		MaxAttempts: 16, Payload: ticket.DeliverPayload{ConversationID: convID, MessageID: msgID}}
}

// Place calls the customer through the trunk. The call runs in the
// background; its outcome, duration and recording land on the call row,
// as an internal note on the conversation and in the audit log when it
// ends. Hangup ends it early.
func (s *Service) Place(ctx context.Context, scope ticket.Scope, id, agentID int64) (Call, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	cb, _, err := s.visible(ctx, scope, id)
	if err != nil {
		return Call{}, err
	}
	if s.dialer == nil {
		return Call{}, apperr.New(apperr.Unavailable, "callback.no_trunk", "no SIP trunk is configured; call from a desk phone and record the outcome")
	}
	if err := s.callable(cb, agentID, now); err != nil {
		return Call{}, err
	}
	call := Call{CallbackID: cb.ID, AgentID: agentID, Via: "sip", StartedAt: now}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// The state moves only from scheduled: two agents' clicks, or two
		// instances, cannot both dial.
		if ok, err := s.moveState(ctx, cb.ID, Scheduled, Calling, now); err != nil || !ok {
			if err == nil {
				err = apperr.Conflictf("callback.in_progress", "a call for this callback is in progress")
			}
			return err
		}
		if err := s.insertCall(ctx, &call); err != nil {
			return err
		}
		return s.audit.Record(ctx, "callback.dial", "callback", cb.ID, map[string]any{"call": call.ID, "agent": agentID, "staff_id": cb.StaffID})
	})
	if err != nil {
		return Call{}, err
	}
	dialCtx, hangUp := context.WithCancel(context.WithoutCancel(ctx))
	lc := &liveCall{callID: call.ID, hangUp: hangUp}
	s.mu.Lock()
	s.live[cb.ID] = lc
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer hangUp()
		res := s.dialer.Dial(dialCtx, Dial{CallID: call.ID, Number: cb.phone, StaffID: cb.StaffID, OnAnswer: func(at time.Time) {
			s.mu.Lock()
			lc.answered = &at
			s.mu.Unlock()
		}})
		s.mu.Lock()
		delete(s.live, cb.ID)
		s.mu.Unlock()
		// The outcome must be logged even when the request that started
		// the call is long gone.
		logCtx := audit.WithActor(context.WithoutCancel(ctx), audit.Actor{Kind: "system"})
		if _, err := s.finish(logCtx, cb, call, res); err != nil {
			s.log.Error("call outcome not recorded", "component", "callback", "callback", cb.ID, "call", call.ID, "err", err)
		}
	}()
	return call, nil
}

// Live reports whether a call for the callback is in progress on this
// instance, and since when it is connected.
func (s *Service) Live(id int64) (bool, *time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.live[id]
	if !ok {
		return false, nil
	}
	return true, c.answered
}

// Hangup ends the call in progress for a callback: a ringing phone is
// cancelled, a connected call gets BYE. The outcome is logged as the call
// ends.
func (s *Service) Hangup(ctx context.Context, scope ticket.Scope, id int64) error {
	if _, _, err := s.visible(ctx, scope, id); err != nil {
		return err
	}
	s.mu.Lock()
	c, ok := s.live[id]
	s.mu.Unlock()
	if !ok {
		return apperr.Conflictf("callback.no_call", "no call for this callback is in progress here")
	}
	c.hangUp()
	return nil
}

// CompleteInput records a call made from a desk phone.
type CompleteInput struct {
	Outcome   Outcome
	Seconds   int
	Recording string
}

// MaxRecording bounds a recording reference.
const MaxRecording = 500

func (in *CompleteInput) validate() error {
	in.Recording = strings.TrimSpace(in.Recording)
	switch {
	case !slices.Contains(Outcomes, in.Outcome):
		return apperr.Field("outcome", "callback.outcome_invalid", "must be one of answered, busy, no_answer, failed, cancelled")
	case in.Seconds < 0 || in.Seconds > 6*3600:
		return apperr.Field("duration_seconds", "callback.duration_invalid", "must be between 0 and 21600")
	case in.Outcome != Answered && in.Seconds != 0:
		return apperr.Field("duration_seconds", "callback.duration_unanswered", "only an answered call has a duration")
	case len(in.Recording) > MaxRecording || strings.ContainsAny(in.Recording, "\r\n"):
		return apperr.Field("recording", "callback.recording_invalid", "must be one line of at most %d characters", MaxRecording)
	}
	return nil
}

// Complete records the outcome of a call the agent made from a desk
// phone. The same rules hold as for the trunk: only after the notice, and
// only the agent it named. A cancelled outcome closes a request the
// customer withdrew, with or without a notice.
func (s *Service) Complete(ctx context.Context, scope ticket.Scope, id, agentID int64, in CompleteInput) (Call, error) {
	if err := in.validate(); err != nil {
		return Call{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	cb, _, err := s.visible(ctx, scope, id)
	if err != nil {
		return Call{}, err
	}
	withdrawn := in.Outcome == Cancelled && (cb.State == Requested || cb.State == Scheduled)
	if !withdrawn {
		if err := s.callable(cb, agentID, now); err != nil {
			return Call{}, err
		}
	}
	started := now.Add(-time.Duration(in.Seconds) * time.Second)
	res := Result{Outcome: in.Outcome, StartedAt: started, EndedAt: now, Recording: in.Recording}
	if in.Outcome == Answered {
		res.AnsweredAt = &started
	}
	call := Call{CallbackID: cb.ID, AgentID: agentID, Via: "desk_phone", StartedAt: started}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if ok, err := s.moveState(ctx, cb.ID, cb.State, Calling, now); err != nil || !ok {
			if err == nil {
				err = apperr.Conflictf("callback.in_progress", "a call for this callback is in progress")
			}
			return err
		}
		if err := s.insertCall(ctx, &call); err != nil {
			return err
		}
		call, err = s.finish(ctx, cb, call, res)
		return err
	})
	return call, err
}

// finish logs how a call ended: the call row, the callback's state (done
// once the customer was reached, else ready for another try), an
// internal note for the agents and an audit entry.
func (s *Service) finish(ctx context.Context, cb Callback, call Call, res Result) (Call, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	call.Outcome, call.SIPStatus, call.Recording = res.Outcome, res.SIPStatus, res.Recording
	if !res.StartedAt.IsZero() {
		call.StartedAt = res.StartedAt.UTC().Truncate(time.Millisecond)
	}
	ended := res.EndedAt.UTC().Truncate(time.Millisecond)
	if res.EndedAt.IsZero() {
		ended = now
	}
	call.EndedAt = &ended
	if res.AnsweredAt != nil {
		a := res.AnsweredAt.UTC().Truncate(time.Millisecond)
		call.AnsweredAt = &a
		call.Seconds = int(ended.Sub(a).Round(time.Second) / time.Second)
	}
	next := Scheduled
	if res.Outcome == Answered || (res.Outcome == Cancelled && call.Via == "desk_phone") {
		next = Done
	}
	if cb.State == Requested && next == Scheduled {
		next = Requested
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.saveCall(ctx, call); err != nil {
			return err
		}
		if _, err := s.moveState(ctx, cb.ID, Calling, next, now); err != nil {
			return err
		}
		note := s.t(cb.Language, "callback.note_outcome", s.t(cb.Language, "callback.outcome."+string(res.Outcome)), call.Seconds, call.Via)
		if call.Recording != "" {
			note += "\n" + s.t(cb.Language, "callback.note_recording", call.Recording)
		}
		if res.Detail != "" {
			note += "\n" + res.Detail
		}
		if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: cb.ConversationID, AuthorKind: ticket.BySystem,
			Internal: true, Body: note}); err != nil && !apperr.Is(err, apperr.Conflict) {
			return err // a conversation closed meanwhile keeps the call row and the audit entry
		}
		detail := map[string]any{"call": call.ID, "agent": call.AgentID, "via": call.Via, "outcome": string(call.Outcome),
			"duration_seconds": call.Seconds, "state": string(next)}
		if call.SIPStatus != 0 {
			detail["sip_status"] = call.SIPStatus
		}
		if call.Recording != "" {
			detail["recording"] = call.Recording
		}
		return s.audit.Record(ctx, "callback.call", "callback", cb.ID, detail)
	})
	return call, err
}

// PurgeRecordings deletes the recordings of calls that ended before
// cutoff, except those of customers under legal hold: the file (when it
// is kept in the recording directory) and the reference on the call. It
// returns how many it deleted; retention calls it on its schedule.
func (s *Service) PurgeRecordings(ctx context.Context, cutoff time.Time, held []int64) (int64, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	var n int64
	for {
		due, err := s.expiredRecordings(ctx, cutoff, held)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, c := range due {
			if err := s.removeFile(c.Recording); err != nil {
				return n, err // the reference stays, so the next run tries again
			}
			err := s.db.WithTx(ctx, func(ctx context.Context) error {
				if err := s.clearRecording(ctx, c.ID, now); err != nil {
					return err
				}
				return s.audit.Record(ctx, "callback.recording_deleted", "callback", c.CallbackID, map[string]any{"call": c.ID,
					"recording": c.Recording, "ended_at": c.EndedAt})
			})
			if err != nil {
				return n, err
			}
			n++
		}
	}
}

// removeFile deletes a recording kept in the recording directory; a
// reference that names no file there (the trunk's own id) has none.
func (s *Service) removeFile(ref string) error {
	if s.dir == "" || ref != filepath.Base(ref) || ref == "." || ref == ".." {
		return nil
	}
	err := os.Remove(filepath.Join(s.dir, ref))
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("callback: delete recording %s: %w", ref, err)
	}
	return nil
}
