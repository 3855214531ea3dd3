package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
)

// span sets hours [from, to) of a day to v in a grid that starts empty.
type span struct{ day, from, to, v int }

func grid(spans ...span) agent.Grid {
	var g agent.Grid
	for _, s := range spans {
		for h := s.from; h < s.to; h++ {
			g[s.day][h] = s.v
		}
	}
	return g
}

// gridDiff names the cells that differ, as "Mon 09:00 got 0 want 1".
func gridDiff(want, got agent.Grid) string {
	days := []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	var out []string
	for d := range 7 {
		for h := range 24 {
			if want[d][h] != got[d][h] {
				out = append(out, fmt.Sprintf("%s %02d:00 got %d want %d", days[d], h, got[d][h], want[d][h]))
			}
		}
	}
	return strings.Join(out, "\n")
}

func loc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// TestCoverageGrid counts agents per hour of a week in the grid's time
// zone, over real time: a shift at 09:00 London lands on different UTC
// hours in winter and summer, a skipped hour is marked, a repeated hour
// needs cover for both passes, and a half-hour hole is a gap.
func TestCoverageGrid(t *testing.T) {
	tests := []struct {
		name       string
		shifts     []agent.Shift
		exceptions []agent.Exception
		week       string
		zone       string
		want       agent.Grid
	}{
		{"London 09-17 in winter, UTC grid", []agent.Shift{weekly(weekdays, "09:00", "17:00", "Europe/London")}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid(span{0, 9, 17, 1}, span{1, 9, 17, 1}, span{2, 9, 17, 1}, span{3, 9, 17, 1}, span{4, 9, 17, 1})},
		{"London 09-17 in summer is 08-16 UTC", []agent.Shift{weekly(weekdays, "09:00", "17:00", "Europe/London")}, nil,
			"2026-04-01T12:00:00Z", "UTC", grid(span{0, 8, 16, 1}, span{1, 8, 16, 1}, span{2, 8, 16, 1}, span{3, 8, 16, 1}, span{4, 8, 16, 1})},
		{"London 09-17 in its own time zone is 09-17 either way", []agent.Shift{weekly(weekdays, "09:00", "17:00", "Europe/London")}, nil,
			"2026-04-01T12:00:00Z", "Europe/London", grid(span{0, 9, 17, 1}, span{1, 9, 17, 1}, span{2, 9, 17, 1}, span{3, 9, 17, 1}, span{4, 9, 17, 1})},
		{"London Sunday 00-08 on the spring-forward day is 7 UTC hours", []agent.Shift{weekly([]string{"sun"}, "00:00", "08:00", "Europe/London")}, nil,
			"2026-03-29T12:00:00Z", "UTC", grid(span{6, 0, 7, 1})},
		// 2026-03-08 02:00 EST becomes 03:00 EDT: the night is 7 hours.
		{"New York Saturday night over the spring-forward change, UTC grid", []agent.Shift{weekly([]string{"sat"}, "22:00", "06:00", "America/New_York")}, nil,
			"2026-03-04T12:00:00Z", "UTC", grid(span{6, 3, 10, 1})},
		{"New York Saturday night a week later, on summer time", []agent.Shift{weekly([]string{"sat"}, "22:00", "06:00", "America/New_York")}, nil,
			"2026-03-11T12:00:00Z", "UTC", grid(span{6, 2, 10, 1})},
		{"a London grid marks the skipped 01:00 hour", []agent.Shift{weekly([]string{"sun"}, "00:00", "24:00", "UTC")}, nil,
			"2026-03-29T12:00:00Z", "Europe/London", grid(span{6, 0, 1, 1}, span{6, 1, 2, agent.NoSuchHour}, span{6, 2, 24, 1})},
		{"a repeated hour needs cover for both passes", []agent.Shift{weekly([]string{"sun"}, "05:00", "06:00", "UTC", byAgent(2))}, nil,
			"2026-11-01T12:00:00Z", "America/New_York", grid(span{6, 1, 2, 0})},
		{"a repeated hour covered for both passes", []agent.Shift{weekly([]string{"sun"}, "05:00", "07:00", "UTC")}, nil,
			"2026-11-01T12:00:00Z", "America/New_York", grid(span{6, 1, 2, 1})},
		{"Shanghai 09-18 is 01-10 UTC", []agent.Shift{weekly([]string{"mon"}, "09:00", "18:00", "Asia/Shanghai")}, nil,
			"2026-03-23T12:00:00Z", "UTC", grid(span{0, 1, 10, 1})},
		{"a Shanghai Monday shift at 06:00 starts on Sunday in UTC", []agent.Shift{weekly([]string{"mon"}, "06:00", "10:00", "Asia/Shanghai")}, nil,
			"2026-03-23T12:00:00Z", "UTC", grid(span{0, 0, 2, 1}, span{6, 22, 24, 1})},
		{"a Sunday night shift from the week before runs into Monday", []agent.Shift{weekly([]string{"sun"}, "22:00", "03:00", "UTC")}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid(span{0, 0, 3, 1}, span{6, 22, 24, 1})},
		{"a half-hour hole makes the hour empty", []agent.Shift{weekly([]string{"mon"}, "09:00", "12:00", "UTC"),
			weekly([]string{"mon"}, "12:30", "15:00", "UTC", byAgent(2))}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid(span{0, 9, 12, 1}, span{0, 13, 15, 1})},
		{"a handover on the half hour keeps the hour covered", []agent.Shift{weekly([]string{"mon"}, "09:00", "12:30", "UTC"),
			weekly([]string{"mon"}, "12:30", "15:00", "UTC", byAgent(2))}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid(span{0, 9, 15, 1})},
		{"Kolkata grid: a UTC hour straddles two local hours", []agent.Shift{weekly([]string{"mon"}, "00:00", "02:00", "UTC")}, nil,
			"2026-03-25T12:00:00Z", "Asia/Kolkata", grid(span{0, 6, 7, 1})},
		{"overlapping agents add up", []agent.Shift{weekly([]string{"tue"}, "08:00", "12:00", "UTC"), weekly([]string{"tue"}, "10:00", "14:00", "UTC", byAgent(2))}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid(span{1, 8, 10, 1}, span{1, 10, 12, 2}, span{1, 12, 14, 1})},
		{"a day off and an extra shift", []agent.Shift{weekly(weekdays, "09:00", "17:00", "UTC")},
			[]agent.Exception{off(1, 1, "2026-03-24", "2026-03-26"), extra(1, "2026-03-28", "10:00", "12:00", "Asia/Shanghai")},
			"2026-03-25T12:00:00Z", "UTC", grid(span{0, 9, 17, 1}, span{4, 9, 17, 1}, span{5, 2, 4, 1})},
		{"shifts of a non-member do not count", []agent.Shift{weekly(weekdays, "09:00", "17:00", "UTC", byAgent(99))}, nil,
			"2026-03-25T12:00:00Z", "UTC", grid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := agent.NewPlan(tt.shifts, tt.exceptions)
			if err != nil {
				t.Fatal(err)
			}
			cov := agent.BuildCoverage(agent.CoverageInput{TeamID: 1, Week: at(tt.week), Location: loc(tt.zone), Plan: p,
				Members: []agent.Member{{ID: 1}, {ID: 2}}})
			if d := gridDiff(tt.want, cov.Total); d != "" {
				t.Errorf("grid:\n%s", d)
			}
			if cov.TimeZone != tt.zone || len(cov.Days) != 7 {
				t.Errorf("zone %q days %v", cov.TimeZone, cov.Days)
			}
		})
	}
}

func TestCoverageDaysAreTheLocalWeek(t *testing.T) {
	p, _ := agent.NewPlan(nil, nil)
	// Monday 01:00 in Shanghai is still Sunday in UTC.
	cov := agent.BuildCoverage(agent.CoverageInput{Week: at("2026-03-29T17:00:00Z"), Location: loc("Asia/Shanghai"), Plan: p})
	want := []string{"2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02", "2026-04-03", "2026-04-04", "2026-04-05"}
	if diff := cmp.Diff(want, cov.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
}

// TestCoverageGaps flags empty hours per language, merging consecutive
// hours into one range, also across midnight.
func TestCoverageGaps(t *testing.T) {
	all := []string{"mon", "tue", "wed", "thu", "fri", "sat"}
	zh := []agent.Shift{
		weekly(all, "00:00", "24:00", "UTC"),
		weekly([]string{"sun"}, "00:00", "02:00", "UTC"),
		weekly([]string{"sun"}, "06:00", "24:00", "UTC"),
	}
	en := weekly([]string{"sun"}, "00:00", "24:00", "UTC", byAgent(2))
	enNight := weekly([]string{"tue"}, "00:00", "22:00", "UTC", byAgent(3))
	enMorning := weekly([]string{"wed"}, "03:00", "24:00", "UTC", byAgent(3))
	members := []agent.Member{{ID: 1, Languages: []string{"zh"}}, {ID: 2, Languages: []string{"en"}}, {ID: 3, Languages: []string{"en", "zh"}}}
	tests := []struct {
		name   string
		shifts []agent.Shift
		want   map[string][]agent.Gap // by language; "" for the team
	}{
		{"no Chinese speaker Sunday 02:00-06:00", append(append([]agent.Shift{}, zh...), en), map[string][]agent.Gap{
			"":   {},
			"zh": {{Language: "zh", StartDay: 6, StartHour: 2, EndDay: 6, EndHour: 6}},
			"en": {{Language: "en", StartDay: 0, StartHour: 0, EndDay: 5, EndHour: 24}},
		}},
		{"a gap across midnight is one range", []agent.Shift{enNight, enMorning}, map[string][]agent.Gap{
			"": {{StartDay: 0, StartHour: 0, EndDay: 0, EndHour: 24}, {StartDay: 1, StartHour: 22, EndDay: 2, EndHour: 3},
				{StartDay: 3, StartHour: 0, EndDay: 6, EndHour: 24}},
			"zh": {}, // the same hours as the team's gaps: not repeated
		}},
		{"nobody at all is one gap for the week", nil, map[string][]agent.Gap{
			"":   {{StartDay: 0, StartHour: 0, EndDay: 6, EndHour: 24}},
			"en": {},
		}},
		{"a language gap stops where the team's gap begins", []agent.Shift{weekly([]string{"mon"}, "00:00", "12:00", "UTC"),
			weekly([]string{"mon"}, "00:00", "24:00", "UTC", byAgent(2))}, map[string][]agent.Gap{
			"":   {{StartDay: 1, StartHour: 0, EndDay: 6, EndHour: 24}},
			"zh": {{Language: "zh", StartDay: 0, StartHour: 12, EndDay: 0, EndHour: 24}},
			"en": {},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := agent.NewPlan(tt.shifts, nil)
			if err != nil {
				t.Fatal(err)
			}
			cov := agent.BuildCoverage(agent.CoverageInput{Week: at("2026-03-25T12:00:00Z"), Plan: p, Members: members, Languages: []string{"en", "zh"}})
			got := map[string][]agent.Gap{"": cov.Gaps}
			for _, l := range cov.Languages {
				got[l.Language] = l.Gaps
			}
			for lang, want := range tt.want {
				if diff := cmp.Diff(want, got[lang]); diff != "" {
					t.Errorf("gaps for %q (-want +got):\n%s", lang, diff)
				}
			}
		})
	}
}

func TestCoverageSkippedHourDoesNotSplitAGap(t *testing.T) {
	// Nobody on the London spring-forward Sunday before 04:00: one gap
	// 00:00-04:00, across the hour that does not exist.
	p, _ := agent.NewPlan([]agent.Shift{weekly([]string{"sun"}, "04:00", "24:00", "Europe/London"),
		weekly([]string{"mon", "tue", "wed", "thu", "fri", "sat"}, "00:00", "24:00", "Europe/London")}, nil)
	cov := agent.BuildCoverage(agent.CoverageInput{Week: at("2026-03-29T12:00:00Z"), Location: loc("Europe/London"), Plan: p, Members: []agent.Member{{ID: 1}}})
	want := []agent.Gap{{StartDay: 6, StartHour: 0, EndDay: 6, EndHour: 4}}
	if diff := cmp.Diff(want, cov.Gaps); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
}
