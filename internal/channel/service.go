package channel

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Customers *customer.Service
	Tickets   *ticket.Service
	Adapters  []Adapter
	Now       func() time.Time
	// Presence and Quiet decide when a web chat reply is followed up by
	// email (FollowUp); PublicURL is where the email links back to the chat.
	Presence  Presence
	Quiet     time.Duration // 0: DefaultQuiet
	PublicURL string
	// Pacer, when set, holds deliveries to a rate (outreach campaigns).
	Pacer Pacer
}

// Pacer decides when a message may leave on its channel: 0 means now,
// more means the delivery runs again after that long.
type Pacer interface {
	Pace(ctx context.Context, channel string, messageID int64) (time.Duration, error)
}

// Service receives normalised inbound messages and delivers outbound ones.
type Service struct {
	db        *db.DB
	customers *customer.Service
	tickets   *ticket.Service
	adapters  map[string]Adapter
	now       func() time.Time
	presence  Presence
	quiet     time.Duration
	publicURL string
	pacer     Pacer
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{db: o.DB, customers: o.Customers, tickets: o.Tickets, adapters: map[string]Adapter{}, now: o.Now,
		presence: o.Presence, quiet: o.Quiet, publicURL: strings.TrimRight(o.PublicURL, "/"), pacer: o.Pacer}
	if s.quiet <= 0 {
		s.quiet = DefaultQuiet
	}
	for _, a := range o.Adapters {
		s.adapters[a.Channel()] = a
	}
	return s
}

// maxOriginal bounds the kept original; adapters enforce their own,
// smaller message size limits before this.
const maxOriginal = 32 << 20

func (in *Inbound) validate() error {
	switch {
	case in.Channel == "":
		return apperr.Invalidf("channel.invalid", "inbound message without a channel")
	case in.ExternalID == "" || len(in.ExternalID) > 255:
		return apperr.Invalidf("channel.external_id", "inbound message needs an external id of at most 255 bytes")
	case in.From.ID == "" || len(in.From.ID) > 256:
		return apperr.Invalidf("channel.sender", "inbound message needs a sender")
	case len(in.Original) > maxOriginal:
		return apperr.Invalidf("channel.too_large", "inbound message is larger than %d MiB", maxOriginal>>20)
	}
	in.Body = clip(in.Body, ticket.MaxBody)
	in.Subject = clipRunes(strings.TrimSpace(in.Subject), 200)
	in.From.Name = clipRunes(strings.TrimSpace(in.From.Name), 200)
	if in.Language != "en" && in.Language != "zh" {
		in.Language = "en"
	}
	return nil
}

// Receive threads an inbound message into a conversation: a known
// external id is a redelivery; otherwise the first known id it answers,
// or the conversation number it quotes (if the sender owns it), picks the
// conversation, and failing those it opens a new one. A reply to a solved
// conversation reopens it (ticket's rule for customer messages); a reply
// to a closed one starts a follow-up.
func (s *Service) Receive(ctx context.Context, in Inbound) (Received, error) {
	if err := in.validate(); err != nil {
		return Received{}, err
	}
	if r, err := s.seen(ctx, in.Channel, in.ExternalID); err == nil {
		return r, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Received{}, err
	}
	defaults := customer.Input{Language: &in.Language}
	if in.From.Name != "" {
		defaults.Name = &in.From.Name
	}
	if e := strings.ToLower(in.From.Email); e != "" && customer.CheckEmail(e) == nil {
		defaults.Email = &e
	}
	in.Attachments, in.Dropped = acceptable(in.Attachments, in.Dropped)
	cust, chat, err := s.chatReply(ctx, in)
	if err != nil {
		return Received{}, err
	}
	if chat.ID == 0 {
		if cust, _, err = s.customers.Resolve(ctx, customer.Identity{Channel: in.Channel, ExternalID: in.From.ID}, defaults); err != nil {
			return Received{}, fmt.Errorf("channel: sender: %w", err)
		}
	}
	var r Received
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		conv := chat
		if conv.ID == 0 {
			if conv, err = s.thread(ctx, in, cust.ID); err != nil {
				return err
			}
		}
		r, err = s.store(ctx, in, cust, conv)
		return err
	})
	if db.IsUniqueViolation(err) {
		// The same message arrived twice at once; the other copy won.
		return s.seen(ctx, in.Channel, in.ExternalID)
	}
	return r, err
}

// seen returns an earlier delivery of the same external message.
func (s *Service) seen(ctx context.Context, ch, ext string) (Received, error) {
	var r Received
	var msg sql.NullInt64
	var at int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT conversation_id, message_id, created_at FROM channel_messages
		WHERE channel = $1 AND external_id = $2`, ch, ext).Scan(&r.ConversationID, &msg, &at)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			err = fmt.Errorf("channel: lookup %s message: %w", ch, err)
		}
		return Received{}, err
	}
	r.MessageID, r.Duplicate, r.At = msg.Int64, true, db.Time(at)
	return r, nil
}

// thread finds the open conversation an inbound message continues, or
// returns a zero conversation for a new one.
func (s *Service) thread(ctx context.Context, in Inbound, customerID int64) (ticket.Conversation, error) {
	var candidates []int64
	for _, ref := range in.InReplyTo {
		var id int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT conversation_id FROM channel_messages WHERE channel = $1 AND external_id = $2`,
			in.Channel, ref).Scan(&id)
		if err == nil {
			candidates = append(candidates, id)
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return ticket.Conversation{}, fmt.Errorf("channel: thread: %w", err)
		}
	}
	if in.ConversationID != 0 && !in.Unverified {
		candidates = append(candidates, in.ConversationID)
	}
	if in.Continue && len(candidates) == 0 {
		open := []ticket.Status{ticket.StatusNew, ticket.StatusOpen, ticket.StatusPending, ticket.StatusOnHold, ticket.StatusSolved}
		latest, _, err := s.tickets.List(ctx, ticket.Scope{All: true}, ticket.Filter{CustomerID: customerID, Channel: in.Channel, Statuses: open, Limit: 1})
		if err != nil {
			return ticket.Conversation{}, err
		}
		if len(latest) == 1 {
			candidates = append(candidates, latest[0].ID)
		}
	}
	for _, id := range candidates {
		c, err := s.follow(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return ticket.Conversation{}, err
		}
		// Only the conversation's own customer continues it; anyone else
		// (a forwarded thread, a guessed number) starts their own.
		if c.CustomerID == customerID && c.Channel == in.Channel && c.Status != ticket.StatusClosed {
			return c, nil
		}
	}
	return ticket.Conversation{}, nil
}

// follow loads a conversation, following merges to the one that absorbed it.
func (s *Service) follow(ctx context.Context, id int64) (ticket.Conversation, error) {
	for range 5 {
		c, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, id)
		if err != nil || c.MergedInto == 0 {
			return c, err
		}
		id = c.MergedInto
	}
	return ticket.Conversation{}, apperr.NotFoundf("conversation.not_found", "conversation %d not found", id)
}

func (s *Service) store(ctx context.Context, in Inbound, cust customer.Customer, conv ticket.Conversation) (Received, error) {
	body := in.Body
	htmlBody := in.HTML
	if len(in.Dropped) > 0 {
		body = strings.TrimRight(body, "\n") + "\n\n" + droppedNote(in.Language, in.Dropped)
		if htmlBody != "" {
			htmlBody += "<p>" + html.EscapeString(droppedNote(in.Language, in.Dropped)) + "</p>"
		}
	}
	if strings.TrimSpace(body) == "" && len(in.Attachments) == 0 {
		body = "(" + noText(in.Language) + ")"
	}
	msgIn := ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, AuthorName: displayName(cust, in.From),
		Body: body, HTML: htmlBody, ExternalID: in.ExternalID}
	r := Received{At: s.now().UTC().Truncate(time.Millisecond)}
	var msg ticket.Message
	var err error
	if conv.ID == 0 {
		conv, msg, err = s.tickets.Open(ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: in.Channel, Subject: in.Subject,
			Language: in.Language, Message: msgIn})
		r.Created = true
	} else {
		msgIn.ConversationID = conv.ID
		msg, err = s.tickets.AddMessage(ctx, msgIn)
	}
	if err != nil {
		return Received{}, err
	}
	if err := s.attach(ctx, conv.ID, msg.ID, cust.ID, in.Language, in.Attachments); err != nil {
		return Received{}, err
	}
	if in.Unverified {
		if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Internal: true,
			Body: i18n.T(in.Language, "channel.sender_unverified")}); err != nil {
			return Received{}, err
		}
	}
	r.ConversationID, r.MessageID = conv.ID, msg.ID
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO channel_messages
		(channel, external_id, conversation_id, message_id, direction, original, created_at)
		VALUES ($1, $2, $3, $4, 'in', $5, $6)`, in.Channel, in.ExternalID, conv.ID, msg.ID, in.Original, db.Millis(r.At))
	if err != nil {
		return Received{}, fmt.Errorf("channel: record %s message: %w", in.Channel, err)
	}
	return r, nil
}

// attach stores the files of an inbound message. A file the desk refuses
// after all (over the upload size limit) is named in an internal note
// rather than failing the whole message; the original keeps it.
func (s *Service) attach(ctx context.Context, convID, msgID, customerID int64, lang string, files []File) error {
	if len(files) == 0 {
		return nil
	}
	var ids []int64
	var refused []string
	for _, f := range files {
		a, err := s.tickets.Upload(ctx, ticket.Scope{All: true}, ticket.UploadInput{ConversationID: convID, Filename: f.Name,
			Content: bytes.NewReader(f.Data), UploadedBy: fmt.Sprintf("customer:%d", customerID)})
		if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.TooLarge) {
			refused = append(refused, f.Name)
			continue
		}
		if err != nil {
			return err
		}
		ids = append(ids, a.ID)
	}
	if len(ids) > 0 {
		if _, err := s.tickets.LinkAttachments(ctx, convID, msgID, ids); err != nil {
			return err
		}
	}
	if len(refused) > 0 {
		_, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.BySystem, Internal: true,
			Body: droppedNote(lang, refused)})
		return err
	}
	return nil
}

// acceptable keeps the files whose sniffed type the desk stores and names
// the others, decided before the message is written so its text can say so.
func acceptable(files []File, dropped []string) ([]File, []string) {
	var keep []File
	for _, f := range files {
		ctype, _, _ := strings.Cut(http.DetectContentType(f.Data), ";")
		if len(f.Data) > 0 && slices.Contains(ticket.AllowedTypes, ctype) && len(keep) < 10 {
			keep = append(keep, f)
		} else {
			dropped = append(dropped, f.Name)
		}
	}
	return keep, dropped
}

func droppedNote(lang string, names []string) string {
	return i18n.T(lang, "channel.attachments_dropped", strings.Join(names, ", "))
}

func noText(lang string) string { return i18n.T(lang, "channel.no_text") }

func displayName(c customer.Customer, from Sender) string {
	switch {
	case from.Name != "":
		return from.Name
	case c.Name != "":
		return c.Name
	}
	if a, err := mail.ParseAddress(from.ID); err == nil {
		return a.Address
	}
	return from.ID
}

func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func clipRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}

// Known reports whether an external message id was seen or sent on a
// channel; an adapter uses it to tell its own threads from chatter it
// should ignore.
func (s *Service) Known(ctx context.Context, ch, externalID string) (bool, error) {
	_, err := s.seen(ctx, ch, externalID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
