package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.agentB)
	status, body := c.do("POST", "/api/v1/me/tokens", map[string]any{"name": "helpdesk-sync", "scopes": []string{"conversation:read"}})
	if status != http.StatusCreated {
		t.Fatalf("create token: %d %s", status, body)
	}
	created := decodeJSON[struct {
		Token struct {
			ID int64 `json:"id"`
		} `json:"token"`
		Value string `json:"value"`
	}](t, body)
	if !strings.HasPrefix(created.Value, "vgl_") {
		t.Fatalf("token value %q", created.Value)
	}
	// The raw value is never shown again.
	_, body = c.do("GET", "/api/v1/me/tokens", nil)
	if strings.Contains(string(body), created.Value) {
		t.Fatal("token list shows the raw token")
	}
	bot := e.anonymous()
	bot.bearer = created.Value
	conv := fmt.Sprintf("/api/v1/conversations/%d", e.convB.ID)
	if status, body := bot.do("GET", conv, nil); status != http.StatusOK {
		t.Errorf("read with read-scoped token: %d %s", status, body)
	}
	// Scope limits the token below the agent's own role.
	if status, _ := bot.do("POST", conv+"/messages", map[string]any{"body": "from a token"}); status != http.StatusForbidden {
		t.Errorf("write with read-scoped token: %d, want 403", status)
	}
	// Tokens need no CSRF header: browsers never attach them on their own.
	if status, _ := bot.do("GET", "/api/v1/conversations", nil); status != http.StatusOK {
		t.Errorf("list with token: %d", status)
	}
	// A token cannot mint more tokens.
	if status, _ := bot.do("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "scopes": []string{"conversation:read"}}); status != http.StatusForbidden {
		t.Errorf("token creating a token: %d, want 403", status)
	}
	// Scopes beyond the role are refused at creation.
	if status, _ := c.do("POST", "/api/v1/me/tokens", map[string]any{"name": "escalate", "scopes": []string{"agent:manage"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("token with scope beyond role: %d, want 422", status)
	}
	// Revoked: refused at once.
	if status, _ := c.do("DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", created.Token.ID), nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := bot.do("GET", conv, nil); status != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", status)
	}
	// Garbage tokens and malformed headers are refused.
	bot.bearer = "vgl_" + strings.Repeat("A", 43)
	if status, _ := bot.do("GET", conv, nil); status != http.StatusUnauthorized {
		t.Errorf("forged token: %d", status)
	}
}

func TestLoginThrottleAndLockout(t *testing.T) {
	e := newEnv(t)
	c := e.anonymous()
	var last int
	for i := range 6 {
		last, _ = c.do("POST", "/api/v1/auth/login", map[string]string{"email": e.agentB.Email, "password": "wrong password " + fmt.Sprint(i)})
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("after 6 wrong passwords: %d, want 429 (locked)", last)
	}
	// Even the right password is refused while locked.
	if status, _ := c.do("POST", "/api/v1/auth/login", map[string]string{"email": e.agentB.Email, "password": password}); status != http.StatusTooManyRequests {
		t.Errorf("right password while locked: %d, want 429", status)
	}
	e.clock.now = e.clock.now.Add(16 * time.Minute)
	// The per-address limiter (10 a minute) also refills with time.
	if status, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": e.agentB.Email, "password": password}); status != http.StatusOK {
		t.Errorf("after the lock expired: %d %s", status, body)
	}
	// A flood from one address is throttled whatever the account.
	var throttled bool
	for i := range 15 {
		status, _ := c.do("POST", "/api/v1/auth/login", map[string]string{"email": fmt.Sprintf("x%d@test.example", i), "password": "whatever123"})
		throttled = throttled || status == http.StatusTooManyRequests
	}
	if !throttled {
		t.Error("15 sign-in attempts in a moment from one address were never throttled")
	}
}

func TestAdminMustEnrolTOTP(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.app.Auth.DisableTOTP(ctx, e.admin.ID); err != nil {
		t.Fatal(err)
	}
	c := e.anonymous()
	status, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": e.admin.Email, "password": password})
	if status != http.StatusOK || !strings.Contains(string(body), `"must_enrol_totp":true`) {
		t.Fatalf("admin without TOTP: %d %s", status, body)
	}
	c.csrf = decodeJSON[struct {
		CSRF string `json:"csrf_token"`
	}](t, body).CSRF
	// Until enrolled, only the enrolment routes work.
	if status, _ := c.do("GET", "/api/v1/audit", nil); status != http.StatusForbidden {
		t.Errorf("admin reached the audit log before enrolling: %d", status)
	}
	if status, _ := c.do("POST", "/api/v1/me/totp", nil); status != http.StatusOK {
		t.Errorf("admin cannot begin enrolment: %d", status)
	}
}
