// Package smstest is a stand-in SMS provider for tests and benchmarks. It
// speaks the wire format of Twilio's Messaging API as documented: a
// form-encoded POST to /2010-04-01/Accounts/{AccountSid}/Messages.json
// with HTTP basic auth, answered 201 with the message resource as JSON or
// 4xx with the error document ({code, message, more_info, status}); and it
// posts delivery receipts and inbound messages to the desk signed with
// X-Twilio-Signature.
package smstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/channel/sms"
)

// Message is one message the provider accepted.
type Message struct {
	SID            string
	To, From, Body string
	StatusCallback string
	Service        string // the MessagingServiceSid it was sent with
	Created        time.Time
}

// Provider is the stand-in. Its zero value is not usable; use New.
type Provider struct {
	AccountSID, AuthToken string

	mu           sync.Mutex // guards the fields below
	sent         []Message
	unsubscribed map[string]bool
	down         int // answer this many calls with 503
	lists        int
	// OnSend, when set, sees every accepted message (under no lock).
	OnSend func(Message)
}

// New returns a provider for one account.
func New(accountSID, authToken string) *Provider {
	return &Provider{AccountSID: accountSID, AuthToken: authToken, unsubscribed: map[string]bool{}}
}

// Unsubscribe makes the provider refuse number, as it does once the
// number replied STOP (error 21610).
func (p *Provider) Unsubscribe(number string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unsubscribed[number] = true
}

// FailNext answers the next n calls 503, as during an outage.
func (p *Provider) FailNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = n
}

// Sent returns the accepted messages in order.
func (p *Provider) Sent() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.sent...)
}

// Count returns how many messages were accepted; cheaper than Sent for
// a caller that polls.
func (p *Provider) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sent)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ServeHTTP is the Messages resource: POST creates, GET lists.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	want := "/2010-04-01/Accounts/" + p.AccountSID + "/Messages.json"
	if (r.Method != http.MethodPost && r.Method != http.MethodGet) || r.URL.Path != want {
		p.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != p.AccountSID || pass != p.AuthToken {
		p.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.Method == http.MethodGet {
		p.list(w, r)
		return
	}
	p.mu.Lock()
	down := p.down > 0
	if down {
		p.down--
	}
	p.mu.Unlock()
	if down {
		p.fail(w, http.StatusServiceUnavailable, 20503, "Service unavailable")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		p.fail(w, http.StatusBadRequest, 20001, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		p.fail(w, http.StatusBadRequest, 20001, "Unreadable form")
		return
	}
	f := r.PostForm
	m := Message{To: f.Get("To"), From: f.Get("From"), Body: f.Get("Body"), StatusCallback: f.Get("StatusCallback")}
	switch {
	case m.To == "":
		p.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(m.To):
		p.fail(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", m.To))
		return
	case m.From == "" && f.Get("MessagingServiceSid") == "":
		p.fail(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
		return
	case m.Body == "":
		p.fail(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(m.Body)) > 1600:
		p.fail(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	p.mu.Lock()
	if p.unsubscribed[m.To] {
		p.mu.Unlock()
		p.fail(w, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
		return
	}
	m.SID = newSID("SM")
	if m.From == "" {
		m.From = "+15005550006" // chosen by the messaging service
	}
	m.Service, m.Created = f.Get("MessagingServiceSid"), time.Now().UTC()
	p.sent = append(p.sent, m)
	hook := p.OnSend
	p.mu.Unlock()
	if hook != nil {
		hook(m)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(p.resource(m))
}

// resource is a message as the API shows it.
func (p *Provider) resource(m Message) map[string]any {
	at := m.Created.Format(time.RFC1123Z)
	return map[string]any{
		"account_sid": p.AccountSID, "api_version": "2010-04-01", "body": m.Body, "date_created": at, "date_sent": nil,
		"date_updated": at, "direction": "outbound-api", "error_code": nil, "error_message": nil, "from": m.From,
		"messaging_service_sid": nilIfEmpty(m.Service), "num_media": "0", "num_segments": "1", "price": nil,
		"price_unit": "USD", "sid": m.SID, "status": "queued", "to": m.To,
		"uri": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", p.AccountSID, m.SID)}
}

// list answers the first page of messages, newest first, filtered by To
// and From as the API filters them.
func (p *Provider) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("PageSize"))
	if err != nil || size < 1 || size > 1000 {
		size = 50
	}
	out := []map[string]any{}
	p.mu.Lock()
	for k := len(p.sent) - 1; k >= 0 && len(out) < size; k-- {
		m := p.sent[k]
		if (q.Get("To") == "" || m.To == q.Get("To")) && (q.Get("From") == "" || m.From == q.Get("From")) {
			out = append(out, p.resource(m))
		}
	}
	p.lists++
	p.mu.Unlock()
	uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages.json?%s", p.AccountSID, q.Encode())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"messages": out, "end": len(out) - 1, "first_page_uri": uri,
		"next_page_uri": nil, "page": 0, "page_size": size, "previous_page_uri": nil, "start": 0, "uri": uri})
}

// Lists counts the list calls, which a sender makes before a retry.
func (p *Provider) Lists() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lists
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (p *Provider) fail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func newSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Receipt posts a delivery receipt for m to the StatusCallback it was
// sent with, signed as the provider signs, and returns the desk's status.
func (p *Provider) Receipt(ctx context.Context, m Message, status, errorCode string) (int, error) {
	form := url.Values{"AccountSid": {p.AccountSID}, "ApiVersion": {"2010-04-01"}, "From": {m.From}, "MessageSid": {m.SID},
		"MessageStatus": {status}, "SmsSid": {m.SID}, "SmsStatus": {status}, "To": {m.To}}
	if errorCode != "" {
		form.Set("ErrorCode", errorCode)
	}
	return p.post(ctx, m.StatusCallback, form)
}

// Inbound posts a customer's text to the desk's incoming-message URL, as
// the provider does when a customer replies.
func (p *Provider) Inbound(ctx context.Context, deskURL, from, to, body string) (int, error) {
	sid := newSID("SM")
	form := url.Values{"AccountSid": {p.AccountSID}, "ApiVersion": {"2010-04-01"}, "Body": {body}, "From": {from},
		"MessageSid": {sid}, "NumMedia": {"0"}, "NumSegments": {"1"}, "SmsMessageSid": {sid}, "SmsSid": {sid},
		"SmsStatus": {"received"}, "To": {to}}
	return p.post(ctx, deskURL, form)
}

func (p *Provider) post(ctx context.Context, target string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Sign(p.AuthToken, target, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
