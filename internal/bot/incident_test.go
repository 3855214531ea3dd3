package bot_test

import (
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/bot"
	"vigil/internal/incident"
)

// TestIncidentAnswer: while a USDT withdrawal incident is open, a question
// about it gets the incident's message in the customer's language and
// links the conversation; other questions still get articles; once it is
// resolved, the article answers again.
func TestIncidentAnswer(t *testing.T) {
	e := newEnv(t)
	d := e.opts.DB
	inc := incident.New(incident.Options{DB: d, Audit: audit.New(d, e.clock.Now), Tickets: e.tickets, Now: e.clock.Now})
	e.opts.Incidents = inc
	e.bot = bot.New(e.opts)
	i, err := inc.Declare(e.ctx, 0, incident.Input{Severity: "major", Scope: incident.Scope{Features: []string{"withdrawals"}, Assets: []string{"usdt"}},
		Titles:   map[string]string{"en": "USDT withdrawals delayed", "zh": "USDT 提现延迟"},
		Messages: map[string]string{"en": "USDT withdrawals are queued; funds are safe.", "zh": "USDT 提现正在排队，资金安全。"}})
	if err != nil {
		t.Fatal(err)
	}
	conv, msg := e.conversation(t, "zh", "我的USDT提现怎么还没到")
	e.say(t, conv, msg)
	pub, _ := e.botMessages(t, conv, 0)
	if len(pub) != 1 || !strings.Contains(pub[0].Body, "USDT 提现正在排队，资金安全。") || !strings.Contains(pub[0].Body, "/status/zh/") {
		t.Fatalf("answer = %+v, want the incident message with the status page", pub)
	}
	if turn := e.lastTurn(t); turn.Action != bot.Incident {
		t.Errorf("turn = %+v", turn)
	}
	if linked, _ := inc.Linked(e.ctx, i.ID); len(linked) != 1 || linked[0] != conv.ID {
		t.Errorf("linked = %v, want [%d]", linked, conv.ID)
	}
	conv2, msg2 := e.conversation(t, "en", "my BTC withdrawal has not arrived")
	e.say(t, conv2, msg2)
	if turn := e.lastTurn(t); turn.Action != bot.Answered {
		t.Errorf("BTC question during a USDT incident: %+v, want an article", turn)
	}
	if _, err := inc.Resolve(e.ctx, i.ID, 0, "", incident.ResolveInput{Bodies: map[string]string{"en": "Done."}}); err != nil {
		t.Fatal(err)
	}
	conv3, msg3 := e.conversation(t, "en", "I withdrew USDT hours ago and it is not in my wallet")
	e.say(t, conv3, msg3)
	if turn := e.lastTurn(t); turn.Action != bot.Answered {
		t.Errorf("after the incident: %+v, want an article", turn)
	}
}
