package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Callback configures phone callbacks (VIGIL_CALLBACK_*, VIGIL_RECORDING_DIR)
// and the SIP trunk calls go out through (VIGIL_SIP_*). Without a trunk,
// agents call from desk phones and record the outcome.
type Callback struct {
	// MinTier (VIGIL_CALLBACK_MIN_TIER) is the VIP tier from which
	// customers may ask for a callback; 0 leaves it to account managers'
	// customers and urgent security cases.
	MinTier int64
	// NoticeLead (VIGIL_CALLBACK_NOTICE_LEAD) is the least time between
	// telling the customer who calls and when, and the call.
	NoticeLead time.Duration
	// RecordingDir (VIGIL_RECORDING_DIR, default DATA_DIR/recordings) holds
	// recording files; retention (VIGIL_RETENTION_RECORDINGS, see
	// Compliance) deletes them with their reference.
	RecordingDir string
	Trunk        string        // VIGIL_SIP_TRUNK: the trunk's host:port; empty: no trunk
	Transport    string        // VIGIL_SIP_TRANSPORT: udp or tcp
	From         string        // VIGIL_SIP_FROM: the desk's SIP URI, sip:support@desk.example
	Username     string        // VIGIL_SIP_USERNAME: for the trunk's digest challenge
	Password     string        // VIGIL_SIP_PASSWORD(_FILE)
	RingTimeout  time.Duration // VIGIL_SIP_RING_TIMEOUT: unanswered calls are cancelled after it
}

// Dials reports whether a SIP trunk is configured.
func (c *Callback) Dials() bool { return c.Trunk != "" }

func defaultCallback() Callback {
	return Callback{MinTier: 3, NoticeLead: 5 * time.Minute, Transport: "udp", RingTimeout: 45 * time.Second}
}

func (c *Callback) load(getenv func(string) string) []error {
	var errs []error
	if v := getenv("VIGIL_CALLBACK_MIN_TIER"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_CALLBACK_MIN_TIER: %q is not a whole number", v))
		}
		c.MinTier = n
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
	}{{&c.NoticeLead, "VIGIL_CALLBACK_NOTICE_LEAD"}, {&c.RingTimeout, "VIGIL_SIP_RING_TIMEOUT"}} {
		if v := getenv(d.name); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration (e.g. 5m, 2160h)", d.name, v))
			}
			*d.dst = dur
		}
	}
	if v := getenv("VIGIL_RECORDING_DIR"); v != "" {
		c.RecordingDir = v
	}
	c.Trunk = getenv("VIGIL_SIP_TRUNK")
	if v := getenv("VIGIL_SIP_TRANSPORT"); v != "" {
		c.Transport = strings.ToLower(v)
	}
	c.From = getenv("VIGIL_SIP_FROM")
	c.Username = getenv("VIGIL_SIP_USERNAME")
	c.Password = getenv("VIGIL_SIP_PASSWORD")
	if path := getenv("VIGIL_SIP_PASSWORD_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("VIGIL_SIP_PASSWORD_FILE: %w", err))
		}
		c.Password = strings.TrimSpace(string(b))
	}
	return errs
}

func (c *Callback) validate() []error {
	var errs []error
	if c.MinTier < 0 || c.MinTier > 9 {
		errs = append(errs, errors.New("VIGIL_CALLBACK_MIN_TIER: must be between 0 (tiers alone entitle nobody) and 9"))
	}
	if c.NoticeLead < 0 || c.NoticeLead > 24*time.Hour {
		errs = append(errs, errors.New("VIGIL_CALLBACK_NOTICE_LEAD: must be between 0 and 24h"))
	}
	if !c.Dials() {
		return errs
	}
	if _, port, err := net.SplitHostPort(c.Trunk); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("VIGIL_SIP_TRUNK: %q is not host:port", c.Trunk))
	}
	if c.Transport != "udp" && c.Transport != "tcp" {
		errs = append(errs, fmt.Errorf("VIGIL_SIP_TRANSPORT: %q must be udp or tcp", c.Transport))
	}
	if user, host, ok := strings.Cut(strings.TrimPrefix(c.From, "sip:"), "@"); !strings.HasPrefix(c.From, "sip:") || !ok || user == "" || host == "" {
		errs = append(errs, errors.New("VIGIL_SIP_FROM: must be the desk's SIP URI, e.g. sip:support@desk.example, when VIGIL_SIP_TRUNK is set"))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, errors.New("VIGIL_SIP_PASSWORD: needed with VIGIL_SIP_USERNAME (use VIGIL_SIP_PASSWORD_FILE)"))
	}
	if c.RingTimeout < 5*time.Second || c.RingTimeout > 5*time.Minute {
		errs = append(errs, errors.New("VIGIL_SIP_RING_TIMEOUT: must be between 5s and 5m"))
	}
	return errs
}
