package ticket_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/customer"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

func (e *env) policy(tb testing.TB, p sla.Policy) sla.Policy {
	tb.Helper()
	p.Enabled = true
	got, err := e.slas.SavePolicy(e.ctx, p)
	if err != nil {
		tb.Fatalf("save policy %q: %v", p.Name, err)
	}
	return got
}

func (e *env) slaOf(tb testing.TB, id int64) ticket.SLA {
	tb.Helper()
	v, err := e.tickets.SLAView(e.ctx, e.reload(tb, id))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func dues(v ticket.SLA) map[sla.Metric]time.Time {
	out := map[sla.Metric]time.Time{}
	for _, d := range v.Deadlines {
		out[d.Metric] = d.Due
	}
	return out
}

func (e *env) slaEvents(tb testing.TB, id int64) []string {
	tb.Helper()
	rows, err := e.d.Q(e.ctx).QueryContext(e.ctx, `SELECT metric, stage FROM sla_events WHERE conversation_id = $1 ORDER BY id`, id)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var m, s string
		if err := rows.Scan(&m, &s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, m+":"+s)
	}
	return out
}

func TestSLAClocksFollowTheConversation(t *testing.T) {
	e := newEnv(t)
	e.policy(t, sla.Policy{Name: "standard", Targets: sla.Targets{FirstResponse: 30, NextResponse: 60, Resolution: 24 * 60}})
	cust := e.customer(t, "Ana")
	ag := e.agent(t, "li@desk.example")
	conv, _ := e.open(t, cust.ID)

	if diff := cmp.Diff(map[sla.Metric]time.Time{sla.FirstResponse: t0.Add(30 * time.Minute), sla.Resolution: t0.Add(24 * time.Hour)},
		dues(e.slaOf(t, conv.ID))); diff != "" {
		t.Fatalf("deadlines at open (-want +got):\n%s", diff)
	}
	if got := e.slaOf(t, conv.ID).PolicyName; got != "standard" {
		t.Errorf("policy = %q", got)
	}

	// The agent answers after 10 minutes and asks for a screenshot: pending.
	e.clock.Advance(10 * time.Minute)
	pending := ticket.StatusPending
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "Please send the TxID", Status: &pending})
	if v := e.slaOf(t, conv.ID); !v.Paused || len(v.Deadlines) != 0 {
		t.Fatalf("pending on the customer: %+v, want paused without deadlines", v)
	}

	// Two hours later the customer replies: the next-response clock runs
	// and resolution moved by the two paused hours.
	e.clock.Advance(2 * time.Hour)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "0xabc"})
	want := map[sla.Metric]time.Time{sla.NextResponse: t0.Add(190 * time.Minute), sla.Resolution: t0.Add(26 * time.Hour)}
	if diff := cmp.Diff(want, dues(e.slaOf(t, conv.ID))); diff != "" {
		t.Fatalf("after the customer's reply (-want +got):\n%s", diff)
	}

	// Solved: nothing runs. The customer writes again: a fresh resolution.
	solved := ticket.StatusSolved
	if _, err := e.tickets.Update(e.ctx, conv.ID, ticket.Patch{Status: &solved}); err != nil {
		t.Fatal(err)
	}
	if v := e.slaOf(t, conv.ID); len(v.Deadlines) != 0 || v.DueAt != nil {
		t.Fatalf("solved conversation still has deadlines: %+v", v)
	}
	back := e.clock.Advance(time.Hour)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "It is back to pending again"})
	want = map[sla.Metric]time.Time{sla.NextResponse: back.Add(time.Hour), sla.Resolution: back.Add(24 * time.Hour)}
	if diff := cmp.Diff(want, dues(e.slaOf(t, conv.ID))); diff != "" {
		t.Fatalf("after reopening (-want +got):\n%s", diff)
	}
}

func TestSLAPolicyFollowsPriority(t *testing.T) {
	e := newEnv(t)
	e.policy(t, sla.Policy{Name: "urgent", Position: 1, Conditions: sla.Conditions{Priorities: []string{"urgent"}},
		Targets: sla.Targets{FirstResponse: 5}})
	e.policy(t, sla.Policy{Name: "standard", Position: 2, Targets: sla.Targets{FirstResponse: 60}})
	cust := e.customer(t, "Bo")

	// Account security opens urgent (priority rules) and takes the tight policy.
	sec, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.Category = "account_security" })
	if got := dues(e.slaOf(t, sec.ID))[sla.FirstResponse]; !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("security conversation due %s, want +5m", got)
	}
	conv, _ := e.open(t, cust.ID)
	if got := dues(e.slaOf(t, conv.ID))[sla.FirstResponse]; !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("normal conversation due %s, want +60m", got)
	}
	// Raised to urgent after 2 minutes: the clock keeps its start.
	e.clock.Advance(2 * time.Minute)
	urgent := "urgent"
	if _, err := e.tickets.Update(e.ctx, conv.ID, ticket.Patch{Priority: &urgent}); err != nil {
		t.Fatal(err)
	}
	if v := e.slaOf(t, conv.ID); v.PolicyName != "urgent" || !dues(v)[sla.FirstResponse].Equal(t0.Add(5*time.Minute)) {
		t.Errorf("after raising to urgent: %+v, want the urgent policy due at +5m", v)
	}
}

func TestSLAWatcherFiresEachAlertOnce(t *testing.T) {
	e := newEnv(t)
	e.policy(t, sla.Policy{Name: "chat", Targets: sla.Targets{FirstResponse: 30}, WarnBefore: 10,
		OnBreach: []sla.Action{sla.NotifySupervisor, sla.RaisePriority, sla.Reassign}})
	cust := e.customer(t, "Chen")
	ag := e.agent(t, "sam@desk.example")
	conv, _ := e.open(t, cust.ID)
	if _, err := e.tickets.Update(e.ctx, conv.ID, ticket.Patch{AssigneeID: &ag.ID}); err != nil {
		t.Fatal(err)
	}
	fire := func() int {
		t.Helper()
		n, err := e.tickets.FireSLA(e.ctx, e.clock.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.clock.Advance(19 * time.Minute)
	if n := fire(); n != 0 {
		t.Fatalf("fired %d alerts before the warning time", n)
	}
	e.clock.Advance(time.Minute)
	if n := fire(); n != 1 {
		t.Fatalf("at the warning time fired %d, want 1", n)
	}
	if n := fire(); n != 0 {
		t.Fatalf("the warning fired again (%d)", n)
	}
	e.clock.Advance(15 * time.Minute)
	if n := fire(); n != 1 {
		t.Fatalf("after the deadline fired %d, want the breach", n)
	}
	if n := fire(); n != 0 {
		t.Fatalf("the breach fired again (%d)", n)
	}
	if diff := cmp.Diff([]string{"first_response:warning", "first_response:breach"}, e.slaEvents(t, conv.ID)); diff != "" {
		t.Errorf("sla events (-want +got):\n%s", diff)
	}
	got := e.reload(t, conv.ID)
	if got.Priority != ticket.High || got.AssigneeID != 0 {
		t.Errorf("after the breach: priority %s assignee %d, want high and back in the queue", got.Priority, got.AssigneeID)
	}
	ms := e.messages(t, conv.ID)
	if last := ms[len(ms)-1]; !last.Internal || last.AuthorKind != ticket.BySystem {
		t.Errorf("no internal breach note: %+v", last)
	}
	// The breach is still visible as overdue until someone answers.
	if v := e.slaOf(t, conv.ID); v.DueAt == nil || !v.DueAt.Before(e.clock.Now()) {
		t.Errorf("overdue conversation shows due %v", v.DueAt)
	}
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "Sorry for the wait"})
	if v := e.slaOf(t, conv.ID); v.DueAt != nil {
		t.Errorf("answered conversation still due %v", v.DueAt)
	}
}

func TestSLAQueueOrder(t *testing.T) {
	e := newEnv(t)
	e.policy(t, sla.Policy{Name: "vip", Position: 1, Conditions: sla.Conditions{MinVIPTier: 2}, Targets: sla.Targets{FirstResponse: 10}})
	e.policy(t, sla.Policy{Name: "standard", Position: 2, Conditions: sla.Conditions{Channels: []string{"webchat"}},
		Targets: sla.Targets{FirstResponse: 60}})
	plain := e.customer(t, "Plain")
	vip := e.customer(t, "VIP")
	tier := 2
	if _, err := e.customers.Update(e.ctx, vip.ID, customer.Input{VIPTier: &tier}); err != nil {
		t.Fatal(err)
	}
	old, _ := e.open(t, plain.ID)
	e.clock.Advance(5 * time.Minute)
	later, _ := e.open(t, vip.ID) // due at +15, before the first one's +60
	e.clock.Advance(time.Minute)
	urgent, _ := e.open(t, plain.ID, func(in *ticket.OpenInput) { in.Priority = ticket.Urgent })
	noSLA, _ := e.open(t, plain.ID, func(in *ticket.OpenInput) { in.Channel = "api" })

	ws, err := e.tickets.Waiting(e.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{urgent.ID, later.ID, old.ID, noSLA.ID}, ids(ws)); diff != "" {
		t.Errorf("queue order (-want +got):\n%s", diff)
	}
	for i, id := range []int64{urgent.ID, later.ID, old.ID, noSLA.ID} {
		pos, err := e.tickets.QueuePosition(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if pos != i+1 {
			t.Errorf("conversation %d: queue position %d, want %d", id, pos, i+1)
		}
	}
}
