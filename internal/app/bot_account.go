package app

import (
	"context"

	"vigil/internal/apperr"
	"vigil/internal/bot"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// botAccount lets the bot read a verified customer's transfers through
// the trust service (who is verified) and the exchange connector.
type botAccount struct{ a *App }

func (b botAccount) Verified(ctx context.Context, conv ticket.Conversation) (bool, bool, error) {
	if b.a.Exchange == nil || b.a.Trust == nil {
		return false, false, nil
	}
	cu, err := b.a.Customers.ByID(ctx, conv.CustomerID)
	if err != nil || cu.UID == "" {
		return false, false, err
	}
	st, err := b.a.Trust.Level(ctx, conv.ID)
	if err != nil {
		return false, true, err
	}
	return st.Level >= trust.Verified, true, nil
}

func (b botAccount) SendCode(ctx context.Context, conv ticket.Conversation) error {
	_, err := b.a.Trust.SendCode(ctx, conv, "device")
	return err
}

func (b botAccount) Transfers(ctx context.Context, conv ticket.Conversation, kind string, limit int) ([]bot.Transfer, error) {
	cu, err := b.a.Customers.ByID(ctx, conv.CustomerID)
	if err != nil {
		return nil, err
	}
	if cu.UID == "" {
		return nil, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	act, err := b.a.Exchange.Activity(ctx, cu.UID, limit)
	if err != nil {
		return nil, err
	}
	list := act.Withdrawals
	if kind == bot.Deposits {
		list = act.Deposits
	}
	out := make([]bot.Transfer, 0, len(list))
	for _, t := range list {
		out = append(out, bot.Transfer{Asset: t.Asset, Network: t.Network, Amount: t.Amount, Status: t.Status, TxID: t.TxID,
			Confirmations: t.Confirmations, Required: t.Required, CreatedAt: t.CreatedAt})
	}
	return out, nil
}
