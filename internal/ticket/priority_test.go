package ticket_test

import (
	"testing"

	"vigil/internal/customer"
	"vigil/internal/ticket"
)

func TestPriorityRulesRaiseNewConversations(t *testing.T) {
	e := newEnv(t)
	plain := e.customer(t, "Plain")
	vipName, tier := "Whale", 5
	vip, err := e.customers.Create(e.ctx, customer.Input{Name: &vipName, VIPTier: &tier})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		customer int64
		category string
		asked    ticket.Priority
		want     ticket.Priority
	}{
		{"account security is urgent", plain.ID, "account_security", ticket.Normal, ticket.Urgent},
		{"a compromised 2FA is urgent", plain.ID, "2fa", ticket.Low, ticket.Urgent},
		{"VIP tier 5 gets high", vip.ID, "deposit", ticket.Normal, ticket.High},
		{"rules never lower", vip.ID, "deposit", ticket.Urgent, ticket.Urgent},
		{"ordinary stays as asked", plain.ID, "deposit", ticket.Low, ticket.Low},
	} {
		c, _ := e.open(t, tt.customer, func(in *ticket.OpenInput) { in.Category, in.Priority = tt.category, tt.asked })
		if c.Priority != tt.want {
			t.Errorf("%s: priority %s, want %s", tt.name, c.Priority, tt.want)
		}
	}
}
