package incident_test

import (
	"context"
	"slices"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
	"vigil/internal/exchange"
	"vigil/internal/incident"
)

// TestBannerAudience: with the sandbox exchange, each open incident's
// banner reaches the customers whose account and activity it touches and
// nobody else; anonymous visitors see global incidents and those their
// page is about.
func TestBannerAudience(t *testing.T) {
	d := dbtest.Open(t)
	e := newOutreachEnv(t, d)
	client, _ := exchange.NewSandboxClient(e.clock.Now, nil)
	e.inc = incident.New(incident.Options{DB: d, Audit: audit.New(d, e.clock.Now), Tickets: e.tickets, Customers: e.custs,
		Jobs: e.jobs, Accounts: client, Now: e.clock.Now})
	declare := func(title string, sc incident.Scope) int64 {
		i, err := e.inc.Declare(e.ctx, 0, incident.Input{Severity: "major", Scope: sc, Titles: map[string]string{"en": title},
			Messages: map[string]string{"en": title + "."}})
		if err != nil {
			t.Fatal(err)
		}
		return i.ID
	}
	trc20 := declare("USDT TRC20 withdrawals delayed", incident.Scope{Features: []string{"withdrawals"}, Assets: []string{"USDT"}, Networks: []string{"TRC20"}})
	sol := declare("Solana deposits and withdrawals paused", incident.Scope{Assets: []string{"SOL"}})
	china := declare("Bank transfers slow in mainland China", incident.Scope{Regions: []string{"CN"}})
	futures := declare("Futures orders delayed", incident.Scope{Features: []string{"futures"}})
	site := declare("Website slow", incident.Scope{Components: []string{"web"}})

	tests := []struct {
		who  string
		uid  string
		page []string
		want []int64
	}{
		// Alice (Singapore) withdrew USDT on TRC20 and trades BTC/USDT.
		{"Alice", "U10000001", nil, []int64{trc20, futures, site}},
		// 王芳 (China) only deposited USDT on TRC20: no withdrawal to delay.
		{"Wang", "U10000002", nil, []int64{china, futures, site}},
		// Bob (Nigeria) withdrew SOL and USDC on ERC20.
		{"Bob", "U10000003", nil, []int64{sol, futures, site}},
		{"anonymous on the help center home", "", []string{"help"}, []int64{site}},
		{"anonymous reading about USDT withdrawals", "", []string{"how", "to", "withdraw", "usdt"}, []int64{trc20, site}},
		{"anonymous reading in Chinese", "", []string{"提现", "到账"}, []int64{trc20, site}},
		// An unknown UID is treated as anonymous, with the page's words.
		{"unknown UID", "U99999999", []string{"solana", "sol"}, []int64{sol, site}},
	}
	for _, tt := range tests {
		list, err := e.inc.ActiveFor(context.Background(), e.inc.AudienceOf(context.Background(), tt.uid, tt.page))
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, i := range list {
			got = append(got, i.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s sees %v, want %v", tt.who, got, tt.want)
		}
	}
}
