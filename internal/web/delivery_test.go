package web_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// An email reply shows "sending…" until it leaves and "not delivered"
// when it cannot (here no email relay is configured at all).
func TestConsoleShowsDeliveryOfEmailReplies(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: e.agA.ID})
	name, addr := "Dora Mail", "dora@example.com"
	cu, err := e.app.Customers.Create(ctx, customer.Input{Name: &name, Email: &addr})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "email", TeamID: e.teamA.ID, AssigneeID: e.agA.ID,
		Subject: "Deposit", Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "Where is it?"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: e.agA.ID,
		Body: "Checking now."}); err != nil {
		t.Fatal(err)
	}
	ann := e.signedIn(e.agA)
	_, page, _ := ann.get("/console/conversations/" + id(conv))
	if !strings.Contains(page, `<a href="/api/v1/messages/`) || !strings.Contains(page, "Original email") {
		t.Error("the customer's email has no link to its original")
	}
	if !strings.Contains(page, `<span class="delivery pending">sending…</span>`) {
		t.Fatal("a queued email reply is not shown as sending")
	}
	if _, err := e.app.Jobs.RunOnce(ctx, map[string]job.Handler{ticket.DeliverJob: e.app.Channels.Deliver}); err != nil {
		t.Fatal(err)
	}
	_, page, _ = ann.get("/console/conversations/" + id(conv))
	if !strings.Contains(page, `<span class="delivery failed">not delivered</span>`) {
		t.Fatal("an undeliverable reply is not shown as failed")
	}
}
