package report_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/report"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// t0 is a Monday, 09:00 UTC; tests move the clock explicitly.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one fresh database with the services wired as the app wires them.
type env struct {
	ctx       context.Context
	d         *db.DB
	clock     *dbtest.Clock
	customers *customer.Service
	agents    *agent.Service
	tickets   *ticket.Service
	jobs      *job.Queue
	reports   *report.Service
	slas      *sla.Service
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	d := dbtest.Open(tb)
	clk := dbtest.NewClock(t0)
	now := clk.Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	customers := customer.New(d, a, bus, now)
	agents := agent.New(d, a, bus, now)
	jobs := job.New(job.Options{DB: d, Now: now})
	slas := sla.New(d, a, now, ticket.Vocabulary())
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: customers, Now: now, Outbox: jobs, Policies: slas})
	reports := report.New(report.Options{DB: d, Tickets: tickets, Facts: tickets, Customers: customers, Secret: []byte("0123456789abcdef0123456789abcdef"),
		PublicURL: "https://desk.example/", Now: now})
	return &env{ctx: context.Background(), d: d, clock: clk, customers: customers, agents: agents, tickets: tickets, jobs: jobs,
		reports: reports, slas: slas}
}

func (e *env) customer(tb testing.TB, name, lang string, vip int) customer.Customer {
	tb.Helper()
	c, err := e.customers.Create(e.ctx, customer.Input{Name: &name, Language: &lang, VIPTier: &vip})
	if err != nil {
		tb.Fatalf("create customer %q: %v", name, err)
	}
	return c
}

// open starts a customer-written conversation on a channel in a language.
func (e *env) open(tb testing.TB, cust customer.Customer, channel, lang, category string) ticket.Conversation {
	tb.Helper()
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: channel, Language: lang, Category: category,
		Priority: ticket.Normal, Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "My deposit has not arrived"}})
	if err != nil {
		tb.Fatalf("open conversation: %v", err)
	}
	return c
}

func (e *env) reply(tb testing.TB, convID, agentID int64) {
	tb.Helper()
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByAgent, AuthorID: agentID,
		AuthorName: "Agent", Body: "Looking into it"}); err != nil {
		tb.Fatalf("reply: %v", err)
	}
}

func (e *env) say(tb testing.TB, convID, custID int64) {
	tb.Helper()
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByCustomer, AuthorID: custID,
		Body: "Still not there"}); err != nil {
		tb.Fatalf("say: %v", err)
	}
}

func (e *env) status(tb testing.TB, convID int64, st ticket.Status) {
	tb.Helper()
	if _, err := e.tickets.Update(e.ctx, convID, ticket.Patch{Status: &st}); err != nil {
		tb.Fatalf("set status %s: %v", st, err)
	}
}

// runJobs drains the queue with the survey handler (and a delivery
// handler that just marks email and Telegram replies sent).
func (e *env) runJobs(tb testing.TB) {
	tb.Helper()
	_, err := e.jobs.RunOnce(e.ctx, map[string]job.Handler{
		ticket.SurveyJob:  e.reports.Ask,
		ticket.DeliverJob: func(context.Context, job.Job) error { return nil },
	})
	if err != nil {
		tb.Fatalf("run jobs: %v", err)
	}
}

func (e *env) agent(tb testing.TB, email string, teams ...int64) agent.Agent {
	tb.Helper()
	name, role := email, agent.RoleAgent
	if teams == nil {
		teams = []int64{}
	}
	a, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
	if err != nil {
		tb.Fatalf("create agent %q: %v", email, err)
	}
	return a
}
