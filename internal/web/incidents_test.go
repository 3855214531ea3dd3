package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// TestIncidentsConsolePage: a supervisor declares an incident from the
// console, posts an update and resolves it, which answers and solves the
// linked conversation; bad input shows the reason and nothing is lost; an
// agent cannot use the page.
func TestIncidentsConsolePage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	email, name, role := "sup@test.example", "Sam Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(ctx, sup.ID, password); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(sup)
	if status, page, _ := b.get("/console/incidents"); status != http.StatusOK || !strings.Contains(page, `action="/console/incidents"`) {
		t.Fatalf("incidents page: %d", status)
	}
	status, page, _ := b.post("/console/incidents", url.Values{"csrf": {b.csrf}, "severity": {"major"}, "features": {"withdrawals"},
		"assets": {"USDT"}, "title_en": {""}, "message_en": {"Queued."}}, e.srv.URL)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "an English text of 1-200 characters is required") {
		t.Fatalf("declare without a title: %d", status)
	}
	status, _, h := b.post("/console/incidents", url.Values{"csrf": {b.csrf}, "severity": {"major"}, "features": {"withdrawals"},
		"assets": {"USDT, BTC"}, "title_en": {"Withdrawals delayed"}, "title_zh": {"提现延迟"}, "message_en": {"Withdrawals are queued."}}, e.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != "/console/incidents" {
		t.Fatalf("declare: %d", status)
	}
	active, err := e.app.Incidents.Active(ctx)
	if err != nil || len(active) != 1 || strings.Join(active[0].Scope.Assets, ",") != "usdt,btc" {
		t.Fatalf("active = %+v, %v", active, err)
	}
	inc := active[0]
	if _, err := e.app.Incidents.Link(ctx, inc.ID, e.convA.ID, e.agA.ID); err != nil {
		t.Fatal(err)
	}
	path := "/console/incidents/" + strconv.FormatInt(inc.ID, 10)
	if status, _, _ := b.post(path+"/updates", url.Values{"csrf": {b.csrf}, "status": {"identified"}, "body_en": {"Node catching up."}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("update: %d", status)
	}
	status, page, _ = b.post(path+"/resolve", url.Values{"csrf": {b.csrf}, "body_en": {"All withdrawals sent."}, "notify_linked": {"1"},
		"solve_linked": {"1"}}, e.srv.URL)
	if status != http.StatusOK || !strings.Contains(page, "Resolved; 1 conversations answered, 1 solved.") {
		t.Fatalf("resolve: %d", status)
	}
	if c, _ := e.app.Tickets.ByID(ctx, ticket.Scope{All: true}, e.convA.ID); c.Status != ticket.StatusSolved {
		t.Errorf("linked conversation is %s", c.Status)
	}
	if _, page, _ := b.get("/status/en/"); !strings.Contains(page, "Withdrawals delayed") || !strings.Contains(page, "All withdrawals sent.") {
		t.Error("the status page does not show the resolved incident in its history")
	}

	agentB := e.signedIn(e.agA)
	if status, _, _ := agentB.get("/console/incidents"); status != http.StatusForbidden {
		t.Errorf("agent on the incidents page: %d, want 403", status)
	}
	if status, _, _ := agentB.post("/console/incidents", url.Values{"csrf": {agentB.csrf}, "severity": {"minor"}, "title_en": {"x"}, "message_en": {"x"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("agent declaring: %d, want 403", status)
	}
}

// TestStatusPageLimits: the public status page answers a stranger in their
// language and throttles one address that hammers it.
func TestStatusPageLimits(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	req, _ := http.NewRequest("GET", e.srv.URL+"/status", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/status/zh/" {
		t.Errorf("redirect to %q, want /status/zh/", loc)
	}
	status, page, _ := b.get("/status/zh/")
	if status != http.StatusOK || !strings.Contains(page, "所有系统运行正常") || !strings.Contains(page, `lang="zh-Hans"`) {
		t.Fatalf("status page: %d", status)
	}
	if status, _, _ := b.get("/status/fr/"); status != http.StatusNotFound {
		t.Errorf("unknown language: %d", status)
	}
	limited := 0
	for range 80 {
		if status, _, _ := b.get("/status/feed.json"); status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("80 requests at once from one address were never throttled")
	}
}

// TestCampaignsPage: the progress page shows a campaign's recipients,
// who was skipped and why, and a failed delivery with its reason (here no
// email channel is configured).
func TestCampaignsPage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	email, name, role := "sup@test.example", "Sam Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(ctx, sup.ID, password); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"U-1", "U-2"} {
		mail, nm := strings.ToLower(uid)+"@example.com", uid
		in := customer.Input{UID: &uid, Name: &nm}
		if uid == "U-1" {
			in.Email = &mail
		}
		if _, err := e.app.Customers.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	c, err := e.app.Incidents.CreateCampaign(ctx, sup.ID, incident.CampaignInput{Name: "Withdrawal delay", Channels: []string{"email"},
		RatePerMinute: 600, Subjects: map[string]string{"en": "Your withdrawal"}, Bodies: map[string]string{"en": "Delayed; funds are safe."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Incidents.AddRecipients(ctx, c.ID, []string{"U-1", "U-2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Jobs.RunOnce(ctx, map[string]job.Handler{incident.OutreachJob: e.app.Incidents.SendOutreach,
		ticket.DeliverJob: e.app.Channels.Deliver}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(sup)
	status, page, _ := b.get("/console/campaigns")
	if status != http.StatusOK {
		t.Fatalf("campaigns page: %d", status)
	}
	for _, want := range []string{"Withdrawal delay", "Skipped: no reachable channel", "Delivery: failed", "Reason: "} {
		if !strings.Contains(page, want) {
			t.Errorf("campaigns page lacks %q", want)
		}
	}
	if status, _, _ := e.signedIn(e.agA).get("/console/campaigns"); status != http.StatusForbidden {
		t.Errorf("agent on the campaigns page: %d", status)
	}
}
