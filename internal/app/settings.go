package app

import (
	"context"
	"os"

	"vigil/internal/channel/settings"
	"vigil/internal/config"
)

// openSettings builds the channel settings service and applies what
// administrators stored in the console to the configuration, under the
// environment (a variable that is set wins). Adapters read the result once,
// so a change in the console takes effect at the next start.
func (a *App) openSettings(ctx context.Context) {
	base := a.Config // the environment's configuration, before the console's
	a.Settings = settings.New(settings.Options{DB: a.DB, Audit: a.Audit, Now: a.Now, SecretKey: a.Config.SecretKey, Getenv: os.Getenv,
		Check: func(stored map[string]string) error {
			c := withSettings(base, stored)
			return c.Validate()
		}})
	stored, err := a.Settings.Stored(ctx)
	if err != nil {
		a.Log.Error("channel settings", "component", "settings", "err", err)
	}
	if len(stored) == 0 {
		return
	}
	c := withSettings(a.Config, stored)
	if err := c.Validate(); err != nil {
		// The environment changed under the stored settings: start on the
		// environment alone and say why, rather than not start at all.
		a.Log.Error("channel settings from the console not applied", "component", "settings", "err", err)
		return
	}
	a.Config = c
}

// withSettings returns cfg with the stored settings filled in.
func withSettings(cfg config.Config, stored map[string]string) config.Config {
	set := func(name string, dst *string) {
		if v, ok := stored[name]; ok {
			*dst = v
		}
	}
	set("email.address", &cfg.Email.Address)
	set("email.name", &cfg.Email.Name)
	set("email.relay", &cfg.Email.Relay)
	set("email.security", &cfg.Email.Security)
	set("email.username", &cfg.Email.Username)
	set("email.password", &cfg.Email.Password)
	set("telegram.token", &cfg.Telegram.Token)
	set("telegram.webhook_secret", &cfg.Telegram.Secret)
	set("discord.token", &cfg.Discord.Token)
	set("discord.channel_id", &cfg.Discord.ChannelID)
	if cfg.Discord.API == "" {
		cfg.Discord.API = "https://discord.com/api/v10"
	}
	// The environment's defaults, for a configuration built in code.
	if cfg.Email.MaxMB == 0 {
		cfg.Email.MaxMB = 25
	}
	if cfg.Email.Security == "" {
		cfg.Email.Security = "starttls"
	}
	if cfg.Email.Name == "" {
		cfg.Email.Name = "Support"
	}
	if cfg.Telegram.API == "" {
		cfg.Telegram.API = "https://api.telegram.org"
	}
	return cfg
}
