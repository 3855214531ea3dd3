package routing_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/customer"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

// An urgent security conversation that arrives when nobody in the team is
// scheduled or online pages the team's on-call supervisor: a note on the
// conversation and a live alert. Someone scheduled, or online, means no page.
func TestOnCallPagedWhenNobodyIsScheduled(t *testing.T) {
	e := newEnv(t)
	sec, err := e.agents.CreateTeam(e.ctx, "Account Security", "")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(email string, role agent.Role) agent.Agent {
		teams := []int64{sec.ID}
		a, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &email, Role: &role, Teams: &teams})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	sam := mk("sam@desk.test", agent.RoleSupervisor)
	omar := mk("omar@desk.test", agent.RoleAgent)
	if _, err := e.agents.SetRota(e.ctx, sec.ID, agent.Rota{TimeZone: "UTC", StartsOn: "2026-03-09", Handover: "09:00",
		PeriodDays: 7, Members: []int64{sam.ID}}); err != nil {
		t.Fatal(err)
	}
	// Omar works weekdays 09:00-17:00 UTC; the clock says Saturday 03:00.
	if _, err := e.agents.CreateShift(e.ctx, sec.ID, agent.ShiftInput{AgentID: omar.ID, Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
		Start: "09:00", End: "17:00", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	sub := e.bus.Subscribe("test", 64)
	defer sub.Close()
	open := func(category string, p ticket.Priority) ticket.Conversation {
		t.Helper()
		name := "Victim"
		cu, err := e.customers.Create(e.ctx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", Category: category, Priority: p,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "someone logged in from abroad"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	paged := func(c ticket.Conversation) (note string, alert *event.OnCallPaged) {
		t.Helper()
		ev := event.ConversationCreated{Scope: event.Scope{ConversationID: c.ID, CustomerID: c.CustomerID}, Priority: c.Priority.String(),
			Category: c.Category}
		if err := e.router.Page(e.ctx, ev); err != nil {
			t.Fatal(err)
		}
		ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, c.ID, ticket.MessagesFilter{IncludeInternal: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.AuthorKind == ticket.BySystem && m.Internal {
				note = m.Body
			}
		}
		for {
			select {
			case x := <-sub.C:
				if p, ok := x.(event.OnCallPaged); ok && p.ConversationID == c.ID {
					alert = &p
				}
			default:
				return note, alert
			}
		}
	}

	urgent := open("account_security", ticket.Urgent)
	note, alert := paged(urgent)
	if !strings.Contains(note, "sam@desk.test (on call) has been paged") || !strings.Contains(note, "已呼叫值班人员 sam@desk.test") || alert == nil || alert.AgentID != sam.ID {
		t.Fatalf("nobody scheduled at 03:00 Saturday: note %q alert %+v, want Sam paged", note, alert)
	}
	if note, alert := paged(open("deposit", ticket.Urgent)); note != "" || alert != nil {
		t.Errorf("an urgent deposit question paged: %q", note)
	}
	// Monday 10:00: Omar is on shift, so nobody is woken.
	e.clock.Advance(2*24*time.Hour + 7*time.Hour)
	if note, alert := paged(open("2fa", ticket.Urgent)); note != "" || alert != nil {
		t.Errorf("paged while Omar is scheduled: %q", note)
	}
	// Monday 20:00, off shift, but Omar is online: routing reaches him.
	e.clock.Advance(10 * time.Hour)
	if err := e.agents.SetStatus(e.ctx, omar.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	if note, alert := paged(open("2fa", ticket.Urgent)); note != "" || alert != nil {
		t.Errorf("paged while Omar is online: %q", note)
	}
}
