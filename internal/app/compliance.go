package app

import (
	"context"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/compliance"
	"vigil/internal/db"
	"vigil/internal/report"
)

// openCompliance wires retention, export and erasure to the packages that
// hold a customer's data; each empties and exports its own rows.
func (a *App) openCompliance() {
	cc := a.Config.Compliance
	a.Compliance = compliance.New(compliance.Options{DB: a.DB, Audit: a.Audit, Customers: a.Customers, Tickets: a.Tickets,
		Forget:      []func(context.Context, int64) error{a.Channels.ForgetOriginals, a.Bot.ForgetQuestions, a.Reports.ForgetComment},
		EndSessions: a.Auth.EndCustomerSessions,
		Sections:    []compliance.Section{{Name: "surveys", Gather: a.surveys}},
		Recordings:  a.Callbacks,
		Retention: compliance.Retention{Messages: cc.RetainMessages, Attachments: cc.RetainAttachments,
			Recordings: cc.RetainRecordings, Audit: cc.RetainAudit},
		Now: a.Now, Log: a.Log})
}

// surveys gathers the satisfaction answers given on the conversations.
func (a *App) surveys(ctx context.Context, _ int64, convs []int64) (any, error) {
	out := []report.Survey{}
	for _, id := range convs {
		sv, err := a.Reports.Survey(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, nil
}

// WatchRetention runs retention at start and then every
// VIGIL_RETENTION_INTERVAL until ctx ends, when any retention period is
// set. With several instances one runs it at a time.
func (a *App) WatchRetention(ctx context.Context) {
	if a.Compliance.Policy() == (compliance.Retention{}) {
		return
	}
	t := time.NewTicker(a.Config.Compliance.RetentionInterval)
	defer t.Stop()
	for {
		a.retentionPass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) retentionPass(ctx context.Context) {
	release, ok, err := a.DB.TryLock(ctx, db.LockRetention)
	if err != nil || !ok {
		return // another instance runs it; an error here recurs next time
	}
	defer release()
	if _, err := a.Compliance.RunRetention(systemCtx(ctx)); err != nil && ctx.Err() == nil {
		a.Log.Warn("retention pass failed", "component", "compliance", "err", err)
	}
}
