package agent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
)

// weekly is a recurring shift of agent 1 in team 1 unless edited.
func weekly(days []string, start, end, tz string, edit ...func(*agent.Shift)) agent.Shift {
	s := agent.Shift{TeamID: 1, AgentID: 1, Weekdays: days, Start: start, End: end, TimeZone: tz}
	for _, f := range edit {
		f(&s)
	}
	return s
}

func byAgent(id int64) func(*agent.Shift) { return func(s *agent.Shift) { s.AgentID = id } }

func off(agentID, teamID int64, first, last string) agent.Exception {
	return agent.Exception{TeamID: teamID, AgentID: agentID, Kind: agent.Off, FirstDay: first, LastDay: last}
}

func extra(agentID int64, day, start, end, tz string) agent.Exception {
	return agent.Exception{TeamID: 1, AgentID: agentID, Kind: agent.Extra, FirstDay: day, LastDay: day, Start: start, End: end, TimeZone: tz}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri"}

// TestScheduledAt answers "who is working at this instant" across time
// zones, clock changes, midnight and exceptions.
func TestScheduledAt(t *testing.T) {
	london := weekly(weekdays, "09:00", "17:00", "Europe/London")
	shanghaiNight := weekly([]string{"sun"}, "22:00", "06:00", "Asia/Shanghai")
	nyNight := weekly([]string{"sat"}, "22:00", "06:00", "America/New_York")
	tests := []struct {
		name       string
		shifts     []agent.Shift
		exceptions []agent.Exception
		at         string
		want       []int64
	}{
		{"London winter: 09:00 GMT is 09:00 UTC", []agent.Shift{london}, nil, "2026-03-27T09:00:00Z", []int64{1}},
		{"London winter: 08:59 UTC is before the shift", []agent.Shift{london}, nil, "2026-03-27T08:59:00Z", []int64{}},
		{"London summer: 09:00 BST is 08:00 UTC", []agent.Shift{london}, nil, "2026-03-30T08:00:00Z", []int64{1}},
		{"London summer: 16:30 UTC is 17:30 BST, after the shift", []agent.Shift{london}, nil, "2026-03-30T16:30:00Z", []int64{}},
		{"London: no shift on Saturday", []agent.Shift{london}, nil, "2026-03-28T12:00:00Z", []int64{}},
		{"Shanghai night shift starts Sunday 22:00 (14:00 UTC)", []agent.Shift{shanghaiNight}, nil, "2026-03-29T14:00:00Z", []int64{1}},
		{"Shanghai night shift runs past midnight into Monday 05:59", []agent.Shift{shanghaiNight}, nil, "2026-03-29T21:59:00Z", []int64{1}},
		{"Shanghai night shift ends Monday 06:00", []agent.Shift{shanghaiNight}, nil, "2026-03-29T22:00:00Z", []int64{}},
		{"Shanghai night shift is not on Monday night", []agent.Shift{shanghaiNight}, nil, "2026-03-30T15:00:00Z", []int64{}},
		// 2026-11-01 02:00 EDT becomes 01:00 EST: the night is 9 hours long.
		{"New York night across fall-back: 05:30 EST", []agent.Shift{nyNight}, nil, "2026-11-01T10:30:00Z", []int64{1}},
		{"New York night across fall-back ends 06:00 EST (11:00 UTC)", []agent.Shift{nyNight}, nil, "2026-11-01T11:00:00Z", []int64{}},
		{"New York night across fall-back starts 22:00 EDT (02:00 UTC)", []agent.Shift{nyNight}, nil, "2026-11-01T02:00:00Z", []int64{1}},
		// 2026-03-08 02:00 EST becomes 03:00 EDT: 02:30 does not exist.
		{"a start the clocks skip moves forward by the gap", []agent.Shift{weekly([]string{"sun"}, "02:30", "04:00", "America/New_York")}, nil,
			"2026-03-08T07:15:00Z", []int64{}},
		{"a start the clocks skip: 03:30 EDT", []agent.Shift{weekly([]string{"sun"}, "02:30", "04:00", "America/New_York")}, nil,
			"2026-03-08T07:30:00Z", []int64{1}},
		{"a start that happens twice is the first 01:30 (EDT)", []agent.Shift{weekly([]string{"sun"}, "01:30", "03:00", "America/New_York")}, nil,
			"2026-11-01T05:30:00Z", []int64{1}},
		{"a start that happens twice: not before the first 01:30", []agent.Shift{weekly([]string{"sun"}, "01:30", "03:00", "America/New_York")}, nil,
			"2026-11-01T05:29:00Z", []int64{}},
		{"a whole day 00:00-24:00", []agent.Shift{weekly([]string{"sat"}, "00:00", "24:00", "UTC")}, nil, "2026-03-28T23:59:00Z", []int64{1}},
		{"a whole day ends at midnight", []agent.Shift{weekly([]string{"sat"}, "00:00", "24:00", "UTC")}, nil, "2026-03-29T00:00:00Z", []int64{}},
		{"08:00 to 08:00 is a day-long shift", []agent.Shift{weekly([]string{"sat"}, "08:00", "08:00", "UTC")}, nil, "2026-03-29T07:59:00Z", []int64{1}},
		{"a day-long shift ends at the same time next day", []agent.Shift{weekly([]string{"sat"}, "08:00", "08:00", "UTC")}, nil, "2026-03-29T08:00:00Z", []int64{}},
		{"a day off cancels the shift", []agent.Shift{london}, []agent.Exception{off(1, 1, "2026-03-30", "2026-03-31")}, "2026-03-31T10:00:00Z", []int64{}},
		{"after the days off the shift is back", []agent.Shift{london}, []agent.Exception{off(1, 1, "2026-03-30", "2026-03-31")}, "2026-04-01T10:00:00Z", []int64{1}},
		{"a day off in another team leaves this team's shift", []agent.Shift{london}, []agent.Exception{off(1, 2, "2026-03-30", "2026-03-31")},
			"2026-03-31T10:00:00Z", []int64{1}},
		{"a day off the morning after keeps the night shift that started before", []agent.Shift{shanghaiNight},
			[]agent.Exception{off(1, 1, "2026-03-30", "2026-03-30")}, "2026-03-29T21:00:00Z", []int64{1}},
		{"a day off on the start day cancels the night shift", []agent.Shift{shanghaiNight},
			[]agent.Exception{off(1, 1, "2026-03-29", "2026-03-29")}, "2026-03-29T21:00:00Z", []int64{}},
		{"an extra shift on a Saturday", []agent.Shift{london}, []agent.Exception{extra(2, "2026-03-28", "10:00", "14:00", "Europe/London")},
			"2026-03-28T10:00:00Z", []int64{2}},
		{"an extra night shift crosses midnight", nil, []agent.Exception{extra(2, "2026-03-28", "20:00", "02:00", "UTC")},
			"2026-03-29T01:00:00Z", []int64{2}},
		{"two agents, overlapping shifts", []agent.Shift{london, weekly(weekdays, "16:00", "00:00", "UTC", byAgent(3))}, nil,
			"2026-03-27T16:30:00Z", []int64{1, 3}},
		{"an agent with two overlapping shifts is listed once", []agent.Shift{london, weekly(weekdays, "08:00", "12:00", "Europe/London")}, nil,
			"2026-03-27T10:00:00Z", []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := agent.NewPlan(tt.shifts, tt.exceptions)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.ScheduledAt(at(tt.at))); diff != "" {
				t.Errorf("ScheduledAt(%s) (-want +got):\n%s", tt.at, diff)
			}
		})
	}
}

// TestWorkSpansRealTime checks the length of shifts across clock changes:
// wall-clock hours, not a fixed duration.
func TestWorkSpansRealTime(t *testing.T) {
	tests := []struct {
		name     string
		shift    agent.Shift
		from, to string
		want     time.Duration
	}{
		{"New York night shift on the fall-back night is 9 hours", weekly([]string{"sat"}, "22:00", "06:00", "America/New_York"),
			"2026-10-31T00:00:00Z", "2026-11-02T00:00:00Z", 9 * time.Hour},
		{"New York night shift on the spring-forward night is 7 hours", weekly([]string{"sat"}, "22:00", "06:00", "America/New_York"),
			"2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z", 7 * time.Hour},
		{"London day shift on the spring-forward Sunday is 7 hours", weekly([]string{"sun"}, "00:00", "08:00", "Europe/London"),
			"2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z", 7 * time.Hour},
		{"Shanghai has no clock change: a week of 9-hour days", weekly(weekdays, "09:00", "18:00", "Asia/Shanghai"),
			"2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z", 45 * time.Hour},
		{"a window cuts a shift", weekly(weekdays, "09:00", "17:00", "UTC"), "2026-03-23T12:00:00Z", "2026-03-23T13:30:00Z", 90 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := agent.NewPlan([]agent.Shift{tt.shift}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got time.Duration
			for _, iv := range p.Work(at(tt.from), at(tt.to))[1] {
				got += iv.End.Sub(iv.Start)
			}
			if got != tt.want {
				t.Errorf("worked %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanRejectsBadShifts(t *testing.T) {
	tests := []struct {
		name  string
		shift agent.Shift
		exc   agent.Exception
		field string
	}{
		{"unknown weekday", weekly([]string{"monday"}, "09:00", "17:00", "UTC"), agent.Exception{}, "weekdays"},
		{"no weekday", weekly(nil, "09:00", "17:00", "UTC"), agent.Exception{}, "weekdays"},
		{"start not on the quarter hour", weekly(weekdays, "09:10", "17:00", "UTC"), agent.Exception{}, "start"},
		{"start 24:00", weekly(weekdays, "24:00", "17:00", "UTC"), agent.Exception{}, "start"},
		{"end 25:00", weekly(weekdays, "09:00", "25:00", "UTC"), agent.Exception{}, "end"},
		{"end 9:00 without a leading zero", weekly(weekdays, "09:00", "9:00", "UTC"), agent.Exception{}, "end"},
		{"unknown time zone", weekly(weekdays, "09:00", "17:00", "Mars/Olympus"), agent.Exception{}, "time_zone"},
		{"server's local zone", weekly(weekdays, "09:00", "17:00", "Local"), agent.Exception{}, "time_zone"},
		{"path in the time zone", weekly(weekdays, "09:00", "17:00", "../../etc/passwd"), agent.Exception{}, "time_zone"},
		{"day off with times", agent.Shift{}, agent.Exception{Kind: agent.Off, FirstDay: "2026-01-01", LastDay: "2026-01-01", Start: "09:00"}, "start"},
		{"day off with a time zone", agent.Shift{}, agent.Exception{Kind: agent.Off, FirstDay: "2026-01-01", LastDay: "2026-01-01", TimeZone: "UTC"}, "time_zone"},
		{"day off ending before it starts", agent.Shift{}, off(1, 1, "2026-01-02", "2026-01-01"), "last_day"},
		{"day off longer than a year", agent.Shift{}, off(1, 1, "2026-01-01", "2027-01-02"), "last_day"},
		{"bad date", agent.Shift{}, off(1, 1, "2026-02-30", "2026-03-01"), "first_day"},
		{"extra without a time zone", agent.Shift{}, extra(1, "2026-01-01", "09:00", "10:00", ""), "time_zone"},
		{"unknown kind", agent.Shift{}, agent.Exception{Kind: "sick", FirstDay: "2026-01-01", LastDay: "2026-01-01"}, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var shifts []agent.Shift
			var exc []agent.Exception
			if tt.shift.TimeZone != "" || tt.shift.Start != "" {
				shifts = []agent.Shift{tt.shift}
			} else {
				exc = []agent.Exception{tt.exc}
			}
			_, err := agent.NewPlan(shifts, exc)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Field != tt.field {
				t.Fatalf("err = %v, want invalid field %q", err, tt.field)
			}
		})
	}
}

func TestRotaTurns(t *testing.T) {
	rota := agent.Rota{TimeZone: "Europe/London", StartsOn: "2026-03-02", Handover: "09:00", PeriodDays: 7, Members: []int64{10, 20, 30}}
	tests := []struct {
		name string
		at   string
		want int64
	}{
		{"first handover", "2026-03-02T09:00:00Z", 10},
		{"before the rota starts the turns run backwards", "2026-03-02T08:59:00Z", 30},
		{"a week later, before the handover", "2026-03-09T08:30:00Z", 10},
		{"a week later, at the handover", "2026-03-09T09:00:00Z", 20},
		{"third week", "2026-03-20T23:00:00Z", 30},
		{"round again", "2026-03-23T09:00:00Z", 10},
		// Clocks go forward on 2026-03-29: the 09:00 handover is 08:00 UTC.
		{"handover at 09:00 BST is 08:00 UTC", "2026-03-30T08:00:00Z", 20},
		{"just before the summer handover", "2026-03-30T07:59:00Z", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			turns, err := rota.Turns(at(tt.at))
			if err != nil {
				t.Fatal(err)
			}
			if turns[0] != tt.want || len(turns) != 3 {
				t.Errorf("Turns(%s) = %v, want %d on call first", tt.at, turns, tt.want)
			}
		})
	}
}
