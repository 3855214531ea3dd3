package app

import (
	"context"
	"time"
)

// freezeRetryEvery is how often freezes the exchange has not confirmed
// are asked for again.
const freezeRetryEvery = 30 * time.Second

// WatchFreezes retries unconfirmed account freezes until ctx ends.
func (a *App) WatchFreezes(ctx context.Context) {
	t := time.NewTicker(freezeRetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.Trust.RetryFreezes(systemCtx(ctx))
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Warn("retry freezes", "component", "trust", "err", err)
		case n > 0:
			a.Log.Info("freezes confirmed by the exchange on retry", "component", "trust", "count", n)
		}
	}
}
