package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// SendOutreach is the OutreachJob handler. In one transaction it writes
// the recipient's message as an outbound conversation, whose delivery job
// the channel then runs, and marks the recipient opened. A worker killed
// at any point either committed both or neither, and a recipient already
// opened is left alone: a restart reaches nobody twice. Replies land in
// that conversation like any other.
func (s *Service) SendOutreach(ctx context.Context, j job.Job) error {
	var p outreachPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("outreach: payload: %w", err))
	}
	var notice *exchange.Notice
	var wait time.Duration
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var state, ch string
		var slot sql.NullInt64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT state, channel, slot_at FROM outreach_recipients
			WHERE campaign_id = $1 AND customer_id = $2`, p.CampaignID, p.CustomerID).Scan(&state, &ch, &slot)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the campaign was deleted
		}
		if err != nil {
			return fmt.Errorf("outreach: recipient: %w", err)
		}
		if state != RecipientQueued {
			return nil
		}
		c, err := s.Campaign(ctx, p.CampaignID)
		if err != nil {
			return err
		}
		cust, err := s.customers.ByID(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		// An opt-out after the recipient was queued still counts.
		if _, reason, err := s.channelFor(ctx, c, cust); err != nil {
			return err
		} else if reason != "" {
			return s.setRecipient(ctx, p, recipientUpdate{state: RecipientSkipped, reason: reason})
		}
		// The recipient's slot on the channel's pace. An in-app notice or a
		// callback has no delivery job and goes at its slot; any other
		// message is written up to writeAhead before it and delivered at it.
		at, fresh, err := s.slot(ctx, c.RatePerMinute, ch, slot)
		if err != nil {
			return err
		}
		ahead := writeAhead
		if ch == "inapp" || ch == "callback" {
			ahead = 0
		}
		if wait = s.due(at.Add(-ahead), c.RatePerMinute, ch); wait > 0 {
			if fresh {
				return s.keepSlot(ctx, p, at)
			}
			return nil
		}
		if ch == "sms" {
			if cust, err = s.smsIdentity(ctx, cust); err != nil {
				return err
			}
		}
		lang := i18n.Normalize(cust.Language)
		if ch == "inapp" {
			// A network call: made after this transaction, with the job's
			// key, so the exchange shows it once however often it runs.
			notice = &exchange.Notice{UID: cust.UID, Title: pick(c.Subjects, lang), Body: s.render(c, cust, ch, lang), Key: j.Key}
			return nil
		}
		if ch == "callback" {
			// No message leaves: an agent calls, after the usual notice.
			convID, err := s.callbacks.OfferCall(ctx, cust.ID, c.IncidentID, lang, s.render(c, cust, ch, lang))
			if err != nil {
				return err
			}
			return s.setRecipient(ctx, p, recipientUpdate{state: RecipientOpened, convID: convID})
		}
		author, authorID := ticket.BySystem, int64(0)
		if c.CreatedBy != 0 {
			author, authorID = ticket.ByAgent, c.CreatedBy
		}
		pending := ticket.StatusPending
		conv, msg, err := s.tickets.Open(ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: ch, Subject: pick(c.Subjects, lang),
			Language: lang, Priority: ticket.Normal, Tags: []string{CampaignTag(c.ID)},
			Message: ticket.MessageInput{AuthorKind: author, AuthorID: authorID, AuthorName: i18n.T(lang, "outreach.author"),
				Body: s.render(c, cust, ch, lang), DeliverAt: at}})
		if err != nil {
			return err
		}
		// Waiting on the customer: out of the agents' new queue until they reply.
		if _, err := s.tickets.Update(ctx, conv.ID, ticket.Patch{Status: &pending}); err != nil {
			return err
		}
		return s.setRecipient(ctx, p, recipientUpdate{state: RecipientOpened, convID: conv.ID, msgID: msg.ID, slot: at})
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return job.Later(wait)
	}
	if notice == nil {
		return nil
	}
	if _, err := s.exchange.Notify(ctx, *notice); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		return s.setRecipient(ctx, p, recipientUpdate{state: RecipientNotified})
	})
}

// smsIdentity gives a customer texted at the number on their record an SMS
// identity with it, so their reply, which the provider sends from that
// number, lands in the campaign's conversation and a STOP finds them. A
// number another customer already holds is left with them.
func (s *Service) smsIdentity(ctx context.Context, cust customer.Customer) (customer.Customer, error) {
	number := smsNumber(cust)
	for _, id := range cust.Identities {
		if id.Channel == "sms" {
			return cust, nil
		}
	}
	c, err := s.customers.Update(ctx, cust.ID, customer.Input{Identities: []customer.Identity{{Channel: "sms", ExternalID: number}}})
	if apperr.Is(err, apperr.Conflict) {
		return cust, nil
	}
	return c, err
}

// CampaignTag tags a campaign's conversations, so agents find the replies.
func CampaignTag(id int64) string { return fmt.Sprintf("outreach-%d", id) }

// recipientUpdate is what setRecipient writes: the new state, why, the
// conversation and message it opened, and the send slot the message
// leaves at (zero: slot_at is left as it is).
type recipientUpdate struct {
	state, reason string
	convID, msgID int64
	slot          time.Time
}

func (s *Service) setRecipient(ctx context.Context, p outreachPayload, u recipientUpdate) error {
	var slot sql.NullInt64
	if !u.slot.IsZero() {
		slot = sql.NullInt64{Int64: db.Millis(u.slot), Valid: true}
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE outreach_recipients SET state = $1, reason = $2, conversation_id = $3, message_id = $4,
		slot_at = COALESCE($5, slot_at), updated_at = $6 WHERE campaign_id = $7 AND customer_id = $8`, u.state, u.reason,
		db.NullID(u.convID), db.NullID(u.msgID), slot, db.Millis(s.now()), p.CampaignID, p.CustomerID)
	if err != nil {
		return fmt.Errorf("outreach: set recipient: %w", err)
	}
	return nil
}

// render fills the template for one customer ({name}, {uid}) and adds the
// anti-phishing code and the verifier line. Email adds both itself, in its
// own header and footer, so they are not repeated there.
func (s *Service) render(c Campaign, cust customer.Customer, ch, lang string) string {
	name := cust.Name
	if name == "" {
		name = i18n.T(lang, "outreach.customer")
	}
	body := strings.NewReplacer("{name}", name, "{uid}", cust.UID).Replace(pick(c.Bodies, lang))
	if ch == "email" {
		return body
	}
	code := i18n.T(lang, "email.anti_phishing_missing")
	if cust.AntiPhishingCode != "" {
		code = i18n.T(lang, "email.anti_phishing", cust.AntiPhishingCode)
	}
	return code + "\n\n" + body + "\n\n" + i18n.T(lang, "outreach.verify", s.verifyURL)
}

// Progress is where a campaign stands.
type Progress struct {
	Campaign Campaign       `json:"campaign"`
	Total    int            `json:"total"`
	Queued   int            `json:"queued"`
	Opened   int            `json:"opened"`   // written and handed to the channel
	Notified int            `json:"notified"` // shown in the exchange's app
	Skipped  map[string]int `json:"skipped"`  // by reason
	Delivery map[string]int `json:"delivery"` // opened recipients by delivery state: pending, sent, delivered, failed
	// Receipts counts recipients by the provider's last delivery receipt
	// (SMS: queued, sent, delivered, undelivered, failed).
	Receipts map[string]int `json:"receipts"`
	Failures []Failure      `json:"failures"`
}

// Failure is one recipient the channel could not reach, and why.
type Failure struct {
	ConversationID int64  `json:"conversation_id"`
	Reason         string `json:"reason"`
}

// Progress counts a campaign's recipients by state and delivery, with the
// reasons of up to 50 failures.
func (s *Service) Progress(ctx context.Context, id int64) (Progress, error) {
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Campaign: c, Skipped: map[string]int{}, Delivery: map[string]int{}, Receipts: map[string]int{}, Failures: []Failure{}}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT state, reason, COUNT(*) FROM outreach_recipients WHERE campaign_id = $1
		GROUP BY state, reason`, id)
	if err != nil {
		return p, fmt.Errorf("outreach: progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state, reason string
		var n int
		if err := rows.Scan(&state, &reason, &n); err != nil {
			return p, fmt.Errorf("outreach: progress: %w", err)
		}
		p.Total += n
		switch state {
		case RecipientQueued:
			p.Queued += n
		case RecipientOpened:
			p.Opened += n
		case RecipientNotified:
			p.Notified += n
		case RecipientSkipped:
			p.Skipped[reason] += n
		}
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("outreach: progress: %w", err)
	}
	if err := s.countReceipts(ctx, id, p.Receipts); err != nil {
		return p, err
	}
	d, err := s.tickets.DeliveryByTag(ctx, CampaignTag(id), 50)
	if err != nil {
		return p, err
	}
	p.Delivery = d.Counts
	for _, f := range d.Failed {
		reason := "unknown"
		if j, err := s.jobs.ByKey(ctx, ticket.DeliveryKey(f.MessageID)); err == nil && j.LastError != "" {
			reason = j.LastError
		}
		p.Failures = append(p.Failures, Failure{ConversationID: f.ConversationID, Reason: reason})
	}
	return p, nil
}
