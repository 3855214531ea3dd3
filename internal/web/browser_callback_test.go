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
	"vigil/internal/callback"
	"vigil/internal/channel/webchat"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// A VIP asks for a phone call from the chat and later reads, in the same
// chat, which staff ID will call and when; a customer who is not entitled
// reads why not.
func TestCallbackRequestFromTheWidget(t *testing.T) {
	d := startDeskWith(t, func(c *config.Config) { c.ExchangeURL = "sandbox" })
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	sign := func(uid string) string {
		return webchat.SignIdentity([]byte(strings.Repeat("w", 32)), webchat.Claims{UID: uid,
			Exp: time.Now().Add(10 * time.Minute).Unix(), Nonce: "browser-callback-" + uid})
	}
	open := func(tab *tab, uid string) {
		tab.run("open the chat as "+uid,
			chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat?lang=en#identity="+url.QueryEscape(sign(uid))),
			chromedp.WaitVisible(`#callback summary`),
			chromedp.Click(`#callback summary`),
			chromedp.WaitVisible(`#cb-phone`),
			chromedp.SetValue(`#cb-phone`, "+8613800138000"),
			chromedp.SetValue(`#cb-note`, "3 BTC withdrawal on hold"),
			chromedp.Click(`#callback-form button`),
		)
	}

	plain := newTab(t, "plain customer")
	open(plain, "U30000001")
	var refusal string
	plain.waitJS("the refusal", `(document.getElementById("callback-status") || {}).textContent || ""`, &refusal)
	if !strings.Contains(refusal, "VIP customers") || !strings.Contains(refusal, "chat") {
		t.Errorf("customer not entitled told %q", refusal)
	}

	// The exchange knows U30000002 as a VIP.
	tab := newTab(t, "customer")
	tab.run("start a session", chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat?lang=en#identity="+url.QueryEscape(sign("U30000002"))),
		chromedp.WaitVisible(`#callback summary`))
	cu, err := d.app.Customers.ByUID(ctx, "U30000002")
	if err != nil {
		t.Fatal(err)
	}
	tier := 4
	if _, err := d.app.Customers.Update(ctx, cu.ID, customer.Input{VIPTier: &tier}); err != nil {
		t.Fatal(err)
	}
	open(tab, "U30000002")
	var thread string
	tab.waitJS("the phone conversation opens", `(function(){var l=document.querySelector("ol.msgs"); var t=l?l.textContent:""; return t.indexOf("3 BTC")>=0 ? t : "";})()`, &thread)
	if !strings.Contains(thread, "call me back") {
		t.Errorf("thread %q", thread)
	}
	list, err := d.app.Callbacks.List(ctx, ticket.Scope{All: true}, callback.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("callbacks %v %v", list, err)
	}
	omar, err := d.app.Agents.ByEmail(ctx, "omar@vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.app.Callbacks.Schedule(ctx, ticket.Scope{All: true}, list[0].ID, omar.ID, list[0].WindowStart.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var notice string
	tab.waitJS("the notice arrives", `(function(){var l=document.querySelector("ol.msgs"); var t=l?l.textContent:""; return t.indexOf("We will call you")>=0 ? t : "";})()`, &notice)
	if !strings.Contains(notice, trust.StaffID(omar.ID)) {
		t.Errorf("notice %q lacks the caller's staff ID", notice)
	}
}
