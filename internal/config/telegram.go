package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Telegram configures the Telegram bot. It is off until Token is set.
type Telegram struct {
	Token  string // VIGIL_TELEGRAM_TOKEN(_FILE): the bot token from @BotFather
	Secret string // VIGIL_TELEGRAM_WEBHOOK_SECRET(_FILE): setWebhook's secret_token
	API    string // VIGIL_TELEGRAM_API_URL: the Bot API's base URL
}

// Enabled reports whether the Telegram channel is configured.
func (t *Telegram) Enabled() bool { return t.Token != "" }

func (t *Telegram) load(getenv func(string) string) []error {
	var errs []error
	read := func(dst *string, name string) {
		*dst = getenv(name)
		if path := getenv(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
			}
			*dst = strings.TrimSpace(string(b))
		}
	}
	read(&t.Token, "VIGIL_TELEGRAM_TOKEN")
	read(&t.Secret, "VIGIL_TELEGRAM_WEBHOOK_SECRET")
	t.API = getenv("VIGIL_TELEGRAM_API_URL")
	if t.API == "" {
		t.API = "https://api.telegram.org"
	}
	return errs
}

// webhookSecret is the character set and length Telegram allows.
var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)

func (t *Telegram) validate() []error {
	if !t.Enabled() {
		return nil
	}
	var errs []error
	if !webhookSecret.MatchString(t.Secret) {
		errs = append(errs, errors.New("VIGIL_TELEGRAM_WEBHOOK_SECRET: needed with a token; 16 to 256 of A-Z, a-z, 0-9, _ and -"))
	}
	if u, err := url.Parse(t.API); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("VIGIL_TELEGRAM_API_URL: %q is not an http(s) URL", t.API))
	}
	return errs
}
