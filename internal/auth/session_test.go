package auth_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

func TestSession(t *testing.T) {
	suite{
		"expiry":                            testSessionExpiry,
		"options":                           testSessionOptions,
		"logout":                            testLogout,
		"revoke sessions":                   testRevokeSessions,
		"disabled agent":                    testDisabledAgentSession,
		"authenticate refuses other tokens": testAuthenticateRefuses,
	}.run(t)
}

// testSessionExpiry replays a timeline per case: the clock moves to each
// offset from sign-in in turn and the session is used there.
func testSessionExpiry(t *testing.T, shared *env) {
	type use struct {
		at   time.Duration // since sign-in
		want bool
	}
	tests := []struct {
		name string
		uses []use
	}{
		{"idle just under two hours", []use{{2*time.Hour - time.Millisecond, true}}},
		{"idle two hours", []use{{2 * time.Hour, false}}},
		{"activity slides the idle timeout", []use{{90 * time.Minute, true}, {3 * time.Hour, true}, {4*time.Hour + 59*time.Minute, true}}},
		{"idle after activity", []use{{90 * time.Minute, true}, {3*time.Hour + 30*time.Minute, false}}},
		{"in use until just before twelve hours", []use{
			{time.Hour, true}, {2 * time.Hour, true}, {3 * time.Hour, true}, {4 * time.Hour, true}, {5 * time.Hour, true},
			{6 * time.Hour, true}, {7 * time.Hour, true}, {8 * time.Hour, true}, {9 * time.Hour, true}, {10 * time.Hour, true},
			{11 * time.Hour, true}, {12*time.Hour - time.Millisecond, true}}},
		{"in use at twelve hours", []use{
			{time.Hour, true}, {2 * time.Hour, true}, {3 * time.Hour, true}, {4 * time.Hour, true}, {5 * time.Hour, true},
			{6 * time.Hour, true}, {7 * time.Hour, true}, {8 * time.Hour, true}, {9 * time.Hour, true}, {10 * time.Hour, true},
			{11 * time.Hour, true}, {12 * time.Hour, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, shared.d)
			sam := e.agent(t, "sam", agent.RoleAgent, password)
			s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
			for _, u := range tt.uses {
				e.clock.Advance(t0.Add(u.at).Sub(e.clock.Now()))
				p, err := e.auth.Authenticate(e.ctx, s.Token)
				if u.want && (err != nil || p.AgentID != sam.ID) {
					t.Fatalf("at +%v: %+v, %v; want agent %d", u.at, p, err, sam.ID)
				}
				if !u.want {
					wantErr(t, err, apperr.Unauthenticated, "auth.required")
				}
			}
		})
	}
}

func testSessionOptions(t *testing.T, e *env) {
	e.auth = e.service(func(o *auth.Options) { o.SessionTTL, o.SessionIdle = time.Hour, 10*time.Minute })
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	if !s.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ExpiresAt = %v, want %v", s.ExpiresAt, t0.Add(time.Hour))
	}
	e.clock.Advance(10 * time.Minute)
	_, err := e.auth.Authenticate(e.ctx, s.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.required")
}

func testLogout(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	laptop := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	phone := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})

	if err := e.auth.Logout(e.ctx, laptop.Token); err != nil {
		t.Fatal(err)
	}
	_, err := e.auth.Authenticate(e.ctx, laptop.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.required")
	if got := e.lastAudit(t, sam.ID).Action; got != "auth.logout" {
		t.Errorf("last audit = %s, want auth.logout", got)
	}
	// Signing out one browser leaves the others signed in.
	if _, err := e.auth.Authenticate(e.ctx, phone.Token); err != nil {
		t.Errorf("other session after logout: %v", err)
	}
	// Signing out again, or with a made-up token, is not an error.
	for _, tok := range []string{laptop.Token, "made-up", ""} {
		if err := e.auth.Logout(e.ctx, tok); err != nil {
			t.Errorf("logout %q: %v", tok, err)
		}
	}
}

func testRevokeSessions(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	kim := e.agent(t, "kim", agent.RoleAgent, password)
	s1 := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	s2 := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	k := e.login(t, auth.LoginInput{Email: kim.Email, Password: password})

	if err := e.auth.RevokeSessions(e.ctx, sam.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{s1.Token, s2.Token} {
		_, err := e.auth.Authenticate(e.ctx, tok)
		wantErr(t, err, apperr.Unauthenticated, "auth.required")
	}
	if _, err := e.auth.Authenticate(e.ctx, k.Token); err != nil {
		t.Errorf("another agent's session after revoking sam's: %v", err)
	}
}

func testDisabledAgentSession(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	e.disable(t, sam.ID)
	_, err := e.auth.Authenticate(e.ctx, s.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.required")
}

func testAuthenticateRefuses(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	_, apiToken, err := e.auth.CreateToken(e.ctx, sam.ID, "bot", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.auth.StartCustomerSession(e.ctx, e.customer(t).ID, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"made up", "not-a-session"},
		{"session token with a changed character", s.Token[:len(s.Token)-1] + flip(s.Token[len(s.Token)-1])},
		{"CSRF token", s.CSRFToken},
		{"API token", apiToken},
		{"customer session token", cs.Token},
		{"overlong", s.Token + strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.auth.Authenticate(e.ctx, tt.token)
			wantErr(t, err, apperr.Unauthenticated, "auth.required")
		})
	}
}

// flip returns a different base64url character.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
