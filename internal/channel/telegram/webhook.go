package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/channel"
	"vigil/internal/customer"
	"vigil/internal/i18n"
)

// WebhookPath is where Telegram posts updates (setWebhook's url).
const WebhookPath = "/channels/telegram/webhook"

// Inbox is where received messages go (channel.Service).
type Inbox interface {
	Receive(ctx context.Context, in channel.Inbound) (channel.Received, error)
	Link(ctx context.Context, in channel.LinkInput) (customer.Customer, error)
}

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	Inbox   Inbox
	Log     *slog.Logger
	Token   string // the bot token, to download files
	Secret  string // setWebhook's secret_token, sent back in every call
	APIBase string // "" means https://api.telegram.org
	HTTP    *http.Client
	// ChatLimiter throttles messages per chat; a chat over its budget is
	// answered 429 and Telegram delivers the update again later.
	ChatLimiter *auth.Limiter
	// IPLimiter throttles calls per client address, before anything else:
	// the route is public.
	IPLimiter *auth.Limiter
	ClientIP  func(*http.Request) string
	// LinkSecret verifies the signed deep links (/start TOKEN) that tie a
	// Telegram account to an exchange customer; the exchange's backend
	// signs them with the same secret as widget identities. Empty: off.
	LinkSecret []byte
	Now        func() time.Time
}

// Webhook receives updates from Telegram.
type Webhook struct {
	inbox   Inbox
	log     *slog.Logger
	secret  []byte
	api     *client
	limiter *auth.Limiter
	ips     *auth.Limiter
	ip      func(*http.Request) string
	link    []byte
	now     func() time.Time
}

// NewWebhook returns a Webhook.
func NewWebhook(o WebhookOptions) *Webhook {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{inbox: o.Inbox, log: o.Log, secret: []byte(o.Secret), api: newClient(o.APIBase, o.Token, o.HTTP),
		limiter: o.ChatLimiter, ips: o.IPLimiter, ip: o.ClientIP, link: o.LinkSecret, now: o.Now}
}

func newClient(base, token string, hc *http.Client) *client {
	if base == "" {
		base = "https://api.telegram.org"
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &client{base: strings.TrimRight(base, "/"), token: token, http: hc}
}

// Register adds the webhook route.
func (w *Webhook) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebhookPath, w.ServeHTTP)
}

// maxUpdate bounds an update's JSON; Telegram's are a few kilobytes.
const maxUpdate = 1 << 20

// ServeHTTP handles one update. Telegram delivers an update again until it
// gets a 2xx, so a temporary failure answers 500 (or 429) and loses
// nothing, while updates the desk does not use are acknowledged.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if w.ips != nil && w.ip != nil && !w.ips.Allow(w.ip(r)) {
		rw.Header().Set("Retry-After", "60")
		http.Error(rw, "slow down", http.StatusTooManyRequests)
		return
	}
	got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	if len(w.secret) == 0 || subtle.ConstantTimeCompare(got, w.secret) != 1 {
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	var u Update
	if err := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxUpdate)).Decode(&u); err != nil {
		http.Error(rw, "bad update", http.StatusBadRequest)
		return
	}
	m := u.Message
	// Only people writing to the bot in private: no edits, groups or
	// other bots (a bot answering a bot is a loop).
	if m == nil || m.From == nil || m.From.IsBot || m.Chat.Type != "private" {
		rw.WriteHeader(http.StatusOK)
		return
	}
	chat := strconv.FormatInt(m.Chat.ID, 10)
	if w.limiter != nil && !w.limiter.Allow(chat) {
		rw.Header().Set("Retry-After", "60")
		http.Error(rw, "slow down", http.StatusTooManyRequests)
		return
	}
	if cmd, arg, _ := strings.Cut(m.Text, " "); cmd == "/start" {
		w.start(rw, r, m, strings.TrimSpace(arg))
		return
	}
	in := w.inbound(r.Context(), m)
	if _, err := w.inbox.Receive(r.Context(), in); err != nil {
		if apperr.Is(err, apperr.Invalid) {
			w.log.Warn("telegram message refused", "component", "telegram", "update", u.UpdateID, "err", err)
			rw.WriteHeader(http.StatusOK)
			return
		}
		w.log.Error("store telegram message", "component", "telegram", "update", u.UpdateID, "err", err)
		http.Error(rw, "try again", http.StatusInternalServerError)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// start answers /start. With a signed link token it ties the Telegram
// account to the exchange customer and says so; the answer rides in the
// webhook's response, which the Bot API runs as a method call.
func (w *Webhook) start(rw http.ResponseWriter, r *http.Request, m *Message, token string) {
	lang := "en"
	if strings.HasPrefix(strings.ToLower(m.From.LanguageCode), "zh") {
		lang = "zh"
	}
	if token == "" || len(w.link) == 0 {
		rw.WriteHeader(http.StatusOK)
		return
	}
	key := "telegram.linked"
	uid, exp, err := VerifyLink(w.link, token, w.now())
	if err == nil {
		_, err = w.inbox.Link(r.Context(), channel.LinkInput{Channel: "telegram", ExternalID: strconv.FormatInt(m.From.ID, 10),
			UID: uid, Token: token, Expires: exp})
		if err != nil && apperr.KindOf(err) == apperr.Internal {
			w.log.Error("link telegram account", "component", "telegram", "err", err)
			http.Error(rw, "try again", http.StatusInternalServerError)
			return
		}
	}
	switch {
	case apperr.Is(err, apperr.Conflict):
		key = "telegram.link_conflict"
	case err != nil:
		key = "telegram.link_invalid"
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(map[string]any{"method": "sendMessage", "chat_id": m.Chat.ID, "text": i18n.T(lang, key)})
}

// messageKey is how a Telegram message is known to the desk: message ids
// are unique only within a chat.
func messageKey(chatID, msgID int64) string { return fmt.Sprintf("%d:%d", chatID, msgID) }

func (w *Webhook) inbound(ctx context.Context, m *Message) channel.Inbound {
	name := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	if name == "" {
		name = m.From.Username
	}
	in := channel.Inbound{
		Channel: "telegram", ExternalID: messageKey(m.Chat.ID, m.MessageID), Continue: true,
		From: channel.Sender{ID: strconv.FormatInt(m.From.ID, 10), Name: name},
		Body: m.Text, Language: "en",
	}
	if strings.HasPrefix(strings.ToLower(m.From.LanguageCode), "zh") {
		in.Language = "zh"
	}
	if in.Body == "" {
		in.Body = m.Caption
	}
	if m.ReplyTo != nil {
		in.InReplyTo = []string{messageKey(m.Chat.ID, m.ReplyTo.MessageID)}
	}
	if raw, err := json.Marshal(m); err == nil {
		in.Original = raw
	}
	if len(m.Photo) > 0 {
		largest := m.Photo[len(m.Photo)-1]
		w.fetch(ctx, &in, largest.FileID, fmt.Sprintf("photo-%d.jpg", m.MessageID))
	}
	if m.Document != nil {
		name := m.Document.FileName
		if name == "" {
			name = fmt.Sprintf("document-%d", m.MessageID)
		}
		w.fetch(ctx, &in, m.Document.FileID, name)
	}
	return in
}

// fetch downloads a file into the message; one that cannot be fetched is
// named in the thread instead.
func (w *Webhook) fetch(ctx context.Context, in *channel.Inbound, fileID, name string) {
	data, err := w.api.download(ctx, fileID)
	if err != nil {
		w.log.Warn("telegram file not downloaded", "component", "telegram", "err", err)
		in.Dropped = append(in.Dropped, name)
		return
	}
	in.Attachments = append(in.Attachments, channel.File{Name: name, Data: data})
}
