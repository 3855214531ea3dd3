package ticket_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/ticket"
)

// TestIdleWindowAndStatuses: only conversations in the asked statuses
// whose last update falls in the window come back, oldest first.
func TestIdleWindowAndStatuses(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Ana")
	early, _ := e.open(t, cust.ID) // t0
	e.clock.Advance(time.Hour)
	late, _ := e.open(t, cust.ID) // t0+1h
	e.clock.Advance(time.Hour)
	moved, _ := e.open(t, cust.ID) // t0+2h, then pending
	pending := ticket.StatusPending
	if _, err := e.tickets.Update(e.ctx, moved.ID, ticket.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	ids := func(q ticket.IdleQuery) []int64 {
		t.Helper()
		got, err := e.tickets.Idle(e.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range got {
			out = append(out, c.ID)
		}
		return out
	}
	newSt := []ticket.Status{ticket.StatusNew, ticket.StatusOpen}
	if d := cmp.Diff([]int64{early.ID, late.ID}, ids(ticket.IdleQuery{Statuses: newSt, Before: t0.Add(3 * time.Hour), Limit: 10})); d != "" {
		t.Errorf("new or open (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int64{late.ID}, ids(ticket.IdleQuery{Statuses: newSt, Since: t0.Add(time.Minute), Before: t0.Add(3 * time.Hour), Limit: 10})); d != "" {
		t.Errorf("since t0+1m (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int64{early.ID}, ids(ticket.IdleQuery{Statuses: newSt, Before: t0.Add(time.Hour), Limit: 10})); d != "" {
		t.Errorf("before t0+1h, the end excluded (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int64{moved.ID}, ids(ticket.IdleQuery{Statuses: []ticket.Status{pending}, Before: t0.Add(3 * time.Hour), Limit: 10})); d != "" {
		t.Errorf("pending (-want +got):\n%s", d)
	}
	if got := ids(ticket.IdleQuery{Statuses: newSt, Before: t0.Add(3 * time.Hour), Limit: 1}); len(got) != 1 || got[0] != early.ID {
		t.Errorf("limit 1 = %v, want the oldest", got)
	}
}
