package channel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// Deliver is the job.Handler of ticket.DeliverJob: it sends one public
// reply through its conversation's adapter and records the external id,
// so the customer's answer threads back. A message already recorded as
// sent is not sent again.
func (s *Service) Deliver(ctx context.Context, j job.Job) error {
	var p ticket.DeliverPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("channel: delivery payload: %w", err))
	}
	var sent int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_messages WHERE message_id = $1 AND direction = 'out'`,
		p.MessageID).Scan(&sent); err != nil {
		return fmt.Errorf("channel: delivery state: %w", err)
	}
	if sent > 0 {
		return nil
	}
	conv, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, p.ConversationID)
	if err != nil {
		return s.permanent(ctx, p.MessageID, err)
	}
	msg, err := s.tickets.Message(ctx, conv.ID, p.MessageID)
	if err != nil {
		return s.permanent(ctx, p.MessageID, err)
	}
	a, ok := s.adapters[conv.Channel]
	if !ok {
		return s.permanent(ctx, msg.ID, fmt.Errorf("channel: no %s adapter is configured", conv.Channel))
	}
	if s.pacer != nil {
		// Taken just before the send, so the provider sees the pace
		// however the workers ordered the jobs before it.
		wait, err := s.pacer.Pace(ctx, conv.Channel, msg.ID)
		if err != nil {
			return err
		}
		if wait > 0 {
			return job.Later(wait)
		}
	}
	cust, err := s.customers.ByID(ctx, conv.CustomerID)
	if err != nil {
		return s.permanent(ctx, msg.ID, err)
	}
	out := Outbound{Conversation: conv, Message: msg, Customer: cust, Key: j.Key, Attempt: j.Attempt}
	for _, id := range cust.Identities {
		if id.Channel == conv.Channel {
			out.To = id.ExternalID
		}
	}
	if out.To == "" && conv.Channel == "email" {
		out.To = cust.Email
	}
	if out.To == "" && conv.Channel == "sms" {
		out.To = cust.Phone
	}
	if out.To == "" {
		return s.permanent(ctx, msg.ID, fmt.Errorf("channel: customer %d has no %s address", cust.ID, conv.Channel))
	}
	if out.Thread, out.InReplyTo, err = s.history(ctx, conv.Channel, conv.ID); err != nil {
		return err
	}
	ext, err := a.Send(ctx, out)
	if err != nil {
		if j.Attempt >= j.MaxAttempts || job.IsPermanent(err) {
			_ = s.tickets.SetDelivery(context.WithoutCancel(ctx), msg.ID, ticket.DeliveryFailed)
		}
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO channel_messages
			(channel, external_id, conversation_id, message_id, direction, created_at)
			VALUES ($1, $2, $3, $4, 'out', $5)`, conv.Channel, ext, conv.ID, msg.ID, db.Millis(s.now())); err != nil && !db.IsUniqueViolation(err) {
			return fmt.Errorf("channel: record sent message: %w", err)
		}
		return s.tickets.SetDelivery(ctx, msg.ID, ticket.DeliverySent)
	})
}

// permanent marks the message undeliverable and stops the retries.
func (s *Service) permanent(ctx context.Context, msgID int64, err error) error {
	_ = s.tickets.SetDelivery(context.WithoutCancel(ctx), msgID, ticket.DeliveryFailed)
	return job.Permanent(err)
}

// history returns a conversation's external message ids, oldest first, and
// the latest inbound one.
func (s *Service) history(ctx context.Context, ch string, convID int64) ([]string, string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT external_id, direction FROM channel_messages
		WHERE conversation_id = $1 AND channel = $2 ORDER BY created_at, message_id`, convID, ch)
	if err != nil {
		return nil, "", fmt.Errorf("channel: history: %w", err)
	}
	defer rows.Close()
	var ids []string
	var last string
	for rows.Next() {
		var id, dir string
		if err := rows.Scan(&id, &dir); err != nil {
			return nil, "", fmt.Errorf("channel: history: %w", err)
		}
		ids = append(ids, id)
		if dir == "in" {
			last = id
		}
	}
	return ids, last, rows.Err()
}

// Original returns an inbound message as it arrived.
func (s *Service) Original(ctx context.Context, ch, externalID string) ([]byte, error) {
	var b []byte
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT original FROM channel_messages WHERE channel = $1 AND external_id = $2`,
		ch, externalID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("channel: no %s message %q: %w", ch, externalID, err)
	}
	return b, err
}

// Original is an inbound message as it arrived on its channel.
type Original struct {
	ConversationID int64
	Channel        string
	Data           []byte
}

// OriginalOf returns what a message was made from: the raw email with its
// quotes, signature and headers, or the Telegram update. NotFound for
// messages written in the desk or on the web chat.
func (s *Service) OriginalOf(ctx context.Context, messageID int64) (Original, error) {
	var o Original
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT conversation_id, channel, original FROM channel_messages
		WHERE message_id = $1 AND direction = 'in' AND original IS NOT NULL`, messageID).Scan(&o.ConversationID, &o.Channel, &o.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return Original{}, apperr.NotFoundf("message.original_not_found", "message %d has no original", messageID)
	}
	if err != nil {
		return Original{}, fmt.Errorf("channel: original: %w", err)
	}
	return o, nil
}

// ForgetOriginals drops the raw copies (the emails as they arrived) kept
// for a conversation's messages, when retention or erasure removes the
// conversation's content; the external ids stay so threading still works.
func (s *Service) ForgetOriginals(ctx context.Context, convID int64) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE channel_messages SET original = NULL WHERE conversation_id = $1 AND original IS NOT NULL`, convID)
	if err != nil {
		return fmt.Errorf("channel: forget originals: %w", err)
	}
	return nil
}
