package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// SMS configures the SMS channel, through a provider speaking Twilio's
// Messaging API. It is off until an account is set.
type SMS struct {
	AccountSID string // VIGIL_SMS_ACCOUNT_SID: the provider account ("AC…")
	AuthToken  string // VIGIL_SMS_AUTH_TOKEN(_FILE): signs API calls and the provider's webhooks
	From       string // VIGIL_SMS_FROM: the sending number, E.164
	// MessagingService (VIGIL_SMS_MESSAGING_SERVICE_SID) lets the provider
	// choose the number; it replaces From.
	MessagingService string
	API              string // VIGIL_SMS_API_URL: the provider's base URL
}

// Enabled reports whether the SMS channel is configured.
func (s *SMS) Enabled() bool { return s.AccountSID != "" }

func (s *SMS) load(getenv func(string) string) []error {
	var errs []error
	s.AccountSID = strings.TrimSpace(getenv("VIGIL_SMS_ACCOUNT_SID"))
	s.AuthToken = getenv("VIGIL_SMS_AUTH_TOKEN")
	if path := getenv("VIGIL_SMS_AUTH_TOKEN_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_SMS_AUTH_TOKEN_FILE: %w", err))
		}
		s.AuthToken = strings.TrimSpace(string(b))
	}
	s.From = strings.TrimSpace(getenv("VIGIL_SMS_FROM"))
	s.MessagingService = strings.TrimSpace(getenv("VIGIL_SMS_MESSAGING_SERVICE_SID"))
	s.API = getenv("VIGIL_SMS_API_URL")
	if s.API == "" {
		s.API = "https://api.twilio.com"
	}
	return errs
}

var e164 = regexp.MustCompile(`^\+[0-9]{7,15}$`)

func (s *SMS) validate(publicURL string) []error {
	if !s.Enabled() {
		return nil
	}
	var errs []error
	if s.AuthToken == "" {
		errs = append(errs, errors.New("VIGIL_SMS_AUTH_TOKEN: needed with VIGIL_SMS_ACCOUNT_SID"))
	}
	if s.MessagingService == "" && !e164.MatchString(s.From) {
		errs = append(errs, errors.New("VIGIL_SMS_FROM: a number in international format (+85212345678) is needed, or VIGIL_SMS_MESSAGING_SERVICE_SID"))
	}
	if u, err := url.Parse(s.API); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("VIGIL_SMS_API_URL: %q is not an http(s) URL", s.API))
	}
	if publicURL == "" {
		errs = append(errs, errors.New("VIGIL_PUBLIC_URL: needed by the SMS channel, whose webhooks are signed over their public URL"))
	}
	return errs
}

// parseRates reads VIGIL_OUTREACH_RATES: "sms=600,email=6000", messages a
// minute per channel across every campaign.
func parseRates(v string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		ch, n, ok := strings.Cut(part, "=")
		r, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || r < 1 || r > 60000 || strings.TrimSpace(ch) == "" {
			return nil, fmt.Errorf("VIGIL_OUTREACH_RATES: %q is not channel=messages-a-minute (1-60000)", part)
		}
		out[strings.TrimSpace(ch)] = r
	}
	return out, nil
}
