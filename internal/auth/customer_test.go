package auth_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

func TestCustomer(t *testing.T) {
	suite{
		"session":                 testCustomerSession,
		"authenticate refuses":    testAuthenticateCustomerRefuses,
		"unknown customer":        testCustomerSessionUnknown,
		"nonce":                   testUseNonce,
		"nonce used concurrently": testUseNonceConcurrent,
	}.run(t)
}

func testCustomerSession(t *testing.T, e *env) {
	ann, bob := e.customer(t), e.customer(t)
	as, err := e.auth.StartCustomerSession(e.ctx, ann.ID, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := e.auth.StartCustomerSession(e.ctx, bob.ID, false, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(as.Token, "vcs_") || as.Token == bs.Token || !as.ExpiresAt.Equal(t0.Add(time.Hour)) ||
		as.CustomerID != ann.ID || !as.Verified {
		t.Fatalf("sessions = %+v and %+v", as, bs)
	}

	for _, tt := range []struct {
		token string
		want  auth.Principal
	}{
		{as.Token, auth.Principal{Kind: auth.CustomerPrincipal, CustomerID: ann.ID, Verified: true}},
		{bs.Token, auth.Principal{Kind: auth.CustomerPrincipal, CustomerID: bob.ID, Verified: false}},
	} {
		p, err := e.auth.AuthenticateCustomer(e.ctx, tt.token)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, p); diff != "" {
			t.Errorf("principal (-want +got):\n%s", diff)
		}
		if p.IsAgent() || p.Can(auth.PermConversationRead) {
			t.Errorf("customer principal %+v acts as an agent", p)
		}
	}

	e.clock.Advance(time.Hour - time.Millisecond)
	if _, err := e.auth.AuthenticateCustomer(e.ctx, as.Token); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	e.clock.Advance(time.Millisecond)
	_, err = e.auth.AuthenticateCustomer(e.ctx, as.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.required")
	if p, err := e.auth.AuthenticateCustomer(e.ctx, bs.Token); err != nil || p.CustomerID != bob.ID {
		t.Errorf("bob's longer session: %+v, %v", p, err)
	}
}

func testAuthenticateCustomerRefuses(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	cs, err := e.auth.StartCustomerSession(e.ctx, e.customer(t).ID, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	agentSession := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	_, apiToken, err := e.auth.CreateToken(e.ctx, sam.ID, "bot", []auth.Permission{auth.PermConversationRead}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, token string }{
		{"empty", ""},
		{"prefix only", "vcs_"},
		{"without its prefix", strings.TrimPrefix(cs.Token, "vcs_")},
		{"one character changed", cs.Token[:len(cs.Token)-1] + flip(cs.Token[len(cs.Token)-1])},
		{"overlong", cs.Token + strings.Repeat("x", 100)},
		{"agent session token", agentSession.Token},
		{"API token", apiToken},
		{"agent session token given the prefix", "vcs_" + agentSession.Token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.auth.AuthenticateCustomer(e.ctx, tt.token)
			wantErr(t, err, apperr.Unauthenticated, "auth.required")
		})
	}
	// Nor does a customer token work where an agent's is expected.
	_, err = e.auth.AuthenticateToken(e.ctx, cs.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.token_invalid")
}

func testCustomerSessionUnknown(t *testing.T, e *env) {
	if _, err := e.auth.StartCustomerSession(e.ctx, 1<<40, false, time.Hour); err == nil {
		t.Error("session started for a customer that does not exist")
	}
}

func testUseNonce(t *testing.T, e *env) {
	exp := t0.Add(5 * time.Minute)
	steps := []struct {
		name     string
		nonce    string
		wantCode string
	}{
		{"first use", "n-1", ""},
		{"second use", "n-1", "widget.identity_replayed"},
		{"another nonce", "n-2", ""},
		{"differs only in case", "N-1", ""},
		{"empty", "", "widget.identity_invalid"},
		{"101 characters", strings.Repeat("n", 101), "widget.identity_invalid"},
		{"100 characters", strings.Repeat("n", 100), ""},
	}
	for _, st := range steps {
		err := e.auth.UseNonce(e.ctx, st.nonce, exp)
		if st.wantCode == "" {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		if apperr.KindOf(err) != apperr.Unauthenticated || codeOf(err) != st.wantCode {
			t.Fatalf("%s: err = %v (%s), want unauthenticated %s", st.name, err, codeOf(err), st.wantCode)
		}
	}

	// Until its token expires the nonce stays refused, however often the
	// sweep runs.
	e.clock.Advance(5 * time.Minute)
	if err := e.auth.UseNonce(e.ctx, "sweeper", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := e.auth.UseNonce(e.ctx, "n-1", exp)
	wantErr(t, err, apperr.Unauthenticated, "widget.identity_replayed")

	// Once expired it is swept; the identity token's own expiry refuses it.
	e.clock.Advance(time.Millisecond)
	if err := e.auth.UseNonce(e.ctx, "sweeper-2", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM identity_nonces WHERE nonce = 'n-1'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("expired nonce still stored (%d rows)", n)
	}
}

func testUseNonceConcurrent(t *testing.T, e *env) {
	var ok, replayed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			// Expiring far ahead, so the sweep of testUseNonce (whose clock
			// runs ahead on the shared database) leaves it alone.
			err := e.auth.UseNonce(e.ctx, "race", t0.Add(24*time.Hour))
			switch {
			case err == nil:
				ok.Add(1)
			case codeOf(err) == "widget.identity_replayed":
				replayed.Add(1)
			default:
				t.Errorf("concurrent UseNonce: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 7 {
		t.Errorf("%d uses accepted and %d refused as replays, want 1 and 7", ok.Load(), replayed.Load())
	}
}
