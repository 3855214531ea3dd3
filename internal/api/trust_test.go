package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// TestIdentityAPI walks an agent through verifying a sandbox customer:
// masked activity, an audited reveal, a one-time code typed in the chat,
// and checks against exchange records; every answer fits the document.
func TestIdentityAPI(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	uid := "U10000001"
	cu, err := e.app.Customers.Create(ctx, customer.Input{UID: &uid})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := e.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", TeamID: e.teamB.ID,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: "I did not log in from Moscow"}})
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	ag := e.login(e.agentB)
	call := func(route, path string, body any, want int) response {
		t.Helper()
		method, _, _ := strings.Cut(route, " ")
		r := ag.call(method, path, body)
		if r.status != want {
			t.Fatalf("%s: %d, want %d (%s)", route, r.status, want, r.body)
		}
		matchesDocument(t, doc, ops, route, r)
		return r
	}
	var acct struct {
		Sandbox bool `json:"sandbox"`
		Masking struct {
			Masked bool `json:"masked"`
		} `json:"masking"`
		Activity struct {
			Withdrawals []struct {
				Address string `json:"address"`
				Amount  string `json:"amount"`
			} `json:"withdrawals"`
			Logins []struct {
				IP string `json:"ip"`
			} `json:"logins"`
		} `json:"activity"`
	}
	r := call("GET /api/v1/conversations/{id}/account", base+"/account?limit=2", nil, http.StatusOK)
	_ = json.Unmarshal(r.body, &acct)
	if !acct.Sandbox || !acct.Masking.Masked || acct.Activity.Withdrawals[0].Address != "TQn9Y2…bLSE" ||
		acct.Activity.Withdrawals[0].Amount != "•••" || acct.Activity.Logins[0].IP != "185.220.*.*" {
		t.Fatalf("unverified account view not masked: %s", r.body)
	}
	call("POST /api/v1/conversations/{id}/reveal", base+"/reveal", map[string]string{"reason": "curious"}, http.StatusUnprocessableEntity)
	call("POST /api/v1/conversations/{id}/reveal", base+"/reveal", map[string]string{"reason": "customer reports a withdrawal to an unknown address"}, http.StatusOK)
	r = call("GET /api/v1/conversations/{id}/account", base+"/account", nil, http.StatusOK)
	_ = json.Unmarshal(r.body, &acct)
	if acct.Masking.Masked || acct.Activity.Withdrawals[0].Address != "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE" {
		t.Fatalf("after the reveal: %s", r.body)
	}
	// Another agent still sees it masked.
	_, body := e.login(e.sup).do("GET", base+"/account", nil)
	if !strings.Contains(string(body), `"masked":true`) {
		t.Errorf("the reveal leaked to another agent: %s", body)
	}

	call("POST /api/v1/conversations/{id}/verification/code", base+"/verification/code", map[string]string{"channel": "fax"}, http.StatusUnprocessableEntity)
	call("POST /api/v1/conversations/{id}/verification/code", base+"/verification/code", map[string]string{"channel": "email"}, http.StatusCreated)
	out := e.app.Sandbox.Outbox()
	code := out[len(out)-1].Code
	if _, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: code}); err != nil {
		t.Fatal(err)
	}
	r = call("GET /api/v1/conversations/{id}/verification", base+"/verification", nil, http.StatusOK)
	if !strings.Contains(string(r.body), `"level":"verified"`) || !strings.Contains(string(r.body), `"method":"one_time_code"`) {
		t.Errorf("after the code: %s", r.body)
	}
	_, msgs := ag.do("GET", base+"/messages", nil)
	if strings.Contains(string(msgs), code) {
		t.Error("the agent can read the one-time code in the thread")
	}
	call("POST /api/v1/conversations/{id}/verification/code", base+"/verification/code", map[string]string{"channel": "device"}, http.StatusCreated)
	call("POST /api/v1/conversations/{id}/verification/code", base+"/verification/code", map[string]string{"channel": "device"}, http.StatusCreated)
	call("POST /api/v1/conversations/{id}/verification/code", base+"/verification/code", map[string]string{"channel": "device"}, http.StatusTooManyRequests)

	call("POST /api/v1/conversations/{id}/verification/checks", base+"/verification/checks",
		map[string]any{"answers": map[string]string{"recent_order_id": "O-1", "anti_phishing_code": "BLUE-HERON-42"}}, http.StatusUnprocessableEntity)
	call("POST /api/v1/conversations/{id}/verification/checks", base+"/verification/checks",
		map[string]any{"answers": map[string]string{"recent_order_id": "O-5521907", "anti_phishing_code": "BLUE-HERON-42"}}, http.StatusOK)
}

// TestUnfreezeAPI: the two-person unfreeze through the API, each answer
// checked against the document.
func TestUnfreezeAPI(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	uid := "U10000003"
	cu, err := e.app.Customers.Create(ctx, customer.Input{UID: &uid})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.app.Trust.FreezeSelf(ctx, trust.SelfFreeze{CustomerID: cu.ID, Source: "widget", Reason: "withdrawal"})
	if err != nil || !e.app.Sandbox.Frozen(uid) {
		t.Fatalf("freeze: %+v %v", res, err)
	}
	// Route the freeze conversation to team B, where agentB works.
	if _, err := e.app.Tickets.Update(ctx, res.Conversation.ID, ticket.Patch{TeamID: &e.teamB.ID}); err != nil {
		t.Fatal(err)
	}
	f := fmt.Sprintf("/api/v1/freezes/%d", res.Freeze.ID)
	conv := fmt.Sprintf("/api/v1/conversations/%d", res.Conversation.ID)
	ag, sup := e.login(e.agentB), e.login(e.sup)
	step := func(c *client, route, path string, body any, want int) {
		t.Helper()
		method, _, _ := strings.Cut(route, " ")
		r := c.call(method, path, body)
		if r.status != want {
			t.Fatalf("%s: %d, want %d (%s)", route, r.status, want, r.body)
		}
		matchesDocument(t, doc, ops, route, r)
	}
	step(ag, "GET /api/v1/conversations/{id}/freezes", conv+"/freezes", nil, http.StatusOK)
	// An agent can freeze again at once (here: the same account, already frozen).
	step(ag, "POST /api/v1/conversations/{id}/freeze", conv+"/freeze", map[string]string{"reason": "sideways"}, http.StatusUnprocessableEntity)
	step(ag, "POST /api/v1/freezes/{id}/unfreeze-request", f+"/unfreeze-request", map[string]string{"reason": "customer says it was them"}, http.StatusForbidden)
	step(ag, "POST /api/v1/conversations/{id}/verification/checks", conv+"/verification/checks",
		map[string]any{"answers": map[string]string{"recent_order_id": "O-5522711", "anti_phishing_code": "OKAPI-RIVER-7"}}, http.StatusOK)
	step(ag, "POST /api/v1/freezes/{id}/unfreeze-request", f+"/unfreeze-request", map[string]string{"reason": "verified; the login was the customer's new laptop"}, http.StatusOK)
	step(ag, "POST /api/v1/freezes/{id}/approve", f+"/approve", nil, http.StatusForbidden)
	step(sup, "POST /api/v1/freezes/{id}/approve", f+"/approve", nil, http.StatusOK)
	step(sup, "POST /api/v1/freezes/{id}/complete", f+"/complete", nil, http.StatusConflict)
	if !e.app.Sandbox.Frozen(uid) {
		t.Fatal("unfrozen during the cool-down")
	}
	e.clock.now = e.clock.now.Add(25 * time.Hour)
	sup = e.login(e.sup)
	step(sup, "POST /api/v1/freezes/{id}/complete", f+"/complete", nil, http.StatusOK)
	if e.app.Sandbox.Frozen(uid) {
		t.Error("still frozen at the exchange")
	}
}

// TestVerifierAPI: an administrator registers channels; anyone checks
// them, look-alikes are named, reports open a conversation, and a stranger
// hammering the verifier is slowed down.
func TestVerifierAPI(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	admin, anon := e.login(e.admin), e.anonymous()
	step := func(c *client, route, path string, body any, want int) []byte {
		t.Helper()
		method, _, _ := strings.Cut(route, " ")
		r := c.call(method, path, body)
		if r.status != want {
			t.Fatalf("%s %s: %d, want %d (%s)", route, path, r.status, want, r.body)
		}
		matchesDocument(t, doc, ops, route, r)
		return r.body
	}
	step(admin, "POST /api/v1/official-channels", "/api/v1/official-channels", map[string]string{"kind": "domain", "value": "Vigil-Exchange.com"}, http.StatusCreated)
	body := step(admin, "POST /api/v1/official-channels", "/api/v1/official-channels", map[string]string{"kind": "telegram", "value": "https://t.me/VigilNews", "note": "announcements"}, http.StatusCreated)
	var tg struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &tg)
	step(admin, "POST /api/v1/official-channels", "/api/v1/official-channels", map[string]string{"kind": "telegram", "value": "@vigilnews"}, http.StatusConflict)
	step(admin, "POST /api/v1/official-channels/{id}/retire", fmt.Sprintf("/api/v1/official-channels/%d/retire", tg.ID), nil, http.StatusOK)
	step(admin, "GET /api/v1/official-channels", "/api/v1/official-channels", nil, http.StatusOK)

	for q, want := range map[string]string{
		"https://www.vigil-exchange.com/login": `"verdict":"official"`,
		"@VigilNews":                           `"verdict":"formerly_official"`,
		"vigil-exchangе.com":                   `"lookalike_of":"vigil-exchange.com"`, // Cyrillic е
		fmt.Sprintf("vs-%04d", e.agentB.ID):    `"verdict":"official"`,
		"VS-0999":                              `"verdict":"not_official"`,
	} {
		body := step(anon, "GET /api/v1/verify", "/api/v1/verify?q="+url.QueryEscape(q), nil, http.StatusOK)
		if !strings.Contains(string(body), want) {
			t.Errorf("verify %q = %s, want %s", q, body, want)
		}
	}
	step(anon, "GET /api/v1/verify", "/api/v1/verify?q="+strings.Repeat("a", 600), nil, http.StatusUnprocessableEntity)
	body = step(anon, "POST /api/v1/verify/report", "/api/v1/verify/report", map[string]string{"q": "vigil-exchangе.com", "details": "they asked for my seed"}, http.StatusCreated)
	var rep struct {
		ConversationID int64 `json:"conversation_id"`
	}
	_ = json.Unmarshal(body, &rep)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	c, err := e.app.Tickets.ByID(ctx, ticket.Scope{All: true}, rep.ConversationID)
	if err != nil || c.Category != "account_security" || c.Priority < ticket.High || !strings.Contains(strings.Join(c.Tags, ","), "impersonation") {
		t.Fatalf("report conversation = %+v, %v", c, err)
	}
	// 30 checks at once are allowed per address, then 429 with Retry-After.
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		r := anon.call("GET", "/api/v1/verify?q=example.com", nil)
		limited = r.status == http.StatusTooManyRequests
		if limited {
			matchesDocument(t, doc, ops, "GET /api/v1/verify", r)
		}
	}
	if !limited {
		t.Error("the verifier is not rate limited")
	}
}

// TestBulkAccessAPI: an agent walking through customer profiles is
// stopped at the hourly limit and shows up for supervisors.
func TestBulkAccessAPI(t *testing.T) {
	e := newEnv(t)
	doc := fetchOpenAPI(t, e)
	ops := operations(t, doc)
	ctx := audit.WithActor(t.Context(), audit.Actor{Kind: "system"})
	sup := e.login(e.sup)
	seen := 0
	var refused response
	for i := 0; i < trust.DefaultPolicy.ProfilesPerHour+5 && refused.status == 0; i++ {
		name := fmt.Sprintf("Customer %d", i)
		cu, err := e.app.Customers.Create(ctx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		r := sup.call("GET", fmt.Sprintf("/api/v1/customers/%d", cu.ID), nil)
		switch r.status {
		case http.StatusOK:
			seen++
		case http.StatusTooManyRequests:
			refused = r
		default:
			t.Fatalf("customer %d: %d %s", i, r.status, r.body)
		}
	}
	if refused.status == 0 || seen != trust.DefaultPolicy.ProfilesPerHour || !strings.Contains(string(refused.body), "trust.bulk_access") {
		t.Fatalf("opened %d profiles, refusal %d %s", seen, refused.status, refused.body)
	}
	matchesDocument(t, doc, ops, "GET /api/v1/customers/{id}", refused)
	r := e.login(e.admin).call("GET", "/api/v1/access-alerts", nil)
	matchesDocument(t, doc, ops, "GET /api/v1/access-alerts", r)
	if !strings.Contains(string(r.body), fmt.Sprintf(`"agent_id":%d`, e.sup.ID)) || !strings.Contains(string(r.body), `"blocked":true`) {
		t.Errorf("access alerts = %s", r.body)
	}
}
