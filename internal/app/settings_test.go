package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
)

// Channel settings saved in the console are applied when the desk next
// starts, under the environment: a variable that is set wins.
func TestStoredChannelSettingsApplyAtStart(t *testing.T) {
	d := dbtest.Open(t)
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.SecretKey = strings.Repeat("s", 32)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	first, err := New(cfg, log, d, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.Mail != nil || first.Telegram != nil {
		t.Fatal("channels on before anything was configured")
	}
	admin := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1})
	if err := first.Settings.Save(admin, map[string]string{"email.address": "support@exchange.example", "email.relay": "127.0.0.1:2525",
		"email.security": "tls", "email.password": "relay-password-123", "telegram.token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
		"telegram.webhook_secret": "hook-secret-0123456789abcdef", "discord.token": "MTA5ODc2NTQzMjEwOTg3NjU0.GhJkLm.abcdefghijklmnop",
		"discord.channel_id": "1200000000000000001"}); err != nil {
		t.Fatal(err)
	}
	if restart, _ := first.Settings.RestartRequired(admin); !restart {
		t.Error("no restart asked for after a save")
	}
	// A token without its webhook secret would not start: refused.
	if err := first.Settings.Save(admin, map[string]string{"telegram.webhook_secret": ""}); err == nil {
		t.Error("a save that leaves the Telegram bot without its secret was accepted")
	}

	t.Setenv("VIGIL_SMTP_RELAY", "relay.pinned.example:587")
	cfg.Email.Relay = "relay.pinned.example:587" // as config.Load would read it
	second, err := New(cfg, log, d, now)
	if err != nil {
		t.Fatal(err)
	}
	got := second.Config
	if got.Email.Address != "support@exchange.example" || got.Email.Password != "relay-password-123" || got.Email.Security != "tls" {
		t.Errorf("email after restart: %+v", got.Email)
	}
	if got.Email.Relay != "relay.pinned.example:587" {
		t.Errorf("relay = %q, want the environment's", got.Email.Relay)
	}
	if got.Discord.ChannelID != "1200000000000000001" || second.Discord == nil {
		t.Errorf("discord after restart: channel %q, bot %v", got.Discord.ChannelID, second.Discord != nil)
	}
	if second.Mail == nil || second.Telegram == nil {
		t.Error("stored channels not started")
	}
}
