package callback_test

import (
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/callback"
	"vigil/internal/ticket"
)

func TestIncidentOfferFollowsTheCallRules(t *testing.T) {
	e := newEnv(t, nil)
	e.dialer = newScripted(answeredAfter(e, time.Minute, ""))
	e.svc = callback.New(callback.Options{DB: e.db, Audit: e.audit, Tickets: e.tickets, Customers: e.custs, Agents: e.agents,
		Dialer: e.dialer, Policy: callback.DefaultPolicy, T: tr, Now: e.clock.Now})
	t.Cleanup(e.svc.Close)
	mei := e.agent(t, "mei")
	vip := e.customer(t, who{tier: 5, phone: "+8613800138000"})

	if _, err := e.svc.Offer(e.ctx, callback.OfferInput{CustomerID: vip.ID, Language: "zh"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("an offer without an incident: %v, want refused", err)
	}
	cb, err := e.svc.Offer(e.ctx, callback.OfferInput{CustomerID: vip.ID, IncidentID: 7, Language: "zh", Window: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if cb.State != callback.Requested || cb.Reason != "incident" || cb.Language != "zh" || cb.WindowEnd.Sub(cb.WindowStart) != 2*time.Hour {
		t.Errorf("offer %+v: want a requested callback in Chinese with a two-hour window", cb)
	}
	conv, err := e.tickets.ByID(e.ctx, all, cb.ConversationID)
	if err != nil || conv.Channel != "phone" || conv.CustomerID != vip.ID {
		t.Fatalf("offer conversation %+v, %v", conv, err)
	}
	again, err := e.svc.Offer(e.ctx, callback.OfferInput{CustomerID: vip.ID, IncidentID: 7, Language: "zh"})
	if err != nil || again.ID != cb.ID {
		t.Errorf("the campaign offering twice: callback %d, %v; want the first (%d)", again.ID, err, cb.ID)
	}
	// The offer does not let anyone call before the notice.
	if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); err == nil || e.dialer.count() != 0 {
		t.Errorf("a call before the notice: %v, %d dials; want refused", err, e.dialer.count())
	}

	plain := e.customer(t, who{tier: 0, phone: "+8613900139000"})
	if _, err := e.svc.Offer(e.ctx, callback.OfferInput{CustomerID: plain.ID, IncidentID: 7}); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("an offer to a customer not entitled to calls: %v, want forbidden", err)
	}
	noPhone := e.customer(t, who{tier: 6})
	if _, err := e.svc.Offer(e.ctx, callback.OfferInput{CustomerID: noPhone.ID, IncidentID: 7}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("an offer to a VIP without a number: %v, want conflict", err)
	}
	if list, _, err := e.tickets.List(e.ctx, all, ticket.Filter{CustomerID: plain.ID}); err != nil || len(list) != 0 {
		t.Errorf("a refused offer opened %d conversations (%v)", len(list), err)
	}
}
