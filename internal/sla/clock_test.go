package sla

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) // 3 a.m., a Tuesday

func plus(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

type want map[Metric]time.Time

func deadlineMap(ds []Deadline) want {
	out := want{}
	for _, d := range ds {
		out[d.Metric] = d.Due
	}
	return out
}

func TestClocks(t *testing.T) {
	p247 := Policy{Enabled: true, Targets: Targets{FirstResponse: 30, NextResponse: 60, Resolution: 24 * 60}, Calendar: AlwaysOpen}
	office := Policy{Enabled: true, Targets: Targets{FirstResponse: 120, Resolution: 8 * 60}, BusinessHours: true, Calendar: officeHours("UTC")}
	opened := Step{At: t0, Phase: Running, Opened: true, CustomerWrote: true}
	tests := []struct {
		name   string
		policy Policy
		steps  []Step
		want   want
	}{
		{"new conversation", p247, []Step{opened},
			want{FirstResponse: plus(30), Resolution: plus(24 * 60)}},
		{"first reply stops the first-response clock", p247, []Step{opened,
			{At: plus(10), Phase: Running, AgentReplied: true, Answered: true}},
			want{Resolution: plus(24 * 60)}},
		{"customer writes again: next response clock", p247, []Step{opened,
			{At: plus(10), Phase: Running, AgentReplied: true, Answered: true},
			{At: plus(20), Phase: Running, CustomerWrote: true, Answered: true},
			{At: plus(25), Phase: Running, CustomerWrote: true, Answered: true}}, // a second message does not restart it
			want{NextResponse: plus(80), Resolution: plus(24 * 60)}},
		{"pending pauses every clock", p247, []Step{opened,
			{At: plus(10), Phase: Paused, AgentReplied: true, Answered: true}},
			want{}},
		{"the customer's reply resumes, the pause extends resolution", p247, []Step{opened,
			{At: plus(10), Phase: Paused, AgentReplied: true, Answered: true},
			{At: plus(130), Phase: Running, CustomerWrote: true, Answered: true}},
			want{NextResponse: plus(190), Resolution: plus(24*60 + 120)}},
		{"two pauses add up", p247, []Step{opened,
			{At: plus(10), Phase: Paused, AgentReplied: true, Answered: true},
			{At: plus(70), Phase: Running, CustomerWrote: true, Answered: true},
			{At: plus(80), Phase: Paused, AgentReplied: true, Answered: true},
			{At: plus(110), Phase: Running, CustomerWrote: true, Answered: true}},
			want{NextResponse: plus(170), Resolution: plus(24*60 + 90)}},
		{"solved stops everything", p247, []Step{opened, {At: plus(10), Phase: Stopped, AgentReplied: true, Answered: true}},
			want{}},
		{"reopened: a fresh resolution target and a next response", p247, []Step{opened,
			{At: plus(10), Phase: Stopped, AgentReplied: true, Answered: true},
			{At: plus(2000), Phase: Running, CustomerWrote: true, Answered: true}},
			want{NextResponse: plus(2060), Resolution: plus(2000 + 24*60)}},
		{"reopened before any answer restarts the first response", p247, []Step{opened,
			{At: plus(5), Phase: Stopped},
			{At: plus(50), Phase: Running, CustomerWrote: true}},
			want{FirstResponse: plus(80), Resolution: plus(50 + 24*60)}},
		{"an internal note changes nothing", p247, []Step{opened, {At: plus(5), Phase: Running}},
			want{FirstResponse: plus(30), Resolution: plus(24 * 60)}},
		{"business hours: 3 a.m. arrival is due at 11:00", office, []Step{opened},
			want{FirstResponse: at(t, "UTC", "2026-12-01 11:00"), Resolution: at(t, "UTC", "2026-12-01 17:00")}},
		{"business hours: a pause overnight costs nothing", office, []Step{opened,
			{At: at(t, "UTC", "2026-12-01 10:00"), Phase: Paused, AgentReplied: true, Answered: true},
			{At: at(t, "UTC", "2026-12-02 08:00"), Phase: Running, CustomerWrote: true, Answered: true}},
			want{Resolution: at(t, "UTC", "2026-12-02 16:00")}}, // 7 h of the 8 remained at 10:00 (one hour used)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Clocks
			for _, s := range tt.steps {
				c = Advance(c, tt.policy.Calendar, s)
			}
			if diff := cmp.Diff(tt.want, deadlineMap(Deadlines(c, tt.policy))); diff != "" {
				t.Errorf("deadlines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlertsFireOnce(t *testing.T) {
	p := Policy{Enabled: true, Targets: Targets{FirstResponse: 30}, WarnBefore: 10, Calendar: AlwaysOpen}
	c := Advance(Clocks{}, p.Calendar, Step{At: t0, Phase: Running, Opened: true, CustomerWrote: true})

	due, next := Due(c, p, plus(5))
	if len(due) != 0 || next == nil || !next.Equal(plus(20)) {
		t.Fatalf("at +5: due %v next %v, want nothing due and the warning next at +20", due, next)
	}
	due, next = Due(c, p, plus(21))
	if len(due) != 1 || due[0].Stage != Warning || next == nil || !next.Equal(plus(30)) {
		t.Fatalf("at +21: due %v next %v, want the warning, breach next", due, next)
	}
	c = MarkFired(c, due)
	if due, _ := Due(c, p, plus(21)); len(due) != 0 {
		t.Fatalf("the warning fired twice: %v", due)
	}
	due, next = Due(c, p, plus(45))
	if len(due) != 1 || due[0].Stage != Breach || next != nil {
		t.Fatalf("at +45: due %v next %v, want the breach and nothing after", due, next)
	}
	c = MarkFired(c, due)
	if due, next := Due(c, p, plus(500)); len(due) != 0 || next != nil {
		t.Fatalf("after the breach: due %v next %v", due, next)
	}
}

func TestNewDeadlineFiresAgain(t *testing.T) {
	p := Policy{Enabled: true, Targets: Targets{NextResponse: 60}, Calendar: AlwaysOpen}
	answered := func(c Clocks, at time.Time) Clocks {
		return Advance(c, p.Calendar, Step{At: at, Phase: Running, AgentReplied: true, Answered: true})
	}
	wrote := func(c Clocks, at time.Time) Clocks {
		return Advance(c, p.Calendar, Step{At: at, Phase: Running, CustomerWrote: true, Answered: true})
	}
	c := answered(Advance(Clocks{}, p.Calendar, Step{At: t0, Phase: Running, Opened: true, CustomerWrote: true}), plus(1))
	c = wrote(c, plus(10))
	due, _ := Due(c, p, plus(100))
	c = MarkFired(c, due)
	c = wrote(answered(c, plus(110)), plus(120))
	due, _ = Due(c, p, plus(200))
	if len(due) != 1 || !due[0].Due.Equal(plus(180)) {
		t.Fatalf("the second next-response breach did not fire: %v", due)
	}
}

func TestMoot(t *testing.T) {
	as := []Alert{{Metric: FirstResponse, Stage: Warning}, {Metric: FirstResponse, Stage: Breach}, {Metric: Resolution, Stage: Warning}}
	got := Moot(as)
	if len(got) != 2 || got[0].Stage != Breach || got[1].Metric != Resolution {
		t.Errorf("Moot = %v, want the first-response breach and the resolution warning", got)
	}
}

func TestMatch(t *testing.T) {
	ps := []Policy{
		{ID: 1, Enabled: false, Conditions: Conditions{}},
		{ID: 2, Enabled: true, Conditions: Conditions{Categories: []string{"account_security", "2fa"}}},
		{ID: 3, Enabled: true, Conditions: Conditions{MinVIPTier: 3, Channels: []string{"webchat"}}},
		{ID: 4, Enabled: true, Conditions: Conditions{Priorities: []string{"urgent", "high"}, TeamIDs: []int64{7}}},
		{ID: 5, Enabled: true},
	}
	tests := []struct {
		f    Facts
		want int64
	}{
		{Facts{Category: "2fa", Channel: "email"}, 2},
		{Facts{Category: "deposit", Channel: "webchat", VIPTier: 4}, 3},
		{Facts{Category: "deposit", Channel: "email", VIPTier: 4}, 5},
		{Facts{Category: "deposit", Priority: "high", TeamID: 7}, 4},
		{Facts{Category: "deposit", Priority: "high", TeamID: 8}, 5},
	}
	for _, tt := range tests {
		if p, _ := Match(ps, tt.f); p.ID != tt.want {
			t.Errorf("Match(%+v) = policy %d, want %d", tt.f, p.ID, tt.want)
		}
	}
}
