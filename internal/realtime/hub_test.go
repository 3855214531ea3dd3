package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"vigil/internal/event"
	"vigil/internal/realtime"
)

// fakeBackend stores messages in memory and publishes them like the ticket
// service does: after "commit", on the bus.
type fakeBackend struct {
	bus  event.Bus
	mu   sync.Mutex
	msgs map[int64][]realtime.Message // conversation → thread
	conv map[int64]event.Scope
	sent map[string]realtime.Message // client id → message
	// delay slows History to widen the race with live events.
	delay time.Duration
}

func newBackend(bus event.Bus) *fakeBackend {
	return &fakeBackend{bus: bus, msgs: map[int64][]realtime.Message{}, conv: map[int64]event.Scope{}, sent: map[string]realtime.Message{}}
}

func (b *fakeBackend) sees(v realtime.Viewer, s event.Scope) bool {
	switch {
	case v.Kind == "agent" && v.SeesAll:
		return true
	case v.Kind == "agent":
		for _, t := range v.TeamIDs {
			if t == s.TeamID {
				return true
			}
		}
		return s.TeamID == 0 || s.AssigneeID == v.AgentID
	}
	return v.CustomerID == s.CustomerID
}

func (b *fakeBackend) CanSee(_ context.Context, v realtime.Viewer, id int64) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.conv[id]
	return ok && b.sees(v, s), nil
}

func (b *fakeBackend) History(_ context.Context, v realtime.Viewer, id, after int64, limit int) ([]realtime.Message, error) {
	time.Sleep(b.delay)
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []realtime.Message
	for _, m := range b.msgs[id] {
		if m.Seq > after && (v.Kind == "agent" || !m.Internal) && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (b *fakeBackend) Send(_ context.Context, v realtime.Viewer, id int64, body, clientID string) (realtime.Message, error) {
	b.mu.Lock()
	if m, ok := b.sent[clientID]; ok && clientID != "" {
		b.mu.Unlock()
		return m, nil
	}
	b.mu.Unlock()
	m := b.add(id, v.Kind, body, false)
	b.mu.Lock()
	b.sent[clientID] = m
	b.mu.Unlock()
	return m, nil
}

func (b *fakeBackend) MarkRead(context.Context, realtime.Viewer, int64, int64) error { return nil }

// add stores a message and publishes it after "commit".
func (b *fakeBackend) add(id int64, author, body string, internal bool) realtime.Message {
	b.mu.Lock()
	m := realtime.Message{ID: int64(len(b.msgs[id]) + 1), ConversationID: id, Seq: int64(len(b.msgs[id]) + 1),
		AuthorKind: author, Internal: internal, Body: body, BodyHTML: "<p>" + body + "</p>"}
	b.msgs[id] = append(b.msgs[id], m)
	scope := b.conv[id]
	b.mu.Unlock()
	b.bus.Publish(context.Background(), event.MessageCreated{Scope: scope, MessageID: m.ID, Seq: m.Seq, AuthorKind: author,
		Internal: internal, Body: body, BodyHTML: m.BodyHTML})
	return m
}

type testHub struct {
	t       *testing.T
	bus     *event.Memory
	backend *fakeBackend
	hub     *realtime.Hub
	srv     *httptest.Server
	viewers map[string]realtime.Viewer
}

func newHub(t *testing.T, o realtime.Options) *testHub {
	bus := event.NewMemory()
	b := newBackend(bus)
	o.Bus, o.Backend = bus, b
	h := &testHub{t: t, bus: bus, backend: b, hub: realtime.New(o), viewers: map[string]realtime.Viewer{
		"alice":   {Kind: "customer", CustomerID: 1, Name: "Alice"},
		"bob":     {Kind: "customer", CustomerID: 2, Name: "Bob"},
		"agentA":  {Kind: "agent", AgentID: 10, TeamIDs: []int64{1}, Name: "Ann"},
		"agentB":  {Kind: "agent", AgentID: 11, TeamIDs: []int64{2}, Name: "Ben"},
		"agentA2": {Kind: "agent", AgentID: 12, TeamIDs: []int64{1}, Name: "Ada"},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.hub.Run(ctx)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := h.viewers[r.URL.Query().Get("as")]
		if !ok {
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		h.hub.ServeWS(w, r, v, nil, nil)
	}))
	t.Cleanup(h.srv.Close)
	// Conversation 1: Alice's, team 1. Conversation 2: Bob's, team 2.
	b.conv[1] = event.Scope{ConversationID: 1, CustomerID: 1, TeamID: 1}
	b.conv[2] = event.Scope{ConversationID: 2, CustomerID: 2, TeamID: 2}
	return h
}

// client reads frames in the background: a Read whose context expires
// closes a coder/websocket connection, so waits happen on the channel.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	err    error // set before frames is closed
}

func (h *testHub) dial(as string) *client {
	h.t.Helper()
	ws, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/?as="+as, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { ws.CloseNow() })
	c := &client{t: h.t, ws: ws, frames: make(chan frame, 4096)}
	go func() {
		defer close(c.frames)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				c.err = err
				return
			}
			if f.Type == "message" {
				err = json.Unmarshal(f.Raw, &f.Message)
			} else if len(f.Raw) > 0 {
				err = json.Unmarshal(f.Raw, &f.Text)
			}
			if err != nil {
				c.err = fmt.Errorf("%s: %w", b, err)
				return
			}
			c.frames <- f
		}
	}()
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

type frame struct {
	Type           string            `json:"type"`
	Code           string            `json:"code"`
	ConversationID int64             `json:"conversation_id"`
	Raw            json.RawMessage   `json:"message"`
	Message        realtime.Message  `json:"-"` // of a "message" frame
	Text           string            `json:"-"` // of an "error" frame
	ClientID       string            `json:"client_id"`
	Seq            int64             `json:"seq"`
	Changes        map[string]string `json:"changes"`
	Agents         []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"agents"`
}

var errTimeout = errors.New("no frame before the timeout")

// next returns the next frame, the connection's error once it has ended,
// or errTimeout.
func (c *client) next(timeout time.Duration) (frame, error) {
	select {
	case f, ok := <-c.frames:
		if !ok {
			return frame{}, c.err
		}
		return f, nil
	case <-time.After(timeout):
		return frame{}, errTimeout
	}
}

// messages collects message frames until n have arrived (skipping others).
func (c *client) messages(n int) []int64 {
	c.t.Helper()
	var seqs []int64
	for len(seqs) < n {
		f, err := c.next(5 * time.Second)
		if err != nil {
			c.t.Fatalf("after %v: %v", seqs, err)
		}
		if f.Type == "message" {
			seqs = append(seqs, f.Message.Seq)
		}
	}
	return seqs
}

// quiet asserts no frame of the given type arrives for a moment.
func (c *client) quiet(typ string) {
	c.t.Helper()
	for {
		f, err := c.next(300 * time.Millisecond)
		if err != nil {
			return
		}
		if f.Type == typ {
			c.t.Fatalf("unexpected %s frame: %+v", typ, f)
		}
	}
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func equal(a, b []int64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestHistoryThenLiveWithoutDuplicates(t *testing.T) {
	h := newHub(t, realtime.Options{})
	h.backend.delay = 50 * time.Millisecond
	for i := range 5 {
		h.backend.add(1, "customer", fmt.Sprint("m", i), false)
	}
	c := h.dial("alice")
	c.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 2})
	// Live messages race with the slow history replay.
	go func() {
		for i := range 5 {
			h.backend.add(1, "agent", fmt.Sprint("live", i), false)
		}
	}()
	if got := c.messages(8); !equal(got, seqRange(3, 10)) {
		t.Fatalf("seqs = %v, want 3..10 exactly once in order", got)
	}
	c.quiet("message")
}

func TestResumeAfterReconnect(t *testing.T) {
	h := newHub(t, realtime.Options{})
	c := h.dial("alice")
	c.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	h.backend.add(1, "customer", "one", false)
	h.backend.add(1, "agent", "two", false)
	if got := c.messages(2); !equal(got, []int64{1, 2}) {
		t.Fatalf("first connection: %v", got)
	}
	c.ws.CloseNow() // the network drops
	h.backend.add(1, "agent", "three", false)
	h.backend.add(1, "agent", "four", false)
	c2 := h.dial("alice")
	c2.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 2})
	if got := c2.messages(2); !equal(got, []int64{3, 4}) {
		t.Fatalf("after reconnect: %v, want 3, 4", got)
	}
	c2.quiet("message")
}

func TestCustomerIsolationAndInternalNotes(t *testing.T) {
	h := newHub(t, realtime.Options{})
	bob := h.dial("bob")
	bob.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	f, err := bob.next(2 * time.Second)
	if err != nil || f.Type != "error" || f.Code != "forbidden" {
		t.Fatalf("bob subscribing to alice's conversation: %+v %v", f, err)
	}
	bob.send(map[string]any{"type": "subscribe_inbox"})
	if f, _ := bob.next(2 * time.Second); f.Code != "forbidden" {
		t.Fatalf("customer inbox: %+v", f)
	}
	alice := h.dial("alice")
	alice.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	h.backend.add(1, "customer", "hi", false)
	h.backend.add(1, "agent", "vip, be careful", true)
	h.backend.add(1, "agent", "hello", false)
	if got := alice.messages(2); !equal(got, []int64{1, 3}) {
		t.Fatalf("alice got %v, want 1 and 3 (2 is an internal note)", got)
	}
	bob.quiet("message")
	// A reconnecting customer's history skips the note too.
	again := h.dial("alice")
	again.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 1})
	if got := again.messages(1); !equal(got, []int64{3}) {
		t.Fatalf("resume: %v", got)
	}
}

func TestInboxScopedToTeams(t *testing.T) {
	h := newHub(t, realtime.Options{})
	a := h.dial("agentA")
	a.send(map[string]any{"type": "subscribe_inbox"})
	b := h.dial("agentB")
	b.send(map[string]any{"type": "subscribe_inbox"})
	time.Sleep(100 * time.Millisecond)
	h.bus.Publish(context.Background(), event.ConversationCreated{Scope: event.Scope{ConversationID: 2, CustomerID: 2, TeamID: 2}, Subject: "team B"})
	h.backend.add(2, "customer", "for team B", false)
	f, err := b.next(2 * time.Second)
	if err != nil || f.Type != "conversation" || f.ConversationID != 2 {
		t.Fatalf("team B agent: %+v %v", f, err)
	}
	if got := b.messages(1); !equal(got, []int64{1}) {
		t.Fatalf("team B agent inbox message: %v", got)
	}
	a.quiet("conversation")
	a.quiet("message")
	// A transfer to team 1 reaches team A's inbox.
	h.bus.Publish(context.Background(), event.ConversationChanged{Scope: event.Scope{ConversationID: 2, CustomerID: 2, TeamID: 1},
		PrevTeamID: 2, Changes: map[string]string{"team_id": "1"}})
	if f, err := a.next(2 * time.Second); err != nil || f.Type != "conversation" || f.Changes["team_id"] != "1" {
		t.Fatalf("transfer to team A: %+v %v", f, err)
	}
}

func TestTransferRevokesSubscription(t *testing.T) {
	h := newHub(t, realtime.Options{})
	b := h.dial("agentB")
	b.send(map[string]any{"type": "subscribe", "conversation_id": 2, "after_seq": 0})
	time.Sleep(100 * time.Millisecond)
	h.bus.Publish(context.Background(), event.ConversationChanged{Scope: event.Scope{ConversationID: 2, CustomerID: 2, TeamID: 1},
		PrevTeamID: 2, Changes: map[string]string{"team_id": "1"}})
	for {
		f, err := b.next(2 * time.Second)
		if err != nil {
			t.Fatal("no revoked frame")
		}
		if f.Type == "revoked" && f.ConversationID == 2 {
			break
		}
	}
	h.backend.add(2, "customer", "secret after transfer", false)
	b.quiet("message")
}

func TestMalformedAndOversizedFrames(t *testing.T) {
	h := newHub(t, realtime.Options{MaxFrame: 1024})
	c := h.dial("alice")
	for _, raw := range []string{`{"type":`, `{"type":"teleport"}`, `{"type":"subscribe"}`, `[1,2,3]`} {
		if err := c.ws.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		f, err := c.next(2 * time.Second)
		if err != nil || f.Type != "error" {
			t.Fatalf("%s: %+v %v", raw, f, err)
		}
	}
	c.send(map[string]any{"type": "ping"})
	if f, err := c.next(2 * time.Second); err != nil || f.Type != "pong" {
		t.Fatalf("connection did not survive bad frames: %+v %v", f, err)
	}
	_ = c.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping","body":"`+strings.Repeat("x", 4096)+`"}`))
	_, err := c.next(2 * time.Second)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v, want close 1009", err)
	}
}

func TestFloodIsLimitedThenClosed(t *testing.T) {
	h := newHub(t, realtime.Options{RatePerSecond: 1, Burst: 3})
	c := h.dial("alice")
	limited := false
	var closeErr error
	for i := 0; i < 100; i++ {
		// A write can fail once the server has closed; the close frame,
		// and with it the reason, is still there to read.
		if err := c.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			break
		}
	}
	for closeErr == nil {
		f, err := c.next(2 * time.Second)
		if err != nil {
			closeErr = err
			break
		}
		limited = limited || f.Code == "rate_limited"
	}
	if !limited || websocket.CloseStatus(closeErr) != websocket.StatusPolicyViolation {
		t.Fatalf("flood: limited=%v close=%v", limited, closeErr)
	}
}

func TestSlowConsumerDisconnectedOthersServed(t *testing.T) {
	h := newHub(t, realtime.Options{QueueSize: 16})
	// The slow agent subscribes and then never reads a frame.
	slow, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/?as=agentA", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	if err := slow.Write(context.Background(), websocket.MessageText, sub); err != nil {
		t.Fatal(err)
	}
	fast := h.dial("alice")
	fast.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	time.Sleep(100 * time.Millisecond)
	// Once the slow agent's socket buffers are full its queue fills and
	// it is cut off; the customer keeps receiving every message in order.
	var seq int64
	body := strings.Repeat("x", 15000)
	for round := 0; round < 2000 && h.hub.Stats().Dropped == 0; round++ {
		for range 10 {
			h.backend.add(1, "agent", body, false)
		}
		if got := fast.messages(10); !equal(got, seqRange(seq+1, seq+10)) {
			t.Fatalf("the fast client got %v, want %d..%d", got, seq+1, seq+10)
		}
		seq += 10
	}
	if h.hub.Stats().Dropped == 0 {
		t.Fatalf("slow consumer never disconnected after %d messages", seq)
	}
	h.backend.add(1, "agent", "after the cut", false)
	if got := fast.messages(1); !equal(got, []int64{seq + 1}) {
		t.Fatalf("after the slow consumer was dropped: %v", got)
	}
}

func TestTypingAndViewers(t *testing.T) {
	h := newHub(t, realtime.Options{})
	a := h.dial("agentA")
	a.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	alice := h.dial("alice")
	alice.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	a2 := h.dial("agentA2")
	a2.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	// Both agents learn who else is looking.
	for _, c := range []*client{a, a2} {
		for {
			f, err := c.next(2 * time.Second)
			if err != nil {
				t.Fatal("no viewers frame with both agents")
			}
			if f.Type == "viewers" && len(f.Agents) == 2 {
				break
			}
		}
	}
	alice.send(map[string]any{"type": "typing", "conversation_id": 1})
	for {
		f, err := a.next(2 * time.Second)
		if err != nil {
			t.Fatal("agent never saw the customer typing")
		}
		if f.Type == "typing" {
			break
		}
	}
	alice.quiet("typing") // not echoed to the typist
}

func TestSendIsIdempotentAndAcked(t *testing.T) {
	h := newHub(t, realtime.Options{})
	c := h.dial("alice")
	c.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	for range 2 { // a resend after a lost ack
		c.send(map[string]any{"type": "send", "conversation_id": 1, "body": "hello", "client_id": "abc"})
	}
	var acks, msgs int
	for acks < 2 {
		f, err := c.next(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == "ack" && f.Seq == 1 {
			acks++
		}
		if f.Type == "message" {
			msgs++
		}
	}
	for {
		f, err := c.next(300 * time.Millisecond)
		if err != nil {
			break
		}
		if f.Type == "message" {
			msgs++
		}
	}
	if msgs != 1 {
		t.Fatalf("the customer saw %d message frames for one message sent twice", msgs)
	}
	if len(h.backend.msgs[1]) != 1 {
		t.Fatalf("stored %d messages for one client id", len(h.backend.msgs[1]))
	}
}

func TestOriginChecked(t *testing.T) {
	h := newHub(t, realtime.Options{})
	hdr := http.Header{"Origin": []string{"https://evil.example"}}
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/?as=alice",
		&websocket.DialOptions{HTTPHeader: hdr})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin accepted: %v %v", err, resp)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	h := newHub(t, realtime.Options{})
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()
	var cs []*client
	for range 50 {
		c := h.dial("alice")
		c.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
		cs = append(cs, c)
	}
	for _, c := range cs {
		c.ws.Close(websocket.StatusNormalClosure, "")
	}
	deadline := time.Now().Add(5 * time.Second)
	for (runtime.NumGoroutine() > base+2 || h.hub.Stats().Connections != 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base+2 {
		t.Fatalf("goroutines: %d before, %d after closing 50 connections", base, n)
	}
	if st := h.hub.Stats(); st.Connections != 0 || st.Subscriptions != 0 {
		t.Fatalf("stats after close: %+v", st)
	}
}

func TestCustomersHearOnlyPublicChanges(t *testing.T) {
	h := newHub(t, realtime.Options{})
	alice := h.dial("alice")
	alice.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	agent := h.dial("agentA")
	agent.send(map[string]any{"type": "subscribe", "conversation_id": 1, "after_seq": 0})
	time.Sleep(100 * time.Millisecond)
	scope := event.Scope{ConversationID: 1, CustomerID: 1, TeamID: 1}
	h.bus.Publish(context.Background(), event.ConversationChanged{Scope: scope, PrevTeamID: 1,
		Changes: map[string]string{"priority": "urgent", "tags": "vip,fraud-check"}})
	h.bus.Publish(context.Background(), event.ConversationChanged{Scope: scope, PrevTeamID: 1,
		Changes: map[string]string{"status": "solved", "assignee_id": "10"}})
	for {
		f, err := alice.next(2 * time.Second)
		if err != nil {
			t.Fatal("customer never heard the status change")
		}
		if f.Type != "conversation" {
			continue
		}
		if fmt.Sprint(f.Changes) != "map[status:solved]" {
			t.Fatalf("customer heard %v, want only the status", f.Changes)
		}
		break
	}
	var seen []string
	for len(seen) < 2 {
		f, err := agent.next(2 * time.Second)
		if err != nil {
			t.Fatalf("agent heard %v, want both changes", seen)
		}
		if f.Type == "conversation" {
			seen = append(seen, fmt.Sprint(f.Changes))
		}
	}
}

// TestNoticeReachesOnlyNotifiedAgents: an automation rule's notice shows
// in the named agents' consoles and in nobody else's.
func TestNoticeReachesOnlyNotifiedAgents(t *testing.T) {
	h := newHub(t, realtime.Options{})
	a, a2, b, alice := h.dial("agentA"), h.dial("agentA2"), h.dial("agentB"), h.dial("alice")
	time.Sleep(100 * time.Millisecond)
	h.bus.Publish(context.Background(), event.AgentsNotified{Scope: event.Scope{ConversationID: 1, CustomerID: 1, TeamID: 1},
		AgentIDs: []int64{10, 11}, RuleID: 3, Rule: "Breach alert"})
	for name, c := range map[string]*client{"agentA": a, "agentB": b} {
		if f, err := c.next(2 * time.Second); err != nil || f.Type != "notice" || f.ConversationID != 1 {
			t.Errorf("%s: %+v %v, want a notice for conversation 1", name, f, err)
		}
	}
	a2.quiet("notice")
	alice.quiet("notice")
}
