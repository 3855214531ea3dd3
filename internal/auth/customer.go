package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// CustomerSession is a widget's sign-in for one customer. Token is shown
// only at creation.
type CustomerSession struct {
	Token      string
	CustomerID int64
	Verified   bool // the exchange signed the customer's identity
	ExpiresAt  time.Time
}

const customerTokenPrefix = "vcs_"

// StartCustomerSession opens a widget session for a customer. Verified
// records whether the exchange vouched for the identity.
func (s *Service) StartCustomerSession(ctx context.Context, customerID int64, verified bool, ttl time.Duration) (CustomerSession, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	cs := CustomerSession{Token: customerTokenPrefix + randomToken(32), CustomerID: customerID, Verified: verified, ExpiresAt: now.Add(ttl)}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO customer_sessions (token_hash, customer_id, verified, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, digest(cs.Token), customerID, verified, db.Millis(now), db.Millis(cs.ExpiresAt))
		if err != nil {
			return fmt.Errorf("auth: customer session: %w", err)
		}
		return nil
	})
	return cs, err
}

// AuthenticateCustomer resolves a widget session token.
func (s *Service) AuthenticateCustomer(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, customerTokenPrefix) || len(token) > 100 {
		return Principal{}, errNoSession
	}
	var customerID, expires int64
	var verified bool
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT customer_id, verified, expires_at FROM customer_sessions WHERE token_hash = $1`,
		digest(token)).Scan(&customerID, &verified, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= db.Millis(s.now())) {
		return Principal{}, errNoSession
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: customer session: %w", err)
	}
	return Principal{Kind: CustomerPrincipal, CustomerID: customerID, Verified: verified}, nil
}

// UseNonce records a signed token's nonce; a second use is refused. Old
// nonces are swept as they expire.
func (s *Service) UseNonce(ctx context.Context, nonce string, expires time.Time) error {
	if nonce == "" || len(nonce) > 100 {
		return apperr.New(apperr.Unauthenticated, "widget.identity_invalid", "the identity token has no usable nonce")
	}
	now := db.Millis(s.now())
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `DELETE FROM identity_nonces WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("auth: sweep nonces: %w", err)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO identity_nonces (nonce, expires_at) VALUES ($1, $2)`, nonce, db.Millis(expires))
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Unauthenticated, "widget.identity_replayed", "this identity token was already used")
		}
		if err != nil {
			return fmt.Errorf("auth: nonce: %w", err)
		}
		return nil
	})
}

// EndCustomerSessions signs a customer out of every widget session, as
// erasing the customer requires.
func (s *Service) EndCustomerSessions(ctx context.Context, customerID int64) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM customer_sessions WHERE customer_id = $1`, customerID); err != nil {
		return fmt.Errorf("auth: end customer sessions: %w", err)
	}
	return nil
}
