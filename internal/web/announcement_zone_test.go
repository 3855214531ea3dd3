package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A supervisor in Shanghai types the window in Shanghai time: it is
// stored as the UTC instant, shown again in Shanghai time, and the public
// pages name both zones. A zone that does not exist and a time the
// clocks skip are field errors that keep the form as typed.
func TestAnnouncementTimeZone(t *testing.T) {
	e := helpEnv(t)
	e.clock.now = time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	b := e.supervisor()
	form := url.Values{"topic": {"withdrawal"}, "title_en": {"BTC wallet upgrade"}, "body_en": {"Withdrawals pause."},
		"time_zone": {"Asia/Shanghai"}, "starts_at": {"2026-12-02T10:00"}, "ends_at": {"2026-12-02T12:00"}}
	if status, page, _ := b.form("/console/announcements", form); status != http.StatusSeeOther {
		t.Fatalf("create in Asia/Shanghai: %d %s", status, page)
	}
	list, err := e.app.KB.Announcements(sysCtx, time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("announcements = %+v, %v", list, err)
	}
	a := list[0]
	if want := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC); !a.StartsAt.Equal(want) || !a.EndsAt.Equal(want.Add(2*time.Hour)) || a.TimeZone != "Asia/Shanghai" {
		t.Errorf("stored %v – %v in %q, want 02:00–04:00 UTC from Asia/Shanghai", a.StartsAt.UTC(), a.EndsAt.UTC(), a.TimeZone)
	}
	id := strconv.FormatInt(a.ID, 10)
	_, page, _ := b.get("/console/announcements/" + id)
	for _, want := range []string{`name="starts_at" value="2026-12-02T10:00"`, `name="ends_at" value="2026-12-02T12:00"`,
		`<option value="Asia/Shanghai" selected>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	// The next new form starts in the zone last used, and the list names it.
	_, page, _ = b.get("/console/announcements")
	for _, want := range []string{`<option value="Asia/Shanghai" selected>`, `name="starts_at" value="2026-12-02T04:00"`,
		`2026-12-02 10:00 – 2026-12-02 12:00 <span class="zone">Asia/Shanghai (UTC+8)</span>`} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the new form or the list is not in the zone last used: lacks %s", want)
		}
	}

	bad := []struct {
		name, zone, starts, field, want string
	}{
		{"unknown zone", "Asia/Atlantis", "2027-03-14T01:00", "time_zone", `is not an IANA time zone`},
		{"time the clocks skip", "America/New_York", "2027-03-14T02:30", "starts_at", "2027-03-14 02:30 does not exist in America/New_York"},
	}
	for _, tc := range bad {
		f := url.Values{"title_en": {"Spring maintenance"}, "body_en": {"Short pause."}, "time_zone": {tc.zone},
			"starts_at": {tc.starts}, "ends_at": {"2027-03-14T05:00"}}
		status, page, _ := b.form("/console/announcements", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) {
			t.Errorf("%s: %d, lacks %q", tc.name, status, tc.want)
		}
		for _, kept := range []string{`value="Spring maintenance"`, `value="` + tc.starts + `"`, `<option value="` + tc.zone + `" selected>`} {
			if !strings.Contains(page, kept) {
				t.Errorf("%s: the form lost %s", tc.name, kept)
			}
		}
	}
	if got, _ := e.app.KB.Announcements(sysCtx, time.Time{}); len(got) != 1 {
		t.Errorf("%d announcements after the refused ones, want 1", len(got))
	}

	e.clock.now = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	window := "2026-12-02 10:00–12:00 (Asia/Shanghai, UTC+8) · 2026-12-02 02:00–04:00 UTC"
	for _, path := range []string{"/help/en/", "/widget/chat?lang=zh"} {
		p := e.help(t, "GET", path, nil, "")
		if !strings.Contains(p.body, `<time class="window" datetime="2026-12-02T02:00:00Z"`) || !strings.Contains(html.UnescapeString(p.body), window) {
			t.Errorf("GET %s does not show the window with its zones: %s", path, p.body)
		}
	}
}
