package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/bot"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/kb"
	"vigil/internal/ticket"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx     context.Context
	clock   *dbtest.Clock
	kb      *kb.Service
	tickets *ticket.Service
	custs   *customer.Service
	bot     *bot.Bot
	bus     *event.Memory
	opts    bot.Options
}

// fixture is a small help center: each article with the phrasings
// customers use, in English and Chinese.
var fixture = []struct {
	slug  string
	texts map[string]kb.VersionInput
}{
	{"withdrawal-pending", map[string]kb.VersionInput{
		"en": {Title: "Why is my withdrawal pending?", Summary: "Most withdrawals arrive within 30 minutes; network congestion or a security review can take longer.",
			Body: "Check the status under Assets → History.", Questions: []string{"where is my withdrawal", "my withdrawal has not arrived",
				"withdrawal still pending", "why is my withdrawal taking so long", "I withdrew USDT hours ago and it is not in my wallet",
				"withdrawal stuck processing"}},
		"zh": {Title: "为什么我的提现还在处理中？", Summary: "大多数提现在30分钟内到账；网络拥堵或安全审核可能需要更长时间。",
			Body: "请在 资产 → 历史记录 中查看状态。", Questions: []string{"提现一直没到账", "提现还在处理中", "提币多久到账", "我的提现怎么还没到", "提现卡住了"}},
	}},
	{"deposit-missing", map[string]kb.VersionInput{
		"en": {Title: "My deposit has not been credited", Summary: "Deposits are credited after the required network confirmations; check the network and memo.",
			Body: "If the memo or tag is missing, contact support with the TxID.", Questions: []string{"deposit not credited", "I sent crypto but do not see it",
				"my deposit is missing", "deposit not showing in balance", "forgot the memo on my deposit", "how long do deposits take"}},
		"zh": {Title: "充值未到账怎么办？", Summary: "充值需要达到网络确认数后才会入账；请检查网络和备注。",
			Body: "如果漏填备注，请带上交易哈希联系客服。", Questions: []string{"充值没到账", "充币一直不到", "我充值了但余额没有变化", "充值忘记填备注"}},
	}},
	{"reset-2fa", map[string]kb.VersionInput{
		"en": {Title: "Reset two-factor authentication", Summary: "Lost your authenticator? Start a 2FA reset from the login page; it takes 1-3 days.",
			Body: "You will need a selfie and your ID.", Questions: []string{"lost my authenticator", "reset 2fa", "new phone lost google authenticator",
				"cannot get 2fa code", "how do I change my authenticator app"}},
		"zh": {Title: "如何重置双重验证？", Summary: "丢失验证器？请在登录页面申请重置，需要1-3天。",
			Body: "需要自拍照和证件。", Questions: []string{"谷歌验证器丢了", "重置谷歌验证", "换手机了验证码收不到", "怎么解绑验证器"}},
	}},
	{"trading-fees", map[string]kb.VersionInput{
		"en": {Title: "Trading fees explained", Summary: "Spot trades cost 0.1% for makers and takers; holding the exchange token lowers it.",
			Body: "See the fee schedule.", Questions: []string{"what are the trading fees", "how much is the fee", "maker taker fee", "why was I charged a fee",
				"fee schedule"}},
	}},
}

// emptyEnv is a desk with no help-center articles yet.
func emptyEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	now := clk.Now
	log := slog.New(slog.DiscardHandler)
	a := audit.New(d, now)
	bus := event.NewMemory()
	custs := customer.New(d, a, bus, now)
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: custs, Now: now})
	k := kb.New(d, a, log, now)
	e := &env{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}), clock: clk, kb: k, tickets: tickets, custs: custs, bus: bus}
	e.opts = bot.Options{DB: d, KB: k, Tickets: tickets, Bus: bus, Log: log, Now: now}
	e.bot = bot.New(e.opts)
	return e
}

// newEnv is a desk with the fixture's articles published.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := emptyEnv(t)
	k := e.kb
	for _, f := range fixture {
		art, err := k.CreateArticle(e.ctx, kb.ArticleInput{Slug: f.slug})
		if err != nil {
			t.Fatal(err)
		}
		for lang, in := range f.texts {
			if _, err := k.SaveDraft(e.ctx, 0, art.ID, lang, in); err != nil {
				t.Fatal(err)
			}
			if _, err := k.Publish(e.ctx, art.ID, lang); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.bot = bot.New(e.opts)
	return e
}

// conversation opens a webchat conversation whose first message is text.
func (e *env) conversation(t *testing.T, lang, text string) (ticket.Conversation, ticket.Message) {
	t.Helper()
	name := "Customer"
	c, err := e.custs.Create(e.ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	conv, msg, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: c.ID, Channel: "webchat", Language: lang, Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: c.ID, Body: text}})
	if err != nil {
		t.Fatal(err)
	}
	return conv, msg
}

// say delivers a customer message to the bot as the bus would.
func (e *env) say(t *testing.T, conv ticket.Conversation, msg ticket.Message) {
	t.Helper()
	ev := event.MessageCreated{Scope: event.Scope{ConversationID: conv.ID, CustomerID: conv.CustomerID}, MessageID: msg.ID, Seq: msg.Seq,
		AuthorKind: string(msg.AuthorKind), Body: msg.Body}
	if err := e.bot.Handle(e.ctx, ev); err != nil {
		t.Fatal(err)
	}
}

func (e *env) reply(t *testing.T, conv ticket.Conversation, text string) {
	t.Helper()
	e.clock.Advance(time.Minute)
	m, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByCustomer, AuthorID: conv.CustomerID, Body: text})
	if err != nil {
		t.Fatal(err)
	}
	e.say(t, conv, m)
}

// botMessages returns the bot's messages after seq: public and internal.
func (e *env) botMessages(t *testing.T, conv ticket.Conversation, after int64) (public, notes []ticket.Message) {
	t.Helper()
	msgs, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, conv.ID, ticket.MessagesFilter{AfterSeq: after, Limit: 100, IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.AuthorKind != ticket.ByBot {
			continue
		}
		if m.Internal {
			notes = append(notes, m)
		} else {
			public = append(public, m)
		}
	}
	return public, notes
}

func (e *env) lastTurn(t *testing.T) bot.Turn {
	t.Helper()
	turns, err := e.bot.Turns(e.ctx, 0, 1)
	if err != nil || len(turns) == 0 {
		t.Fatalf("no bot turn: %v", err)
	}
	return turns[0]
}

func TestConfidentAnswerThenYes(t *testing.T) {
	e := newEnv(t)
	conv, msg := e.conversation(t, "en", "Hi, my withdrawal has not arrived yet, where is it?")
	e.say(t, conv, msg)
	pub, notes := e.botMessages(t, conv, 0)
	if len(pub) != 1 || len(notes) != 0 {
		t.Fatalf("bot wrote %d public and %d internal messages, want one answer", len(pub), len(notes))
	}
	body := pub[0].Body
	for _, want := range []string{"Most withdrawals arrive within 30 minutes", "(/help/en/articles/withdrawal-pending)", "Did this solve it?"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	if pub[0].AuthorName != "Vigil bot (automated)" {
		t.Errorf("bot signs as %q, want it labelled as a bot", pub[0].AuthorName)
	}
	turn := e.lastTurn(t)
	if turn.Action != bot.Answered || turn.Outcome != bot.Pending || turn.Confidence < bot.MinThreshold || turn.ArticleID == 0 {
		t.Errorf("turn = %+v, want a pending answer with its confidence and article", turn)
	}

	e.reply(t, conv, "Yes, thanks!")
	pub, _ = e.botMessages(t, conv, pub[0].Seq)
	if len(pub) != 1 || !strings.Contains(pub[0].Body, "Glad that helped") {
		t.Fatalf("after yes: %+v", pub)
	}
	got, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, conv.ID)
	if got.Status != ticket.StatusSolved {
		t.Errorf("after yes the conversation is %s, want solved", got.Status)
	}
	rep, err := e.bot.Report(e.ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversations != 1 || rep.Resolved != 1 || rep.DeflectionRate != 1 {
		t.Errorf("report = %+v, want one conversation resolved by the bot", rep)
	}
}

func TestHandOff(t *testing.T) {
	tests := []struct {
		name, lang, first, second string
		reason                    string
		tried                     string // the article the summary must name
	}{
		{"low confidence", "en", "The colour of the sky on Tuesdays", "", bot.ReasonLowConfidence, ""},
		{"asks for a human", "en", "My withdrawal is late, I want to talk to a human", "", bot.ReasonAskedHuman, ""},
		{"asks for a human in Chinese", "zh", "提现没到账，转人工", "", bot.ReasonAskedHuman, ""},
		{"account security", "en", "Someone hacked my account and my withdrawal went to an unknown address", "", bot.ReasonSecurity, ""},
		{"account security in Chinese", "zh", "我的账号被盗了", "", bot.ReasonSecurity, ""},
		{"after a no", "en", "deposit not credited", "No, it did not help", bot.ReasonNotSolved, "My deposit has not been credited"},
		{"after a no in Chinese", "zh", "充值没到账", "没有解决", bot.ReasonNotSolved, "充值未到账怎么办？"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			conv, msg := e.conversation(t, tt.lang, tt.first)
			e.say(t, conv, msg)
			if tt.second != "" {
				if turn := e.lastTurn(t); turn.Action != bot.Answered {
					t.Fatalf("first message: %+v, want an answer before the no", turn)
				}
				e.reply(t, conv, tt.second)
			}
			turn := e.lastTurn(t)
			if turn.Action != bot.HandedOff || turn.Reason != tt.reason || turn.Outcome != bot.HandedOver {
				t.Fatalf("turn = %+v, want a hand-off for %s", turn, tt.reason)
			}
			pub, notes := e.botMessages(t, conv, 0)
			want := map[string]string{"en": "passing you to a human agent", "zh": "转接人工客服"}[tt.lang]
			if len(pub) == 0 || !strings.Contains(pub[len(pub)-1].Body, want) {
				t.Errorf("customer was not told about the hand-off: %+v", pub)
			}
			if len(notes) != 1 || !strings.Contains(notes[0].Body, tt.first) {
				t.Fatalf("internal summary = %+v, want one note quoting the question", notes)
			}
			if !strings.Contains(notes[0].Body, tt.tried) {
				t.Errorf("summary does not say what the bot tried: %s", notes[0].Body)
			}
			got, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, conv.ID)
			if !slices.Contains(got.Tags, bot.HandoffTag) {
				t.Errorf("handed-over conversation tags = %v, want %s", got.Tags, bot.HandoffTag)
			}
			if urgent := got.Priority == ticket.Urgent; urgent != (tt.reason == bot.ReasonSecurity) {
				t.Errorf("priority after a %s hand-off = %s", tt.reason, got.Priority)
			}
			// Once handed over, the bot stays out of the way.
			before := len(pub)
			e.reply(t, conv, "where is my withdrawal")
			if pub, _ := e.botMessages(t, conv, 0); len(pub) != before {
				t.Errorf("bot spoke after the hand-off: %s", pub[len(pub)-1].Body)
			}
			if rep, _ := e.bot.Report(e.ctx, t0); rep.HandedOver != 1 || rep.Reasons[tt.reason] != 1 || rep.DeflectionRate != 0 {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

func TestAnnouncementTakesPrecedence(t *testing.T) {
	e := newEnv(t)
	_, err := e.kb.CreateAnnouncement(e.ctx, 0, kb.AnnouncementInput{Topic: "withdrawal",
		Titles:   map[string]string{"en": "BTC withdrawals paused for wallet maintenance", "zh": "BTC 钱包维护，暂停提现"},
		Bodies:   map[string]string{"en": "Withdrawals resume at 12:00 UTC. Your funds are safe.", "zh": "预计 UTC 12:00 恢复提现，资金安全。"},
		StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	conv, msg := e.conversation(t, "zh", "我的提现一直没到账")
	e.say(t, conv, msg)
	pub, _ := e.botMessages(t, conv, 0)
	if len(pub) != 1 || !strings.Contains(pub[0].Body, "BTC 钱包维护，暂停提现") || strings.Contains(pub[0].Body, "/help/") {
		t.Fatalf("answer = %+v, want the announcement rather than the article", pub)
	}
	if turn := e.lastTurn(t); turn.Action != bot.Announced || turn.AnnouncementID == 0 {
		t.Errorf("turn = %+v", turn)
	}
	// Other topics still get articles; after the window, so do withdrawals.
	conv2, msg2 := e.conversation(t, "en", "what are the trading fees")
	e.say(t, conv2, msg2)
	if turn := e.lastTurn(t); turn.Action != bot.Answered {
		t.Errorf("fees question during a withdrawal notice: %+v, want an article", turn)
	}
	e.clock.Advance(2 * time.Hour)
	conv3, msg3 := e.conversation(t, "en", "my withdrawal has not arrived")
	e.say(t, conv3, msg3)
	if turn := e.lastTurn(t); turn.Action != bot.Answered {
		t.Errorf("after the announcement ended: %+v, want an article", turn)
	}
}

func TestReplyLanguage(t *testing.T) {
	e := newEnv(t)
	// The conversation says English, the customer writes Chinese.
	conv, msg := e.conversation(t, "en", "我换手机了，谷歌验证器丢了怎么办")
	e.say(t, conv, msg)
	pub, _ := e.botMessages(t, conv, 0)
	if len(pub) != 1 || !strings.Contains(pub[0].Body, "/help/zh/articles/reset-2fa") || !strings.Contains(pub[0].Body, "问题解决了吗") ||
		pub[0].AuthorName != "Vigil 机器人（自动回复）" {
		t.Fatalf("Chinese question answered as %+v, want Chinese", pub)
	}
	conv2, msg2 := e.conversation(t, "zh", "how much is the maker taker fee")
	e.say(t, conv2, msg2)
	pub, _ = e.botMessages(t, conv2, 0)
	if len(pub) != 1 || !strings.Contains(pub[0].Body, "/help/en/articles/trading-fees") || !strings.Contains(pub[0].Body, "Did this solve it?") {
		t.Fatalf("English question answered as %+v, want English", pub)
	}
}

func TestBotStaysOutOnceAHumanReplied(t *testing.T) {
	e := newEnv(t)
	conv, msg := e.conversation(t, "en", "where is my withdrawal")
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: 0,
		AuthorName: "Maria", Body: "Looking into it"}); err != nil {
		t.Fatal(err)
	}
	e.say(t, conv, msg)
	if pub, _ := e.botMessages(t, conv, 0); len(pub) != 0 {
		t.Errorf("bot answered in a conversation a human already replied to: %s", pub[0].Body)
	}
}

// TestRunOnTheBus checks the wiring: a customer's first webchat message
// reaches the bot through the event bus and the answer lands in the thread.
func TestRunOnTheBus(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go e.bot.Run(ctx)
	time.Sleep(20 * time.Millisecond) // let Run subscribe
	conv, _ := e.conversation(t, "en", "deposit not showing in balance")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if pub, _ := e.botMessages(t, conv, 0); len(pub) == 1 {
			if !strings.Contains(pub[0].Body, "/help/en/articles/deposit-missing") {
				t.Errorf("answer = %s", pub[0].Body)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the bot did not answer a webchat message published on the bus")
}

// chatCompletions is a stand-in OpenAI-compatible server: it answers
// POST /v1/chat/completions in the documented response format and keeps
// the last request so the test can check what was sent.
type chatCompletions struct {
	status  int
	content string
	got     struct {
		auth string
		body map[string]any
	}
}

func (s *chatCompletions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	s.got.auth = r.Header.Get("Authorization")
	_ = json.NewDecoder(r.Body).Decode(&s.got.body)
	if s.status != http.StatusOK {
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte(`{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": s.content, "refusal": nil}}},
		"usage": map[string]any{"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
	})
}

func TestGeneratedAnswers(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		content     string
		wantAction  bot.Action
		wantInReply string
	}{
		{"generated from the article", http.StatusOK, "Your USDT withdrawal is probably waiting for network confirmations; check Assets → History.",
			bot.Answered, "Your USDT withdrawal is probably waiting for network confirmations"},
		{"endpoint down: the summary instead", http.StatusInternalServerError, "", bot.Answered, "Most withdrawals arrive within 30 minutes"},
		{"no answer in the article: a human", http.StatusOK, bot.NoAnswer, bot.HandedOff, "passing you to a human agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			stand := &chatCompletions{status: tt.status, content: tt.content}
			srv := httptest.NewServer(stand)
			defer srv.Close()
			o := e.opts
			o.Generator = &bot.OpenAI{BaseURL: srv.URL + "/v1", Model: "gpt-4o-mini", Key: "sk-test", Client: srv.Client()}
			e.bot = bot.New(o)
			conv, msg := e.conversation(t, "en", "I withdrew USDT hours ago and it is still not in my wallet")
			e.say(t, conv, msg)
			turn := e.lastTurn(t)
			if turn.Action != tt.wantAction {
				t.Fatalf("turn = %+v, want %s", turn, tt.wantAction)
			}
			pub, _ := e.botMessages(t, conv, 0)
			if len(pub) == 0 || !strings.Contains(pub[0].Body, tt.wantInReply) {
				t.Fatalf("reply = %+v, want it to contain %q", pub, tt.wantInReply)
			}
			if tt.wantAction == bot.Answered && !strings.Contains(pub[0].Body, "(/help/en/articles/withdrawal-pending)") {
				t.Errorf("generated reply lacks the article link: %s", pub[0].Body)
			}
			// The request: model, key, and the article as the only source.
			if stand.got.auth != "Bearer sk-test" || stand.got.body["model"] != "gpt-4o-mini" {
				t.Errorf("request auth %q model %v", stand.got.auth, stand.got.body["model"])
			}
			msgs, _ := stand.got.body["messages"].([]any)
			if len(msgs) != 2 {
				t.Fatalf("messages = %v", msgs)
			}
			system := msgs[0].(map[string]any)["content"].(string)
			user := msgs[1].(map[string]any)["content"].(string)
			if !strings.Contains(system, "Check the status under Assets → History.") || !strings.Contains(system, "using only") ||
				!strings.Contains(system, "English") || user != "I withdrew USDT hours ago and it is still not in my wallet" {
				t.Errorf("prompt not grounded in the article:\nsystem: %s\nuser: %s", system, user)
			}
		})
	}
}

// TestSmallDeskDoesNotMatchEverything: with a single article there are no
// other intents to compare with, and the bot must still hand over what the
// article does not cover.
func TestSmallDeskDoesNotMatchEverything(t *testing.T) {
	e := emptyEnv(t)
	k := e.kb
	art, err := k.CreateArticle(e.ctx, kb.ArticleInput{Slug: "withdrawal-pending"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.SaveDraft(e.ctx, 0, art.ID, "en", fixture[0].texts["en"]); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Publish(e.ctx, art.ID, "en"); err != nil {
		t.Fatal(err)
	}
	e.bot = bot.New(e.opts)
	for text, want := range map[string]bot.Action{
		"my withdrawal has not arrived":              bot.Answered,
		"will bitcoin go up this week?":              bot.HandedOff,
		"how do I change the email on my account":    bot.HandedOff,
		"what's the weather like in Singapore today": bot.HandedOff,
	} {
		conv, msg := e.conversation(t, "en", text)
		e.say(t, conv, msg)
		if got := e.lastTurn(t); got.Action != want {
			t.Errorf("%q on a one-article desk: %s (confidence %.2f), want %s", text, got.Action, got.Confidence, want)
		}
	}
}

// TestSilentWithoutHelpCenter: a desk that has published nothing gets no
// bot messages at all, not even hand-off notices.
func TestSilentWithoutHelpCenter(t *testing.T) {
	e := emptyEnv(t)
	for _, text := range []string{"where is my withdrawal", "I want a human", "my account was hacked"} {
		conv, msg := e.conversation(t, "en", text)
		e.say(t, conv, msg)
		if pub, notes := e.botMessages(t, conv, 0); len(pub)+len(notes) != 0 {
			t.Errorf("%q on a desk without articles: the bot wrote %d messages", text, len(pub)+len(notes))
		}
	}
}

// Several instances hear every message: the bots of two instances given
// the same message answer it once between them.
func TestOneAnswerAcrossInstances(t *testing.T) {
	e := newEnv(t)
	other := bot.New(e.opts) // a second instance's bot on the same database
	conv, msg := e.conversation(t, "en", "Hi, my withdrawal has not arrived yet, where is it?")
	ev := event.MessageCreated{Scope: event.Scope{ConversationID: conv.ID, CustomerID: conv.CustomerID}, MessageID: msg.ID, Seq: msg.Seq,
		AuthorKind: string(msg.AuthorKind), Body: msg.Body}
	for _, b := range []*bot.Bot{e.bot, other, e.bot} {
		if err := b.Handle(e.ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if public, _ := e.botMessages(t, conv, 0); len(public) != 1 {
		t.Errorf("the bot answered %d times, want once", len(public))
	}
}
