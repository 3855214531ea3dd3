package trust

import (
	"context"

	"vigil/internal/apperr"
	"vigil/internal/exchange"
	"vigil/internal/ticket"
)

// AccountView is the customer's exchange activity as one agent may see it
// in one conversation: addresses, amounts and IPs masked until the
// conversation reaches the policy's level.
type AccountView struct {
	Sandbox  bool              `json:"sandbox"`
	Masking  Masking           `json:"masking"`
	Activity exchange.Activity `json:"activity"`
}

// Account reads the customer's recent activity from the exchange and masks
// it for agentID as the policy requires.
func (s *Service) Account(ctx context.Context, c ticket.Conversation, agentID int64, limit int) (AccountView, error) {
	if s.exchange == nil {
		return AccountView{}, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected")
	}
	cu, err := s.customers.ByID(ctx, c.CustomerID)
	if err != nil {
		return AccountView{}, err
	}
	if cu.UID == "" {
		return AccountView{}, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	m, err := s.Masking(ctx, c.ID, agentID)
	if err != nil {
		return AccountView{}, err
	}
	act, err := s.exchange.Activity(ctx, cu.UID, limit)
	if err != nil {
		return AccountView{}, err
	}
	if m.Masked {
		act = MaskActivity(act)
	}
	return AccountView{Sandbox: s.exchange.Sandbox(), Masking: m, Activity: act}, nil
}

// MaskActivity hides addresses, amounts and IPs; statuses, networks,
// confirmations, TxIDs (public on-chain anyway), countries and devices
// stay, since agents need them to answer "where is my withdrawal?".
func MaskActivity(a exchange.Activity) exchange.Activity {
	out := exchange.Activity{Orders: a.Orders}
	for _, t := range a.Deposits {
		t.Address, t.Amount = MaskAddress(t.Address), MaskAmount(t.Amount)
		out.Deposits = append(out.Deposits, t)
	}
	for _, t := range a.Withdrawals {
		t.Address, t.Amount = MaskAddress(t.Address), MaskAmount(t.Amount)
		out.Withdrawals = append(out.Withdrawals, t)
	}
	for _, l := range a.Logins {
		l.IP = MaskIP(l.IP)
		out.Logins = append(out.Logins, l)
	}
	out.Orders = nil
	for _, o := range a.Orders {
		o.Price, o.Quantity, o.Filled = MaskAmount(o.Price), MaskAmount(o.Quantity), MaskAmount(o.Filled)
		out.Orders = append(out.Orders, o)
	}
	if out.Deposits == nil {
		out.Deposits = []exchange.Transfer{}
	}
	if out.Withdrawals == nil {
		out.Withdrawals = []exchange.Transfer{}
	}
	if out.Logins == nil {
		out.Logins = []exchange.Login{}
	}
	if out.Orders == nil {
		out.Orders = []exchange.Order{}
	}
	return out
}
