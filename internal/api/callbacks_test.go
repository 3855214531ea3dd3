package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// callbackB is a VIP's callback request routed to team B.
func (e *env) callbackB(t *testing.T) callback.Callback {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	name, phone, tier := "Vip B", "+8613800138000", 4
	c, err := e.app.Customers.Create(ctx, customer.Input{Name: &name, Phone: &phone, VIPTier: &tier})
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	cb, conv, err := e.app.Callbacks.Request(ctx, callback.RequestInput{CustomerID: c.ID, WindowStart: now.Add(time.Hour),
		WindowEnd: now.Add(3 * time.Hour), Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Tickets.Update(ctx, conv.ID, ticket.Patch{TeamID: &e.teamB.ID}); err != nil {
		t.Fatal(err)
	}
	return cb
}

// TestCallbackAPI walks a callback through the agents' API: listed for
// the team, refused before the notice, scheduled with the agent's staff
// ID, refused to another agent, and recorded from a desk phone.
func TestCallbackAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	agentB, victim, agentA := e.login(e.agentB), e.login(e.victim), e.login(e.agentA)
	cb := e.callbackB(t)
	path := fmt.Sprintf("/api/v1/callbacks/%d", cb.ID)

	list := call("GET /api/v1/callbacks", "/api/v1/callbacks?state=requested,scheduled", agentB, nil, ok)
	if data := list["data"].([]any); len(data) != 1 {
		t.Fatalf("team B lists %v", data)
	}
	if data := call("GET /api/v1/callbacks", "/api/v1/callbacks", agentA, nil, ok)["data"].([]any); len(data) != 0 {
		t.Errorf("team A lists team B's callback: %v", data)
	}
	call("GET /api/v1/callbacks", "/api/v1/callbacks?state=ringing", agentB, nil, i422)
	call("GET /api/v1/callbacks/{id}", path, agentA, nil, n404)
	call("POST /api/v1/callbacks/{id}/done", path+"/done", agentB, map[string]any{"outcome": "answered", "duration_seconds": 30}, c409)
	call("POST /api/v1/callbacks/{id}/schedule", path+"/schedule", agentB, map[string]any{}, i422)
	at := cb.WindowStart.Add(15 * time.Minute).Format(time.RFC3339)
	got := call("POST /api/v1/callbacks/{id}/schedule", path+"/schedule", agentB, map[string]any{"call_at": at}, ok)
	if got["state"] != "scheduled" || got["staff_id"] != trust.StaffID(e.agentB.ID) || got["call_at"] != at {
		t.Errorf("scheduled: %v", got)
	}
	e.clock.now = e.clock.now.Add(time.Hour + 15*time.Minute)
	call("POST /api/v1/callbacks/{id}/call", path+"/call", agentB, nil, http.StatusServiceUnavailable)
	call("POST /api/v1/callbacks/{id}/done", path+"/done", victim, map[string]any{"outcome": "answered", "duration_seconds": 30}, f403)
	call("POST /api/v1/callbacks/{id}/done", path+"/done", agentB, map[string]any{"outcome": "busy", "duration_seconds": 30}, i422)
	done := call("POST /api/v1/callbacks/{id}/done", path+"/done", agentB, map[string]any{"outcome": "answered", "duration_seconds": 185,
		"recording": "pbx-2231"}, made)
	if done["duration_seconds"] != float64(185) || done["via"] != "desk_phone" || done["outcome"] != "answered" {
		t.Errorf("done: %v", done)
	}
	view := call("GET /api/v1/callbacks/{id}", path, agentB, nil, ok)
	if view["state"] != "done" || len(view["calls"].([]any)) != 1 || view["live"] != false {
		t.Errorf("after the call: %v", view)
	}
	call("POST /api/v1/callbacks/{id}/hangup", path+"/hangup", agentB, nil, c409)
	zh := e.login(e.agentB)
	zh.lang = "zh-CN"
	resp := zh.call("POST", path+"/done", map[string]any{"outcome": "answered"})
	if resp.status != c409 || !strings.Contains(string(resp.body), "已完成") {
		t.Errorf("refusal in Chinese: %d %s", resp.status, resp.body)
	}
}
