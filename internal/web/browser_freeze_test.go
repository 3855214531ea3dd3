//go:build browser

package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/audit"
	"vigil/internal/channel/webchat"
	"vigil/internal/config"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// At 3 a.m. with no agent online, a signed-in customer freezes their own
// account from the chat: the exchange freezes it, an urgent security
// conversation opens, and the customer reads what happens next.
func TestSelfServiceFreezeWithNoAgentOnline(t *testing.T) {
	d := startDeskWith(t, func(c *config.Config) { c.ExchangeURL = "sandbox" })
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	if n, err := d.app.Agents.OnlineCount(ctx); err != nil || n != 0 {
		t.Fatalf("agents online: %d, %v; the test needs none", n, err)
	}
	token := webchat.SignIdentity([]byte(strings.Repeat("w", 32)), webchat.Claims{UID: "U10000001",
		Exp: time.Now().Add(10 * time.Minute).Unix(), Nonce: "browser-freeze-1"})
	tab := newTab(t, "customer")
	tab.run("open the chat as a signed-in customer",
		chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat?lang=en#identity="+url.QueryEscape(token)),
		chromedp.WaitVisible(`#freeze-open`),
	)
	var label string
	tab.run("read the freeze button", chromedp.Text(`#freeze-open`, &label))
	if label != "Freeze my account" {
		t.Errorf("freeze button says %q", label)
	}
	tab.run("freeze",
		chromedp.Click(`#freeze-open`),
		chromedp.WaitVisible(`#freeze-reason`),
		chromedp.SetValue(`#freeze-reason`, "not_me"),
		chromedp.Click(`#freeze-confirm`),
	)
	var steps string
	tab.waitJS("wait for the next steps", `(document.getElementById("freeze-status") || {}).textContent || ""`, &steps)
	if !strings.Contains(steps, "Your account is frozen") || !strings.Contains(steps, "never call you") {
		t.Errorf("customer told %q", steps)
	}
	var thread string
	tab.waitJS("the conversation shows the steps", `(function(){var l=document.querySelector("ol.msgs"); var t=l?l.textContent:""; return t.indexOf("Your account is frozen")>=0 ? t : "";})()`, &thread)
	if !strings.Contains(thread, "I did not log in") {
		t.Errorf("thread %q lacks the customer's request", thread)
	}
	if !d.app.Sandbox.Frozen("U10000001") {
		t.Fatal("the exchange account is not frozen")
	}
	cu, err := d.app.Customers.ByUID(ctx, "U10000001")
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := d.app.Tickets.List(ctx, ticket.Scope{All: true}, ticket.Filter{CustomerID: cu.ID, Limit: 5})
	if err != nil || len(list) == 0 {
		t.Fatalf("conversations: %v %v", list, err)
	}
	c := list[0]
	if c.Priority != ticket.Urgent || c.Category != "account_security" {
		t.Errorf("freeze conversation is %s/%s, want urgent account_security", c.Priority, c.Category)
	}
	// When an agent answers later, the widget shows their staff ID, which
	// links to the verifier.
	omar, err := d.app.Agents.ByEmail(ctx, "omar@vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByAgent, AuthorID: omar.ID,
		AuthorName: omar.Name, Body: "I am reviewing the Moscow login now."}); err != nil {
		t.Fatal(err)
	}
	var staff string
	tab.waitJS("the agent's staff ID", `(function(){var a=document.querySelector("ol.msgs a.staff-id"); return a ? a.textContent + " " + a.getAttribute("href") : "";})()`, &staff)
	if want := trust.StaffID(omar.ID) + " /verify?q=" + trust.StaffID(omar.ID); !strings.HasPrefix(staff, want) {
		t.Errorf("staff ID shown as %q, want %q…", staff, want)
	}
}
