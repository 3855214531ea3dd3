package web

import (
	"context"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/customer"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// exchangeWait bounds how long the conversation page waits for the
// exchange: the thread matters more than the sidebar.
const exchangeWait = 2 * time.Second

// exchangePanel is the sidebar's view of the customer's exchange account.
type exchangePanel struct {
	Shown       bool   // a connector is configured and the customer has a UID
	Sandbox     bool   // the data comes from the built-in sandbox
	Error       string // why the data is missing
	Frozen      bool
	Withdrawals []transferRow
	Deposits    []transferRow
	Logins      []loginRow
}

type transferRow struct {
	Asset, Amount, Network, Status, StatusClass string
	Confirmations                               string // "12/20"
	TxID, Address                               string
	At, AtISO                                   string
}

type loginRow struct {
	Country, City, Device, IP, Result string
	New, Failed                       bool
	At, AtISO                         string
}

// exchangePanelFor reads the customer's recent activity from the exchange.
// A slow or failing exchange leaves a message in the panel, never a
// broken page.
func (c *Console) exchangePanelFor(ctx context.Context, conv ticket.Conversation, agentID int64, cu customer.Customer, lang string) exchangePanel {
	if c.Exchange == nil || cu.UID == "" {
		return exchangePanel{}
	}
	p := exchangePanel{Shown: true, Sandbox: c.Exchange.Sandbox()}
	ctx, cancel := context.WithTimeout(ctx, exchangeWait)
	defer cancel()
	var act exchange.Activity
	var err error
	if c.Trust != nil {
		var v trust.AccountView
		v, err = c.Trust.Account(ctx, conv, agentID, 5)
		act = v.Activity
	} else {
		act, err = c.Exchange.Activity(ctx, cu.UID, 5)
	}
	if err != nil {
		_, msg, ok := api.Explain(err, lang)
		if !ok {
			msg = i18n.T(lang, "exchange.unavailable")
		}
		p.Error = msg
		return p
	}
	for _, t := range act.Withdrawals {
		p.Withdrawals = append(p.Withdrawals, transferRowFor(t, lang))
	}
	for _, t := range act.Deposits {
		p.Deposits = append(p.Deposits, transferRowFor(t, lang))
	}
	for _, l := range act.Logins {
		p.Logins = append(p.Logins, loginRow{Country: l.Country, City: l.City, Device: l.Device, IP: l.IP,
			Result: i18n.T(lang, "exchange.login."+l.Result), New: l.New, Failed: l.Result != "success",
			At: l.At.Local().Format("2006-01-02 15:04"), AtISO: l.At.UTC().Format(time.RFC3339)})
	}
	return p
}

func transferRowFor(t exchange.Transfer, lang string) transferRow {
	class := "tx-ok"
	switch t.Status {
	case "pending", "confirming", "review":
		class = "tx-wait"
	case "failed", "cancelled":
		class = "tx-bad"
	}
	return transferRow{Asset: t.Asset, Amount: t.Amount, Network: t.Network, Status: i18n.T(lang, "exchange.status."+t.Status),
		StatusClass: class, Confirmations: strconv.Itoa(t.Confirmations) + "/" + strconv.Itoa(t.Required),
		TxID: t.TxID, Address: t.Address,
		At: t.CreatedAt.Local().Format("2006-01-02 15:04"), AtISO: t.CreatedAt.UTC().Format(time.RFC3339)}
}
