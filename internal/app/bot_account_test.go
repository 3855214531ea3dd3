package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

// "Where is my withdrawal?" from a signed-in customer: the bot first sends
// a one-time code through the exchange; once the customer types it, the
// bot answers with the withdrawals the exchange reports, confirmations
// included. Nothing of the account is said before the code.
func TestBotTellsAVerifiedCustomerWhereTheirWithdrawalIs(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataDir, cfg.ExchangeURL = t.TempDir(), "sandbox"
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if _, err := a.LoadDemo(ctx); err != nil { // the demo help center, so the bot speaks
		t.Fatal(err)
	}
	alice, err := a.Customers.ByUID(ctx, "U10000001")
	if err != nil {
		t.Fatal(err)
	}
	say := func(conv ticket.Conversation, body string) {
		t.Helper()
		m, err := a.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: alice.ID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Bot.Handle(ctx, event.MessageCreated{Scope: event.Scope{ConversationID: conv.ID, CustomerID: alice.ID},
			MessageID: m.ID, Seq: m.Seq, AuthorKind: "customer", Body: m.Body}); err != nil {
			t.Fatal(err)
		}
	}
	thread := func(conv ticket.Conversation) string {
		t.Helper()
		ms, err := a.Tickets.Messages(ctx, ticket.Scope{CustomerID: alice.ID}, conv.ID, ticket.MessagesFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(string(m.AuthorKind) + ": " + m.Body + "\n")
		}
		return b.String()
	}
	conv, _, err := a.Tickets.Open(ctx, ticket.OpenInput{CustomerID: alice.ID, Channel: "webchat", Subject: "Withdrawal",
		Message: ticket.MessageInput{AuthorKind: ticket.BySystem, Body: "Chat started", Internal: true}})
	if err != nil {
		t.Fatal(err)
	}
	say(conv, "Where is my withdrawal? It has been pending for 40 minutes")
	got := thread(conv)
	if !strings.Contains(got, "one-time code") || strings.Contains(got, "TRC20") {
		t.Fatalf("before verification the bot must ask for the code and show nothing:\n%s", got)
	}
	sent := a.Sandbox.Outbox()
	if len(sent) != 1 || sent[0].UID != "U10000001" {
		t.Fatalf("codes delivered by the exchange: %+v", sent)
	}
	say(conv, sent[0].Code)
	got = thread(conv)
	for _, want := range []string{"latest withdrawals", "2500.00 USDT, TRC20", "waiting for network confirmations (12/20)", "0.0520 BTC", "completed"} {
		if !strings.Contains(got, want) {
			t.Errorf("after verification the thread lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, sent[0].Code) {
		t.Error("the one-time code is readable in the thread")
	}
}
