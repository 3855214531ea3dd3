package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"vigil/internal/db"
)

// WaitWindow is the period the public median wait covers.
const WaitWindow = time.Hour

// Availability is what the public transparency widget shows: whether a
// person can take a live chat now, and how long chat customers whose
// first answer came in the last hour waited for it.
type Availability struct {
	ChatAvailable bool      `json:"chat_available"`
	MedianWait    *float64  `json:"median_wait_seconds"` // nil: nobody was answered in the last hour
	Answered      int       `json:"answered_last_hour"`
	At            time.Time `json:"at"`
}

// Availability reads live figures (not the rollup): a handful of rows.
// The median is exact, the middle value (the lower one of an even count).
func (s *Service) Availability(ctx context.Context) (Availability, error) {
	now := s.o.Now().UTC().Truncate(time.Second)
	a := Availability{At: now}
	if s.o.Online != nil {
		n, err := s.o.Online(ctx)
		if err != nil {
			return Availability{}, err
		}
		a.ChatAvailable = n > 0
	}
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT first_response_at - created_at FROM conversations
		WHERE channel = 'webchat' AND first_response_at >= $1 AND first_response_at <= $2`, db.Millis(now.Add(-WaitWindow)), db.Millis(now))
	if err != nil {
		return Availability{}, fmt.Errorf("report: median wait: %w", err)
	}
	defer rows.Close()
	var waits []int64
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return Availability{}, fmt.Errorf("report: median wait: %w", err)
		}
		waits = append(waits, ms)
	}
	if err := rows.Err(); err != nil {
		return Availability{}, fmt.Errorf("report: median wait: %w", err)
	}
	a.Answered = len(waits)
	if len(waits) > 0 {
		slices.Sort(waits)
		v := float64(waits[(len(waits)-1)/2] / 1000)
		a.MedianWait = &v
	}
	return a, nil
}
