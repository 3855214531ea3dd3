package sla

import (
	"testing"
	"time"
)

func TestPeriodEnd(t *testing.T) {
	fri := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) // a Friday
	cases := []struct {
		span string
		from time.Time
		cal  Calendar
		want time.Time
	}{
		// Received Friday: Monday and Tuesday count; due end of Tuesday.
		{"2bd", fri, Calendar{}, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		// Received Saturday: the same two days.
		{"2bd", fri.Add(24 * time.Hour), Calendar{}, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		// Received Monday: Tuesday and Wednesday.
		{"2bd", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Calendar{}, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)},
		// 15 business days spans three weekends.
		{"15bd", fri, Calendar{}, time.Date(2026, 12, 19, 0, 0, 0, 0, time.UTC)},
		// In London in summer the day ends at 23:00 UTC.
		{"1bd", time.Date(2026, 7, 6, 12, 0, 0, 0, time.UTC), Calendar{TZ: "Europe/London"}, time.Date(2026, 7, 7, 23, 0, 0, 0, time.UTC)},
		{"8w", fri, Calendar{}, fri.AddDate(0, 0, 56)},
		{"14d", fri, Calendar{}, fri.AddDate(0, 0, 14)},
		{"48h", fri, Calendar{}, fri.Add(48 * time.Hour)},
		{"5y", fri, Calendar{}, fri.AddDate(0, 0, 5*365)},
	}
	for _, c := range cases {
		sp, err := ParsePeriod(c.span)
		if err != nil {
			t.Fatalf("%s: %v", c.span, err)
		}
		if got := sp.End(c.from, c.cal); !got.Equal(c.want) {
			t.Errorf("%s from %s: %s, want %s", c.span, c.from, got, c.want)
		}
		if back, err := ParsePeriod(sp.String()); err != nil || back != sp {
			t.Errorf("%s prints as %s, which reads back as %+v", c.span, sp, back)
		}
	}
	for _, bad := range []string{"", "0bd", "-2w", "soon", "2x", "bd"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
}

// Holidays are not business days: received on Wednesday 23 December with
// Christmas and Boxing Day (observed on Monday 28) off, two business days
// are Thursday 24 and Tuesday 29.
func TestPeriodSkipsHolidays(t *testing.T) {
	cal := Calendar{TZ: "UTC", Holidays: []string{"2026-12-28", "2026-12-25"}}
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 23, 10, 0, 0, 0, time.UTC)
	if got, want := (Period{BusinessDays: 2}).End(from, cal), time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("2bd from %s with holidays: %s, want %s", from, got, want)
	}
	if got, want := (Period{BusinessDays: 2}).End(from, Calendar{}), time.Date(2026, 12, 26, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("2bd from %s without holidays: %s, want %s", from, got, want)
	}
}
