package callback

import (
	"context"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// OfferInput is the desk's own proposal to call a customer about a
// declared incident, made by an outreach campaign.
type OfferInput struct {
	CustomerID int64
	IncidentID int64
	Language   string
	// Window is how long from now the desk has to call.
	Window time.Duration
	// Message is what the campaign says, for the agent who calls.
	Message string
}

// Offer opens a callback for a customer the incident concerns, as if the
// customer had asked: an agent must still send the notice with their
// staff ID before calling, and may call only inside the window. Only
// customers entitled to callbacks by their tier or account manager, with
// a number on file, get one; a customer with a callback already open
// keeps that one (so a campaign sent twice offers once).
func (s *Service) Offer(ctx context.Context, in OfferInput) (Callback, error) {
	if in.IncidentID == 0 {
		return Callback{}, apperr.Field("incident_id", "callback.incident_required", "the desk calls unasked only about a declared incident")
	}
	if in.Window <= 0 || in.Window > s.policy.MaxWindow {
		in.Window = s.policy.MaxWindow
	}
	lang := i18n.Normalize(in.Language)
	cust, err := s.customers.ByID(ctx, in.CustomerID)
	if err != nil {
		return Callback{}, err
	}
	if err := s.offerable(ctx, cust); err != nil {
		return Callback{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	start := now.Truncate(time.Minute)
	cb := Callback{CustomerID: cust.ID, Reason: "incident", Language: lang, WindowStart: start,
		WindowEnd: start.Add(in.Window), State: Requested, CreatedAt: now, UpdatedAt: now, phone: cust.Phone}
	open := ticket.OpenInput{CustomerID: cust.ID, Channel: "phone", Language: lang, Priority: ticket.High, Category: "other",
		AssigneeID: cust.AccountManagerID, Tags: []string{"callback", "incident"}, Subject: s.t(lang, "callback.offer_subject"),
		Message: ticket.MessageInput{AuthorKind: ticket.BySystem,
			Body: strings.TrimSpace(s.t(lang, "callback.offer_body", in.IncidentID, formatWindow(cb.WindowStart, cb.WindowEnd)) + "\n\n" + in.Message)}}
	if open.AssigneeID != 0 {
		if ag, err := s.agents.Ref(ctx, open.AssigneeID); err != nil || ag.Disabled {
			open.AssigneeID = 0
		}
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if existing, ok, err := s.openFor(ctx, cust.ID); err != nil || ok {
			cb = existing
			return err
		}
		conv, _, err := s.tickets.Open(ctx, open)
		if err != nil {
			return err
		}
		cb.ConversationID = conv.ID
		if err := s.insert(ctx, &cb); err != nil {
			return err
		}
		return s.audit.Record(ctx, "callback.offer", "callback", cb.ID, map[string]any{"conversation": conv.ID, "customer": cust.ID,
			"incident": in.IncidentID, "window": []time.Time{cb.WindowStart, cb.WindowEnd}, "language": lang})
	})
	return cb, err
}

// OfferCall is Offer for an outreach campaign: it returns the callback's
// conversation.
func (s *Service) OfferCall(ctx context.Context, customerID, incidentID int64, language, message string) (int64, error) {
	cb, err := s.Offer(ctx, OfferInput{CustomerID: customerID, IncidentID: incidentID, Language: language, Message: message})
	return cb.ConversationID, err
}

// CanOffer reports whether the desk may offer the customer a call.
func (s *Service) CanOffer(ctx context.Context, customerID int64) (bool, error) {
	cust, err := s.customers.ByID(ctx, customerID)
	if err != nil {
		return false, err
	}
	err = s.offerable(ctx, cust)
	if apperr.Is(err, apperr.Forbidden) || apperr.Is(err, apperr.Conflict) {
		return false, nil
	}
	return err == nil, err
}

// offerable: the desk offers calls only to customers entitled by tier or
// account manager, with a number to call.
func (s *Service) offerable(ctx context.Context, cust customer.Customer) error {
	if _, err := s.entitlement(ctx, cust, 0); err != nil {
		return err
	}
	if !validPhone(strings.TrimSpace(cust.Phone)) {
		return apperr.Conflictf("callback.no_phone", "customer %d has no phone number on file", cust.ID)
	}
	return nil
}
