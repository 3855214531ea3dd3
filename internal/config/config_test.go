package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(secretFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "flag beats env", env: map[string]string{"VIGIL_ADDR": "127.0.0.1:1"}, args: []string{"--addr", "127.0.0.1:2", "--demo"},
			check: func(t *testing.T, c Config) {
				if c.Addr != "127.0.0.1:2" || !c.Demo {
					t.Errorf("got addr %q demo %v", c.Addr, c.Demo)
				}
			}},
		{name: "secret from file", env: map[string]string{"VIGIL_SECRET_KEY_FILE": secretFile}, check: func(t *testing.T, c Config) {
			if c.SecretKey != "0123456789abcdef0123456789abcdef" {
				t.Errorf("secret from file: %q", c.SecretKey)
			}
		}},
		{name: "every problem named", env: map[string]string{
			"VIGIL_ADDR": "nope", "VIGIL_DATABASE_URL": "mysql://x", "VIGIL_LOG_FORMAT": "xml",
			"VIGIL_SECRET_KEY": "short", "VIGIL_MAX_UPLOAD_MB": "many",
		}, wantErr: []string{"VIGIL_MAX_UPLOAD_MB"}},
		{name: "validation names variables", env: map[string]string{
			"VIGIL_ADDR": "nope", "VIGIL_DATABASE_URL": "mysql://x", "VIGIL_LOG_FORMAT": "xml", "VIGIL_SECRET_KEY": "short",
		}, wantErr: []string{"VIGIL_ADDR", "VIGIL_DATABASE_URL", "VIGIL_LOG_FORMAT", "VIGIL_SECRET_KEY"}},
		{name: "missing secret file", env: map[string]string{"VIGIL_SECRET_KEY_FILE": "/nonexistent/key"}, wantErr: []string{"VIGIL_SECRET_KEY_FILE"}},
		{name: "bad duration", env: map[string]string{"VIGIL_SESSION_TTL": "forever"}, wantErr: []string{"VIGIL_SESSION_TTL"}},
		{name: "priority rules", env: map[string]string{"VIGIL_URGENT_CATEGORIES": " account_security, withdrawal ,", "VIGIL_VIP_PRIORITY_TIER": "5"},
			check: func(t *testing.T, c Config) {
				if strings.Join(c.UrgentCategories, "|") != "account_security|withdrawal" || c.VIPPriorityTier != 5 {
					t.Errorf("rules: %q tier %d", c.UrgentCategories, c.VIPPriorityTier)
				}
			}},
		{name: "urgent categories off", env: map[string]string{"VIGIL_URGENT_CATEGORIES": "none", "VIGIL_VIP_PRIORITY_TIER": "0"},
			check: func(t *testing.T, c Config) {
				if len(c.UrgentCategories) != 0 || c.VIPPriorityTier != 0 {
					t.Errorf("rules off: %q tier %d", c.UrgentCategories, c.VIPPriorityTier)
				}
			}},
		{name: "bot LLM endpoint", env: map[string]string{"VIGIL_BOT_LLM_URL": "https://llm.example/v1", "VIGIL_BOT_LLM_MODEL": "m",
			"VIGIL_BOT_LLM_KEY_FILE": secretFile}, check: func(t *testing.T, c Config) {
			if c.BotLLMURL != "https://llm.example/v1" || c.BotLLMModel != "m" || c.BotLLMKey != "0123456789abcdef0123456789abcdef" {
				t.Errorf("bot LLM: %q %q %q", c.BotLLMURL, c.BotLLMModel, c.BotLLMKey)
			}
		}},
		{name: "bot LLM endpoint incomplete", env: map[string]string{"VIGIL_BOT_LLM_URL": "llm.example"},
			wantErr: []string{"VIGIL_BOT_LLM_URL", "VIGIL_BOT_LLM_MODEL"}},
		{name: "VIP tier out of range", env: map[string]string{"VIGIL_VIP_PRIORITY_TIER": "10"}, wantErr: []string{"VIGIL_VIP_PRIORITY_TIER"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			c, err := Load(fs, tt.args, env(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("want an error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}
