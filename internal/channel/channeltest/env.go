// Package channeltest builds the desk a channel adapter talks to in tests:
// a migrated database, customers, tickets with the job outbox, and the
// channel service, all on one settable clock.
package channeltest

import (
	"context"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/channel"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// Env is one test's desk.
type Env struct {
	Ctx       context.Context
	DB        *db.DB
	Clock     *dbtest.Clock
	Customers *customer.Service
	Tickets   *ticket.Service
	Jobs      *job.Queue
	Channels  *channel.Service
}

// T0 is where every test clock starts.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// New returns a desk whose channel service delivers through adapters.
func New(tb testing.TB, adapters ...channel.Adapter) *Env {
	tb.Helper()
	d := dbtest.Open(tb)
	clock := dbtest.NewClock(T0)
	now := clock.Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	customers := customer.New(d, a, bus, now)
	jobs := job.New(job.Options{DB: d, Now: now, Backoff: time.Second})
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: customers, Now: now, Outbox: jobs,
		Files: &ticket.Files{Dir: tb.TempDir(), MaxSize: 5 << 20}})
	ch := channel.New(channel.Options{DB: d, Customers: customers, Tickets: tickets, Adapters: adapters, Now: now})
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	return &Env{Ctx: ctx, DB: d, Clock: clock, Customers: customers, Tickets: tickets, Jobs: jobs, Channels: ch}
}

// Handlers are the job handlers a running desk registers.
func (e *Env) Handlers() map[string]job.Handler {
	return map[string]job.Handler{ticket.DeliverJob: e.Channels.Deliver, ticket.FollowUpJob: e.Channels.FollowUp}
}

// Deliver runs every due delivery job and returns how many ran.
func (e *Env) Deliver(tb testing.TB) int {
	tb.Helper()
	n, err := e.Jobs.RunOnce(e.Ctx, e.Handlers())
	if err != nil {
		tb.Fatalf("run jobs: %v", err)
	}
	return n
}

// Reply adds a public agent reply to a conversation.
func (e *Env) Reply(tb testing.TB, convID int64, body string) ticket.Message {
	tb.Helper()
	m, err := e.Tickets.AddMessage(e.Ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByAgent, AuthorName: "Mei (Support)", Body: body})
	if err != nil {
		tb.Fatalf("reply: %v", err)
	}
	return m
}

// Messages returns a conversation's messages, notes included.
func (e *Env) Messages(tb testing.TB, convID int64) []ticket.Message {
	tb.Helper()
	ms, err := e.Tickets.Messages(e.Ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{IncludeInternal: true})
	if err != nil {
		tb.Fatalf("messages: %v", err)
	}
	return ms
}

// Conversation reloads a conversation.
func (e *Env) Conversation(tb testing.TB, id int64) ticket.Conversation {
	tb.Helper()
	c, err := e.Tickets.ByID(e.Ctx, ticket.Scope{All: true}, id)
	if err != nil {
		tb.Fatalf("conversation %d: %v", id, err)
	}
	return c
}

// Solve marks a conversation solved.
func (e *Env) Solve(tb testing.TB, id int64) {
	tb.Helper()
	st := ticket.StatusSolved
	if _, err := e.Tickets.Update(e.Ctx, id, ticket.Patch{Status: &st}); err != nil {
		tb.Fatalf("solve %d: %v", id, err)
	}
}
