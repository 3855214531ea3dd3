package ticket_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

func TestUpdateAuditsOldAndNewAndPublishesAfterCommit(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	team := e.team(t, "Withdrawals")
	ag := e.agent(t, "sam@desk.test", team.ID)
	conv, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) {
		in.Subject = "Withdrawal stuck"
		in.Tags = []string{"vip"}
		in.Crypto.Asset = "BTC"
	})
	sub := e.bus.Subscribe("test", 16)
	at := e.clock.Advance(time.Hour)
	ctx := e.as("agent", ag.ID)

	var got ticket.Conversation
	err := e.d.WithTx(ctx, func(ctx context.Context) error {
		var err error
		got, err = e.tickets.Update(ctx, conv.ID, ticket.Patch{
			Status: ptr(ticket.StatusPending), Priority: ptr("urgent"), Category: ptr("withdrawal"),
			TeamID: ptr(team.ID), AssigneeID: ptr(ag.ID), TxID: ptr(" 0xabc "), Subject: ptr("Withdrawal stuck"),
			Tags: &[]string{"vip", "Chain-Delay"}, Asset: ptr("BTC"),
		})
		if evs := drain(sub); len(evs) != 0 {
			t.Errorf("events published before commit: %v", evs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	want := conv
	want.Status, want.Priority, want.Category = ticket.StatusPending, ticket.Urgent, "withdrawal"
	want.TeamID, want.AssigneeID, want.Crypto.TxID = team.ID, ag.ID, "0xabc"
	want.Tags, want.UpdatedAt = []string{"chain-delay", "vip"}, at
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, e.reload(t, conv.ID), cmpOpts...); diff != "" {
		t.Errorf("stored conversation differs from the one returned (-returned +stored):\n%s", diff)
	}

	entry := e.lastAudit(t, "conversation", conv.ID)
	wantEntry := audit.Entry{At: at, ActorKind: "agent", ActorID: ag.ID, IP: "192.0.2.1", Action: "conversation.assign",
		ObjectKind: "conversation", ObjectID: conv.ID, Detail: map[string]any{
			"status":      []any{"new", "pending"},
			"priority":    []any{"normal", "urgent"},
			"category":    []any{"other", "withdrawal"},
			"team_id":     []any{"", fmt.Sprint(team.ID)},
			"assignee_id": []any{"", fmt.Sprint(ag.ID)},
			"txid":        []any{"", "0xabc"},
			"tags":        []any{"vip", "chain-delay,vip"},
		}}
	if diff := cmp.Diff(wantEntry, entry, cmpopts.IgnoreUnexported(audit.Entry{}), cmpopts.IgnoreFields(audit.Entry{}, "Seq", "PrevHash", "Hash")); diff != "" {
		t.Errorf("audit entry (-want +got):\n%s", diff)
	}

	evs := drain(sub)
	wantEv := event.ConversationChanged{
		Scope:     event.Scope{ConversationID: conv.ID, CustomerID: cust.ID, TeamID: team.ID, AssigneeID: ag.ID},
		ActorKind: "agent", ActorID: ag.ID, At: at,
		Changes: map[string]string{"status": "pending", "priority": "urgent", "category": "withdrawal",
			"team_id": fmt.Sprint(team.ID), "assignee_id": fmt.Sprint(ag.ID), "txid": "0xabc", "tags": "chain-delay,vip"},
	}
	if diff := cmp.Diff([]event.Event{wantEv}, evs); diff != "" {
		t.Errorf("events after commit (-want +got):\n%s", diff)
	}
}

func TestUpdateReportsPreviousRouting(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	a, b := e.team(t, "A"), e.team(t, "B")
	sam := e.agent(t, "sam@desk.test", a.ID)
	conv, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.TeamID, in.AssigneeID = a.ID, sam.ID })
	sub := e.bus.Subscribe("test", 16)
	e.update(t, conv.ID, ticket.Patch{TeamID: ptr(b.ID), AssigneeID: ptr(int64(0))})
	evs := drain(sub)
	if len(evs) != 1 {
		t.Fatalf("events = %v, want one conversation.changed", evs)
	}
	ev := evs[0].(event.ConversationChanged)
	if ev.PrevTeamID != a.ID || ev.PrevAssigneeID != sam.ID || ev.TeamID != b.ID || ev.AssigneeID != 0 {
		t.Errorf("routing in event: prev team %d assignee %d, now team %d assignee %d; want %d %d → %d 0",
			ev.PrevTeamID, ev.PrevAssigneeID, ev.TeamID, ev.AssigneeID, a.ID, sam.ID, b.ID)
	}
	if c := e.reload(t, conv.ID); c.TeamID != b.ID || c.AssigneeID != 0 {
		t.Errorf("stored team %d assignee %d, want %d and unassigned", c.TeamID, c.AssigneeID, b.ID)
	}
}

func TestUpdateWithoutChangesRecordsNothing(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.Subject = "Fees"; in.Tags = []string{"b", "a"} })
	rows := e.counts(t)
	sub := e.bus.Subscribe("test", 16)
	e.clock.Advance(time.Minute)
	got := e.update(t, conv.ID, ticket.Patch{Subject: ptr(" Fees "), Priority: ptr("normal"), Tags: &[]string{"A", "b"}})
	if diff := cmp.Diff(conv, got, cmpOpts...); diff != "" {
		t.Errorf("no-op update returned a changed conversation (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("no-op update wrote rows (-before +after):\n%s", diff)
	}
	if evs := drain(sub); len(evs) != 0 {
		t.Errorf("no-op update published %v", evs)
	}
}

func TestUpdateValidationWritesNothing(t *testing.T) {
	tags21 := make([]string, 21)
	for i := range tags21 {
		tags21[i] = fmt.Sprintf("t%d", i)
	}
	tests := []struct {
		name  string
		patch ticket.Patch
		kind  apperr.Kind
	}{
		{"unknown category", ticket.Patch{Category: ptr("nft")}, apperr.Invalid},
		{"unknown priority", ticket.Patch{Priority: ptr("extreme")}, apperr.Invalid},
		{"unknown language", ticket.Patch{Language: ptr("de")}, apperr.Invalid},
		{"21 tags", ticket.Patch{Tags: &tags21}, apperr.Invalid},
		{"negative team", ticket.Patch{TeamID: ptr(int64(-1))}, apperr.Invalid},
		{"unknown team", ticket.Patch{TeamID: ptr(int64(999))}, apperr.Invalid},
		{"unknown assignee", ticket.Patch{AssigneeID: ptr(int64(999))}, apperr.Invalid},
		{"subject too long", ticket.Patch{Subject: ptr(strings.Repeat("x", 201))}, apperr.Invalid},
		{"memo too long", ticket.Patch{Memo: ptr(strings.Repeat("9", 201))}, apperr.Invalid},
		{"valid field with invalid status", ticket.Patch{Priority: ptr("high"), Status: ptr(ticket.StatusClosed)}, apperr.Conflict},
		{"unknown conversation", ticket.Patch{}, apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			conv, _ := e.open(t, cust.ID)
			before := e.reload(t, conv.ID)
			rows := e.counts(t)
			id := conv.ID
			if tt.kind == apperr.NotFound {
				id = 999
			}
			_, err := e.tickets.Update(e.ctx, id, tt.patch)
			wantKind(t, err, tt.kind)
			if diff := cmp.Diff(before, e.reload(t, conv.ID), cmpOpts...); diff != "" {
				t.Errorf("refused update changed the conversation (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("refused update wrote rows (-before +after):\n%s", diff)
			}
		})
	}
}

func TestFailedTransactionPublishesNothing(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, cust.ID)
	before := e.reload(t, conv.ID)
	rows := e.counts(t)
	sub := e.bus.Subscribe("test", 64)
	boom := errors.New("boom")

	err := e.d.WithTx(e.ctx, func(ctx context.Context) error {
		if _, _, err := e.tickets.Open(ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: "email", Priority: ticket.Normal,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, Body: "second case"}}); err != nil {
			return err
		}
		if _, err := e.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent,
			AuthorID: ag.ID, Body: "On it", Status: ptr(ticket.StatusPending)}); err != nil {
			return err
		}
		if _, err := e.tickets.Update(ctx, conv.ID, ticket.Patch{Priority: ptr("urgent")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v, want boom", err)
	}
	if evs := drain(sub); len(evs) != 0 {
		t.Errorf("rolled-back transaction published %d events: %v", len(evs), evs)
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("rolled-back transaction left rows (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before, e.reload(t, conv.ID), cmpOpts...); diff != "" {
		t.Errorf("rolled-back transaction changed the conversation (-before +after):\n%s", diff)
	}
	if _, brk, err := e.audit.Verify(e.ctx); err != nil || brk != nil {
		t.Errorf("audit chain after rollback: break %v, err %v", brk, err)
	}
}

func TestConcurrentUpdatesOfDifferentFieldsBothStick(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	const n = 6
	convs := make([]ticket.Conversation, n)
	for i := range convs {
		convs[i], _ = e.open(t, cust.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for _, c := range convs {
		for _, p := range []ticket.Patch{
			{Priority: ptr("urgent")},
			{Category: ptr("withdrawal")},
			{AssigneeID: ptr(ag.ID)},
			{Tags: &[]string{"vip"}},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.tickets.Update(e.ctx, c.ID, p); err != nil {
					errs <- err
				}
			}()
		}
		// A message racing the updates must not undo them either.
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByAgent,
				AuthorID: ag.ID, Body: "looking"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	for _, c := range convs {
		got := e.reload(t, c.ID)
		if got.Priority != ticket.Urgent || got.Category != "withdrawal" || got.AssigneeID != ag.ID ||
			!cmp.Equal(got.Tags, []string{"vip"}) || got.Status != ticket.StatusOpen || got.FirstResponseAt == nil {
			t.Errorf("conversation %d lost a concurrent change: priority %s category %s assignee %d tags %v status %s first response %v",
				c.ID, got.Priority, got.Category, got.AssigneeID, got.Tags, got.Status, got.FirstResponseAt)
		}
	}
}

func TestMergeConversations(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	target, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.Subject = "Deposit missing" })
	source, _ := e.open(t, cust.ID, func(in *ticket.OpenInput) { in.Subject = "Where is my USDT" })
	e.reply(t, target.ID, ag.ID, "Checking")
	sub := e.bus.Subscribe("test", 16)
	at := e.clock.Advance(time.Hour)

	got, err := e.tickets.Merge(e.as("agent", ag.ID), target.ID, source.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.reload(t, target.ID), got, cmpOpts...); diff != "" {
		t.Errorf("Merge returned a stale target (-stored +returned):\n%s", diff)
	}
	src := e.reload(t, source.ID)
	if src.Status != ticket.StatusClosed || src.MergedInto != target.ID || src.ClosedAt == nil || !src.ClosedAt.Equal(at) {
		t.Errorf("source after merge: status %s merged_into %d closed_at %v; want closed, %d, %v",
			src.Status, src.MergedInto, src.ClosedAt, target.ID, at)
	}
	note := func(id int64) ticket.Message {
		ms := e.messages(t, id)
		return ms[len(ms)-1]
	}
	wantSrcNote := fmt.Sprintf("Merged into conversation #%d.", target.ID)
	if m := note(source.ID); m.AuthorKind != ticket.BySystem || !m.Internal || m.Body != wantSrcNote {
		t.Errorf("source note = %s internal=%v %q, want a system note %q", m.AuthorKind, m.Internal, m.Body, wantSrcNote)
	}
	wantTgtNote := fmt.Sprintf("Conversation #%d was merged into this one: Where is my USDT", source.ID)
	if m := note(target.ID); m.AuthorKind != ticket.BySystem || !m.Internal || m.Body != wantTgtNote {
		t.Errorf("target note = %s internal=%v %q, want a system note %q", m.AuthorKind, m.Internal, m.Body, wantTgtNote)
	}
	// The customer does not see the merge notes.
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{CustomerID: cust.ID}, target.ID, ticket.MessagesFilter{IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Internal {
			t.Errorf("customer sees internal message %q", m.Body)
		}
	}
	var merged []event.ConversationsMerged
	for _, ev := range drain(sub) {
		if m, ok := ev.(event.ConversationsMerged); ok {
			merged = append(merged, m)
		}
	}
	wantEv := []event.ConversationsMerged{{Scope: event.Scope{ConversationID: target.ID, CustomerID: cust.ID}, SourceID: source.ID, At: at}}
	if diff := cmp.Diff(wantEv, merged); diff != "" {
		t.Errorf("merge events (-want +got):\n%s", diff)
	}
	if entry := e.lastAudit(t, "conversation", target.ID); entry.Action != "conversation.merge" || entry.Detail["source"] != float64(source.ID) {
		t.Errorf("audit = %s %v, want conversation.merge with source %d", entry.Action, entry.Detail, source.ID)
	}

	// A merged conversation takes no more messages and cannot be merged again.
	_, err = e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: source.ID, AuthorKind: ticket.ByCustomer, Body: "hi"})
	wantKind(t, err, apperr.Conflict)
	third, _ := e.open(t, cust.ID)
	_, err = e.tickets.Merge(e.ctx, third.ID, source.ID)
	wantKind(t, err, apperr.Conflict)
}

func TestMergeRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, alice, bob int64) (target, source int64)
		kind  apperr.Kind
	}{
		{"different customers", func(t *testing.T, e *env, alice, bob int64) (int64, int64) {
			a, _ := e.open(t, alice)
			b, _ := e.open(t, bob)
			return a.ID, b.ID
		}, apperr.Conflict},
		{"into itself", func(t *testing.T, e *env, alice, _ int64) (int64, int64) {
			a, _ := e.open(t, alice)
			return a.ID, a.ID
		}, apperr.Invalid},
		{"closed source", func(t *testing.T, e *env, alice, _ int64) (int64, int64) {
			a, _ := e.open(t, alice)
			b, _ := e.open(t, alice)
			e.driveTo(t, b.ID, ticket.StatusClosed)
			return a.ID, b.ID
		}, apperr.Conflict},
		{"unknown source", func(t *testing.T, e *env, alice, _ int64) (int64, int64) {
			a, _ := e.open(t, alice)
			return a.ID, 999
		}, apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
			target, source := tt.setup(t, e, alice.ID, bob.ID)
			rows := e.counts(t)
			before := e.reload(t, target)
			_, err := e.tickets.Merge(e.ctx, target, source)
			wantKind(t, err, tt.kind)
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("refused merge wrote rows (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(before, e.reload(t, target), cmpOpts...); diff != "" {
				t.Errorf("refused merge changed the target (-before +after):\n%s", diff)
			}
		})
	}
}

func TestMergeCustomersMovesConversationsAndIdentities(t *testing.T) {
	e := newEnv(t)
	target, err := e.customers.Create(e.ctx, customer.Input{Name: ptr("Alice"), Email: ptr("alice@example.com"),
		Identities: []customer.Identity{{Channel: "email", ExternalID: "alice@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	source, err := e.customers.Create(e.ctx, customer.Input{UID: ptr("U-100"), Phone: ptr("+85212345678"), VIPTier: ptr(3),
		Identities: []customer.Identity{{Channel: "telegram", ExternalID: "5551234"}}})
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := e.open(t, source.ID)
	c2, _ := e.open(t, source.ID)
	own, _ := e.open(t, target.ID)
	sub := e.bus.Subscribe("test", 16)
	at := e.clock.Advance(time.Hour)

	moved, err := e.tickets.MergeCustomers(e.ctx, target.ID, source.ID)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 2 {
		t.Errorf("moved = %d, want 2", moved)
	}
	list, _, err := e.tickets.List(e.ctx, all, ticket.Filter{CustomerID: target.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{own.ID, c2.ID, c1.ID}, ids(list)); diff != "" {
		t.Errorf("target's conversations (-want +got):\n%s", diff)
	}
	if list, _, _ := e.tickets.List(e.ctx, all, ticket.Filter{CustomerID: source.ID}); len(list) != 0 {
		t.Errorf("source still owns %d conversations", len(list))
	}
	src, err := e.customers.ByID(e.ctx, source.ID)
	if err != nil {
		t.Fatal(err)
	}
	if src.MergedInto != target.ID || len(src.Identities) != 0 || src.UID != "" {
		t.Errorf("source after merge: merged_into %d identities %v uid %q; want pointer to %d, none, none",
			src.MergedInto, src.Identities, src.UID, target.ID)
	}
	tgt, err := e.customers.ByID(e.ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantTgt := customer.Customer{ID: target.ID, UID: "U-100", Name: "Alice", Email: "alice@example.com", Phone: "+85212345678",
		Language: "en", VIPTier: 3, CreatedAt: t0, UpdatedAt: at,
		Identities: []customer.Identity{{Channel: "email", ExternalID: "alice@example.com"}, {Channel: "telegram", ExternalID: "5551234"}}}
	if diff := cmp.Diff(wantTgt, tgt); diff != "" {
		t.Errorf("target after merge (-want +got):\n%s", diff)
	}
	// The source's channel identity now resolves to the target.
	r, created, err := e.customers.Resolve(e.ctx, customer.Identity{Channel: "telegram", ExternalID: "5551234"}, customer.Input{})
	if err != nil || created || r.ID != target.ID {
		t.Errorf("Resolve(telegram 5551234) = customer %d created=%v err=%v; want %d", r.ID, created, err, target.ID)
	}
	var evs []event.CustomersMerged
	for _, ev := range drain(sub) {
		if m, ok := ev.(event.CustomersMerged); ok {
			evs = append(evs, m)
		}
	}
	if diff := cmp.Diff([]event.CustomersMerged{{TargetID: target.ID, SourceID: source.ID, At: at}}, evs); diff != "" {
		t.Errorf("customer.merged events (-want +got):\n%s", diff)
	}
	if entry := e.lastAudit(t, "customer", target.ID); entry.Action != "customer.merge" || entry.Detail["conversations_moved"] != float64(2) {
		t.Errorf("audit = %s %v, want customer.merge with 2 conversations moved", entry.Action, entry.Detail)
	}
	// Merging again, or across different exchange UIDs, is refused.
	_, err = e.tickets.MergeCustomers(e.ctx, target.ID, source.ID)
	wantKind(t, err, apperr.Conflict)
	other, err := e.customers.Create(e.ctx, customer.Input{UID: ptr("U-200")})
	if err != nil {
		t.Fatal(err)
	}
	otherConv, _ := e.open(t, other.ID)
	_, err = e.tickets.MergeCustomers(e.ctx, target.ID, other.ID)
	wantKind(t, err, apperr.Conflict)
	if c := e.reload(t, otherConv.ID); c.CustomerID != other.ID {
		t.Errorf("refused customer merge moved conversation %d to %d", otherConv.ID, c.CustomerID)
	}
}

func TestAuditChainVerifiesAfterOperations(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
	team := e.team(t, "KYC")
	ag := e.agent(t, "sam@desk.test", team.ID)
	ctx := e.as("agent", ag.ID)
	conv, _ := e.open(t, alice.ID)
	dup, _ := e.open(t, alice.ID)
	e.clock.Advance(time.Minute)
	e.reply(t, conv.ID, ag.ID, "Hello")
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "vip", Internal: true})
	if _, err := e.tickets.Update(ctx, conv.ID, ticket.Patch{TeamID: ptr(team.ID), Status: ptr(ticket.StatusSolved)}); err != nil {
		t.Fatal(err)
	}
	e.say(t, conv.ID, alice.ID, "not solved")
	att, err := e.tickets.Upload(ctx, all, ticket.UploadInput{ConversationID: conv.ID, Filename: "tx.png",
		Content: strings.NewReader(string(pngBytes(t))), UploadedBy: fmt.Sprintf("agent:%d", ag.ID)})
	if err != nil {
		t.Fatal(err)
	}
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "see", AttachmentIDs: []int64{att.ID}})
	if _, err := e.tickets.Merge(ctx, conv.ID, dup.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.MergeCustomers(ctx, alice.ID, bob.ID); err != nil {
		t.Fatal(err)
	}

	es, err := e.audit.List(e.ctx, audit.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(es) - 1; i >= 0; i-- {
		actions = append(actions, es[i].Action)
	}
	want := []string{
		"customer.create", "customer.create", "team.create", "agent.create",
		"conversation.create", "conversation.create",
		"conversation.message", "conversation.note", "conversation.update", "conversation.message",
		"attachment.upload", "conversation.message",
		"conversation.note", "conversation.note", "conversation.merge", "customer.merge",
	}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
	n, brk, err := e.audit.Verify(e.ctx)
	if err != nil || brk != nil || n != int64(len(want)) {
		t.Errorf("Verify = %d entries, break %v, err %v; want %d intact entries", n, brk, err, len(want))
	}
}

func TestConcurrentNewTagOnManyConversations(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	const n = 8
	for round := range 5 {
		tag := fmt.Sprintf("outage-%d", round)
		convs := make([]ticket.Conversation, n)
		for i := range convs {
			convs[i], _ = e.open(t, cust.ID)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, c := range convs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.tickets.Update(e.ctx, c.ID, ticket.Patch{Tags: &[]string{tag}})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("tagging conversation %d with new tag %q: %v", convs[i].ID, tag, err)
			}
		}
		list, _, err := e.tickets.List(e.ctx, all, ticket.Filter{Tag: tag})
		if err != nil || len(list) != n {
			t.Fatalf("List(tag %q) = %d conversations, err %v; want %d", tag, len(list), err, n)
		}
	}
}
