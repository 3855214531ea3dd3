package auth_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

func TestTOTP(t *testing.T) {
	suite{
		"enrolment":                    testTOTPEnrolment,
		"enrolment needs a password":   testTOTPNeedsPassword,
		"login":                        testTOTPLogin,
		"wrong codes lock the account": testTOTPWrongCodesLock,
		"recovery codes":               testRecoveryCodes,
		"disable":                      testDisableTOTP,
		"admin must enrol":             testAdminMustEnrolTOTP,
	}.run(t)
}

func testTOTPEnrolment(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)

	_, err := e.auth.ConfirmTOTP(e.ctx, sam.ID, "123456")
	wantErr(t, err, apperr.Invalid, "auth.totp_not_started")

	en, err := e.auth.BeginTOTP(e.ctx, sam.ID, sam.Email)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/Vigil:"+sam.Email+"?") || !strings.Contains(en.URL, "secret="+en.Secret) ||
		!strings.Contains(en.URL, "issuer=Vigil") || !strings.Contains(en.URL, "period=30") {
		t.Errorf("enrolment URL = %q", en.URL)
	}

	// A wrong code does not enable anything: sign-in still needs no code.
	_, err = e.auth.ConfirmTOTP(e.ctx, sam.ID, wrongCode(t, en.Secret, t0))
	wantErr(t, err, apperr.Invalid, "auth.totp_invalid")
	if on, err := e.auth.TOTPEnabled(e.ctx, sam.ID); err != nil || on {
		t.Fatalf("TOTPEnabled after a wrong code = %v, %v; want false", on, err)
	}
	e.login(t, auth.LoginInput{Email: sam.Email, Password: password})

	codes, err := e.auth.ConfirmTOTP(e.ctx, sam.ID, code(t, en.Secret, t0))
	if err != nil {
		t.Fatal(err)
	}
	if on, err := e.auth.TOTPEnabled(e.ctx, sam.ID); err != nil || !on {
		t.Fatalf("TOTPEnabled after confirming = %v, %v; want true", on, err)
	}
	format := regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{5}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !format.MatchString(c) || seen[c] {
			t.Errorf("recovery code %q is malformed or repeated", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Errorf("got %d recovery codes, want 10", len(codes))
	}

	_, err = e.auth.BeginTOTP(e.ctx, sam.ID, sam.Email)
	wantErr(t, err, apperr.Conflict, "auth.totp_enabled")
	_, err = e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password})
	wantErr(t, err, apperr.Unauthenticated, "auth.totp_required")
}

func testTOTPNeedsPassword(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, "")
	_, err := e.auth.BeginTOTP(e.ctx, sam.ID, sam.Email)
	wantErr(t, err, apperr.Conflict, "auth.no_credentials")
}

// testTOTPLogin walks one agent through a sequence of sign-ins; each step
// moves the clock, then signs in with the code an app shows at codeAt.
func testTOTPLogin(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	secret, _ := e.enrolTOTP(t, sam) // confirmed with the code of t0's step

	steps := []struct {
		name     string
		advance  time.Duration
		codeAt   time.Duration // relative to t0
		raw      string        // sent instead of a generated code when set
		pw       string        // password, when not the right one
		wantKind apperr.Kind
		wantCode string
	}{
		{name: "code used to confirm cannot sign in", codeAt: 0, wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "next step's code", advance: 30 * time.Second, codeAt: 30 * time.Second},
		{name: "same code again is a replay", codeAt: 30 * time.Second, wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "five digits", advance: 30 * time.Second, raw: "short", wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "code with another digit", raw: "flip", wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "right code with wrong password", codeAt: 60 * time.Second, pw: "not the password", wantKind: apperr.Unauthenticated, wantCode: "auth.invalid_credentials"},
		{name: "that code is not spent by the failure", codeAt: 60 * time.Second},
		{name: "code from two steps ago", advance: 60 * time.Second, codeAt: 60 * time.Second, wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "previous step's code for a slow clock", codeAt: 90 * time.Second},
		{name: "code written with spaces", advance: 60 * time.Second, raw: "spaced"},
		{name: "next step's code for a fast clock", advance: 30 * time.Second, codeAt: 240 * time.Second},
		{name: "current code after a newer one was used", codeAt: 210 * time.Second, wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
		{name: "code two steps ahead", advance: 30 * time.Second, codeAt: 300 * time.Second, wantKind: apperr.Unauthenticated, wantCode: "auth.totp_invalid"},
	}
	for _, st := range steps {
		now := e.clock.Advance(st.advance)
		c := code(t, secret, t0.Add(st.codeAt))
		switch st.raw {
		case "short":
			c = code(t, secret, now)[:5]
		case "flip":
			c = wrongCode(t, secret, now)
		case "spaced":
			c = " " + code(t, secret, now)[:3] + " " + code(t, secret, now)[3:] + " "
		}
		pw := password
		if st.pw != "" {
			pw = st.pw
		}
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: pw, TOTPCode: c})
		if st.wantCode == "" {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		if codeOf(err) != st.wantCode || apperr.KindOf(err) != st.wantKind {
			t.Fatalf("%s: err = %v (%s), want %s %s", st.name, err, codeOf(err), st.wantKind, st.wantCode)
		}
	}
}

func testTOTPWrongCodesLock(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	secret, _ := e.enrolTOTP(t, sam)
	e.clock.Advance(30 * time.Second)
	for range 5 {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password, TOTPCode: wrongCode(t, secret, e.clock.Now())})
		wantErr(t, err, apperr.Unauthenticated, "auth.totp_invalid")
	}
	_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password, TOTPCode: code(t, secret, e.clock.Now())})
	wantErr(t, err, apperr.TooMany, "auth.locked")
}

func testRecoveryCodes(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	kim := e.agent(t, "kim", agent.RoleAgent, password)
	_, codes := e.enrolTOTP(t, sam)
	_, kimCodes := e.enrolTOTP(t, kim)
	login := func(pw, rc string) error {
		_, err := e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: pw, RecoveryCode: rc})
		return err
	}

	steps := []struct {
		name     string
		pw, rc   string
		wantCode string
	}{
		{"first use", password, codes[0], ""},
		{"second use of the same code", password, codes[0], "auth.recovery_invalid"},
		{"typed in capitals with spaces", password, "  " + strings.ToUpper(codes[1]) + " ", ""},
		{"another agent's code", password, kimCodes[0], "auth.recovery_invalid"},
		{"made-up code", password, "aaaaa-bbbbb", "auth.recovery_invalid"},
		{"right code with wrong password", "not the password", codes[2], "auth.invalid_credentials"},
		{"that code is not spent by the failure", password, codes[2], ""},
	}
	for _, st := range steps {
		err := login(st.pw, st.rc)
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
	// Kim's code still works for Kim.
	e.login(t, auth.LoginInput{Email: kim.Email, Password: password, RecoveryCode: kimCodes[0]})
	if got := e.lastAudit(t, kim.ID).Action; got != "auth.login" {
		t.Errorf("last audit of kim = %s, want auth.login", got)
	}
}

func testDisableTOTP(t *testing.T, e *env) {
	sam := e.agent(t, "sam", agent.RoleAgent, password)
	secret, codes := e.enrolTOTP(t, sam)
	e.clock.Advance(30 * time.Second)
	s := e.login(t, auth.LoginInput{Email: sam.Email, Password: password, TOTPCode: code(t, secret, e.clock.Now())})

	if err := e.auth.DisableTOTP(e.ctx, sam.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.auth.Authenticate(e.ctx, s.Token)
	wantErr(t, err, apperr.Unauthenticated, "auth.required")
	if on, err := e.auth.TOTPEnabled(e.ctx, sam.ID); err != nil || on {
		t.Fatalf("TOTPEnabled after disabling = %v, %v; want false", on, err)
	}
	e.login(t, auth.LoginInput{Email: sam.Email, Password: password})

	// Enrolling again issues a new secret and new recovery codes; the old
	// ones are gone.
	secret2, codes2 := e.enrolTOTP(t, sam)
	if secret2 == secret {
		t.Error("re-enrolment reused the old secret")
	}
	_, err = e.auth.Login(e.ctx, auth.LoginInput{Email: sam.Email, Password: password, RecoveryCode: codes[0]})
	wantErr(t, err, apperr.Unauthenticated, "auth.recovery_invalid")
	e.login(t, auth.LoginInput{Email: sam.Email, Password: password, RecoveryCode: codes2[0]})
}

// Administrators must set up TOTP; until they do, their sessions say so.
func testAdminMustEnrolTOTP(t *testing.T, e *env) {
	admin := e.agent(t, "admin", agent.RoleAdmin, password)
	sam := e.agent(t, "sam", agent.RoleAgent, password)

	s := e.login(t, auth.LoginInput{Email: admin.Email, Password: password})
	p, err := e.auth.Authenticate(e.ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !s.MustEnrolTOTP || !p.MustEnrolTOTP {
		t.Errorf("admin without TOTP: session %v, principal %v; want both to require enrolment", s.MustEnrolTOTP, p.MustEnrolTOTP)
	}
	if as := e.login(t, auth.LoginInput{Email: sam.Email, Password: password}); as.MustEnrolTOTP {
		t.Error("an agent is asked to enrol TOTP")
	}

	secret, _ := e.enrolTOTP(t, admin)
	if p, err := e.auth.Authenticate(e.ctx, s.Token); err != nil || p.MustEnrolTOTP {
		t.Errorf("admin session after enrolment: %+v, %v; want MustEnrolTOTP false", p, err)
	}
	e.clock.Advance(30 * time.Second)
	if s := e.login(t, auth.LoginInput{Email: admin.Email, Password: password, TOTPCode: code(t, secret, e.clock.Now())}); s.MustEnrolTOTP {
		t.Error("admin with TOTP is asked to enrol")
	}
}

// wrongCode is a six-digit code that no step around t accepts.
func wrongCode(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[code(tb, secret, t.Add(d))] = true
	}
	c := []byte(code(tb, secret, t))
	for {
		c[0] = '0' + (c[0]-'0'+1)%10
		if !near[string(c)] {
			return string(c)
		}
	}
}
