package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// Email configures the email channel. It is off until Address is set.
// Secrets (the relay password, the DKIM key) are read from files or the
// environment and never printed: String leaves them out.
type Email struct {
	Address string // VIGIL_EMAIL_ADDRESS: the support mailbox, e.g. support@exchange.example
	Name    string // VIGIL_EMAIL_NAME: the name mail is sent under
	// Listen (VIGIL_SMTP_LISTEN) is where the built-in SMTP receiver
	// listens, e.g. 0.0.0.0:25 behind MX or 127.0.0.1:2525 for forwarding;
	// empty: no receiver.
	Listen  string
	TLSCert string // VIGIL_SMTP_TLS_CERT_FILE: offers STARTTLS to senders
	TLSKey  string // VIGIL_SMTP_TLS_KEY_FILE
	MaxMB   int64  // VIGIL_EMAIL_MAX_MB: largest message accepted
	// Relay (VIGIL_SMTP_RELAY, host:port) sends outgoing mail; empty: replies
	// on email conversations cannot leave and are marked failed.
	Relay    string
	Username string // VIGIL_SMTP_USERNAME
	Password string // VIGIL_SMTP_PASSWORD(_FILE)
	Security string // VIGIL_SMTP_SECURITY: starttls (default), tls or none
	// DKIM signing: VIGIL_DKIM_DOMAIN, VIGIL_DKIM_SELECTOR, VIGIL_DKIM_KEY_FILE (PEM).
	DKIMDomain   string
	DKIMSelector string
	DKIMKeyPEM   []byte
	// IMAP polling of a mailbox, the other way in: VIGIL_IMAP_ADDR (host:port),
	// VIGIL_IMAP_USERNAME, VIGIL_IMAP_PASSWORD(_FILE), VIGIL_IMAP_SECURITY
	// (tls, starttls or none), VIGIL_IMAP_MAILBOX, VIGIL_IMAP_INTERVAL.
	IMAPAddr     string
	IMAPUsername string
	IMAPPassword string
	IMAPSecurity string
	IMAPMailbox  string
	IMAPInterval time.Duration
	// VerifySenders (VIGIL_EMAIL_VERIFY_SENDERS, default true) checks the
	// DKIM signatures of received mail against DNS and warns agents about
	// mail whose From address is not vouched for.
	VerifySenders bool
	// VerifyURL (VIGIL_EMAIL_VERIFY_URL) is where the footer sends customers
	// to check an address or link; default: VIGIL_PUBLIC_URL.
	VerifyURL string
}

// Enabled reports whether the email channel is configured.
func (e *Email) Enabled() bool { return e.Address != "" }

func (e *Email) load(getenv func(string) string) []error {
	var errs []error
	e.Address = strings.ToLower(strings.TrimSpace(getenv("VIGIL_EMAIL_ADDRESS")))
	e.Name = getenv("VIGIL_EMAIL_NAME")
	if e.Name == "" {
		e.Name = "Support"
	}
	e.Listen = getenv("VIGIL_SMTP_LISTEN")
	e.TLSCert, e.TLSKey = getenv("VIGIL_SMTP_TLS_CERT_FILE"), getenv("VIGIL_SMTP_TLS_KEY_FILE")
	e.MaxMB = 25
	if v := getenv("VIGIL_EMAIL_MAX_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_EMAIL_MAX_MB: %q is not a whole number", v))
		}
		e.MaxMB = n
	}
	e.Relay = getenv("VIGIL_SMTP_RELAY")
	e.Username = getenv("VIGIL_SMTP_USERNAME")
	e.Password = getenv("VIGIL_SMTP_PASSWORD")
	if path := getenv("VIGIL_SMTP_PASSWORD_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_SMTP_PASSWORD_FILE: %w", err))
		}
		e.Password = strings.TrimSpace(string(b))
	}
	e.Security = getenv("VIGIL_SMTP_SECURITY")
	if e.Security == "" {
		e.Security = "starttls"
	}
	e.DKIMDomain, e.DKIMSelector = getenv("VIGIL_DKIM_DOMAIN"), getenv("VIGIL_DKIM_SELECTOR")
	if path := getenv("VIGIL_DKIM_KEY_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_DKIM_KEY_FILE: %w", err))
		}
		e.DKIMKeyPEM = b
	}
	e.VerifyURL = getenv("VIGIL_EMAIL_VERIFY_URL")
	e.VerifySenders = true
	if v := getenv("VIGIL_EMAIL_VERIFY_SENDERS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_EMAIL_VERIFY_SENDERS: %q is not true or false", v))
		}
		e.VerifySenders = b
	}
	e.IMAPAddr, e.IMAPUsername = getenv("VIGIL_IMAP_ADDR"), getenv("VIGIL_IMAP_USERNAME")
	e.IMAPPassword = getenv("VIGIL_IMAP_PASSWORD")
	if path := getenv("VIGIL_IMAP_PASSWORD_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_IMAP_PASSWORD_FILE: %w", err))
		}
		e.IMAPPassword = strings.TrimSpace(string(b))
	}
	e.IMAPSecurity, e.IMAPMailbox = getenv("VIGIL_IMAP_SECURITY"), getenv("VIGIL_IMAP_MAILBOX")
	if e.IMAPSecurity == "" {
		e.IMAPSecurity = "tls"
	}
	e.IMAPInterval = time.Minute
	if v := getenv("VIGIL_IMAP_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_IMAP_INTERVAL: %q is not a duration (e.g. 30s)", v))
		}
		e.IMAPInterval = d
	}
	return errs
}

func (e *Email) validate() []error {
	var errs []error
	if !e.Enabled() {
		if e.Listen != "" || e.Relay != "" || e.IMAPAddr != "" {
			errs = append(errs, errors.New("VIGIL_EMAIL_ADDRESS: must be set to receive or send email"))
		}
		return errs
	}
	if a, err := mail.ParseAddress(e.Address); err != nil || a.Address != e.Address || strings.Contains(e.Address, "+") {
		errs = append(errs, fmt.Errorf("VIGIL_EMAIL_ADDRESS: %q is not a plain address like support@exchange.example", e.Address))
	}
	for name, addr := range map[string]string{"VIGIL_SMTP_LISTEN": e.Listen, "VIGIL_SMTP_RELAY": e.Relay, "VIGIL_IMAP_ADDR": e.IMAPAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, addr))
		}
	}
	if (e.TLSCert == "") != (e.TLSKey == "") {
		errs = append(errs, errors.New("VIGIL_SMTP_TLS_CERT_FILE and VIGIL_SMTP_TLS_KEY_FILE: set both or neither"))
	}
	if e.MaxMB < 1 || e.MaxMB > 100 {
		errs = append(errs, errors.New("VIGIL_EMAIL_MAX_MB: must be between 1 and 100"))
	}
	switch e.Security {
	case "starttls", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("VIGIL_SMTP_SECURITY: %q must be starttls, tls or none", e.Security))
	}
	if e.Security == "none" && e.Relay != "" {
		if host, _, _ := net.SplitHostPort(e.Relay); host != "localhost" && !isLoopback(host) {
			errs = append(errs, errors.New("VIGIL_SMTP_SECURITY: none is only allowed for a relay on loopback"))
		}
	}
	if e.Username != "" && e.Security == "none" {
		errs = append(errs, errors.New("VIGIL_SMTP_USERNAME: credentials are never sent without TLS"))
	}
	if e.IMAPAddr != "" {
		switch e.IMAPSecurity {
		case "tls", "starttls":
		case "none":
			if host, _, _ := net.SplitHostPort(e.IMAPAddr); host != "localhost" && !isLoopback(host) {
				errs = append(errs, errors.New("VIGIL_IMAP_SECURITY: none is only allowed for a server on loopback"))
			}
		default:
			errs = append(errs, fmt.Errorf("VIGIL_IMAP_SECURITY: %q must be tls, starttls or none", e.IMAPSecurity))
		}
		if e.IMAPUsername == "" || e.IMAPPassword == "" {
			errs = append(errs, errors.New("VIGIL_IMAP_USERNAME and VIGIL_IMAP_PASSWORD: needed with VIGIL_IMAP_ADDR"))
		}
		if e.IMAPInterval < 5*time.Second || e.IMAPInterval > time.Hour {
			errs = append(errs, errors.New("VIGIL_IMAP_INTERVAL: must be between 5s and 1h"))
		}
	}
	dkim := []string{e.DKIMDomain, e.DKIMSelector, string(e.DKIMKeyPEM)}
	if set := countSet(dkim); set != 0 && set != 3 {
		errs = append(errs, errors.New("VIGIL_DKIM_DOMAIN, VIGIL_DKIM_SELECTOR, VIGIL_DKIM_KEY_FILE: set all three or none"))
	}
	return errs
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func countSet(vs []string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}
