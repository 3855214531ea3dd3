package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"vigil/internal/db"
)

// MarkRead records that one side (customer or agent) has read a
// conversation up to seq; it never moves backwards.
func (s *Service) MarkRead(ctx context.Context, convID int64, reader AuthorKind, seq int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO message_reads (conversation_id, reader_kind, seq, read_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (conversation_id, reader_kind) DO UPDATE SET seq = excluded.seq, read_at = excluded.read_at
			WHERE excluded.seq > message_reads.seq`, convID, string(reader), seq, db.Millis(s.now()))
		return wrap("mark read", err)
	})
}

// ReadUpTo returns the last seq the given side has read.
func (s *Service) ReadUpTo(ctx context.Context, convID int64, reader AuthorKind) (int64, error) {
	var seq int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT seq FROM message_reads WHERE conversation_id = $1 AND reader_kind = $2`,
		convID, string(reader)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, wrap("read up to", err)
}

// QueuePosition is a waiting conversation's place among those of its team
// that nobody has answered or taken yet (1 is next), in queue order
// (priority, then SLA deadline, then age); 0 when it is not waiting.
func (s *Service) QueuePosition(ctx context.Context, convID int64) (int, error) {
	c, err := s.load(ctx, convID)
	if err != nil {
		return 0, err
	}
	if c.Status != StatusNew || c.FirstResponseAt != nil || c.AssigneeID != 0 {
		return 0, nil
	}
	args := []any{c.ID, int(c.Priority)}
	team := "team_id IS NULL"
	if c.TeamID != 0 {
		args = append(args, c.TeamID)
		team = "team_id = $3"
	}
	// Ahead: a higher priority; or the same priority and an earlier SLA
	// deadline (a deadline before none); or the same of both and older.
	earlier := "sla_due_at IS NULL AND id < $1"
	if d := c.SLADueAt; d != nil {
		args = append(args, db.Millis(*d))
		n := fmt.Sprintf("$%d", len(args))
		earlier = "sla_due_at < " + n + " OR (sla_due_at = " + n + " AND id < $1)"
	} else {
		earlier = "sla_due_at IS NOT NULL OR (" + earlier + ")"
	}
	var ahead int
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE status = 'new'
		AND first_response_at IS NULL AND assignee_id IS NULL AND id <> $1 AND `+team+`
		AND (priority > $2 OR (priority = $2 AND (`+earlier+`)))`, args...).Scan(&ahead)
	return ahead + 1, wrap("queue position", err)
}

// MedianFirstResponse is the median time to first response of up to the
// last 500 conversations created since, and how many it is based on.
func (s *Service) MedianFirstResponse(ctx context.Context, since time.Time) (time.Duration, int, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT first_response_at - created_at FROM conversations
		WHERE created_at >= $1 AND first_response_at IS NOT NULL ORDER BY id DESC LIMIT 500`, db.Millis(since))
	if err != nil {
		return 0, 0, wrap("median first response", err)
	}
	defer rows.Close()
	var ms []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return 0, 0, wrap("median first response", err)
		}
		ms = append(ms, v)
	}
	if err := rows.Err(); err != nil || len(ms) == 0 {
		return 0, 0, wrap("median first response", err)
	}
	slices.Sort(ms)
	return time.Duration(ms[len(ms)/2]) * time.Millisecond, len(ms), nil
}

// Waiting lists unassigned conversations that still need a person, in
// queue order: priority first, then the SLA deadline (none last), then
// age.
func (s *Service) Waiting(ctx context.Context, limit int) ([]Conversation, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+convColumns+` FROM conversations
		WHERE assignee_id IS NULL AND status IN ('new', 'open') AND merged_into IS NULL
		ORDER BY priority DESC, sla_due_at IS NULL, sla_due_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("waiting", err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, wrap("waiting", err)
		}
		out = append(out, c)
	}
	return out, wrap("waiting", rows.Err())
}

// Load counts each agent's assigned conversations that are not yet solved.
func (s *Service) Load(ctx context.Context) (map[int64]int, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT assignee_id, COUNT(*) FROM conversations
		WHERE assignee_id IS NOT NULL AND status IN ('new', 'open', 'pending', 'on_hold') GROUP BY assignee_id`)
	if err != nil {
		return nil, wrap("load", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, wrap("load", err)
		}
		out[id] = n
	}
	return out, wrap("load", rows.Err())
}

// AssignIfWaiting gives a conversation to an agent unless someone took it
// meanwhile; it reports whether it did.
func (s *Service) AssignIfWaiting(ctx context.Context, id, agentID int64) (bool, error) {
	done := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if c.AssigneeID != 0 || c.MergedInto != 0 || (c.Status != StatusNew && c.Status != StatusOpen) {
			return nil
		}
		if _, err := s.Update(ctx, id, Patch{AssigneeID: &agentID}); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}

// Release unassigns an agent's conversations that are waiting for a
// person (new or open), so routing can give them to someone else; it
// returns how many.
func (s *Service) Release(ctx context.Context, agentID int64) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM conversations
			WHERE assignee_id = $1 AND status IN ('new', 'open') ORDER BY id`, agentID)
		if err != nil {
			return wrap("release", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return wrap("release", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap("release", err)
		}
		none := int64(0)
		for _, id := range ids {
			// Each change is audited and announced like a manual unassign.
			if _, err := s.Update(ctx, id, Patch{AssigneeID: &none}); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
