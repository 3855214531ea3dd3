package app

import (
	"context"
	"time"
)

// reportTick is how often the report rollup takes in new changes; reports
// lag the desk by at most this plus a minute.
const reportTick = 30 * time.Second

// RollUpReports keeps the hourly report rollup current until ctx ends.
// The first pass after a start also takes in everything that changed
// while the desk was down.
func (a *App) RollUpReports(ctx context.Context) {
	t := time.NewTicker(reportTick)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := a.Reports.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Warn("report rollup failed", "component", "report", "err", err)
		case n > 0:
			a.Log.Debug("report rollup", "component", "report", "hours", n, "took", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
