package ticket

import (
	"context"
)

// TagDelivery is how far the desk's first messages in the conversations
// carrying a tag got on their channels: counts per delivery state, and up
// to a page of the failed ones, so a campaign's progress needs no access
// to this package's tables.
type TagDelivery struct {
	Counts map[string]int
	Failed []MessageRef
}

// MessageRef names one message.
type MessageRef struct {
	ConversationID int64
	MessageID      int64
}

// DeliveryByTag reports the delivery of the opening message of every
// conversation tagged tag.
func (s *Service) DeliveryByTag(ctx context.Context, tag string, failedLimit int) (TagDelivery, error) {
	out := TagDelivery{Counts: map[string]int{}}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT m.delivery, COUNT(*) FROM messages m
		JOIN conversation_tags ct ON ct.conversation_id = m.conversation_id
		JOIN tags t ON t.id = ct.tag_id
		WHERE t.name = $1 AND m.seq = 1 GROUP BY m.delivery`, tag)
	if err != nil {
		return out, wrap("delivery by tag", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return out, wrap("delivery by tag", err)
		}
		out.Counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return out, wrap("delivery by tag", err)
	}
	failed, err := s.db.Q(ctx).QueryContext(ctx, `SELECT m.conversation_id, m.id FROM messages m
		JOIN conversation_tags ct ON ct.conversation_id = m.conversation_id
		JOIN tags t ON t.id = ct.tag_id
		WHERE t.name = $1 AND m.seq = 1 AND m.delivery = 'failed' ORDER BY m.id LIMIT $2`, tag, failedLimit)
	if err != nil {
		return out, wrap("delivery by tag", err)
	}
	defer failed.Close()
	for failed.Next() {
		var r MessageRef
		if err := failed.Scan(&r.ConversationID, &r.MessageID); err != nil {
			return out, wrap("delivery by tag", err)
		}
		out.Failed = append(out.Failed, r)
	}
	return out, failed.Err()
}
