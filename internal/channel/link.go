package channel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
)

// LinkInput ties a channel identity to an exchange customer, on the word
// of a link the exchange signed.
type LinkInput struct {
	Channel    string // "telegram"
	ExternalID string // the chat account (a Telegram user id)
	UID        string // the exchange's user id, from the signed link
	// Token is the signed link itself; each is accepted once, until Expires.
	Token   string
	Expires time.Time
}

// Link makes the customer with the UID own the channel identity. Messages
// the identity sent before (under an anonymous customer) move with it. An
// identity already tied to another exchange user is refused: that takes an
// agent's merge, not a link anyone holding it could replay.
func (s *Service) Link(ctx context.Context, in LinkInput) (customer.Customer, error) {
	sum := sha256.Sum256([]byte(in.Token))
	var out customer.Customer
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := s.now()
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM channel_link_tokens WHERE expires_at < $1`, db.Millis(now)); err != nil {
			return fmt.Errorf("channel: link tokens: %w", err)
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO channel_link_tokens (token_hash, expires_at) VALUES ($1, $2)`,
			hex.EncodeToString(sum[:]), db.Millis(in.Expires))
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("channel.link_used", "this link was used already; open a new one from the exchange app")
		}
		if err != nil {
			return fmt.Errorf("channel: link token: %w", err)
		}
		target, err := s.customers.ByUID(ctx, in.UID)
		if apperr.Is(err, apperr.NotFound) {
			uid := in.UID
			target, err = s.customers.Create(ctx, customer.Input{UID: &uid})
		}
		if err != nil {
			return err
		}
		owner, _, err := s.customers.Resolve(ctx, customer.Identity{Channel: in.Channel, ExternalID: in.ExternalID}, customer.Input{})
		if err != nil {
			return err
		}
		switch {
		case owner.ID == target.ID:
		case owner.UID != "":
			return apperr.Conflictf("channel.link_other", "this %s account belongs to another exchange account", in.Channel)
		default:
			if _, err := s.tickets.MergeCustomers(ctx, target.ID, owner.ID); err != nil {
				return err
			}
		}
		out, err = s.customers.ByID(ctx, target.ID)
		return err
	})
	return out, err
}
