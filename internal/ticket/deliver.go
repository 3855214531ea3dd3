package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/job"
)

// Outbox writes durable jobs in the caller's transaction (job.Queue).
type Outbox interface {
	Enqueue(ctx context.Context, s job.Spec) (bool, error)
}

// DeliverJob is the job kind of a public message that must leave the desk
// on its conversation's channel; the channel layer handles it.
const DeliverJob = "channel.deliver"

// DeliverPayload names the message a DeliverJob carries.
type DeliverPayload struct {
	ConversationID int64 `json:"conversation_id"`
	MessageID      int64 `json:"message_id"`
}

// DeliveredChannels deliver replies outside the desk, through jobs. Web
// chat is live over the socket; the API and phone have no outbound leg.
var DeliveredChannels = []string{"email", "telegram", "discord", "sms"}

// Delivery states a message can be in.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// leavesByJob reports whether a new message must be delivered by a job:
// a public message from the desk on a delivered channel.
func (s *Service) leavesByJob(c Conversation, m Message) bool {
	return s.outbox != nil && !m.Internal && m.AuthorKind != ByCustomer && slices.Contains(DeliveredChannels, c.Channel)
}

// enqueueDelivery writes the delivery job in the message's transaction, so
// a committed reply is always delivered and a rolled-back one never is.
// The key names the message: however often this runs, it is sent once.
// A zero at means now.
func (s *Service) enqueueDelivery(ctx context.Context, m Message, at time.Time) error {
	var delay time.Duration
	if !at.IsZero() {
		delay = max(at.Sub(s.now()), 0)
	}
	_, err := s.outbox.Enqueue(ctx, job.Spec{Kind: DeliverJob, Key: DeliveryKey(m.ID), Delay: delay,
		Payload: DeliverPayload{ConversationID: m.ConversationID, MessageID: m.ID}})
	return wrap("enqueue delivery", err)
}

// DeliveryKey is the idempotency key of a message's delivery job.
func DeliveryKey(msgID int64) string { return fmt.Sprintf("deliver:message:%d", msgID) }

// Message returns one message of a conversation; notes included, so only
// the desk's own workers call it.
func (s *Service) Message(ctx context.Context, convID, msgID int64) (Message, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+msgColumns+` FROM messages WHERE id = $1 AND conversation_id = $2`, msgID, convID)
	if err != nil {
		return Message{}, wrap("message", err)
	}
	ms, err := s.scanMessages(ctx, rows)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, apperr.NotFoundf("message.not_found", "message %d not found", msgID)
	}
	return ms[0], nil
}

// SetDelivery records how far a message got on its channel, so the agent
// sees a reply that could not be delivered.
func (s *Service) SetDelivery(ctx context.Context, msgID int64, state string) error {
	if !slices.Contains([]string{DeliveryPending, DeliverySent, DeliveryFailed, "delivered", "read"}, state) {
		return errors.New("ticket: unknown delivery state " + state)
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE messages SET delivery = $1 WHERE id = $2`, state, msgID)
	return wrap("set delivery", err)
}

// LinkAttachments attaches files uploaded to a conversation to one of its
// messages; a channel whose message arrives with its files (email) stores
// the message first and its files after, in one transaction.
func (s *Service) LinkAttachments(ctx context.Context, convID, msgID int64, ids []int64) ([]Attachment, error) {
	var out []Attachment
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.linkAttachments(ctx, convID, msgID, ids)
		return err
	})
	return out, err
}

// FollowUpJob is the job kind of an agent's web chat reply that may have to
// reach the customer by email, because they left the chat before it came.
const FollowUpJob = "channel.followup"

// FollowUpGrace is how long a web chat reply waits before its follow-up
// job first looks at the customer: a customer still in the chat reads it
// there, and one who just closed the tab gets the email soon after.
const FollowUpGrace = 2 * time.Minute

// enqueueFollowUp writes the follow-up job of a public agent reply on the
// web chat when the customer left an email address; the job decides, when
// it runs, whether the customer is still around to read it live. The key
// names the message, so one reply is mailed at most once.
func (s *Service) enqueueFollowUp(ctx context.Context, c Conversation, m Message) error {
	if s.outbox == nil || c.Channel != "webchat" || m.Internal || m.AuthorKind != ByAgent {
		return nil
	}
	cust, err := s.customers.ByID(ctx, c.CustomerID)
	if err != nil {
		return wrap("follow-up customer", err)
	}
	if cust.Email == "" {
		return nil
	}
	_, err = s.outbox.Enqueue(ctx, job.Spec{Kind: FollowUpJob, Key: fmt.Sprintf("followup:message:%d", m.ID), Delay: FollowUpGrace,
		MaxAttempts: 16, Payload: DeliverPayload{ConversationID: m.ConversationID, MessageID: m.ID}})
	return wrap("enqueue follow-up", err)
}

// CustomerLastSeen is the latest sign of the customer in a conversation:
// their last message or read receipt. Every instance shares it, unlike
// the live connections each instance holds.
func (s *Service) CustomerLastSeen(ctx context.Context, convID int64) (time.Time, error) {
	var wrote, read sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT
		(SELECT MAX(created_at) FROM messages WHERE conversation_id = $1 AND author_kind = $2),
		(SELECT MAX(read_at) FROM message_reads WHERE conversation_id = $1 AND reader_kind = $2)`,
		convID, string(ByCustomer)).Scan(&wrote, &read)
	if err != nil {
		return time.Time{}, wrap("customer last seen", err)
	}
	return db.Time(max(wrote.Int64, read.Int64)), nil
}
