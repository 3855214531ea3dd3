package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// checkedCall returns a caller that fails the test on an unexpected
// status or a body that does not match the OpenAPI document.
func checkedCall(t *testing.T, e *env) func(route, path string, c *client, body any, status int) map[string]any {
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	return func(route, path string, c *client, body any, status int) map[string]any {
		t.Helper()
		return asObject(t, callDocumented(t, doc, ops, c, route, path, body, status))
	}
}

// TestIncidentAPI walks the incident workflow: a supervisor declares a
// TRC20 withdrawal incident, a new customer conversation about it is
// linked automatically and the bot answers with the incident's message, an
// agent links another, the status page and its feeds show it in both
// languages, and resolving answers and solves the linked conversations.
func TestIncidentAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	sup, agentB, agentA := e.login(e.sup), e.login(e.agentB), e.login(e.agentA)

	call("PUT /api/v1/status/components/{slug}", "/api/v1/status/components/withdrawals", sup,
		map[string]any{"names": map[string]string{"en": "Withdrawals", "zh": "提现"}, "state": "partial_outage"}, ok)
	inc := call("POST /api/v1/incidents", "/api/v1/incidents", sup, map[string]any{"severity": "major",
		"scope":    map[string]any{"features": []string{"withdrawals"}, "assets": []string{"USDT"}, "networks": []string{"TRC20"}, "components": []string{"withdrawals"}},
		"titles":   map[string]string{"en": "USDT TRC20 withdrawals delayed", "zh": "USDT TRC20 提现延迟"},
		"messages": map[string]string{"en": "TRC20 withdrawals are queued; your funds are safe.", "zh": "TRC20 提现正在排队，资金安全。"}}, made)
	id := fmt.Sprintf("/api/v1/incidents/%v", inc["id"])
	call("POST /api/v1/incidents", "/api/v1/incidents", agentB, map[string]any{"severity": "major"}, f403)
	call("POST /api/v1/incidents", "/api/v1/incidents", sup, map[string]any{"severity": "major", "titles": map[string]string{"en": "x"},
		"messages": map[string]string{"zh": "只有中文"}}, i422)

	// A customer asks; the conversation is linked and the bot answers.
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	go e.app.LinkIncidents(ctx)
	time.Sleep(50 * time.Millisecond) // let the linker subscribe
	asked, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: e.custB.ID, Channel: "webchat", Language: "zh", TeamID: e.teamB.ID,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: e.custB.ID, Body: "我的USDT提现一直没到"}})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if of, err := e.app.Incidents.Of(ctx, asked.ID); err == nil && len(of) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new conversation was not linked to the incident")
		}
	}
	linked := call("GET /api/v1/conversations/{id}/incidents", fmt.Sprintf("/api/v1/conversations/%d/incidents", asked.ID), agentB, nil, ok)
	if data := linked["data"].([]any); len(data) != 1 {
		t.Fatalf("conversation incidents = %v", linked)
	}

	// An agent links their own conversation; another team's agent cannot.
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	call("POST /api/v1/conversations/{id}/incidents", conv+"/incidents", agentA, map[string]any{"incident_id": inc["id"]}, n404)
	call("POST /api/v1/conversations/{id}/incidents", conv+"/incidents", agentB, map[string]any{"incident_id": inc["id"]}, none)
	call("POST /api/v1/conversations/{id}/incidents", conv+"/incidents", agentB, map[string]any{"incident_id": inc["id"]}, none)
	ids := call("GET /api/v1/incidents/{id}/conversations", id+"/conversations", sup, nil, ok)
	if data := ids["data"].([]any); len(data) != 2 {
		t.Fatalf("linked = %v, want 2", ids)
	}

	call("POST /api/v1/incidents/{id}/updates", id+"/updates", sup, map[string]any{"status": "identified",
		"bodies": map[string]string{"en": "A node fell behind and is catching up.", "zh": "一个节点落后，正在追赶。"}}, made)
	call("PATCH /api/v1/incidents/{id}", id, sup, map[string]any{"severity": "critical", "status": "identified",
		"scope":  map[string]any{"features": []string{"withdrawals"}, "assets": []string{"USDT"}, "networks": []string{"TRC20"}},
		"titles": map[string]string{"en": "USDT TRC20 withdrawals delayed", "zh": "USDT TRC20 提现延迟"}, "messages": map[string]string{"en": "Queued; funds are safe."}}, ok)
	if list := call("GET /api/v1/incidents", "/api/v1/incidents", agentB, nil, ok); len(list["data"].([]any)) != 1 {
		t.Errorf("active incidents = %v", list)
	}

	// The public status page, in Chinese, and its feeds.
	page := get(t, e.srv.URL+"/status/zh/")
	for _, want := range []string{`<html lang="zh-Hans">`, "USDT TRC20 提现延迟", "一个节点落后，正在追赶。", "部分中断", `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	atom := get(t, e.srv.URL+"/status/feed.atom?lang=en")
	if !strings.Contains(atom, `<feed xmlns="http://www.w3.org/2005/Atom"`) || !strings.Contains(atom, "[Critical] USDT TRC20 withdrawals delayed") {
		t.Errorf("atom feed = %.800s", atom)
	}
	var feed struct {
		Status string `json:"status"`
		Active []struct {
			ID int64 `json:"id"`
		} `json:"active"`
	}
	if err := json.Unmarshal([]byte(get(t, e.srv.URL+"/status/feed.json")), &feed); err != nil || feed.Status != "partial_outage" || len(feed.Active) != 1 {
		t.Errorf("json feed = %+v, %v", feed, err)
	}
	// The widget and the help center carry the banner on pages about what
	// it touches, and only there.
	if widget := get(t, e.srv.URL+"/widget/chat?lang=zh&context=%2Fzh%2Fwallet%2Fwithdraw%2Fusdt"); !strings.Contains(widget, "USDT TRC20 提现延迟（提现 · USDT · TRC20）") &&
		!strings.Contains(widget, "USDT TRC20 提现延迟 (提现 · USDT · TRC20)") {
		t.Errorf("widget has no incident banner")
	}
	// (help center)
	if help := get(t, e.srv.URL+"/help/en/search?q=usdt+withdrawal"); !strings.Contains(help, "USDT TRC20 withdrawals delayed (Withdrawals · USDT · TRC20)") {
		t.Errorf("help center has no incident banner")
	}
	if help := get(t, e.srv.URL+"/help/en/"); strings.Contains(help, "USDT TRC20 withdrawals delayed") {
		t.Errorf("help center home shows a banner about USDT withdrawals to everyone")
	}

	res := call("POST /api/v1/incidents/{id}/resolve", id+"/resolve", sup, map[string]any{"notify_linked": true, "solve_linked": true,
		"bodies": map[string]string{"en": "All TRC20 withdrawals have been sent.", "zh": "所有 TRC20 提现已发出。"}}, ok)
	if res["notified"] != 2.0 || res["solved"] != 2.0 {
		t.Errorf("resolve = %v", res)
	}
	msgs, err := e.app.Tickets.Messages(ctx, ticket.Scope{All: true}, asked.ID, ticket.MessagesFilter{})
	if err != nil || msgs[len(msgs)-1].Body != "所有 TRC20 提现已发出。" {
		t.Errorf("the Chinese conversation's last message = %q", msgs[len(msgs)-1].Body)
	}
	if c, _ := e.app.Tickets.ByID(ctx, ticket.Scope{All: true}, e.convB.ID); c.Status != ticket.StatusSolved {
		t.Errorf("linked conversation is %s, want solved", c.Status)
	}
	call("POST /api/v1/incidents/{id}/updates", id+"/updates", sup, map[string]any{"status": "monitoring", "bodies": map[string]string{"en": "x"}}, c409)
	if list := call("GET /api/v1/incidents", "/api/v1/incidents?state=resolved", agentB, nil, ok); len(list["data"].([]any)) != 1 {
		t.Errorf("resolved incidents = %v", list)
	}
	call("GET /api/v1/incidents", "/api/v1/incidents?state=soon", agentB, nil, i422)
	call("DELETE /api/v1/conversations/{id}/incidents/{incident}", fmt.Sprintf("%s/incidents/%v", conv, inc["id"]), agentB, nil, none)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestCampaignAPI: a supervisor creates a campaign, adds customers by UID
// (a repeat is not queued twice), and reads its progress; an opted-out
// customer is skipped.
func TestCampaignAPI(t *testing.T) {
	e := newEnv(t)
	call := checkedCall(t, e)
	sup, agentB := e.login(e.sup), e.login(e.agentB)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	uid, mail := "UID-777", "holder@example.com"
	if _, err := e.app.Customers.Update(ctx, e.custB.ID, customer.Input{UID: &uid, Email: &mail}); err != nil {
		t.Fatal(err)
	}
	c := call("POST /api/v1/campaigns", "/api/v1/campaigns", sup, map[string]any{"name": "TRC20 delay", "channels": []string{"email"},
		"rate_per_minute": 600, "subjects": map[string]string{"en": "Your withdrawal"}, "bodies": map[string]string{"en": "Hello {name}"}}, made)
	path := fmt.Sprintf("/api/v1/campaigns/%v", c["id"])
	call("POST /api/v1/campaigns", "/api/v1/campaigns", agentB, map[string]any{"name": "x"}, f403)
	added := call("POST /api/v1/campaigns/{id}/recipients", path+"/recipients", sup, map[string]any{"uids": []string{uid, "UID-NONE"}}, ok)
	if added["queued"] != 1.0 || len(added["unknown"].([]any)) != 1 {
		t.Errorf("added = %v", added)
	}
	if again := call("POST /api/v1/campaigns/{id}/recipients", path+"/recipients", sup, map[string]any{"uids": []string{uid}}, ok); again["duplicate"] != 1.0 {
		t.Errorf("again = %v", again)
	}
	call("POST /api/v1/campaigns/{id}/recipients", path+"/recipients", sup, map[string]any{"uids": []string{}}, i422)
	// Through the exchange connector: the sandbox's affected account is not a desk customer yet.
	q := call("POST /api/v1/campaigns/{id}/recipients", path+"/recipients", sup, map[string]any{"query": map[string]string{"feature": "withdrawals",
		"asset": "USDT", "network": "TRC20"}}, ok)
	if u := q["unknown"].([]any); len(u) != 1 || u[0] != "U10000001" {
		t.Errorf("query = %v", q)
	}
	if n, err := e.app.Jobs.RunOnce(ctx, map[string]job.Handler{incident.OutreachJob: e.app.Incidents.SendOutreach}); err != nil || n == 0 {
		t.Fatalf("ran %d, %v", n, err)
	}
	p := call("GET /api/v1/campaigns/{id}", path, sup, nil, ok)
	if p["total"] != 1.0 || p["opened"] != 1.0 {
		t.Errorf("progress = %v", p)
	}
	call("POST /api/v1/customers/{id}/outreach-opt-out", fmt.Sprintf("/api/v1/customers/%d/outreach-opt-out", e.custB.ID), sup, nil, none)
	c2 := call("POST /api/v1/campaigns", "/api/v1/campaigns", sup, map[string]any{"name": "Second", "channels": []string{"telegram", "email"},
		"rate_per_minute": 60, "subjects": map[string]string{"en": "S"}, "bodies": map[string]string{"en": "B"}}, made)
	path2 := fmt.Sprintf("/api/v1/campaigns/%v", c2["id"])
	call("POST /api/v1/campaigns/{id}/recipients", path2+"/recipients", sup, map[string]any{"uids": []string{uid}}, ok)
	if p := call("GET /api/v1/campaigns/{id}", path2, sup, nil, ok); p["skipped"].(map[string]any)["opted_out"] != 1.0 {
		t.Errorf("opted-out progress = %v", p)
	}
	if list := call("GET /api/v1/campaigns", "/api/v1/campaigns", sup, nil, ok); len(list["data"].([]any)) != 2 {
		t.Errorf("campaigns = %v", list)
	}
}
