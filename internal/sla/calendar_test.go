package sla

import (
	"testing"
	"time"
)

// weekdays 09:00-17:00 Monday to Friday.
func officeHours(tz string, holidays ...string) Calendar {
	var w [7][]Span
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = []Span{{From: 9 * 60, To: 17 * 60}}
	}
	c := Calendar{Name: "office", TZ: tz, Week: w, Holidays: holidays}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// allDay is open 00:00-24:00 every day: calendar time, but walked span by
// span, so DST days show their real length.
func allDay(tz string) Calendar {
	var w [7][]Span
	for d := range w {
		w[d] = []Span{{From: 0, To: 1440}}
	}
	c := Calendar{Name: "all day", TZ: tz, Week: w}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

func at(t *testing.T, tz, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCalendarAdd(t *testing.T) {
	tests := []struct {
		name  string
		cal   Calendar
		tz    string // of start and want
		start string
		d     time.Duration
		want  string
	}{
		{"24/7 is plain addition", AlwaysOpen, "UTC", "2026-12-05 23:30", 2 * time.Hour, "2026-12-06 01:30"},
		{"within the day", officeHours("Asia/Shanghai"), "Asia/Shanghai", "2026-12-01 10:00", 4 * time.Hour, "2026-12-01 14:00"},
		{"rolls to the next morning", officeHours("Asia/Shanghai"), "Asia/Shanghai", "2026-12-01 16:00", 2 * time.Hour, "2026-12-02 10:00"},
		{"arrives at night, clock starts at nine", officeHours("Asia/Shanghai"), "Asia/Shanghai", "2026-12-01 03:00", time.Hour, "2026-12-01 10:00"},
		{"Friday evening to Monday", officeHours("Europe/London"), "Europe/London", "2026-12-04 16:30", time.Hour, "2026-12-07 09:30"},
		{"weekend arrival", officeHours("Europe/London"), "Europe/London", "2026-12-05 12:00", 30 * time.Minute, "2026-12-07 09:30"},
		{"skips a holiday", officeHours("Asia/Shanghai", "2026-10-01", "2026-10-02"), "Asia/Shanghai", "2026-09-30 16:00", 2 * time.Hour, "2026-10-05 10:00"},
		{"exactly at closing stays at closing", officeHours("UTC"), "UTC", "2026-12-01 16:00", time.Hour, "2026-12-01 17:00"},
		{"a full working week", officeHours("UTC"), "UTC", "2026-12-07 09:00", 40 * time.Hour, "2026-12-11 17:00"},
		// 2026-03-08 02:00 America/New_York springs forward: that Sunday has 23 hours.
		{"spring forward day is 23 hours", allDay("America/New_York"), "America/New_York", "2026-03-08 00:00", 24 * time.Hour, "2026-03-09 01:00"},
		{"office hours keep 09:00 across spring forward", officeHours("America/New_York"), "America/New_York", "2026-03-06 16:00", 2 * time.Hour, "2026-03-09 10:00"},
		// 2026-10-25 02:00 Europe/London falls back: that Sunday has 25 hours.
		{"fall back day is 25 hours", allDay("Europe/London"), "Europe/London", "2026-10-25 00:00", 24 * time.Hour, "2026-10-25 23:00"},
		{"business hours in another zone than the viewer", officeHours("Asia/Shanghai"), "UTC", "2026-12-01 08:30", time.Hour, "2026-12-02 01:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cal.Add(at(t, tt.tz, tt.start), tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if want := at(t, tt.tz, tt.want); !got.Equal(want) {
				t.Errorf("Add(%s, %s) = %s, want %s", tt.start, tt.d, got.In(want.Location()).Format("2006-01-02 15:04 MST"), tt.want)
			}
			// Elapsed is Add's inverse over working time.
			if e := tt.cal.Elapsed(at(t, tt.tz, tt.start), got); e != tt.d {
				t.Errorf("Elapsed back = %s, want %s", e, tt.d)
			}
		})
	}
}

func TestCalendarElapsed(t *testing.T) {
	cal := officeHours("Europe/London", "2026-12-25")
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"overnight counts nothing", "2026-12-01 17:00", "2026-12-02 09:00", 0},
		{"a weekend counts nothing", "2026-12-04 17:00", "2026-12-07 09:00", 0},
		{"partial days on both ends", "2026-12-01 16:00", "2026-12-02 10:30", 2*time.Hour + 30*time.Minute},
		{"Christmas is a holiday", "2026-12-24 09:00", "2026-12-28 09:00", 8 * time.Hour},
		{"backwards is zero", "2026-12-02 10:00", "2026-12-01 10:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.Elapsed(at(t, "Europe/London", tt.from), at(t, "Europe/London", tt.to)); got != tt.want {
				t.Errorf("Elapsed = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCalendarValidate(t *testing.T) {
	bad := []Calendar{
		{Name: "x", TZ: "Mars/Olympus"},
		{Name: "x", TZ: "UTC", Week: [7][]Span{1: {{From: 600, To: 540}}}},
		{Name: "x", TZ: "UTC", Week: [7][]Span{1: {{From: 540, To: 1500}}}},
		{Name: "x", TZ: "UTC", Week: [7][]Span{1: {{From: 540, To: 720}, {From: 700, To: 800}}}},
		{Name: "x", TZ: "UTC", Holidays: []string{"25/12/2026"}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("calendar %d: invalid calendar accepted", i)
		}
	}
}

func TestCalendarWithoutHoursFails(t *testing.T) {
	c := Calendar{Name: "holidays only", TZ: "UTC", Week: [7][]Span{0: {{From: 0, To: 60}}}}
	// Sundays only, all of them holidays for longer than the walk.
	for d := 0; d < maxDays+10; d++ {
		day := time.Date(2026, 1, 1+d, 0, 0, 0, 0, time.UTC)
		if day.Weekday() == time.Sunday {
			c.Holidays = append(c.Holidays, day.Format(time.DateOnly))
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour); err == nil {
		t.Error("a calendar with no working time produced a deadline")
	}
}
