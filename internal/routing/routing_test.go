package routing_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/routing"
	"vigil/internal/ticket"
)

func TestPick(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	zh := routing.Candidate{ID: 1, Languages: []string{"en", "zh"}, Max: 5}
	en := routing.Candidate{ID: 2, Languages: []string{"en"}, Max: 5}
	security := routing.Candidate{ID: 3, Languages: []string{"en"}, Topics: []string{"account_security"}, Teams: []int64{7}, Max: 5}
	full := routing.Candidate{ID: 4, Languages: []string{"en", "zh"}, Topics: []string{"withdrawal"}, Load: 3, Max: 3}
	for _, tt := range []struct {
		name string
		w    routing.Work
		cs   []routing.Candidate
		want int64 // 0: nobody
	}{
		{"Chinese goes to the Chinese speaker", routing.Work{Language: "zh"}, []routing.Candidate{en, zh}, 1},
		{"nobody speaks the language", routing.Work{Language: "zh"}, []routing.Candidate{en, security}, 0},
		{"no language means English", routing.Work{}, []routing.Candidate{zh, en}, 1},
		{"topic skill wins", routing.Work{Language: "en", Category: "account_security"}, []routing.Candidate{zh, en, security}, 3},
		{"team members only", routing.Work{Language: "en", TeamID: 7}, []routing.Candidate{zh, en, security}, 3},
		{"full agents are skipped even with the topic", routing.Work{Language: "zh", Category: "withdrawal"}, []routing.Candidate{full, zh}, 1},
		{"everyone full", routing.Work{Language: "zh"}, []routing.Candidate{full}, 0},
		{"lower relative load wins", routing.Work{Language: "en"},
			[]routing.Candidate{{ID: 5, Load: 2, Max: 4}, {ID: 6, Load: 1, Max: 4}}, 6},
		{"relative, not absolute, load", routing.Work{Language: "en"},
			[]routing.Candidate{{ID: 5, Load: 2, Max: 10}, {ID: 6, Load: 1, Max: 2}}, 5},
		{"round robin among equals", routing.Work{Language: "en"},
			[]routing.Candidate{{ID: 5, Max: 4, LastGiven: t0.Add(time.Minute)}, {ID: 6, Max: 4, LastGiven: t0}}, 6},
		{"capacity zero takes nothing", routing.Work{Language: "en"}, []routing.Candidate{{ID: 8, Max: 0}}, 0},
		{"the VIP's account manager first, even with more load", routing.Work{Language: "en", ManagerID: 5},
			[]routing.Candidate{{ID: 6, Load: 0, Max: 4}, {ID: 5, Load: 3, Max: 4}}, 5},
		{"a full account manager is passed over", routing.Work{Language: "en", ManagerID: 5},
			[]routing.Candidate{{ID: 6, Load: 0, Max: 4}, {ID: 5, Load: 4, Max: 4}}, 6},
		{"an account manager without the language is passed over", routing.Work{Language: "zh", ManagerID: 5},
			[]routing.Candidate{{ID: 6, Languages: []string{"zh"}, Max: 4}, {ID: 5, Max: 4}}, 6},
	} {
		got, ok := routing.Pick(tt.w, tt.cs)
		if (tt.want == 0) == ok || got != tt.want {
			t.Errorf("%s: got %d (%v), want %d", tt.name, got, ok, tt.want)
		}
	}
}

type env struct {
	ctx       context.Context
	agents    *agent.Service
	customers *customer.Service
	tickets   *ticket.Service
	router    *routing.Router
	bus       *event.Memory
	clock     *dbtest.Clock
}

func newEnv(t *testing.T) *env {
	d := dbtest.Open(t)
	clk := dbtest.NewClock(time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC))
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	e := &env{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}), bus: bus, clock: clk}
	e.agents = agent.New(d, a, bus, clk.Now)
	e.customers = customer.New(d, a, bus, clk.Now)
	e.tickets = ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: e.customers, Now: clk.Now})
	e.router = routing.New(routing.Options{Agents: e.agents, Customers: e.customers, Tickets: e.tickets, Bus: bus,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now})
	return e
}

func (e *env) agent(t *testing.T, email string, langs []string, max int, status agent.Status) agent.Agent {
	t.Helper()
	role := agent.RoleAgent
	ag, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &email, Role: &role, Languages: &langs, MaxConcurrent: &max})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.agents.SetStatus(e.ctx, ag.ID, status); err != nil {
		t.Fatal(err)
	}
	return ag
}

func (e *env) open(t *testing.T, lang string, p ticket.Priority) ticket.Conversation {
	t.Helper()
	name := "Customer " + lang
	cu, err := e.customers.Create(e.ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", Language: lang, Priority: p,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "help"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) assignee(t *testing.T, id int64) int64 {
	t.Helper()
	c, err := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.AssigneeID
}

func TestPassAssignsInQueueOrderWithinCapacity(t *testing.T) {
	e := newEnv(t)
	wei := e.agent(t, "wei@desk.test", []string{"en", "zh"}, 2, agent.Online)
	away := e.agent(t, "away@desk.test", []string{"en", "zh"}, 5, agent.Away)
	zh1 := e.open(t, "zh", ticket.Normal)
	zh2 := e.open(t, "zh", ticket.Normal)
	urgent := e.open(t, "zh", ticket.Urgent)
	if err := e.router.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	// Capacity 2: the urgent one first, then the oldest; never the away agent.
	got := []int64{e.assignee(t, urgent.ID), e.assignee(t, zh1.ID), e.assignee(t, zh2.ID)}
	if got[0] != wei.ID || got[1] != wei.ID || got[2] != 0 {
		t.Fatalf("assignees (urgent, oldest, newest) = %v, want [%d %d 0]", got, wei.ID, wei.ID)
	}
	// The away agent comes online: the last one goes to them.
	if err := e.agents.SetStatus(e.ctx, away.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	if err := e.router.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	if a := e.assignee(t, zh2.ID); a != away.ID {
		t.Fatalf("after an agent came online: assignee %d, want %d", a, away.ID)
	}
}

func TestRunReactsToEventsAndRespectsManualAssignment(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.router.Run(ctx)
	ann := e.agent(t, "ann@desk.test", []string{"en"}, 1, agent.Online)
	c := e.open(t, "en", ticket.Normal)
	waitFor(t, func() bool { return e.assignee(t, c.ID) == ann.ID }, "new conversation assigned")
	// Ann is full; the next waits until she solves the first.
	next := e.open(t, "en", ticket.Normal)
	time.Sleep(200 * time.Millisecond)
	if a := e.assignee(t, next.ID); a != 0 {
		t.Fatalf("assigned %d beyond capacity", a)
	}
	solved := ticket.StatusSolved
	if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &solved}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.assignee(t, next.ID) == ann.ID }, "assigned once capacity freed")
	// A supervisor's manual choice stands.
	bob := e.agent(t, "bob@desk.test", []string{"en"}, 0, agent.Online)
	third := e.open(t, "en", ticket.Normal)
	if _, err := e.tickets.Update(e.ctx, third.ID, ticket.Patch{AssigneeID: &bob.ID}); err != nil {
		t.Fatal(err)
	}
	if done, err := e.tickets.AssignIfWaiting(e.ctx, third.ID, ann.ID); err != nil || done {
		t.Fatalf("AssignIfWaiting over a manual assignment: %v %v", done, err)
	}
	if a := e.assignee(t, third.ID); a != bob.ID {
		t.Fatalf("manual assignment overridden: %d", a)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTakeNextFitsTheAgent(t *testing.T) {
	e := newEnv(t)
	ann := e.agent(t, "ann@desk.test", []string{"en"}, 0, agent.Offline) // pulls even with no capacity set
	zh := e.open(t, "zh", ticket.Urgent)
	en := e.open(t, "en", ticket.Normal)
	all := func(ticket.Conversation) bool { return true }
	c, ok, err := e.router.TakeNext(e.ctx, ann, all)
	if err != nil || !ok || c.ID != en.ID || c.AssigneeID != ann.ID {
		t.Fatalf("take next: %+v %v %v, want the English conversation assigned to Ann", c, ok, err)
	}
	if _, ok, _ := e.router.TakeNext(e.ctx, ann, all); ok {
		t.Fatal("took the Chinese conversation for an English-only agent")
	}
	if _, ok, _ := e.router.TakeNext(e.ctx, ann, func(c ticket.Conversation) bool { return c.ID != zh.ID }); ok {
		t.Fatal("took a conversation outside the agent's scope")
	}
}

func TestOfflineAgentsConversationsMoveAfterGrace(t *testing.T) {
	e := newEnv(t)
	e.router.Grace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.router.Run(ctx)
	ann := e.agent(t, "ann@desk.test", []string{"en"}, 5, agent.Online)
	first := e.open(t, "en", ticket.Normal)
	waitFor(t, func() bool { return e.assignee(t, first.ID) == ann.ID }, "assigned to Ann")
	// A blip shorter than the grace period changes nothing.
	if err := e.agents.SetStatus(e.ctx, ann.ID, agent.Offline); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := e.agents.SetStatus(e.ctx, ann.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	ben := e.agent(t, "ben@desk.test", []string{"en"}, 5, agent.Online)
	time.Sleep(500 * time.Millisecond)
	if a := e.assignee(t, first.ID); a != ann.ID {
		t.Fatalf("after a short blip the conversation moved to %d", a)
	}
	// Gone for longer: it goes to Ben.
	if err := e.agents.SetStatus(e.ctx, ann.ID, agent.Offline); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.assignee(t, first.ID) == ben.ID }, "re-routed to Ben after the grace period")
}
