package agent_test

import (
	"context"
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

// BenchmarkServiceCoverage500 is the whole read behind the coverage page
// for one team from the database: 500 members with their languages, 1,000
// shifts and 50 exceptions loaded, checked and counted.
func BenchmarkServiceCoverage500(b *testing.B) {
	e := newEnv(b)
	team := e.team(b, "Follow the sun")
	zones := []string{"Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"}
	err := e.d.WithTx(e.ctx, func(ctx context.Context) error {
		for i := range 500 {
			langs := []string{"en"}
			if i%3 == 0 {
				langs = []string{"zh", "en"}
			}
			a, err := e.agents.Create(ctx, input(fmt.Sprintf("a%d@desk.test", i), func(in *agent.Input) { in.Teams, in.Languages = &[]int64{team.ID}, &langs }))
			if err != nil {
				return err
			}
			for _, s := range []agent.ShiftInput{
				{AgentID: a.ID, Weekdays: []string{"mon", "tue", "wed", "thu", "fri"}, Start: []string{"07:00", "09:00", "13:00", "22:00"}[i%4],
					End: []string{"15:00", "17:00", "21:00", "06:00"}[i%4], TimeZone: zones[i%len(zones)]},
				{AgentID: a.ID, Weekdays: []string{"sat", "sun"}, Start: "10:00", End: "16:00", TimeZone: zones[(i+1)%len(zones)]},
			} {
				if _, err := e.agents.CreateShift(ctx, team.ID, s); err != nil {
					return err
				}
			}
			if i%10 == 0 {
				if _, err := e.agents.CreateException(ctx, team.ID, agent.ExceptionInput{AgentID: a.ID, Kind: agent.Off, FirstDay: "2026-03-25", LastDay: "2026-03-27"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	week := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.agents.Coverage(e.ctx, team.ID, time.UTC, week); err != nil {
			b.Fatal(err)
		}
	}
}
