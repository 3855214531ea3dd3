package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"vigil/internal/audit"
)

const botToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// adminBrowser signs the administrator in with TOTP enrolled.
func (e *env) adminBrowser() *browser {
	e.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	enrol, err := e.app.Auth.BeginTOTP(ctx, e.admin.ID, e.admin.Email)
	if err != nil {
		e.t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enrol.Secret, e.clock.now)
	if _, err := e.app.Auth.ConfirmTOTP(ctx, e.admin.ID, code); err != nil {
		e.t.Fatal(err)
	}
	e.clock.now = e.clock.now.Add(31 * time.Second) // a code is accepted once
	code, _ = totp.GenerateCode(enrol.Secret, e.clock.now)
	b := e.browser()
	if status, body, _ := b.signIn(e.admin.Email, code); status != http.StatusSeeOther {
		e.t.Fatalf("admin sign-in: %d %s", status, body)
	}
	return b
}

// An administrator stores the relay and a bot token on the settings page:
// the token is kept, shown masked only, replaced or removed on request, and
// the page says plainly that a restart applies the change. Agents cannot
// open the page.
func TestChannelSettingsPage(t *testing.T) {
	e := newEnv(t)
	if status, page, _ := e.signedIn(e.agA).get("/console/settings/channels"); status != http.StatusForbidden || strings.Contains(page, `name="telegram.token"`) {
		t.Fatalf("agent: %d", status)
	}
	b := e.adminBrowser()
	status, page, _ := b.get("/console/settings/channels")
	if status != http.StatusOK || !strings.Contains(page, `name="email.relay"`) || strings.Contains(page, "Restart required") {
		t.Fatalf("settings page: %d\n%s", status, page)
	}
	form := url.Values{"csrf": {b.csrf}, "email.address": {"support@exchange.example"}, "email.relay": {"smtp.exchange.example:587"}, "email.name": {"Exchange Support"}, "telegram.token": {botToken},
		"telegram.webhook_secret": {"hook-secret-0123456789abcdef"}}
	if status, page, h := b.post("/console/settings/channels", form, e.srv.URL); status != http.StatusSeeOther || h.Get("Location") != "/console/settings/channels?saved=1" {
		t.Fatalf("save: %d to %q: %s", status, h.Get("Location"), regexp.MustCompile(`class="error"[^<]*<`).FindString(page))
	}
	_, page, _ = b.get("/console/settings/channels?saved=1")
	for _, want := range []string{"Saved.", "Restart required", `value="smtp.exchange.example:587"`, "••••Dsaw"} {
		if !strings.Contains(page, want) {
			t.Errorf("page after save lacks %q", want)
		}
	}
	if strings.Contains(page, "AAHdq") {
		t.Fatal("the page shows the bot token")
	}
	stored, err := e.app.Settings.Stored(context.Background())
	if err != nil || stored["telegram.token"] != botToken || stored["email.relay"] != "smtp.exchange.example:587" {
		t.Fatalf("stored: %v, %v", stored, err)
	}
	// Saving again with the secret left blank keeps it; a bad value is
	// refused with the reason and nothing changes.
	form = url.Values{"csrf": {b.csrf}, "email.relay": {"no port here"}, "email.name": {"Exchange Support"}, "telegram.token": {""}}
	if status, page, _ := b.post("/console/settings/channels", form, e.srv.URL); status != http.StatusUnprocessableEntity || !strings.Contains(page, "host:port") {
		t.Fatalf("bad relay: %d\n%s", status, page)
	}
	if stored, _ := e.app.Settings.Stored(context.Background()); stored["telegram.token"] != botToken || stored["email.relay"] != "smtp.exchange.example:587" {
		t.Fatalf("after a refused save: %v", stored)
	}
	form = url.Values{"csrf": {b.csrf}, "email.relay": {"smtp.exchange.example:587"}, "telegram.token.remove": {"1"}, "telegram.webhook_secret.remove": {"1"}}
	if status, _, _ := b.post("/console/settings/channels", form, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("remove: %d", status)
	}
	if stored, _ := e.app.Settings.Stored(context.Background()); stored["telegram.token"] != "" {
		t.Fatalf("token not removed: %v", stored)
	}
	// A form without the page's CSRF token changes nothing.
	if status, _, _ := b.post("/console/settings/channels", url.Values{"email.relay": {"evil.example:25"}}, e.srv.URL); status != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", status)
	}
	// 中文界面
	b.post("/console/lang", url.Values{"csrf": {b.csrf}, "lang": {"zh"}}, e.srv.URL)
	if _, page, _ := b.get("/console/settings/channels"); !strings.Contains(page, "渠道设置") || !strings.Contains(page, "需要重启") {
		t.Error("the page is not translated")
	}
}
