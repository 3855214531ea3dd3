package ticket_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// notes returns the bodies of the conversation's internal system notes.
func (e *env) notes(tb testing.TB, id int64) []string {
	tb.Helper()
	var out []string
	for _, m := range e.messages(tb, id) {
		if m.Internal && m.AuthorKind == ticket.BySystem {
			out = append(out, m.Body)
		}
	}
	return out
}

func (e *env) fireComplaints(tb testing.TB, at time.Time) int {
	tb.Helper()
	n, err := e.tickets.FireComplaints(e.ctx, at, 10)
	if err != nil {
		tb.Fatalf("fire complaints at %s: %v", at, err)
	}
	return n
}

func TestComplaintClocksRemindersAndFinalResponse(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Ada")
	team := e.team(t, "Payments")
	other := e.team(t, "Trading")
	ag := e.agent(t, "pay@desk.example", team.ID)
	outsider := e.agent(t, "trade@desk.example", other.ID)
	c, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.TeamID, in.AssigneeID = team.ID, ag.ID })

	// t0 is Saturday 14 March 09:00 UTC: two business days are Monday and
	// Tuesday, so the acknowledgement is due at the end of Tuesday; the
	// final response eight weeks on.
	k, created, err := e.tickets.RaiseComplaint(e.ctx, ticket.Scope{CustomerID: cust.ID}, c.ID,
		ticket.ComplaintInput{ByKind: ticket.ByCustomer, ByID: cust.ID, Summary: "Fees charged twice"})
	if err != nil || !created {
		t.Fatalf("raise: %v created=%v", err, created)
	}
	ackDue := time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)
	finalDue := t0.AddDate(0, 0, 56)
	if !k.AckDue.Equal(ackDue) || !k.FinalDue.Equal(finalDue) || k.State != ticket.ComplaintAwaitingAck {
		t.Fatalf("complaint: %+v", k)
	}
	if again, created, err := e.tickets.RaiseComplaint(e.ctx, all, c.ID, ticket.ComplaintInput{ByKind: ticket.ByAgent, ByID: ag.ID}); err != nil ||
		created || again.RaisedBy != "customer" || !again.AckDue.Equal(ackDue) {
		t.Fatalf("raise twice: %+v created=%v %v", again, created, err)
	}
	if ns := e.notes(t, c.ID); len(ns) != 1 || !strings.Contains(ns[0], "Acknowledge by 2026-03-18 00:00 UTC") {
		t.Fatalf("notes after raising: %q", ns)
	}
	// Another team's agent neither sees it nor can raise one there.
	if _, err := e.tickets.ComplaintOf(e.ctx, ticket.Scope{AgentID: outsider.ID, TeamIDs: []int64{other.ID}}, c.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("outsider sees the complaint: %v", err)
	}

	// The acknowledgement reminder comes at three quarters of the period:
	// 65h15m after Saturday 09:00 is Tuesday 02:15.
	remind := time.Date(2026, 3, 17, 2, 15, 0, 0, time.UTC)
	if n := e.fireComplaints(t, remind.Add(-time.Minute)); n != 0 {
		t.Fatalf("fired %d before the reminder", n)
	}
	if n := e.fireComplaints(t, remind); n != 1 {
		t.Fatalf("reminder: fired %d, want 1", n)
	}
	if n := e.fireComplaints(t, remind.Add(time.Hour)); n != 0 {
		t.Fatalf("reminder fired twice (%d)", n)
	}
	// Nobody acknowledges: at the deadline the breach notice goes out.
	if n := e.fireComplaints(t, ackDue); n != 1 {
		t.Fatalf("breach: fired %d, want 1", n)
	}
	ns := e.notes(t, c.ID)
	if len(ns) != 3 || !strings.Contains(ns[1], "acknowledge the customer by 2026-03-18 00:00 UTC") ||
		!strings.Contains(ns[2], "acknowledgement was due") {
		t.Fatalf("notes: %q", ns)
	}
	e.clock.Set(ackDue.Add(time.Hour))
	if k, _ := e.tickets.ComplaintOf(e.ctx, all, c.ID); k.Overdue != "acknowledgement" {
		t.Fatalf("overdue: %+v", k)
	}

	// Any public reply acknowledges it.
	e.reply(t, c.ID, ag.ID, "We are looking into the double fee.")
	k, _ = e.tickets.ComplaintOf(e.ctx, all, c.ID)
	if k.State != ticket.ComplaintAcknowledged || k.AcknowledgedAt == nil || !k.AcknowledgedAt.Equal(ackDue.Add(time.Hour)) || k.Overdue != "" {
		t.Fatalf("after reply: %+v", k)
	}
	open, _, err := e.tickets.List(e.ctx, all, ticket.Filter{Complaints: true})
	if err != nil || len(open) != 1 || open[0].ID != c.ID {
		t.Fatalf("complaints filter: %v %v", ids(open), err)
	}

	// The final-response reminder, six weeks in, then the final response.
	if n := e.fireComplaints(t, t0.AddDate(0, 0, 42)); n != 1 {
		t.Fatalf("final reminder: fired %d", n)
	}
	e.clock.Set(t0.AddDate(0, 0, 50))
	msg, k, err := e.tickets.SendFinalResponse(e.ctx, all, ticket.MessageInput{ConversationID: c.ID, AuthorID: ag.ID, AuthorName: "Pay", Body: "Our final response: refunded."})
	if err != nil || k.State != ticket.ComplaintAnswered || k.FinalMessageID != msg.ID || msg.Internal {
		t.Fatalf("final response: %+v %+v %v", msg, k, err)
	}
	if _, _, err := e.tickets.SendFinalResponse(e.ctx, all, ticket.MessageInput{ConversationID: c.ID, AuthorID: ag.ID, Body: "again"}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second final response: %v", err)
	}
	// The clock stopped: nothing fires at the old deadline.
	if n := e.fireComplaints(t, finalDue.Add(time.Hour)); n != 0 {
		t.Fatalf("fired %d after the final response", n)
	}
	if open, _, _ := e.tickets.List(e.ctx, all, ticket.Filter{Complaints: true}); len(open) != 0 {
		t.Fatalf("answered complaint still listed as open: %v", ids(open))
	}
	list, _, err := e.tickets.Complaints(e.ctx, all, ticket.ComplaintFilter{})
	if err != nil || len(list) != 1 || list[0].FinalAt == nil {
		t.Fatalf("all complaints: %+v %v", list, err)
	}
	if list, _, _ := e.tickets.Complaints(e.ctx, ticket.Scope{AgentID: outsider.ID, TeamIDs: []int64{other.ID}}, ticket.ComplaintFilter{}); len(list) != 0 {
		t.Fatalf("outsider lists %+v", list)
	}
}

func TestComplaintReminderOvertakenByBreachFiresOnce(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Bo")
	c, _ := e.open(t, cust.ID)
	if _, _, err := e.tickets.RaiseComplaint(e.ctx, all, c.ID, ticket.ComplaintInput{ByKind: ticket.ByAgent, ByID: 1}); err != nil {
		t.Fatal(err)
	}
	// The watcher was down through the whole acknowledgement period.
	if n := e.fireComplaints(t, time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC)); n != 1 {
		t.Fatalf("fired %d, want only the breach", n)
	}
	ns := e.notes(t, c.ID)
	if len(ns) != 2 || !strings.Contains(ns[1], "overdue") || !strings.Contains(ns[1], "Nobody is assigned") {
		t.Fatalf("notes: %q", ns)
	}
	// Every agent reads the note, in English or in Chinese.
	if !strings.Contains(ns[0], "已由客服标记为投诉") || !strings.Contains(ns[1], "投诉已超时") || !strings.Contains(ns[1], "请主管分配") {
		t.Errorf("notes lack their Chinese line: %q", ns)
	}
}

func TestComplaintRulesAreConfigurable(t *testing.T) {
	e := newEnv(t)
	// Good Friday is a holiday: the 15th business day moves from Friday 3
	// April to Monday 6 April.
	rules := ticket.ComplaintRules{Ack: mustPeriod(t, "48h"), Final: mustPeriod(t, "15bd"), RemindAt: 0.5, Calendar: sla.Calendar{Holidays: []string{"2026-04-03"}}}
	tickets := ticket.New(ticket.Options{DB: e.d, Audit: e.audit, Bus: e.bus, Customers: e.customers, Files: e.files, Now: e.clock.Now, Complaints: &rules})
	cust := e.customer(t, "Cy")
	c, _ := e.open(t, cust.ID)
	k, _, err := tickets.RaiseComplaint(e.ctx, all, c.ID, ticket.ComplaintInput{ByKind: ticket.ByAgent, ByID: 1, Summary: strings.Repeat("x", 2001)})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("long summary: %v", err)
	}
	k, _, err = tickets.RaiseComplaint(e.ctx, all, c.ID, ticket.ComplaintInput{ByKind: ticket.ByAgent, ByID: 1})
	if err != nil || !k.AckDue.Equal(t0.Add(48*time.Hour)) || !k.FinalDue.Equal(time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("configured clocks: %+v %v", k, err)
	}
	if n, _ := tickets.FireComplaints(e.ctx, t0.Add(24*time.Hour), 10); n != 1 {
		t.Fatalf("half-way reminder: %d", n)
	}
}

func mustPeriod(tb testing.TB, s string) sla.Period {
	tb.Helper()
	p, err := sla.ParsePeriod(s)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
