package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"vigil/internal/customer"
	"vigil/internal/db"
)

// interval is the time one message of a campaign paced at rate a minute
// takes on channel ch: the campaign's own pace, or the channel's cap when
// that is slower.
func (s *Service) interval(rate int, ch string) time.Duration {
	d := time.Minute / time.Duration(rate)
	if r := s.rates[ch]; r > 0 {
		d = max(d, time.Minute/time.Duration(r))
	}
	return d
}

// Pacing of outreach. Every campaign on a channel shares one line of send
// slots (outreach_channel_pace), one interval apart. A recipient takes its
// slot once, when its outreach job first runs, and keeps it on
// outreach_recipients.slot_at: the outreach job writes the message at most
// writeAhead before the slot and its delivery job is due at the slot. So
// the desk never writes far ahead of what the channel sends, and a message
// costs one reservation, not one per attempt.
const (
	// writeAhead is how far ahead of its slot a message may be written;
	// an outreach job whose slot is further off waits. It bounds how many
	// messages are written and not yet sent to half a second's worth.
	writeAhead = 500 * time.Millisecond
	// staleSlot is how late a reserved slot may always be taken. A worker
	// wakes for a job when it comes due, so a slot is late only when the
	// workers were busy or away (killed, stopped).
	staleSlot = 250 * time.Millisecond
	// keptLate is how late a slot may still be taken while the channel has
	// no gap (its line of slots reaches past now, so every slot since this
	// one was taken too): busy workers then catch up on their own slots
	// instead of giving them up and waiting at the end of the line, which
	// left slots unused and made each late message cost another
	// transaction. Later than this, or after a gap in the line (the
	// workers were away and nobody took the slots since), the slot is given
	// up for a new one, so messages held up by an outage do not all leave
	// at once when the workers return.
	keptLate = 400 * time.Millisecond
)

// slot returns the send slot of a recipient on channel ch: the one it
// reserved (slot_at), when that is still good, or the next free one on the
// channel's line, which it takes (fresh). A fresh slot is written in the
// caller's transaction: a worker killed before commit took none.
func (s *Service) slot(ctx context.Context, rate int, ch string, reserved sql.NullInt64) (at time.Time, fresh bool, err error) {
	now := s.now()
	if reserved.Valid {
		at := db.Time(reserved.Int64)
		late := now.Sub(at)
		if late <= staleSlot {
			return at, false, nil
		}
		if late <= keptLate {
			var next int64
			err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT next_at FROM outreach_channel_pace WHERE channel = $1`, ch).Scan(&next)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return now, false, fmt.Errorf("outreach: channel pace: %w", err)
			}
			if err == nil && time.UnixMicro(next).After(now) {
				return at, false, nil
			}
		}
	}
	// The line is kept in microseconds (migration 0021), so a rate that
	// does not divide a second into whole milliseconds (4,800 a minute:
	// 12.5 ms) keeps its exact step; a step finer than that is rounded up,
	// so the rate is never exceeded.
	step := s.interval(rate, ch)
	stepMicros := int64((step + time.Microsecond - 1) / time.Microsecond)
	var next int64
	for range 2 {
		err := s.db.Q(ctx).QueryRowContext(ctx, `UPDATE outreach_channel_pace
			SET next_at = CASE WHEN next_at < $1 THEN $1 ELSE next_at END + $2 WHERE channel = $3 RETURNING next_at`,
			now.UnixMicro(), stepMicros, ch).Scan(&next)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return now, false, fmt.Errorf("outreach: channel pace: %w", err)
		}
		// The channel's first message ever: start its pace, then take from it.
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO outreach_channel_pace (channel, next_at) VALUES ($1, $2)
			ON CONFLICT (channel) DO NOTHING`, ch, now.UnixMicro()); err != nil {
			return now, false, fmt.Errorf("outreach: channel pace: %w", err)
		}
	}
	return time.UnixMicro(next - stepMicros).UTC(), true, nil
}

// due is how long to wait for a slot at at: 0 when it is close enough. A
// little slack absorbs the workers' own jitter without letting two
// messages share one slot.
func (s *Service) due(at time.Time, rate int, ch string) time.Duration {
	wait := at.Sub(s.now())
	if wait <= min(s.interval(rate, ch)/2, 50*time.Millisecond) {
		return 0
	}
	return wait
}

// keepSlot records the slot a recipient reserved.
func (s *Service) keepSlot(ctx context.Context, p outreachPayload, at time.Time) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE outreach_recipients SET slot_at = $1 WHERE campaign_id = $2 AND customer_id = $3`,
		db.Millis(at), p.CampaignID, p.CustomerID); err != nil {
		return fmt.Errorf("outreach: reserve slot: %w", err)
	}
	return nil
}

// Pace is the channel.Pacer of outreach deliveries: a campaign message
// leaves at its recipient's slot on the channel's pace (taken when the
// message was written, or again when the delivery comes back too late for
// it); any other message leaves now. The common case, a delivery that
// runs at its slot, reads two rows and writes nothing.
func (s *Service) Pace(ctx context.Context, ch string, messageID int64) (time.Duration, error) {
	var p outreachPayload
	var rate int
	var reserved sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT r.campaign_id, r.customer_id, r.slot_at, c.rate_per_minute
		FROM outreach_recipients r JOIN outreach_campaigns c ON c.id = r.campaign_id WHERE r.message_id = $1`,
		messageID).Scan(&p.CampaignID, &p.CustomerID, &reserved, &rate)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outreach: pace: %w", err)
	}
	if reserved.Valid && !db.Time(reserved.Int64).Before(s.now().Add(-staleSlot)) {
		return s.due(db.Time(reserved.Int64), rate, ch), nil
	}
	var wait time.Duration
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		at, fresh, err := s.slot(ctx, rate, ch, reserved)
		if err != nil {
			return err
		}
		if wait = s.due(at, rate, ch); fresh && wait > 0 {
			return s.keepSlot(ctx, p, at)
		}
		return nil
	})
	return wait, err
}

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
