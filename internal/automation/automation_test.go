package automation_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/automation"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/macro"
	"vigil/internal/ticket"
	"vigil/internal/webhook"
)

type env struct {
	ctx     context.Context
	clock   *dbtest.Clock
	bus     event.Bus
	tickets *ticket.Service
	jobs    *job.Queue
	rules   *automation.Service
	macros  *macro.Service
	hooks   *webhook.Service
	agents  *agent.Service
	cust    customer.Customer
	audit   *audit.Log
}

// newEnv wires the rules to the bus as the app does and waits until they
// listen.
func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC))
	now := clk.Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	customers := customer.New(d, a, bus, now)
	agents := agent.New(d, a, bus, now)
	jobs := job.New(job.Options{DB: d, Now: now, Backoff: 10 * time.Second})
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: customers, Now: now})
	macros := macro.New(macro.Options{DB: d, Audit: a, Tickets: tickets, Customers: customers, Now: now})
	hooks := webhook.New(webhook.Options{DB: d, Audit: a, Outbox: jobs, Now: now})
	rules := automation.New(automation.Options{DB: d, Audit: a, Bus: bus, Tickets: tickets, Outbox: jobs, Macros: macros, Webhooks: hooks,
		Agents: agents, Now: now})
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); rules.Run(runCtx, bus, nil) }()
	t.Cleanup(func() { stop(); <-done })
	time.Sleep(20 * time.Millisecond)
	name, lang := "Ana Li", "zh"
	cust, err := customers.Create(ctx, customer.Input{Name: &name, Language: &lang})
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: ctx, clock: clk, bus: bus, tickets: tickets, jobs: jobs, rules: rules, macros: macros, hooks: hooks, agents: agents,
		cust: cust, audit: a}
}

func (e *env) rule(t *testing.T, r automation.Rule) automation.Rule {
	t.Helper()
	r, err := e.rules.Create(e.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// drain waits for the bus to queue the rules' jobs, then runs them.
func (e *env) drain(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		counts, _ := e.jobs.Counts(e.ctx)
		if counts[job.Queued] >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := e.jobs.RunOnce(e.ctx, map[string]job.Handler{automation.RunJob: e.rules.Handle, webhook.DeliverJob: e.hooks.Deliver}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) open(t *testing.T, category string) ticket.Conversation {
	t.Helper()
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: e.cust.ID, Channel: "webchat", Category: category, Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: e.cust.ID, Body: "Someone logged in from abroad"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRuleOnCreated(t *testing.T) {
	e := newEnv(t)
	e.rule(t, automation.Rule{Enabled: true, Name: "Security is urgent", On: automation.OnCreated,
		Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "account_security"}},
		Actions:    automation.Actions{Priority: "urgent", AddTags: []string{"security"}}})
	sec, other := e.open(t, "account_security"), e.open(t, "fees")
	e.drain(t, 2)
	got, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, sec.ID)
	if got.Priority != ticket.Urgent || !cmp.Equal(got.Tags, []string{"security"}) {
		t.Errorf("security conversation: priority %s tags %v, want urgent [security]", got.Priority, got.Tags)
	}
	got, _ = e.tickets.ByID(e.ctx, ticket.Scope{All: true}, other.ID)
	if got.Priority != ticket.Normal || len(got.Tags) != 0 {
		t.Errorf("fees conversation changed: priority %s tags %v", got.Priority, got.Tags)
	}
}

// TestRulesCannotLoop: two rules undo each other on every status change.
// An agent's change starts one chain; each rule fires once in it, and the
// job ends.
func TestRulesCannotLoop(t *testing.T) {
	e := newEnv(t)
	x := e.rule(t, automation.Rule{Enabled: true, Name: "Pending back to open", On: automation.OnStatusChanged,
		Conditions: []automation.Condition{{Field: "status", Op: "eq", Value: "pending"}}, Actions: automation.Actions{Status: "open"}})
	y := e.rule(t, automation.Rule{Enabled: true, Name: "Open back to pending", On: automation.OnStatusChanged,
		Conditions: []automation.Condition{{Field: "status", Op: "eq", Value: "open"}}, Actions: automation.Actions{Status: "pending"}})
	c := e.open(t, "fees")
	pending := ticket.StatusPending
	if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	e.drain(t, 1)
	got, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, c.ID)
	if got.Status != ticket.StatusPending {
		t.Errorf("status after the chain = %s, want pending (agent → open by %q → pending by %q, then stop)", got.Status, x.Name, y.Name)
	}
	fired, err := e.rules.Firings(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[int64]int{x.ID: 1, y.ID: 1}, fired); d != "" {
		t.Errorf("firings (-want +got):\n%s", d)
	}
	counts, _ := e.jobs.Counts(e.ctx)
	if counts[job.Queued] != 0 || counts[job.Dead] != 0 {
		t.Errorf("jobs left = %v, want none queued or dead: the rules' own changes start no new chain", counts)
	}
}

func TestRuleRefused(t *testing.T) {
	e := newEnv(t)
	if _, err := e.rules.Create(e.ctx, automation.Rule{Enabled: true, Name: "x", On: "moon.full", Actions: automation.Actions{Status: "open"}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown trigger: %v", err)
	}
	if _, err := e.rules.Create(e.ctx, automation.Rule{Enabled: true, Name: "x", On: automation.OnCreated}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("no action: %v", err)
	}
}
