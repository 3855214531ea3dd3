// Package sms is the SMS channel, through a provider that speaks Twilio's
// Programmable Messaging wire format: a message is a form-encoded POST to
// /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth,
// answered with the message resource as JSON; the provider then posts
// delivery receipts and customers' replies to webhooks signed with
// X-Twilio-Signature.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/channel"
	"vigil/internal/job"
)

// StatusPath and InboundPath are where the provider posts delivery
// receipts and customers' replies.
const (
	StatusPath  = "/channels/sms/status"
	InboundPath = "/channels/sms/inbound"
)

// MaxBody is the provider's limit on one message's text, in characters;
// it splits longer texts into segments itself.
const MaxBody = 1600

// Options configure a Sender.
type Options struct {
	// API is the provider's base URL ("https://api.twilio.com").
	API        string
	AccountSID string
	AuthToken  string
	// From is the sending number in E.164 form; MessagingService, when
	// set, lets the provider pick the number instead.
	From             string
	MessagingService string
	// PublicURL is the desk's public base URL; delivery receipts are
	// asked for at PublicURL + StatusPath.
	PublicURL string
	HTTP      *http.Client
}

// Sender is the SMS channel.Adapter.
type Sender struct {
	o Options
}

// NewSender returns a Sender.
func NewSender(o Options) *Sender {
	o.API = strings.TrimRight(o.API, "/")
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return &Sender{o: o}
}

// Channel names the channel.
func (s *Sender) Channel() string { return "sms" }

// message is the part of the provider's message resource the desk reads.
type message struct {
	SID          string `json:"sid"`
	Status       string `json:"status"`
	ErrorCode    *int   `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// apiError is the provider's error document.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Provider error codes that retrying cannot fix.
const (
	codeInvalidTo    = 21211 // not a valid phone number
	codeUnsubscribed = 21610 // the recipient replied STOP
	codeUnreachable  = 21614 // not a mobile number
)

// ErrUnsubscribed is returned (wrapped as permanent) when the provider
// refuses a number that opted out of messages from the sender.
var ErrUnsubscribed = errors.New("sms: the recipient has unsubscribed")

// Send posts one message and returns the provider's message SID. The
// delivery receipt URL names the desk's message, so a receipt that comes
// back before this call returns still finds it.
func (s *Sender) Send(ctx context.Context, out channel.Outbound) (string, error) {
	body := strings.TrimSpace(out.Message.Body)
	switch {
	case body == "":
		return "", job.Permanent(fmt.Errorf("sms: message %d has nothing to send", out.Message.ID))
	case utf8.RuneCountInString(body) > MaxBody:
		return "", job.Permanent(fmt.Errorf("sms: message %d is longer than %d characters", out.Message.ID, MaxBody))
	case !validNumber(out.To):
		return "", job.Permanent(fmt.Errorf("sms: %q is not a number in international format", out.To))
	}
	if out.Attempt > 1 {
		// An earlier run may have been accepted and not recorded.
		if sid, err := s.find(ctx, out.To, body, out.Message.CreatedAt); err != nil || sid != "" {
			return sid, err
		}
	}
	form := url.Values{"To": {out.To}, "Body": {body}}
	if s.o.MessagingService != "" {
		form.Set("MessagingServiceSid", s.o.MessagingService)
	} else {
		form.Set("From", s.o.From)
	}
	if s.o.PublicURL != "" {
		form.Set("StatusCallback", s.o.PublicURL+StatusPath+"?message="+strconv.FormatInt(out.Message.ID, 10))
	}
	endpoint := s.o.API + "/2010-04-01/Accounts/" + url.PathEscape(s.o.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", job.Permanent(fmt.Errorf("sms: request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, raw, err := s.call(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", refused(resp, raw)
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil || m.SID == "" {
		return "", fmt.Errorf("sms: unreadable answer (HTTP %d)", resp.StatusCode)
	}
	if m.Status == "failed" {
		return "", job.Permanent(fmt.Errorf("sms: provider failed message %s: %s", m.SID, m.ErrorMessage))
	}
	return m.SID, nil
}

// call makes one authenticated API call and reads the answer.
func (s *Sender) call(req *http.Request) (*http.Response, []byte, error) {
	req.SetBasicAuth(s.o.AccountSID, s.o.AuthToken)
	req.Header.Set("Accept", "application/json")
	resp, err := s.o.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("sms: %s: %w", req.Method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("sms: read answer: %w", err)
	}
	return resp, raw, nil
}

// page is one page of the provider's message list.
type page struct {
	Messages []struct {
		message
		Body        string `json:"body"`
		From        string `json:"from"`
		DateCreated string `json:"date_created"`
	} `json:"messages"`
}

// find looks among the latest messages to a number for this text sent
// since the desk wrote it, and returns its SID: the provider has no
// idempotency key for a new message, so a retried delivery asks first.
func (s *Sender) find(ctx context.Context, to, body string, since time.Time) (string, error) {
	q := url.Values{"To": {to}, "PageSize": {"50"}}
	if s.o.MessagingService == "" {
		q.Set("From", s.o.From)
	}
	endpoint := s.o.API + "/2010-04-01/Accounts/" + url.PathEscape(s.o.AccountSID) + "/Messages.json?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return "", job.Permanent(fmt.Errorf("sms: request: %w", err))
	}
	resp, raw, err := s.call(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", refused(resp, raw)
	}
	var p page
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("sms: unreadable message list: %w", err)
	}
	for _, m := range p.Messages {
		at, err := time.Parse(time.RFC1123Z, m.DateCreated)
		if m.Body == body && m.Status != "failed" && (err != nil || !at.Before(since.Add(-time.Minute))) {
			return m.SID, nil
		}
	}
	return "", nil
}

// refused turns an error answer into a retryable or permanent error.
func refused(resp *http.Response, raw []byte) error {
	var e apiError
	_ = json.Unmarshal(raw, &e)
	err := fmt.Errorf("sms: provider answered HTTP %d, code %d: %s", resp.StatusCode, e.Code, e.Message)
	switch {
	case e.Code == codeUnsubscribed:
		return job.Permanent(fmt.Errorf("%w: %w", ErrUnsubscribed, err))
	case resp.StatusCode == http.StatusTooManyRequests:
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return job.RetryAfter(err, time.Duration(wait)*time.Second)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500:
		// Credentials can be fixed and outages end: keep the message.
		return err
	case resp.StatusCode >= 400 || e.Code == codeInvalidTo || e.Code == codeUnreachable:
		return job.Permanent(err)
	}
	return err
}

// validNumber accepts E.164 numbers: a plus and 7 to 15 digits.
func validNumber(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
