package callback_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/callback"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

var all = ticket.Scope{All: true}

var tr = i18n.T

func answeredAfter(e *env, talk time.Duration, recording string) func(callback.Dial) callback.Result {
	return func(d callback.Dial) callback.Result {
		start := e.clock.Now()
		answered := start.Add(3 * time.Second)
		if d.OnAnswer != nil {
			d.OnAnswer(answered)
		}
		return callback.Result{Outcome: callback.Answered, SIPStatus: 200, StartedAt: start, AnsweredAt: &answered,
			EndedAt: answered.Add(talk), Recording: recording}
	}
}

func TestWhoMayAskForACallback(t *testing.T) {
	e := newEnv(t, nil)
	manager := e.agent(t, "mei")
	stranger := e.customer(t, who{tier: 0})
	security := func(p ticket.Priority, cat string, st ticket.Status) int64 {
		c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: stranger.ID, Channel: "webchat", Category: cat, Priority: p,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: stranger.ID, Body: "someone logged in to my account"}})
		if err != nil {
			t.Fatal(err)
		}
		if st != ticket.StatusNew {
			if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &st}); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	other := e.customer(t, who{tier: 0})
	othersCase, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: other.ID, Channel: "webchat", Category: "account_security",
		Priority: ticket.Urgent, Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: other.ID, Body: "hacked"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		customer int64
		case_    int64
		want     string // reason, or "" for a refusal
	}{
		{"VIP at the configured tier", e.customer(t, who{tier: 3}).ID, 0, "vip"},
		{"VIP above it", e.customer(t, who{tier: 5}).ID, 0, "vip"},
		{"VIP below it", e.customer(t, who{tier: 2}).ID, 0, ""},
		{"customer with an account manager", e.customer(t, who{tier: 0, manager: manager.ID}).ID, 0, "account_manager"},
		{"urgent security case", stranger.ID, security(ticket.Urgent, "account_security", ticket.StatusNew), "security"},
		{"urgent 2FA case", stranger.ID, security(ticket.Urgent, "2fa", ticket.StatusNew), "security"},
		{"security case already solved", stranger.ID, security(ticket.Urgent, "account_security", ticket.StatusSolved), ""},
		{"urgent case on another topic", stranger.ID, security(ticket.Urgent, "deposit", ticket.StatusNew), ""},
		{"someone else's security case", stranger.ID, othersCase.ID, ""},
		{"ordinary customer", stranger.ID, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.Entitlement(e.ctx, tc.customer, tc.case_)
			if tc.want == "" {
				if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.Forbidden || ae.Code != "callback.not_entitled" {
					t.Fatalf("got %q, %v; want the not-entitled refusal", got, err)
				}
				in := e.window(tc.customer)
				in.Phone, in.SecurityConversationID = "+8613800138000", tc.case_
				if _, _, err := e.svc.Request(e.ctx, in); !apperr.Is(err, apperr.Forbidden) {
					t.Fatalf("request by a customer not entitled: %v, want forbidden", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRequestBecomesARoutedPhoneConversation(t *testing.T) {
	e := newEnv(t, nil)
	manager := e.agent(t, "mei")
	cust := e.customer(t, who{manager: manager.ID, phone: "+8613800138000"})
	in := e.window(cust.ID)
	in.Language, in.Note = "zh", "提现卡住了"
	cb, conv := e.request(t, in)
	if conv.Channel != "phone" || conv.AssigneeID != manager.ID || conv.Priority != ticket.High || conv.Language != "zh" {
		t.Errorf("conversation %+v: want a high-priority zh phone conversation assigned to the account manager %d", conv, manager.ID)
	}
	if conv.SLADueAt != nil {
		t.Errorf("no SLA policies are configured, yet the conversation has a deadline %v", conv.SLADueAt)
	}
	if cb.State != callback.Requested || cb.Reason != "account_manager" || cb.ConversationID != conv.ID {
		t.Errorf("callback %+v", cb)
	}
	msgs, err := e.tickets.Messages(e.ctx, all, conv.ID, ticket.MessagesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "提现卡住了") || !strings.Contains(msgs[0].Body, "10:00–12:00 UTC") {
		t.Errorf("first message %q should carry the window and the customer's note", msgs[0].Body)
	}
	if _, _, err := e.svc.Request(e.ctx, in); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second open request: %v, want a conflict", err)
	}
	if got := e.auditActions(t, "callback", cb.ID); len(got) != 1 || got[0].Action != "callback.request" {
		t.Errorf("audit %+v, want one callback.request", got)
	}

	// A security case is urgent and goes to normal routing.
	plain := e.customer(t, who{})
	sec, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: plain.ID, Channel: "webchat", Category: "account_security",
		Priority: ticket.Urgent, Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: plain.ID, Body: "hacked"}})
	if err != nil {
		t.Fatal(err)
	}
	in = e.window(plain.ID)
	in.Phone, in.SecurityConversationID = "+4915112345678", sec.ID
	_, conv = e.request(t, in)
	if conv.Priority != ticket.Urgent || conv.Category != "account_security" || conv.AssigneeID != 0 {
		t.Errorf("security callback conversation %+v: want urgent account_security, unassigned for routing", conv)
	}
}

func TestRequestRefusesBadInput(t *testing.T) {
	e := newEnv(t, nil)
	vip := e.customer(t, who{tier: 4})
	now := e.clock.Now()
	for _, tc := range []struct {
		name  string
		edit  func(*callback.RequestInput)
		field string
	}{
		{"no window", func(in *callback.RequestInput) { in.WindowStart = time.Time{} }, "window_start"},
		{"ends before it starts", func(in *callback.RequestInput) { in.WindowEnd = in.WindowStart.Add(-time.Minute) }, "window_end"},
		{"already over", func(in *callback.RequestInput) {
			in.WindowStart, in.WindowEnd = now.Add(-2*time.Hour), now.Add(time.Minute)
		}, "window_end"},
		{"a whole day", func(in *callback.RequestInput) { in.WindowEnd = in.WindowStart.Add(24 * time.Hour) }, "window_end"},
		{"next month", func(in *callback.RequestInput) {
			in.WindowStart, in.WindowEnd = now.Add(30*24*time.Hour), now.Add(30*24*time.Hour+time.Hour)
		}, "window_start"},
		{"unknown language", func(in *callback.RequestInput) { in.Language = "fr" }, "language"},
		{"no number on file or given", func(in *callback.RequestInput) {}, "phone"},
		{"a number that is not one", func(in *callback.RequestInput) { in.Phone = "call me maybe" }, "phone"},
		{"a long note", func(in *callback.RequestInput) { in.Phone, in.Note = "+8613800138000", strings.Repeat("x", 1001) }, "note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := e.window(vip.ID)
			tc.edit(&in)
			_, _, err := e.svc.Request(e.ctx, in)
			if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.Invalid || ae.Field != tc.field {
				t.Fatalf("got %v, want invalid %s", err, tc.field)
			}
		})
	}
	if cbs, err := e.svc.List(e.ctx, all, callback.Filter{}); err != nil || len(cbs) != 0 {
		t.Errorf("refused requests left callbacks behind: %v %v", cbs, err)
	}
}

func TestNoticeCarriesStaffIDAndTime(t *testing.T) {
	e := newEnv(t, nil)
	ag := e.agent(t, "mei")
	cust := e.customer(t, who{tier: 4, phone: "+8613800138000", email: "li@example.com"})
	cb, conv := e.request(t, e.window(cust.ID))
	if _, err := e.svc.Schedule(e.ctx, all, cb.ID, ag.ID, e.clock.Now().Add(2*time.Minute)); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a call two minutes after the notice: %v, want refused", err)
	}
	if _, err := e.svc.Schedule(e.ctx, all, cb.ID, ag.ID, cb.WindowEnd.Add(time.Minute)); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a call after the window: %v, want refused", err)
	}
	at := cb.WindowStart.Add(30 * time.Minute)
	cb, err := e.svc.Schedule(e.ctx, all, cb.ID, ag.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if cb.State != callback.Scheduled || cb.StaffID != trust.StaffID(ag.ID) || !cb.CallAt.Equal(at) {
		t.Errorf("callback %+v", cb)
	}
	msgs, err := e.tickets.Messages(e.ctx, ticket.Scope{CustomerID: cust.ID}, conv.ID, ticket.MessagesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	notice := msgs[len(msgs)-1]
	for _, want := range []string{trust.StaffID(ag.ID), "2026-03-02 10:30 UTC", "…8000"} {
		if !strings.Contains(notice.Body, want) || notice.Internal {
			t.Errorf("notice %q (internal %v) lacks %q", notice.Body, notice.Internal, want)
		}
	}
	if strings.Contains(notice.Body, "+8613800138000") {
		t.Errorf("notice %q carries the whole phone number", notice.Body)
	}
	var jobs int
	if err := e.db.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND key = $2`,
		ticket.FollowUpJob, "followup:message:"+strconv.FormatInt(notice.ID, 10)).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 {
		t.Errorf("%d email jobs for the notice, want 1", jobs)
	}
}

// The desk calls nobody who did not ask, who was not told who would call
// and when, or by anyone but the agent they were told about.
func TestNoCallOutsideARequestedCallback(t *testing.T) {
	e := newEnv(t, nil)
	e.dialer = newScripted(answeredAfter(e, time.Minute, ""))
	e.svc = callback.New(callback.Options{DB: e.db, Audit: e.audit, Tickets: e.tickets, Customers: e.custs, Agents: e.agents,
		Dialer: e.dialer, Policy: callback.DefaultPolicy, T: tr, Now: e.clock.Now})
	t.Cleanup(e.svc.Close)
	mei, bo := e.agent(t, "mei"), e.agent(t, "bo")
	cust := e.customer(t, who{tier: 4, phone: "+8613800138000"})
	cb, _ := e.request(t, e.window(cust.ID))

	refused := func(what string, kind apperr.Kind, err error) {
		t.Helper()
		if !apperr.Is(err, kind) {
			t.Errorf("%s: %v, want %v", what, err, kind)
		}
		if n := e.dialer.count(); n != 0 {
			t.Fatalf("%s: the dialer was asked to call %d times", what, n)
		}
	}
	_, err := e.svc.Place(e.ctx, all, 999999, mei.ID)
	refused("no such callback", apperr.NotFound, err)
	_, err = e.svc.Place(e.ctx, all, cb.ID, mei.ID)
	refused("before any notice", apperr.Conflict, err)
	_, err = e.svc.Complete(e.ctx, all, cb.ID, mei.ID, callback.CompleteInput{Outcome: callback.Answered, Seconds: 60})
	refused("desk phone before any notice", apperr.Conflict, err)
	if _, err := e.svc.Schedule(e.ctx, all, cb.ID, mei.ID, cb.WindowStart); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Place(e.ctx, all, cb.ID, mei.ID)
	refused("right after the notice", apperr.Conflict, err)
	e.clock.Advance(time.Hour)
	_, err = e.svc.Place(e.ctx, all, cb.ID, bo.ID)
	refused("by an agent the customer was not told about", apperr.Forbidden, err)
	_, err = e.svc.Place(e.ctx, ticket.Scope{AgentID: mei.ID, TeamIDs: []int64{}}, cb.ID, mei.ID)
	if err != nil {
		t.Fatalf("the announced agent, in the window: %v", err)
	}
	e.waitDialled(t, cb.ID)
	if d := e.dialer.dialed[0]; d.Number != "+8613800138000" || d.StaffID != trust.StaffID(mei.ID) {
		t.Errorf("dialled %+v", d)
	}
	if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); !apperr.Is(err, apperr.Conflict) || e.dialer.count() != 1 {
		t.Errorf("again after the customer was reached: %v (%d calls), want a conflict", err, e.dialer.count())
	}

	// Past the window nobody calls, even with a notice.
	cust2 := e.customer(t, who{tier: 4, phone: "+8613800138001"})
	late, _ := e.request(t, e.window(cust2.ID))
	if _, err := e.svc.Schedule(e.ctx, all, late.ID, mei.ID, late.WindowStart); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(4 * time.Hour)
	if _, err := e.svc.Place(e.ctx, all, late.ID, mei.ID); !apperr.Is(err, apperr.Conflict) || e.dialer.count() != 1 {
		t.Errorf("after the window: %v (%d calls), want a conflict", err, e.dialer.count())
	}
}

func TestCallOutcomeIsLogged(t *testing.T) {
	e := newEnv(t, nil)
	busy := true
	e.dialer = newScripted(func(d callback.Dial) callback.Result {
		if busy {
			now := e.clock.Now()
			return callback.Result{Outcome: callback.Busy, SIPStatus: 486, StartedAt: now, EndedAt: now.Add(2 * time.Second)}
		}
		return answeredAfter(e, 95*time.Second, "rec-77.wav")(d)
	})
	e.svc = callback.New(callback.Options{DB: e.db, Audit: e.audit, Tickets: e.tickets, Customers: e.custs, Agents: e.agents,
		Dialer: e.dialer, Policy: callback.DefaultPolicy, T: tr, Now: e.clock.Now})
	t.Cleanup(e.svc.Close)
	mei := e.agent(t, "mei")
	cb := e.scheduled(t, mei)

	if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); err != nil {
		t.Fatal(err)
	}
	e.waitDialled(t, cb.ID)
	got, calls, err := e.svc.ByID(e.ctx, all, cb.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != callback.Scheduled || got.Attempts != 1 || len(calls) != 1 || calls[0].Outcome != callback.Busy || calls[0].SIPStatus != 486 {
		t.Fatalf("after a busy line: %+v %+v; want it ready for another try", got, calls)
	}

	busy = false
	if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); err != nil {
		t.Fatal(err)
	}
	e.waitDialled(t, cb.ID)
	got, calls, err = e.svc.ByID(e.ctx, all, cb.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := calls[len(calls)-1]
	if got.State != callback.Done || got.Attempts != 2 || last.Outcome != callback.Answered || last.Seconds != 95 ||
		last.Recording != "rec-77.wav" || last.Via != "sip" {
		t.Fatalf("after an answered call: %+v %+v", got, last)
	}
	msgs, err := e.tickets.Messages(e.ctx, all, cb.ConversationID, ticket.MessagesFilter{IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, m := range msgs {
		if m.Internal {
			notes = append(notes, m.Body)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "busy") || !strings.Contains(notes[1], "answered, 95 s") ||
		!strings.Contains(notes[1], "rec-77.wav") {
		t.Errorf("internal notes %q", notes)
	}
	customerView, err := e.tickets.Messages(e.ctx, ticket.Scope{CustomerID: got.CustomerID}, cb.ConversationID, ticket.MessagesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range customerView {
		if strings.Contains(m.Body, "rec-77") {
			t.Errorf("the customer sees the call note %q", m.Body)
		}
	}
	var outcomes []string
	for _, a := range e.auditActions(t, "callback", cb.ID) {
		if a.Action == "callback.call" {
			outcomes = append(outcomes, a.Detail["outcome"].(string))
		}
	}
	if strings.Join(outcomes, ",") != "answered,busy" { // newest first
		t.Errorf("audited outcomes %v", outcomes)
	}
}

func TestDeskPhoneCallAndWithdrawal(t *testing.T) {
	e := newEnv(t, nil)
	mei := e.agent(t, "mei")
	cb := e.scheduled(t, mei)
	if _, err := e.svc.Place(e.ctx, all, cb.ID, mei.ID); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("placing without a trunk: %v, want unavailable", err)
	}
	for _, bad := range []callback.CompleteInput{{Outcome: "hung"}, {Outcome: callback.Busy, Seconds: 30},
		{Outcome: callback.Answered, Seconds: -1}, {Outcome: callback.Answered, Recording: "a\nb"}} {
		if _, err := e.svc.Complete(e.ctx, all, cb.ID, mei.ID, bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("complete %+v: %v, want invalid", bad, err)
		}
	}
	call, err := e.svc.Complete(e.ctx, all, cb.ID, mei.ID, callback.CompleteInput{Outcome: callback.Answered, Seconds: 240, Recording: "pbx:9911"})
	if err != nil {
		t.Fatal(err)
	}
	if call.Via != "desk_phone" || call.Seconds != 240 || call.Recording != "pbx:9911" {
		t.Errorf("call %+v", call)
	}
	got, _, _ := e.svc.ByID(e.ctx, all, cb.ID)
	if got.State != callback.Done {
		t.Errorf("state %s, want done", got.State)
	}

	// A customer who no longer needs the call: closed without a notice.
	cust := e.customer(t, who{tier: 4, phone: "+8613800138002"})
	w, _ := e.request(t, e.window(cust.ID))
	if _, err := e.svc.Complete(e.ctx, all, w.ID, mei.ID, callback.CompleteInput{Outcome: callback.Cancelled}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e.svc.ByID(e.ctx, all, w.ID); got.State != callback.Done {
		t.Errorf("withdrawn request is %s, want done", got.State)
	}
	if _, _, err := e.svc.Request(e.ctx, e.window(cust.ID)); err != nil {
		t.Errorf("a new request after the old one closed: %v", err)
	}
}

func TestAgentsSeeOnlyTheirTeamsCallbacks(t *testing.T) {
	e := newEnv(t, nil)
	mei := e.agent(t, "mei")
	cb := e.scheduled(t, mei)
	if _, err := e.tickets.Update(e.ctx, cb.ConversationID, ticket.Patch{TeamID: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	other := ticket.Scope{AgentID: 424242, TeamIDs: []int64{77}}
	// Unrouted conversations are everyone's; one routed to team 1 is not.
	if list, err := e.svc.List(e.ctx, other, callback.Filter{}); err != nil || len(list) != 1 {
		t.Fatalf("unrouted: %v %v", list, err)
	}
	if _, err := e.db.Q(e.ctx).ExecContext(e.ctx, `INSERT INTO teams (name, description, created_at) VALUES ('vip', '', 0)`); err != nil {
		t.Fatal(err)
	}
	var team int64
	if err := e.db.Q(e.ctx).QueryRowContext(e.ctx, `SELECT id FROM teams WHERE name = 'vip'`).Scan(&team); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Update(e.ctx, cb.ConversationID, ticket.Patch{TeamID: &team}); err != nil {
		t.Fatal(err)
	}
	if list, err := e.svc.List(e.ctx, other, callback.Filter{}); err != nil || len(list) != 0 {
		t.Errorf("another team's agent lists %v %v", list, err)
	}
	if _, _, err := e.svc.ByID(e.ctx, other, cb.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another team's agent reads it: %v", err)
	}
	if _, err := e.svc.Complete(e.ctx, other, cb.ID, mei.ID, callback.CompleteInput{Outcome: callback.Cancelled}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another team's agent closes it: %v", err)
	}
	if list, err := e.svc.List(e.ctx, all, callback.Filter{States: []callback.State{callback.Done}}); err != nil || len(list) != 0 {
		t.Errorf("done filter: %v %v", list, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRecordingsDeletedAfterRetention(t *testing.T) {
	e := newEnv(t, nil)
	mei := e.agent(t, "mei")
	old := e.scheduled(t, mei)
	if err := os.WriteFile(filepath.Join(e.dir, "old.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Complete(e.ctx, all, old.ID, mei.ID, callback.CompleteInput{Outcome: callback.Answered, Seconds: 60, Recording: "old.wav"}); err != nil {
		t.Fatal(err)
	}
	const retention = 90 * 24 * time.Hour
	e.clock.Advance(retention - 24*time.Hour)
	recent := e.scheduled(t, mei)
	if err := os.WriteFile(filepath.Join(e.dir, "recent.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Complete(e.ctx, all, recent.ID, mei.ID, callback.CompleteInput{Outcome: callback.Answered, Seconds: 60, Recording: "recent.wav"}); err != nil {
		t.Fatal(err)
	}
	purge := func(held ...int64) (int64, error) {
		return e.svc.PurgeRecordings(e.ctx, e.clock.Now().Add(-retention), held)
	}
	if n, err := purge(); err != nil || n != 0 {
		t.Fatalf("sweep before retention ran out: %d, %v", n, err)
	}
	e.clock.Advance(24 * time.Hour)
	if n, err := purge(old.CustomerID); err != nil || n != 0 {
		t.Fatalf("sweep with the customer under legal hold: %d deleted, %v; want none", n, err)
	}
	if n, err := purge(); err != nil || n != 1 {
		t.Fatalf("sweep: %d deleted, %v; want the old one", n, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "old.wav")); !os.IsNotExist(err) {
		t.Errorf("old recording file still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "recent.wav")); err != nil {
		t.Errorf("recent recording file gone: %v", err)
	}
	_, calls, _ := e.svc.ByID(e.ctx, all, old.ID)
	if calls[0].Recording != "" || calls[0].RecordingAt == nil || calls[0].Seconds != 60 {
		t.Errorf("old call %+v: want the reference cleared and the rest kept", calls[0])
	}
	found := false
	for _, a := range e.auditActions(t, "callback", old.ID) {
		found = found || (a.Action == "callback.recording_deleted" && a.Detail["recording"] == "old.wav")
	}
	if !found {
		t.Error("no audit entry for the deleted recording")
	}
	if n, err := purge(); err != nil || n != 0 {
		t.Errorf("second sweep: %d, %v; want nothing left to delete", n, err)
	}
}
