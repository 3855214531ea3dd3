package sla

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a regulatory period such as "2 business days" or "8 weeks".
// Business days count Monday to Friday after the day of receipt, public
// holidays left out, and the period ends when the last of them ends (in
// the period's time zone), as complaint rules phrase it; other periods are
// plain durations.
type Period struct {
	BusinessDays int
	Duration     time.Duration
}

// ParsePeriod reads "2bd" (business days), "8w" (weeks), "14d" (days),
// "5y" (years of 365 days) or a Go duration ("48h").
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	num := func(suffix string) (int, bool) {
		v, ok := strings.CutSuffix(s, suffix)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(v)
		return n, err == nil && n > 0 && n <= 3660
	}
	if n, ok := num("bd"); ok {
		return Period{BusinessDays: n}, nil
	}
	if n, ok := num("y"); ok {
		return Period{Duration: time.Duration(n) * 365 * 24 * time.Hour}, nil
	}
	if n, ok := num("w"); ok {
		return Period{Duration: time.Duration(n) * 7 * 24 * time.Hour}, nil
	}
	if n, ok := num("d"); ok && !strings.HasSuffix(s, "bd") {
		return Period{Duration: time.Duration(n) * 24 * time.Hour}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return Period{Duration: d}, nil
	}
	return Period{}, fmt.Errorf("%q is not a period: use business days (2bd), weeks (8w), days (14d), years (5y) or hours (48h)", s)
}

// End returns when a period started at t runs out, counting business days
// in cal's time zone and skipping cal's holidays (its weekly hours do not
// matter: a business day is a weekday).
func (sp Period) End(t time.Time, cal Calendar) time.Time {
	if sp.BusinessDays == 0 {
		return t.Add(sp.Duration)
	}
	loc := cal.location()
	l := t.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for n := 0; n < sp.BusinessDays; {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && !cal.holiday(day) {
			n++
		}
	}
	return day.AddDate(0, 0, 1).UTC() // the end of the last business day
}

// String is the span as ParsePeriod reads it.
func (sp Period) String() string {
	switch {
	case sp.BusinessDays > 0:
		return fmt.Sprintf("%dbd", sp.BusinessDays)
	case sp.Duration%(365*24*time.Hour) == 0:
		return fmt.Sprintf("%dy", sp.Duration/(365*24*time.Hour))
	case sp.Duration%(7*24*time.Hour) == 0:
		return fmt.Sprintf("%dw", sp.Duration/(7*24*time.Hour))
	case sp.Duration%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", sp.Duration/(24*time.Hour))
	}
	return sp.Duration.String()
}
