package kb

import (
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
)

// LoadZone reads an IANA time-zone name such as Asia/Shanghai. "Local"
// and "" are refused: the server's own zone means nothing to a reader.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return nil, apperr.Field("time_zone", "kb.zone_invalid", "give an IANA time zone such as UTC or Asia/Shanghai")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, apperr.Field("time_zone", "kb.zone_invalid", "%q is not an IANA time zone such as UTC or Asia/Shanghai", name)
	}
	return loc, nil
}

// Zone is the location the announcement's times were given in; an
// unknown name (not possible through validate) falls back to UTC.
func (a Announcement) Zone() *time.Location {
	if loc, err := LoadZone(a.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Window is the announcement's times as the public pages show them: in
// UTC, and first in the zone they were given in with its offset when
// that is not UTC, so that no reader has to guess the zone, e.g.
// "2026-12-02 10:00–12:00 (Asia/Shanghai, UTC+8) · 2026-12-02 02:00–04:00 UTC".
// It is empty for a banner without an end (an open incident).
func (a Announcement) Window() string {
	if a.StartsAt.IsZero() || a.EndsAt.IsZero() {
		return ""
	}
	utc := span(a.StartsAt.UTC(), a.EndsAt.UTC()) + " UTC"
	loc := a.Zone()
	if loc.String() == "UTC" {
		return utc
	}
	s, e := a.StartsAt.In(loc), a.EndsAt.In(loc)
	off := Offset(s)
	if o := Offset(e); o != off {
		off += "→" + o
	}
	return fmt.Sprintf("%s (%s, %s) · %s", span(s, e), loc, off, utc)
}

// span is "2006-01-02 15:04–15:04", with the end's date when it falls
// on another day.
func span(s, e time.Time) string {
	const day, minute = "2006-01-02", "2006-01-02 15:04"
	if s.Format(day) == e.Format(day) {
		return s.Format(minute) + "–" + e.Format("15:04")
	}
	return s.Format(minute) + " – " + e.Format(minute)
}

// Offset is t's offset from UTC as "UTC+8", "UTC+5:30" or "UTC-4".
func Offset(t time.Time) string {
	_, secs := t.Zone()
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	out := fmt.Sprintf("UTC%s%d", sign, secs/3600)
	if m := secs % 3600 / 60; m != 0 {
		out += fmt.Sprintf(":%02d", m)
	}
	return out
}
