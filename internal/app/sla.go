package app

import (
	"context"
	"time"
)

// slaTick is how often the SLA watcher looks for due deadlines; an alert
// fires at most this late.
const slaTick = 2 * time.Second

// WatchSLA fires SLA warnings and breaches, and complaint reminders,
// until ctx ends. The state lives
// in the database, so a restart resumes where the last process stopped:
// alerts that fell due while it was down fire on the first pass, once.
func (a *App) WatchSLA(ctx context.Context) {
	t := time.NewTicker(slaTick)
	defer t.Stop()
	for {
		n, err := a.Tickets.FireSLA(systemCtx(ctx), a.Now(), 200)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Warn("SLA watcher pass failed", "component", "sla", "err", err)
		case n > 0:
			a.Log.Info("SLA alerts fired", "component", "sla", "alerts", n)
		}
		// Complaint reminders and breach notices ride on the same watcher.
		n, err = a.Tickets.FireComplaints(systemCtx(ctx), a.Now(), 200)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Warn("complaint watcher pass failed", "component", "complaints", "err", err)
		case n > 0:
			a.Log.Info("complaint alerts fired", "component", "complaints", "alerts", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
