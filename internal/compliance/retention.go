package compliance

import (
	"context"
	"time"
)

// RetentionRun says what one retention pass removed.
type RetentionRun struct {
	At            time.Time `json:"at"`
	Conversations int64     `json:"conversations"`
	Messages      int64     `json:"messages"`
	Attachments   int64     `json:"attachments"`
	Recordings    int64     `json:"recordings"`
	AuditEntries  int64     `json:"audit_entries"`
	StrayFiles    int       `json:"stray_files"`
	Held          int       `json:"held_customers"`
}

// retentionBatch bounds each transaction of a pass, so writers are never
// held up for long.
const retentionBatch = 100

// RunRetention removes what has outlived its retention, skipping the
// customers under legal hold, and records the pass in the audit log.
// The oldest audit entries go last, behind a signed checkpoint, so the
// chain still verifies.
func (s *Service) RunRetention(ctx context.Context) (RetentionRun, error) {
	now := s.o.Now().UTC().Truncate(time.Millisecond)
	run := RetentionRun{At: now}
	held, err := s.heldIDs(ctx)
	if err != nil {
		return run, err
	}
	run.Held = len(held)
	r := s.o.Retention
	if r.Messages > 0 {
		for {
			ids, err := s.o.Tickets.ExpiredConversations(ctx, now.Add(-r.Messages), held, retentionBatch)
			if err != nil {
				return run, err
			}
			got, err := s.empty(ctx, ids)
			if err != nil {
				return run, err
			}
			run.Conversations += got.Conversations
			run.Messages += got.Messages
			run.Attachments += got.Attachments
			if len(ids) < retentionBatch || ctx.Err() != nil {
				break
			}
		}
	}
	if r.Attachments > 0 {
		for {
			n, err := s.o.Tickets.PurgeAttachments(ctx, now.Add(-r.Attachments), held, retentionBatch)
			if err != nil {
				return run, err
			}
			run.Attachments += n
			if n < retentionBatch || ctx.Err() != nil {
				break
			}
		}
	}
	if r.Recordings > 0 && s.o.Recordings != nil {
		if run.Recordings, err = s.o.Recordings.PurgeRecordings(ctx, now.Add(-r.Recordings), held); err != nil {
			return run, err
		}
	}
	// Files a crash left behind between a deletion and its file removal.
	if run.StrayFiles, err = s.o.Tickets.SweepFiles(ctx, time.Hour); err != nil {
		return run, err
	}
	if err := s.o.Audit.Record(ctx, "compliance.retention", "retention", 0, map[string]any{
		"conversations": run.Conversations, "messages": run.Messages, "attachments": run.Attachments,
		"recordings": run.Recordings, "held_customers": run.Held}); err != nil {
		return run, err
	}
	if r.Audit > 0 {
		if run.AuditEntries, err = s.o.Audit.Prune(ctx, now.Add(-r.Audit)); err != nil {
			return run, err
		}
	}
	if s.o.Log != nil && (run.Messages+run.Attachments+run.Recordings+run.AuditEntries > 0 || run.StrayFiles > 0) {
		s.o.Log.Info("retention pass", "component", "compliance", "conversations", run.Conversations, "messages", run.Messages,
			"attachments", run.Attachments, "recordings", run.Recordings, "audit_entries", run.AuditEntries, "stray_files", run.StrayFiles)
	}
	return run, nil
}
