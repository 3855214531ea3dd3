// Package sla holds service-level policies and business calendars, and
// the deadline math over them. The math is pure: every function takes the
// instants it needs, so tests across time zones, DST changes and holidays
// are exact. The conversation rows that carry SLA state belong to the
// ticket package, which calls into this one.
package sla

import (
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // calendars name IANA zones; the binary must not depend on the host's zoneinfo

	"vigil/internal/apperr"
)

// Span is a stretch of working time within one local day, in minutes
// since local midnight: [From, To). To may be 1440 (midnight at the end
// of the day).
type Span struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Calendar says when the clock runs. The zero Calendar (and AlwaysOpen)
// runs all the time.
type Calendar struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// TZ is an IANA time zone; weekly hours and holidays are local to it.
	TZ string `json:"tz"`
	// Week holds each weekday's working spans, Sunday first. All empty
	// means open around the clock.
	Week [7][]Span `json:"week"`
	// Holidays are local dates (2006-01-02) with no working time.
	Holidays []string `json:"holidays"`

	loc *time.Location
}

// AlwaysOpen is the 24/7 calendar.
var AlwaysOpen = Calendar{Name: "24/7", TZ: "UTC"}

// maxDays bounds the walk over a calendar: a year of holidays in a row is
// a configuration error, not a deadline.
const maxDays = 800

// Validate checks the calendar and prepares its location.
func (c *Calendar) Validate() error {
	if c.TZ == "" {
		c.TZ = "UTC"
	}
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return apperr.Field("tz", "sla.tz_invalid", "unknown time zone %q", c.TZ)
	}
	c.loc = loc
	for d, spans := range c.Week {
		for _, s := range spans {
			if s.From < 0 || s.To > 1440 || s.From >= s.To {
				return apperr.Field("week", "sla.span_invalid", "%s: a span must run forward within the day (minutes 0-1440)", time.Weekday(d))
			}
		}
		c.Week[d] = sortedSpans(spans)
		if c.Week[d] == nil {
			c.Week[d] = []Span{}
		}
		for i := 1; i < len(c.Week[d]); i++ {
			if c.Week[d][i].From < c.Week[d][i-1].To {
				return apperr.Field("week", "sla.span_overlap", "%s: spans overlap", time.Weekday(d))
			}
		}
	}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return apperr.Field("holidays", "sla.holiday_invalid", "%q is not a date (YYYY-MM-DD)", h)
		}
	}
	if c.Holidays == nil {
		c.Holidays = []string{}
	}
	slices.Sort(c.Holidays)
	c.Holidays = slices.Compact(c.Holidays)
	if len(c.Holidays) > 1000 {
		return apperr.Field("holidays", "sla.holidays_too_many", "at most 1000 holidays")
	}
	return nil
}

func sortedSpans(in []Span) []Span {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b Span) int { return a.From - b.From })
	return out
}

// Continuous reports whether the clock never stops (24/7, no holidays).
func (c Calendar) Continuous() bool {
	if len(c.Holidays) > 0 {
		return false
	}
	for _, spans := range c.Week {
		if len(spans) > 0 {
			return false
		}
	}
	return true
}

func (c Calendar) location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	if loc, err := time.LoadLocation(c.TZ); err == nil && c.TZ != "" {
		return loc
	}
	return time.UTC
}

// holiday reports whether date's local day is one of the holidays
// (sorted by Validate).
func (c Calendar) holiday(date time.Time) bool {
	_, found := slices.BinarySearch(c.Holidays, date.Format(time.DateOnly))
	return found
}

// day returns the working intervals of the local day that starts at
// midnight y-m-d, as absolute instants. Building them with time.Date in
// the calendar's location keeps 09:00 at 09:00 across DST changes; a
// 23- or 25-hour day simply has less or more time in a span covering the
// switch.
func (c Calendar) day(y int, m time.Month, d int, loc *time.Location) [][2]time.Time {
	date := time.Date(y, m, d, 12, 0, 0, 0, loc)
	if c.holiday(date) {
		return nil
	}
	spans := c.Week[date.Weekday()]
	out := make([][2]time.Time, 0, len(spans))
	for _, s := range spans {
		from := time.Date(y, m, d, 0, s.From, 0, 0, loc)
		to := time.Date(y, m, d, 0, s.To, 0, 0, loc)
		if to.After(from) {
			out = append(out, [2]time.Time{from, to})
		}
	}
	return out
}

// Add returns the instant when d of working time has passed after start.
// An error means the calendar has no working time within the walk's
// bound (a misconfiguration).
func (c Calendar) Add(start time.Time, d time.Duration) (time.Time, error) {
	if c.Continuous() || d <= 0 {
		if d < 0 {
			d = 0
		}
		return start.Add(d), nil
	}
	loc := c.location()
	l := start.In(loc)
	y, m, dd := l.Date()
	for i := 0; i < maxDays; i++ {
		for _, iv := range c.day(y, m, dd+i, loc) {
			from, to := iv[0], iv[1]
			if !to.After(start) {
				continue
			}
			if from.Before(start) {
				from = start
			}
			if avail := to.Sub(from); d <= avail {
				return from.Add(d), nil
			} else {
				d -= avail
			}
		}
	}
	return time.Time{}, fmt.Errorf("sla: calendar %q has no working time within %d days", c.Name, maxDays)
}

// Elapsed returns the working time between from and to (zero when to is
// not after from).
func (c Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.Continuous() {
		return to.Sub(from)
	}
	loc := c.location()
	l := from.In(loc)
	y, m, dd := l.Date()
	var sum time.Duration
	for i := 0; i < maxDays; i++ {
		ivs := c.day(y, m, dd+i, loc)
		dayStart := time.Date(y, m, dd+i, 0, 0, 0, 0, loc)
		if !dayStart.Before(to) {
			break
		}
		for _, iv := range ivs {
			a, b := iv[0], iv[1]
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				sum += b.Sub(a)
			}
		}
	}
	return sum
}
