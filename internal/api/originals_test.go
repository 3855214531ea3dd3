package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/channel"
	"vigil/internal/ticket"
)

// emailMessageID receives an email from Bea into a conversation of team
// B and returns the message's id.
func (e *env) emailMessageID() int64 {
	e.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	raw := "From: Bea <bea@example.com>\r\nSubject: Withdrawal\r\nMessage-ID: <walk@example.com>\r\n\r\nStill stuck.\r\n\r\n> earlier quote\r\n"
	r, err := e.app.Channels.Receive(ctx, channel.Inbound{Channel: "email", ExternalID: "<walk@example.com>",
		From: channel.Sender{ID: "bea@example.com"}, Subject: "Withdrawal", Body: "Still stuck.", Original: []byte(raw)})
	if err != nil {
		e.t.Fatal(err)
	}
	team := e.teamB.ID
	if _, err := e.app.Tickets.Update(ctx, r.ConversationID, ticket.Patch{TeamID: &team}); err != nil {
		e.t.Fatal(err)
	}
	return r.MessageID
}

func TestMessageOriginal(t *testing.T) {
	e := newEnv(t)
	id := e.emailMessageID()
	resp := e.login(e.agentB).call("GET", fmt.Sprintf("/api/v1/messages/%d/original", id), nil)
	if resp.status != http.StatusOK || resp.contentType != "message/rfc822" || !strings.Contains(string(resp.body), "> earlier quote") {
		t.Fatalf("original: %d %s %q", resp.status, resp.contentType, resp.body)
	}
	// A message written in the desk has none.
	ms, _ := e.app.Tickets.Messages(context.Background(), ticket.Scope{All: true}, e.convB.ID, ticket.MessagesFilter{})
	resp = e.login(e.agentB).call("GET", fmt.Sprintf("/api/v1/messages/%d/original", ms[0].ID), nil)
	if resp.status != http.StatusNotFound || !strings.Contains(string(resp.body), "message.original_not_found") {
		t.Fatalf("web chat message: %d %s", resp.status, resp.body)
	}
}
