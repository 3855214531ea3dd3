package incident_test

import (
	"strings"
	"testing"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// TestOutreachOffersCallsToVIPs: a campaign of a declared incident with
// the callback channel first opens a callback for the VIP with a number
// on file, carrying the campaign's message for the agent, and reaches
// everyone else on the next channel; a campaign without an incident may
// not offer calls.
func TestOutreachOffersCallsToVIPs(t *testing.T) {
	d := dbtest.Open(t)
	e := newOutreachEnv(t, d)
	a := audit.New(d, e.clock.Now)
	calls := callback.New(callback.Options{DB: d, Audit: a, Tickets: e.tickets, Customers: e.custs,
		Agents: agent.New(d, a, event.NewMemory(), e.clock.Now), Outbox: e.jobs, Policy: callback.DefaultPolicy, T: i18n.T, Now: e.clock.Now})
	t.Cleanup(calls.Close)
	e.inc = incident.New(incident.Options{DB: d, Audit: a, Tickets: e.tickets, Customers: e.custs, Jobs: e.jobs,
		VerifyURL: "https://desk.example/verify", Callbacks: calls, Now: e.clock.Now})

	vip := e.customer(t, "U1", "zh", "u1@example.com", "", "")
	tier, phone := 5, "+8613800138000"
	if _, err := e.custs.Update(e.ctx, vip.ID, customer.Input{VIPTier: &tier, Phone: &phone}); err != nil {
		t.Fatal(err)
	}
	plain := e.customer(t, "U2", "en", "u2@example.com", "", "")

	in := campaign
	in.Channels = []string{"callback", "email"}
	if _, err := e.inc.CreateCampaign(e.ctx, 0, in); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("calls offered without an incident: %v, want refused", err)
	}
	inc, err := e.inc.Declare(e.ctx, 0, trc20)
	if err != nil {
		t.Fatal(err)
	}
	in.IncidentID = inc.ID
	c, err := e.inc.CreateCampaign(e.ctx, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, []string{"U1", "U2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.jobs.RunOnce(e.ctx, map[string]job.Handler{incident.OutreachJob: e.inc.SendOutreach}); err != nil {
		t.Fatal(err)
	}
	p, err := e.inc.Progress(e.ctx, c.ID)
	if err != nil || p.Opened != 2 {
		t.Fatalf("progress %+v, %v; want both reached", p, err)
	}
	list, err := calls.List(e.ctx, ticket.Scope{All: true}, callback.Filter{})
	if err != nil || len(list) != 1 || list[0].CustomerID != vip.ID || list[0].Reason != "incident" || list[0].State != callback.Requested {
		t.Fatalf("callbacks %+v, %v; want one offered to the VIP", list, err)
	}
	msgs, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, list[0].ConversationID, ticket.MessagesFilter{})
	if err != nil || len(msgs) == 0 || !strings.Contains(msgs[0].Body, "U1 您好") {
		t.Errorf("offer conversation %+v, %v; want the campaign's Chinese text for the agent", msgs, err)
	}
	convs, _, err := e.tickets.List(e.ctx, ticket.Scope{All: true}, ticket.Filter{CustomerID: plain.ID})
	if err != nil || len(convs) != 1 || convs[0].Channel != "email" {
		t.Errorf("the customer without a callback entitlement: %+v, %v; want one email", convs, err)
	}
}
