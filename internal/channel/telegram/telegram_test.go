package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/channel"
	"vigil/internal/channel/channeltest"
	"vigil/internal/channel/telegram"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

var linkSecret = []byte("exchange-widget-secret-0123456789abcdef")

const (
	token  = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	secret = "webhook-secret_0123456789"
)

// botAPI stands in for api.telegram.org: the documented methods the
// channel uses, with the documented envelopes, and files to download.
type botAPI struct {
	t     *testing.T
	mu    sync.Mutex
	calls []apiCall
	next  int64
	// fail answers the next call of a method with this error envelope.
	fail map[string]string
	srv  *httptest.Server
	png  []byte
}

type apiCall struct {
	method string
	params map[string]any
	file   string // uploaded file name
	data   []byte
}

func newBotAPI(t *testing.T) *botAPI {
	b := &botAPI{t: t, next: 500, fail: map[string]string{}, png: pngBytes(t)}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *botAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/file/bot"+token+"/") {
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.png)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+token+"/")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	c := apiCall{method: method, params: map[string]any{}}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			b.t.Errorf("%s: %v", method, err)
		}
		for k, v := range r.MultipartForm.Value {
			c.params[k] = v[0]
		}
		for _, fhs := range r.MultipartForm.File {
			f, _ := fhs[0].Open()
			c.data, _ = io.ReadAll(f)
			c.file = fhs[0].Filename
		}
	} else if err := json.NewDecoder(r.Body).Decode(&c.params); err != nil {
		b.t.Errorf("%s: body: %v", method, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.fail[method]; ok {
		delete(b.fail, method)
		var env struct {
			ErrorCode int `json:"error_code"`
		}
		json.Unmarshal([]byte(f), &env)
		w.WriteHeader(env.ErrorCode)
		io.WriteString(w, f)
		return
	}
	b.calls = append(b.calls, c)
	switch method {
	case "getFile":
		fmt.Fprintf(w, `{"ok":true,"result":{"file_id":%q,"file_unique_id":"AgADyx4AAu6BwUo","file_size":%d,"file_path":"photos/file_12.jpg"}}`,
			c.params["file_id"], len(b.png))
	case "sendMessage", "sendPhoto", "sendDocument":
		b.next++
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"from":{"id":123456789,"is_bot":true,"first_name":"Exchange Support","username":"ExchangeSupportBot"},"chat":{"id":%v,"first_name":"Wei","type":"private"},"date":1772442763}}`,
			b.next, c.params["chat_id"])
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
	}
}

func (b *botAPI) sent() []apiCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []apiCall
	for _, c := range b.calls {
		if c.method != "getFile" {
			out = append(out, c)
		}
	}
	return out
}

func (b *botAPI) failNext(method, envelope string) {
	b.mu.Lock()
	b.fail[method] = envelope
	b.mu.Unlock()
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type bot struct {
	*channeltest.Env
	api  *botAPI
	hook *httptest.Server
}

func newBot(t *testing.T) *bot {
	api := newBotAPI(t)
	var sender *telegram.Sender
	env := channeltest.New(t, lazy{func() channel.Adapter { return sender }})
	sender = telegram.NewSender(telegram.SenderOptions{Tickets: env.Tickets, Token: token, APIBase: api.srv.URL})
	mux := http.NewServeMux()
	telegram.NewWebhook(telegram.WebhookOptions{Inbox: env.Channels, Token: token, Secret: secret, APIBase: api.srv.URL,
		LinkSecret: linkSecret, Now: env.Clock.Now}).Register(mux)
	hook := httptest.NewServer(mux)
	t.Cleanup(hook.Close)
	return &bot{Env: env, api: api, hook: hook}
}

type lazy struct{ get func() channel.Adapter }

func (l lazy) Channel() string { return "telegram" }
func (l lazy) Send(ctx context.Context, out channel.Outbound) (string, error) {
	return l.get().Send(ctx, out)
}

// post delivers an update as Telegram does and returns the status.
func (b *bot) post(t *testing.T, secretHeader, update string) int {
	t.Helper()
	st, _ := b.postBody(t, secretHeader, update)
	return st
}

// postBody also returns the webhook's answer (a method call, or nothing).
func (b *bot) postBody(t *testing.T, secretHeader, update string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.hook.URL+telegram.WebhookPath, strings.NewReader(update))
	req.Header.Set("Content-Type", "application/json")
	if secretHeader != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// update is a private-chat text message in the documented shape.
func update(id, msgID int64, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":777000111,"is_bot":false,"first_name":"Wei","last_name":"Zhang","username":"weizhang","language_code":"zh-hans"},"chat":{"id":777000111,"first_name":"Wei","last_name":"Zhang","username":"weizhang","type":"private"},"date":1772442700,"text":%q}}`,
		id, msgID, text)
}

func (b *bot) conversations(t *testing.T) []ticket.Conversation {
	t.Helper()
	cs, _, err := b.Tickets.List(b.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestWebhookChecksTheSecretToken(t *testing.T) {
	b := newBot(t)
	for _, h := range []string{"", "wrong-secret"} {
		if st := b.post(t, h, update(1, 10, "hello")); st != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d", h, st)
		}
	}
	if n := len(b.conversations(t)); n != 0 {
		t.Fatalf("%d conversations from unauthenticated calls", n)
	}
}

func TestMessagesInAndRepliesOut(t *testing.T) {
	b := newBot(t)
	if st := b.post(t, secret, update(1, 10, "我的提现还没到账")); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	// Telegram redelivers an update it did not see acknowledged.
	b.post(t, secret, update(1, 10, "我的提现还没到账"))
	b.post(t, secret, update(2, 11, "提现编号 W-7788"))
	photo := `{"update_id":3,"message":{"message_id":12,"from":{"id":777000111,"is_bot":false,"first_name":"Wei","language_code":"zh-hans"},"chat":{"id":777000111,"type":"private"},"date":1772442710,` +
		`"photo":[{"file_id":"AgACAgIAAxkBAAIBZ2small","file_unique_id":"AQADyx5s","file_size":1200,"width":90,"height":90},{"file_id":"AgACAgIAAxkBAAIBZ2large","file_unique_id":"AQADyx5x","file_size":4800,"width":800,"height":800}],"caption":"截图"}}`
	b.post(t, secret, photo)
	cs := b.conversations(t)
	if len(cs) != 1 || cs[0].Channel != "telegram" || cs[0].Language != "zh" {
		t.Fatalf("conversations: %+v", cs)
	}
	ms := b.Messages(t, cs[0].ID)
	if len(ms) != 3 || ms[0].Body != "我的提现还没到账" || ms[0].AuthorName != "Wei Zhang" || ms[2].Body != "截图" {
		t.Fatalf("messages: %+v", ms)
	}
	if len(ms[2].Attachments) != 1 || ms[2].Attachments[0].ContentType != "image/png" {
		t.Fatalf("photo: %+v", ms[2].Attachments)
	}
	if calls := b.api.calls; len(calls) == 0 || calls[0].params["file_id"] != "AgACAgIAAxkBAAIBZ2large" {
		t.Fatalf("the largest photo size was not fetched: %+v", calls)
	}

	// The agent answers with a file and text; the first attempt meets a
	// flood limit and waits as long as Telegram asked.
	att, err := b.Tickets.Upload(b.Ctx, ticket.Scope{All: true}, ticket.UploadInput{ConversationID: cs[0].ID, Filename: "steps.png",
		Content: bytes.NewReader(b.api.png), UploadedBy: "agent:1"})
	if err != nil {
		t.Fatal(err)
	}
	b.api.failNext("sendPhoto", `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`)
	m, err := b.Tickets.AddMessage(b.Ctx, ticket.MessageInput{ConversationID: cs[0].ID, AuthorKind: ticket.ByAgent, AuthorName: "Mei",
		Body: "已到账，请查看附件。", AttachmentIDs: []int64{att.ID}})
	if err != nil {
		t.Fatal(err)
	}
	b.Deliver(t)
	j, _ := b.Jobs.ByKey(b.Ctx, "deliver:message:"+strconv.FormatInt(m.ID, 10))
	if j.State != "queued" || !j.RunAt.Equal(b.Clock.Now().Add(5*time.Second)) {
		t.Fatalf("after a 429: %+v (want a retry in 5s)", j)
	}
	b.Clock.Advance(5 * time.Second)
	b.Deliver(t)
	sent := b.api.sent()
	if len(sent) != 2 || sent[0].method != "sendPhoto" || sent[0].file != "steps.png" || !bytes.Equal(sent[0].data, b.api.png) {
		t.Fatalf("sent: %+v", sent)
	}
	text := sent[1]
	reply, _ := text.params["reply_parameters"].(map[string]any)
	if text.method != "sendMessage" || text.params["chat_id"] != float64(777000111) || text.params["text"] != "已到账，请查看附件。" ||
		reply["message_id"] != float64(12) {
		t.Fatalf("sendMessage: %+v", text.params)
	}
	if ms := b.Messages(t, cs[0].ID); ms[3].Delivery != ticket.DeliverySent {
		t.Fatalf("delivery = %s", ms[3].Delivery)
	}

	// The customer answers the bot's message by replying to it: threaded
	// by the id the bot's message got.
	b.Solve(t, cs[0].ID)
	replyUpdate := fmt.Sprintf(`{"update_id":4,"message":{"message_id":13,"from":{"id":777000111,"is_bot":false,"first_name":"Wei"},"chat":{"id":777000111,"type":"private"},"date":1772442790,"text":"收到，谢谢","reply_to_message":{"message_id":%d,"from":{"id":123456789,"is_bot":true,"first_name":"Exchange Support"},"chat":{"id":777000111,"type":"private"},"date":1772442763,"text":"已到账"}}}`, b.api.next)
	b.post(t, secret, replyUpdate)
	if c := b.Conversation(t, cs[0].ID); c.Status != ticket.StatusOpen || len(b.conversations(t)) != 1 {
		t.Fatalf("after the reply: %s, %d conversations", c.Status, len(b.conversations(t)))
	}
}

func TestIgnoredUpdatesAndBlockedBot(t *testing.T) {
	b := newBot(t)
	ignored := []string{
		`{"update_id":1,"edited_message":{"message_id":1,"from":{"id":5,"is_bot":false,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1,"text":"edit"}}`,
		`{"update_id":2,"message":{"message_id":2,"from":{"id":6,"is_bot":true,"first_name":"OtherBot"},"chat":{"id":6,"type":"private"},"date":1,"text":"hi"}}`,
		`{"update_id":3,"message":{"message_id":3,"from":{"id":7,"is_bot":false,"first_name":"G"},"chat":{"id":-100123,"title":"Traders","type":"supergroup"},"date":1,"text":"hi all"}}`,
		update(4, 4, "/start"),
	}
	for _, u := range ignored {
		if st := b.post(t, secret, u); st != http.StatusOK {
			t.Fatalf("status %d for %s", st, u)
		}
	}
	if st := b.post(t, secret, `{"update_id":`); st != http.StatusBadRequest {
		t.Fatalf("malformed update: %d", st)
	}
	if n := len(b.conversations(t)); n != 0 {
		t.Fatalf("%d conversations from ignored updates", n)
	}
	b.post(t, secret, update(5, 20, "help"))
	cs := b.conversations(t)
	b.api.failNext("sendMessage", `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
	b.Reply(t, cs[0].ID, "Hello")
	b.Deliver(t)
	if ms := b.Messages(t, cs[0].ID); ms[1].Delivery != ticket.DeliveryFailed {
		t.Fatalf("delivery to a blocked bot = %s, want failed", ms[1].Delivery)
	}
}

func TestStartLinkTiesTheAccountToTheExchangeCustomer(t *testing.T) {
	b := newBot(t)
	uid := "10293847"
	known, err := b.Customers.Create(b.Ctx, customer.Input{UID: &uid})
	if err != nil {
		t.Fatal(err)
	}
	// Written before linking: an anonymous customer for the Telegram user.
	b.post(t, secret, update(1, 30, "我的账户被冻结了"))
	before := b.conversations(t)
	if len(before) != 1 || before[0].CustomerID == known.ID {
		t.Fatalf("before linking: %+v", before)
	}
	link := telegram.SignLink(linkSecret, uid, b.Clock.Now().Add(30*time.Minute))
	if len(link) > 64 {
		t.Fatalf("link token is %d characters; deep links allow 64", len(link))
	}
	start := func(id, msg int64, tok string) string {
		st, body := b.postBody(t, secret, update(id, msg, "/start "+tok))
		if st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		var call struct {
			Method string  `json:"method"`
			ChatID float64 `json:"chat_id"`
			Text   string  `json:"text"`
		}
		if err := json.Unmarshal([]byte(body), &call); err != nil || call.Method != "sendMessage" || call.ChatID != 777000111 {
			t.Fatalf("webhook answer %q: %v", body, err)
		}
		return call.Text
	}
	if got := start(2, 31, link); !strings.Contains(got, "已与交易所账户关联") {
		t.Fatalf("answer: %q", got)
	}
	c, err := b.Customers.ByUID(b.Ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Identities) != 1 || c.Identities[0] != (customer.Identity{Channel: "telegram", ExternalID: "777000111"}) {
		t.Fatalf("identities: %+v", c.Identities)
	}
	if conv := b.Conversation(t, before[0].ID); conv.CustomerID != known.ID {
		t.Fatalf("the earlier conversation stayed with customer %d", conv.CustomerID)
	}
	// New messages land with the exchange customer.
	b.post(t, secret, update(3, 32, "还在吗"))
	if cs := b.conversations(t); len(cs) != 1 || cs[0].CustomerID != known.ID || len(b.Messages(t, cs[0].ID)) != 2 {
		t.Fatalf("after linking: %+v", cs)
	}
	// A link is good once; forged, expired and other bots' links are not.
	if got := start(4, 33, link); !strings.Contains(got, "已被使用过") {
		t.Fatalf("replayed link: %q", got)
	}
	forged := telegram.SignLink([]byte("not-the-exchange-secret-0123456789"), "99999", b.Clock.Now().Add(time.Minute))
	expired := telegram.SignLink(linkSecret, "99999", b.Clock.Now().Add(-time.Second))
	tooLong := telegram.SignLink(linkSecret, "99999", b.Clock.Now().Add(24*time.Hour))
	for i, tok := range []string{forged, expired, tooLong, "garbage!"} {
		if got := start(int64(5+i), int64(40+i), tok); !strings.Contains(got, "无效或已过期") {
			t.Fatalf("link %d: %q", i, got)
		}
	}
	if _, err := b.Customers.ByUID(b.Ctx, "99999"); err == nil {
		t.Fatal("a bad link created a customer")
	}
}
