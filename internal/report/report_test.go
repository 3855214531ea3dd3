package report_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/report"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// dataset builds five conversations on Monday 2 and Tuesday 3 March 2026
// (UTC), moving the clock through every step, and returns the tokens'
// rating answers already given. The figures in the tests below are worked
// out by hand from this script.
//
//	A  Mon 18:00 UTC webchat en deposit    team 1 agent X  reply +5m,  solved +30m, rated 5
//	B  Mon 19:00 UTC email   zh withdrawal team 1 agent Y  SLA breach, reply +20m, solved 21:00,
//	                                                       reopened 21:30, solved 22:00, rated 2
//	C  Tue 02:00 UTC webchat en deposit    team 2 agent X  reply +1m,  solved +10m
//	D  Tue 03:00 UTC telegram zh security  VIP 3, nobody   SLA breach, still new
//	E  Tue 04:00 UTC webchat en deposit    team 2 agent X  reply +3m,  pending
func dataset(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.slas.SavePolicy(e.ctx, sla.Policy{Name: "ten minutes", Enabled: true, Targets: sla.Targets{FirstResponse: 10}}); err != nil {
		t.Fatal(err)
	}
	t1, _ := e.agents.CreateTeam(e.ctx, "Deposits", "")
	t2, _ := e.agents.CreateTeam(e.ctx, "Payments", "")
	x := e.agent(t, "x@desk.example", t1.ID, t2.ID)
	y := e.agent(t, "y@desk.example", t1.ID)
	ana := e.customer(t, "Ana", "en", 0)
	li := e.customer(t, "Li", "zh", 0)
	vip := e.customer(t, "Wang", "zh", 3)
	at := func(day, hour, minute int) {
		e.clock.Advance(time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC).Sub(e.clock.Now()))
		if _, err := e.tickets.FireSLA(e.ctx, e.clock.Now(), 100); err != nil {
			t.Fatal(err)
		}
	}
	open := func(c customer.Customer, channel, lang, category string, team, agent int64) ticket.Conversation {
		conv, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: c.ID, Channel: channel, Language: lang, Category: category,
			TeamID: team, AssigneeID: agent, Priority: ticket.Normal,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: c.ID, Body: "Help"}})
		if err != nil {
			t.Fatal(err)
		}
		return conv
	}
	at(2, 18, 0)
	a := open(ana, "webchat", "en", "deposit", t1.ID, x.ID)
	at(2, 18, 5)
	e.reply(t, a.ID, x.ID)
	at(2, 18, 30)
	e.status(t, a.ID, ticket.StatusSolved)
	at(2, 19, 0)
	b := open(li, "email", "zh", "withdrawal", t1.ID, y.ID)
	at(2, 19, 11) // the first-response clock ran out at 19:10
	at(2, 19, 20)
	e.reply(t, b.ID, y.ID)
	at(2, 21, 0)
	e.status(t, b.ID, ticket.StatusSolved)
	at(2, 21, 30)
	e.say(t, b.ID, li.ID)
	at(2, 22, 0)
	e.status(t, b.ID, ticket.StatusSolved)
	at(3, 2, 0)
	c := open(ana, "webchat", "en", "deposit", t2.ID, x.ID)
	at(3, 2, 1)
	e.reply(t, c.ID, x.ID)
	at(3, 2, 10)
	e.status(t, c.ID, ticket.StatusSolved)
	at(3, 3, 0)
	open(vip, "telegram", "zh", "account_security", 0, 0)
	at(3, 3, 11)
	at(3, 4, 0)
	ec := open(ana, "webchat", "en", "deposit", t2.ID, x.ID)
	at(3, 4, 3)
	e.reply(t, ec.ID, x.ID)
	e.status(t, ec.ID, ticket.StatusPending)
	at(3, 5, 0)
	e.runJobs(t)
	e.rate(t, a.ID, 5)
	e.rate(t, b.ID, 2)
	at(3, 6, 0)
	if _, err := e.reports.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
}

// rate answers a conversation's survey through its link.
func (e *env) rate(t *testing.T, convID int64, rating int) {
	t.Helper()
	asks := e.surveyMessages(t, convID)
	if len(asks) != 1 {
		t.Fatalf("conversation %d has %d rating requests", convID, len(asks))
	}
	if _, err := e.reports.Answer(e.ctx, linkRE.FindStringSubmatch(asks[0].Body)[1], rating, ""); err != nil {
		t.Fatal(err)
	}
}

func f(v float64) *float64 { return &v }

func dur(n int, median, p90 float64) report.Duration {
	return report.Duration{Count: n, Median: median, P90: p90}
}

func (e *env) run(t *testing.T, tz string, by report.Dimension) report.Report {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.reports.Run(e.ctx, report.Query{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
		TZ: loc, By: by, Night: report.Window{Start: 0, End: 6}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestReportFigures(t *testing.T) {
	e := newEnv(t)
	dataset(t, e)
	rep := e.run(t, "Asia/Shanghai", report.ByChannel)
	// First responses 60, 180, 300, 1200 s; resolutions 600, 1800, 10800 s.
	want := report.Figures{In: 5, Solved: 3, FirstResponse: dur(4, 180, 1200), Resolution: dur(3, 1800, 10800),
		SLAMet: 3, SLABreached: 2, SLACompliance: f(0.6), Reopened: 1, ReopenRate: f(0.2),
		CSATCount: 2, CSATAverage: f(3.5), CSATSatisfied: f(0.5), Backlog: 2}
	if d := cmp.Diff(want, rep.Total); d != "" {
		t.Errorf("total (-want +got):\n%s", d)
	}
	wantRows := []report.Row{
		{Key: "webchat", Figures: report.Figures{In: 3, Solved: 2, FirstResponse: dur(3, 180, 300), Resolution: dur(2, 600, 1800),
			SLAMet: 3, SLACompliance: f(1), ReopenRate: f(0), CSATCount: 1, CSATAverage: f(5), CSATSatisfied: f(1), Backlog: 1}},
		{Key: "email", Figures: report.Figures{In: 1, Solved: 1, FirstResponse: dur(1, 1200, 1200), Resolution: dur(1, 10800, 10800),
			SLABreached: 1, SLACompliance: f(0), Reopened: 1, ReopenRate: f(1), CSATCount: 1, CSATAverage: f(2), CSATSatisfied: f(0)}},
		{Key: "telegram", Figures: report.Figures{In: 1, SLABreached: 1, SLACompliance: f(0), ReopenRate: f(0), Backlog: 1}},
	}
	if d := cmp.Diff(wantRows, rep.Rows); d != "" {
		t.Errorf("by channel (-want +got):\n%s", d)
	}
	// Night 00:00-06:00 in Shanghai holds A (02:00) and B (03:00).
	wantNight := report.Night{Window: report.Window{Start: 0, End: 6},
		Inside: report.Figures{In: 2, Solved: 1, FirstResponse: dur(2, 300, 1200), Resolution: dur(1, 1800, 1800),
			SLAMet: 1, SLABreached: 1, SLACompliance: f(0.5), Reopened: 1, ReopenRate: f(0.5), CSATCount: 2, CSATAverage: f(3.5), CSATSatisfied: f(0.5)},
		Rest: report.Figures{In: 3, Solved: 2, FirstResponse: dur(2, 60, 180), Resolution: dur(2, 600, 10800),
			SLAMet: 2, SLABreached: 1, SLACompliance: f(0.6667), ReopenRate: f(0)},
	}
	if d := cmp.Diff(wantNight, rep.Night); d != "" {
		t.Errorf("night (-want +got):\n%s", d)
	}
	heat := map[[2]int][2]int{} // weekday, hour → in, solved
	for _, c := range rep.Heatmap {
		if c.In > 0 || c.Solved > 0 {
			heat[[2]int{c.Weekday, c.Hour}] = [2]int{c.In, c.Solved}
		}
	}
	wantHeat := map[[2]int][2]int{{2, 2}: {1, 1}, {2, 3}: {1, 0}, {2, 6}: {0, 1}, {2, 10}: {1, 1}, {2, 11}: {1, 0}, {2, 12}: {1, 0}}
	if d := cmp.Diff(wantHeat, heat); d != "" {
		t.Errorf("Shanghai heatmap (-want +got):\n%s", d)
	}
	if len(rep.Heatmap) != 7*24 {
		t.Errorf("heatmap has %d cells, want 168", len(rep.Heatmap))
	}
}

func TestReportTimeZoneAndBreakdowns(t *testing.T) {
	e := newEnv(t)
	dataset(t, e)
	utc := e.run(t, "UTC", report.ByAgent)
	heat := map[[2]int]int{}
	for _, c := range utc.Heatmap {
		if c.In > 0 {
			heat[[2]int{c.Weekday, c.Hour}] = c.In
		}
	}
	if d := cmp.Diff(map[[2]int]int{{1, 18}: 1, {1, 19}: 1, {2, 2}: 1, {2, 3}: 1, {2, 4}: 1}, heat); d != "" {
		t.Errorf("UTC heatmap (-want +got):\n%s", d)
	}
	got := map[string][3]int{} // key → in, solved, backlog
	for _, r := range utc.Rows {
		got[r.Key] = [3]int{r.In, r.Solved, r.Backlog}
	}
	// Agent ids: x is 1, y is 2; 0 is unassigned.
	if d := cmp.Diff(map[string][3]int{"1": {3, 2, 1}, "2": {1, 1, 0}, "0": {1, 0, 1}}, got); d != "" {
		t.Errorf("by agent (-want +got):\n%s", d)
	}
	for by, want := range map[report.Dimension]map[string]int{
		report.ByLanguage: {"en": 3, "zh": 2},
		report.ByTeam:     {"1": 2, "2": 2, "0": 1},
		report.ByCategory: {"deposit": 3, "withdrawal": 1, "account_security": 1},
		report.ByVIP:      {"0": 4, "3": 1},
	} {
		rep := e.run(t, "UTC", by)
		got := map[string]int{}
		for _, r := range rep.Rows {
			got[r.Key] = r.In
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("by %s (-want +got):\n%s", by, d)
		}
	}
	// Only Monday in Shanghai: A (Tue 02:00 local) is outside; nothing is.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	mon, err := e.reports.Run(e.ctx, report.Query{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		TZ: loc, By: report.ByChannel, Night: report.Window{Start: 0, End: 6}})
	if err != nil {
		t.Fatal(err)
	}
	if mon.Total.In != 0 || mon.Total.Solved != 0 {
		t.Errorf("Monday in Shanghai: in %d solved %d, want 0 and 0", mon.Total.In, mon.Total.Solved)
	}
}

func TestReportRefreshIsIncremental(t *testing.T) {
	e := newEnv(t)
	dataset(t, e)
	e.clock.Advance(time.Hour)
	if n, err := e.reports.Refresh(e.ctx); err != nil || n != 0 {
		t.Fatalf("refresh with no change rebuilt %d hours (%v), want 0", n, err)
	}
	// C moves to the security category; only its hour is rebuilt.
	var convC int64
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT id FROM conversations WHERE created_at = $1`,
		time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC).UnixMilli()).Scan(&convC); err != nil {
		t.Fatal(err)
	}
	cat := "kyc"
	if _, err := e.tickets.Update(e.ctx, convC, ticket.Patch{Category: &cat}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	if n, err := e.reports.Refresh(e.ctx); err != nil || n != 1 {
		t.Fatalf("refresh after one change rebuilt %d hours (%v), want 1", n, err)
	}
	rep := e.run(t, "UTC", report.ByCategory)
	got := map[string]int{}
	for _, r := range rep.Rows {
		got[r.Key] = r.In
	}
	if d := cmp.Diff(map[string]int{"deposit": 2, "withdrawal": 1, "account_security": 1, "kyc": 1}, got); d != "" {
		t.Errorf("by category after the change (-want +got):\n%s", d)
	}
}

func TestReportQueryRefused(t *testing.T) {
	e := newEnv(t)
	for name, q := range map[string]report.Query{
		"no zone":   {From: t0, To: t0, Night: report.Window{End: 6}},
		"backwards": {From: t0, To: t0.AddDate(0, 0, -1), TZ: time.UTC, Night: report.Window{End: 6}},
		"too long":  {From: t0, To: t0.AddDate(2, 0, 0), TZ: time.UTC, Night: report.Window{End: 6}},
		"bad by":    {From: t0, To: t0, TZ: time.UTC, By: "mood", Night: report.Window{End: 6}},
		"bad night": {From: t0, To: t0, TZ: time.UTC, Night: report.Window{Start: 3, End: 3}},
	} {
		if _, err := e.reports.Run(e.ctx, q); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: accepted", name)
		}
	}
}
