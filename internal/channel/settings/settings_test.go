package settings_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/channel/settings"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
)

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

type desk struct {
	db    *db.DB
	audit *audit.Log
	clock *dbtest.Clock
	env   map[string]string
}

func newDesk(t *testing.T) *desk {
	return &desk{db: dbtest.Open(t), clock: dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), env: map[string]string{}}
}

func (d *desk) service(secretKey string) *settings.Service {
	d.audit = audit.New(d.db, d.clock.Now)
	return settings.New(settings.Options{DB: d.db, Audit: d.audit, Now: d.clock.Now, SecretKey: secretKey,
		Getenv: func(k string) string { return d.env[k] }})
}

var admin = audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 7})

func find(t *testing.T, list []settings.Setting, name string) settings.Setting {
	t.Helper()
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no setting %s", name)
	return settings.Setting{}
}

// A stored bot token is sealed in the database, shown masked, audited
// without its value, and comes back whole only for the desk itself.
func TestSecretsSealedMaskedAndAudited(t *testing.T) {
	d := newDesk(t)
	s := d.service(strings.Repeat("k", 32))
	if err := s.Save(admin, map[string]string{"telegram.token": token, "email.relay": "smtp.exchange.example:587"}); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := d.db.Q(admin).QueryRowContext(admin, `SELECT value FROM channel_settings WHERE name = 'telegram.token'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "AAHdq") || strings.Contains(raw, "123456789") {
		t.Fatalf("token stored in the clear: %q", raw)
	}
	list, err := s.List(admin)
	if err != nil {
		t.Fatal(err)
	}
	if got := find(t, list, "telegram.token"); got.Value != "••••Dsaw" || got.Source != "database" || got.Unreadable {
		t.Errorf("token as listed: %+v", got)
	}
	if got := find(t, list, "email.relay"); got.Value != "smtp.exchange.example:587" {
		t.Errorf("relay as listed: %+v", got)
	}
	entries, err := d.audit.List(admin, audit.Filter{ObjectKind: "channel_settings"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v, %v", entries, err)
	}
	detail, _ := json.Marshal(entries[0].Detail)
	if strings.Contains(string(detail), "AAHdq") || !strings.Contains(string(detail), "telegram.token") || entries[0].ActorID != 7 {
		t.Errorf("audit entry: %s by %d", detail, entries[0].ActorID)
	}
	stored, err := s.Stored(admin)
	if err != nil || stored["telegram.token"] != token {
		t.Fatalf("stored: %v, %v", stored, err)
	}
	// Another secret key cannot open it: the desk says so instead of
	// using garbage.
	other := d.service(strings.Repeat("x", 32))
	stored, err = other.Stored(admin)
	if err == nil || stored["telegram.token"] != "" || stored["email.relay"] == "" {
		t.Errorf("with another key: %v, %v", stored, err)
	}
	list, _ = other.List(admin)
	if !find(t, list, "telegram.token").Unreadable {
		t.Error("an unopenable secret is not flagged")
	}
}

// A variable set in the environment wins: the stored value is not used and
// the console may not change it. Bad input saves nothing.
func TestEnvironmentWinsAndBadInputSavesNothing(t *testing.T) {
	d := newDesk(t)
	s := d.service(strings.Repeat("k", 32))
	if err := s.Save(admin, map[string]string{"email.relay": "relay.example:25"}); err != nil {
		t.Fatal(err)
	}
	d.env["VIGIL_SMTP_RELAY"] = "pinned.example:25"
	err := s.Save(admin, map[string]string{"email.relay": "other.example:25"})
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("saving a pinned setting: %v", err)
	}
	if stored, _ := s.Stored(admin); stored["email.relay"] != "" {
		t.Errorf("a pinned setting was applied from the database: %v", stored)
	}
	list, _ := s.List(admin)
	if got := find(t, list, "email.relay"); got.Source != "environment" {
		t.Errorf("source = %q", got.Source)
	}
	for _, bad := range []map[string]string{
		{"email.address": "support@exchange.example", "email.security": "ssl"},
		{"email.address": "support@exchange.example", "nonsense": "x"},
		{"telegram.token": "not a token"},
		{"email.name": "Support\r\nBcc: x@evil.example"},
	} {
		if err := s.Save(admin, bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("save %v: %v, want invalid", bad, err)
		}
	}
	if stored, _ := s.Stored(admin); stored["email.address"] != "" {
		t.Errorf("a rejected save kept a value: %v", stored)
	}
	// Without a secret key no secret is stored.
	if err := d.service("").Save(admin, map[string]string{"telegram.token": token}); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("secret without a key: %v", err)
	}
	// An empty value removes a setting.
	delete(d.env, "VIGIL_SMTP_RELAY")
	if err := s.Save(admin, map[string]string{"email.relay": ""}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(admin); find(t, list, "email.relay").Source != "" {
		t.Error("cleared setting still listed as set")
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "", "short": "••••", "0123456789abcdef": "••••cdef", "密钥密钥密钥密钥密钥密钥": "••••密钥密钥"} {
		if got := settings.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
