package trust

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// Masking says what one agent may see in one conversation, and why not.
type Masking struct {
	Masked   bool  `json:"masked"`
	Level    Level `json:"level"`
	Required Level `json:"required"`
	// RevealedUntil is set while the agent's reveal with a reason lasts.
	RevealedUntil *time.Time `json:"revealed_until,omitempty"`
	// Reason is a stable code the console translates:
	// trust.masked_until_verified, or "" when nothing is masked.
	Reason string `json:"reason,omitempty"`
}

// Sensitive fields: masked for agents until the conversation reaches the
// policy's level or the agent reveals them with a reason.
var Sensitive = []string{"email", "phone", "address", "amount", "ip"}

// Masking reports whether sensitive fields are masked for agentID.
func (s *Service) Masking(ctx context.Context, convID, agentID int64) (Masking, error) {
	st, err := s.Level(ctx, convID)
	if err != nil {
		return Masking{}, err
	}
	m := Masking{Level: st.Level, Required: s.policy.RevealLevel}
	if st.Level >= s.policy.RevealLevel {
		return m, nil
	}
	until, ok, err := s.revealedUntil(ctx, convID, agentID)
	if err != nil {
		return Masking{}, err
	}
	if ok {
		m.RevealedUntil = &until
		return m, nil
	}
	m.Masked, m.Reason = true, "trust.masked_until_verified"
	return m, nil
}

// Reveal shows one agent a conversation's masked fields for the policy's
// RevealTTL. The reason is required and goes to the audit log.
func (s *Service) Reveal(ctx context.Context, c ticket.Conversation, reason string) (Masking, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 10 || n > 500 {
		return Masking{}, apperr.Field("reason", "trust.reason_required", "say why, in 10 to 500 characters")
	}
	actor := audit.ActorFrom(ctx)
	if actor.Kind != "agent" {
		return Masking{}, apperr.Forbiddenf("trust.agents_only", "only agents reveal fields")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	until := now.Add(s.policy.RevealTTL)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		st, err := s.Level(ctx, c.ID)
		if err != nil {
			return err
		}
		if err := s.insertReveal(ctx, c.ID, actor.ID, reason, now, until); err != nil {
			return err
		}
		return s.audit.Record(ctx, "trust.reveal", "conversation", c.ID, map[string]any{"reason": reason, "fields": Sensitive,
			"level": st.Level.String(), "until": until})
	})
	if err != nil {
		return Masking{}, err
	}
	return s.Masking(ctx, c.ID, actor.ID)
}

// RequireLevel refuses a sensitive action below the policy's level.
func (s *Service) RequireLevel(ctx context.Context, convID int64) error {
	st, err := s.Level(ctx, convID)
	if err != nil {
		return err
	}
	if st.Level < s.policy.RevealLevel {
		return apperr.Forbiddenf("trust.level_required", "the customer must be %s first (now %s)", s.policy.RevealLevel, st.Level)
	}
	return nil
}

// MaskEmail keeps the first letter and the domain: a***@example.com.
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return mask(e, 1, 0)
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// MaskPhone keeps the country code's start and the last four digits.
func MaskPhone(p string) string { return mask(p, 3, 4) }

// MaskAddress keeps enough of a crypto address to tell two apart.
func MaskAddress(a string) string { return mask(a, 6, 4) }

// MaskIP keeps the first two parts of an address.
func MaskIP(ip string) string {
	if parts := strings.Split(ip, "."); len(parts) == 4 {
		return parts[0] + "." + parts[1] + ".*.*"
	}
	return mask(ip, 4, 0)
}

// MaskAmount hides an amount entirely.
func MaskAmount(string) string { return "•••" }

func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return strings.Repeat("•", len(r))
	}
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// MaskCustomer returns the customer with contact details masked: email,
// phone and the addresses behind email and phone identities.
func MaskCustomer(cu customer.Customer) customer.Customer {
	if cu.Email != "" {
		cu.Email = MaskEmail(cu.Email)
	}
	if cu.Phone != "" {
		cu.Phone = MaskPhone(cu.Phone)
	}
	ids := make([]customer.Identity, len(cu.Identities))
	for i, id := range cu.Identities {
		switch id.Channel {
		case "email":
			id.ExternalID = MaskEmail(id.ExternalID)
		case "phone":
			id.ExternalID = MaskPhone(id.ExternalID)
		}
		ids[i] = id
	}
	cu.Identities = ids
	return cu
}
