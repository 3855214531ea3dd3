package api_test

import (
	"fmt"
	"testing"
)

// TestAutomationEnableAPI: a rule created without "enabled" is enabled;
// PATCH pauses and resumes it and changes its fields, for administrators
// only; a refused change leaves the rule as it was, and an unknown rule
// is 404.
func TestAutomationEnableAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	admin := e.login(e.admin)
	rule := call("POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "Tag new", "on": "conversation.created",
		"actions": map[string]any{"add_tags": []string{"new"}}}, made)
	if rule["enabled"] != true {
		t.Fatalf("created without enabled: %v, want enabled true", rule["enabled"])
	}
	paused := call("POST /api/v1/automations", "/api/v1/automations", admin, map[string]any{"name": "Paused", "on": "conversation.created",
		"enabled": false, "actions": map[string]any{"add_tags": []string{"x"}}}, made)
	if paused["enabled"] != false {
		t.Fatalf("created with enabled false: %v", paused["enabled"])
	}
	path := fmt.Sprintf("/api/v1/automations/%v", rule["id"])

	for _, who := range []*client{e.login(e.sup), e.login(e.agentA)} {
		call("PATCH /api/v1/automations/{id}", path, who, map[string]any{"enabled": false}, f403)
	}
	call("PATCH /api/v1/automations/{id}", "/api/v1/automations/999999", admin, map[string]any{"enabled": false}, n404)
	call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"on": "idle"}, i422) // idle without hours
	call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"actions": map[string]any{}}, i422)
	if got := call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"enabled": false}, ok); got["enabled"] != false {
		t.Errorf("PATCH enabled false answered %v", got["enabled"])
	}
	list := call("GET /api/v1/automations", "/api/v1/automations", admin, nil, ok)["data"].([]any)
	for _, r := range list {
		if r := r.(map[string]any); r["id"] == rule["id"] && (r["enabled"] != false || r["on"] != "conversation.created" || r["name"] != "Tag new") {
			t.Errorf("listed after disabling: %v", r)
		}
	}
	if got := call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"enabled": true}, ok); got["enabled"] != true {
		t.Errorf("PATCH enabled true answered %v", got["enabled"])
	}
	got := call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"name": "Quiet pending", "on": "idle", "position": 4,
		"idle": map[string]any{"hours": 6, "statuses": []string{"pending"}}, "actions": map[string]any{"status": "solved"}}, ok)
	if got["name"] != "Quiet pending" || got["on"] != "idle" || got["position"] != 4.0 || got["enabled"] != true ||
		got["actions"].(map[string]any)["status"] != "solved" || got["actions"].(map[string]any)["add_tags"] != nil {
		t.Errorf("after PATCH of the fields: %v", got)
	}
	got = call("PATCH /api/v1/automations/{id}", path, admin, map[string]any{"on": "agent.replied"}, ok)
	if got["on"] != "agent.replied" || got["idle"] != nil || got["name"] != "Quiet pending" {
		t.Errorf("moved off idle: %v", got)
	}
}
