package ticket_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/apperr"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

func TestOpenCreatesConversationWithFirstMessage(t *testing.T) {
	tests := []struct {
		name        string
		subject     string
		body        string
		author      ticket.AuthorKind
		wantSubject string
		wantStatus  ticket.Status
		wantFirst   bool // first_response_at stamped
	}{
		{name: "subject given", subject: "  Deposit missing  ", body: "I sent 5 USDT", author: ticket.ByCustomer,
			wantSubject: "Deposit missing", wantStatus: ticket.StatusNew},
		{name: "subject from first line", body: "\n\n  Withdrawal stuck  \nsince yesterday", author: ticket.ByCustomer,
			wantSubject: "Withdrawal stuck", wantStatus: ticket.StatusNew},
		{name: "long first line cut to 80 characters", body: strings.Repeat("é", 100), author: ticket.ByCustomer,
			wantSubject: strings.Repeat("é", 79) + "…", wantStatus: ticket.StatusNew},
		{name: "outbound by an agent is answered already", body: "We noticed a failed withdrawal", author: ticket.ByAgent,
			wantSubject: "We noticed a failed withdrawal", wantStatus: ticket.StatusOpen, wantFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			sub := e.bus.Subscribe("test", 16)
			conv, msg := e.open(t, cust.ID, func(in *ticket.OpenInput) {
				in.Subject = tt.subject
				in.Tags = []string{" VIP ", "kyc", "vip"}
				in.Crypto = ticket.Crypto{Asset: " usdt ", Network: "TRC20", TxID: "abc123"}
				in.Message = ticket.MessageInput{AuthorKind: tt.author, AuthorID: 1, AuthorName: "Sam", Body: tt.body}
			})

			want := ticket.Conversation{
				ID: conv.ID, CustomerID: cust.ID, Channel: "webchat", Subject: tt.wantSubject, Status: tt.wantStatus,
				Priority: ticket.Normal, Category: "other", Language: "en",
				Crypto: ticket.Crypto{Asset: "USDT", Network: "TRC20", TxID: "abc123"},
				Tags:   []string{"kyc", "vip"}, LastSeq: 1, CreatedAt: t0, UpdatedAt: t0, LastMessageAt: t0,
			}
			if tt.wantFirst {
				want.FirstResponseAt = ptr(t0)
			}
			if diff := cmp.Diff(want, conv, cmpOpts...); diff != "" {
				t.Errorf("Open returned (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(conv, e.reload(t, conv.ID), cmpOpts...); diff != "" {
				t.Errorf("stored conversation differs from the one returned (-returned +stored):\n%s", diff)
			}
			wantMsg := ticket.Message{ID: msg.ID, ConversationID: conv.ID, Seq: 1, AuthorKind: tt.author, AuthorID: 1,
				AuthorName: "Sam", Body: tt.body, BodyHTML: msg.BodyHTML, Delivery: "sent", CreatedAt: t0}
			if !strings.HasPrefix(msg.BodyHTML, "<p>") {
				t.Errorf("body_html = %q, want rendered paragraphs", msg.BodyHTML)
			}
			if diff := cmp.Diff(wantMsg, msg, cmpOpts...); diff != "" {
				t.Errorf("first message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]ticket.Message{msg}, e.messages(t, conv.ID), cmpOpts...); diff != "" {
				t.Errorf("stored thread (-want +got):\n%s", diff)
			}

			evs := drain(sub)
			if len(evs) < 2 {
				t.Fatalf("events = %v, want conversation.created and message.created", evs)
			}
			scope := event.Scope{ConversationID: conv.ID, CustomerID: cust.ID}
			wantCreated := event.ConversationCreated{Scope: scope, Channel: "webchat", Subject: tt.wantSubject, Status: string(conv.Status),
				Priority: "normal", Category: "other", Language: "en", At: t0}
			if diff := cmp.Diff(event.Event(wantCreated), evs[0]); diff != "" {
				t.Errorf("first event (-want +got):\n%s", diff)
			}
			if mc, ok := evs[1].(event.MessageCreated); !ok || mc.MessageID != msg.ID || mc.Seq != 1 {
				t.Errorf("second event = %#v, want message.created for message %d seq 1", evs[1], msg.ID)
			}
		})
	}
}

func TestOpenForMergedCustomerLandsOnTarget(t *testing.T) {
	e := newEnv(t)
	target, source := e.customer(t, "Alice"), e.customer(t, "Alice (duplicate)")
	if _, err := e.tickets.MergeCustomers(e.ctx, target.ID, source.ID); err != nil {
		t.Fatal(err)
	}
	conv, _ := e.open(t, source.ID)
	if conv.CustomerID != target.ID {
		t.Errorf("conversation opened for merged customer %d belongs to %d, want target %d", source.ID, conv.CustomerID, target.ID)
	}
}

func TestMessagesGetGapFreeIncreasingSeq(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, cust.ID)
	inputs := []ticket.MessageInput{
		{AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "note", Internal: true},
		{AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "reply"},
		{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "thanks", ExternalID: "wc-1"},
		{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "thanks", ExternalID: "wc-1"}, // redelivery
		{AuthorKind: ticket.ByBot, Body: "Was this helpful?"},
		{AuthorKind: ticket.BySystem, Body: "Assigned", Internal: true},
		{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "yes"},
	}
	for _, in := range inputs {
		e.clock.Advance(time.Second)
		in.ConversationID = conv.ID
		e.add(t, in)
	}
	got := seqs(e.messages(t, conv.ID))
	want := []int64{1, 2, 3, 4, 5, 6, 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seqs (-want +got):\n%s", diff)
	}
	c := e.reload(t, conv.ID)
	if c.LastSeq != 7 || !c.LastMessageAt.Equal(e.clock.Now()) {
		t.Errorf("last_seq = %d, last_message_at = %v; want 7 and %v", c.LastSeq, c.LastMessageAt, e.clock.Now())
	}
}

func TestConcurrentMessagesKeepSeqGapFree(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	const writers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer,
					AuthorID: cust.ID, Body: fmt.Sprintf("writer %d message %d", w, i)})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent AddMessage: %v", err)
	}
	got := seqs(e.messages(t, conv.ID))
	if len(got) != 1+writers*each {
		t.Fatalf("%d messages, want %d", len(got), 1+writers*each)
	}
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("seq at position %d = %d, want %d (seqs %v)", i, s, i+1, got)
		}
	}
}

func TestCustomerMessageReopensWaitingConversation(t *testing.T) {
	tests := []struct {
		from       ticket.Status
		want       ticket.Status
		wantChange bool
	}{
		{ticket.StatusNew, ticket.StatusNew, false},
		{ticket.StatusOpen, ticket.StatusOpen, false},
		{ticket.StatusPending, ticket.StatusOpen, true},
		{ticket.StatusOnHold, ticket.StatusOpen, true},
		{ticket.StatusSolved, ticket.StatusOpen, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			conv, _ := e.open(t, cust.ID)
			e.driveTo(t, conv.ID, tt.from)
			before := e.reload(t, conv.ID)
			if tt.from == ticket.StatusSolved && before.SolvedAt == nil {
				t.Fatal("solving did not stamp solved_at")
			}
			sub := e.bus.Subscribe("test", 16)
			at := e.clock.Advance(time.Hour)
			e.say(t, conv.ID, cust.ID, "still not there")

			got := e.reload(t, conv.ID)
			if got.Status != tt.want {
				t.Errorf("status = %s, want %s", got.Status, tt.want)
			}
			if got.SolvedAt != nil {
				t.Errorf("solved_at = %v, want cleared", got.SolvedAt)
			}
			if !got.LastMessageAt.Equal(at) {
				t.Errorf("last_message_at = %v, want %v", got.LastMessageAt, at)
			}
			var changed []event.ConversationChanged
			for _, ev := range drain(sub) {
				if c, ok := ev.(event.ConversationChanged); ok {
					changed = append(changed, c)
				}
			}
			if tt.wantChange {
				want := []event.ConversationChanged{{Scope: event.Scope{ConversationID: conv.ID, CustomerID: cust.ID},
					ActorKind: "customer", ActorID: cust.ID, Changes: map[string]string{"status": "open"}, At: at}}
				if diff := cmp.Diff(want, changed); diff != "" {
					t.Errorf("conversation.changed events (-want +got):\n%s", diff)
				}
				entry := e.lastAudit(t, "conversation", conv.ID)
				if diff := cmp.Diff([]any{string(tt.from), "open"}, entry.Detail["status"]); diff != "" {
					t.Errorf("audit status detail (-want +got):\n%s", diff)
				}
				if reopened := entry.Detail["reopened"] == true; reopened != (tt.from == ticket.StatusSolved) {
					t.Errorf("audit reopened = %v, want %v", entry.Detail["reopened"], tt.from == ticket.StatusSolved)
				}
			} else if len(changed) != 0 {
				t.Errorf("status did not change but got %v", changed)
			}
		})
	}
}

func TestFirstPublicAgentReply(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, cust.ID)

	e.clock.Advance(time.Minute)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "checking the chain", Internal: true})
	if c := e.reload(t, conv.ID); c.Status != ticket.StatusNew || c.FirstResponseAt != nil {
		t.Fatalf("after an internal note: status %s, first_response_at %v; want new and unset", c.Status, c.FirstResponseAt)
	}
	e.clock.Advance(time.Minute)
	e.add(t, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByBot, Body: "An agent will be with you shortly"})
	if c := e.reload(t, conv.ID); c.Status != ticket.StatusNew || c.FirstResponseAt != nil {
		t.Fatalf("after a bot message: status %s, first_response_at %v; want new and unset", c.Status, c.FirstResponseAt)
	}

	first := e.clock.Advance(time.Minute)
	e.reply(t, conv.ID, ag.ID, "Your deposit is confirming")
	c := e.reload(t, conv.ID)
	if c.Status != ticket.StatusOpen || c.FirstResponseAt == nil || !c.FirstResponseAt.Equal(first) {
		t.Fatalf("after first reply: status %s, first_response_at %v; want open and %v", c.Status, c.FirstResponseAt, first)
	}

	e.clock.Advance(time.Hour)
	e.reply(t, conv.ID, ag.ID, "It has arrived")
	if c := e.reload(t, conv.ID); !c.FirstResponseAt.Equal(first) {
		t.Errorf("a later reply moved first_response_at to %v, want %v", c.FirstResponseAt, first)
	}
}

func TestReplyWithStatus(t *testing.T) {
	tests := []struct {
		name     string
		from     ticket.Status
		status   ticket.Status
		want     ticket.Status
		wantKind apperr.Kind // Internal means success
	}{
		{"new reply and set pending", ticket.StatusNew, ticket.StatusPending, ticket.StatusPending, apperr.Internal},
		{"open reply and solve", ticket.StatusOpen, ticket.StatusSolved, ticket.StatusSolved, apperr.Internal},
		{"on hold reply and keep", ticket.StatusOnHold, ticket.StatusOnHold, ticket.StatusOnHold, apperr.Internal},
		{"open reply and close skips solved", ticket.StatusOpen, ticket.StatusClosed, ticket.StatusOpen, apperr.Conflict},
		{"reply cannot make a conversation new", ticket.StatusPending, ticket.StatusNew, ticket.StatusPending, apperr.Conflict},
		{"unknown status", ticket.StatusOpen, "archived", ticket.StatusOpen, apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			ag := e.agent(t, "sam@desk.test")
			conv, _ := e.open(t, cust.ID)
			e.driveTo(t, conv.ID, tt.from)
			before := e.reload(t, conv.ID)
			rows := e.counts(t)
			at := e.clock.Advance(time.Minute)

			_, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent,
				AuthorID: ag.ID, Body: "Please send the txid", Status: ptr(tt.status)})
			got := e.reload(t, conv.ID)
			if tt.wantKind != apperr.Internal {
				wantKind(t, err, tt.wantKind)
				if diff := cmp.Diff(before, got, cmpOpts...); diff != "" {
					t.Errorf("refused reply changed the conversation (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
					t.Errorf("refused reply wrote rows (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("status = %s, want %s", got.Status, tt.want)
			}
			if tt.want == ticket.StatusSolved && (got.SolvedAt == nil || !got.SolvedAt.Equal(at)) {
				t.Errorf("solved_at = %v, want %v", got.SolvedAt, at)
			}
			if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(at) {
				t.Errorf("first_response_at = %v, want %v", got.FirstResponseAt, at)
			}
		})
	}
}

func TestInvalidTransitionsChangeNothing(t *testing.T) {
	tests := []struct {
		from, to ticket.Status
		kind     apperr.Kind
	}{
		{ticket.StatusClosed, ticket.StatusOpen, apperr.Conflict},
		{ticket.StatusClosed, ticket.StatusSolved, apperr.Conflict},
		{ticket.StatusOpen, ticket.StatusNew, apperr.Conflict},
		{ticket.StatusPending, ticket.StatusClosed, apperr.Conflict},
		{ticket.StatusNew, ticket.StatusClosed, apperr.Conflict},
		{ticket.StatusOpen, "archived", apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s to %s", tt.from, tt.to), func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			conv, _ := e.open(t, cust.ID)
			e.driveTo(t, conv.ID, tt.from)
			before := e.reload(t, conv.ID)
			rows := e.counts(t)
			sub := e.bus.Subscribe("test", 16)
			e.clock.Advance(time.Minute)

			_, err := e.tickets.Update(e.ctx, conv.ID, ticket.Patch{Status: ptr(tt.to), Priority: ptr("urgent")})
			wantKind(t, err, tt.kind)
			if diff := cmp.Diff(before, e.reload(t, conv.ID), cmpOpts...); diff != "" {
				t.Errorf("refused update changed the conversation (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("refused update wrote rows (-before +after):\n%s", diff)
			}
			if evs := drain(sub); len(evs) != 0 {
				t.Errorf("refused update published %v", evs)
			}
		})
	}
}

func TestMessageToClosedConversationRefused(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	ag := e.agent(t, "sam@desk.test")
	conv, _ := e.open(t, cust.ID)
	e.driveTo(t, conv.ID, ticket.StatusClosed)
	before := e.reload(t, conv.ID)
	if before.ClosedAt == nil {
		t.Fatal("closing did not stamp closed_at")
	}
	rows := e.counts(t)
	for _, in := range []ticket.MessageInput{
		{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "hello?"},
		{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: ag.ID, Body: "note", Internal: true},
	} {
		_, err := e.tickets.AddMessage(e.ctx, in)
		wantKind(t, err, apperr.Conflict)
		if ae, _ := apperr.As(err); ae.Code != "conversation.closed" {
			t.Errorf("code = %q, want conversation.closed", ae.Code)
		}
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("refused messages wrote rows (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before, e.reload(t, conv.ID), cmpOpts...); diff != "" {
		t.Errorf("refused messages changed the conversation (-before +after):\n%s", diff)
	}
}

func TestExternalIDDeduplicates(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	other, _ := e.open(t, cust.ID)
	in := ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "tx hash attached", ExternalID: "tg:991"}

	first := e.add(t, in)
	sub := e.bus.Subscribe("test", 16)
	rows := e.counts(t)
	e.clock.Advance(time.Minute)
	again := e.add(t, in)
	if diff := cmp.Diff(first, again, cmpOpts...); diff != "" {
		t.Errorf("redelivery returned a different message (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("redelivery wrote rows (-before +after):\n%s", diff)
	}
	if evs := drain(sub); len(evs) != 0 {
		t.Errorf("redelivery published %v", evs)
	}
	if c := e.reload(t, conv.ID); c.LastSeq != 2 {
		t.Errorf("last_seq = %d after a redelivery, want 2", c.LastSeq)
	}

	// The same id in another conversation is another message.
	in.ConversationID = other.ID
	if m := e.add(t, in); m.ID == first.ID || m.Seq != 2 {
		t.Errorf("same external id in another conversation: got message %d seq %d, want a new message with seq 2", m.ID, m.Seq)
	}

	// A conversation closed since still answers a late redelivery with the
	// stored message; a new message to it is refused.
	e.driveTo(t, conv.ID, ticket.StatusClosed)
	in.ConversationID = conv.ID
	m, created, err := e.tickets.AddMessageOnce(e.ctx, in)
	if err != nil || created || m.ID != first.ID {
		t.Errorf("redelivery to a closed conversation: message %d created %v err %v, want message %d, not created", m.ID, created, err, first.ID)
	}
	in.ExternalID = "tg:992"
	_, _, err = e.tickets.AddMessageOnce(e.ctx, in)
	wantKind(t, err, apperr.Conflict)
}

func TestConcurrentRedeliveriesYieldOneMessage(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	const rounds, n = 10, 8
	for r := range rounds {
		ext := fmt.Sprintf("tg:%d", r)
		got := make([]ticket.Message, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID,
					AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "hello " + ext, ExternalID: ext})
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d delivery %d: %v", r, i, errs[i])
			}
			if got[i].ID != got[0].ID || got[i].Seq != int64(r+2) {
				t.Fatalf("round %d delivery %d got message %d seq %d, want message %d seq %d", r, i, got[i].ID, got[i].Seq, got[0].ID, r+2)
			}
		}
	}
	if ms := e.messages(t, conv.ID); len(ms) != 1+rounds {
		t.Errorf("%d messages after %d rounds of %d deliveries, want %d", len(ms), rounds, n, 1+rounds)
	}
}

func TestValidationWritesNothing(t *testing.T) {
	tags21 := make([]string, 21)
	for i := range tags21 {
		tags21[i] = fmt.Sprintf("t%d", i)
	}
	tests := []struct {
		name string
		open func(*ticket.OpenInput)    // when set, Open is called with the edited input
		msg  func(*ticket.MessageInput) // otherwise AddMessage to an existing conversation
		kind apperr.Kind
	}{
		{name: "open: empty body", open: func(in *ticket.OpenInput) { in.Message.Body = " \n\t " }},
		{name: "open: body over MaxBody", open: func(in *ticket.OpenInput) { in.Message.Body = strings.Repeat("a", ticket.MaxBody+1) }},
		{name: "open: invalid UTF-8", open: func(in *ticket.OpenInput) { in.Message.Body = "deposit \xff\xfe" }},
		{name: "open: unknown category", open: func(in *ticket.OpenInput) { in.Category = "nft" }},
		{name: "open: unknown channel", open: func(in *ticket.OpenInput) { in.Channel = "fax" }},
		{name: "open: unknown language", open: func(in *ticket.OpenInput) { in.Language = "fr" }},
		{name: "open: priority above urgent", open: func(in *ticket.OpenInput) { in.Priority = ticket.Urgent + 1 }},
		{name: "open: negative priority", open: func(in *ticket.OpenInput) { in.Priority = -1 }},
		{name: "open: 21 tags", open: func(in *ticket.OpenInput) { in.Tags = tags21 }},
		{name: "open: tag with a space", open: func(in *ticket.OpenInput) { in.Tags = []string{"big deposit"} }},
		{name: "open: subject over 200 characters", open: func(in *ticket.OpenInput) { in.Subject = strings.Repeat("日", 201) }},
		{name: "open: txid over 200 bytes", open: func(in *ticket.OpenInput) { in.Crypto.TxID = strings.Repeat("f", 201) }},
		{name: "open: customer writes internal note", open: func(in *ticket.OpenInput) { in.Message.Internal = true }},
		{name: "open: no customer", open: func(in *ticket.OpenInput) { in.CustomerID = 0 }},
		{name: "open: unknown team", open: func(in *ticket.OpenInput) { in.TeamID = 999 }},
		{name: "open: unknown assignee", open: func(in *ticket.OpenInput) { in.AssigneeID = 999 }},
		{name: "open: unknown customer", open: func(in *ticket.OpenInput) { in.CustomerID = 999 }, kind: apperr.NotFound},
		{name: "message: empty body", msg: func(in *ticket.MessageInput) { in.Body = "   " }},
		{name: "message: body over MaxBody", msg: func(in *ticket.MessageInput) { in.Body = strings.Repeat("币", ticket.MaxBody/3+1) }},
		{name: "message: invalid UTF-8", msg: func(in *ticket.MessageInput) { in.Body = "\xc3\x28" }},
		{name: "message: customer writes internal note", msg: func(in *ticket.MessageInput) { in.Internal = true }},
		{name: "message: unknown author kind", msg: func(in *ticket.MessageInput) { in.AuthorKind = "robot" }},
		{name: "message: 11 attachments", msg: func(in *ticket.MessageInput) { in.AttachmentIDs = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} }},
		{name: "message: unknown attachment", msg: func(in *ticket.MessageInput) { in.AttachmentIDs = []int64{42} }},
		{name: "message: unknown conversation", msg: func(in *ticket.MessageInput) { in.ConversationID = 999 }, kind: apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cust := e.customer(t, "Alice")
			conv, _ := e.open(t, cust.ID)
			before := e.reload(t, conv.ID)
			rows := e.counts(t)
			sub := e.bus.Subscribe("test", 16)
			want := tt.kind
			if want == apperr.Internal {
				want = apperr.Invalid
			}
			var err error
			if tt.open != nil {
				in := ticket.OpenInput{CustomerID: cust.ID, Channel: "email", Priority: ticket.Normal,
					Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "Deposit missing"}}
				tt.open(&in)
				_, _, err = e.tickets.Open(e.ctx, in)
			} else {
				in := ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "hello"}
				tt.msg(&in)
				_, err = e.tickets.AddMessage(e.ctx, in)
			}
			wantKind(t, err, want)
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("rejected input wrote rows (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(before, e.reload(t, conv.ID), cmpOpts...); diff != "" {
				t.Errorf("rejected input changed the existing conversation (-before +after):\n%s", diff)
			}
			if evs := drain(sub); len(evs) != 0 {
				t.Errorf("rejected input published %v", evs)
			}
		})
	}
}

func TestMessagesAfterSeq(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "Alice")
	conv, _ := e.open(t, cust.ID)
	for i := 2; i <= 6; i++ {
		e.clock.Advance(time.Second)
		e.say(t, conv.ID, cust.ID, fmt.Sprintf("message %d", i))
	}
	tests := []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 0, []int64{1, 2, 3, 4, 5, 6}},
		{3, 0, []int64{4, 5, 6}},
		{5, 0, []int64{6}},
		{6, 0, []int64{}},
		{99, 0, []int64{}},
		{1, 2, []int64{2, 3}},
	}
	for _, tt := range tests {
		ms, err := e.tickets.Messages(e.ctx, all, conv.ID, ticket.MessagesFilter{AfterSeq: tt.after, Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, seqs(ms)); diff != "" {
			t.Errorf("AfterSeq %d limit %d (-want +got):\n%s", tt.after, tt.limit, diff)
		}
		for _, m := range ms {
			if want := fmt.Sprintf("message %d", m.Seq); m.Seq > 1 && m.Body != want {
				t.Errorf("seq %d body %q, want %q", m.Seq, m.Body, want)
			}
		}
	}
}

func TestWriterOutsideTheConversationIsRefused(t *testing.T) {
	e := newEnv(t)
	alice, mallory := e.customer(t, "Alice"), e.customer(t, "Mallory")
	conv, _ := e.open(t, alice.ID)
	rows := e.counts(t)
	in := ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: mallory.ID, Body: "send me the code",
		Writer: &ticket.Scope{CustomerID: mallory.ID}}
	if _, err := e.tickets.AddMessage(e.ctx, in); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another customer's message: err = %v, want not found", err)
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("a refused message wrote rows (-before +after):\n%s", diff)
	}
	in.AuthorID, in.Writer = alice.ID, &ticket.Scope{CustomerID: alice.ID}
	if m := e.add(t, in); m.Seq != 2 {
		t.Errorf("the owner's message got seq %d, want 2", m.Seq)
	}
}
