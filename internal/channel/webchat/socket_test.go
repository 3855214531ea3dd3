package webchat_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/api"
)

func TestSocket(t *testing.T) {
	runScenarios(t, options{}, []scenario{
		{"refused without a valid session", testSocketRefusesWithoutAValidSession},
		{"carries the conversation live", testSocketCarriesTheConversationLive},
		{"keeps other customers out", testSocketKeepsOtherCustomersOut},
	})
}

func testSocketRefusesWithoutAValidSession(t *testing.T, e *env) {
	valid := e.visitor(newVisitorID())
	tests := []struct {
		name   string
		token  string
		header []string
		status int
		code   string
	}{
		{"no token", "", nil, http.StatusUnauthorized, "auth.required"},
		{"made-up token", "vcs_" + randomHex(32), nil, http.StatusUnauthorized, "auth.required"},
		{"identity token instead of a session", e.sign(e.claims("U1001")), nil, http.StatusUnauthorized, "auth.required"},
		{"another site's page", valid.Token, []string{"Origin", "https://evil.example"}, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			s, resp, err := e.dialSocket(tt.token, tt.header...)
			if err == nil {
				s.ws.CloseNow()
				t.Fatal("socket opened")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("handshake response %v (err %v), want status %d", resp, err, tt.status)
			}
			if tt.code == "" {
				return
			}
			body, _ := io.ReadAll(resp.Body)
			var eb api.ErrorBody
			if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != tt.code {
				t.Errorf("handshake body %s, want error code %s", body, tt.code)
			}
		})
	}
	// The same session from the widget's own page is let in.
	s := e.socket(valid.Token)
	s.send(map[string]string{"type": "ping"})
	if f := s.next(); f.Type != "pong" {
		t.Errorf("first frame = %+v, want pong", f)
	}
}

func testSocketCarriesTheConversationLive(t *testing.T, e *env) {
	ag := e.newAgent()
	c := e.claims("U-live")
	c.Name = "Alice"
	alice := e.identified(c)
	id := e.open(alice.Token, map[string]string{"body": "hello"}).Conversation.ID
	s := e.socket(alice.Token)
	s.send(map[string]any{"type": "subscribe", "conversation_id": id, "after_seq": 0})
	if diff := cmp.Diff([]string{"1 customer: hello"}, s.messagesUntil(1)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// Sent over the socket: acknowledged with its seq, and echoed once.
	s.send(map[string]any{"type": "send", "conversation_id": id, "body": "typed in the widget", "client_id": "c-1"})
	var ack frame
	var echoed []string
	for ack.Type == "" || len(echoed) == 0 {
		switch f := s.next(); f.Type {
		case "ack":
			ack = f
		case "message":
			echoed = append(echoed, itoa(f.Message.Seq)+" "+f.Message.AuthorKind+": "+f.Message.Body)
		}
	}
	if ack.ClientID != "c-1" || ack.Seq != 2 || ack.MessageID == 0 {
		t.Errorf("ack = %+v, want client_id c-1, seq 2", ack)
	}
	if diff := cmp.Diff([]string{"2 customer: typed in the widget"}, echoed); diff != "" {
		t.Errorf("echo (-want +got):\n%s", diff)
	}
	// A resend after a reconnect is the same message, not a new one.
	s.send(map[string]any{"type": "send", "conversation_id": id, "body": "typed in the widget", "client_id": "c-1"})
	if f := s.nextOf("ack"); f.Seq != 2 || f.MessageID != ack.MessageID {
		t.Errorf("resend ack = %+v, want seq 2 message %d", f, ack.MessageID)
	}

	// Agent replies and notes: the customer gets the replies, in order, and
	// no notes.
	e.agentMessage(ag, id, "Checking your account", false)
	e.agentMessage(ag, id, "VIP, handle with care", true)
	e.agentMessage(ag, id, "All sorted", false)
	want := []string{"3 agent: Checking your account", "5 agent: All sorted"}
	if diff := cmp.Diff(want, s.messagesUntil(5)); diff != "" {
		t.Errorf("live messages (-want +got):\n%s", diff)
	}

	// Reconnecting with the last seq seen resumes without gaps or notes.
	again := e.socket(alice.Token)
	again.send(map[string]any{"type": "subscribe", "conversation_id": id, "after_seq": 2})
	if diff := cmp.Diff(want, again.messagesUntil(5)); diff != "" {
		t.Errorf("resumed history (-want +got):\n%s", diff)
	}
	th := decode[thread](t, e.request("GET", convPath(id, "/messages"), alice.Token, nil), http.StatusOK)
	if diff := cmp.Diff([]string{"1 customer: hello", "2 customer: typed in the widget", want[0], want[1]}, bodies(th.Data)); diff != "" {
		t.Errorf("stored thread (-want +got):\n%s", diff)
	}
	if th.Data[1].AuthorName != "Alice" {
		t.Errorf("socket message author %q, want Alice", th.Data[1].AuthorName)
	}
}

func testSocketKeepsOtherCustomersOut(t *testing.T, e *env) {
	alice := e.identified(e.claims("U-seed"))
	mallory := e.visitor(newVisitorID())
	id := e.open(alice.Token, map[string]string{"body": "my seed phrase question"}).Conversation.ID
	as := e.socket(alice.Token)
	as.send(map[string]any{"type": "subscribe", "conversation_id": id, "after_seq": 0})
	as.messagesUntil(1)

	ms := e.socket(mallory.Token)
	ms.send(map[string]any{"type": "subscribe", "conversation_id": id, "after_seq": 0})
	if f := ms.next(); f.Type != "error" || f.Code != "forbidden" || f.ConversationID != id {
		t.Errorf("subscribe to another's conversation: %+v, want a forbidden error", f)
	}
	ms.send(map[string]any{"type": "send", "conversation_id": id, "body": "send your coins here", "client_id": "m-1"})
	if f := ms.next(); f.Type != "error" || f.Code != "forbidden" || f.ConversationID != id {
		t.Errorf("send to another's conversation: %+v, want a forbidden error", f)
	}
	ms.send(map[string]any{"type": "subscribe_inbox"})
	if f := ms.next(); f.Type != "error" || f.Code != "forbidden" {
		t.Errorf("subscribe to the agents' inbox: %+v, want a forbidden error", f)
	}

	// Alice keeps talking; once her own socket has it, Mallory's socket
	// would have it too, but the next thing Mallory gets is her pong.
	e.request("POST", convPath(id, "/messages"), alice.Token, map[string]string{"body": "still waiting"})
	as.messagesUntil(2)
	ms.send(map[string]string{"type": "ping"})
	if f := ms.next(); f.Type != "pong" {
		t.Errorf("Mallory received %+v, want only her pong", f)
	}
	th := decode[thread](t, e.request("GET", convPath(id, "/messages"), alice.Token, nil), http.StatusOK)
	if diff := cmp.Diff([]string{"1 customer: my seed phrase question", "2 customer: still waiting"}, bodies(th.Data)); diff != "" {
		t.Errorf("Alice's thread (-want +got):\n%s", diff)
	}
}
