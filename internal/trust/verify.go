package trust

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/exchange"
	"vigil/internal/ticket"
)

// Status is a conversation's verification as the console shows it.
type Status struct {
	Level   Level          `json:"level"`
	Method  string         `json:"method,omitempty"`
	At      *time.Time     `json:"at,omitempty"`
	History []Verification `json:"history"`
	// CodePending is set while a one-time code waits to be typed.
	CodePending *PendingCode `json:"code_pending,omitempty"`
}

// PendingCode describes the open challenge, never the code.
type PendingCode struct {
	Channel     string    `json:"channel"`
	Destination string    `json:"destination"`
	Attempts    int       `json:"attempts"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Level reports how sure the desk is of who writes in the conversation:
// the highest step recorded in it.
func (s *Service) Level(ctx context.Context, convID int64) (Status, error) {
	hist, err := s.verifications(ctx, convID)
	if err != nil {
		return Status{}, err
	}
	st := Status{History: hist}
	for _, v := range hist {
		if v.Level >= st.Level {
			at := v.At
			st.Level, st.Method, st.At = v.Level, v.Method, &at
		}
	}
	ch, err := latestChallenge(ctx, s.db, convID)
	switch {
	case err == nil && ch.State == "pending" && s.now().Before(ch.ExpiresAt):
		st.CodePending = &PendingCode{Channel: ch.Channel, Destination: ch.Destination, Attempts: ch.Attempts, ExpiresAt: ch.ExpiresAt}
	case err != nil && !isNotFound(err):
		return Status{}, err
	}
	return st, nil
}

// RecordIdentified notes that the exchange signed the identity of the
// customer writing in this conversation (a verified widget session). It is
// recorded once per conversation.
func (s *Service) RecordIdentified(ctx context.Context, c ticket.Conversation) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		st, err := s.Level(ctx, c.ID)
		if err != nil || st.Level >= Identified {
			return err
		}
		v := Verification{ConversationID: c.ID, CustomerID: c.CustomerID, Level: Identified, Method: "widget_signature",
			ActorKind: "customer", ActorID: c.CustomerID, Detail: map[string]any{}, At: s.now().UTC().Truncate(time.Millisecond)}
		if err := insertVerification(ctx, s.db, v); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.identified", "conversation", c.ID, map[string]any{"method": v.Method})
	})
}

// SendCode asks the exchange to deliver a fresh one-time code to the
// customer's registered device or email, and tells the customer in the
// chat to type it there. A new code replaces an unused one.
func (s *Service) SendCode(ctx context.Context, c ticket.Conversation, channel string) (PendingCode, error) {
	if s.exchange == nil {
		return PendingCode{}, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected")
	}
	if channel != "device" && channel != "email" {
		return PendingCode{}, apperr.Field("channel", "trust.channel_invalid", "must be device or email")
	}
	cu, err := s.customers.ByID(ctx, c.CustomerID)
	if err != nil {
		return PendingCode{}, err
	}
	if cu.UID == "" {
		return PendingCode{}, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	n, err := s.codesSince(ctx, c.ID, now.Add(-time.Hour))
	if err != nil {
		return PendingCode{}, err
	}
	if n >= s.policy.CodesPerHour {
		return PendingCode{}, apperr.New(apperr.TooMany, "trust.codes_too_many", "at most %d codes an hour for one conversation", s.policy.CodesPerHour)
	}
	code, salt := sixDigits(), randomHex(8)
	// The network call is made outside any transaction.
	sent, err := s.exchange.SendCode(ctx, exchange.CodeRequest{UID: cu.UID, Channel: channel, Code: code, Language: c.Language, Purpose: "verify_chat"})
	if err != nil {
		return PendingCode{}, err
	}
	ch := challenge{ConversationID: c.ID, Hash: codeHash(salt, code), Channel: channel, Destination: sent.Destination,
		CreatedAt: now, ExpiresAt: now.Add(s.policy.CodeTTL)}
	actor := audit.ActorFrom(ctx)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.insertChallenge(ctx, ch, c.CustomerID, actor.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.code_sent", "conversation", c.ID, map[string]any{"channel": channel, "destination": sent.Destination})
	})
	if err != nil {
		return PendingCode{}, err
	}
	minutes := int(s.policy.CodeTTL / time.Minute)
	body := s.t(c.Language, "trust.code_sent", sent.Destination, minutes)
	if _, err := s.tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.BySystem, Body: body}); err != nil {
		return PendingCode{}, err
	}
	return PendingCode{Channel: channel, Destination: sent.Destination, ExpiresAt: ch.ExpiresAt}, nil
}

// Checks an agent may use, in the order the console lists them. Each is
// compared with the exchange's own records; the customer's answers are
// never stored, only which checks passed.
var Checks = []string{"recent_order_id", "deposit_address", "withdrawal_txid", "anti_phishing_code"}

// MinChecks is how many must pass, with none failing.
const MinChecks = 2

// CheckResult is the outcome of an agent's verification.
type CheckResult struct {
	Passed []string `json:"passed"`
	Failed []string `json:"failed"`
	Status Status   `json:"status"`
}

// VerifyByAgent compares what the customer told the agent (a recent order
// id, a deposit address, …) with the exchange's records. At least
// MinChecks must match and none may fail for the conversation to become
// Verified; every attempt is audited with the names of the checks only.
func (s *Service) VerifyByAgent(ctx context.Context, c ticket.Conversation, answers map[string]string) (CheckResult, error) {
	if s.exchange == nil {
		return CheckResult{}, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected")
	}
	for k, v := range answers {
		if !slices.Contains(Checks, k) {
			return CheckResult{}, apperr.Field("checks", "trust.check_unknown", "unknown check %q", k)
		}
		if len(v) > 200 {
			return CheckResult{}, apperr.Field("checks", "trust.check_too_long", "answers are at most 200 characters")
		}
	}
	cu, err := s.customers.ByID(ctx, c.CustomerID)
	if err != nil {
		return CheckResult{}, err
	}
	if cu.UID == "" {
		return CheckResult{}, apperr.New(apperr.Conflict, "trust.no_uid", "the customer is not linked to an exchange account")
	}
	acct, err := s.exchange.Lookup(ctx, exchange.Query{UID: cu.UID})
	if err != nil {
		return CheckResult{}, err
	}
	act, err := s.exchange.Activity(ctx, cu.UID, 50)
	if err != nil {
		return CheckResult{}, err
	}
	res := CheckResult{Passed: []string{}, Failed: []string{}}
	for _, name := range Checks {
		ans := strings.TrimSpace(answers[name])
		if ans == "" {
			continue
		}
		if matches(name, ans, acct, act) {
			res.Passed = append(res.Passed, name)
		} else {
			res.Failed = append(res.Failed, name)
		}
	}
	ok := len(res.Passed) >= MinChecks && len(res.Failed) == 0
	actor := audit.ActorFrom(ctx)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		detail := map[string]any{"passed": res.Passed, "failed": res.Failed}
		if !ok {
			return s.audit.Record(ctx, "trust.agent_checks_failed", "conversation", c.ID, detail)
		}
		v := Verification{ConversationID: c.ID, CustomerID: c.CustomerID, Level: Verified, Method: "agent_checks",
			ActorKind: actor.Kind, ActorID: actor.ID, Detail: detail, At: s.now().UTC().Truncate(time.Millisecond)}
		if err := insertVerification(ctx, s.db, v); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.verified", "conversation", c.ID, map[string]any{"method": "agent_checks", "passed": res.Passed})
	})
	if err != nil {
		return CheckResult{}, err
	}
	if res.Status, err = s.Level(ctx, c.ID); err != nil {
		return CheckResult{}, err
	}
	if !ok {
		return res, apperr.New(apperr.Invalid, "trust.checks_failed", "%d checks passed and %d failed; at least %d must pass and none fail",
			len(res.Passed), len(res.Failed), MinChecks)
	}
	return res, nil
}

func matches(name, ans string, acct exchange.Customer, act exchange.Activity) bool {
	switch name {
	case "recent_order_id":
		for _, o := range act.Orders {
			if strings.EqualFold(o.ID, ans) {
				return true
			}
		}
	case "deposit_address":
		for _, d := range act.Deposits {
			if d.Address != "" && strings.EqualFold(d.Address, ans) {
				return true
			}
		}
	case "withdrawal_txid":
		for _, w := range act.Withdrawals {
			if w.TxID != "" && strings.EqualFold(strings.TrimPrefix(w.TxID, "0x"), strings.TrimPrefix(ans, "0x")) {
				return true
			}
		}
	case "anti_phishing_code":
		return acct.AntiPhishingCode != "" && strings.EqualFold(acct.AntiPhishingCode, ans)
	}
	return false
}

func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("trust: random: %v", err)) // the system's randomness failing is not recoverable
	}
	return fmt.Sprintf("%06d", n.Int64())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
