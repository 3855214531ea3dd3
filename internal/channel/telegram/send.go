package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"vigil/internal/channel"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// SenderOptions configure a Sender.
type SenderOptions struct {
	Tickets *ticket.Service
	Token   string
	APIBase string
	HTTP    *http.Client
}

// Sender is the Telegram channel.Adapter.
type Sender struct {
	tickets *ticket.Service
	api     *client
}

// NewSender returns a Sender.
func NewSender(o SenderOptions) *Sender {
	return &Sender{tickets: o.Tickets, api: newClient(o.APIBase, o.Token, o.HTTP)}
}

// Channel names the channel.
func (s *Sender) Channel() string { return "telegram" }

// maxText is the Bot API's limit on one message's text, in characters.
const maxText = 4096

// Send delivers a reply: its files as photos or documents, then its text
// (split at Telegram's length limit), answering the customer's latest
// message. It returns the id of the last message sent.
func (s *Sender) Send(ctx context.Context, out channel.Outbound) (string, error) {
	chatID, err := strconv.ParseInt(out.To, 10, 64)
	if err != nil {
		return "", job.Permanent(fmt.Errorf("telegram: %q is not a chat id", out.To))
	}
	var last sentMessage
	for _, a := range out.Message.Attachments {
		meta, f, err := s.tickets.OpenAttachment(ctx, ticket.Scope{All: true}, a.ID)
		if err != nil {
			return "", err
		}
		method, field := "sendDocument", "document"
		if strings.HasPrefix(meta.ContentType, "image/") && meta.ContentType != "image/gif" {
			method, field = "sendPhoto", "photo"
		}
		err = s.api.upload(ctx, method, field, chatID, meta.Filename, f, "", &last)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	replyTo := int64(0)
	if _, id, ok := strings.Cut(out.InReplyTo, ":"); ok {
		replyTo, _ = strconv.ParseInt(id, 10, 64)
	}
	for i, part := range split(strings.TrimSpace(out.Message.Body), maxText) {
		params := map[string]any{"chat_id": chatID, "text": part}
		if i == 0 && replyTo != 0 {
			params["reply_parameters"] = map[string]any{"message_id": replyTo, "allow_sending_without_reply": true}
		}
		if err := s.api.callJSON(ctx, "sendMessage", params, &last); err != nil {
			return "", err
		}
	}
	if last.MessageID == 0 {
		return "", job.Permanent(fmt.Errorf("telegram: message %d has nothing to send", out.Message.ID))
	}
	return messageKey(chatID, last.MessageID), nil
}

type sentMessage struct {
	MessageID int64 `json:"message_id"`
}

// split cuts text into pieces of at most n characters, at a line break
// where there is one.
func split(text string, n int) []string {
	var out []string
	for utf8.RuneCountInString(text) > n {
		r := []rune(text)
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, strings.TrimSpace(string(r[:cut])))
		text = strings.TrimSpace(string(r[cut:]))
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}
