// Package settings keeps the channel addresses and credentials that
// administrators manage in the console. Secrets are sealed at rest with
// AES-GCM under a key derived from VIGIL_SECRET_KEY and are never handed
// back in full; every change is audited. An environment variable that is
// set wins over the stored value, so an operator can pin a setting.
// Settings are read when Vigil starts: a change needs a restart.
package settings

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
)

// Key is one setting the console offers.
type Key struct {
	Name   string // "email.relay"
	Env    string // the variable that overrides it
	Secret bool
	check  func(string) error
}

// Keys are the settings, in the order the console shows them.
var Keys = []Key{
	{Name: "email.address", Env: "VIGIL_EMAIL_ADDRESS", check: address},
	{Name: "email.name", Env: "VIGIL_EMAIL_NAME", check: text(100)},
	{Name: "email.relay", Env: "VIGIL_SMTP_RELAY", check: hostPort},
	{Name: "email.security", Env: "VIGIL_SMTP_SECURITY", check: oneOf("starttls", "tls", "none")},
	{Name: "email.username", Env: "VIGIL_SMTP_USERNAME", check: text(200)},
	{Name: "email.password", Env: "VIGIL_SMTP_PASSWORD", Secret: true, check: text(500)},
	{Name: "telegram.token", Env: "VIGIL_TELEGRAM_TOKEN", Secret: true, check: match(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)},
	{Name: "telegram.webhook_secret", Env: "VIGIL_TELEGRAM_WEBHOOK_SECRET", Secret: true, check: match(`^[A-Za-z0-9_-]{16,256}$`)},
	{Name: "discord.token", Env: "VIGIL_DISCORD_TOKEN", Secret: true, check: match(`^[A-Za-z0-9._-]{30,200}$`)},
	{Name: "discord.channel_id", Env: "VIGIL_DISCORD_CHANNEL_ID", check: match(`^[0-9]{5,25}$`)},
}

func lookup(name string) (Key, bool) {
	i := slices.IndexFunc(Keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return Keys[i], true
}

// Setting is a setting as an administrator sees it.
type Setting struct {
	Name   string `json:"name"`
	Env    string `json:"env"`
	Secret bool   `json:"secret"`
	// Value is the stored value; a secret's is masked to its last four
	// characters ("••••WXYZ"), or empty when unset.
	Value string `json:"value"`
	// Source says where the running value comes from: "environment"
	// (the variable is set and wins), "database", or "" (unset).
	Source    string     `json:"source"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// Unreadable is set when a stored secret no longer opens (the secret
	// key changed): enter it again.
	Unreadable bool `json:"unreadable,omitempty"`
}

// Options wire a Service.
type Options struct {
	DB    *db.DB
	Audit *audit.Log
	Now   func() time.Time
	// SecretKey is VIGIL_SECRET_KEY; without it secrets cannot be stored.
	SecretKey string
	// Getenv reads the environment (os.Getenv); nil: nothing is set there.
	Getenv func(string) string
	// Check, when set, vets the stored settings as they would be after a
	// save, taken together with the environment (a Telegram token needs a
	// webhook secret), so a save never leaves a desk that cannot start.
	Check func(stored map[string]string) error
}

// Service stores and reads channel settings.
type Service struct {
	db     *db.DB
	audit  *audit.Log
	now    func() time.Time
	sealer *sealer // nil without a secret key
	getenv func(string) string
	check  func(map[string]string) error
	// started is when this process read the settings; saved is set by a
	// save here. Either tells that what runs is older than what is stored.
	started time.Time
	saved   atomic.Bool
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{db: o.DB, audit: o.Audit, now: o.Now, getenv: o.Getenv, check: o.Check, started: o.Now()}
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	if len(o.SecretKey) >= 16 {
		s.sealer = newSealer(o.SecretKey)
	}
	return s
}

// fromEnv reports whether the environment sets a key (directly or as a file).
func (s *Service) fromEnv(k Key) bool {
	return s.getenv(k.Env) != "" || s.getenv(k.Env+"_FILE") != ""
}

type row struct {
	value     string
	updatedAt time.Time
}

func (s *Service) rows(ctx context.Context) (map[string]row, error) {
	rs, err := s.db.Q(ctx).QueryContext(ctx, `SELECT name, value, updated_at FROM channel_settings`)
	if err != nil {
		return nil, fmt.Errorf("settings: list: %w", err)
	}
	defer rs.Close()
	out := map[string]row{}
	for rs.Next() {
		var name, value string
		var at int64
		if err := rs.Scan(&name, &value, &at); err != nil {
			return nil, fmt.Errorf("settings: list: %w", err)
		}
		out[name] = row{value: value, updatedAt: db.Time(at)}
	}
	return out, rs.Err()
}

// List returns every setting with secrets masked.
func (s *Service) List(ctx context.Context) ([]Setting, error) {
	rows, err := s.rows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Setting, 0, len(Keys))
	for _, k := range Keys {
		st := Setting{Name: k.Name, Env: k.Env, Secret: k.Secret}
		if r, ok := rows[k.Name]; ok {
			at := r.updatedAt
			st.UpdatedAt, st.Source, st.Value = &at, "database", r.value
			if k.Secret {
				plain, err := s.open(k.Name, r.value)
				st.Value, st.Unreadable = Mask(plain), err != nil
			}
		}
		if s.fromEnv(k) {
			st.Source = "environment"
		}
		out = append(out, st)
	}
	return out, nil
}

// Stored returns the stored values, secrets opened, for the settings the
// environment does not set: what Vigil applies at start. A secret that no
// longer opens is left out and reported in the error, with the others
// still returned.
func (s *Service) Stored(ctx context.Context) (map[string]string, error) {
	rows, err := s.rows(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var bad []string
	for _, k := range Keys {
		r, ok := rows[k.Name]
		if !ok || s.fromEnv(k) {
			continue
		}
		v := r.value
		if k.Secret {
			if v, err = s.open(k.Name, r.value); err != nil {
				bad = append(bad, k.Name)
				continue
			}
		}
		out[k.Name] = v
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("settings: %s cannot be opened with this VIGIL_SECRET_KEY; enter them again", strings.Join(bad, ", "))
	}
	return out, nil
}

// Save applies changes: a value sets a setting, an empty one removes it.
// A setting the environment sets is refused (change it there), as is any
// unknown name or bad value; nothing is saved unless everything is valid.
func (s *Service) Save(ctx context.Context, changes map[string]string) error {
	if len(changes) == 0 {
		return apperr.Invalidf("settings.empty", "no settings to change")
	}
	clean := make(map[string]string, len(changes))
	names := make([]string, 0, len(changes))
	for name, v := range changes {
		k, ok := lookup(name)
		if !ok {
			return apperr.Field(name, "settings.unknown", "unknown setting")
		}
		if s.fromEnv(k) {
			return &apperr.Error{Kind: apperr.Conflict, Code: "settings.pinned", Field: name,
				Message: fmt.Sprintf("%s is set by %s; change it there", name, k.Env)}
		}
		v = strings.TrimSpace(v)
		if v != "" {
			if err := k.check(v); err != nil {
				return apperr.Field(name, "settings.invalid", "%s", err.Error())
			}
			if k.Secret && s.sealer == nil {
				return apperr.New(apperr.Unavailable, "settings.no_key", "set VIGIL_SECRET_KEY to store secrets")
			}
		}
		clean[name] = v
		names = append(names, name)
	}
	slices.Sort(names)
	if s.check != nil {
		after, _ := s.Stored(ctx) // one that no longer opens is being replaced or stays unused
		for name, v := range clean {
			if v == "" {
				delete(after, name)
			} else {
				after[name] = v
			}
		}
		if err := s.check(after); err != nil {
			return apperr.Invalidf("settings.combination", "%s", err.Error())
		}
	}
	now := db.Millis(s.now())
	by := audit.ActorFrom(ctx).ID
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		detail := map[string]any{}
		for _, name := range names {
			k, _ := lookup(name)
			v := clean[name]
			if v == "" {
				if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM channel_settings WHERE name = $1`, name); err != nil {
					return fmt.Errorf("settings: clear %s: %w", name, err)
				}
				detail[name] = "cleared"
				continue
			}
			stored := v
			if k.Secret {
				var err error
				if stored, err = s.sealer.seal(name, v); err != nil {
					return err
				}
				detail[name] = "set " + Mask(v) // the audit trail never holds a secret
			} else {
				detail[name] = "set " + v
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO channel_settings (name, value, updated_by, updated_at)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				name, stored, by, now); err != nil {
				return fmt.Errorf("settings: save %s: %w", name, err)
			}
		}
		if err := s.audit.Record(ctx, "channel_settings.update", "channel_settings", 0, detail); err != nil {
			return err
		}
		s.saved.Store(true)
		return nil
	})
}

// RestartRequired reports whether settings were saved after this process
// read them, here or on another instance: they apply at the next start.
func (s *Service) RestartRequired(ctx context.Context) (bool, error) {
	if s.saved.Load() {
		return true, nil
	}
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_settings WHERE updated_at > $1`, db.Millis(s.started)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("settings: restart check: %w", err)
	}
	return n > 0, nil
}

// Mask shows the last four characters of a secret, and only when it is
// long enough that they give little away.
func Mask(secret string) string {
	r := []rune(secret)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 12:
		return "••••"
	}
	return "••••" + string(r[len(r)-4:])
}

func address(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v, "@") {
		return fmt.Errorf("%q is not an email address", v)
	}
	return nil
}

func hostPort(v string) error {
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return fmt.Errorf("%q is not host:port", v)
	}
	return nil
}

func oneOf(opts ...string) func(string) error {
	return func(v string) error {
		if !slices.Contains(opts, v) {
			return fmt.Errorf("must be one of %s", strings.Join(opts, ", "))
		}
		return nil
	}
}

func text(max int) func(string) error {
	return func(v string) error {
		if len(v) > max || strings.ContainsFunc(v, unicode.IsControl) {
			return fmt.Errorf("at most %d characters, without control characters", max)
		}
		return nil
	}
}

func match(pattern string) func(string) error {
	re := regexp.MustCompile(pattern)
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("does not look right (expected %s)", pattern)
		}
		return nil
	}
}
