package channel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// Presence tells whether a customer has a live widget connection on this
// instance (realtime.Hub). Other instances' connections are not known here.
type Presence interface {
	CustomerConnected(customerID int64) bool
}

// DefaultQuiet is how long a web chat customer must have been silent (no
// message, no read receipt) before a reply they have not read is mailed.
const DefaultQuiet = 5 * time.Minute

// FollowUp is the job.Handler of ticket.FollowUpJob: an agent's web chat
// reply reaches the customer by email when they are no longer in the chat.
//
// With several instances this one only sees its own connections, so the
// rule is conservative and uses what every instance shares, the database:
// the reply is not mailed once the customer has read it (the widget's
// read receipt), and it waits while the customer is connected here or was
// seen in the conversation (wrote, or read) less than Quiet ago. A customer
// who stays away gets one email; one who stays connected without reading
// for the whole life of the job (16 attempts, about eight hours) gets it then.
func (s *Service) FollowUp(ctx context.Context, j job.Job) error {
	var p ticket.DeliverPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("channel: follow-up payload: %w", err))
	}
	a, ok := s.adapters["email"]
	if !ok {
		return nil // no outbound email: the conversation stays a ticket in the inbox
	}
	var sent int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_messages WHERE message_id = $1 AND direction = 'out'`,
		p.MessageID).Scan(&sent); err != nil {
		return fmt.Errorf("channel: follow-up state: %w", err)
	}
	if sent > 0 {
		return nil
	}
	conv, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, p.ConversationID)
	if err != nil {
		return job.Permanent(err)
	}
	msg, err := s.tickets.Message(ctx, conv.ID, p.MessageID)
	if err != nil {
		return job.Permanent(err)
	}
	cust, err := s.customers.ByID(ctx, conv.CustomerID)
	if err != nil {
		return job.Permanent(err)
	}
	if cust.Email == "" {
		return nil
	}
	read, err := s.tickets.ReadUpTo(ctx, conv.ID, ticket.ByCustomer)
	if err != nil {
		return err
	}
	if read >= msg.Seq {
		return nil // they saw it in the chat
	}
	if j.Attempt < j.MaxAttempts {
		if s.presence != nil && s.presence.CustomerConnected(cust.ID) {
			return job.RetryAfter(fmt.Errorf("channel: customer %d is connected; reply %d not mailed yet", cust.ID, msg.ID), s.quiet)
		}
		seen, err := s.tickets.CustomerLastSeen(ctx, conv.ID)
		if err != nil {
			return err
		}
		if wait := seen.Add(s.quiet).Sub(s.now()); wait > 0 {
			return job.RetryAfter(fmt.Errorf("channel: customer %d was seen %s ago; reply %d not mailed yet", cust.ID,
				s.now().Sub(seen).Round(time.Second), msg.ID), wait)
		}
	}
	out := Outbound{Conversation: conv, Message: msg, Customer: cust, To: cust.Email, Key: j.Key, Link: s.chatLink(conv)}
	if out.Thread, out.InReplyTo, err = s.history(ctx, "email", conv.ID); err != nil {
		return err
	}
	ext, err := a.Send(ctx, out)
	if err != nil {
		return err
	}
	if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO channel_messages
		(channel, external_id, conversation_id, message_id, direction, created_at)
		VALUES ($1, $2, $3, $4, 'out', $5)`, "email", ext, conv.ID, msg.ID, db.Millis(s.now())); err != nil && !db.IsUniqueViolation(err) {
		return fmt.Errorf("channel: record follow-up: %w", err)
	}
	return nil
}

// chatLink is the chat page that reopens the conversation, in its language.
func (s *Service) chatLink(c ticket.Conversation) string {
	if s.publicURL == "" {
		return ""
	}
	q := url.Values{"lang": {c.Language}, "conversation": {fmt.Sprint(c.ID)}}
	return s.publicURL + "/widget/chat?" + q.Encode()
}

// chatReply recognises an email answering a web chat follow-up: it names
// the follow-up's Message-ID (an HMAC nobody can guess) and comes, with a
// sender the desk could verify, from the address the customer left. The
// answer then continues the chat conversation under the chat customer,
// instead of starting an email conversation under a stranger. A zero
// conversation means it is not one.
func (s *Service) chatReply(ctx context.Context, in Inbound) (customer.Customer, ticket.Conversation, error) {
	if in.Channel != "email" || in.Unverified || in.From.Email == "" {
		return customer.Customer{}, ticket.Conversation{}, nil
	}
	for _, ref := range in.InReplyTo {
		var convID int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT conversation_id FROM channel_messages
			WHERE channel = 'email' AND external_id = $1 AND direction = 'out'`, ref).Scan(&convID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return customer.Customer{}, ticket.Conversation{}, fmt.Errorf("channel: chat reply: %w", err)
		}
		conv, err := s.follow(ctx, convID)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return customer.Customer{}, ticket.Conversation{}, err
		}
		if conv.Channel != "webchat" || conv.Status == ticket.StatusClosed {
			continue
		}
		cust, err := s.customers.ByID(ctx, conv.CustomerID)
		if err != nil {
			return customer.Customer{}, ticket.Conversation{}, err
		}
		if strings.EqualFold(cust.Email, in.From.Email) {
			return cust, conv, nil
		}
	}
	return customer.Customer{}, ticket.Conversation{}, nil
}
