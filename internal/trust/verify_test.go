package trust_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

const seed = "legal winner thank year wave sausage worth useful legal winner thank yellow"

func TestSecretsNeverStored(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000002", "zh", "我的钱包助记词是 "+seed+" 请帮我找回")
	ms := e.thread(c)
	if len(ms) != 2 {
		t.Fatalf("thread has %d messages, want the redacted one and a warning", len(ms))
	}
	if strings.Contains(ms[0].Body, "sausage") || strings.Contains(ms[0].BodyHTML, "sausage") || !strings.Contains(ms[0].Body, "[redacted seed phrase]") {
		t.Errorf("stored body = %q", ms[0].Body)
	}
	if !strings.Contains(ms[0].Body, "请帮我找回") {
		t.Errorf("the rest of the message was lost: %q", ms[0].Body)
	}
	if ms[1].AuthorKind != ticket.BySystem || ms[1].Internal || !strings.Contains(ms[1].Body, "助记词") {
		t.Errorf("warning = %+v, want a public system message in Chinese", ms[1])
	}
	e.say(c, "code: 493817")
	if last := e.last(c); !strings.Contains(last.Body, "2FA") {
		t.Errorf("lone 2FA code: last message %q, want the 2FA warning", last.Body)
	}
	ms = e.thread(c)
	if strings.Contains(ms[len(ms)-2].Body, "493817") {
		t.Errorf("2FA code stored: %q", ms[len(ms)-2].Body)
	}
	// An order id in a sentence is an ordinary message.
	e.say(c, "order 493817 failed")
	if last := e.last(c); last.Body != "order 493817 failed" || last.AuthorKind != ticket.ByCustomer {
		t.Errorf("order id message altered: %+v", last)
	}
	a := e.auditText("conversation", c.ID)
	if strings.Contains(a, "sausage") || strings.Contains(a, "493817\"") {
		t.Error("the audit log holds a secret")
	}
	if !strings.Contains(a, "trust.secret_redacted") || !strings.Contains(a, "seed_phrase") {
		t.Error("no audit entry for the redaction")
	}
}

func TestOneTimeCode(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000001", "en", "I did not log in from Moscow")
	if st := e.level(c); st.Level != trust.Anonymous {
		t.Fatalf("new conversation level %v", st.Level)
	}
	if err := e.trust.RecordIdentified(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := e.trust.RecordIdentified(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	if st := e.level(c); st.Level != trust.Identified || st.Method != "widget_signature" || len(st.History) != 1 {
		t.Fatalf("after signed identity: %+v", st)
	}
	pc, err := e.trust.SendCode(e.as(e.agent), c, "device")
	if err != nil || !strings.Contains(pc.Destination, "iPhone") {
		t.Fatalf("send code = %+v, %v", pc, err)
	}
	if last := e.last(c); last.AuthorKind != ticket.BySystem || !strings.Contains(last.Body, "iPhone") || !strings.Contains(last.Body, "10 minutes") {
		t.Errorf("customer not told where the code went: %q", last.Body)
	}
	code := e.lastCode()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	e.say(c, wrong)
	if last := e.last(c); !strings.Contains(last.Body, "2 more attempt") {
		t.Errorf("wrong code reply %q", last.Body)
	}
	if st := e.level(c); st.Level != trust.Identified || st.CodePending == nil || st.CodePending.Attempts != 1 {
		t.Errorf("after a wrong code: %+v", st)
	}
	e.say(c, code[:3]+" "+code[3:])
	st := e.level(c)
	if st.Level != trust.Verified || st.Method != "one_time_code" || st.At == nil || !st.At.Equal(t0) || st.CodePending != nil {
		t.Fatalf("after the right code: %+v", st)
	}
	for _, m := range e.thread(c) {
		if strings.Contains(m.Body, code) {
			t.Errorf("the code is stored in message %d: %q", m.Seq, m.Body)
		}
	}
	if last := e.last(c); !strings.Contains(last.Body, "verified") {
		t.Errorf("no confirmation: %q", last.Body)
	}
}

func TestCodeAttemptsAndExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000001", "en", "help")
	if _, err := e.trust.SendCode(e.as(e.agent), c, "email"); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode()
	for _, w := range []string{"000001", "000002", "000003"} {
		if w != code {
			e.say(c, w)
		}
	}
	if last := e.last(c); !strings.Contains(last.Body, "no attempts are left") {
		t.Errorf("third wrong code: %q", last.Body)
	}
	e.say(c, code)
	if st := e.level(c); st.Level == trust.Verified {
		t.Fatal("a burnt code still verified the customer")
	}

	c2 := e.open("U10000001", "en", "help again")
	if _, err := e.trust.SendCode(e.as(e.agent), c2, "device"); err != nil {
		t.Fatal(err)
	}
	code = e.lastCode()
	e.clock.Advance(10*time.Minute + time.Second)
	e.say(c2, code)
	if last := e.last(c2); !strings.Contains(last.Body, "expired") {
		t.Errorf("late code: %q", last.Body)
	}
	if st := e.level(c2); st.Level == trust.Verified {
		t.Error("an expired code verified the customer")
	}
	// Three codes an hour per conversation, then a clear refusal.
	for i := 0; i < 2; i++ {
		if _, err := e.trust.SendCode(e.as(e.agent), c2, "device"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.trust.SendCode(e.as(e.agent), c2, "device"); !apperr.Is(err, apperr.TooMany) {
		t.Errorf("fourth code in an hour: %v", err)
	}
	// A customer without an exchange account cannot be sent a code.
	anon := e.open("", "en", "hello")
	if _, err := e.trust.SendCode(e.as(e.agent), anon, "device"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("code for an anonymous visitor: %v", err)
	}
}

func TestAgentChecks(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000001", "en", "please unfreeze")
	res, err := e.trust.VerifyByAgent(e.as(e.agent), c, map[string]string{"recent_order_id": "O-5521907", "anti_phishing_code": "wrong-code"})
	if !apperr.Is(err, apperr.Invalid) || len(res.Passed) != 1 || len(res.Failed) != 1 || res.Status.Level != trust.Anonymous {
		t.Fatalf("one failing check: %+v, %v", res, err)
	}
	if _, err := e.trust.VerifyByAgent(e.as(e.agent), c, map[string]string{"recent_order_id": "O-5521907"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a single check verified: %v", err)
	}
	res, err = e.trust.VerifyByAgent(e.as(e.agent), c, map[string]string{"recent_order_id": "o-5521907",
		"deposit_address": "0x4e83362442b8d1bec281594cea3050c8eb01311c", "anti_phishing_code": "blue-heron-42"})
	if err != nil || res.Status.Level != trust.Verified || res.Status.Method != "agent_checks" {
		t.Fatalf("three matching checks: %+v, %v", res, err)
	}
	h := res.Status.History[len(res.Status.History)-1]
	if h.ActorKind != "agent" || h.ActorID != e.agent.ID {
		t.Errorf("who verified not recorded: %+v", h)
	}
	a := e.auditText("conversation", c.ID)
	if strings.Contains(a, "0x4e83362442b8d1bec281594cea3050c8eb01311c") || strings.Contains(a, "wrong-code") {
		t.Error("the customer's answers are in the audit log")
	}
	if !strings.Contains(a, "trust.agent_checks_failed") || !strings.Contains(a, "trust.verified") {
		t.Error("check attempts not audited")
	}
}

func TestMaskingAndReveal(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000001", "en", "where is my withdrawal")
	if err := e.trust.RecordIdentified(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	m, err := e.trust.Masking(e.ctx, c.ID, e.agent.ID)
	if err != nil || !m.Masked || m.Level != trust.Identified || m.Required != trust.Verified || m.Reason == "" {
		t.Fatalf("identified customer: %+v, %v", m, err)
	}
	if err := e.trust.RequireLevel(e.ctx, c.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("sensitive action below the level: %v", err)
	}
	if _, err := e.trust.Reveal(e.as(e.agent), c, "because"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("reveal without a real reason: %v", err)
	}
	m, err = e.trust.Reveal(e.as(e.agent), c, "customer asks which address the stuck withdrawal went to")
	if err != nil || m.Masked || m.RevealedUntil == nil {
		t.Fatalf("reveal: %+v, %v", m, err)
	}
	// The reveal is for that agent only, and it runs out.
	if m, _ := e.trust.Masking(e.ctx, c.ID, e.sup.ID); !m.Masked {
		t.Error("another agent sees the revealed fields")
	}
	if !strings.Contains(e.auditText("conversation", c.ID), "stuck withdrawal went to") {
		t.Error("the reason is not in the audit log")
	}
	e.clock.Advance(16 * time.Minute)
	if m, _ := e.trust.Masking(e.ctx, c.ID, e.agent.ID); !m.Masked {
		t.Error("reveal did not expire")
	}
	if _, err := e.trust.SendCode(e.as(e.agent), c, "device"); err != nil {
		t.Fatal(err)
	}
	e.say(c, e.lastCode())
	if m, _ := e.trust.Masking(e.ctx, c.ID, e.agent.ID); m.Masked {
		t.Error("still masked after verification")
	}
	if err := e.trust.RequireLevel(e.ctx, c.ID); err != nil {
		t.Errorf("verified customer: %v", err)
	}
	for in, want := range map[string]string{trust.MaskEmail("alice@example.com"): "a***@example.com",
		trust.MaskPhone("+6591234567"): "+65…4567", trust.MaskAddress("TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"): "TQn9Y2…bLSE",
		trust.MaskIP("185.220.101.34"): "185.220.*.*"} {
		if in != want {
			t.Errorf("mask = %q, want %q", in, want)
		}
	}
}
