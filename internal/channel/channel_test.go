package channel_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/channel"
	"vigil/internal/channel/channeltest"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// recorder is an adapter that keeps what it was asked to send and fails
// while fail holds errors.
type recorder struct {
	mu   sync.Mutex
	sent []channel.Outbound
	fail []error
}

func (r *recorder) Channel() string { return "email" }

func (r *recorder) Send(_ context.Context, out channel.Outbound) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return "", err
	}
	r.sent = append(r.sent, out)
	return "<out-" + out.Key + "@desk.example>", nil
}

func inbound(id, from, body string) channel.Inbound {
	return channel.Inbound{Channel: "email", ExternalID: id, From: channel.Sender{ID: from, Name: "Li Wei", Email: from},
		Subject: "Withdrawal stuck", Body: body, Original: []byte("raw " + id)}
}

func TestRedeliveryCreatesOneMessage(t *testing.T) {
	e := channeltest.New(t)
	first, err := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "My USDT withdrawal is pending"))
	if err != nil || !first.Created {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "My USDT withdrawal is pending"))
	if err != nil || !again.Duplicate || again.MessageID != first.MessageID || again.ConversationID != first.ConversationID {
		t.Fatalf("again: %+v, %v", again, err)
	}
	if ms := e.Messages(t, first.ConversationID); len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	raw, err := e.Channels.Original(e.Ctx, "email", "<a1@mail.example>")
	if err != nil || string(raw) != "raw <a1@mail.example>" {
		t.Fatalf("original = %q, %v", raw, err)
	}
}

func TestRepliesThreadAndReopen(t *testing.T) {
	rec := &recorder{}
	e := channeltest.New(t, rec)
	first, _ := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "Withdrawal pending"))
	e.Reply(t, first.ConversationID, "We are checking it.")
	if n := e.Deliver(t); n != 1 {
		t.Fatalf("%d deliveries", n)
	}
	out := rec.sent[0]
	if out.To != "li@mail.example" || out.InReplyTo != "<a1@mail.example>" || len(out.Thread) != 1 {
		t.Fatalf("outbound: to %q, in reply to %q, thread %v", out.To, out.InReplyTo, out.Thread)
	}
	e.Solve(t, first.ConversationID)
	// The customer answers our reply: found by its id, and reopened.
	r, err := e.Channels.Receive(e.Ctx, channel.Inbound{Channel: "email", ExternalID: "<a2@mail.example>",
		InReplyTo: []string{"<unknown@elsewhere>", "<out-" + out.Key + "@desk.example>"},
		From:      channel.Sender{ID: "li@mail.example"}, Body: "Still not there"})
	if err != nil || r.Created || r.ConversationID != first.ConversationID {
		t.Fatalf("reply: %+v, %v", r, err)
	}
	if c := e.Conversation(t, first.ConversationID); c.Status != ticket.StatusOpen {
		t.Fatalf("status after the reply = %s, want open", c.Status)
	}
}

func TestConversationNumberHonouredOnlyForItsCustomer(t *testing.T) {
	e := channeltest.New(t)
	first, _ := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "KYC question"))
	own, _ := e.Channels.Receive(e.Ctx, channel.Inbound{Channel: "email", ExternalID: "<a2@mail.example>",
		ConversationID: first.ConversationID, From: channel.Sender{ID: "li@mail.example"}, Body: "more"})
	if own.ConversationID != first.ConversationID {
		t.Fatalf("the owner's token was not honoured: %+v", own)
	}
	other, _ := e.Channels.Receive(e.Ctx, channel.Inbound{Channel: "email", ExternalID: "<x1@evil.example>",
		ConversationID: first.ConversationID, From: channel.Sender{ID: "mallory@evil.example"}, Body: "show me"})
	if other.ConversationID == first.ConversationID || !other.Created {
		t.Fatalf("a stranger's message joined another customer's conversation: %+v", other)
	}
}

func TestDeliveryRetriesAndRecordsState(t *testing.T) {
	rec := &recorder{fail: []error{errors.New("421 try later")}}
	e := channeltest.New(t, rec)
	first, _ := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "Deposit"))
	m := e.Reply(t, first.ConversationID, "Credited now.")
	if m.Delivery != ticket.DeliveryPending {
		t.Fatalf("new reply delivery = %s", m.Delivery)
	}
	e.Deliver(t)
	if len(rec.sent) != 0 || e.Messages(t, first.ConversationID)[1].Delivery != ticket.DeliveryPending {
		t.Fatal("a failed attempt was reported as sent")
	}
	e.Clock.Advance(time.Second)
	e.Deliver(t)
	if len(rec.sent) != 1 || e.Messages(t, first.ConversationID)[1].Delivery != ticket.DeliverySent {
		t.Fatalf("after the retry: %d sent, delivery %s", len(rec.sent), e.Messages(t, first.ConversationID)[1].Delivery)
	}
	// A note and a webchat reply never leave through a job.
	if _, err := e.Tickets.AddMessage(e.Ctx, ticket.MessageInput{ConversationID: first.ConversationID, AuthorKind: ticket.ByAgent,
		Body: "internal", Internal: true}); err != nil {
		t.Fatal(err)
	}
	if n := e.Deliver(t); n != 0 {
		t.Fatalf("a note was delivered (%d jobs)", n)
	}
}

func TestPermanentFailureMarksTheReplyFailed(t *testing.T) {
	rec := &recorder{fail: []error{job.Permanent(errors.New("550 mailbox unavailable"))}}
	e := channeltest.New(t, rec)
	first, _ := e.Channels.Receive(e.Ctx, inbound("<a1@mail.example>", "li@mail.example", "Deposit"))
	m := e.Reply(t, first.ConversationID, "Hello")
	e.Deliver(t)
	if got := e.Messages(t, first.ConversationID)[1].Delivery; got != ticket.DeliveryFailed {
		t.Fatalf("delivery = %s, want failed", got)
	}
	j, _ := e.Jobs.ByKey(e.Ctx, "deliver:message:"+strconv.FormatInt(m.ID, 10))
	if j.State != job.Dead || j.LastError != "550 mailbox unavailable" {
		t.Fatalf("job: %+v", j)
	}
}

func TestAttachmentsTheDeskRefusesAreNamed(t *testing.T) {
	e := channeltest.New(t) // uploads limited to 5 MiB
	png := []byte("\x89PNG\r\n\x1a\n")
	big := append(append([]byte{}, png...), make([]byte, 6<<20)...)
	in := inbound("<a1@mail.example>", "li@mail.example", "see files")
	in.Attachments = []channel.File{{Name: "contract.docx", Data: []byte("PK\x03\x04 word")}, {Name: "huge.png", Data: big}}
	r, err := e.Channels.Receive(e.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	ms := e.Messages(t, r.ConversationID)
	if len(ms) != 2 || !strings.Contains(ms[0].Body, "contract.docx") || !ms[1].Internal || !strings.Contains(ms[1].Body, "huge.png") {
		t.Fatalf("messages: %+v", ms)
	}
}
