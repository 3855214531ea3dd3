package discord_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/channel"
	"vigil/internal/channel/channeltest"
	"vigil/internal/channel/discord"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// lazy lets the desk be built with the bot as its adapter before the bot,
// which needs the desk's inbox, exists.
type lazy struct{ bot *discord.Bot }

func (l *lazy) Channel() string { return "discord" }
func (l *lazy) Send(ctx context.Context, out channel.Outbound) (string, error) {
	return l.bot.Send(ctx, out)
}

type desk struct {
	*channeltest.Env
	s   *standin
	bot *discord.Bot
}

func newDesk(t *testing.T) *desk {
	s := newStandin(t)
	l := &lazy{}
	env := channeltest.New(t, l)
	l.bot = discord.New(discord.Options{Inbox: env.Channels, Token: botToken, SupportChannel: supportID, API: s.srv.URL + "/api", Files: env.Tickets})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot stopped: %v", err)
		}
	})
	s.waitReady(1)
	return &desk{Env: env, s: s, bot: l.bot}
}

func dm(id, userID, text string) map[string]any {
	return map[string]any{"id": id, "channel_id": "dm-" + userID, "type": 0, "content": text, "timestamp": "2026-03-02T09:00:00.000000+00:00",
		"author":      map[string]any{"id": userID, "username": "satoshi_fan", "global_name": "Satoshi Fan", "discriminator": "0"},
		"attachments": []any{}, "embeds": []any{}, "mentions": []any{}, "pinned": false, "tts": false}
}

func guildMessage(id, channelID, userID, text string) map[string]any {
	m := dm(id, userID, text)
	m["channel_id"], m["guild_id"] = channelID, guildID
	m["member"] = map[string]any{"roles": []any{}, "joined_at": "2025-01-01T00:00:00.000000+00:00"}
	return m
}

// conversations waits until the desk has n Discord conversations.
func (d *desk) conversations(t *testing.T, n int) []ticket.Conversation {
	t.Helper()
	for range 300 {
		list, _, err := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{Channel: "discord"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) >= n {
			return list
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d discord conversations", n)
	return nil
}

func (d *desk) waitMessages(t *testing.T, convID int64, n int) []ticket.Message {
	t.Helper()
	for range 300 {
		if ms := d.Messages(t, convID); len(ms) >= n {
			return ms
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("conversation %d has fewer than %d messages", convID, n)
	return nil
}

// A direct message to the bot opens a conversation; the next one continues
// it, a redelivered event adds nothing, and the agent's reply is posted in
// the same DM as the bot, with mentions disabled.
func TestDirectMessages(t *testing.T) {
	d := newDesk(t)
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000101", "555000000000000001", "My BTC withdrawal is stuck since 2 hours"))
	convs := d.conversations(t, 1)
	c := convs[0]
	if c.Subject != "My BTC withdrawal is stuck since 2 hours" {
		t.Errorf("subject %q", c.Subject)
	}
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000102", "555000000000000001", "txid 0xabc"))
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000102", "555000000000000001", "txid 0xabc")) // redelivered
	// The bot's own messages and other bots are not customers.
	bot := dm("1300000000000000103", botUserID, "echo")
	bot["author"] = map[string]any{"id": botUserID, "username": "ExchangeSupport", "bot": true}
	d.s.dispatch("MESSAGE_CREATE", bot)
	ms := d.waitMessages(t, c.ID, 2)
	time.Sleep(100 * time.Millisecond)
	if ms = d.Messages(t, c.ID); len(ms) != 2 || ms[0].AuthorName != "Satoshi Fan" || ms[1].Body != "txid 0xabc" {
		t.Fatalf("messages: %+v", ms)
	}
	if n := len(d.conversations(t, 1)); n != 1 {
		t.Fatalf("%d conversations, want 1", n)
	}
	d.Reply(t, c.ID, "Your withdrawal is confirmed now. @everyone")
	if ran := d.Deliver(t); ran != 1 {
		t.Fatalf("%d jobs ran", ran)
	}
	posts := d.s.sent()
	if len(posts) != 1 || posts[0].Channel != "dm-555000000000000001" || posts[0].Body["content"] != "Your withdrawal is confirmed now. @everyone" {
		t.Fatalf("posts: %+v", posts)
	}
	am, _ := posts[0].Body["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 || posts[0].Body["enforce_nonce"] != true || posts[0].Body["nonce"] == "" {
		t.Errorf("reply may ping or repeat: %+v", posts[0].Body)
	}
	if got := d.Messages(t, c.ID)[2].Delivery; got != ticket.DeliverySent {
		t.Errorf("delivery = %q", got)
	}
	// The customer answers the bot's message: same conversation.
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000104", "555000000000000001", "Thanks!"))
	d.waitMessages(t, c.ID, 4)
}

// A post in the support channel becomes a thread and a conversation; the
// customer's messages in the thread continue it, the reply goes into the
// thread, and chatter in other channels is ignored.
func TestSupportChannelThreads(t *testing.T) {
	d := newDesk(t)
	post := guildMessage("1300000000000000201", supportID, "555000000000000002", "Is this the official support? I got a DM offering help.")
	post["attachments"] = []any{map[string]any{"id": "1", "filename": "screenshot.png", "size": len(pngBytes),
		"url": d.s.srv.URL + "/cdn/screenshot.png", "content_type": "image/png"}}
	d.s.dispatch("MESSAGE_CREATE", post)
	c := d.conversations(t, 1)[0]
	// Discord's thread started from a message has the message's id.
	d.s.dispatch("MESSAGE_CREATE", guildMessage("1300000000000000202", "1300000000000000201", "555000000000000002", "It asked for my seed phrase"))
	d.s.dispatch("MESSAGE_CREATE", guildMessage("1300000000000000203", "1999999999999999999", "555000000000000002", "gm everyone"))
	ms := d.waitMessages(t, c.ID, 2)
	time.Sleep(100 * time.Millisecond)
	if ms = d.Messages(t, c.ID); len(ms) != 2 || len(ms[0].Attachments) != 1 || ms[0].Attachments[0].Filename != "screenshot.png" {
		t.Fatalf("thread messages: %+v", ms)
	}
	if n := len(d.conversations(t, 1)); n != 1 {
		t.Fatalf("%d conversations, want 1 (other channels are not support)", n)
	}
	d.s.mu.Lock()
	threads := append([]string(nil), d.s.threads...)
	d.s.mu.Unlock()
	if len(threads) != 1 || threads[0] != "1300000000000000201" {
		t.Fatalf("threads started: %v", threads)
	}
	att, err := d.Tickets.Upload(d.Ctx, ticket.Scope{All: true}, ticket.UploadInput{ConversationID: c.ID, Filename: "official-channels.png",
		Content: bytes.NewReader(pngBytes), UploadedBy: "agent:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Tickets.AddMessage(d.Ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByAgent, AuthorName: "Mei",
		Body: "That DM was not us. Never share your seed phrase.", AttachmentIDs: []int64{att.ID}}); err != nil {
		t.Fatal(err)
	}
	d.Deliver(t)
	posts := d.s.sent()
	if len(posts) != 1 || posts[0].Channel != "1300000000000000201" {
		t.Fatalf("reply not in the thread: %+v", posts)
	}
	if want := fmt.Sprintf("official-channels.png:%d", len(pngBytes)); len(posts[0].Files) != 1 || posts[0].Files[0] != want {
		t.Errorf("files sent: %v, want %s", posts[0].Files, want)
	}
}

// A 429 answer makes the delivery wait Discord's retry_after before it
// tries again, and the reply is then posted once.
func TestRateLimitHonoured(t *testing.T) {
	d := newDesk(t)
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000301", "555000000000000003", "Hello?"))
	c := d.conversations(t, 1)[0]
	d.s.mu.Lock()
	d.s.limitNext, d.s.retryAfter = 1, 30.5
	d.s.mu.Unlock()
	m := d.Reply(t, c.ID, "Hello, how can we help?")
	d.Deliver(t)
	j, err := d.Jobs.ByKey(d.Ctx, "deliver:message:"+itoa(m.ID))
	if err != nil || j.State != job.Queued || !strings.Contains(j.LastError, "429") {
		t.Fatalf("after 429: %+v, %v", j, err)
	}
	d.Clock.Advance(20 * time.Second)
	if ran := d.Deliver(t); ran != 0 || len(d.s.sent()) != 0 {
		t.Fatalf("retried before retry_after: %d ran", ran)
	}
	d.Clock.Advance(11 * time.Second)
	if ran := d.Deliver(t); ran != 1 || len(d.s.sent()) != 1 {
		t.Fatalf("after retry_after: %d ran, %d posts", ran, len(d.s.sent()))
	}
}

// A dropped connection is resumed with the session id and the last
// sequence number; events sent meanwhile are replayed and stored once.
// Heartbeats carry the last sequence number.
func TestGatewayResumesWithoutLoss(t *testing.T) {
	d := newDesk(t)
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000401", "555000000000000004", "first"))
	c := d.conversations(t, 1)[0]
	time.Sleep(400 * time.Millisecond) // at least one heartbeat
	d.s.drop()
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000402", "555000000000000004", "sent while the bot was away"))
	d.s.waitReady(2)
	ms := d.waitMessages(t, c.ID, 2)
	if ms[1].Body != "sent while the bot was away" {
		t.Fatalf("messages: %+v", ms)
	}
	d.s.mu.Lock()
	identifies, resumes, beats := d.s.identifies, d.s.resumes, d.s.heartbeats
	d.s.mu.Unlock()
	if identifies != 1 || len(resumes) != 1 || resumes[0] != 2 {
		t.Fatalf("identifies %d, resumes %v (want one, after seq 2)", identifies, resumes)
	}
	if len(beats) == 0 || beats[0] == nil {
		t.Fatalf("heartbeats: %v", beats)
	}
	if d.bot.Reconnects() != 1 {
		t.Errorf("reconnects = %d", d.bot.Reconnects())
	}
}

// A refused token stops the bot with a reason instead of reconnecting.
func TestBadTokenStops(t *testing.T) {
	s := newStandin(t)
	env := channeltest.New(t)
	bot := discord.New(discord.Options{Inbox: env.Channels, Token: botToken, API: s.srv.URL + "/api"})
	s.mu.Lock()
	s.closeCode = 4004
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := bot.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "bot token") {
		t.Fatalf("Run = %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A connection whose heartbeats go unacknowledged is a zombie: the bot
// drops it and resumes. Discord's RECONNECT is obeyed the same way, and an
// INVALID_SESSION that cannot be resumed makes the bot identify afresh.
func TestGatewayRecoversFromZombieAndServerRequests(t *testing.T) {
	d := newDesk(t)
	d.s.mu.Lock()
	d.s.noACK = true
	d.s.mu.Unlock()
	d.s.waitReady(2) // the heartbeat after the unanswered one gives up
	d.s.mu.Lock()
	d.s.noACK = false
	resumes := len(d.s.resumes)
	d.s.mu.Unlock()
	if resumes != 1 {
		t.Fatalf("zombie connection: %d resumes", resumes)
	}
	d.s.op(7, nil)
	d.s.waitReady(3)
	d.s.op(9, false)
	d.s.waitReady(4)
	d.s.mu.Lock()
	identifies, resumes := d.s.identifies, len(d.s.resumes)
	d.s.mu.Unlock()
	if identifies != 2 || resumes != 2 {
		t.Fatalf("identifies %d, resumes %d; want 2 and 2", identifies, resumes)
	}
	// Events still arrive on the new session.
	d.s.dispatch("MESSAGE_CREATE", dm("1300000000000000501", "555000000000000005", "still there?"))
	d.conversations(t, 1)
}
