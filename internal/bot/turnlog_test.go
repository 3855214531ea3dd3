package bot_test

import (
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/bot"
)

// The log a supervisor filters: by outcome (an answer left waiting an
// hour counts as abandoned), by language and by date range, and the
// deflection rate of the same range and language.
func TestTurnLogFilters(t *testing.T) {
	e := newEnv(t)
	solved, m := e.conversation(t, "en", "Hi, my withdrawal has not arrived yet, where is it?")
	e.say(t, solved, m)
	e.reply(t, solved, "Yes, thanks!")
	human, m := e.conversation(t, "en", "I want to talk to a human please")
	e.say(t, human, m)
	waiting, m := e.conversation(t, "zh", "提现一直没到账")
	e.say(t, waiting, m)
	e.clock.Advance(2 * time.Hour) // the Chinese answer is now abandoned
	fresh, m := e.conversation(t, "zh", "充值没到账")
	e.say(t, fresh, m)

	convs := func(f bot.TurnFilter) []int64 {
		t.Helper()
		list, err := e.bot.Log(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tr := range list {
			out = append(out, tr.ConversationID)
		}
		return out
	}
	same := func(name string, got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: conversations %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: conversations %v, want %v", name, got, want)
				return
			}
		}
	}
	// The answer and the customer's "yes" both count as resolved turns.
	same("resolved", convs(bot.TurnFilter{Outcome: bot.Resolved}), solved.ID, solved.ID)
	same("handed over", convs(bot.TurnFilter{Outcome: bot.HandedOver}), human.ID)
	same("abandoned", convs(bot.TurnFilter{Outcome: bot.Abandoned}), waiting.ID)
	same("pending", convs(bot.TurnFilter{Outcome: bot.Pending}), fresh.ID)
	same("chinese", convs(bot.TurnFilter{Language: "zh"}), fresh.ID, waiting.ID)
	same("before the last two hours", convs(bot.TurnFilter{To: e.clock.Now().Add(-time.Hour), Language: "en", Outcome: bot.Resolved}), solved.ID, solved.ID)
	same("the last hour", convs(bot.TurnFilter{From: e.clock.Now().Add(-time.Hour)}), fresh.ID)

	rep, err := e.bot.ReportFor(e.ctx, bot.TurnFilter{From: t0, To: e.clock.Now().Add(time.Minute), Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversations != 2 || rep.Resolved != 1 || rep.HandedOver != 1 || rep.DeflectionRate != 0.5 {
		t.Errorf("English report = %+v, want 2 conversations, 1 resolved, 1 handed over, 50%%", rep)
	}
	rep, err = e.bot.ReportFor(e.ctx, bot.TurnFilter{Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversations != 2 || rep.Abandoned != 1 || rep.Pending != 1 || rep.DeflectionRate != 0 {
		t.Errorf("Chinese report = %+v, want 1 abandoned and 1 pending", rep)
	}

	if _, err := e.bot.Log(e.ctx, bot.TurnFilter{Outcome: "lost"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("an unknown outcome: %v, want invalid", err)
	}
	if _, err := e.bot.Log(e.ctx, bot.TurnFilter{From: t0, To: t0}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("an empty range: %v, want invalid", err)
	}
}
