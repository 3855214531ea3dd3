package app

import (
	"fmt"
	"os"
	"path/filepath"

	"vigil/internal/callback"
	"vigil/internal/channel/voice"
	"vigil/internal/i18n"
)

// openCallbacks builds the callback service and, when a trunk is
// configured, its SIP dialer. The trunk password is handed to the dialer
// and never logged.
func (a *App) openCallbacks() error {
	cc := a.Config.Callback
	dir := cc.RecordingDir
	if dir == "" {
		dir = filepath.Join(a.Config.DataDir, "recordings")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("VIGIL_RECORDING_DIR: %w", err)
	}
	var dialer callback.Dialer
	if cc.Dials() {
		d, err := voice.New(voice.Options{Trunk: cc.Trunk, Transport: cc.Transport, From: cc.From, Username: cc.Username,
			Password: cc.Password, RingTimeout: cc.RingTimeout, Log: a.Log.With("component", "voice")})
		if err != nil {
			return err
		}
		a.closers = append(a.closers, d.Close)
		dialer = d
		a.Log.Info("callbacks dial through a SIP trunk", "component", "callback", "trunk", cc.Trunk, "transport", cc.Transport)
	}
	policy := callback.DefaultPolicy
	policy.MinTier, policy.NoticeLead = int(cc.MinTier), cc.NoticeLead
	policy.SecurityCategories = []string{"account_security", "2fa"}
	a.Callbacks = callback.New(callback.Options{DB: a.DB, Audit: a.Audit, Tickets: a.Tickets, Customers: a.Customers, Agents: a.Agents,
		Outbox: a.Jobs, Dialer: dialer, Policy: policy, RecordingDir: dir, T: i18n.T, Log: a.Log, Now: a.Now})
	return nil
}
