package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// The console shows SLA deadlines in the inbox and the sidebar, and the
// "at risk" view lists what is close to breaching.
func TestConsoleShowsSLA(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if _, err := e.app.SLA.SavePolicy(ctx, sla.Policy{Name: "Security chat", Enabled: true,
		Conditions: sla.Conditions{Categories: []string{"account_security"}},
		Targets:    sla.Targets{FirstResponse: 60, Resolution: 8 * 60}}); err != nil {
		t.Fatal(err)
	}
	name := "Dana Frozen"
	cu, err := e.app.Customers.Create(ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", TeamID: e.teamA.ID,
		Category: "account_security", Subject: "Someone logged in from abroad",
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "Someone logged in from abroad"}})
	if err != nil {
		t.Fatal(err)
	}
	ann := e.signedIn(e.agA)
	_, page, _ := ann.get("/console/conversations/" + id(conv))
	for _, want := range []string{"Security chat", "First response", "due in 1 h 0 min", "Resolution", "due in 8 h 0 min"} {
		if !strings.Contains(page, want) {
			t.Errorf("conversation page lacks %q", want)
		}
	}
	// 45 minutes on: 15 minutes left, so at risk; the other conversations
	// have no SLA and waited over 15 minutes unanswered, so they are too.
	e.clock.now = e.clock.now.Add(45 * time.Minute)
	_, page, _ = ann.get("/console/inbox?view=at_risk")
	if !strings.Contains(page, ">"+id(conv)+"<") || !strings.Contains(page, "due in 15 min") {
		t.Errorf("at risk view lacks the security conversation due in 15 min:\n%s", page)
	}
	// Overdue after 61 minutes, in Chinese too.
	e.clock.now = e.clock.now.Add(16 * time.Minute)
	zh := e.signedIn(e.agA)
	_, _, _ = zh.get("/console/inbox")
	if status, _, _ := zh.post("/console/lang", url.Values{"csrf": {zh.csrf}, "lang": {"zh"}, "next": {"/console/"}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", status)
	}
	status, page, _ := zh.get("/console/conversations/" + id(conv))
	if status != http.StatusOK || !strings.Contains(page, "已超时 1 分钟") || !strings.Contains(page, "首次回复") {
		t.Errorf("Chinese page: %d, lacks the overdue first response", status)
	}
	// Pending on the customer pauses the clocks.
	ben := "Ben"
	pending := ticket.StatusPending
	if _, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: e.agA.ID,
		AuthorName: ben, Body: "We froze withdrawals. Please confirm your last login.", Status: &pending}); err != nil {
		t.Fatal(err)
	}
	_, page, _ = ann.get("/console/conversations/" + id(conv))
	if !strings.Contains(page, "Paused: waiting on the customer.") {
		t.Error("pending conversation does not show its clocks paused")
	}
}

// Supervisors see each team's queue next to who is online; agents do not.
func TestQueuesPage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if err := e.app.Agents.SetStatus(ctx, e.agA.ID, "online"); err != nil {
		t.Fatal(err)
	}
	email, name, role := "sue@test.example", "Sue Supervisor", agent.RoleSupervisor
	sue, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(ctx, sue.ID, password); err != nil {
		t.Fatal(err)
	}
	status, page, _ := e.signedIn(sue).get("/console/queues")
	if status != http.StatusOK {
		t.Fatalf("queues page: %d", status)
	}
	// Wallets: Ann is online, her conversation is assigned. Security: Bob's
	// conversation waits and nobody is online. Carol's has no team.
	for _, want := range []string{"Wallets", "Online: Ann Wallets", "Security", "Nobody online", "Offline: Ben Security", "No team yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("queues page lacks %q", want)
		}
	}
	if status, _, _ := e.signedIn(e.agA).get("/console/queues"); status != http.StatusForbidden {
		t.Errorf("an agent got the queues page: %d", status)
	}
}
