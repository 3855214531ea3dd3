package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/channel"
)

// Inbox is where customers' replies go (channel.Service).
type Inbox interface {
	Receive(ctx context.Context, in channel.Inbound) (channel.Received, error)
}

// Receipt is the provider's word on how far one message got.
type Receipt struct {
	MessageID int64  // the desk's message, from the receipt URL
	SID       string // the provider's message SID
	// Status is the provider's: queued, sending, sent, delivered,
	// undelivered, failed (read, for channels that report it).
	Status    string
	ErrorCode string
}

// Outreach is what the webhook tells the desk: receipts, and numbers that
// asked for no more messages.
type Outreach interface {
	Receipt(ctx context.Context, r Receipt) error
	// StopNumber stops outreach to whoever has this number.
	StopNumber(ctx context.Context, number string) error
	// StartNumber lets outreach reach whoever has this number again.
	StartNumber(ctx context.Context, number string) error
}

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	Inbox    Inbox
	Outreach Outreach
	Log      *slog.Logger
	// AuthToken signs every call the provider makes (X-Twilio-Signature).
	AuthToken string
	// PublicURL is the base URL the provider calls; the signature covers
	// the full URL as the provider saw it, not as a proxy passed it on.
	PublicURL string
	// IPLimiter throttles calls per client address before anything else:
	// the routes are public.
	IPLimiter *auth.Limiter
	ClientIP  func(*http.Request) string
}

// Webhook receives the provider's delivery receipts and inbound messages.
type Webhook struct {
	o WebhookOptions
}

// NewWebhook returns a Webhook.
func NewWebhook(o WebhookOptions) *Webhook {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Webhook{o: o}
}

// Register adds the webhook routes.
func (w *Webhook) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+StatusPath, w.status)
	mux.HandleFunc("POST "+InboundPath, w.inbound)
}

// maxForm bounds a webhook's form; the provider's are about a kilobyte.
const maxForm = 64 << 10

// Sign is the X-Twilio-Signature of a call to fullURL with form: the
// base64 HMAC-SHA1, keyed with the auth token, of the URL followed by
// each parameter's name and value in name order.
func Sign(token, fullURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(fullURL))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := slices.Clone(form[k])
		slices.Sort(vals)
		for _, v := range vals {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// verified reads the form and checks the signature; it answers the
// caller itself when either fails.
func (w *Webhook) verified(rw http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if w.o.IPLimiter != nil && w.o.ClientIP != nil && !w.o.IPLimiter.Allow(w.o.ClientIP(r)) {
		rw.Header().Set("Retry-After", "60")
		http.Error(rw, "slow down", http.StatusTooManyRequests)
		return nil, false
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(rw, "bad form", http.StatusBadRequest)
		return nil, false
	}
	want := Sign(w.o.AuthToken, w.o.PublicURL+r.URL.RequestURI(), r.PostForm)
	got := r.Header.Get("X-Twilio-Signature")
	if w.o.AuthToken == "" || !hmac.Equal([]byte(got), []byte(want)) {
		http.Error(rw, "bad signature", http.StatusForbidden)
		return nil, false
	}
	return r.PostForm, true
}

// status records a delivery receipt on the message it names.
func (w *Webhook) status(rw http.ResponseWriter, r *http.Request) {
	form, ok := w.verified(rw, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.URL.Query().Get("message"), 10, 64)
	if err != nil || id <= 0 {
		// Signed but not ours (a receipt for a message sent elsewhere).
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	rc := Receipt{MessageID: id, SID: form.Get("MessageSid"), Status: form.Get("MessageStatus"), ErrorCode: form.Get("ErrorCode")}
	if err := w.o.Outreach.Receipt(r.Context(), rc); err != nil {
		if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
			w.o.Log.Warn("sms receipt ignored", "component", "sms", "message", id, "status", rc.Status, "err", err)
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		w.o.Log.Error("record sms receipt", "component", "sms", "message", id, "err", err)
		http.Error(rw, "try again", http.StatusInternalServerError)
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

// DeliveryState is the message delivery state a receipt status means, or
// "" for the steps before the handset (the message is "sent" already once
// the provider took it).
func DeliveryState(status string) string {
	switch status {
	case "delivered":
		return "delivered"
	case "read":
		return "read"
	case "undelivered", "failed":
		return "failed"
	}
	return ""
}

// stopWords are the replies that opt a number out: the carriers' standard
// keywords and the usual Chinese ones ("TD", 退订).
var stopWords = []string{"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "td", "退订"}

// startWords opt a number back in. "YES", which carriers also take, is
// left out: it is a common answer to an agent's question.
var startWords = []string{"start", "unstop"}

// IsStop reports whether a reply asks for no more messages.
func IsStop(body string) bool { return slices.Contains(stopWords, keyword(body)) }

// IsStart reports whether a reply asks for messages again after a STOP.
func IsStart(body string) bool { return slices.Contains(startWords, keyword(body)) }

func keyword(body string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(body), ".!。！"))
}

// inbound takes a customer's text: a STOP opts the number out of outreach
// and a START back in (the provider confirms to the customer itself);
// anything else lands in the customer's conversation on the channel like
// any other reply.
func (w *Webhook) inbound(rw http.ResponseWriter, r *http.Request) {
	form, ok := w.verified(rw, r)
	if !ok {
		return
	}
	from, body, sid := form.Get("From"), form.Get("Body"), form.Get("MessageSid")
	if !validNumber(from) || sid == "" {
		http.Error(rw, "bad message", http.StatusBadRequest)
		return
	}
	var err error
	switch optOut := form.Get("OptOutType"); {
	case IsStop(body) || strings.EqualFold(optOut, "stop"):
		err = w.o.Outreach.StopNumber(r.Context(), from)
	case IsStart(body) || strings.EqualFold(optOut, "start"):
		err = w.o.Outreach.StartNumber(r.Context(), from)
	default:
		_, err = w.o.Inbox.Receive(r.Context(), channel.Inbound{Channel: "sms", ExternalID: sid, Continue: true,
			From: channel.Sender{ID: from}, Body: body, Original: []byte(form.Encode())})
	}
	if err != nil && !apperr.Is(err, apperr.Invalid) {
		w.o.Log.Error("store sms", "component", "sms", "sid", sid, "err", err)
		http.Error(rw, "try again", http.StatusInternalServerError)
		return
	}
	if err != nil {
		w.o.Log.Warn("sms refused", "component", "sms", "sid", sid, "err", err)
	}
	rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = rw.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
}
