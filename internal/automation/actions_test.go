package automation_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/automation"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/macro"
	"vigil/internal/ticket"
	"vigil/internal/webhook"
)

var sup = macro.Caller{AgentID: 1, Name: "Sue", Manage: true}

func (e *env) macro(t *testing.T, m macro.Macro) macro.Macro {
	t.Helper()
	m, err := e.macros.Save(e.ctx, sup, m)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// messages returns the conversation's messages after the opening one.
func (e *env) messages(t *testing.T, convID int64) []ticket.Message {
	t.Helper()
	all, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{IncludeInternal: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return all[1:]
}

func (e *env) conv(t *testing.T, id int64) ticket.Conversation {
	t.Helper()
	c, err := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sweep moves the clock, sweeps and runs what the sweep queued; it
// returns how many jobs the sweep queued.
func (e *env) sweep(t *testing.T, by time.Duration) int {
	t.Helper()
	e.clock.Advance(by)
	n, err := e.rules.Sweep(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.drain(t, 0)
	return n
}

// TestIdleRuleSendsMacroOncePerQuietPeriod: a pending conversation nobody
// touches for 24 hours gets the reminder macro in the customer's language
// once, however often the sweep runs; after the customer writes and it
// goes quiet again, it gets it again.
func TestIdleRuleSendsMacroOncePerQuietPeriod(t *testing.T) {
	e := newEnv(t)
	m := e.macro(t, macro.Macro{Name: "Reminder", Scope: macro.Global, Bodies: map[string]string{
		"en": "Hi {{customer.first_name}}, are you still there? (#{{conversation.id}})",
		"zh": "{{customer.name}}，您好，请问问题解决了吗？（#{{conversation.id}}）"}, Actions: macro.Actions{AddTags: []string{"reminded"}}})
	r := e.rule(t, automation.Rule{Enabled: true, Name: "Remind after a day", On: automation.OnIdle,
		Idle: &automation.Idle{Hours: 24, Statuses: []string{"pending"}}, Actions: automation.Actions{MacroID: m.ID}})
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: e.cust.ID, Channel: "webchat", Language: "zh", Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: e.cust.ID, Body: "提现没有到账"}})
	if err != nil {
		t.Fatal(err)
	}
	open := e.open(t, "fees") // open, not pending: never reminded
	pending := ticket.StatusPending
	if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	e.drain(t, 0)

	if n := e.sweep(t, 23*time.Hour); n != 0 {
		t.Errorf("after 23 hours the sweep queued %d, want 0", n)
	}
	if n := e.sweep(t, 2*time.Hour); n != 1 {
		t.Errorf("after 25 hours the sweep queued %d, want 1", n)
	}
	want := "Ana Li，您好，请问问题解决了吗？（#" + itoa(c.ID) + "）"
	msgs := e.messages(t, c.ID)
	if len(msgs) != 1 || msgs[0].Body != want || msgs[0].AuthorKind != ticket.BySystem || msgs[0].Internal {
		t.Fatalf("messages after the sweep = %+v, want the Chinese reminder %q as a public system message", msgs, want)
	}
	if got := e.conv(t, c.ID); !cmp.Equal(got.Tags, []string{"reminded"}) || got.Status != ticket.StatusPending {
		t.Errorf("conversation tags %v status %s, want [reminded] pending", got.Tags, got.Status)
	}
	// The reminder itself updated the conversation; it does not start a
	// new quiet period, however long and often the sweep runs.
	for range 3 {
		e.sweep(t, 30*time.Hour)
	}
	if msgs := e.messages(t, c.ID); len(msgs) != 1 {
		t.Errorf("after 90 more hours of sweeps there are %d messages, want the one reminder", len(msgs))
	}
	if msgs := e.messages(t, open.ID); len(msgs) != 0 {
		t.Errorf("the open conversation got %d messages, want none", len(msgs))
	}
	// The customer answers; the agent sets it pending again; a day of
	// quiet later it is reminded again.
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByCustomer, AuthorID: e.cust.ID,
		Body: "还没有"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	e.drain(t, 0)
	e.sweep(t, 25*time.Hour)
	if msgs := e.messages(t, c.ID); len(msgs) != 3 || msgs[2].Body != want {
		t.Errorf("after a second quiet day: %d messages, want the answer and a second reminder", len(msgs))
	}
	fired, _ := e.rules.Firings(e.ctx, c.ID)
	if fired[r.ID] != 2 {
		t.Errorf("the idle rule fired %d times, want 2 (once per quiet period)", fired[r.ID])
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestMacroActionsCannotLoop: rules whose macros change the status back
// and forth each fire once in the chain, and the macros' replies start no
// new chain.
func TestMacroActionsCannotLoop(t *testing.T) {
	e := newEnv(t)
	toPending := e.macro(t, macro.Macro{Name: "Need info", Scope: macro.Global, Bodies: map[string]string{"en": "Please send a screenshot."},
		Actions: macro.Actions{Status: "pending"}})
	toOpen := e.macro(t, macro.Macro{Name: "Reopen", Scope: macro.Global, Bodies: map[string]string{"en": "We are on it."},
		Actions: macro.Actions{Status: "open"}})
	a := e.rule(t, automation.Rule{Enabled: true, Name: "Ask on deposits", On: automation.OnCreated,
		Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "deposit"}}, Actions: automation.Actions{MacroID: toPending.ID}})
	b := e.rule(t, automation.Rule{Enabled: true, Name: "Pending reopens", On: automation.OnStatusChanged,
		Conditions: []automation.Condition{{Field: "status", Op: "eq", Value: "pending"}}, Actions: automation.Actions{MacroID: toOpen.ID}})
	c := e.rule(t, automation.Rule{Enabled: true, Name: "Open goes pending", On: automation.OnStatusChanged,
		Conditions: []automation.Condition{{Field: "status", Op: "eq", Value: "open"}},
		Actions:    automation.Actions{MacroID: toPending.ID, AddTags: []string{"looped"}}})
	conv := e.open(t, "deposit")
	e.drain(t, 1)
	got := e.conv(t, conv.ID)
	if got.Status != ticket.StatusPending || !cmp.Equal(got.Tags, []string{"looped"}) {
		t.Errorf("after the chain: status %s tags %v, want pending [looped] (a → pending, b → open, c → pending, stop)", got.Status, got.Tags)
	}
	var bodies []string
	for _, m := range e.messages(t, conv.ID) {
		bodies = append(bodies, m.Body)
	}
	if d := cmp.Diff([]string{"Please send a screenshot.", "We are on it.", "Please send a screenshot."}, bodies); d != "" {
		t.Errorf("replies (-want +got):\n%s", d)
	}
	fired, _ := e.rules.Firings(e.ctx, conv.ID)
	if d := cmp.Diff(map[int64]int{a.ID: 1, b.ID: 1, c.ID: 1}, fired); d != "" {
		t.Errorf("firings (-want +got):\n%s", d)
	}
	e.drain(t, 0) // anything the replies queued
	if fired2, _ := e.rules.Firings(e.ctx, conv.ID); !cmp.Equal(fired, fired2) {
		t.Errorf("firings grew after the chain: %v then %v", fired, fired2)
	}
	counts, _ := e.jobs.Counts(e.ctx)
	if counts[job.Queued] != 0 {
		t.Errorf("jobs left queued: %v", counts)
	}
}

// TestNotifyReachesAssigneeAndTeam: the assignee and active team members
// are told live and named in an internal note; others are not.
func TestNotifyReachesAssigneeAndTeam(t *testing.T) {
	e := newEnv(t)
	team, err := e.agents.CreateTeam(e.ctx, "VIP desk", "")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(email, name string, teams []int64) agent.Agent {
		role := agent.RoleAgent
		a, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	member := mk("mei@desk.example", "Mei", []int64{team.ID})
	outsider := mk("olaf@desk.example", "Olaf", []int64{})
	e.rule(t, automation.Rule{Enabled: true, Name: "Breach alert", On: automation.OnCreated,
		Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "withdrawal"}},
		Actions:    automation.Actions{Notify: &automation.Notify{Team: true}, TeamID: team.ID}})
	sub := e.bus.Subscribe("test", 16)
	defer sub.Close()
	conv := e.open(t, "withdrawal")
	e.drain(t, 1)
	var notice *event.AgentsNotified
	deadline := time.After(2 * time.Second)
	for notice == nil {
		select {
		case ev := <-sub.C:
			if n, ok := ev.(event.AgentsNotified); ok {
				notice = &n
			}
		case <-deadline:
			t.Fatal("no notice published")
		}
	}
	if !cmp.Equal(notice.AgentIDs, []int64{member.ID}) || notice.ConversationID != conv.ID {
		t.Errorf("notice = %+v, want agent %d (not %d) on conversation %d", notice, member.ID, outsider.ID, conv.ID)
	}
	msgs := e.messages(t, conv.ID)
	if len(msgs) != 1 || !msgs[0].Internal || !strings.Contains(msgs[0].Body, "Mei") || strings.Contains(msgs[0].Body, "Olaf") {
		t.Errorf("notes = %+v, want one internal note naming Mei", msgs)
	}
}

// TestWebhookActionIsSignedRetriedAndLogged: a rule's webhook call reaches
// the endpoint signed as the endpoint's own events are, after a failed
// first attempt, and both attempts are in the delivery log.
func TestWebhookActionIsSignedRetriedAndLogged(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var secret string
	var got []map[string]any
	fails := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(r.Header.Get("X-Vigil-Timestamp") + "." + string(body)))
		if !hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("X-Vigil-Signature"))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		got = append(got, m)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	// Subscribed to one unrelated event type: the rule's call comes anyway.
	h, err := e.hooks.Create(e.ctx, 1, webhook.Input{URL: srv.URL, Events: []string{"agent.changed"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = h.Secret
	mu.Unlock()
	if _, err := e.rules.Create(e.ctx, automation.Rule{Enabled: true, Name: "x", On: automation.OnCreated, Actions: automation.Actions{WebhookID: h.ID + 99}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("rule with an unknown webhook: %v, want invalid", err)
	}
	r := e.rule(t, automation.Rule{Enabled: true, Name: "Tell the risk desk", On: automation.OnCreated,
		Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "account_security"}}, Actions: automation.Actions{WebhookID: h.ID}})
	conv := e.open(t, "account_security")
	e.drain(t, 1) // the rule, then the first attempt (refused)
	e.clock.Advance(time.Minute)
	e.drain(t, 0) // the retry
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("endpoint accepted %d calls, want 1", len(got))
	}
	data, _ := got[0]["data"].(map[string]any)
	if got[0]["type"] != "automation.rule" || data["rule_id"] != float64(r.ID) || data["conversation_id"] != float64(conv.ID) {
		t.Errorf("call = %v", got[0])
	}
	log, err := e.hooks.Deliveries(e.ctx, h.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[1].StatusCode != 503 || log[0].StatusCode != 204 || log[0].EventType != "automation.rule" {
		t.Errorf("delivery log = %+v, want a 503 then a 204", log)
	}
}

func TestNewRulesRefused(t *testing.T) {
	e := newEnv(t)
	email, name, role, teams := "pat@desk.example", "Pat", agent.RoleAgent, []int64{}
	pat, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
	if err != nil {
		t.Fatal(err)
	}
	personal, err := e.macros.Save(e.ctx, macro.Caller{AgentID: pat.ID, Name: "Pat"}, macro.Macro{Name: "Mine", Scope: macro.Personal, Bodies: map[string]string{"en": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]automation.Rule{
		"idle without hours":    {Name: "x", On: automation.OnIdle, Idle: &automation.Idle{Statuses: []string{"open"}}, Actions: automation.Actions{Status: "solved"}},
		"idle without statuses": {Name: "x", On: automation.OnIdle, Idle: &automation.Idle{Hours: 2}, Actions: automation.Actions{Status: "solved"}},
		"idle on closed":        {Name: "x", On: automation.OnIdle, Idle: &automation.Idle{Hours: 2, Statuses: []string{"closed"}}, Actions: automation.Actions{Status: "solved"}},
		"idle on another rule":  {Name: "x", On: automation.OnCreated, Idle: &automation.Idle{Hours: 2, Statuses: []string{"open"}}, Actions: automation.Actions{Status: "solved"}},
		"personal macro":        {Name: "x", On: automation.OnCreated, Actions: automation.Actions{MacroID: personal.ID}},
		"notify nobody":         {Name: "x", On: automation.OnCreated, Actions: automation.Actions{Notify: &automation.Notify{}}},
		"idle longer than 90 d": {Name: "x", On: automation.OnIdle, Idle: &automation.Idle{Hours: 2161, Statuses: []string{"open"}}, Actions: automation.Actions{Status: "solved"}},
	} {
		if _, err := e.rules.Create(e.ctx, r); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
