package ticket_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/apperr"
	"vigil/internal/ticket"
)

func TestScopeVisibility(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
	teamA, teamB := e.team(t, "Deposits"), e.team(t, "Withdrawals")
	ann := e.agent(t, "ann@desk.test", teamA.ID)
	ben := e.agent(t, "ben@desk.test", teamB.ID)

	inA, _ := e.open(t, alice.ID, func(in *ticket.OpenInput) { in.TeamID = teamA.ID })
	inB, _ := e.open(t, bob.ID, func(in *ticket.OpenInput) { in.TeamID = teamB.ID })
	unrouted, _ := e.open(t, bob.ID)
	inBForAnn, _ := e.open(t, alice.ID, func(in *ticket.OpenInput) { in.TeamID, in.AssigneeID = teamB.ID, ann.ID })
	unroutedForBen, _ := e.open(t, alice.ID, func(in *ticket.OpenInput) { in.AssigneeID = ben.ID })
	every := []ticket.Conversation{inA, inB, unrouted, inBForAnn, unroutedForBen}

	scopes := []struct {
		name  string
		scope ticket.Scope
		sees  []ticket.Conversation
	}{
		{"supervisor", all, every},
		{"agent in team A", ticket.Scope{AgentID: ann.ID, TeamIDs: []int64{teamA.ID}}, []ticket.Conversation{inA, unrouted, inBForAnn, unroutedForBen}},
		{"agent in team B", ticket.Scope{AgentID: ben.ID, TeamIDs: []int64{teamB.ID}}, []ticket.Conversation{inB, unrouted, inBForAnn, unroutedForBen}},
		{"agent in no team", ticket.Scope{AgentID: 999}, []ticket.Conversation{unrouted, unroutedForBen}},
		{"customer Alice", ticket.Scope{CustomerID: alice.ID}, []ticket.Conversation{inA, inBForAnn, unroutedForBen}},
		{"customer Bob", ticket.Scope{CustomerID: bob.ID}, []ticket.Conversation{inB, unrouted}},
		{"nobody", ticket.Scope{}, nil},
	}
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			for _, c := range every {
				visible := slices.ContainsFunc(sc.sees, func(v ticket.Conversation) bool { return v.ID == c.ID })
				_, err := e.tickets.ByID(e.ctx, sc.scope, c.ID)
				_, merr := e.tickets.Messages(e.ctx, sc.scope, c.ID, ticket.MessagesFilter{})
				if visible {
					if err != nil || merr != nil {
						t.Errorf("conversation %d should be visible: ByID err %v, Messages err %v", c.ID, err, merr)
					}
					continue
				}
				if apperr.KindOf(err) != apperr.NotFound || apperr.KindOf(merr) != apperr.NotFound {
					t.Errorf("conversation %d should look not found: ByID err %v, Messages err %v", c.ID, err, merr)
				}
			}
			list, _, err := e.tickets.List(e.ctx, sc.scope, ticket.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			want := ids(sc.sees)
			slices.Reverse(want) // newest first
			if diff := cmp.Diff(want, ids(list), cmpOpts...); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomerNeverSeesInternalNotes(t *testing.T) {
	e := newEnv(t)
	alice := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, alice.ID)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "customer looks like a scammer", Internal: true})
	e.reply(t, conv.ID, ag.ID, "We are checking")
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.BySystem, Body: "SLA breached", Internal: true})

	tests := []struct {
		name  string
		scope ticket.Scope
		f     ticket.MessagesFilter
		want  []int64
	}{
		{"customer", ticket.Scope{CustomerID: alice.ID}, ticket.MessagesFilter{}, []int64{1, 3}},
		{"customer asking for notes", ticket.Scope{CustomerID: alice.ID}, ticket.MessagesFilter{IncludeInternal: true}, []int64{1, 3}},
		{"customer resuming after the note", ticket.Scope{CustomerID: alice.ID}, ticket.MessagesFilter{AfterSeq: 1, IncludeInternal: true}, []int64{3}},
		{"agent without notes", ticket.Scope{AgentID: ag.ID}, ticket.MessagesFilter{}, []int64{1, 3}},
		{"agent with notes", ticket.Scope{AgentID: ag.ID}, ticket.MessagesFilter{IncludeInternal: true}, []int64{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		ms, err := e.tickets.Messages(e.ctx, tt.scope, conv.ID, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, seqs(ms)); diff != "" {
			t.Errorf("%s: seqs (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestListFilters(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.customer(t, "Alice"), e.customer(t, "Bob")
	teamA, teamB := e.team(t, "Deposits"), e.team(t, "Withdrawals")
	ann := e.agent(t, "ann@desk.test", teamA.ID)

	type spec struct {
		name string
		edit func(*ticket.OpenInput)
		to   ticket.Status
	}
	specs := []spec{
		{"deposit", func(in *ticket.OpenInput) {
			in.Subject, in.Category, in.TeamID, in.Tags = "USDT deposit not credited to wallet id 7", "deposit", teamA.ID, []string{"vip"}
			in.Crypto = ticket.Crypto{Asset: "USDT", TxID: "0xdeadbeef01"}
		}, ticket.StatusOpen},
		{"withdrawal", func(in *ticket.OpenInput) {
			in.Subject, in.Category, in.TeamID, in.AssigneeID, in.Priority = "Withdrawal stuck", "withdrawal", teamB.ID, ann.ID, ticket.Urgent
			in.Channel = "email"
		}, ticket.StatusPending},
		{"kyc", func(in *ticket.OpenInput) {
			in.Subject, in.Category, in.Tags, in.Priority = "KYC rejected 50% of my documents", "kyc", []string{"vip", "kyc-retry"}, ticket.High
			in.Crypto.OrderID = "ORD-7"
		}, ticket.StatusSolved},
		{"fees", func(in *ticket.OpenInput) {
			in.Subject, in.Category, in.AssigneeID = "Fee of 50 USDT on withdrawal", "fees", ann.ID
			in.CustomerID = bob.ID
		}, ticket.StatusNew},
		{"under_score", func(in *ticket.OpenInput) {
			in.Subject, in.TeamID = "wallet_id missing", teamA.ID
			in.Crypto.TxID = "0xdeadbeef02"
		}, ticket.StatusClosed},
	}
	byName := map[string]int64{}
	for _, s := range specs {
		c, _ := e.open(t, alice.ID, s.edit)
		e.driveTo(t, c.ID, s.to)
		byName[s.name] = c.ID
	}

	tests := []struct {
		name string
		f    ticket.Filter
		want []string // newest first
	}{
		{"everything", ticket.Filter{}, []string{"under_score", "fees", "kyc", "withdrawal", "deposit"}},
		{"status set", ticket.Filter{Statuses: []ticket.Status{ticket.StatusOpen, ticket.StatusPending}}, []string{"withdrawal", "deposit"}},
		{"status new", ticket.Filter{Statuses: []ticket.Status{ticket.StatusNew}}, []string{"fees"}},
		{"priority urgent", ticket.Filter{Priority: ptr(ticket.Urgent)}, []string{"withdrawal"}},
		{"priority normal", ticket.Filter{Priority: ptr(ticket.Normal)}, []string{"under_score", "fees", "deposit"}},
		{"team A", ticket.Filter{TeamID: teamA.ID}, []string{"under_score", "deposit"}},
		{"no team", ticket.Filter{TeamID: -1}, []string{"fees", "kyc"}},
		{"assignee", ticket.Filter{AssigneeID: ann.ID}, []string{"fees", "withdrawal"}},
		{"unassigned", ticket.Filter{AssigneeID: -1}, []string{"under_score", "kyc", "deposit"}},
		{"category", ticket.Filter{Category: "withdrawal"}, []string{"withdrawal"}},
		{"channel", ticket.Filter{Channel: "email"}, []string{"withdrawal"}},
		{"customer", ticket.Filter{CustomerID: bob.ID}, []string{"fees"}},
		{"tag", ticket.Filter{Tag: "vip"}, []string{"kyc", "deposit"}},
		{"tag any case", ticket.Filter{Tag: "KYC-Retry"}, []string{"kyc"}},
		{"unknown tag", ticket.Filter{Tag: "nope"}, []string{}},
		{"text in subject", ticket.Filter{Text: "stuck"}, []string{"withdrawal"}},
		{"text in subject any case", ticket.Filter{Text: "withdrawal"}, []string{"fees", "withdrawal"}},
		{"text with percent is literal", ticket.Filter{Text: "50%"}, []string{"kyc"}},
		{"text with underscore is literal", ticket.Filter{Text: "t_i"}, []string{"under_score"}},
		{"exact txid", ticket.Filter{Text: " 0xdeadbeef01 "}, []string{"deposit"}},
		{"partial txid does not match", ticket.Filter{Text: "0xdeadbeef"}, []string{}},
		{"exact order id", ticket.Filter{Text: "ORD-7"}, []string{"kyc"}},
		{"combined", ticket.Filter{Tag: "vip", Statuses: []ticket.Status{ticket.StatusSolved}, Priority: ptr(ticket.High)}, []string{"kyc"}},
		{"team B", ticket.Filter{TeamID: teamB.ID}, []string{"withdrawal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, next, err := e.tickets.List(e.ctx, all, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range list {
				for name, id := range byName {
					if id == c.ID {
						got = append(got, name)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("List(%+v) (-want +got):\n%s", tt.f, diff)
			}
			if next != 0 {
				t.Errorf("next cursor = %d on a single page, want 0", next)
			}
		})
	}

	for _, f := range []ticket.Filter{
		{Statuses: []ticket.Status{"archived"}},
		{Category: "nft"},
		{Limit: 201},
		{Text: string(make([]byte, 201))},
	} {
		_, _, err := e.tickets.List(e.ctx, all, f)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("List(%+v) err = %v, want invalid", f, err)
		}
	}
}

func TestListKeysetPagination(t *testing.T) {
	tests := []struct{ total, limit int }{
		{25, 10},
		{20, 10}, // the last page is full: it must not promise another
		{3, 10},
		{0, 10},
		{7, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.total, tt.limit), func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			var want []int64
			for range tt.total {
				c, _ := e.open(t, cust.ID)
				want = append([]int64{c.ID}, want...)
			}
			var got []int64
			var before int64
			pages := 0
			for {
				page, next, err := e.tickets.List(e.ctx, all, ticket.Filter{Before: before, Limit: tt.limit})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page) > tt.limit {
					t.Fatalf("page %d has %d items, limit %d", pages, len(page), tt.limit)
				}
				got = append(got, ids(page)...)
				if next == 0 {
					break
				}
				if next != page[len(page)-1].ID {
					t.Fatalf("next cursor %d is not the last id of the page %d", next, page[len(page)-1].ID)
				}
				if pages > tt.total+1 {
					t.Fatal("pagination does not end")
				}
				before = next
			}
			if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
				t.Errorf("walked ids (-want +got):\n%s", diff)
			}
			wantPages := max(1, (tt.total+tt.limit-1)/tt.limit)
			if pages != wantPages {
				t.Errorf("took %d pages, want %d", pages, wantPages)
			}
		})
	}
}

func TestCustomerVisibilityForAgents(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.customer(t, "Alice"), e.customer(t, "Bob"), e.customer(t, "Carol")
	teamA, teamB := e.team(t, "A"), e.team(t, "B")
	ann := e.agent(t, "ann@desk.test", teamA.ID)
	e.open(t, alice.ID, func(in *ticket.OpenInput) { in.TeamID = teamA.ID })
	e.open(t, bob.ID, func(in *ticket.OpenInput) { in.TeamID = teamB.ID })
	e.open(t, carol.ID)
	annScope := ticket.Scope{AgentID: ann.ID, TeamIDs: []int64{teamA.ID}}

	tests := []struct {
		scope    ticket.Scope
		customer int64
		want     bool
	}{
		{annScope, alice.ID, true},
		{annScope, bob.ID, false},
		{annScope, carol.ID, true}, // unrouted conversation
		{all, bob.ID, true},
		{ticket.Scope{CustomerID: bob.ID}, bob.ID, true},
		{ticket.Scope{CustomerID: bob.ID}, alice.ID, false},
		{ticket.Scope{}, alice.ID, false},
	}
	for _, tt := range tests {
		got, err := e.tickets.SeesCustomer(e.ctx, tt.scope, tt.customer)
		if err != nil || got != tt.want {
			t.Errorf("SeesCustomer(%+v, %d) = %v, %v; want %v", tt.scope, tt.customer, got, err, tt.want)
		}
	}
	got, err := e.tickets.CustomerIDs(e.ctx, annScope, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{carol.ID, alice.ID}, got); diff != "" {
		t.Errorf("CustomerIDs for agent (-want +got):\n%s", diff)
	}
	got, err = e.tickets.CustomerIDs(e.ctx, all, carol.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{bob.ID, alice.ID}, got); diff != "" {
		t.Errorf("CustomerIDs before %d (-want +got):\n%s", carol.ID, diff)
	}
}
