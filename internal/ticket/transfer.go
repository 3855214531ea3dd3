package ticket

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Transfer moves a conversation to a team, an agent or both.
type Transfer struct {
	TeamID     *int64 `json:"team_id"`
	AssigneeID *int64 `json:"assignee_id"`
	// Note tells the receiving side why; it becomes an internal note.
	Note       string `json:"note"`
	AuthorID   int64  `json:"-"`
	AuthorName string `json:"-"`
}

// Transfer hands a conversation over with a note, in one transaction: the
// receiving agent or team sees the change and the reason together.
// Moving to a team without naming an agent puts it back in that team's
// queue.
func (s *Service) Transfer(ctx context.Context, id int64, t Transfer) (Conversation, error) {
	t.Note = strings.TrimSpace(t.Note)
	switch {
	case t.TeamID == nil && t.AssigneeID == nil:
		return Conversation{}, apperr.Field("team_id", "conversation.transfer_target", "name a team, an agent or both")
	case utf8.RuneCountInString(t.Note) > 2000:
		return Conversation{}, apperr.Field("note", "conversation.note_too_long", "must be at most 2000 characters")
	}
	var out Conversation
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		p := Patch{TeamID: t.TeamID, AssigneeID: t.AssigneeID}
		if t.TeamID != nil && t.AssigneeID == nil {
			none := int64(0)
			p.AssigneeID = &none
		}
		c, err := s.Update(ctx, id, p)
		if err != nil {
			return err
		}
		if t.Note != "" {
			if _, c, err = s.addMessage(ctx, c, MessageInput{ConversationID: id, AuthorKind: ByAgent, AuthorID: t.AuthorID,
				AuthorName: t.AuthorName, Internal: true, Body: "Transfer: " + t.Note}); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

// QueueStat is one team's waiting line.
type QueueStat struct {
	TeamID     int64      `json:"team_id"` // 0: not routed to a team yet
	Waiting    int        `json:"waiting"`
	Urgent     int        `json:"urgent"`
	OldestAt   *time.Time `json:"oldest_at,omitempty"`
	NextDueAt  *time.Time `json:"next_due_at,omitempty"`
	Overdue    int        `json:"overdue"`
	AssignedTo int        `json:"assigned_open"` // assigned and not yet solved
}

// Queues summarises each team's queue: what waits for a person, the
// oldest, the nearest SLA deadline and how many are already overdue.
func (s *Service) Queues(ctx context.Context) ([]QueueStat, error) {
	now := db.Millis(s.now())
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT COALESCE(team_id, 0),
		SUM(CASE WHEN assignee_id IS NULL AND status IN ('new', 'open') THEN 1 ELSE 0 END),
		SUM(CASE WHEN assignee_id IS NULL AND status IN ('new', 'open') AND priority = 3 THEN 1 ELSE 0 END),
		MIN(CASE WHEN assignee_id IS NULL AND status IN ('new', 'open') THEN created_at END),
		MIN(sla_due_at),
		SUM(CASE WHEN sla_due_at <= $1 THEN 1 ELSE 0 END),
		SUM(CASE WHEN assignee_id IS NOT NULL THEN 1 ELSE 0 END)
		FROM conversations WHERE status IN ('new', 'open', 'pending', 'on_hold') AND merged_into IS NULL
		GROUP BY COALESCE(team_id, 0) ORDER BY 1`, now)
	if err != nil {
		return nil, wrap("queues", err)
	}
	defer rows.Close()
	out := []QueueStat{}
	for rows.Next() {
		var q QueueStat
		var oldest, due sql.NullInt64
		if err := rows.Scan(&q.TeamID, &q.Waiting, &q.Urgent, &oldest, &due, &q.Overdue, &q.AssignedTo); err != nil {
			return nil, wrap("queues", err)
		}
		q.OldestAt, q.NextDueAt = db.NullTime(oldest), db.NullTime(due)
		out = append(out, q)
	}
	return out, wrap("queues", rows.Err())
}
