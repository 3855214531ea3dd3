package trust

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/exchange"
	"vigil/internal/ticket"
)

// Freeze is one account freeze and its way back.
type Freeze struct {
	ID             int64      `json:"id"`
	CustomerID     int64      `json:"customer_id"`
	UID            string     `json:"uid"`
	ConversationID int64      `json:"conversation_id"`
	Source         string     `json:"source"` // widget, link, agent
	State          string     `json:"state"`  // pending_exchange, frozen, unfreeze_requested, unfreeze_approved, unfrozen
	Reason         string     `json:"reason"`
	FrozenAt       time.Time  `json:"frozen_at"`
	UnfreezeBy     int64      `json:"unfreeze_requested_by,omitempty"`
	UnfreezeReason string     `json:"unfreeze_reason,omitempty"`
	UnfreezeAsked  *time.Time `json:"unfreeze_requested_at,omitempty"`
	ApprovedBy     int64      `json:"approved_by,omitempty"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty"`
	EligibleAt     *time.Time `json:"eligible_at,omitempty"`
	UnfrozenAt     *time.Time `json:"unfrozen_at,omitempty"`
}

// SelfFreeze is a customer's own request: from the widget, the signed
// link in a security email, the help center or the bot ("I did not log
// in").
type SelfFreeze struct {
	CustomerID int64
	Source     string // widget, link, help_center, bot
	Reason     string // not_me, withdrawal, other
	Language   string
}

// FreezeSources are where a self-service freeze can come from.
var FreezeSources = []string{"widget", "link", "help_center", "bot"}

// FreezeReasons a customer can pick.
var FreezeReasons = []string{"not_me", "withdrawal", "other"}

// FreezeResult is what the customer is told.
type FreezeResult struct {
	Freeze       Freeze              `json:"freeze"`
	Conversation ticket.Conversation `json:"conversation"`
	// Frozen is false when the exchange could not be reached: the urgent
	// conversation is open and a person freezes the account by hand.
	Frozen   bool   `json:"frozen"`
	NextStep string `json:"next_steps"`
}

// FreezeSelf freezes the customer's account with no agent involved, at
// any hour: it opens an urgent account-security conversation, asks the
// exchange to freeze, and tells the customer what happens next. It never
// waits for a person; when the exchange does not answer, the conversation
// says so to the security queue and the customer is told the truth.
func (s *Service) FreezeSelf(ctx context.Context, in SelfFreeze) (FreezeResult, error) {
	if !containsStr(FreezeSources, in.Source) {
		return FreezeResult{}, apperr.Field("source", "trust.freeze_source", "must be one of %v", FreezeSources)
	}
	if in.Reason == "" {
		in.Reason = "other"
	}
	if !containsStr(FreezeReasons, in.Reason) {
		return FreezeResult{}, apperr.Field("reason", "trust.freeze_reason", "must be one of %v", FreezeReasons)
	}
	if s.exchange == nil {
		return FreezeResult{}, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected")
	}
	cu, err := s.customers.ByID(ctx, in.CustomerID)
	if err != nil {
		return FreezeResult{}, err
	}
	if cu.UID == "" {
		return FreezeResult{}, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	lang := in.Language
	if lang != "en" && lang != "zh" {
		lang = cu.Language
	}
	channel := "webchat"
	if in.Source == "link" {
		channel = "email"
	}
	conv, _, err := s.tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: channel, Category: "account_security",
		Priority: ticket.Urgent, Language: lang, Tags: []string{"freeze"},
		Subject: s.t(lang, "trust.freeze_subject"),
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, AuthorName: cu.Name,
			Body: s.t(lang, "trust.freeze_request."+in.Reason)}})
	if err != nil {
		return FreezeResult{}, err
	}
	return s.freeze(ctx, conv, cu.UID, in.Source, in.Reason, lang)
}

// FreezeByAgent freezes the account of the conversation's customer at an
// agent's hand. Freezing is the safe direction, so it needs no verified
// level; lifting it does.
func (s *Service) FreezeByAgent(ctx context.Context, conv ticket.Conversation, reason string) (FreezeResult, error) {
	if reason == "" {
		reason = "other"
	}
	if !containsStr(FreezeReasons, reason) {
		return FreezeResult{}, apperr.Field("reason", "trust.freeze_reason", "must be one of %v", FreezeReasons)
	}
	if s.exchange == nil {
		return FreezeResult{}, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected")
	}
	cu, err := s.customers.ByID(ctx, conv.CustomerID)
	if err != nil {
		return FreezeResult{}, err
	}
	if cu.UID == "" {
		return FreezeResult{}, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	return s.freeze(ctx, conv, cu.UID, "agent", reason, conv.Language)
}

// freeze records the freeze, asks the exchange and tells the customer.
func (s *Service) freeze(ctx context.Context, conv ticket.Conversation, uid, source, reason, lang string) (FreezeResult, error) {
	requestedBy := "customer"
	if a := audit.ActorFrom(ctx); a.Kind == "agent" {
		requestedBy = "agent:" + strconv.FormatInt(a.ID, 10)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	f := Freeze{CustomerID: conv.CustomerID, UID: uid, ConversationID: conv.ID, Source: source, State: "pending_exchange",
		Reason: reason, FrozenAt: now}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.insertFreeze(ctx, &f); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.freeze_requested", "freeze", f.ID, map[string]any{"customer": conv.CustomerID, "conversation": conv.ID,
			"source": source, "reason": reason})
	})
	if err != nil {
		return FreezeResult{}, err
	}
	// The exchange is called outside any transaction; the key makes a
	// retry of this freeze the same freeze.
	_, xerr := s.exchange.Freeze(ctx, exchange.FreezeRequest{UID: uid, Reason: reason, RequestedBy: requestedBy,
		Key: "vigil-freeze-" + strconv.FormatInt(f.ID, 10)})
	res := FreezeResult{Conversation: conv, Frozen: xerr == nil}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if xerr == nil {
			f.State = "frozen"
			if err := s.setFreezeState(ctx, f.ID, "frozen"); err != nil {
				return err
			}
			return s.audit.Record(ctx, "trust.frozen", "freeze", f.ID, map[string]any{"uid": uid})
		}
		return s.audit.Record(ctx, "trust.freeze_failed", "freeze", f.ID, map[string]any{"uid": uid, "error": xerr.Error()})
	})
	if err != nil {
		return FreezeResult{}, err
	}
	res.Freeze = f
	key := "trust.freeze_done"
	if xerr != nil {
		key = "trust.freeze_pending"
		note := "Self-service freeze could not reach the exchange (" + xerr.Error() + "). Freeze the account by hand, then note it here."
		if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Internal: true, Body: note}); err != nil {
			return FreezeResult{}, err
		}
	}
	res.NextStep = s.t(lang, key)
	if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Body: res.NextStep}); err != nil {
		return FreezeResult{}, err
	}
	return res, nil
}

// RequestUnfreeze is the first person's step: an agent asks to lift the
// freeze for a customer verified in the freeze's conversation.
func (s *Service) RequestUnfreeze(ctx context.Context, id int64, reason string) (Freeze, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 10 || n > 500 {
		return Freeze{}, apperr.Field("reason", "trust.reason_required", "say why, in 10 to 500 characters")
	}
	actor := audit.ActorFrom(ctx)
	if actor.Kind != "agent" {
		return Freeze{}, apperr.Forbiddenf("trust.agents_only", "only agents ask for an unfreeze")
	}
	var f Freeze
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if f, err = s.freezeByID(ctx, id); err != nil {
			return err
		}
		if f.State != "frozen" {
			return apperr.Conflictf("trust.freeze_state", "the freeze is %s, not frozen", f.State)
		}
		if err := s.RequireLevel(ctx, f.ConversationID); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		f.State, f.UnfreezeBy, f.UnfreezeReason, f.UnfreezeAsked = "unfreeze_requested", actor.ID, reason, &now
		if err := s.saveFreeze(ctx, f); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.unfreeze_requested", "freeze", f.ID, map[string]any{"reason": reason})
	})
	return f, err
}

// ApproveUnfreeze is the second person's step: a supervisor who is not
// the requester approves; the unfreeze may happen once the cool-down ends.
func (s *Service) ApproveUnfreeze(ctx context.Context, id int64) (Freeze, error) {
	actor := audit.ActorFrom(ctx)
	var f Freeze
	refused := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if f, err = s.freezeByID(ctx, id); err != nil {
			return err
		}
		if f.State != "unfreeze_requested" {
			return apperr.Conflictf("trust.freeze_state", "the freeze is %s; an unfreeze must be requested first", f.State)
		}
		if actor.Kind != "agent" || actor.ID == f.UnfreezeBy {
			// The refusal is audited, so it commits and changes nothing else.
			refused = true
			return s.audit.Record(ctx, "trust.unfreeze_self_approval_refused", "freeze", f.ID, nil)
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		eligible := now.Add(s.policy.UnfreezeCooldown)
		if min := f.FrozenAt.Add(s.policy.UnfreezeCooldown); min.After(eligible) {
			eligible = min
		}
		f.State, f.ApprovedBy, f.ApprovedAt, f.EligibleAt = "unfreeze_approved", actor.ID, &now, &eligible
		if err := s.saveFreeze(ctx, f); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.unfreeze_approved", "freeze", f.ID, map[string]any{"requested_by": f.UnfreezeBy, "eligible_at": eligible})
	})
	if err == nil && refused {
		return Freeze{}, errTwoPerson
	}
	return f, err
}

// errTwoPerson refuses an approval by the requester.
var errTwoPerson = apperr.Forbiddenf("trust.two_person", "the unfreeze must be approved by someone other than who asked for it")

// CompleteUnfreeze lifts an approved freeze at the exchange once the
// cool-down is over, and tells the customer.
func (s *Service) CompleteUnfreeze(ctx context.Context, id int64) (Freeze, error) {
	f, err := s.freezeByID(ctx, id)
	if err != nil {
		return Freeze{}, err
	}
	if f.State != "unfreeze_approved" {
		return Freeze{}, apperr.Conflictf("trust.freeze_state", "the freeze is %s; it needs an approved unfreeze", f.State)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if now.Before(*f.EligibleAt) {
		return Freeze{}, apperr.Conflictf("trust.cooldown", "the cool-down lasts until %s", f.EligibleAt.Format(time.RFC3339))
	}
	if _, err := s.exchange.Unfreeze(ctx, exchange.FreezeRequest{UID: f.UID, Reason: f.UnfreezeReason,
		RequestedBy: "agent:" + strconv.FormatInt(f.ApprovedBy, 10), Key: "vigil-unfreeze-" + strconv.FormatInt(f.ID, 10)}); err != nil {
		return Freeze{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		f.State, f.UnfrozenAt = "unfrozen", &now
		if err := s.saveFreeze(ctx, f); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.unfrozen", "freeze", f.ID, map[string]any{"requested_by": f.UnfreezeBy, "approved_by": f.ApprovedBy})
	})
	if err != nil {
		return Freeze{}, err
	}
	conv, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, f.ConversationID)
	if err == nil && conv.Status != ticket.StatusClosed {
		_, err = s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Body: s.t(conv.Language, "trust.unfrozen")})
	}
	return f, err
}

// Freezes lists a customer's freezes (0: every customer), newest first.
func (s *Service) Freezes(ctx context.Context, customerID int64) ([]Freeze, error) {
	return s.listFreezes(ctx, customerID)
}

// FreezeOf returns one freeze.
func (s *Service) FreezeOf(ctx context.Context, id int64) (Freeze, error) {
	return s.freezeByID(ctx, id)
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// RetryFreezes asks the exchange again for every freeze it has not
// confirmed yet, with the same idempotency key, and tells the customer
// once it holds. The watcher in app runs it every half minute, so a
// freeze requested while the exchange was down is never left behind.
func (s *Service) RetryFreezes(ctx context.Context) (int, error) {
	if s.exchange == nil {
		return 0, nil
	}
	fs, err := s.pendingFreezes(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, f := range fs {
		if _, err := s.exchange.Freeze(ctx, exchange.FreezeRequest{UID: f.UID, Reason: f.Reason, RequestedBy: "customer",
			Key: "vigil-freeze-" + strconv.FormatInt(f.ID, 10)}); err != nil {
			continue // still down; the next pass tries again
		}
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := s.setFreezeState(ctx, f.ID, "frozen"); err != nil {
				return err
			}
			return s.audit.Record(ctx, "trust.frozen", "freeze", f.ID, map[string]any{"uid": f.UID, "retried": true})
		})
		if err != nil {
			return done, err
		}
		done++
		conv, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, f.ConversationID)
		if err != nil {
			return done, err
		}
		if conv.Status == ticket.StatusClosed {
			continue
		}
		if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem,
			Body: s.t(conv.Language, "trust.freeze_done")}); err != nil {
			return done, err
		}
	}
	return done, nil
}
