package api_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/ticket"
)

// TestComplaintAPI: an agent marks a conversation as a complaint, sees its
// deadlines and templates, it shows in the complaint list and the
// conversation filter, and the final response stops it.
func TestComplaintAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	agentB, agentA := e.login(e.agentB), e.login(e.agentA)
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)

	k := call("POST /api/v1/conversations/{id}/complaint", conv+"/complaint", agentB, map[string]any{"summary": "Charged twice"}, made)
	if k["state"] != "awaiting_acknowledgement" || k["raised_by"] != "agent" {
		t.Fatalf("raised: %v", k)
	}
	due, _ := time.Parse(time.RFC3339, k["final_response_due_at"].(string))
	if raised, _ := time.Parse(time.RFC3339, k["raised_at"].(string)); due.Sub(raised) != 56*24*time.Hour {
		t.Fatalf("final response due %s after raising, want 8 weeks", due.Sub(raised))
	}
	call("POST /api/v1/conversations/{id}/complaint", conv+"/complaint", agentA, map[string]any{}, n404)
	view := call("GET /api/v1/conversations/{id}/complaint", conv+"/complaint", agentB, nil, ok)
	tpl := view["templates"].(map[string]any)
	if !strings.Contains(tpl["final_response"].(string), "final response") || !strings.Contains(tpl["acknowledgement"].(string), due.Format("2006-01-02")) {
		t.Fatalf("templates: %v", tpl)
	}
	list := call("GET /api/v1/complaints", "/api/v1/complaints", agentB, nil, ok)
	if n := len(list["data"].([]any)); n != 1 {
		t.Fatalf("open complaints: %d", n)
	}
	if n := len(call("GET /api/v1/complaints", "/api/v1/complaints", agentA, nil, ok)["data"].([]any)); n != 0 {
		t.Fatalf("another team's agent lists %d complaints", n)
	}
	filtered := call("GET /api/v1/conversations", "/api/v1/conversations?complaint=open", agentB, nil, ok)
	if n := len(filtered["data"].([]any)); n != 1 {
		t.Fatalf("complaint filter: %d conversations", n)
	}
	call("GET /api/v1/complaints", "/api/v1/complaints?state=closed", agentB, nil, i422)

	res := call("POST /api/v1/conversations/{id}/complaint/final-response", conv+"/complaint/final-response", agentB,
		map[string]any{"body": tpl["final_response"]}, made)
	if res["complaint"].(map[string]any)["state"] != "final_response_sent" || res["message"].(map[string]any)["internal"] != false {
		t.Fatalf("final response: %v", res)
	}
	call("POST /api/v1/conversations/{id}/complaint/final-response", conv+"/complaint/final-response", agentB, map[string]any{"body": "again"}, c409)
	if n := len(call("GET /api/v1/complaints", "/api/v1/complaints", agentB, nil, ok)["data"].([]any)); n != 0 {
		t.Fatalf("answered complaint still open (%d)", n)
	}
	if n := len(call("GET /api/v1/complaints", "/api/v1/complaints?state=all", agentB, nil, ok)["data"].([]any)); n != 1 {
		t.Fatalf("all complaints: %d", n)
	}
}

// TestLegalHoldExportAndErasureAPI: a hold blocks erasure; the export is a
// zip with the customer's data; after lifting the hold, erasure empties
// the conversations and the audit chain still verifies.
func TestLegalHoldExportAndErasureAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	admin := e.login(e.admin)
	cust := fmt.Sprintf("/api/v1/customers/%d", e.custB.ID)

	hold := call("PUT /api/v1/customers/{id}/legal-hold", cust+"/legal-hold", admin, map[string]any{"reason": "Regulator request 17"}, ok)
	if hold["reason"] != "Regulator request 17" {
		t.Fatalf("hold: %v", hold)
	}
	if n := len(call("GET /api/v1/legal-holds", "/api/v1/legal-holds", admin, nil, ok)["data"].([]any)); n != 1 {
		t.Fatalf("holds: %d", n)
	}
	call("POST /api/v1/customers/{id}/erase", cust+"/erase", admin, map[string]any{"confirm": e.custB.ID}, c409)
	call("POST /api/v1/customers/{id}/erase", cust+"/erase", admin, map[string]any{"confirm": e.custB.ID + 1}, i422)

	resp := admin.call("GET", cust+"/export", nil)
	if resp.status != http.StatusOK || resp.contentType != "application/zip" {
		t.Fatalf("export: %d %s", resp.status, resp.contentType)
	}
	zr, err := zip.NewReader(bytes.NewReader(resp.body), int64(len(resp.body)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"manifest.json", "customer.json", "conversations.json", "surveys.json"} {
		if !names[want] {
			t.Errorf("export lacks %s (has %v)", want, names)
		}
	}

	call("DELETE /api/v1/customers/{id}/legal-hold", cust+"/legal-hold", admin, nil, none)
	call("DELETE /api/v1/customers/{id}/legal-hold", cust+"/legal-hold", admin, nil, n404)
	erased := call("POST /api/v1/customers/{id}/erase", cust+"/erase", admin, map[string]any{"confirm": e.custB.ID}, ok)
	if erased["conversations"].(float64) < 1 {
		t.Fatalf("erasure: %v", erased)
	}
	c := call("GET /api/v1/customers/{id}", cust, admin, nil, ok)
	if c["name"] != "" || c["email"] != "" {
		t.Fatalf("customer after erasure: %v", c)
	}
	conv := fmt.Sprintf("/api/v1/conversations/%d/messages", e.convB.ID)
	msgs := call("GET /api/v1/conversations/{id}/messages", conv, admin, nil, ok)
	for _, m := range msgs["data"].([]any) {
		if b := m.(map[string]any)["body"]; b != "" || m.(map[string]any)["removed"] != true {
			t.Fatalf("message left after erasure: %v", m)
		}
	}
	if v := call("GET /api/v1/audit/verify", "/api/v1/audit/verify", admin, nil, ok); v["ok"] != true {
		t.Fatalf("audit verify after erasure: %v", v)
	}
	run := call("POST /api/v1/retention/run", "/api/v1/retention/run", admin, nil, ok)
	if run["messages"].(float64) != 0 {
		t.Fatalf("retention with nothing configured removed %v", run)
	}
	if p := call("GET /api/v1/retention", "/api/v1/retention", admin, nil, ok); p["messages_days"].(float64) != 0 {
		t.Fatalf("policy: %v", p)
	}
}

// TestErasureForgetsRawEmails: the raw email kept with a message goes
// with the customer's erasure.
func TestErasureForgetsRawEmails(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	admin := e.login(e.admin)
	id := e.emailMessageID()
	orig, err := e.app.Channels.OriginalOf(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := e.app.Tickets.ByID(t.Context(), ticket.Scope{All: true}, orig.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/messages/%d/original", id)
	if r := admin.call("GET", path, nil); r.status != http.StatusOK {
		t.Fatalf("original before erasure: %d", r.status)
	}
	call("POST /api/v1/customers/{id}/erase", fmt.Sprintf("/api/v1/customers/%d/erase", conv.CustomerID), admin,
		map[string]any{"confirm": conv.CustomerID}, ok)
	if r := admin.call("GET", path, nil); r.status != http.StatusNotFound {
		t.Fatalf("original after erasure: %d %s", r.status, r.body)
	}
}
