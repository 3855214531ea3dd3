package trust

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/ticket"
)

// Screen is the redaction hook of the message flow (ticket.Redactor). It
// hides secrets customers paste, and takes a one-time code typed in the
// chat as the answer to the desk's pending challenge.
type Screen struct {
	db       *db.DB
	audit    *audit.Log
	now      func() time.Time
	t        Translate
	attempts int
}

// NewScreen returns the hook; attempts is how many wrong codes burn a
// challenge (Policy.CodeAttempts).
func NewScreen(d *db.DB, a *audit.Log, now func() time.Time, t Translate, attempts int) *Screen {
	if attempts <= 0 {
		attempts = DefaultPolicy.CodeAttempts
	}
	return &Screen{db: d, audit: a, now: now, t: t, attempts: attempts}
}

// recentCode is how long after a challenge expired a lone code is still
// taken as a late answer to it rather than as an authenticator code.
const recentCode = 30 * time.Minute

// Clean implements ticket.Redactor: no secret, and no code that could
// answer a challenge.
func (s *Screen) Clean(body string) bool {
	if _, lone := LoneCode(body); lone {
		return false
	}
	return len(Scan(body, ScanContext{})) == 0
}

// Redact implements ticket.Redactor. Most messages hold no code, and
// those cost no query: the pending challenge is read only when a message
// holds a six-digit code.
func (s *Screen) Redact(ctx context.Context, c ticket.Conversation, body string) (ticket.Redaction, error) {
	fs := Scan(body, ScanContext{})
	code, lone := LoneCode(body)
	if lone || hasKind(fs, TwoFactorCode) {
		now := s.now()
		ch, err := s.latestChallenge(ctx, c.ID)
		if err != nil && !isNotFound(err) {
			return ticket.Redaction{}, err
		}
		if err == nil {
			if lone && (ch.State == "pending" || now.Sub(ch.ExpiresAt) < recentCode) {
				return s.enterCode(ctx, c, ch, code)
			}
			if ch.State == "pending" && now.Before(ch.ExpiresAt) {
				fs = Scan(body, ScanContext{CodeExpected: true})
			}
		}
	}
	if len(fs) == 0 {
		return ticket.Redaction{Body: body}, nil
	}
	kinds := []string{}
	for _, f := range fs {
		if k := string(f.Kind); len(kinds) == 0 || kinds[len(kinds)-1] != k {
			kinds = append(kinds, k)
		}
	}
	// The audit entry names what was hidden, never the secret.
	if err := s.audit.Record(ctx, "trust.secret_redacted", "conversation", c.ID, map[string]any{"kinds": kinds}); err != nil {
		return ticket.Redaction{}, err
	}
	return ticket.Redaction{Body: Redact(body, fs), Found: kinds, Reply: s.t(c.Language, "trust.warn."+kinds[0])}, nil
}

func hasKind(fs []Finding, k SecretKind) bool {
	for _, f := range fs {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// enterCode checks a code typed in the chat against the pending
// challenge. The typed code itself is never stored.
func (s *Screen) enterCode(ctx context.Context, c ticket.Conversation, ch challenge, code string) (ticket.Redaction, error) {
	red := ticket.Redaction{Body: "[one-time code entered]", Found: []string{"one_time_code"}}
	now := s.now()
	switch {
	case ch.State != "pending":
		red.Reply = s.t(c.Language, "trust.code_used")
		return red, nil
	case !now.Before(ch.ExpiresAt):
		if err := s.setChallenge(ctx, ch.ID, "expired", ch.Attempts); err != nil {
			return red, err
		}
		red.Reply = s.t(c.Language, "trust.code_expired")
		return red, s.audit.Record(ctx, "trust.code_expired", "conversation", c.ID, map[string]any{"challenge": ch.ID})
	}
	salt, _, _ := strings.Cut(ch.Hash, "$")
	if subtle.ConstantTimeCompare([]byte(codeHash(salt, code)), []byte(ch.Hash)) == 1 {
		if err := s.setChallenge(ctx, ch.ID, "verified", ch.Attempts+1); err != nil {
			return red, err
		}
		v := Verification{ConversationID: c.ID, CustomerID: c.CustomerID, Level: Verified, Method: "one_time_code",
			ActorKind: "customer", ActorID: c.CustomerID, Detail: map[string]any{"channel": ch.Channel, "challenge": ch.ID}, At: now}
		if err := s.insertVerification(ctx, v); err != nil {
			return red, err
		}
		red.Reply = s.t(c.Language, "trust.code_ok")
		return red, s.audit.Record(ctx, "trust.verified", "conversation", c.ID, map[string]any{"method": "one_time_code", "channel": ch.Channel})
	}
	attempts := ch.Attempts + 1
	state := "pending"
	if attempts >= s.attempts {
		state = "failed"
		red.Reply = s.t(c.Language, "trust.code_locked")
	} else {
		red.Reply = s.t(c.Language, "trust.code_wrong", s.attempts-attempts)
	}
	if err := s.setChallenge(ctx, ch.ID, state, attempts); err != nil {
		return red, err
	}
	return red, s.audit.Record(ctx, "trust.code_wrong", "conversation", c.ID, map[string]any{"challenge": ch.ID, "attempts": attempts, "state": state})
}

// codeHash salts and hashes a code ("salt$hex"). With six digits the hash
// alone would not protect the code; the attempt limit and expiry do, and
// the hash keeps it out of backups and query logs.
func codeHash(salt, code string) string {
	h := sha256.Sum256([]byte(salt + ":" + code))
	return salt + "$" + hex.EncodeToString(h[:])
}
