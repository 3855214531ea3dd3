package trust_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

func TestSelfServiceFreezeAndTwoPersonUnfreeze(t *testing.T) {
	e := newEnv(t)
	first := e.open("U10000001", "zh", "有人登录了我的账户")
	res, err := e.trust.FreezeSelf(e.ctx, trust.SelfFreeze{CustomerID: first.CustomerID, Source: "widget", Reason: "not_me", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Frozen || res.Freeze.State != "frozen" || !e.sandbox.Frozen("U10000001") {
		t.Fatalf("freeze = %+v; exchange frozen %v", res, e.sandbox.Frozen("U10000001"))
	}
	conv := res.Conversation
	if conv.Priority != ticket.Urgent || conv.Category != "account_security" {
		t.Errorf("freeze conversation is %s/%s, want urgent account_security", conv.Priority, conv.Category)
	}
	if last := e.last(conv); last.AuthorKind != ticket.BySystem || !strings.Contains(last.Body, "已冻结") || !strings.Contains(res.NextStep, "绝不会") {
		t.Errorf("customer not told what happens next in Chinese: %q", last.Body)
	}

	// Unfreeze: only once verified, approved by another person, after the cool-down.
	if _, err := e.trust.RequestUnfreeze(e.as(e.agent), res.Freeze.ID, "customer verified and confirms it was them"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("unfreeze request before verification: %v", err)
	}
	if _, err := e.trust.VerifyByAgent(e.as(e.agent), conv, map[string]string{"recent_order_id": "O-5521907", "anti_phishing_code": "BLUE-HERON-42"}); err != nil {
		t.Fatal(err)
	}
	f, err := e.trust.RequestUnfreeze(e.as(e.sup), res.Freeze.ID, "customer verified, the Moscow login was their VPN")
	if err != nil || f.State != "unfreeze_requested" || f.UnfreezeBy != e.sup.ID {
		t.Fatalf("request = %+v, %v", f, err)
	}
	if _, err := e.trust.ApproveUnfreeze(e.as(e.sup), f.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("self-approval: %v, want forbidden", err)
	}
	if !strings.Contains(e.auditText("freeze", f.ID), "trust.unfreeze_self_approval_refused") {
		t.Error("the refused self-approval is not audited")
	}
	e.clock.Advance(time.Hour)
	f, err = e.trust.ApproveUnfreeze(e.as(e.sup2), f.ID)
	if err != nil || f.State != "unfreeze_approved" || f.ApprovedBy != e.sup2.ID || !f.EligibleAt.Equal(t0.Add(25*time.Hour)) {
		t.Fatalf("approval = %+v, %v", f, err)
	}
	if _, err := e.trust.CompleteUnfreeze(e.ctx, f.ID); !apperr.Is(err, apperr.Conflict) || !e.sandbox.Frozen("U10000001") {
		t.Fatalf("unfreeze during the cool-down: %v", err)
	}
	e.clock.Advance(24 * time.Hour)
	if f, err = e.trust.CompleteUnfreeze(e.ctx, f.ID); err != nil || f.State != "unfrozen" || e.sandbox.Frozen("U10000001") {
		t.Fatalf("unfreeze after the cool-down: %+v, %v", f, err)
	}
	a := e.auditText("freeze", f.ID)
	for _, step := range []string{"trust.freeze_requested", "trust.frozen", "trust.unfreeze_requested", "trust.unfreeze_approved", "trust.unfrozen"} {
		if !strings.Contains(a, step) {
			t.Errorf("audit lacks %s", step)
		}
	}
	if _, err := e.trust.CompleteUnfreeze(e.ctx, f.ID); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second unfreeze: %v", err)
	}
}

func TestFreezeWithoutExchangeAccount(t *testing.T) {
	e := newEnv(t)
	anon := e.open("", "en", "hi")
	if _, err := e.trust.FreezeSelf(e.ctx, trust.SelfFreeze{CustomerID: anon.CustomerID, Source: "widget"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("anonymous freeze: %v", err)
	}
	// A customer the sandbox does not know: the exchange refuses, the
	// urgent conversation still opens and says a person will freeze.
	c := e.open("U99999999", "en", "hi")
	res, err := e.trust.FreezeSelf(e.ctx, trust.SelfFreeze{CustomerID: c.CustomerID, Source: "link", Reason: "withdrawal"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Frozen || res.Freeze.State != "pending_exchange" || res.Conversation.Priority != ticket.Urgent {
		t.Fatalf("freeze the exchange refused: %+v", res)
	}
	ms := e.thread(res.Conversation)
	var note, told bool
	for _, m := range ms {
		note = note || (m.Internal && strings.Contains(m.Body, "Freeze the account by hand"))
		told = told || (!m.Internal && strings.Contains(m.Body, "could not reach the exchange"))
	}
	if !note || !told {
		t.Errorf("note for the security queue %v, customer told %v", note, told)
	}
}

// TestFreezeRetriedWhenExchangeReturns: the exchange is down when the
// customer freezes; the urgent conversation opens at once, and the retry
// freezes the account when the exchange is back, over real HTTP.
func TestFreezeRetriedWhenExchangeReturns(t *testing.T) {
	e := newEnv(t)
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, `{"error":{"code":"maintenance","message":"down"}}`, http.StatusServiceUnavailable)
			return
		}
		e.sandbox.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	conn, err := exchange.NewClient(exchange.ClientOptions{BaseURL: srv.URL, Secret: exchange.SandboxSecret, Now: e.clock.Now,
		Retries: -1, BreakAfter: 100})
	if err != nil {
		t.Fatal(err)
	}
	svc := trust.New(trust.Options{DB: e.d, Audit: e.audit, Exchange: conn, Customers: e.customers, Tickets: e.tickets, Now: e.clock.Now, T: i18n.T})
	c := e.open("U10000004", "zh", "有人登录了")
	res, err := svc.FreezeSelf(e.ctx, trust.SelfFreeze{CustomerID: c.CustomerID, Source: "widget", Reason: "not_me"})
	if err != nil || res.Frozen || res.Freeze.State != "pending_exchange" {
		t.Fatalf("freeze while down = %+v, %v", res, err)
	}
	if n, err := svc.RetryFreezes(e.ctx); err != nil || n != 0 {
		t.Fatalf("retry while still down: %d, %v", n, err)
	}
	down.Store(false)
	if n, err := svc.RetryFreezes(e.ctx); err != nil || n != 1 || !e.sandbox.Frozen("U10000004") {
		t.Fatalf("retry after recovery: %d, %v, frozen %v", n, err, e.sandbox.Frozen("U10000004"))
	}
	if f, _ := svc.FreezeOf(e.ctx, res.Freeze.ID); f.State != "frozen" {
		t.Errorf("state after retry: %s", f.State)
	}
	if last := e.last(res.Conversation); !strings.Contains(last.Body, "已冻结") {
		t.Errorf("customer not told: %q", last.Body)
	}
	if n, _ := svc.RetryFreezes(e.ctx); n != 0 {
		t.Errorf("a confirmed freeze was retried again")
	}
}

func TestAgentFreeze(t *testing.T) {
	e := newEnv(t)
	c := e.open("U10000002", "zh", "我的账户好像被盗了")
	res, err := e.trust.FreezeByAgent(e.as(e.agent), c, "not_me")
	if err != nil || !res.Frozen || res.Freeze.Source != "agent" || !e.sandbox.Frozen("U10000002") {
		t.Fatalf("agent freeze = %+v, %v", res, err)
	}
	if last := e.last(c); !strings.Contains(last.Body, "已冻结") {
		t.Errorf("customer not told: %q", last.Body)
	}
	if !strings.Contains(e.auditText("freeze", res.Freeze.ID), fmt.Sprintf(`"actor_id":%d`, e.agent.ID)) {
		t.Error("the agent is not recorded on the freeze")
	}
}
