package ticket_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/sla"
	"vigil/internal/ticket"
)

func TestTransferWithNote(t *testing.T) {
	e := newEnv(t)
	wallets, security := e.team(t, "Wallets"), e.team(t, "Security")
	ann := e.agent(t, "ann@desk.example", wallets.ID)
	omar := e.agent(t, "omar@desk.example", security.ID)
	conv, _ := e.open(t, e.customer(t, "Dan").ID, func(in *ticket.OpenInput) { in.TeamID, in.AssigneeID = wallets.ID, ann.ID })

	// To a team: back in that team's queue, with the reason as a note.
	got, err := e.tickets.Transfer(e.ctx, conv.ID, ticket.Transfer{TeamID: &security.ID, Note: "Login from a new country; needs a security check",
		AuthorID: ann.ID, AuthorName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if got.TeamID != security.ID || got.AssigneeID != 0 {
		t.Errorf("after transfer to a team: team %d assignee %d", got.TeamID, got.AssigneeID)
	}
	ms := e.messages(t, conv.ID)
	last := ms[len(ms)-1]
	if !last.Internal || last.Body != "Transfer: Login from a new country; needs a security check" || last.AuthorID != ann.ID {
		t.Errorf("transfer note: %+v", last)
	}
	// To an agent directly.
	if got, err = e.tickets.Transfer(e.ctx, conv.ID, ticket.Transfer{AssigneeID: &omar.ID, AuthorID: ann.ID}); err != nil || got.AssigneeID != omar.ID {
		t.Errorf("transfer to an agent: %+v %v", got, err)
	}
	// Nothing named: refused, nothing changed.
	before := e.counts(t)
	if _, err := e.tickets.Transfer(e.ctx, conv.ID, ticket.Transfer{Note: "where to?"}); err == nil {
		t.Error("a transfer without a target was accepted")
	}
	if diff := cmp.Diff(before, e.counts(t)); diff != "" {
		t.Errorf("a refused transfer changed rows (-before +after):\n%s", diff)
	}
}

func TestQueues(t *testing.T) {
	e := newEnv(t)
	e.policy(t, sla.Policy{Name: "chat", Targets: sla.Targets{FirstResponse: 10}})
	wallets := e.team(t, "Wallets")
	ann := e.agent(t, "ann@desk.example", wallets.ID)
	cust := e.customer(t, "Eve").ID
	e.open(t, cust, func(in *ticket.OpenInput) { in.TeamID = wallets.ID })
	e.clock.Advance(time.Minute)
	e.open(t, cust, func(in *ticket.OpenInput) { in.TeamID, in.Priority = wallets.ID, ticket.Urgent })
	e.open(t, cust, func(in *ticket.OpenInput) { in.TeamID, in.AssigneeID = wallets.ID, ann.ID })
	e.open(t, cust)
	e.clock.Advance(9 * time.Minute) // the first falls due now

	qs, err := e.tickets.Queues(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldest, due := t0, t0.Add(10*time.Minute)
	want := []ticket.QueueStat{
		{TeamID: 0, Waiting: 1, OldestAt: ptr(t0.Add(time.Minute)), NextDueAt: ptr(t0.Add(11 * time.Minute))},
		{TeamID: wallets.ID, Waiting: 2, Urgent: 1, OldestAt: &oldest, NextDueAt: &due, Overdue: 1, AssignedTo: 1},
	}
	if diff := cmp.Diff(want, qs); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
}
