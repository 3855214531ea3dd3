package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

func TestLogin(t *testing.T) {
	suite{
		"passwords": testLoginPasswords,
		"unknown email answers like wrong password":  testLoginUnknownEmail,
		"failures are audited":                       testLoginFailuresAudited,
		"lockout":                                    testLockout,
		"lockout counts consecutive failures":        testLockoutConsecutive,
		"lockout options":                            testLockoutOptions,
		"lockout holds against simultaneous guesses": testLockoutConcurrent,
		"set password":                               testSetPassword,
		"password change":                            testPasswordChange,
		"password hash cost":                         testPasswordHashCost,
		"directory error":                            testLoginDirectoryError,
	}.run(t)
}

func testLoginPasswords(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	off := e.agent(t, "off", agent.RoleAgent, password)
	e.disable(t, off.ID)
	nopass := e.agent(t, "nopass", agent.RoleAgent, "")

	tests := []struct {
		name      string
		email, pw string
		wantCode  string
	}{
		{"right password", sam.Email, password, ""},
		{"email in capitals with spaces", "  " + strings.ToUpper(sam.Email) + " ", password, ""},
		{"wrong password", sam.Email, password + "!", "auth.invalid_credentials"},
		{"password in capitals", sam.Email, strings.ToUpper(password), "auth.invalid_credentials"},
		{"empty password", sam.Email, "", "auth.invalid_credentials"},
		{"unknown email", "nobody@example.com", password, "auth.invalid_credentials"},
		{"disabled agent with right password", off.Email, password, "auth.invalid_credentials"},
		{"agent without a password", nopass.Email, "", "auth.invalid_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.auth.Login(e.ctx, auth.LoginInput{Email: tt.email, Password: tt.pw, IP: "192.0.2.1"})
			wantErr(t, err, apperr.Unauthenticated, tt.wantCode)
			if tt.wantCode != "" {
				return
			}
			if s.AgentID != sam.ID || s.Token == "" || s.CSRFToken == "" || !s.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
				t.Fatalf("session = %+v, want agent %d expiring at %v", s, sam.ID, t0.Add(12*time.Hour))
			}
			p, err := e.auth.Authenticate(e.ctx, s.Token)
			if err != nil {
				t.Fatalf("authenticate new session: %v", err)
			}
			want := auth.Principal{Kind: auth.AgentPrincipal, AgentID: sam.ID, Name: "Sam Lee", Role: auth.RoleAgent,
				SessionID: s.ID, CSRFToken: s.CSRFToken}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

// An attacker must not learn which emails have accounts: the answer for an
// unknown or disabled email is the same error as for a wrong password.
func testLoginUnknownEmail(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	off := e.agent(t, "off", agent.RoleAgent, password)
	e.disable(t, off.ID)

	_, wrong := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: "not the password"})
	wantErr(t, wrong, apperr.Unauthenticated, "auth.invalid_credentials")
	for _, email := range []string{"nobody@example.com", off.Email} {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: email, Password: "not the password"})
		if err == nil || err.Error() != wrong.Error() || codeOf(err) != codeOf(wrong) || apperr.KindOf(err) != apperr.KindOf(wrong) {
			t.Errorf("login as %s: %v (%s), wrong password: %v (%s); want the same answer", email, err, codeOf(err), wrong, codeOf(wrong))
		}
	}
}

func testLoginFailuresAudited(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	if _, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: "not the password", IP: "192.0.2.7"}); err == nil {
		t.Fatal("wrong password accepted")
	}
	got := e.lastAudit(t, sam.ID)
	if got.Action != "auth.login_failed" || got.ActorKind != "agent" || got.ActorID != sam.ID || got.IP != "192.0.2.7" ||
		!cmp.Equal(got.Detail, map[string]any{"reason": "wrong password"}) {
		t.Errorf("audit = %+v, want auth.login_failed by agent %d from 192.0.2.7 for a wrong password", got, sam.ID)
	}
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	got = e.lastAudit(t, sam.ID)
	if got.Action != "auth.login" || !cmp.Equal(got.Detail, map[string]any{"session": float64(s.ID)}) {
		t.Errorf("audit = %+v, want auth.login of session %d", got, s.ID)
	}
}

func testLockout(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	other := e.agent(t, "other", agent.RoleAgent, password)
	login := func(pw string) error {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: pw})
		return err
	}

	for i := range 5 {
		wantErr(t, login("wrong password "+string(rune('a'+i))), apperr.Unauthenticated, "auth.invalid_credentials")
	}
	lock := e.lastAudit(t, sam.ID)
	if !cmp.Equal(lock.Detail, map[string]any{"reason": "wrong password", "locked_until": "2026-03-14T09:15:00Z"}) {
		t.Errorf("fifth failure audit detail = %v, want the lock until 09:15", lock.Detail)
	}

	// Locked: even the right password is refused, and says until when.
	err := login(password)
	wantErr(t, err, apperr.TooMany, "auth.locked")
	if !strings.Contains(err.Error(), "2026-03-14T09:15:00Z") {
		t.Errorf("lock message %q does not say when it ends", err)
	}
	// Attempts while locked neither extend the lock nor count towards the next.
	for range 3 {
		wantErr(t, login("still guessing"), apperr.TooMany, "auth.locked")
	}
	// Other agents are not affected.
	e.login(t, auth.LoginInput{Email: other.Email, Password: password})

	e.clock.Advance(15*time.Minute - time.Millisecond)
	wantErr(t, login(password), apperr.TooMany, "auth.locked")
	e.clock.Advance(time.Millisecond)
	wantErr(t, login(password), 0, "")

	// After the lock, a fresh count of five starts.
	for range 4 {
		wantErr(t, login("wrong again"), apperr.Unauthenticated, "auth.invalid_credentials")
	}
	wantErr(t, login(password), 0, "")
}

func testLockoutConsecutive(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	for range 2 {
		for range 4 {
			_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: "wrong password"})
			wantErr(t, err, apperr.Unauthenticated, "auth.invalid_credentials")
		}
		e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
	}
}

func testLockoutOptions(t *testing.T, e *env) {
	e.auth = e.service(func(o *auth.Options) { o.MaxFailures, o.LockFor = 2, time.Hour })
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	for range 2 {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: "wrong password"})
		wantErr(t, err, apperr.Unauthenticated, "auth.invalid_credentials")
	}
	e.clock.Advance(59 * time.Minute)
	_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password})
	wantErr(t, err, apperr.TooMany, "auth.locked")
	e.clock.Advance(time.Minute)
	e.login(t, auth.LoginInput{Email: sam.Email, Password: password})
}

// testLockoutConcurrent sends guesses at once. A gate on the service's
// clock holds each attempt once it has read the account's state until all
// have: the worst interleaving for the lockout, made certain.
func testLockoutConcurrent(t *testing.T, e *env) {
	guess := func(svc *auth.Service, email string, n int) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = svc.Login(e.ctx, auth.LoginInput{Email: email, Password: fmt.Sprintf("wrong guess %d", i)})
			})
		}
		wg.Wait()
		return errs
	}
	judged := func(t *testing.T, errs []error) int {
		t.Helper()
		n := 0
		for _, err := range errs {
			if codeOf(err) != "auth.locked" {
				wantErr(t, err, apperr.Unauthenticated, "auth.invalid_credentials")
				n++
			}
		}
		return n
	}

	t.Run("ten wrong guesses", func(t *testing.T) {
		sam := e.agent(t, "sam", agent.RoleAgent, password)
		g := newGate(10)
		errs := guess(e.service(func(o *auth.Options) { o.Now = g.now(e.clock) }), sam.Email, 10)
		if n := judged(t, errs); n != 5 {
			t.Errorf("%d of 10 simultaneous guesses judged, want 5 and the rest told the account is locked", n)
		}
	})

	t.Run("right guess finishing after the lock", func(t *testing.T) {
		sam := e.agent(t, "sam", agent.RoleAgent, password)
		g := newGate(10)
		release := make(chan struct{})
		right := e.service(func(o *auth.Options) {
			o.Now = func() time.Time { now := g.now(e.clock)(); <-release; return now }
		})
		var rightErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, rightErr = right.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password})
		}()
		errs := guess(e.service(func(o *auth.Options) { o.Now = g.now(e.clock) }), sam.Email, 9)
		close(release)
		<-done
		if n := judged(t, errs); n != 5 {
			t.Errorf("%d of 9 simultaneous wrong guesses judged, want 5", n)
		}
		wantErr(t, rightErr, apperr.TooMany, "auth.locked")
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password})
		wantErr(t, err, apperr.TooMany, "auth.locked")
	})
}

// gate holds the first clock reads until n callers have arrived.
type gate struct {
	open chan struct{}

	mu      sync.Mutex // guards waiting
	waiting int
}

func newGate(n int) *gate { return &gate{open: make(chan struct{}), waiting: n} }

func (g *gate) now(c *clock) func() time.Time {
	return func() time.Time {
		g.mu.Lock()
		if g.waiting > 0 {
			if g.waiting--; g.waiting == 0 {
				close(g.open)
			}
		}
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-time.After(10 * time.Second):
			panic("gate: not every attempt arrived")
		}
		return c.Now()
	}
}

func testSetPassword(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	tests := []struct {
		name     string
		pw       string
		wantCode string
	}{
		{"empty", "", "auth.password_weak"},
		{"nine characters", "abcdefghi", "auth.password_weak"},
		{"one repeated character", "aaaaaaaaaaaa", "auth.password_weak"},
		{"one repeated multibyte character", strings.Repeat("密", 12), "auth.password_weak"},
		{"257 bytes", strings.Repeat("ab", 128) + "c", "auth.password_weak"},
		{"ten characters", "abcdefghij", ""},
		{"ten multibyte characters", "密码密码密码密码密码", ""},
		{"256 bytes", strings.Repeat("ab", 128), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.auth.SetPassword(e.ctx, sam.ID, tt.pw)
			wantErr(t, err, apperr.Invalid, tt.wantCode)
			if tt.wantCode != "" {
				if ae, _ := apperr.As(err); ae.Field != "password" {
					t.Errorf("field = %q, want password", ae.Field)
				}
				return
			}
			e.login(t, auth.LoginInput{Email: sam.Email, Password: tt.pw})
		})
	}

	t.Run("unknown agent", func(t *testing.T) {
		wantErr(t, e.auth.SetPassword(e.ctx, 1<<40, password), apperr.NotFound, "agent.not_found")
	})
}

func testPasswordChange(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	// Failures before the change do not carry over: with them, the attempt
	// with the old password below would be the fifth and lock the account.
	for range 4 {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: "wrong password"})
		wantErr(t, err, apperr.Unauthenticated, "auth.invalid_credentials")
	}
	const next = "a brand new passphrase"
	if err := e.auth.SetPassword(e.ctx, sam.ID, next); err != nil {
		t.Fatal(err)
	}
	_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password})
	wantErr(t, err, apperr.Unauthenticated, "auth.invalid_credentials")
	e.login(t, auth.LoginInput{Email: sam.Email, Password: next})
}

// The cost is stored in each hash, so changing it later keeps existing
// passwords working.
func testPasswordHashCost(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	hash := func() []string {
		t.Helper()
		var h string
		if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT password_hash FROM agent_credentials WHERE agent_id = $1`, sam.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return strings.Split(h, "$")
	}
	older := e.service(func(o *auth.Options) { o.ArgonMemoryKiB, o.ArgonTime = 128, 2 })
	if err := older.SetPassword(e.ctx, sam.ID, password); err != nil {
		t.Fatal(err)
	}
	first := hash()
	if first[3] != "m=128,t=2,p=1" {
		t.Fatalf("hash parameters = %q, want m=128,t=2,p=1", first[3])
	}
	if _, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password}); err != nil {
		t.Fatalf("login at another cost than the stored hash's: %v", err)
	}

	prod := e.service(func(o *auth.Options) { o.ArgonMemoryKiB, o.ArgonTime = 0, 0 }) // the defaults
	if err := prod.SetPassword(e.ctx, sam.ID, password); err != nil {
		t.Fatal(err)
	}
	parts := hash()
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" ||
		len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("hash = %q, want $argon2id$v=19$m=19456,t=2,p=1$<16-byte salt>$<32-byte key>", strings.Join(parts, "$"))
	}
	// The same password hashes differently each time (random salt).
	if parts[4] == first[4] {
		t.Errorf("two hashes of the same password share the salt %q", parts[4])
	}
}

func testLoginDirectoryError(t *testing.T, e *env) {
	broken := errors.New("directory down")
	svc := auth.New(auth.Options{DB: e.d, Audit: e.audit, Directory: failingDirectory{broken}, Now: e.clock.Now,
		ArgonMemoryKiB: 64, ArgonTime: 1})
	_, err := svc.Login(e.ctx, auth.LoginInput{Email: "sam@example.com", Password: password})
	if !errors.Is(err, broken) {
		t.Errorf("err = %v, want the directory's error rather than a wrong-password answer", err)
	}
}

type failingDirectory struct{ err error }

func (f failingDirectory) AgentByEmail(ctx context.Context, email string) (auth.AgentRef, error) {
	return auth.AgentRef{}, f.err
}

func (f failingDirectory) AgentByID(ctx context.Context, id int64) (auth.AgentRef, error) {
	return auth.AgentRef{}, f.err
}
