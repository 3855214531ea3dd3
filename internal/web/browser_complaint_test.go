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
	"vigil/internal/ticket"
)

// A customer back in their open chat uses "Make this a complaint": the
// widget says by when the desk will answer, and the desk has the complaint.
func TestCustomerMakesAComplaintInTheWidget(t *testing.T) {
	d := startDeskWith(t, nil)
	token := webchat.SignIdentity([]byte(strings.Repeat("w", 32)), webchat.Claims{UID: "U10000003",
		Exp: time.Now().Add(10 * time.Minute).Unix(), Nonce: "browser-complaint-1"})
	tab := newTab(t, "customer")
	tab.run("open the chat; the one open conversation opens by itself",
		chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat?lang=en#identity="+url.QueryEscape(token)),
		chromedp.WaitVisible(`#complaint-open`),
		chromedp.Click(`#complaint-open`),
		chromedp.WaitVisible(`#complaint-summary`),
		chromedp.SetValue(`#complaint-summary`, "Double fee"),
		chromedp.Click(`#complaint-confirm`),
	)
	var notice string
	tab.waitJS("wait for the notice", `(document.getElementById("complaint-status") || {}).textContent || ""`, &notice)
	if !strings.Contains(notice, "Recorded as a complaint") {
		t.Fatalf("customer told %q", notice)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	list, _, err := d.app.Tickets.Complaints(ctx, ticket.Scope{All: true}, ticket.ComplaintFilter{Open: true})
	if err != nil || len(list) != 1 || list[0].RaisedBy != "customer" || list[0].Summary != "Double fee" {
		t.Fatalf("complaints: %+v %v", list, err)
	}
}
