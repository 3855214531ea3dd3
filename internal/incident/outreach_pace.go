package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/customer"
	"vigil/internal/db"
)

// interval is the time one message of campaign c takes on channel ch:
// the campaign's own pace, or the channel's cap when that is slower.
func (s *Service) interval(c Campaign, ch string) time.Duration {
	d := time.Minute / time.Duration(c.RatePerMinute)
	if r := s.rates[ch]; r > 0 {
		d = max(d, time.Minute/time.Duration(r))
	}
	return d
}

// reserve takes the recipient's send slot on its channel's pace, which
// every campaign shares, and returns how long to wait for it (0: send
// now). A recipient keeps the slot it reserved, so a postponed job sends
// when it comes back without taking another, unless it comes back more
// than staleSlot late. The reservation is written
// in the caller's transaction: a worker killed before commit took none.
//
// Jobs are already spread at each campaign's pace when recipients are
// added; this is what holds the channel's rate when campaigns overlap, and
// after an outage, when every overdue job is due at once. It is taken by
// the delivery, just before the provider is called (Pace), or for in-app
// notices by the outreach step itself. pace names the pace row: the
// channel's, or the one that paces writing the channel's messages.
func (s *Service) reserve(ctx context.Context, p outreachPayload, c Campaign, ch, pace string, slot sql.NullInt64) (time.Duration, error) {
	now := s.now()
	// Writing is inside the desk: a late write slot is still taken, as the
	// deliveries that follow keep the pace the provider sees.
	if slot.Valid && (strings.HasPrefix(pace, "write:") || !db.Time(slot.Int64).Before(now.Add(-staleSlot))) {
		return max(db.Time(slot.Int64).Sub(now), 0), nil
	}
	step := s.interval(c, ch)
	var next int64
	for range 2 {
		err := s.db.Q(ctx).QueryRowContext(ctx, `UPDATE outreach_channel_pace
			SET next_at = CASE WHEN next_at < $1 THEN $1 ELSE next_at END + $2 WHERE channel = $3 RETURNING next_at`,
			db.Millis(now), step.Milliseconds(), pace).Scan(&next)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("outreach: channel pace: %w", err)
		}
		// The channel's first message ever: start its pace, then take from it.
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO outreach_channel_pace (channel, next_at) VALUES ($1, $2)
			ON CONFLICT (channel) DO NOTHING`, pace, db.Millis(now)); err != nil {
			return 0, fmt.Errorf("outreach: channel pace: %w", err)
		}
	}
	at := db.Time(next).Add(-step)
	// A little slack absorbs the workers' own jitter without letting two
	// messages share one slot.
	if wait := at.Sub(now); wait > min(step/2, 50*time.Millisecond) {
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE outreach_recipients SET slot_at = $1 WHERE campaign_id = $2 AND customer_id = $3`,
			db.Millis(at), p.CampaignID, p.CustomerID); err != nil {
			return 0, fmt.Errorf("outreach: reserve slot: %w", err)
		}
		return wait, nil
	}
	return 0, nil
}

// Pace is the channel.Pacer of outreach deliveries: a campaign message
// waits for its slot on the channel's pace; any other message leaves now.
func (s *Service) Pace(ctx context.Context, ch string, messageID int64) (time.Duration, error) {
	var wait time.Duration
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var p outreachPayload
		var slot sql.NullInt64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT campaign_id, customer_id, slot_at FROM outreach_recipients
			WHERE message_id = $1`, messageID).Scan(&p.CampaignID, &p.CustomerID, &slot)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("outreach: pace: %w", err)
		}
		c, err := s.Campaign(ctx, p.CampaignID)
		if err != nil {
			return err
		}
		wait, err = s.reserve(ctx, p, c, ch, ch, slot)
		return err
	})
	return wait, err
}

// staleSlot is how late a reserved slot may be taken. A worker wakes for a
// postponed job when it comes due (job.Later), so a slot is late only when
// the workers were busy or away (killed, stopped); later than this, the
// slot is given up for a new one, so messages held up by an outage do not
// all leave at once when the workers return: at most this long's worth.
const staleSlot = 250 * time.Millisecond

// smsNumber is where a customer gets text messages: the number of their
// SMS identity, or the phone number on their record.
func smsNumber(c customer.Customer) string {
	for _, id := range c.Identities {
		if id.Channel == "sms" {
			return id.ExternalID
		}
	}
	return c.Phone
}
