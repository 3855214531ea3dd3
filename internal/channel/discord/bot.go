package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/channel"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// Inbox is where received messages go (channel.Service).
type Inbox interface {
	Receive(ctx context.Context, in channel.Inbound) (channel.Received, error)
	Known(ctx context.Context, ch, externalID string) (bool, error)
}

// Options configure a Bot.
type Options struct {
	Inbox Inbox
	Log   *slog.Logger
	Token string
	// SupportChannel is the id of the guild channel customers post in;
	// each post there becomes a thread and a conversation. Empty: direct
	// messages only.
	SupportChannel string
	API            string // REST base; "" means DefaultAPI
	Gateway        string // gateway URL; "" asks GET /gateway/bot
	HTTP           *http.Client
	// UserLimiter throttles messages per Discord user; messages over it
	// are dropped and counted (the gateway cannot be asked to send again).
	UserLimiter *auth.Limiter
	// MaxFileBytes bounds each downloaded attachment; 0 means 10 MiB.
	MaxFileBytes int64
	// Files opens a reply's attachments (ticket.Service); nil: replies
	// name their files instead of sending them.
	Files Files
}

// Files opens the desk's stored attachments.
type Files interface {
	OpenAttachment(ctx context.Context, scope ticket.Scope, id int64) (ticket.Attachment, *os.File, error)
}

// Bot is the Discord channel: the gateway listener and the channel.Adapter
// that sends replies.
type Bot struct {
	gw      *Gateway
	rest    *rest
	inbox   Inbox
	log     *slog.Logger
	support string
	limiter *auth.Limiter
	maxFile int64
	files   Files
	// Dropped counts messages not taken: over the rate limit, or failed.
	Dropped atomic.Int64
}

// New returns a Bot; Run connects it.
func New(o Options) *Bot {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 10 << 20
	}
	b := &Bot{rest: newREST(o.API, o.Token, o.HTTP), inbox: o.Inbox, log: o.Log, support: o.SupportChannel, limiter: o.UserLimiter,
		maxFile: o.MaxFileBytes, files: o.Files}
	b.gw = &Gateway{rest: b.rest, url: o.Gateway, token: o.Token, log: o.Log, handle: b.receive}
	return b
}

// Run keeps the bot on the gateway until ctx ends; it returns early only
// when Discord refuses the bot for good (a bad token).
func (b *Bot) Run(ctx context.Context) error { return b.gw.run(ctx) }

// Reconnects counts gateway reconnections since start.
func (b *Bot) Reconnects() int64 { return b.gw.Reconnects.Load() }

// Channel names the channel.
func (b *Bot) Channel() string { return "discord" }

// External ids are "channel/message": the channel a reply goes to is in
// the id itself. A post in the support channel is "support/message", and
// its thread has the message's id (Discord gives a thread started from a
// message that message's id), so the thread's later messages name their
// starter as "support/thread".

// receive turns one MESSAGE_CREATE into an inbound message: a direct
// message continues the user's running conversation, a post in the
// support channel opens a thread and a conversation, a message in one of
// those threads continues it; everything else (other channels, bots, the
// bot itself, system messages) is ignored.
func (b *Bot) receive(ctx context.Context, m message, raw []byte) {
	if m.Author.ID == "" || m.Author.Bot || m.Author.ID == b.gw.bot() || (m.Type != 0 && m.Type != 19) {
		return
	}
	name := m.Author.GlobalName
	if name == "" {
		name = m.Author.Username
	}
	in := channel.Inbound{Channel: "discord", ExternalID: m.ChannelID + "/" + m.ID, From: channel.Sender{ID: m.Author.ID, Name: name},
		Body: m.Content, Original: raw, Subject: firstLine(m.Content)}
	switch {
	case m.GuildID == "":
		in.Continue = true
	case m.ChannelID == b.support && b.support != "":
		if !b.allow(m) {
			return
		}
		var th channelObject
		err := b.rest.call(ctx, http.MethodPost, "/channels/"+m.ChannelID+"/messages/"+m.ID+"/threads",
			startThread{Name: clipRunes("Support · "+name, 100), AutoArchiveDuration: 1440}, &th)
		if err != nil && !isCode(err, codeThreadExists) {
			// The message is still taken; a reply then fails visibly.
			b.log.Warn("discord thread not started", "component", "discord", "message", m.ID, "err", err)
		}
	default:
		starter := b.support + "/" + m.ChannelID
		known, err := b.inbox.Known(ctx, "discord", starter)
		if err != nil {
			b.Dropped.Add(1)
			b.log.Error("discord thread lookup", "component", "discord", "err", err)
			return
		}
		if !known || b.support == "" {
			return // a channel the desk does not serve
		}
		in.InReplyTo, in.Subject = []string{starter}, ""
	}
	if m.GuildID == "" || m.ChannelID != b.support {
		if !b.allow(m) {
			return
		}
	}
	for _, a := range m.Attachments {
		data, err := b.download(ctx, a)
		if err != nil {
			in.Dropped = append(in.Dropped, a.Filename)
			b.log.Warn("discord attachment not kept", "component", "discord", "file", a.Filename, "err", err)
			continue
		}
		in.Attachments = append(in.Attachments, channel.File{Name: a.Filename, Data: data})
	}
	if _, err := b.inbox.Receive(ctx, in); err != nil {
		b.Dropped.Add(1)
		b.log.Error("discord message not stored", "component", "discord", "message", m.ID, "err", err)
	}
}

func (b *Bot) allow(m message) bool {
	if b.limiter == nil || b.limiter.Allow("discord:"+m.Author.ID) {
		return true
	}
	b.Dropped.Add(1)
	b.log.Warn("discord user over the message limit; message dropped", "component", "discord", "user", m.Author.ID)
	return false
}

func (b *Bot) download(ctx context.Context, a attachment) ([]byte, error) {
	if a.Size > b.maxFile {
		return nil, fmt.Errorf("%d bytes is over the limit", a.Size)
	}
	if !strings.HasPrefix(a.URL, "https://") && !strings.HasPrefix(a.URL, "http://") {
		return nil, errors.New("no download URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.rest.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, b.maxFile+1))
	if err == nil && int64(len(data)) > b.maxFile {
		err = errors.New("over the size limit")
	}
	return data, err
}

// maxContent is Discord's limit on one message's content, in characters.
const maxContent = 2000

// Send posts a reply where the customer wrote: their direct-message
// channel or the conversation's thread; a conversation the desk started
// opens a direct message. Long replies are split at Discord's limit, and
// the files go with the first part. Each
// part carries a nonce from the delivery key with enforce_nonce, so a
// retried delivery is not posted twice. Mentions are never expanded.
func (b *Bot) Send(ctx context.Context, out channel.Outbound) (string, error) {
	ref := out.InReplyTo
	if ref == "" && len(out.Thread) > 0 {
		ref = out.Thread[len(out.Thread)-1]
	}
	target := ""
	if ch, msgID, ok := strings.Cut(ref, "/"); ok {
		target = ch
		if ch == b.support {
			target = msgID // the post's thread
		}
	}
	if target == "" {
		var dm channelObject
		if err := b.rest.call(ctx, http.MethodPost, "/users/@me/channels", map[string]string{"recipient_id": out.To}, &dm); err != nil {
			return "", err
		}
		target = dm.ID
	}
	text := strings.TrimSpace(out.Message.Body)
	var files []upload
	for _, a := range out.Message.Attachments {
		if b.files == nil {
			text += "\n[" + a.Filename + "]"
			continue
		}
		_, f, err := b.files.OpenAttachment(ctx, ticket.Scope{All: true}, a.ID)
		if err != nil {
			return "", err
		}
		defer f.Close()
		files = append(files, upload{Name: a.Filename, Body: f})
	}
	var sent message
	for i, part := range split(text, maxContent) {
		req := createMessage{Content: part, Nonce: nonce(out.Key, i), EnforceNonce: true, AllowedMentions: allowedMentions{Parse: []string{}}}
		var err error
		if i == 0 && len(files) > 0 {
			err = b.rest.callFiles(ctx, "/channels/"+target+"/messages", req, files, &sent)
		} else {
			err = b.rest.call(ctx, http.MethodPost, "/channels/"+target+"/messages", req, &sent)
		}
		if err != nil {
			if isCode(err, codeUnknownChannel) || isCode(err, codeMissingAccess) || isCode(err, codeCannotDM) {
				return "", job.Permanent(err)
			}
			return "", err
		}
	}
	return target + "/" + sent.ID, nil
}

// nonce derives a message nonce (at most 25 characters) from the delivery key.
func nonce(key string, part int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s#%d", key, part))
	return hex.EncodeToString(h[:])[:25]
}

// split cuts text into parts of at most max characters, at a line break
// when there is one in the second half of a part.
func split(text string, max int) []string {
	if text == "" {
		return []string{"…"}
	}
	var parts []string
	for utf8.RuneCountInString(text) > max {
		r := []rune(text)
		cut := max
		if i := strings.LastIndex(string(r[:max]), "\n"); i > 0 && utf8.RuneCountInString(string(r[:max])[:i]) > max/2 {
			cut = utf8.RuneCountInString(string(r[:max])[:i])
		}
		parts = append(parts, strings.TrimRight(string(r[:cut]), "\n"))
		text = strings.TrimLeft(string(r[cut:]), "\n")
	}
	return append(parts, text)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return clipRunes(s, 80)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
