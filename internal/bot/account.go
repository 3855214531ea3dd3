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

// account answers "where is my deposit/withdrawal?" from the exchange for
// a verified customer, first sending a one-time code to one who is
// signed in but not yet verified. It reports whether it handled the
// message; anonymous visitors and other questions go the usual way.
func (b *Bot) account(ctx context.Context, conv ticket.Conversation, last *Turn, text, lang string, messageID int64,
	say func(string, bool) error) (bool, error) {
	kind := transferQuestion(text)
	awaiting := last != nil && last.Action == CodeSent && last.Outcome == Pending
	if kind == "" && awaiting {
		kind = last.Reason
	}
	if kind == "" || b.o.Account == nil {
		return false, nil
	}
	verified, linked, err := b.o.Account.Verified(ctx, conv)
	if err != nil || !linked {
		return false, err
	}
	turn := Turn{ConversationID: conv.ID, MessageID: messageID, Language: lang, Question: clip(text, 1000), Confidence: 1,
		Reason: kind, Outcome: Pending}
	if !verified {
		if awaiting {
			return false, nil // not verified yet (a wrong code is the screen's to answer)
		}
		if err := say(i18n.T(lang, "bot.verify_first"), false); err != nil {
			return true, err
		}
		if err := b.o.Account.SendCode(ctx, conv); err != nil {
			return true, err
		}
		turn.Action = CodeSent
		return true, b.record(ctx, &turn)
	}
	list, err := b.o.Account.Transfers(ctx, conv, kind, 5)
	if err != nil {
		return true, err
	}
	if err := say(describeTransfers(list, kind, lang), false); err != nil {
		return true, err
	}
	if awaiting {
		if err := b.setOutcome(ctx, last.ID, Resolved); err != nil {
			return true, err
		}
	}
	turn.Action = StatusAnswered
	return true, b.record(ctx, &turn)
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
