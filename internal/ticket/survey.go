package ticket

import (
	"context"
	"fmt"

	"vigil/internal/job"
)

// SurveyJob is the job kind that asks the customer of a solved
// conversation for a satisfaction rating; the report package handles it.
const SurveyJob = "csat.ask"

// SurveyPayload names the conversation a SurveyJob asks about.
type SurveyPayload struct {
	ConversationID int64 `json:"conversation_id"`
}

// afterStatusChange records what reports need to know about a status
// change inside its transaction: a first solve asks for a rating (the
// key makes it once per conversation), and a solved conversation coming
// back counts as reopened.
func (s *Service) afterStatusChange(ctx context.Context, c Conversation, from Status) error {
	if c.Status == from {
		return nil
	}
	if from == StatusSolved && c.Status != StatusClosed {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET reopens = reopens + 1 WHERE id = $1`, c.ID); err != nil {
			return wrap("count reopen", err)
		}
	}
	if c.Status == StatusSolved && s.outbox != nil {
		_, err := s.outbox.Enqueue(ctx, job.Spec{Kind: SurveyJob, Key: fmt.Sprintf("csat:conversation:%d", c.ID),
			Payload: SurveyPayload{ConversationID: c.ID}})
		return wrap("enqueue survey", err)
	}
	return nil
}
