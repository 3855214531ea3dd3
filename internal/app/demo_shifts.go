package app

import (
	"context"
	"time"

	"vigil/internal/agent"
)

// demoShifts staffs the demo teams follow-the-sun: Shanghai in the Asian
// morning, London in the European day, New York into the evening, a thin
// weekend. Three more agents join for it (they have no password: they
// only appear in schedules). The schedule leaves real gaps, weekday
// nights for the Chinese desk and most of the weekend, so the coverage
// view has something honest to flag. Teams and agents are indexed as
// LoadDemo creates them.
func (a *App) demoShifts(ctx context.Context, teams []agent.Team, agents []agent.Agent) error {
	wallet, security, chinese := teams[0].ID, teams[1].ID, teams[2].ID
	sam, wei, maria, omar := agents[1], agents[2], agents[3], agents[4]
	type extra struct {
		email, name string
		teams       []int64
		langs       []string
		topics      []string
	}
	more := map[string]agent.Agent{}
	for _, x := range []extra{
		{"chen@vigil.example", "Chen Jing 陈静", []int64{security, chinese}, []string{"zh", "en"}, []string{"account_security", "2fa"}},
		{"james@vigil.example", "James Miller", []int64{wallet}, []string{"en"}, []string{"deposit", "withdrawal", "trading"}},
		{"liam@vigil.example", "Liam O'Connor", []int64{security}, []string{"en"}, []string{"account_security", "kyc"}},
	} {
		role := agent.RoleAgent
		ag, err := a.Agents.Create(ctx, agent.Input{Email: &x.email, Name: &x.name, Role: &role, Teams: &x.teams, Languages: &x.langs, Topics: &x.topics})
		if err != nil {
			return err
		}
		more[x.email] = ag
	}
	chen, james, liam := more["chen@vigil.example"], more["james@vigil.example"], more["liam@vigil.example"]
	weekdays := []string{"mon", "tue", "wed", "thu", "fri"}
	weekend := []string{"sat", "sun"}
	for _, s := range []struct {
		team int64
		in   agent.ShiftInput
	}{
		{wallet, agent.ShiftInput{AgentID: wei.ID, Weekdays: weekdays, Start: "09:00", End: "18:00", TimeZone: "Asia/Shanghai"}},
		{wallet, agent.ShiftInput{AgentID: maria.ID, Weekdays: weekdays, Start: "09:00", End: "17:00", TimeZone: "Europe/London"}},
		{wallet, agent.ShiftInput{AgentID: james.ID, Weekdays: weekdays, Start: "12:00", End: "20:00", TimeZone: "America/New_York"}},
		{wallet, agent.ShiftInput{AgentID: sam.ID, Weekdays: weekend, Start: "10:00", End: "18:00", TimeZone: "America/New_York"}},
		{security, agent.ShiftInput{AgentID: chen.ID, Weekdays: weekdays, Start: "08:00", End: "16:00", TimeZone: "Asia/Shanghai"}},
		{security, agent.ShiftInput{AgentID: liam.ID, Weekdays: weekdays, Start: "07:00", End: "15:00", TimeZone: "Europe/London"}},
		{security, agent.ShiftInput{AgentID: omar.ID, Weekdays: weekdays, Start: "09:00", End: "17:00", TimeZone: "America/New_York"}},
		{security, agent.ShiftInput{AgentID: omar.ID, Weekdays: weekend, Start: "09:00", End: "13:00", TimeZone: "America/New_York"}},
		{chinese, agent.ShiftInput{AgentID: wei.ID, Weekdays: weekdays, Start: "09:00", End: "18:00", TimeZone: "Asia/Shanghai"}},
		{chinese, agent.ShiftInput{AgentID: chen.ID, Weekdays: weekdays, Start: "18:00", End: "02:00", TimeZone: "Asia/Shanghai"}},
		{chinese, agent.ShiftInput{AgentID: chen.ID, Weekdays: weekend, Start: "10:00", End: "20:00", TimeZone: "Asia/Shanghai"}},
		{chinese, agent.ShiftInput{AgentID: sam.ID, Weekdays: []string{"sun"}, Start: "20:00", End: "23:00", TimeZone: "America/New_York"}},
	} {
		if _, err := a.Agents.CreateShift(ctx, s.team, s.in); err != nil {
			return err
		}
	}
	// Next week: Maria on leave Wednesday to Friday, Chen covering an extra
	// Saturday evening on the security desk.
	now := a.Now().UTC()
	monday := now.AddDate(0, 0, 7-(int(now.Weekday())+6)%7)
	day := func(offset int) string { return monday.AddDate(0, 0, offset).Format(time.DateOnly) }
	for _, x := range []struct {
		team int64
		in   agent.ExceptionInput
	}{
		{wallet, agent.ExceptionInput{AgentID: maria.ID, Kind: agent.Off, FirstDay: day(2), LastDay: day(4), Note: "Annual leave"}},
		{security, agent.ExceptionInput{AgentID: chen.ID, Kind: agent.Extra, FirstDay: day(5), Start: "18:00", End: "23:00",
			TimeZone: "Asia/Shanghai", Note: "Token listing night"}},
	} {
		if _, err := a.Agents.CreateException(ctx, x.team, x.in); err != nil {
			return err
		}
	}
	// Sam, the only supervisor, is on call for security every week; turns
	// hand over on Mondays at 09:00 Shanghai time once others join.
	_, err := a.Agents.SetRota(ctx, security, agent.Rota{TimeZone: "Asia/Shanghai", StartsOn: monday.AddDate(0, 0, -7).Format(time.DateOnly),
		Handover: "09:00", PeriodDays: 7, Members: []int64{sam.ID}})
	return err
}
