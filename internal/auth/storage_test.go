package auth_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/auth"
	"vigil/internal/db/dbtest"
)

// TestNoSecretStoredInClear runs every flow that creates a secret, then
// reads every column of every table auth writes (and the audit log) looking
// for any of them. A leaked database must not hand out sign-ins.
func TestNoSecretStoredInClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.Open(t))
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	secret, codes := e.enrolTOTP(t, sam)
	e.clock.Advance(30 * time.Second)
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password, TOTPCode: code(t, secret, e.clock.Now())})
	e.login(t, auth.LoginInput{Email: sam.Email, Password: password, RecoveryCode: codes[0]})
	// A mistyped password is also a secret: it is often the real one with a typo.
	const typo = "correct horse batteyr"
	if _, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: typo}); err == nil {
		t.Fatal("mistyped password accepted")
	}
	_, apiToken, err := e.auth.CreateToken(e.ctx, sam.ID, "bot", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auth.AuthenticateToken(e.ctx, apiToken); err != nil {
		t.Fatal(err)
	}
	cs, err := e.auth.StartCustomerSession(e.ctx, e.customer(t).ID, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{
		"password":               password,
		"mistyped password":      typo,
		"session token":          s.Token,
		"API token":              apiToken,
		"API token without vgl_": strings.TrimPrefix(apiToken, "vgl_"),
		"customer session token": cs.Token,
	}
	for i, c := range codes {
		secrets["recovery code "+string(rune('0'+i))] = c
	}
	var cells []string
	for _, table := range []string{"agent_credentials", "sessions", "api_tokens", "recovery_codes", "customer_sessions", "audit_log"} {
		rows := e.rows(t, table)
		if len(rows) == 0 {
			t.Fatalf("table %s is empty; the flows above should have written to it", table)
		}
		cells = append(cells, rows...)
	}
	for name, v := range secrets {
		for _, cell := range cells {
			if strings.Contains(cell, v) {
				t.Errorf("%s stored in clear: %s", name, cell)
			}
		}
	}
	// Only the first 12 characters of an API token are kept, to tell tokens
	// apart; the rest is never stored.
	for _, cell := range cells {
		if strings.Contains(cell, apiToken[12:20]) {
			t.Errorf("part of the API token beyond its prefix stored: %s", cell)
		}
	}
}
