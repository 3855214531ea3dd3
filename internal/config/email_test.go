package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEmailSettings(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("relay-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"VIGIL_SECRET_KEY": strings.Repeat("k", 32), "VIGIL_EMAIL_ADDRESS": "Support@Exchange.example"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, e Email)
	}{
		{name: "off by default", env: map[string]string{}, check: func(t *testing.T, e Email) {
			if e.Enabled() {
				t.Error("email enabled without an address")
			}
		}},
		{name: "full", env: with("VIGIL_SMTP_LISTEN", "127.0.0.1:2525", "VIGIL_SMTP_RELAY", "smtp.example:587",
			"VIGIL_SMTP_USERNAME", "desk", "VIGIL_SMTP_PASSWORD_FILE", pw), check: func(t *testing.T, e Email) {
			if e.Address != "support@exchange.example" || e.Password != "relay-pass" || e.Security != "starttls" || e.MaxMB != 25 || !e.VerifySenders {
				t.Errorf("email: %+v", e)
			}
		}},
		{name: "needs the secret key", env: map[string]string{"VIGIL_EMAIL_ADDRESS": "support@exchange.example"}, wantErr: "VIGIL_SECRET_KEY"},
		{name: "listener without address", env: map[string]string{"VIGIL_SMTP_LISTEN": "127.0.0.1:25"}, wantErr: "VIGIL_EMAIL_ADDRESS"},
		{name: "plus address", env: with("VIGIL_EMAIL_ADDRESS", "support+x@exchange.example"), wantErr: "VIGIL_EMAIL_ADDRESS"},
		{name: "plain text to a remote relay", env: with("VIGIL_SMTP_RELAY", "smtp.example:25", "VIGIL_SMTP_SECURITY", "none"), wantErr: "loopback"},
		{name: "credentials without TLS", env: with("VIGIL_SMTP_RELAY", "127.0.0.1:25", "VIGIL_SMTP_SECURITY", "none", "VIGIL_SMTP_USERNAME", "u"), wantErr: "never sent without TLS"},
		{name: "half DKIM", env: with("VIGIL_DKIM_DOMAIN", "exchange.example"), wantErr: "set all three"},
		{name: "imap", env: with("VIGIL_IMAP_ADDR", "imap.example:993", "VIGIL_IMAP_USERNAME", "support", "VIGIL_IMAP_PASSWORD", "p"),
			check: func(t *testing.T, e Email) {
				if e.IMAPSecurity != "tls" || e.IMAPInterval != time.Minute || e.IMAPPassword != "p" {
					t.Errorf("imap: %+v", e)
				}
			}},
		{name: "imap without credentials", env: with("VIGIL_IMAP_ADDR", "imap.example:993"), wantErr: "VIGIL_IMAP_USERNAME"},
		{name: "bad size", env: with("VIGIL_EMAIL_MAX_MB", "500"), wantErr: "VIGIL_EMAIL_MAX_MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.Email)
		})
	}
}

func TestTelegramSettings(t *testing.T) {
	for _, tt := range []struct {
		env     map[string]string
		wantErr string
	}{
		{env: map[string]string{"VIGIL_TELEGRAM_TOKEN": "1:abc", "VIGIL_TELEGRAM_WEBHOOK_SECRET": "0123456789abcdef_-"}},
		{env: map[string]string{"VIGIL_TELEGRAM_TOKEN": "1:abc"}, wantErr: "VIGIL_TELEGRAM_WEBHOOK_SECRET"},
		{env: map[string]string{"VIGIL_TELEGRAM_TOKEN": "1:abc", "VIGIL_TELEGRAM_WEBHOOK_SECRET": "has spaces in it!!"}, wantErr: "VIGIL_TELEGRAM_WEBHOOK_SECRET"},
	} {
		c, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(tt.env))
		if tt.wantErr == "" && (err != nil || !c.Telegram.Enabled() || c.Telegram.API != "https://api.telegram.org") {
			t.Errorf("%v: %v, %+v", tt.env, err, c.Telegram.API)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%v: err = %v, want %s", tt.env, err, tt.wantErr)
		}
	}
}
