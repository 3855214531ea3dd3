package callback

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// Policy says who may ask for a callback and how calls are paced.
type Policy struct {
	// MinTier is the VIP tier from which customers may ask (0: tiers
	// alone entitle nobody).
	MinTier int
	// SecurityCategories make an urgent open conversation in one of them
	// an entitlement of its own.
	SecurityCategories []string
	// NoticeLead is the least time between the notice (staff ID and time)
	// and the call, so the customer can read it first.
	NoticeLead time.Duration
	// MaxWindow bounds the customer's window; MaxAhead how far ahead it
	// may start.
	MaxWindow time.Duration
	MaxAhead  time.Duration
}

// DefaultPolicy is the policy when the configuration says nothing.
var DefaultPolicy = Policy{MinTier: 3, SecurityCategories: []string{"account_security", "2fa"}, NoticeLead: 5 * time.Minute,
	MaxWindow: 12 * time.Hour, MaxAhead: 7 * 24 * time.Hour}

// Outbox writes durable jobs in the caller's transaction (job.Queue).
type Outbox = ticket.Outbox

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Audit     *audit.Log
	Tickets   *ticket.Service
	Customers *customer.Service
	Agents    *agent.Service
	Outbox    Outbox // carries the emailed copy of the notice
	// Dialer places calls through the trunk; nil: calls are made from
	// desk phones and recorded with Complete.
	Dialer Dialer
	Policy Policy
	// RecordingDir holds recording files named by their reference; the
	// sweep deletes them with the reference.
	RecordingDir string
	T            func(lang, key string, args ...any) string
	Log          *slog.Logger
	Now          func() time.Time
}

// Service is the callback domain.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	tickets   *ticket.Service
	customers *customer.Service
	agents    *agent.Service
	outbox    Outbox
	dialer    Dialer
	policy    Policy
	dir       string
	t         func(lang, key string, args ...any) string
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex          // guards live
	live map[int64]*liveCall // calls in progress on this instance, by callback
	wg   sync.WaitGroup      // live calls' goroutines
}

type liveCall struct {
	callID int64
	hangUp context.CancelFunc
	// answered is set once the customer picked up.
	answered *time.Time
}

// New returns a Service.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: o.DB, audit: o.Audit, tickets: o.Tickets, customers: o.Customers, agents: o.Agents, outbox: o.Outbox,
		dialer: o.Dialer, policy: o.Policy, dir: o.RecordingDir, t: o.T, log: o.Log, now: o.Now, live: map[int64]*liveCall{}}
}

// CanDial reports whether calls can go out through the trunk.
func (s *Service) CanDial() bool { return s.dialer != nil }

// Close hangs up the calls in progress and waits until they are logged.
func (s *Service) Close() {
	s.mu.Lock()
	for _, c := range s.live {
		c.hangUp()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// RequestInput is a customer's request to be called.
type RequestInput struct {
	CustomerID  int64
	WindowStart time.Time
	WindowEnd   time.Time
	Language    string
	// Phone is used when the customer has no number on file; a number on
	// file always wins, so a session cannot send calls elsewhere.
	Phone string
	Note  string
	// SecurityConversationID names the customer's urgent security case
	// when that is what entitles them.
	SecurityConversationID int64
}

// MaxNote bounds what the customer writes with the request.
const MaxNote = 1000

func (in *RequestInput) validate(p Policy, now time.Time) error {
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case in.WindowStart.IsZero() || in.WindowEnd.IsZero():
		return apperr.Field("window_start", "callback.window_required", "a time window is required")
	case !in.WindowEnd.After(in.WindowStart):
		return apperr.Field("window_end", "callback.window_order", "the window must end after it starts")
	case in.WindowEnd.Before(now.Add(p.NoticeLead)):
		return apperr.Field("window_end", "callback.window_past", "the window must end at least %v from now", p.NoticeLead)
	case in.WindowEnd.Sub(in.WindowStart) > p.MaxWindow:
		return apperr.Field("window_end", "callback.window_too_long", "the window may be at most %v long", p.MaxWindow)
	case in.WindowStart.After(now.Add(p.MaxAhead)):
		return apperr.Field("window_start", "callback.window_too_far", "the window must start within %v", p.MaxAhead)
	case !slices.Contains(ticket.Languages, in.Language):
		return apperr.Field("language", "conversation.language_invalid", "must be one of %v", ticket.Languages)
	case utf8.RuneCountInString(in.Note) > MaxNote || !utf8.ValidString(in.Note):
		return apperr.Field("note", "callback.note_too_long", "the note may be at most %d characters", MaxNote)
	}
	return nil
}

// validPhone is "+" and 7 to 15 digits (E.164).
func validPhone(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' {
		return false
	}
	return strings.Trim(p[1:], "0123456789") == ""
}

// Entitlement says why a customer may ask for a callback, or refuses.
func (s *Service) Entitlement(ctx context.Context, customerID, securityConvID int64) (string, error) {
	cust, err := s.customers.ByID(ctx, customerID)
	if err != nil {
		return "", err
	}
	return s.entitlement(ctx, cust, securityConvID)
}

func (s *Service) entitlement(ctx context.Context, cust customer.Customer, securityConvID int64) (string, error) {
	switch {
	case cust.AccountManagerID != 0:
		return "account_manager", nil
	case s.policy.MinTier > 0 && cust.VIPTier >= s.policy.MinTier:
		return "vip", nil
	case securityConvID != 0:
		c, err := s.tickets.ByID(ctx, ticket.Scope{CustomerID: cust.ID}, securityConvID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return "", err
		}
		if err == nil && c.Priority == ticket.Urgent && slices.Contains(s.policy.SecurityCategories, c.Category) &&
			c.Status != ticket.StatusSolved && c.Status != ticket.StatusClosed {
			return "security", nil
		}
	}
	return "", apperr.Forbiddenf("callback.not_entitled",
		"phone callbacks are for VIP customers, customers with an account manager and urgent security cases; please use the chat")
}

// Request records a customer's callback request as a phone conversation,
// routed to the account manager when there is one, with the SLA of its
// priority. One open request per customer.
func (s *Service) Request(ctx context.Context, in RequestInput) (Callback, ticket.Conversation, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	if err := in.validate(s.policy, now); err != nil {
		return Callback{}, ticket.Conversation{}, err
	}
	cust, err := s.customers.ByID(ctx, in.CustomerID)
	if err != nil {
		return Callback{}, ticket.Conversation{}, err
	}
	reason, err := s.entitlement(ctx, cust, in.SecurityConversationID)
	if err != nil {
		return Callback{}, ticket.Conversation{}, err
	}
	phone := cust.Phone
	if phone == "" {
		phone = strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
		if !validPhone(phone) {
			return Callback{}, ticket.Conversation{}, apperr.Field("phone", "callback.phone_invalid",
				"give the number to call as + and country code, e.g. +8613800138000")
		}
	}
	cb := Callback{CustomerID: cust.ID, Reason: reason, Language: in.Language, WindowStart: in.WindowStart.UTC().Truncate(time.Minute),
		WindowEnd: in.WindowEnd.UTC().Truncate(time.Minute), State: Requested, CreatedAt: now, UpdatedAt: now, phone: phone}
	open := ticket.OpenInput{CustomerID: cust.ID, Channel: "phone", Language: in.Language, Priority: ticket.High, Category: "other",
		AssigneeID: cust.AccountManagerID, Tags: []string{"callback"}, Subject: s.t(in.Language, "callback.subject"),
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, AuthorName: cust.Name,
			Body: s.t(in.Language, "callback.request_body", formatWindow(cb.WindowStart, cb.WindowEnd), in.Note)}}
	if reason == "security" {
		open.Priority, open.Category = ticket.Urgent, s.policy.SecurityCategories[0]
	}
	if open.AssigneeID != 0 {
		if ag, err := s.agents.Ref(ctx, open.AssigneeID); err != nil || ag.Disabled {
			open.AssigneeID = 0 // a departed manager: normal routing
		}
	}
	var conv ticket.Conversation
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if n, err := s.openCount(ctx, cust.ID); err != nil {
			return err
		} else if n > 0 {
			return apperr.Conflictf("callback.already_requested", "you already have a callback request open; we will call you as arranged")
		}
		if conv, _, err = s.tickets.Open(ctx, open); err != nil {
			return err
		}
		cb.ConversationID = conv.ID
		if err := s.insert(ctx, &cb); err != nil {
			return err
		}
		return s.audit.Record(ctx, "callback.request", "callback", cb.ID, map[string]any{"conversation": conv.ID, "customer": cust.ID,
			"reason": reason, "window": []time.Time{cb.WindowStart, cb.WindowEnd}, "language": cb.Language})
	})
	return cb, conv, err
}

// formatWindow is how a window reads in messages: in UTC, with the date once.
func formatWindow(from, to time.Time) string {
	if from.Format("2006-01-02") == to.Format("2006-01-02") {
		return from.Format("2006-01-02 15:04") + "–" + to.Format("15:04") + " UTC"
	}
	return from.Format("2006-01-02 15:04") + " – " + to.Format("2006-01-02 15:04") + " UTC"
}

// visible loads a callback when the scope sees its conversation.
func (s *Service) visible(ctx context.Context, scope ticket.Scope, id int64) (Callback, ticket.Conversation, error) {
	cb, err := s.byID(ctx, id)
	if err != nil {
		return Callback{}, ticket.Conversation{}, err
	}
	conv, err := s.tickets.ByID(ctx, scope, cb.ConversationID)
	if apperr.Is(err, apperr.NotFound) {
		return Callback{}, ticket.Conversation{}, errNotFound(id)
	}
	return cb, conv, err
}

func errNotFound(id int64) error {
	return apperr.NotFoundf("callback.not_found", "callback %d not found", id)
}

// Filter narrows List.
type Filter struct {
	States []State
	Limit  int
}

// List returns the callbacks the scope sees, soonest window first.
func (s *Service) List(ctx context.Context, scope ticket.Scope, f Filter) ([]Callback, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 100
	}
	out := []Callback{}
	before := int64(0)
	// Read in pages until the scope's share fills the limit: agents see
	// only their teams' conversations.
	for len(out) < f.Limit {
		page, err := s.list(ctx, f.States, before, 200)
		if err != nil {
			return nil, err
		}
		for _, cb := range page {
			if _, err := s.tickets.ByID(ctx, scope, cb.ConversationID); err == nil {
				out = append(out, cb)
			} else if !apperr.Is(err, apperr.NotFound) {
				return nil, err
			}
			if len(out) == f.Limit {
				break
			}
		}
		if len(page) < 200 {
			break
		}
		before = page[len(page)-1].ID
	}
	slices.SortStableFunc(out, func(a, b Callback) int { return a.WindowStart.Compare(b.WindowStart) })
	return out, nil
}

// OfConversation returns a conversation's callback and its calls.
func (s *Service) OfConversation(ctx context.Context, scope ticket.Scope, convID int64) (Callback, []Call, error) {
	if _, err := s.tickets.ByID(ctx, scope, convID); err != nil {
		return Callback{}, nil, err
	}
	cb, err := s.byConversation(ctx, convID)
	if err != nil {
		return Callback{}, nil, err
	}
	calls, err := s.calls(ctx, cb.ID)
	return cb, calls, err
}

// ByID returns one callback with its calls.
func (s *Service) ByID(ctx context.Context, scope ticket.Scope, id int64) (Callback, []Call, error) {
	cb, _, err := s.visible(ctx, scope, id)
	if err != nil {
		return Callback{}, nil, err
	}
	calls, err := s.calls(ctx, id)
	return cb, calls, err
}

// Schedule tells the customer who will call and when: the agent's staff
// ID (which the public verifier confirms) and the time, in the
// conversation (the app and the chat) and by email when the desk has
// their address. Only after it may anyone call.
func (s *Service) Schedule(ctx context.Context, scope ticket.Scope, id, agentID int64, at time.Time) (Callback, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	at = at.UTC().Truncate(time.Minute)
	cb, conv, err := s.visible(ctx, scope, id)
	if err != nil {
		return Callback{}, err
	}
	switch {
	case cb.State == Calling || cb.State == Done:
		return Callback{}, apperr.Conflictf("callback.state", "callback %d is %s", id, cb.State)
	case at.Before(now.Add(s.policy.NoticeLead).Truncate(time.Minute)):
		return Callback{}, apperr.Field("call_at", "callback.too_soon", "the customer must have at least %v of notice", s.policy.NoticeLead)
	case at.Before(cb.WindowStart) || at.After(cb.WindowEnd):
		return Callback{}, apperr.Field("call_at", "callback.outside_window", "the call must be within the customer's window, %s",
			formatWindow(cb.WindowStart, cb.WindowEnd))
	}
	ag, err := s.agents.Ref(ctx, agentID)
	if err != nil {
		return Callback{}, err
	}
	cb.AgentID, cb.StaffID, cb.CallAt, cb.NotifiedAt, cb.State, cb.UpdatedAt = ag.ID, trust.StaffID(ag.ID), &at, &now, Scheduled, now
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.save(ctx, cb); err != nil {
			return err
		}
		msg, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID,
			AuthorName: ag.Name, Body: s.t(cb.Language, "callback.notice", cb.StaffID, at.Format("2006-01-02 15:04")+" UTC", cb.phoneTail())})
		if err != nil {
			return err
		}
		if err := s.mailNotice(ctx, conv, msg); err != nil {
			return err
		}
		return s.audit.Record(ctx, "callback.schedule", "callback", cb.ID, map[string]any{"conversation": conv.ID, "agent": ag.ID,
			"staff_id": cb.StaffID, "call_at": at, "message": msg.ID})
	})
	return cb, err
}

// phoneTail is the end of the number, so the customer can tell which
// phone will ring without the message carrying the whole number.
func (cb Callback) phoneTail() string {
	if len(cb.phone) <= 4 {
		return cb.phone
	}
	return "…" + cb.phone[len(cb.phone)-4:]
}

// mailNotice writes the job that emails the notice (the chat follow-up
// job: it mails a message the customer has not read in the app).
func (s *Service) mailNotice(ctx context.Context, conv ticket.Conversation, msg ticket.Message) error {
	if s.outbox == nil {
		return nil
	}
	cust, err := s.customers.ByID(ctx, conv.CustomerID)
	if err != nil || cust.Email == "" {
		return err
	}
	_, err = s.outbox.Enqueue(ctx, noticeJob(conv.ID, msg.ID))
	return err
}

// callable checks everything that must hold before the desk calls: a
// request the customer made, a notice they were given with this agent's
// staff ID, sent long enough ago, and a window that has not passed.
func (s *Service) callable(cb Callback, agentID int64, now time.Time) error {
	switch {
	case cb.State == Requested:
		return apperr.Conflictf("callback.not_scheduled", "tell the customer who will call and when (schedule the call) before calling")
	case cb.State == Calling:
		return apperr.Conflictf("callback.in_progress", "a call for this callback is in progress")
	case cb.State == Done:
		return apperr.Conflictf("callback.done", "this callback is done; the customer must ask again")
	case cb.AgentID != agentID:
		return apperr.Forbiddenf("callback.other_agent", "the customer was told %s would call; only that agent may call", cb.StaffID)
	case cb.NotifiedAt == nil || now.Before(cb.NotifiedAt.Add(s.policy.NoticeLead)):
		return apperr.Conflictf("callback.notice_too_recent", "the customer must have %v to read the notice before the call", s.policy.NoticeLead)
	case now.After(cb.WindowEnd):
		return apperr.Conflictf("callback.window_passed", "the customer's window has passed; ask them for a new time")
	}
	return nil
}
