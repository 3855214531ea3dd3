package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/channel/webchat"
	"vigil/internal/config"
	"vigil/internal/incident"
)

// Incident banners reach only who an incident concerns: a signed-in
// customer by what the exchange says they use, an anonymous visitor by
// the page they are on, and everyone for an incident scoped to nothing.
func TestTargetedBanners(t *testing.T) {
	secret := strings.Repeat("w", 32)
	e := newEnvWith(t, func(c *config.Config) { c.ExchangeURL, c.WidgetSecret = "sandbox", secret })
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	for _, in := range []struct {
		title string
		scope incident.Scope
	}{
		{"USDT TRC20 withdrawals delayed", incident.Scope{Features: []string{"withdrawals"}, Assets: []string{"usdt"}, Networks: []string{"trc20"}}},
		{"Solana transfers paused", incident.Scope{Assets: []string{"sol"}, Networks: []string{"solana"}}},
		{"Website slow", incident.Scope{Components: []string{"web"}}},
	} {
		if _, err := e.app.Incidents.Declare(ctx, 0, incident.Input{Severity: "major", Scope: in.scope,
			Titles: map[string]string{"en": in.title}, Messages: map[string]string{"en": in.title + "."}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path, token string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	nonce := 0
	session := func(uid string) string {
		t.Helper()
		nonce++
		tok := webchat.SignIdentity([]byte(secret), webchat.Claims{UID: uid, Exp: e.clock.now.Unix() + 600, Nonce: fmt.Sprint("n-", nonce)})
		body, _ := json.Marshal(map[string]string{"identity_token": tok, "language": "en"})
		resp, err := http.Post(e.srv.URL+"/widget/api/session", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct{ Token string }
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Token == "" {
			t.Fatalf("session for %s: %d %v", uid, resp.StatusCode, err)
		}
		return s.Token
	}
	tests := []struct {
		who, page string
		sees      []bool // TRC20, Solana, website
	}{
		// Alice withdrew USDT on TRC20; Bob withdrew SOL; neither matters to the other.
		{"U10000001", "/widget/api/notices", []bool{true, false, true}},
		{"U10000003", "/widget/api/notices", []bool{false, true, true}},
		// Signed in, the page's words do not widen what the customer sees.
		{"U10000003", "/widget/api/notices?context=/en/withdraw/usdt", []bool{false, true, true}},
		{"", "/widget/chat", []bool{false, false, true}},
		{"", "/widget/chat?context=/en/withdraw/usdt", []bool{true, false, true}},
		{"", "/help/en/", []bool{false, false, true}},
		{"", "/help/en/search?q=solana+deposit", []bool{false, true, true}},
	}
	// The customer's banners need their session.
	if resp, err := http.Get(e.srv.URL + "/widget/api/notices"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("notices without a session: %v %v", resp, err)
	}
	titles := []string{"USDT TRC20 withdrawals delayed", "Solana transfers paused", "Website slow"}
	for _, tt := range tests {
		token := ""
		if tt.who != "" {
			token = session(tt.who)
		}
		page := get(tt.page, token)
		for k, title := range titles {
			if strings.Contains(page, title) != tt.sees[k] {
				t.Errorf("%s on %s: banner %q shown = %v, want %v", or(tt.who, "anonymous"), tt.page, title, !tt.sees[k], tt.sees[k])
			}
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
