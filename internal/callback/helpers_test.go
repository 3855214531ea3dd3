package callback_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/i18n"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx     context.Context
	db      *db.DB
	clock   *dbtest.Clock
	audit   *audit.Log
	custs   *customer.Service
	agents  *agent.Service
	tickets *ticket.Service
	svc     *callback.Service
	dialer  *scriptedDialer
	dir     string
}

// scriptedDialer stands in for the trunk in the policy tests: it counts
// every call it is asked to place and ends each as its script says. The
// SIP flows themselves run against sipp (sipp_test.go, channel/voice).
type scriptedDialer struct {
	mu     sync.Mutex
	dialed []callback.Dial
	result func(d callback.Dial) callback.Result
	done   chan struct{}
}

func (s *scriptedDialer) Dial(ctx context.Context, d callback.Dial) callback.Result {
	s.mu.Lock()
	s.dialed = append(s.dialed, d)
	s.mu.Unlock()
	defer func() { s.done <- struct{}{} }()
	return s.result(d)
}

func (s *scriptedDialer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dialed)
}

func newEnv(t *testing.T, dialer callback.Dialer) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	custs := customer.New(d, a, bus, clk.Now)
	jobs := job.New(job.Options{DB: d, Now: clk.Now})
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: custs, Now: clk.Now, Outbox: jobs})
	agents := agent.New(d, a, bus, clk.Now)
	e := &env{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}), db: d, clock: clk, audit: a, custs: custs,
		agents: agents, tickets: tickets, dir: t.TempDir()}
	if sd, ok := dialer.(*scriptedDialer); ok {
		e.dialer = sd
	}
	e.svc = callback.New(callback.Options{DB: d, Audit: a, Tickets: tickets, Customers: custs, Agents: agents, Outbox: jobs,
		Dialer: dialer, Policy: callback.DefaultPolicy, RecordingDir: e.dir, T: i18n.T, Now: clk.Now})
	t.Cleanup(e.svc.Close)
	return e
}

func newScripted(result func(d callback.Dial) callback.Result) *scriptedDialer {
	return &scriptedDialer{result: result, done: make(chan struct{}, 16)}
}

// waitDialled waits until the scripted dialer has finished a call and the
// service has logged it.
func (e *env) waitDialled(t *testing.T, id int64) {
	t.Helper()
	select {
	case <-e.dialer.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the dialer was never asked to call")
	}
	e.waitIdle(t, id)
}

func (e *env) waitIdle(t *testing.T, id int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if live, _ := e.svc.Live(id); !live {
			cb, _, err := e.svc.ByID(e.ctx, ticket.Scope{All: true}, id)
			if err != nil {
				t.Fatal(err)
			}
			if cb.State != callback.Calling {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the call was never logged")
}

func (e *env) agent(t *testing.T, name string) agent.Agent {
	t.Helper()
	email, role := name+"@desk.example", agent.RoleAgent
	ag, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	return ag
}

type who struct {
	tier    int
	manager int64
	phone   string
	email   string
}

func (e *env) customer(t *testing.T, w who) customer.Customer {
	t.Helper()
	name := "Li Wei"
	in := customer.Input{Name: &name, VIPTier: &w.tier}
	if w.manager != 0 {
		in.AccountManagerID = &w.manager
	}
	if w.phone != "" {
		in.Phone = &w.phone
	}
	if w.email != "" {
		in.Email = &w.email
	}
	c, err := e.custs.Create(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// window is a request for a call between one and three hours from now.
func (e *env) window(custID int64) callback.RequestInput {
	now := e.clock.Now()
	return callback.RequestInput{CustomerID: custID, WindowStart: now.Add(time.Hour), WindowEnd: now.Add(3 * time.Hour), Language: "en"}
}

func (e *env) request(t *testing.T, in callback.RequestInput) (callback.Callback, ticket.Conversation) {
	t.Helper()
	cb, conv, err := e.svc.Request(e.ctx, in)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return cb, conv
}

// scheduled is a VIP's callback with the notice sent by ag, due now.
func (e *env) scheduled(t *testing.T, ag agent.Agent) callback.Callback {
	t.Helper()
	cust := e.customer(t, who{tier: 4, phone: "+8613800138000"})
	cb, _ := e.request(t, e.window(cust.ID))
	cb, err := e.svc.Schedule(e.ctx, ticket.Scope{All: true}, cb.ID, ag.ID, cb.WindowStart)
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	e.clock.Advance(time.Hour)
	return cb
}

func (e *env) auditActions(t *testing.T, kind string, id int64) []audit.Entry {
	t.Helper()
	entries, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: kind, ObjectID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
