package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
)

// receiptOrder ranks a provider's delivery states: a receipt never moves a
// recipient back (receipts can arrive out of order), and the final ones
// (delivered, undelivered, failed) outrank the rest.
var receiptOrder = map[string]int{"accepted": 1, "queued": 1, "scheduled": 1, "sending": 2, "sent": 3,
	"delivered": 4, "undelivered": 4, "failed": 4, "read": 5}

// RecordReceipt keeps a provider's delivery receipt on the recipient whose
// message it names, with the provider's error code when it failed. A
// message that is no campaign's is left alone (an agent's SMS reply).
func (s *Service) RecordReceipt(ctx context.Context, messageID int64, state, errorCode string) error {
	rank, ok := receiptOrder[state]
	if !ok {
		return apperr.Invalidf("outreach.receipt_invalid", "unknown delivery state %q", state)
	}
	if len(errorCode) > 32 {
		errorCode = errorCode[:32]
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var cur string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT delivery FROM outreach_recipients WHERE message_id = $1`, messageID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("outreach: receipt: %w", err)
		}
		if receiptOrder[cur] > rank || cur == state {
			return nil
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE outreach_recipients SET delivery = $1, delivery_error = $2, updated_at = $3
			WHERE message_id = $4`, state, errorCode, db.Millis(s.now()), messageID); err != nil {
			return fmt.Errorf("outreach: receipt: %w", err)
		}
		return nil
	})
}

// StartNumber opts whoever texts START from number back in, as
// StopNumber finds them.
func (s *Service) StartNumber(ctx context.Context, number string) error {
	c, _, err := s.customers.Resolve(ctx, customer.Identity{Channel: "sms", ExternalID: number}, customer.Input{Phone: &number})
	if err != nil {
		return err
	}
	return s.OptIn(ctx, c.ID)
}

// StopNumber opts out whoever texts STOP from number: the customer whose
// SMS identity it is (every customer the desk texted has one), or a new
// customer holding it, so the number is never texted by a campaign again.
func (s *Service) StopNumber(ctx context.Context, number string) error {
	c, _, err := s.customers.Resolve(ctx, customer.Identity{Channel: "sms", ExternalID: number}, customer.Input{Phone: &number})
	if err != nil {
		return err
	}
	return s.OptOut(ctx, c.ID)
}

func (s *Service) countReceipts(ctx context.Context, campaignID int64, into map[string]int) error {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT delivery, COUNT(*) FROM outreach_recipients
		WHERE campaign_id = $1 AND delivery <> '' GROUP BY delivery`, campaignID)
	if err != nil {
		return fmt.Errorf("outreach: receipts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return fmt.Errorf("outreach: receipts: %w", err)
		}
		into[state] = n
	}
	return rows.Err()
}
