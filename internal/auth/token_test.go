package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

func TestToken(t *testing.T) {
	suite{
		"create":               testCreateToken,
		"create validation":    testCreateTokenValidation,
		"authenticate":         testAuthenticateToken,
		"authenticate refuses": testAuthenticateTokenRefuses,
		"revoke":               testRevokeToken,
		"scopes":               testTokenScopes,
	}.run(t)
}

func testCreateToken(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	expires := t0.Add(30 * 24 * time.Hour)
	tok, raw, err := e.auth.CreateToken(e.ctx, sam.ID, "  helpdesk sync ",
		[]auth.Permission{auth.PermCustomerRead, auth.PermConversationRead, auth.PermCustomerRead}, &expires)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "vgl_") || len(raw) != 4+43 {
		t.Fatalf("raw token = %q, want vgl_ and 32 random bytes", raw)
	}
	want := auth.Token{ID: tok.ID, AgentID: sam.ID, Name: "helpdesk sync", Prefix: raw[:12],
		Scopes:    []auth.Permission{auth.PermConversationRead, auth.PermCustomerRead},
		CreatedAt: t0, ExpiresAt: &expires}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}

	// Listing shows the metadata, never the value.
	list, err := e.auth.ListTokens(e.ctx, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]auth.Token{want}, list); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(list)
	if strings.Contains(string(b), raw[12:]) {
		t.Errorf("token list JSON %s contains the secret part of the token", b)
	}

	// The database holds the SHA-256 digest, which is what a lookup uses.
	var stored string
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != digestHex(raw) {
		t.Errorf("stored token_hash = %q, want the SHA-256 of the token", stored)
	}

	_, raw2, err := e.auth.CreateToken(e.ctx, sam.ID, "helpdesk sync", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if raw2 == raw {
		t.Error("two tokens share a value")
	}
}

func testCreateTokenValidation(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	sup := e.agent(t, "sup", agent.RoleSupervisor, "")
	past, now := t0.Add(-time.Second), t0
	read := []auth.Permission{auth.PermConversationRead}
	tests := []struct {
		name     string
		agentID  int64
		tname    string
		scopes   []auth.Permission
		expires  *time.Time
		wantKind apperr.Kind
		wantCode string
	}{
		{"blank name", sam.ID, "   ", read, nil, apperr.Invalid, "auth.token_name"},
		{"101-character name", sam.ID, strings.Repeat("n", 101), read, nil, apperr.Invalid, "auth.token_name"},
		{"100-character multibyte name", sam.ID, strings.Repeat("名", 100), read, nil, 0, ""},
		{"no scopes", sam.ID, "bot", nil, nil, apperr.Invalid, "auth.token_scope"},
		{"scope beyond an agent's role", sam.ID, "bot", []auth.Permission{auth.PermConversationRead, auth.PermAgentManage}, nil, apperr.Invalid, "auth.token_scope"},
		{"supervisor scope for a supervisor", sup.ID, "bot", []auth.Permission{auth.PermAuditRead}, nil, 0, ""},
		{"admin scope for a supervisor", sup.ID, "bot", []auth.Permission{auth.PermSettingsManage}, nil, apperr.Invalid, "auth.token_scope"},
		{"unknown scope", sam.ID, "bot", []auth.Permission{"everything"}, nil, apperr.Invalid, "auth.token_scope"},
		{"expiry in the past", sam.ID, "bot", read, &past, apperr.Invalid, "auth.token_expiry"},
		{"expiry now", sam.ID, "bot", read, &now, apperr.Invalid, "auth.token_expiry"},
		{"unknown agent", 1 << 40, "bot", read, nil, apperr.NotFound, "agent.not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, raw, err := e.auth.CreateToken(e.ctx, tt.agentID, tt.tname, tt.scopes, tt.expires)
			wantErr(t, err, tt.wantKind, tt.wantCode)
			if err != nil && raw != "" {
				t.Errorf("refused token still returned a value %q", raw)
			}
		})
	}
}

func testAuthenticateToken(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	tok, raw, err := e.auth.CreateToken(e.ctx, sam.ID, "bot", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.auth.AuthenticateToken(e.ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Principal{Kind: auth.AgentPrincipal, AgentID: sam.ID, Name: "Sam Lee", Role: auth.RoleAgent, TokenID: tok.ID,
		Scopes: []auth.Permission{auth.PermConversationRead}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}

	// Use is recorded, so an owner can spot stale tokens.
	e.clock.Advance(time.Hour)
	if _, err := e.auth.AuthenticateToken(e.ctx, raw); err != nil {
		t.Fatal(err)
	}
	list, err := e.auth.ListTokens(e.ctx, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("tokens = %+v, want one last used at %v", list, t0.Add(time.Hour))
	}
}

func testAuthenticateTokenRefuses(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	kim := e.agent(t, "kim", agent.RoleAgent, "")
	read := []auth.Permission{auth.PermConversationRead}
	create := func(agentID int64, expires *time.Time) (auth.Token, string) {
		t.Helper()
		tok, raw, err := e.auth.CreateToken(e.ctx, agentID, "bot", read, expires)
		if err != nil {
			t.Fatal(err)
		}
		return tok, raw
	}
	_, good := create(sam.ID, nil)
	revoked, revokedRaw := create(sam.ID, nil)
	if err := e.auth.RevokeToken(e.ctx, sam.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	in1h := t0.Add(time.Hour)
	_, expiring := create(sam.ID, &in1h)
	_, kims := create(kim.ID, nil)
	e.disable(t, kim.ID)
	sess := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})

	tests := []struct {
		name    string
		advance time.Duration
		raw     string
		wantOK  bool
	}{
		{"valid", 0, good, true},
		{"empty", 0, "", false},
		{"prefix only", 0, "vgl_", false},
		{"without its prefix", 0, strings.TrimPrefix(good, "vgl_"), false},
		{"one character changed", 0, good[:len(good)-1] + flip(good[len(good)-1]), false},
		{"in other case", 0, "vgl_" + strings.ToUpper(good[4:]), false},
		{"overlong", 0, good + strings.Repeat("x", 100), false},
		{"revoked", 0, revokedRaw, false},
		{"disabled agent's", 0, kims, false},
		{"session token", 0, sess.Token, false},
		{"digest as stored", 0, "vgl_" + digestHex(good), false},
		{"expiring, just before expiry", time.Hour - time.Millisecond, expiring, true},
		{"expiring, at expiry", time.Millisecond, expiring, false},
		{"valid, an hour later", 0, good, true},
	}
	for _, tt := range tests {
		e.clock.Advance(tt.advance)
		p, err := e.auth.AuthenticateToken(e.ctx, tt.raw)
		if tt.wantOK {
			if err != nil || p.AgentID != sam.ID {
				t.Errorf("%s: %+v, %v; want agent %d", tt.name, p, err, sam.ID)
			}
			continue
		}
		if apperr.KindOf(err) != apperr.Unauthenticated || codeOf(err) != "auth.token_invalid" {
			t.Errorf("%s: err = %v (%s), want unauthenticated auth.token_invalid", tt.name, err, codeOf(err))
		}
	}
}

func testRevokeToken(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	kim := e.agent(t, "kim", agent.RoleAgent, "")
	tok, raw, err := e.auth.CreateToken(e.ctx, sam.ID, "bot", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another agent cannot revoke it, or learn that it exists.
	wantErr(t, e.auth.RevokeToken(e.ctx, kim.ID, tok.ID), apperr.NotFound, "auth.token_not_found")
	if _, err := e.auth.AuthenticateToken(e.ctx, raw); err != nil {
		t.Fatalf("token after another agent's revoke: %v", err)
	}

	e.clock.Advance(time.Minute)
	wantErr(t, e.auth.RevokeToken(e.ctx, sam.ID, tok.ID), 0, "")
	_, err = e.auth.AuthenticateToken(e.ctx, raw)
	wantErr(t, err, apperr.Unauthenticated, "auth.token_invalid")
	wantErr(t, e.auth.RevokeToken(e.ctx, sam.ID, tok.ID), apperr.NotFound, "auth.token_not_found")
	wantErr(t, e.auth.RevokeToken(e.ctx, sam.ID, 1<<40), apperr.NotFound, "auth.token_not_found")

	list, err := e.auth.ListTokens(e.ctx, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("tokens = %+v, want one revoked at %v", list, t0.Add(time.Minute))
	}
}

// A token's scopes narrow the agent's role; they never widen it.
func testTokenScopes(t *testing.T, e *env) {
	sup := e.agent(t, "sup", agent.RoleSupervisor, "")
	_, raw, err := e.auth.CreateToken(e.ctx, sup.ID, "reporting",
		[]auth.Permission{auth.PermConversationRead, auth.PermAuditRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.auth.AuthenticateToken(e.ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		perm auth.Permission
		want bool
	}{
		{auth.PermConversationRead, true},
		{auth.PermAuditRead, true},
		{auth.PermConversationWrite, false}, // the role has it, the token does not
		{auth.PermTokenManage, false},       // so a token cannot mint tokens
		{auth.PermAgentManage, false},       // neither has it
	}
	for _, tt := range tests {
		if got := p.Can(tt.perm); got != tt.want {
			t.Errorf("token Can(%s) = %v, want %v", tt.perm, got, tt.want)
		}
	}

	// Demoted to agent: the token loses what the new role lacks.
	role := agent.RoleAgent
	if _, err := e.agents.Update(e.ctx, sup.ID, agent.Input{Role: &role}); err != nil {
		t.Fatal(err)
	}
	p, err = e.auth.AuthenticateToken(e.ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Can(auth.PermConversationRead) || p.Can(auth.PermAuditRead) {
		t.Errorf("after demotion: Can(conversation:read) = %v, Can(audit:read) = %v; want true, false",
			p.Can(auth.PermConversationRead), p.Can(auth.PermAuditRead))
	}
}

func digestHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
