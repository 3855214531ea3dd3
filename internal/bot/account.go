package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// Account is what the bot may learn of the customer's exchange account
// (app adapts the trust service and the exchange connector). Statuses are
// shown only to a customer verified in this conversation.
type Account interface {
	// Verified reports whether the customer writing in the conversation
	// has proved who they are; linked is false when they have no exchange
	// account (an anonymous visitor).
	Verified(ctx context.Context, conv ticket.Conversation) (verified, linked bool, err error)
	// SendCode sends a one-time code to the customer's registered device
	// and asks them, in the chat, to type it there.
	SendCode(ctx context.Context, conv ticket.Conversation) error
	// Transfers returns the customer's latest deposits or withdrawals.
	Transfers(ctx context.Context, conv ticket.Conversation, kind string, limit int) ([]Transfer, error)
}

// Transfer is one deposit or withdrawal as the bot tells it.
type Transfer struct {
	Asset, Network, Amount, Status, TxID string
	Confirmations, Required              int
	CreatedAt                            time.Time
}

// Actions of the account flow.
const (
	CodeSent       Action = "code_sent"       // asked the customer to verify before showing their account
	StatusAnswered Action = "status_answered" // told a verified customer where their transfers stand
)

// Transfer kinds.
const (
	Deposits    = "deposit"
	Withdrawals = "withdrawal"
)

// transferQuestion reports which kind of transfer a "where is my …?"
// question is about, or "" when it is not one.
func transferQuestion(text string) string {
	t := strings.ToLower(text)
	if !containsAny(t, statusWords) {
		return ""
	}
	switch {
	case containsAny(t, []string{"withdraw", "withdrawal", "withdrawals", "withdrawing", "withdrew", "withdrawn", "提现", "提币", "出金", "转出"}):
		return Withdrawals
	case containsAny(t, []string{"deposit", "deposits", "deposited", "top up", "top-up", "topped up", "充值", "充币", "入金", "转入"}):
		return Deposits
	}
	return ""
}

var statusWords = []string{"where", "where's", "status", "arrive", "arrived", "not received", "received", "haven't received", "have not received", "didn't receive",
	"pending", "stuck", "how long", "still", "missing", "not credited", "not showing", "when will",
	"到账", "没到", "没收到", "状态", "多久", "卡住", "还没", "在哪", "未到"}

// decideAccount takes "where is my deposit/withdrawal?" (or the code a
// customer types after the bot asked for one) from a customer the
// exchange knows: verified, the bot answers from their account; not yet,
// it sends a one-time code first. Anonymous visitors, and a customer who
// has not verified after the code, go on to the help center.
func (b *Bot) decideAccount(ctx context.Context, conv ticket.Conversation, last *Turn, text string, d *Decision) (bool, error) {
	if b.o.Account == nil {
		return false, nil
	}
	kind := transferQuestion(text)
	awaiting := last != nil && last.Action == CodeSent && last.Outcome == Pending
	if kind == "" && awaiting {
		kind = last.Reason
	}
	if kind == "" {
		return false, nil
	}
	verified, linked, err := b.o.Account.Verified(ctx, conv)
	switch {
	case err != nil || !linked:
		return false, err
	case verified:
		d.Action = StatusAnswered
	case awaiting:
		return false, nil // a wrong code is the screen's to answer
	default:
		d.Action = CodeSent
	}
	d.Reason, d.Confidence = kind, 1
	return true, nil
}

// answerAccount carries out decideAccount's decision.
func (b *Bot) answerAccount(ctx context.Context, conv ticket.Conversation, d Decision, say func(string, bool) error) error {
	if d.Action == CodeSent {
		if err := say(i18n.T(d.Language, "bot.verify_first"), false); err != nil {
			return err
		}
		return b.o.Account.SendCode(ctx, conv)
	}
	list, err := b.o.Account.Transfers(ctx, conv, d.Reason, 5)
	if err != nil {
		return err
	}
	return say(describeTransfers(list, d.Reason, d.Language), false)
}

// describeTransfers words the customer's transfers in their language.
func describeTransfers(list []Transfer, kind, lang string) string {
	if len(list) == 0 {
		return i18n.T(lang, "bot.no_"+kind)
	}
	var sb strings.Builder
	sb.WriteString(i18n.T(lang, "bot.your_"+kind))
	sb.WriteString("\n")
	for _, t := range list {
		state := i18n.T(lang, "bot.transfer_"+t.Status)
		if t.Status == "confirming" && t.Required > 0 {
			state += fmt.Sprintf(" (%d/%d)", t.Confirmations, t.Required)
		}
		line := fmt.Sprintf("\n- %s %s, %s: **%s**", t.Amount, t.Asset, t.Network, state)
		if t.TxID != "" {
			line += fmt.Sprintf(" · TxID `%s`", clip(t.TxID, 20))
		}
		sb.WriteString(line + " · " + t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	sb.WriteString("\n\n" + i18n.T(lang, "bot.did_it_help"))
	return sb.String()
}
