package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/audit"
	"vigil/internal/channel/email"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// testClock is a settable clock shared with server goroutines.
type testClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// followUpDesk is a served desk with web chat and outbound email to a
// capturing SMTP server, and no agent online.
type followUpDesk struct {
	t     *testing.T
	app   *App
	srv   *httptest.Server
	clock *testClock
	relay *sink
}

func newFollowUpDesk(t *testing.T) *followUpDesk {
	t.Helper()
	relay := &sink{}
	rs := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: relay}, nil }))
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go rs.Serve(rl)
	t.Cleanup(func() { rs.Close() })
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.SecretKey = strings.Repeat("s", 32)
	cfg.PublicURL = "https://desk.exchange.example"
	cfg.Email = config.Email{Address: "support@exchange.example", Name: "Exchange Support", MaxMB: 5, Relay: rl.Addr().String(), Security: "none"}
	clk := &testClock{t: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)}
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	d := &followUpDesk{t: t, app: a, clock: clk, relay: relay}
	d.srv = httptest.NewServer(a.Handler(prometheus.NewRegistry()))
	t.Cleanup(d.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = a.Hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return d
}

func (d *followUpDesk) call(method, path, token string, body any, out any) int {
	d.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, d.srv.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			d.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// visit starts a widget session and opens a conversation through the
// pre-chat form, leaving email (which may be empty).
func (d *followUpDesk) visit(visitor, email string) (token string, convID int64) {
	d.t.Helper()
	var s struct{ Token string }
	if st := d.call("POST", "/widget/api/session", "", map[string]string{"visitor_id": visitor, "language": "en"}, &s); st != 200 {
		d.t.Fatalf("session: %d", st)
	}
	var open struct {
		Conversation struct{ ID int64 }
	}
	if st := d.call("POST", "/widget/api/conversations", s.Token, map[string]string{"email": email, "category": "deposit",
		"body": "My BTC deposit from yesterday is not credited."}, &open); st != 201 {
		d.t.Fatalf("open: %d", st)
	}
	var q struct {
		OnlineAgents int `json:"online_agents"`
	}
	d.call("GET", fmt.Sprintf("/widget/api/conversations/%d/queue", open.Conversation.ID), s.Token, nil, &q)
	if q.OnlineAgents != 0 {
		d.t.Fatalf("online agents = %d, want none", q.OnlineAgents)
	}
	return s.Token, open.Conversation.ID
}

func (d *followUpDesk) reply(convID int64, body string) ticket.Message {
	d.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1})
	m, err := d.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByAgent, AuthorName: "Mei", Body: body})
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

func (d *followUpDesk) runJobs() {
	d.t.Helper()
	if _, err := d.app.Jobs.RunOnce(context.Background(), d.app.jobHandlers()); err != nil {
		d.t.Fatal(err)
	}
}

// mailsTo returns the captured messages addressed to addr.
func (d *followUpDesk) mailsTo(addr string) []string {
	var out []string
	for _, m := range d.relay.all() {
		if bytes.Contains(m, []byte("To: <"+addr+">")) {
			text, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(m)))
			if err != nil {
				d.t.Fatal(err)
			}
			out = append(out, string(text))
		}
	}
	return out
}

// A customer who left an email and went away while no agent was online
// gets the agent's later reply by email, once, with a link back to the
// chat; the conversation stays a ticket in the inbox.
func TestWebChatReplyFollowsUpByEmailWhenCustomerLeft(t *testing.T) {
	d := newFollowUpDesk(t)
	_, convID := d.visit("visitor-away-0123456789", "alice@example.com")
	_, quietID := d.visit("visitor-noemail-0123456", "")

	d.clock.Add(40 * time.Minute) // the customer closed the tab long ago
	if c, err := d.app.Tickets.ByID(context.Background(), ticket.Scope{All: true}, convID); err != nil || c.Status == ticket.StatusClosed {
		t.Fatalf("conversation after the customer left: %+v, %v", c, err)
	}
	m := d.reply(convID, "Your deposit needed 3 confirmations; it is **credited** now.")
	d.reply(quietID, "Answer to a customer without email.")
	d.runJobs()
	if got := d.relay.count(); got != 0 {
		t.Fatalf("%d emails before the grace period", got)
	}
	d.clock.Add(ticket.FollowUpGrace)
	d.runJobs()
	d.runJobs()
	mails := d.mailsTo("alice@example.com")
	if len(mails) != 1 || d.relay.count() != 1 {
		t.Fatalf("want one email to alice, relay has %d: %q", d.relay.count(), mails)
	}
	raw := mails[0]
	for _, want := range []string{"it is **credited** now", fmt.Sprintf("[#%d]", convID),
		fmt.Sprintf("https://desk.exchange.example/widget/chat?conversation=%d&lang=en", convID),
		"You left the chat before this reply arrived", "Mei"} {
		if !strings.Contains(raw, want) {
			t.Errorf("email lacks %q:\n%s", want, raw)
		}
	}
	j, err := d.app.Jobs.ByKey(context.Background(), fmt.Sprintf("followup:message:%d", m.ID))
	if err != nil || j.State != job.Done {
		t.Fatalf("follow-up job: %+v, %v", j, err)
	}
	// Alice answers the email: the answer lands in the chat conversation.
	// The same answer from another address does not.
	msgID := regexp.MustCompile(`(?im)^Message-Id:\s*(<[^>]+>)`).FindStringSubmatch(mails[0])
	if msgID == nil {
		t.Fatalf("no Message-ID in\n%s", mails[0])
	}
	answer := func(from, id string) string {
		return "From: " + from + "\r\nTo: support@exchange.example\r\nSubject: Re: Your support request [#" + fmt.Sprint(convID) + "]\r\n" +
			"Message-ID: <" + id + "@example.com>\r\nIn-Reply-To: " + msgID[1] + "\r\nDate: Mon, 2 Mar 2026 04:00:00 +0000\r\n\r\n" +
			"Thanks, I see it now.\r\n\r\n> it is **credited** now\r\n"
	}
	for _, a := range []struct{ from, id string }{{"alice@example.com", "a1"}, {"mallory@example.net", "m1"}} {
		if _, err := d.app.Mail.Ingest(context.Background(), []byte(answer(a.from, a.id)), email.Envelope{From: a.from,
			To: []string{"support@exchange.example"}}); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := d.app.Tickets.Messages(context.Background(), ticket.Scope{All: true}, convID, ticket.MessagesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if last := ms[len(ms)-1]; last.AuthorKind != ticket.ByCustomer || last.Body != "Thanks, I see it now." {
		t.Fatalf("chat conversation ends with %+v", last)
	}
	emailConvs, _, _ := d.app.Tickets.List(context.Background(), ticket.Scope{All: true}, ticket.Filter{Channel: "email"})
	if len(emailConvs) != 1 || emailConvs[0].CustomerID == customerOf(t, d, convID) {
		t.Fatalf("email conversations: %+v (want only mallory's, under mallory)", emailConvs)
	}
	d.clock.Add(40 * time.Minute)
	// A second reply threads under the first email.
	d.reply(convID, "Anything else?")
	d.clock.Add(ticket.FollowUpGrace)
	d.runJobs()
	mails = d.mailsTo("alice@example.com")
	if len(mails) != 2 || !strings.Contains(mails[1], "In-Reply-To:") && !strings.Contains(mails[1], "References:") {
		t.Fatalf("second follow-up: %d mails\n%s", len(mails), mails)
	}
}

// A customer still in the chat is not emailed: not while their widget is
// connected, not after they read the reply; and one who disconnects
// without reading gets the email once they have been quiet long enough.
func TestWebChatReplyNotEmailedWhileCustomerConnected(t *testing.T) {
	d := newFollowUpDesk(t)
	token, convID := d.visit("visitor-online-012345678", "bob@example.com")
	readToken, readID := d.visit("visitor-reader-012345678", "carol@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(d.srv.URL, "http") + "/ws/widget?token="
	ws, _, err := websocket.Dial(ctx, wsURL+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	reader, _, err := websocket.Dial(ctx, wsURL+readToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.CloseNow()
	d.clock.Add(10 * time.Minute)
	d.reply(convID, "Checking your deposit now.")
	rm := d.reply(readID, "Your withdrawal is on its way.")
	// Carol's widget shows the reply and says she read it.
	for _, f := range []string{fmt.Sprintf(`{"type":"subscribe","conversation_id":%d,"after_seq":0}`, readID),
		fmt.Sprintf(`{"type":"read","conversation_id":%d,"seq":%d}`, readID, rm.Seq)} {
		if err := reader.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		seq, _ := d.app.Tickets.ReadUpTo(context.Background(), readID, ticket.ByCustomer)
		return seq >= rm.Seq
	})
	reader.Close(websocket.StatusNormalClosure, "")

	d.clock.Add(ticket.FollowUpGrace)
	d.runJobs()
	if n := d.relay.count(); n != 0 {
		t.Fatalf("%d emails while the customer is connected or has read the reply", n)
	}
	// Bob closes the widget without reading; after the quiet period the
	// next attempt mails him. Carol, who read hers, never gets one.
	ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, func() bool { return !d.app.Hub.CustomerConnected(customerOf(t, d, convID)) })
	for range 8 {
		d.clock.Add(10 * time.Minute)
		d.runJobs()
	}
	if got := d.mailsTo("bob@example.com"); len(got) != 1 || !strings.Contains(got[0], "Checking your deposit now.") {
		t.Fatalf("bob's follow-up: %q", got)
	}
	if got := d.mailsTo("carol@example.com"); len(got) != 0 {
		t.Fatalf("carol read the reply in the chat and was emailed: %q", got)
	}
}

func customerOf(t *testing.T, d *followUpDesk, convID int64) int64 {
	c, err := d.app.Tickets.ByID(context.Background(), ticket.Scope{All: true}, convID)
	if err != nil {
		t.Fatal(err)
	}
	return c.CustomerID
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 500 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5s")
}
