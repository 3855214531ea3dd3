package report

import (
	"context"
	"slices"
	"time"
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
	waits, err := s.o.Facts.FirstWaits(ctx, "webchat", now.Add(-WaitWindow), now)
	if err != nil {
		return Availability{}, err
	}
	a.Answered = len(waits)
	if len(waits) > 0 {
		slices.Sort(waits)
		v := float64(waits[(len(waits)-1)/2] / time.Second)
		a.MedianWait = &v
	}
	return a, nil
}
