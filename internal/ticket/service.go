package ticket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/markup"
	"vigil/internal/sla"
)

// MaxBody is the largest message body accepted, in bytes.
const MaxBody = 64 << 10

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Audit     *audit.Log
	Bus       event.Bus
	Customers *customer.Service
	Files     *Files
	Now       func() time.Time
	Rules     *PriorityRules // nil: DefaultPriorityRules
	Policies  Policies       // nil: no SLA clocks
	// Outbox carries public replies on channels that deliver outside the
	// desk (email, Telegram); nil leaves them undelivered (tests, tools).
	Outbox   Outbox
	Redactor Redactor // nil: customer messages are stored as written
	// Complaints sets the complaint clocks; nil: DefaultComplaintRules.
	Complaints *ComplaintRules
}

// Service is the conversation domain.
type Service struct {
	db         *db.DB
	audit      *audit.Log
	bus        event.Bus
	customers  *customer.Service
	files      *Files
	now        func() time.Time
	rules      PriorityRules
	policies   Policies
	outbox     Outbox
	redactor   Redactor
	complaints ComplaintRules
}

// New returns a Service.
func New(o Options) *Service {
	rules := DefaultPriorityRules
	if o.Rules != nil {
		rules = *o.Rules
	}
	complaints := DefaultComplaintRules
	if o.Complaints != nil {
		complaints = *o.Complaints
	}
	// Validate sorts the holidays and loads the zone; the configuration
	// has already refused a bad one.
	_ = complaints.Calendar.Validate()
	if complaints.RemindAt <= 0 || complaints.RemindAt >= 1 {
		complaints.RemindAt = DefaultComplaintRules.RemindAt
	}
	return &Service{db: o.DB, audit: o.Audit, bus: o.Bus, customers: o.Customers, files: o.Files, now: o.Now, rules: rules,
		policies: o.Policies, outbox: o.Outbox, redactor: o.Redactor, complaints: complaints}
}

// OpenInput starts a conversation with its first message.
type OpenInput struct {
	CustomerID int64
	Channel    string
	Subject    string
	Category   string
	Language   string
	Priority   Priority
	TeamID     int64
	AssigneeID int64
	Crypto     Crypto
	Tags       []string
	// The first message. An agent-started conversation (outbound) has an
	// agent author; a customer-started one a customer author.
	Message MessageInput
}

// MessageInput is one new message.
type MessageInput struct {
	ConversationID int64
	AuthorKind     AuthorKind
	AuthorID       int64
	AuthorName     string
	Body           string
	Internal       bool
	AttachmentIDs  []int64
	// ExternalID de-duplicates channel deliveries: the same id twice in one
	// conversation yields the first message again.
	ExternalID string
	// Status, when set on an agent message, is applied with the reply
	// ("reply and set pending").
	Status *Status
	// Writer, when set, is what the author may see: a conversation outside
	// it is refused as not found, checked on the row the message locks.
	Writer *Scope
	// DeliverAt, when set on a message that leaves by a delivery job, holds
	// the job until then: an outreach message is written a little ahead of
	// its slot on the channel's pace and leaves at the slot.
	DeliverAt time.Time
	// opening marks the first message of Open, audited with the conversation.
	opening bool
	// HTML, when set, is shown instead of Body rendered as Markdown: the
	// HTML part of an email. It is sanitised here (markup.Email), and
	// ignored past MaxHTML.
	HTML string
	// rendered is Body as HTML when rendered ahead of the transaction.
	rendered string
	// clean says the redactor found nothing to screen ahead of the
	// transaction (Redactor.Clean).
	clean bool
	// reserved says the conversation row read in the transaction already
	// carries this message's seq and time at (reserveSeq).
	reserved bool
	at       time.Time
}

// MaxHTML bounds a message's HTML; longer HTML is shown as its text.
const MaxHTML = 256 << 10

// display is the message's HTML as stored: the sanitised HTML it came
// with, or its Markdown rendered.
func (in *MessageInput) display() string {
	if in.HTML != "" && len(in.HTML) <= MaxHTML {
		if h := strings.TrimSpace(markup.Email(in.HTML)); h != "" {
			return h
		}
	}
	return markup.Render(in.Body)
}

func (in *OpenInput) validate() error {
	if in.CustomerID == 0 {
		return apperr.Field("customer_id", "conversation.customer_required", "is required")
	}
	if !slices.Contains(Channels, in.Channel) {
		return apperr.Field("channel", "conversation.channel_invalid", "must be one of %v", Channels)
	}
	if in.Category == "" {
		in.Category = "other"
	}
	if !slices.Contains(Categories, in.Category) {
		return apperr.Field("category", "conversation.category_invalid", "must be one of %v", Categories)
	}
	if in.Language == "" {
		in.Language = "en"
	}
	if !slices.Contains(Languages, in.Language) {
		return apperr.Field("language", "conversation.language_invalid", "must be one of %v", Languages)
	}
	if in.Priority < Low || in.Priority > Urgent {
		return apperr.Field("priority", "conversation.priority_invalid", "must be low, normal, high or urgent")
	}
	in.Subject = strings.TrimSpace(in.Subject)
	if utf8.RuneCountInString(in.Subject) > 200 {
		return apperr.Field("subject", "conversation.subject_too_long", "must be at most 200 characters")
	}
	if err := in.Crypto.validate(); err != nil {
		return err
	}
	tags, err := normaliseTags(in.Tags)
	in.Tags = tags
	return err
}

func (c *Crypto) validate() error {
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"asset", &c.Asset, 20}, {"network", &c.Network, 40}, {"txid", &c.TxID, 200}, {"memo", &c.Memo, 200}, {"order_id", &c.OrderID, 100}} {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) > f.max {
			return apperr.Field(f.name, "conversation.field_too_long", "must be at most %d characters", f.max)
		}
	}
	c.Asset = strings.ToUpper(c.Asset)
	return nil
}

func (in *MessageInput) validate() error {
	in.Body = strings.TrimRight(in.Body, " \t\r\n")
	if strings.TrimSpace(in.Body) == "" && len(in.AttachmentIDs) == 0 {
		return apperr.Field("body", "message.empty", "must not be empty")
	}
	if len(in.Body) > MaxBody {
		return apperr.Field("body", "message.too_long", "must be at most %d bytes", MaxBody)
	}
	if !utf8.ValidString(in.Body) {
		return apperr.Field("body", "message.encoding", "must be valid UTF-8")
	}
	if !slices.Contains([]AuthorKind{ByCustomer, ByAgent, ByBot, BySystem}, in.AuthorKind) {
		return apperr.Field("author_kind", "message.author_invalid", "unknown author kind")
	}
	if in.Internal && in.AuthorKind == ByCustomer {
		return apperr.Field("internal", "message.internal_customer", "customers cannot write internal notes")
	}
	if len(in.AttachmentIDs) > 10 {
		return apperr.Field("attachments", "message.too_many_attachments", "at most 10 attachments per message")
	}
	if len(in.ExternalID) > 255 {
		return apperr.Field("external_id", "message.external_id_invalid", "must be at most 255 characters")
	}
	return nil
}

// Open creates a conversation and its first message in one transaction.
func (s *Service) Open(ctx context.Context, in OpenInput) (Conversation, Message, error) {
	if err := in.validate(); err != nil {
		return Conversation{}, Message{}, err
	}
	if err := in.Message.validate(); err != nil {
		return Conversation{}, Message{}, err
	}
	// The VIP tier is read before the writer's turn; a tier changed in
	// the same instant only shifts a starting priority.
	vipTier := -1
	if s.rules.VIPTier > 0 || s.policies != nil {
		cust, err := s.customers.ByID(ctx, in.CustomerID)
		if err != nil {
			return Conversation{}, Message{}, err
		}
		vipTier = cust.VIPTier
	}
	var conv Conversation
	var msg Message
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		custID, err := s.customers.Canonical(ctx, in.CustomerID)
		if err != nil {
			return err
		}
		in.CustomerID = custID
		priority, raisedBy := s.rules.apply(in.Priority, in.Category, max(vipTier, 0))
		now := s.now().UTC().Truncate(time.Millisecond)
		c := Conversation{
			CustomerID: in.CustomerID, Channel: in.Channel, Subject: in.Subject, Status: StatusNew,
			Priority: priority, Category: in.Category, Language: in.Language, TeamID: in.TeamID,
			AssigneeID: in.AssigneeID, Crypto: in.Crypto, Tags: in.Tags,
			CreatedAt: now, UpdatedAt: now, LastMessageAt: now, vipTier: vipTier,
		}
		if c.Subject == "" {
			c.Subject = subjectFrom(in.Message.Body)
		}
		if err := s.insertConversation(ctx, &c); err != nil {
			return err
		}
		if err := s.setTags(ctx, c.ID, c.Tags); err != nil {
			return err
		}
		// Created goes out before the first message's events (AfterCommit
		// hooks run in order) and reads conv when it runs, so it carries the
		// status the first message left.
		db.AfterCommit(ctx, func() {
			s.bus.Publish(ctx, event.ConversationCreated{Scope: scopeOf(conv), Channel: conv.Channel, Subject: conv.Subject,
				Status: string(conv.Status), Priority: conv.Priority.String(), Category: conv.Category, Language: conv.Language, At: now})
		})
		in.Message.ConversationID = c.ID
		in.Message.opening = true
		if msg, conv, err = s.addMessage(ctx, c, in.Message); err != nil {
			return err
		}
		// One entry covers the conversation and its first message.
		detail := map[string]any{"channel": c.Channel, "customer": c.CustomerID, "category": c.Category, "message": msg.ID,
			"author": string(msg.AuthorKind)}
		if raisedBy != "" {
			detail["priority_raised"] = map[string]string{"from": in.Priority.String(), "to": priority.String(), "rule": raisedBy}
		}
		return s.audit.Record(ctx, "conversation.create", "conversation", c.ID, detail)
	})
	return conv, msg, err
}

// AddMessage appends a message to a conversation and applies the lifecycle
// rules: a customer writing reopens a waiting or solved conversation; the
// first public agent reply stamps the first response and opens a new one.
// Messages arriving together share a commit (db.WithGroupTx): live chat
// sends thousands a second, and a commit each was most of their cost.
func (s *Service) AddMessage(ctx context.Context, in MessageInput) (Message, error) {
	m, _, err := s.AddMessageOnce(ctx, in)
	return m, err
}

// AddMessageOnce is AddMessage that also reports whether this call
// created the message: false when a message with the same ExternalID was
// already there (another instance, a redelivery), so the caller can skip
// its own follow-up.
func (s *Service) AddMessageOnce(ctx context.Context, in MessageInput) (Message, bool, error) {
	if err := in.validate(); err != nil {
		return Message{}, false, err
	}
	// Rendering and screening are pure CPU: done before the writer's
	// turn, not during it.
	in.rendered = in.display()
	in.clean = s.redactor == nil || in.AuthorKind != ByCustomer || s.redactor.Clean(in.Body)
	var msg Message
	err := s.db.WithGroupTx(ctx, func(ctx context.Context) error {
		in.at = s.now().UTC().Truncate(time.Millisecond)
		c, err := s.reserveSeq(ctx, in.ConversationID, in.at)
		if err != nil {
			return err
		}
		in.reserved = true
		if in.Writer != nil && !in.Writer.Allows(c) {
			return errNotVisible(c.ID)
		}
		msg, _, err = s.addMessage(ctx, c, in)
		return err
	})
	if err == nil || in.ExternalID == "" || !(errors.Is(err, errExternalSeen) || apperr.Is(err, apperr.Conflict)) {
		return msg, err == nil, err
	}
	// A redelivery: its first delivery is stored (the failed attempt's
	// writes, a redaction's audit entry say, went with its rollback). A
	// conversation closed or merged since still answers with the message.
	m, lerr := s.messageByExternalID(ctx, in.ConversationID, in.ExternalID)
	if lerr == nil {
		return m, false, nil
	}
	if errors.Is(err, errExternalSeen) {
		return Message{}, false, lerr
	}
	return Message{}, false, err
}

// addMessage writes a message into the locked conversation c. A
// redelivered ExternalID makes it return errExternalSeen before it has
// written anything but what the redactor wrote; the caller rolls back.
func (s *Service) addMessage(ctx context.Context, c Conversation, in MessageInput) (Message, Conversation, error) {
	if c.MergedInto != 0 {
		return Message{}, c, apperr.Conflictf("conversation.merged", "conversation %d was merged into %d", c.ID, c.MergedInto)
	}
	if c.Status == StatusClosed {
		return Message{}, c, apperr.Conflictf("conversation.closed", "conversation %d is closed; start a follow-up", c.ID)
	}
	var red Redaction
	if s.redactor != nil && in.AuthorKind == ByCustomer && !in.clean {
		var err error
		if red, err = s.redactor.Redact(ctx, c, in.Body); err != nil {
			return Message{}, c, err
		}
		if red.Body != in.Body {
			in.Body, in.rendered = red.Body, ""
		}
	}
	now := in.at
	if !in.reserved {
		now = s.now().UTC().Truncate(time.Millisecond)
	}
	before := c
	switch {
	case in.AuthorKind == ByCustomer:
		c.Status = afterCustomerMessage(c.Status)
	case in.AuthorKind == ByAgent && !in.Internal:
		c.Status = afterAgentReply(c.Status)
		if c.FirstResponseAt == nil {
			c.FirstResponseAt = &now
		}
	}
	if in.Status != nil && in.AuthorKind == ByAgent {
		if err := checkTransition(c.Status, *in.Status); err != nil {
			return Message{}, c, err
		}
		c.Status = *in.Status
	}
	stampStatus(&c, before.Status, now)
	seq := c.LastSeq // reserveSeq has taken it
	if !in.reserved {
		seq++
	}
	c.LastSeq, c.UpdatedAt, c.LastMessageAt = seq, now, now
	html := in.rendered
	if html == "" {
		html = in.display()
	}
	m := Message{
		ConversationID: c.ID, Seq: seq, AuthorKind: in.AuthorKind, AuthorID: in.AuthorID, AuthorName: in.AuthorName,
		Internal: in.Internal, Body: in.Body, BodyHTML: html, Delivery: "sent", CreatedAt: now,
		Attachments: []Attachment{},
	}
	outbound := s.leavesByJob(c, m)
	if outbound {
		m.Delivery = DeliveryPending
	}
	if err := s.insertMessage(ctx, &m, in.ExternalID); err != nil {
		return Message{}, c, err
	}
	if !in.reserved {
		if err := s.saveSeq(ctx, c); err != nil {
			return Message{}, c, err
		}
	}
	if in.AuthorKind == ByAgent && !in.Internal {
		if err := s.acknowledgeComplaint(ctx, c.ID, now); err != nil {
			return Message{}, c, err
		}
	}
	if outbound {
		if err := s.enqueueDelivery(ctx, m, in.DeliverAt); err != nil {
			return Message{}, c, err
		}
	} else if err := s.enqueueFollowUp(ctx, c, m); err != nil {
		return Message{}, c, err
	}
	if len(in.AttachmentIDs) > 0 {
		atts, err := s.linkAttachments(ctx, c.ID, m.ID, in.AttachmentIDs)
		if err != nil {
			return Message{}, c, err
		}
		m.Attachments = atts
	}
	if c.Status != before.Status || !sameTime(c.FirstResponseAt, before.FirstResponseAt) {
		if err := s.saveLifecycle(ctx, c); err != nil {
			return Message{}, c, err
		}
		if err := s.afterStatusChange(ctx, c, before.Status); err != nil {
			return Message{}, c, err
		}
	}
	step := sla.Step{At: now, Phase: phaseOf(c.Status), Opened: in.opening, Answered: c.FirstResponseAt != nil,
		CustomerWrote: in.AuthorKind == ByCustomer, AgentReplied: in.AuthorKind == ByAgent && !in.Internal}
	if step.Opened || step.CustomerWrote || step.AgentReplied || phaseOf(before.Status) != step.Phase {
		if err := s.advanceSLA(ctx, &c, step, in.opening); err != nil {
			return Message{}, c, err
		}
	}
	action := "conversation.message"
	if in.Internal {
		action = "conversation.note"
	}
	detail := map[string]any{"message": m.ID, "seq": seq, "author": string(in.AuthorKind)}
	if len(red.Found) > 0 {
		detail["redacted"] = red.Found
	}
	if c.Status != before.Status {
		detail["status"] = []string{string(before.Status), string(c.Status)}
		if before.Status == StatusSolved {
			detail["reopened"] = true
		}
	}
	if !in.opening {
		if err := s.audit.Record(ctx, action, "conversation", c.ID, detail); err != nil {
			return Message{}, c, err
		}
	}
	created := event.MessageCreated{Scope: scopeOf(c), MessageID: m.ID, Seq: seq, AuthorKind: string(m.AuthorKind),
		AuthorID: m.AuthorID, AuthorName: m.AuthorName, Internal: m.Internal, Body: m.Body, BodyHTML: m.BodyHTML,
		Attachments: attachmentIDs(m.Attachments), At: now}
	events := []event.Event{created}
	if c.Status != before.Status {
		events = append(events, event.ConversationChanged{Scope: scopeOf(c), ActorKind: string(in.AuthorKind), ActorID: in.AuthorID,
			Changes: map[string]string{"status": string(c.Status)}, PrevTeamID: c.TeamID, PrevAssigneeID: c.AssigneeID, At: now})
	}
	db.AfterCommit(ctx, func() { s.bus.Publish(ctx, events...) })
	if red.Reply != "" {
		var err error
		if _, c, err = s.addMessage(ctx, c, MessageInput{ConversationID: c.ID, AuthorKind: BySystem, Body: red.Reply}); err != nil {
			return Message{}, c, err
		}
	}
	return m, c, nil
}

// stampStatus keeps solved_at and closed_at in step with the status.
func stampStatus(c *Conversation, from Status, now time.Time) {
	if c.Status == from {
		return
	}
	switch c.Status {
	case StatusSolved:
		c.SolvedAt = &now
	case StatusClosed:
		c.ClosedAt = &now
	default:
		c.SolvedAt = nil
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func scopeOf(c Conversation) event.Scope {
	return event.Scope{ConversationID: c.ID, CustomerID: c.CustomerID, TeamID: c.TeamID, AssigneeID: c.AssigneeID}
}

func attachmentIDs(as []Attachment) []int64 {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// subjectFrom derives a subject from the first line of a message.
func subjectFrom(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 80 {
		r := []rune(line)
		line = string(r[:79]) + "…"
	}
	return line
}

func normaliseTags(in []string) ([]string, error) {
	out := []string{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > 50 || strings.ContainsAny(t, ", \t\n") {
			return nil, apperr.Field("tags", "conversation.tag_invalid", "tag %q must be at most 50 characters without spaces or commas", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > 20 {
		return nil, apperr.Field("tags", "conversation.too_many_tags", "at most 20 tags")
	}
	slices.Sort(out)
	return out, nil
}

// errNotVisible hides a conversation's existence from those who may not see it.
func errNotVisible(id int64) error {
	return apperr.NotFoundf("conversation.not_found", "conversation %d not found", id)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return fmt.Errorf("ticket: %s: %w", op, err)
}
