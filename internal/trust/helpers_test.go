package trust_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

var t0 = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// env is a fresh database with tickets screened by trust and the sandbox
// exchange, wired as the app wires them.
type env struct {
	t         testing.TB
	ctx       context.Context
	d         *db.DB
	clock     *dbtest.Clock
	audit     *audit.Log
	customers *customer.Service
	agents    *agent.Service
	tickets   *ticket.Service
	trust     *trust.Service
	sandbox   *exchange.Sandbox
	agent     agent.Agent
	sup       agent.Agent
	sup2      agent.Agent
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	now := clk.Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	e := &env{t: t, d: d, clock: clk, audit: a, ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"})}
	e.customers = customer.New(d, a, bus, now)
	e.agents = agent.New(d, a, bus, now)
	conn, sb := exchange.NewSandboxClient(now, nil)
	e.sandbox = sb
	screen := trust.NewScreen(d, a, now, i18n.T, 3)
	e.tickets = ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: e.customers, Now: now, Redactor: screen})
	e.trust = trust.New(trust.Options{DB: d, Audit: a, Exchange: conn, Customers: e.customers, Tickets: e.tickets, Screen: screen, Now: now, T: i18n.T})
	mk := func(email string, role agent.Role) agent.Agent {
		ag, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &email, Role: &role})
		if err != nil {
			t.Fatal(err)
		}
		return ag
	}
	e.agent = mk("omar@test.example", agent.RoleAgent)
	e.sup = mk("sam@test.example", agent.RoleSupervisor)
	e.sup2 = mk("sue@test.example", agent.RoleSupervisor)
	return e
}

// as returns a context acting as the agent.
func (e *env) as(ag agent.Agent) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: ag.ID})
}

// open starts a conversation for the sandbox customer uid.
func (e *env) open(uid, lang, body string) ticket.Conversation {
	e.t.Helper()
	in := customer.Input{Language: &lang}
	if uid != "" {
		in.UID = &uid
	}
	cu, err := e.customers.ByUID(e.ctx, uid)
	if uid == "" || err != nil {
		cu, err = e.customers.Create(e.ctx, in)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", Language: lang, Category: "account_security",
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: body}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) say(c ticket.Conversation, body string) {
	e.t.Helper()
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByCustomer, AuthorID: c.CustomerID, Body: body}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) thread(c ticket.Conversation) []ticket.Message {
	e.t.Helper()
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, c.ID, ticket.MessagesFilter{IncludeInternal: true, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

func (e *env) last(c ticket.Conversation) ticket.Message {
	ms := e.thread(c)
	return ms[len(ms)-1]
}

func (e *env) level(c ticket.Conversation) trust.Status {
	e.t.Helper()
	st, err := e.trust.Level(e.ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// auditText is every audit entry of the conversation as JSON, to check
// what was (and was not) recorded.
func (e *env) auditText(kind string, id int64) string {
	e.t.Helper()
	es, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: kind, ObjectID: id, Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, x := range es {
		j, _ := json.Marshal(x)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *env) lastCode() string {
	out := e.sandbox.Outbox()
	if len(out) == 0 {
		e.t.Fatal("no code delivered")
	}
	return out[len(out)-1].Code
}
