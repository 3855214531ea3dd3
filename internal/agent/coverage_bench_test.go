package agent_test

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/agent"
)

// BenchmarkCoverage500 builds one week's grid (team and two languages) for
// 500 agents on follow-the-sun shifts in five time zones, with a night
// shift, a day off and an extra shift each tenth agent: what the coverage
// page and API compute per team on every request.
func BenchmarkCoverage500(b *testing.B) {
	zones := []string{"Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"}
	var shifts []agent.Shift
	var exc []agent.Exception
	members := make([]agent.Member, 500)
	for i := range members {
		id := int64(i + 1)
		langs := []string{"en"}
		if i%3 == 0 {
			langs = []string{"zh", "en"}
		}
		members[i] = agent.Member{ID: id, Languages: langs}
		start := []string{"07:00", "09:00", "13:00", "22:00"}[i%4]
		end := []string{"15:00", "17:00", "21:00", "06:00"}[i%4]
		shifts = append(shifts, weekly([]string{"mon", "tue", "wed", "thu", "fri"}, start, end, zones[i%len(zones)], byAgent(id)),
			weekly([]string{"sat", "sun"}, "10:00", "16:00", zones[(i+1)%len(zones)], byAgent(id)))
		if i%10 == 0 {
			exc = append(exc, off(id, 1, "2026-03-25", "2026-03-27"),
				extra(id, "2026-03-28", "18:00", "23:30", zones[(i+2)%len(zones)]))
		}
	}
	p, err := agent.NewPlan(shifts, exc)
	if err != nil {
		b.Fatal(err)
	}
	week := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)
	in := agent.CoverageInput{TeamID: 1, Week: week, Location: loc("Europe/London"), Members: members, Plan: p, Languages: []string{"en", "zh"}}
	b.ReportAllocs()
	b.ResetTimer()
	var cov agent.Coverage
	for b.Loop() {
		cov = agent.BuildCoverage(in)
	}
	b.StopTimer()
	if cov.Total[2][12] == 0 {
		b.Fatal(fmt.Sprintf("Wednesday noon empty with 500 agents: %v", cov.Total[2]))
	}
}

// BenchmarkNewPlan500 is the cost of checking and preparing the same
// 1,000 shifts, paid once per request before the grid.
func BenchmarkNewPlan500(b *testing.B) {
	var shifts []agent.Shift
	for i := range 1000 {
		shifts = append(shifts, weekly([]string{"mon", "tue", "wed"}, "09:00", "17:00", "Europe/London", byAgent(int64(i/2+1))))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := agent.NewPlan(shifts, nil); err != nil {
			b.Fatal(err)
		}
	}
}
