package macro_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/macro"
	"vigil/internal/ticket"
)

type env struct {
	ctx       context.Context
	agents    *agent.Service
	customers *customer.Service
	tickets   *ticket.Service
	macros    *macro.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	now := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)).Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	customers := customer.New(d, a, bus, now)
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: customers, Now: now})
	return &env{ctx: context.Background(), agents: agent.New(d, a, bus, now), customers: customers, tickets: tickets,
		macros: macro.New(macro.Options{DB: d, Audit: a, Tickets: tickets, Customers: customers, Now: now})}
}

func (e *env) conversation(t *testing.T, name, lang string) ticket.Conversation {
	t.Helper()
	c, err := e.customers.Create(e.ctx, customer.Input{Name: &name, Language: &lang})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: c.ID, Channel: "webchat", Language: lang, Category: "kyc",
		Subject: "Verification stuck", Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: c.ID, Body: "My verification is stuck"}})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

func TestApplyMacro(t *testing.T) {
	e := newEnv(t)
	kyc, _ := e.agents.CreateTeam(e.ctx, "KYC", "")
	sup := macro.Caller{AgentID: 1, Name: "Sue", Manage: true}
	m, err := e.macros.Save(e.ctx, sup, macro.Macro{Name: "Ask for documents", Scope: macro.Global,
		Bodies: map[string]string{
			"en": "Hello {{customer.first_name}}, about case #{{conversation.id}}: please upload your ID. {{agent.name}}",
			"zh": "{{customer.name}}您好，关于工单 #{{conversation.id}}：请上传您的身份证件。{{agent.name}}",
		},
		Actions: macro.Actions{Status: "pending", Priority: "high", AddTags: []string{"documents"}, TeamID: kyc.ID}})
	if err != nil {
		t.Fatal(err)
	}
	agentCaller := macro.Caller{AgentID: 7, Name: "Ana Agent"}
	for lang, want := range map[string]string{
		"en": "Hello Ana, about case #%d: please upload your ID. Ana Agent",
		"zh": "李伟您好，关于工单 #%d：请上传您的身份证件。Ana Agent",
	} {
		name := map[string]string{"en": "Ana Costa", "zh": "李伟"}[lang]
		conv := e.conversation(t, name, lang)
		res, err := e.macros.Apply(e.ctx, agentCaller, ticket.Scope{All: true}, m.ID, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Message == nil || res.Message.Body != sprintf(want, conv.ID) || res.Message.AuthorID != 7 {
			t.Errorf("%s reply = %+v", lang, res.Message)
		}
		got := res.Conversation
		if got.Status != ticket.StatusPending || got.Priority != ticket.High || got.TeamID != kyc.ID || !cmp.Equal(got.Tags, []string{"documents"}) {
			t.Errorf("%s conversation after the macro: status %s priority %s team %d tags %v", lang, got.Status, got.Priority, got.TeamID, got.Tags)
		}
	}
}

func TestMacroScopes(t *testing.T) {
	e := newEnv(t)
	support, _ := e.agents.CreateTeam(e.ctx, "Support", "")
	ana := macro.Caller{AgentID: e.agent(t, "ana@desk.example"), Name: "Ana", TeamIDs: []int64{support.ID}}
	ben := macro.Caller{AgentID: e.agent(t, "ben@desk.example"), Name: "Ben"}
	sup := macro.Caller{AgentID: 1, Name: "Sue", Manage: true}
	mine, err := e.macros.Save(e.ctx, ana, macro.Macro{Name: "My sign-off", Scope: macro.Personal, Bodies: map[string]string{"en": "Cheers, {{agent.name}}"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.macros.Save(e.ctx, ana, macro.Macro{Name: "For all", Scope: macro.Global, Bodies: map[string]string{"en": "Hi"}}); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("agent saving a global macro: %v, want forbidden", err)
	}
	if _, err := e.macros.Save(e.ctx, sup, macro.Macro{Name: "Team", Scope: macro.Team, TeamID: support.ID, Bodies: map[string]string{"en": "Support here"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.macros.Save(e.ctx, sup, macro.Macro{Name: "Bad", Scope: macro.Global, Bodies: map[string]string{"en": "Hi {{customer.password}}"}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown placeholder: %v, want invalid", err)
	}
	names := func(c macro.Caller) []string {
		ms, err := e.macros.List(e.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if d := cmp.Diff([]string{"My sign-off", "Team"}, names(ana)); d != "" {
		t.Errorf("Ana's macros (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string(nil), names(ben)); d != "" {
		t.Errorf("Ben's macros (-want +got):\n%s", d)
	}
	conv := e.conversation(t, "Cara", "en")
	if _, err := e.macros.Apply(e.ctx, ben, ticket.Scope{All: true}, mine.ID, conv.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Ben applying Ana's personal macro: %v, want not found", err)
	}
	if err := e.macros.Delete(e.ctx, ben, mine.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Ben deleting Ana's macro: %v, want not found", err)
	}
}

// TestApplyIsAllOrNothing: a macro that solves a closed conversation
// fails as a whole, so its reply is not sent either.
func TestApplyIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	sup := macro.Caller{AgentID: 1, Name: "Sue", Manage: true}
	m, err := e.macros.Save(e.ctx, sup, macro.Macro{Name: "Reopen", Scope: macro.Global, Bodies: map[string]string{"en": "Back on it"},
		Actions: macro.Actions{Status: "pending"}})
	if err != nil {
		t.Fatal(err)
	}
	conv := e.conversation(t, "Dan", "en")
	for _, st := range []ticket.Status{ticket.StatusSolved, ticket.StatusClosed} {
		if _, err := e.tickets.Update(e.ctx, conv.ID, ticket.Patch{Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.macros.Apply(e.ctx, sup, ticket.Scope{All: true}, m.ID, conv.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("macro on a closed conversation: %v, want conflict", err)
	}
	ms, _ := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, conv.ID, ticket.MessagesFilter{Limit: 10})
	if len(ms) != 1 {
		t.Errorf("conversation has %d messages after the refused macro, want 1", len(ms))
	}
}

func sprintf(format string, id int64) string { return fmt.Sprintf(format, id) }

func (e *env) agent(t *testing.T, email string) int64 {
	t.Helper()
	name, role, teams := email, agent.RoleAgent, []int64{}
	a, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
