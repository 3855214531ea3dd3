package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// TestCallbackPanel: a phone callback's conversation page shows the
// window and offers the notice; once the customer was told, the named
// agent gets the call controls (the desk phone form without a trunk) and
// the callbacks page lists it for the team, in English and Chinese.
func TestCallbackPanel(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	name, phone, tier := "Vera VIP", "+8613800138000", 4
	cu, err := e.app.Customers.Create(ctx, customer.Input{Name: &name, Phone: &phone, VIPTier: &tier})
	if err != nil {
		t.Fatal(err)
	}
	start := e.clock.Now().Add(time.Hour).Truncate(time.Minute)
	cb, conv, err := e.app.Callbacks.Request(ctx, callback.RequestInput{CustomerID: cu.ID, WindowStart: start, WindowEnd: start.Add(2 * time.Hour),
		Language: "en", Note: "large withdrawal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Tickets.Update(ctx, conv.ID, ticket.Patch{TeamID: &e.teamB.ID}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/console/conversations/%d", conv.ID)
	ben := e.signedIn(e.agB)
	status, body, _ := ben.get(page)
	if status != http.StatusOK || !strings.Contains(body, `id="callback-schedule"`) || !strings.Contains(body, start.Format("2006-01-02 15:04")+" UTC") {
		t.Fatalf("panel before the notice: %d\n%s", status, section(body, "callback"))
	}
	if strings.Contains(body, `id="callback-done"`) || strings.Contains(body, `id="callback-call"`) {
		t.Error("call controls offered before the customer was told who calls")
	}
	if _, err := e.app.Callbacks.Schedule(ctx, ticket.Scope{All: true}, cb.ID, e.agB.ID, start); err != nil {
		t.Fatal(err)
	}
	e.clock.now = e.clock.now.Add(time.Hour)
	_, body, _ = ben.get(page)
	for _, want := range []string{trust.StaffID(e.agB.ID), `id="callback-done"`, "desk phone"} {
		if !strings.Contains(body, want) {
			t.Errorf("panel after the notice lacks %q:\n%s", want, section(body, "callback"))
		}
	}
	if strings.Contains(body, `id="callback-call"`) {
		t.Error("offers to dial without a trunk")
	}
	email, cname, role, teams := "cid@test.example", "Cid Security", agent.RoleAgent, []int64{e.teamB.ID}
	cid, err := e.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &cname, Role: &role, Teams: &teams})
	if err != nil || e.app.Auth.SetPassword(ctx, cid.ID, password) != nil {
		t.Fatal(err)
	}
	if _, body, _ := e.signedIn(cid).get(page); strings.Contains(body, `id="callback-done"`) || !strings.Contains(body, "Notice sent") {
		t.Error("an agent the customer was not told about gets the call controls")
	}

	_, list, _ := ben.get("/console/callbacks")
	if !strings.Contains(list, fmt.Sprintf(`href="/console/conversations/%d"`, conv.ID)) || !strings.Contains(list, "Vera VIP") ||
		!strings.Contains(list, "Notice sent") {
		t.Errorf("callbacks page:\n%s", section(list, "callbacks"))
	}
	ann := e.signedIn(e.agA)
	if _, list, _ := ann.get("/console/callbacks"); strings.Contains(list, "Vera VIP") {
		t.Error("another team's agent sees the callback")
	}
	u, _ := url.Parse(e.srv.URL)
	ben.http.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_lang", Value: "zh"}})
	if _, zh, _ := ben.get("/console/callbacks"); !strings.Contains(zh, "电话回拨") || !strings.Contains(zh, "已发送通知") {
		t.Errorf("callbacks page in Chinese:\n%s", section(zh, "callbacks"))
	}
}

// section cuts the part of a page around an element's class, for messages.
func section(body, class string) string {
	i := strings.Index(body, `class="`+class+`"`)
	if i < 0 {
		return body
	}
	return body[i:min(len(body), i+2000)]
}
