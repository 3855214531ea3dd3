//go:build browser

package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// An agent sees a conversation's SLA deadlines and transfers it to another
// team with a note; it leaves their view and the receiving team finds the
// note in the thread.
func TestTransferWithNoteInTheConsole(t *testing.T) {
	d := startDesk(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	maria, err := d.app.Agents.ByEmail(ctx, "maria@vigil.example")
	if err != nil {
		t.Fatal(err)
	}
	teams, err := d.app.Agents.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wallets, security int64
	for _, tm := range teams {
		switch tm.Name {
		case "Wallet Operations":
			wallets = tm.ID
		case "Account Security":
			security = tm.ID
		}
	}
	name := "Frank Lost2FA"
	cu, err := d.app.Customers.Create(ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := d.app.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", TeamID: wallets, AssigneeID: maria.ID,
		Category: "withdrawal", Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID,
			Body: "My withdrawal is stuck and I also lost my authenticator"}})
	if err != nil {
		t.Fatal(err)
	}
	tab := newTab(t, "agent")
	d.signIn(tab, "maria@vigil.example")
	tab.run("open the conversation", chromedp.Navigate(fmt.Sprintf("%s/console/conversations/%d", d.direct, conv.ID)),
		chromedp.WaitVisible(`#sla`))
	var panel string
	tab.run("read the SLA panel", chromedp.Text(`#sla`, &panel))
	for _, want := range []string{"Live chat", "First response", "due in 10 min", "Resolution"} {
		if !strings.Contains(panel, want) {
			t.Errorf("SLA panel %q lacks %q", panel, want)
		}
	}
	tab.run("transfer to Account Security with a note",
		chromedp.SetValue(`#transfer select[name=team_id]`, fmt.Sprint(security)),
		chromedp.SendKeys(`#transfer textarea[name=note]`, "Lost 2FA: needs an identity check first"),
		chromedp.Click(`#transfer button[type=submit]`),
		chromedp.WaitVisible(`#inbox-list`))
	got, err := d.app.Tickets.ByID(ctx, ticket.Scope{All: true}, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TeamID != security || got.AssigneeID != 0 {
		t.Errorf("after the transfer: team %d assignee %d, want team %d in its queue", got.TeamID, got.AssigneeID, security)
	}
	msgs, err := d.app.Tickets.Messages(ctx, ticket.Scope{All: true}, conv.ID, ticket.MessagesFilter{IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1]; !last.Internal || !strings.Contains(last.Body, "needs an identity check") || last.AuthorID != maria.ID {
		t.Errorf("transfer note: %+v", last)
	}
}
