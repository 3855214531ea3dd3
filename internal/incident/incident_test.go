package incident_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/incident"
	"vigil/internal/ticket"
)

var t0 = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

type env struct {
	ctx     context.Context
	inc     *incident.Service
	tickets *ticket.Service
	custs   *customer.Service
	clock   *dbtest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	custs := customer.New(d, a, bus, clk.Now)
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: custs, Now: clk.Now})
	return &env{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}),
		inc: incident.New(incident.Options{DB: d, Audit: a, Tickets: tickets, Now: clk.Now}), tickets: tickets, custs: custs, clock: clk}
}

func (e *env) open(t *testing.T, lang, text string) ticket.Conversation {
	t.Helper()
	name := "Customer"
	c, err := e.custs.Create(e.ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: c.ID, Channel: "webchat", Language: lang, Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: c.ID, Body: text}})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

var trc20 = incident.Input{Severity: "major", Scope: incident.Scope{Features: []string{"Withdrawals"}, Assets: []string{"USDT"},
	Networks: []string{"TRC20"}, Components: []string{"withdrawals"}},
	Titles:   map[string]string{"en": "USDT withdrawals on TRC20 delayed", "zh": "USDT TRC20 提现延迟"},
	Messages: map[string]string{"en": "TRC20 withdrawals are queued; funds are safe.", "zh": "TRC20 提现正在排队，资金安全。"}}

func TestMatches(t *testing.T) {
	e := newEnv(t)
	in := trc20
	i, err := e.inc.Declare(e.ctx, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"my USDT withdrawal is stuck", true},
		{"Withdraw on trc20 not arriving", true},
		{"我的USDT提现还没到", true},
		{"my BTC withdrawal is stuck", false},  // other asset
		{"USDT deposit not credited", false},   // other feature
		{"withdrawal of usdtx pending", false}, // not the word USDT
		{"hello", false},
	} {
		if got := i.Matches(tc.text); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if i.Scope.Features[0] != "withdrawals" {
		t.Errorf("feature not normalised: %v", i.Scope.Features)
	}
}

func TestDeclareValidation(t *testing.T) {
	e := newEnv(t)
	for name, in := range map[string]incident.Input{
		"no severity": {Titles: trc20.Titles, Messages: trc20.Messages},
		"no english":  {Severity: "minor", Titles: map[string]string{"zh": "标题"}, Messages: trc20.Messages},
		"bad feature": {Severity: "minor", Scope: incident.Scope{Features: []string{"moon"}}, Titles: trc20.Titles, Messages: trc20.Messages},
		"resolved":    {Severity: "minor", Status: "resolved", Titles: trc20.Titles, Messages: trc20.Messages},
	} {
		if _, err := e.inc.Declare(e.ctx, 0, in); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

// TestLifecycle declares, updates and resolves an incident: linked open
// conversations get the closing message once in their language and are
// solved; a second resolve repeats nothing.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	in := trc20
	i, err := e.inc.Declare(e.ctx, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	en := e.open(t, "en", "my USDT withdrawal is stuck")
	zh := e.open(t, "zh", "USDT 提现没到账")
	other := e.open(t, "en", "how do I change my email")
	for _, c := range []ticket.Conversation{en, zh, other} {
		if _, err := e.inc.AutoLink(e.ctx, c.ID, firstBody(t, e, c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	linked, err := e.inc.Linked(e.ctx, i.ID)
	if err != nil || len(linked) != 2 || linked[0] != en.ID || linked[1] != zh.ID {
		t.Fatalf("linked = %v, %v; want [%d %d]", linked, err, en.ID, zh.ID)
	}
	if ok, err := e.inc.Link(e.ctx, i.ID, other.ID, 0); err != nil || !ok {
		t.Fatalf("manual link = %v, %v", ok, err)
	}
	if ok, _ := e.inc.Link(e.ctx, i.ID, other.ID, 0); ok {
		t.Error("a second link reported new")
	}
	if err := e.inc.Unlink(e.ctx, i.ID, other.ID); err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(10 * time.Minute)
	if _, err := e.inc.PostUpdate(e.ctx, i.ID, 0, incident.UpdateInput{Status: "identified",
		Bodies: map[string]string{"en": "A node is behind; catching up."}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Minute)
	res, err := e.inc.Resolve(e.ctx, i.ID, 0, "Support", incident.ResolveInput{NotifyLinked: true, SolveLinked: true,
		Bodies: map[string]string{"en": "All TRC20 withdrawals have been sent.", "zh": "所有 TRC20 提现已发出。"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Notified != 2 || res.Solved != 2 || res.Incident.Active() || len(res.Incident.Updates) != 3 {
		t.Fatalf("resolve = %+v", res)
	}
	if got := lastBody(t, e, zh.ID); got != "所有 TRC20 提现已发出。" {
		t.Errorf("zh conversation got %q", got)
	}
	for _, c := range []ticket.Conversation{en, zh} {
		cv, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, c.ID)
		if cv.Status != ticket.StatusSolved {
			t.Errorf("conversation %d status %s, want solved", c.ID, cv.Status)
		}
	}
	again, err := e.inc.Resolve(e.ctx, i.ID, 0, "Support", incident.ResolveInput{NotifyLinked: true, SolveLinked: true,
		Bodies: map[string]string{"en": "again"}})
	if err != nil || again.Notified != 0 {
		t.Errorf("second resolve = %+v, %v", again, err)
	}
	if _, err := e.inc.PostUpdate(e.ctx, i.ID, 0, incident.UpdateInput{Status: "monitoring", Bodies: map[string]string{"en": "x"}}); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("update after resolve: %v", err)
	}
	if _, ok, _ := e.inc.Match(e.ctx, "my USDT withdrawal is stuck"); ok {
		t.Error("a resolved incident still matches")
	}
	hist, err := e.inc.History(e.ctx, t0)
	if err != nil || len(hist) != 1 {
		t.Errorf("history = %v, %v", hist, err)
	}
}

func TestComponents(t *testing.T) {
	e := newEnv(t)
	for _, in := range []incident.ComponentInput{
		{Slug: "trading", Names: map[string]string{"en": "Trading", "zh": "交易"}, Position: 1},
		{Slug: "withdrawals", Names: map[string]string{"en": "Withdrawals"}, Position: 2},
	} {
		if _, err := e.inc.SaveComponent(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	cs, _ := e.inc.Components(e.ctx)
	if incident.Overall(cs) != "operational" {
		t.Errorf("overall = %s", incident.Overall(cs))
	}
	if _, err := e.inc.SaveComponent(e.ctx, incident.ComponentInput{Slug: "withdrawals", State: "partial_outage",
		Names: map[string]string{"en": "Withdrawals"}, Position: 2}); err != nil {
		t.Fatal(err)
	}
	cs, _ = e.inc.Components(e.ctx)
	if len(cs) != 2 || cs[1].State != "partial_outage" || incident.Overall(cs) != "partial_outage" {
		t.Errorf("components = %+v", cs)
	}
	if _, err := e.inc.SaveComponent(e.ctx, incident.ComponentInput{Slug: "x", State: "on fire", Names: map[string]string{"en": "X"}}); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("bad state: %v", err)
	}
}

func firstBody(t *testing.T, e *env, convID int64) string {
	t.Helper()
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	return ms[0].Body
}

func lastBody(t *testing.T, e *env, convID int64) string {
	t.Helper()
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	return ms[len(ms)-1].Body
}
