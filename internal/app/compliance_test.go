package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/ticket"
)

// TestRetentionWatcherEmptiesOldConversations: with a messages retention
// set, the server's watcher empties a solved conversation older than it
// on its first pass, and leaves a held customer's alone.
func TestRetentionWatcherEmptiesOldConversations(t *testing.T) {
	d := dbtest.Open(t)
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Compliance.RetainMessages = 30 * 24 * time.Hour
	clk := dbtest.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), d, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	solved := ticket.StatusSolved
	open := func(name string) int64 {
		c, err := a.Customers.Create(ctx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		conv, _, err := a.Tickets.Open(ctx, ticket.OpenInput{CustomerID: c.ID, Channel: "webchat",
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: c.ID, Body: "hello from " + name}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: 0,
			Body: "done", Status: &solved}); err != nil {
			t.Fatal(err)
		}
		if name == "Held" {
			if _, err := a.Compliance.PlaceHold(ctx, c.ID, 0, "court order"); err != nil {
				t.Fatal(err)
			}
		}
		return conv.ID
	}
	gone, kept := open("Gone"), open("Held")
	clk.Advance(31 * 24 * time.Hour)
	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.WatchRetention(wctx)
	body := func(id int64) string {
		ms, err := a.Tickets.Messages(ctx, ticket.Scope{All: true}, id, ticket.MessagesFilter{})
		if err != nil || len(ms) == 0 {
			t.Fatalf("messages of %d: %v", id, err)
		}
		return ms[0].Body
	}
	for deadline := time.Now().Add(5 * time.Second); body(gone) != ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the retention watcher did not empty the old conversation")
		}
	}
	if body(kept) != "hello from Held" {
		t.Fatalf("held conversation emptied: %q", body(kept))
	}
}
