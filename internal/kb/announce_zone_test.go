package kb_test

import (
	"testing"
	"time"

	"vigil/internal/kb"
)

// Readers see the window in UTC, and first in the zone it was planned in
// with that zone's offset on the day, so nobody has to guess the zone.
func TestAnnouncementWindow(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, zone, starts, ends, want string
	}{
		{"UTC", "UTC", "2026-12-02T02:00:00Z", "2026-12-02T04:00:00Z", "2026-12-02 02:00–04:00 UTC"},
		{"no zone is UTC", "", "2026-12-02T02:00:00Z", "2026-12-02T04:00:00Z", "2026-12-02 02:00–04:00 UTC"},
		{"Shanghai", "Asia/Shanghai", "2026-12-02T02:00:00Z", "2026-12-02T04:00:00Z",
			"2026-12-02 10:00–12:00 (Asia/Shanghai, UTC+8) · 2026-12-02 02:00–04:00 UTC"},
		{"dates differ between zones", "Asia/Shanghai", "2026-12-01T23:00:00Z", "2026-12-02T01:00:00Z",
			"2026-12-02 07:00–09:00 (Asia/Shanghai, UTC+8) · 2026-12-01 23:00 – 2026-12-02 01:00 UTC"},
		{"half-hour offset", "Asia/Kolkata", "2026-12-02T02:00:00Z", "2026-12-02T04:00:00Z",
			"2026-12-02 07:30–09:30 (Asia/Kolkata, UTC+5:30) · 2026-12-02 02:00–04:00 UTC"},
		{"across the clock change", "America/New_York", "2027-03-14T05:00:00Z", "2027-03-14T09:00:00Z",
			"2027-03-14 00:00–05:00 (America/New_York, UTC-5→UTC-4) · 2027-03-14 05:00–09:00 UTC"},
	}
	for _, tc := range tests {
		a := kb.Announcement{TimeZone: tc.zone, StartsAt: at(tc.starts), EndsAt: at(tc.ends)}
		if got := a.Window(); got != tc.want {
			t.Errorf("%s: Window() = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := (kb.Announcement{StartsAt: at("2026-12-02T02:00:00Z")}).Window(); got != "" {
		t.Errorf("a banner without an end shows %q", got)
	}
	for _, name := range []string{"", "Local", "Asia/Atlantis", "../etc/passwd"} {
		if _, err := kb.LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) accepted", name)
		}
	}
}
