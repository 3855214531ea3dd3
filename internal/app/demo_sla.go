package app

import (
	"context"
	"time"

	"vigil/internal/agent"
	"vigil/internal/customer"
	"vigil/internal/sla"
)

// demoSLA sets up the service levels an exchange typically promises:
// security cases answered within minutes around the clock, VIPs fast,
// email within a business day on the Singapore office's calendar, and
// Bob (VIP 7) with Maria as his account manager.
func (a *App) demoSLA(ctx context.Context, agents []agent.Agent, customers []customer.Customer) error {
	var week [7][]sla.Span
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []sla.Span{{From: 9 * 60, To: 18 * 60}}
	}
	office, err := a.SLA.SaveCalendar(ctx, sla.Calendar{Name: "Singapore office", TZ: "Asia/Singapore", Week: week,
		Holidays: []string{"2026-12-25", "2027-01-01", "2027-02-06", "2027-02-07"}})
	if err != nil {
		return err
	}
	policies := []sla.Policy{
		{Name: "Account security, 24/7", Position: 10,
			Conditions: sla.Conditions{Categories: []string{"account_security", "2fa"}},
			Targets:    sla.Targets{FirstResponse: 5, NextResponse: 10, Resolution: 4 * 60}, WarnBefore: 2,
			OnBreach: []sla.Action{sla.NotifySupervisor, sla.Reassign}},
		{Name: "VIP chat", Position: 20,
			Conditions: sla.Conditions{MinVIPTier: 3, Channels: []string{"webchat", "telegram", "phone"}},
			Targets:    sla.Targets{FirstResponse: 2, NextResponse: 5, Resolution: 8 * 60}, WarnBefore: 1,
			OnBreach: []sla.Action{sla.NotifySupervisor, sla.RaisePriority}},
		{Name: "Live chat", Position: 30,
			Conditions: sla.Conditions{Channels: []string{"webchat", "telegram", "discord"}},
			Targets:    sla.Targets{FirstResponse: 10, NextResponse: 15, Resolution: 24 * 60}, WarnBefore: 3,
			OnBreach: []sla.Action{sla.RaisePriority}},
		{Name: "Email, business hours", Position: 40,
			Conditions: sla.Conditions{Channels: []string{"email", "api"}},
			Targets:    sla.Targets{FirstResponse: 8 * 60, NextResponse: 8 * 60, Resolution: 3 * 9 * 60}, WarnBefore: 60,
			BusinessHours: true, CalendarID: office.ID, OnBreach: []sla.Action{sla.NotifySupervisor}},
	}
	for _, p := range policies {
		p.Enabled = true
		if _, err := a.SLA.SavePolicy(ctx, p); err != nil {
			return err
		}
	}
	maria := agents[3].ID
	if _, err := a.Customers.Update(ctx, customers[2].ID, customer.Input{AccountManagerID: &maria}); err != nil {
		return err
	}
	return nil
}
