// Package config loads Vigil's typed configuration once, from environment
// variables overridden by command-line flags, and validates it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything Vigil needs to start. It is passed down, never global.
type Config struct {
	Addr          string        // VIGIL_ADDR: listen address
	DataDir       string        // VIGIL_DATA_DIR: SQLite file, attachments
	DatabaseURL   string        // VIGIL_DATABASE_URL: postgres://… ; empty means SQLite in DataDir
	PublicURL     string        // VIGIL_PUBLIC_URL: how browsers reach Vigil; https turns on Secure cookies
	LogFormat     string        // VIGIL_LOG_FORMAT: json or text
	LogLevel      string        // VIGIL_LOG_LEVEL: debug, info, warn, error
	SecretKey     string        // VIGIL_SECRET_KEY(_FILE): signs and encrypts; 32+ bytes
	WidgetSecret  string        // VIGIL_WIDGET_SECRET(_FILE): shared with the exchange backend to sign customer identities
	MaxBodyBytes  int64         // VIGIL_MAX_BODY_BYTES: JSON request limit
	MaxUploadMB   int64         // VIGIL_MAX_UPLOAD_MB: attachment limit
	SessionTTL    time.Duration // VIGIL_SESSION_TTL
	ShutdownGrace time.Duration // VIGIL_SHUTDOWN_GRACE
	NATSURL       string        // VIGIL_NATS_URL: nats://… for several instances
	Demo          bool          // --demo: load demo data into an empty database
	TrustProxy    bool          // VIGIL_TRUST_PROXY: take the client IP from X-Forwarded-For
	// RequireIdentity (VIGIL_WIDGET_REQUIRE_IDENTITY) refuses anonymous
	// chat visitors: only customers signed by the exchange may chat.
	RequireIdentity bool
	// UrgentCategories (VIGIL_URGENT_CATEGORIES, comma-separated) make a
	// new conversation urgent; VIPPriorityTier (VIGIL_VIP_PRIORITY_TIER)
	// gives customers at or above it at least high priority (0: off).
	UrgentCategories []string
	VIPPriorityTier  int64
	// BotLLMURL (VIGIL_BOT_LLM_URL) is an OpenAI-compatible API base
	// (https://…/v1) the bot may use to word its answers from the matched
	// article; empty (the default) keeps everything in the process.
	// BotLLMModel (VIGIL_BOT_LLM_MODEL) names the model; BotLLMKey
	// (VIGIL_BOT_LLM_KEY(_FILE)) is its API key.
	BotLLMURL   string
	BotLLMModel string
	BotLLMKey   string
	// Email configures the email channel (VIGIL_EMAIL_*, VIGIL_SMTP_*, VIGIL_DKIM_*).
	Email Email
	// Telegram configures the Telegram bot (VIGIL_TELEGRAM_*).
	Telegram Telegram
	// SMS configures the SMS channel (VIGIL_SMS_*).
	SMS SMS
	// OutreachRates (VIGIL_OUTREACH_RATES, "sms=600,email=6000") caps each
	// channel's outreach, in messages a minute across every campaign.
	OutreachRates map[string]int
	// ExchangeURL (VIGIL_EXCHANGE_URL) is the exchange backend's connector
	// base URL, ExchangeSecret (VIGIL_EXCHANGE_SECRET(_FILE)) the shared
	// signing secret, ExchangeTimeout (VIGIL_EXCHANGE_TIMEOUT) the limit
	// per attempt. Empty URL: the built-in sandbox with --demo, else none;
	// "sandbox" asks for the built-in sandbox explicitly.
	ExchangeURL     string
	ExchangeSecret  string
	ExchangeTimeout time.Duration
	// Discord configures the Discord bot (VIGIL_DISCORD_*).
	Discord Discord
	// Transparency (VIGIL_TRANSPARENCY) publishes live chat availability
	// and the median wait of the last hour to anyone; off by default.
	Transparency bool
	// Callback configures phone callbacks and the SIP trunk (VIGIL_CALLBACK_*,
	// VIGIL_RECORDING_*, VIGIL_SIP_*).
	Callback Callback
	// Compliance sets complaint clocks and retention (VIGIL_COMPLAINT_*,
	// VIGIL_RETENTION_*).
	Compliance Compliance
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Addr:             "127.0.0.1:8080",
		DataDir:          "./data",
		LogFormat:        "text",
		LogLevel:         "info",
		MaxBodyBytes:     1 << 20,
		MaxUploadMB:      10,
		SessionTTL:       12 * time.Hour,
		ShutdownGrace:    15 * time.Second,
		UrgentCategories: []string{"account_security", "2fa"},
		VIPPriorityTier:  3,
		ExchangeTimeout:  3 * time.Second,
		Callback:         defaultCallback(),
		Compliance:       defaultCompliance(),
	}
}

// Load reads the environment (through getenv) and then the flags in args.
// A secret may be given directly or, better, as a file path in NAME_FILE.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	str := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	secret := func(dst *string, name string) {
		str(dst, name)
		if path := getenv(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return
			}
			*dst = strings.TrimSpace(string(b))
		}
	}
	integer := func(dst *int64, name string) {
		if v := getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	duration := func(dst *time.Duration, name string) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration (e.g. 12h, 90s)", name, v))
				return
			}
			*dst = d
		}
	}
	str(&c.Addr, "VIGIL_ADDR")
	str(&c.DataDir, "VIGIL_DATA_DIR")
	secret(&c.DatabaseURL, "VIGIL_DATABASE_URL")
	str(&c.PublicURL, "VIGIL_PUBLIC_URL")
	str(&c.LogFormat, "VIGIL_LOG_FORMAT")
	str(&c.LogLevel, "VIGIL_LOG_LEVEL")
	secret(&c.SecretKey, "VIGIL_SECRET_KEY")
	secret(&c.WidgetSecret, "VIGIL_WIDGET_SECRET")
	integer(&c.MaxBodyBytes, "VIGIL_MAX_BODY_BYTES")
	integer(&c.MaxUploadMB, "VIGIL_MAX_UPLOAD_MB")
	duration(&c.SessionTTL, "VIGIL_SESSION_TTL")
	duration(&c.ShutdownGrace, "VIGIL_SHUTDOWN_GRACE")
	str(&c.NATSURL, "VIGIL_NATS_URL")
	str(&c.BotLLMURL, "VIGIL_BOT_LLM_URL")
	str(&c.BotLLMModel, "VIGIL_BOT_LLM_MODEL")
	secret(&c.BotLLMKey, "VIGIL_BOT_LLM_KEY")
	if v, ok := lookup(getenv, "VIGIL_URGENT_CATEGORIES"); ok {
		c.UrgentCategories = nil
		for _, cat := range strings.Split(v, ",") {
			if cat = strings.TrimSpace(cat); cat != "" {
				c.UrgentCategories = append(c.UrgentCategories, cat)
			}
		}
	}
	integer(&c.VIPPriorityTier, "VIGIL_VIP_PRIORITY_TIER")
	errs = append(errs, c.Email.load(getenv)...)
	errs = append(errs, c.Telegram.load(getenv)...)
	errs = append(errs, c.SMS.load(getenv)...)
	if rates, err := parseRates(getenv("VIGIL_OUTREACH_RATES")); err != nil {
		errs = append(errs, err)
	} else {
		c.OutreachRates = rates
	}
	str(&c.ExchangeURL, "VIGIL_EXCHANGE_URL")
	secret(&c.ExchangeSecret, "VIGIL_EXCHANGE_SECRET")
	duration(&c.ExchangeTimeout, "VIGIL_EXCHANGE_TIMEOUT")
	errs = append(errs, c.Discord.load(getenv)...)
	errs = append(errs, c.Callback.load(getenv)...)
	errs = append(errs, c.Compliance.load(getenv)...)
	if v := getenv("VIGIL_TRUST_PROXY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_TRUST_PROXY: %q is not true or false", v))
		}
		c.TrustProxy = b
	}
	if v := getenv("VIGIL_WIDGET_REQUIRE_IDENTITY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_WIDGET_REQUIRE_IDENTITY: %q is not true or false", v))
		}
		c.RequireIdentity = b
	}
	if v := getenv("VIGIL_TRANSPARENCY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_TRANSPARENCY: %q is not true or false", v))
		}
		c.Transparency = b
	}
	if c.RequireIdentity && c.WidgetSecret == "" {
		errs = append(errs, errors.New("VIGIL_WIDGET_REQUIRE_IDENTITY: needs VIGIL_WIDGET_SECRET to verify identities"))
	}
	if fs != nil {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (VIGIL_ADDR)")
		fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory for the SQLite file and attachments (VIGIL_DATA_DIR)")
		fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres://… to use PostgreSQL instead of SQLite (VIGIL_DATABASE_URL)")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "public base URL, e.g. https://desk.example (VIGIL_PUBLIC_URL)")
		fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (VIGIL_LOG_FORMAT)")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "load demo data into an empty database")
		if err := fs.Parse(args); err != nil {
			return c, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// lookup reads a variable that may be set to the empty string on purpose
// (an empty VIGIL_URGENT_CATEGORIES turns the rule off); getenv cannot tell
// unset from empty, so "none" stands for empty too.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	if v == "" {
		return "", false
	}
	if v == "none" {
		return "", true
	}
	return v, true
}

// Validate reports every problem at once, each naming its variable.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("VIGIL_ADDR: %q is not host:port", c.Addr))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("VIGIL_DATA_DIR: must be set when VIGIL_DATABASE_URL is empty"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "sqlite") {
			errs = append(errs, errors.New("VIGIL_DATABASE_URL: must start with postgres:// (or sqlite:PATH)"))
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("VIGIL_PUBLIC_URL: %q must be an absolute http(s) URL", c.PublicURL))
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("VIGIL_LOG_FORMAT: %q must be json or text", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("VIGIL_LOG_LEVEL: %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("VIGIL_SECRET_KEY: must be at least 32 characters"))
	}
	if c.WidgetSecret != "" && len(c.WidgetSecret) < 32 {
		errs = append(errs, errors.New("VIGIL_WIDGET_SECRET: must be at least 32 characters"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		errs = append(errs, errors.New("VIGIL_MAX_BODY_BYTES: must be between 1024 and 67108864"))
	}
	if c.MaxUploadMB < 1 || c.MaxUploadMB > 100 {
		errs = append(errs, errors.New("VIGIL_MAX_UPLOAD_MB: must be between 1 and 100"))
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 30*24*time.Hour {
		errs = append(errs, errors.New("VIGIL_SESSION_TTL: must be between 1m and 720h"))
	}
	if c.VIPPriorityTier < 0 || c.VIPPriorityTier > 9 {
		errs = append(errs, errors.New("VIGIL_VIP_PRIORITY_TIER: must be between 0 (off) and 9"))
	}
	if c.BotLLMURL != "" {
		u, err := url.Parse(c.BotLLMURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("VIGIL_BOT_LLM_URL: %q must be an absolute http(s) URL such as https://api.openai.com/v1", c.BotLLMURL))
		}
		if c.BotLLMModel == "" {
			errs = append(errs, errors.New("VIGIL_BOT_LLM_MODEL: must be set when VIGIL_BOT_LLM_URL is"))
		}
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") {
		errs = append(errs, errors.New("VIGIL_NATS_URL: must start with nats://"))
	}
	errs = append(errs, c.Email.validate()...)
	errs = append(errs, c.Telegram.validate()...)
	errs = append(errs, c.SMS.validate(c.PublicURL)...)
	errs = append(errs, c.Discord.validate()...)
	errs = append(errs, c.Callback.validate()...)
	if c.Compliance.RetainAudit > 0 && c.SecretKey == "" {
		errs = append(errs, errors.New("VIGIL_RETENTION_AUDIT: needs VIGIL_SECRET_KEY to sign the checkpoint of pruned entries"))
	}
	if c.Email.Enabled() && c.SecretKey == "" {
		errs = append(errs, errors.New("VIGIL_SECRET_KEY: needed by the email channel to make unguessable Message-IDs"))
	}
	if c.ExchangeURL != "" && c.ExchangeURL != "sandbox" {
		u, err := url.Parse(c.ExchangeURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("VIGIL_EXCHANGE_URL: %q must be an absolute http(s) URL", c.ExchangeURL))
		}
		if len(c.ExchangeSecret) < 16 {
			errs = append(errs, errors.New("VIGIL_EXCHANGE_SECRET: must be at least 16 characters when VIGIL_EXCHANGE_URL is set"))
		}
	}
	if c.ExchangeTimeout < 100*time.Millisecond || c.ExchangeTimeout > time.Minute {
		errs = append(errs, errors.New("VIGIL_EXCHANGE_TIMEOUT: must be between 100ms and 1m"))
	}
	return errors.Join(errs...)
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }
