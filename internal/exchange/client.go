package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/apperr"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	BaseURL string // e.g. https://exchange.internal/vigil
	Secret  []byte
	// HTTP sends the requests; nil is a client with no overall timeout
	// (each call has its own).
	HTTP *http.Client
	// Timeout bounds each attempt; default 3s.
	Timeout time.Duration
	// Retries is how many times an idempotent call is tried again after
	// a network error or a 5xx; default 2.
	Retries int
	// Backoff is the pause before the first retry, doubled each time;
	// default 100ms.
	Backoff time.Duration
	// BreakAfter consecutive failures open the circuit for Cooldown
	// (defaults 5 and 30s): calls then fail at once instead of piling up
	// behind a dead exchange.
	BreakAfter int
	Cooldown   time.Duration
	Now        func() time.Time
	// IsSandbox marks the built-in sandbox.
	IsSandbox bool
}

// Client calls the exchange over HTTP. It is safe for concurrent use.
type Client struct {
	o       ClientOptions
	base    *url.URL
	breaker breaker
}

// NewClient checks the options and returns a Client.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("exchange: base URL %q must be http(s)://host/path", o.BaseURL)
	}
	if len(o.Secret) < 16 {
		return nil, errors.New("exchange: the shared secret must be at least 16 bytes")
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 2
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff == 0 {
		o.Backoff = 100 * time.Millisecond
	}
	if o.BreakAfter == 0 {
		o.BreakAfter = 5
	}
	if o.Cooldown == 0 {
		o.Cooldown = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{o: o, base: u, breaker: breaker{after: o.BreakAfter, cooldown: o.Cooldown}}, nil
}

// Sandbox reports whether the client talks to the built-in sandbox.
func (c *Client) Sandbox() bool { return c.o.IsSandbox }

// Lookup finds a customer by UID, email or phone.
func (c *Client) Lookup(ctx context.Context, q Query) (Customer, error) {
	v := url.Values{}
	switch {
	case q.UID != "":
		v.Set("uid", q.UID)
	case q.Email != "":
		v.Set("email", strings.ToLower(q.Email))
	case q.Phone != "":
		v.Set("phone", q.Phone)
	default:
		return Customer{}, apperr.Field("query", "exchange.query_empty", "give a uid, email or phone")
	}
	var out Customer
	err := c.call(ctx, call{method: "GET", path: "/v1/customers?" + v.Encode(), idempotent: true}, &out)
	return out, err
}

// Activity returns the customer's recent deposits, withdrawals, orders and
// logins, at most limit of each.
func (c *Client) Activity(ctx context.Context, uid string, limit int) (Activity, error) {
	var out Activity
	p := "/v1/customers/" + url.PathEscape(uid) + "/activity?limit=" + strconv.Itoa(limit)
	err := c.call(ctx, call{method: "GET", path: p, idempotent: true}, &out)
	return out, err
}

// Freeze freezes the account. The idempotency key makes a retry safe.
func (c *Client) Freeze(ctx context.Context, r FreezeRequest) (AccountState, error) {
	return c.freeze(ctx, "freeze", r)
}

// Unfreeze lifts a freeze.
func (c *Client) Unfreeze(ctx context.Context, r FreezeRequest) (AccountState, error) {
	return c.freeze(ctx, "unfreeze", r)
}

func (c *Client) freeze(ctx context.Context, verb string, r FreezeRequest) (AccountState, error) {
	if r.Key == "" {
		return AccountState{}, apperr.Field("key", "exchange.key_required", "an idempotency key is required")
	}
	var out AccountState
	err := c.call(ctx, call{method: "POST", path: "/v1/customers/" + url.PathEscape(r.UID) + "/" + verb, body: r,
		key: r.Key, idempotent: true}, &out)
	return out, err
}

// SendCode asks the exchange to deliver a one-time code. It is never
// retried: a second attempt could send the customer two messages.
func (c *Client) SendCode(ctx context.Context, r CodeRequest) (CodeSent, error) {
	var out CodeSent
	err := c.call(ctx, call{method: "POST", path: "/v1/customers/" + url.PathEscape(r.UID) + "/one-time-codes", body: r}, &out)
	return out, err
}

type call struct {
	method, path string
	body         any
	key          string
	idempotent   bool
}

// errorBody is the contract's error shape.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (c *Client) call(ctx context.Context, cl call, out any) error {
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("exchange: encode: %w", err)
		}
		body = b
	}
	attempts := 1
	if cl.idempotent {
		attempts += c.o.Retries
	}
	wait := c.o.Backoff
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return unavailable(ctx.Err())
			case <-t.C:
			}
			wait *= 2
		}
		if !c.breaker.allow(c.o.Now()) {
			return apperr.New(apperr.Unavailable, "exchange.circuit_open", "the exchange is not answering; try again shortly")
		}
		var retry bool
		retry, err = c.attempt(ctx, cl, body, out)
		c.breaker.record(c.o.Now(), err == nil || !retry)
		if err == nil || !retry {
			return err
		}
	}
	return err
}

// attempt makes one request. retry says whether the failure is worth
// another try (network errors, timeouts, 5xx, 429).
func (c *Client) attempt(ctx context.Context, cl call, body []byte, out any) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	full := c.base.String() + cl.path
	req, err := http.NewRequestWithContext(ctx, cl.method, full, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("exchange: request: %w", err)
	}
	// The signed path is the one the server sees: the base path, the
	// route and the query.
	signed := req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		signed += "?" + req.URL.RawQuery
	}
	ts := c.o.Now().Unix()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(c.o.Secret, ts, cl.method, signed, body))
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.key != "" {
		req.Header.Set(HeaderIdemKey, cl.key)
	}
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return true, unavailable(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return true, unavailable(err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return false, apperr.New(apperr.Unavailable, "exchange.bad_response", "the exchange sent an unreadable answer: %v", err)
		}
		return false, nil
	}
	var eb errorBody
	_ = json.Unmarshal(raw, &eb)
	msg := eb.Error.Message
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return false, apperr.New(apperr.NotFound, "exchange.not_found", "exchange: %s", msg)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// A signature the exchange refuses is a configuration fault:
		// retrying cannot fix it.
		return false, apperr.New(apperr.Unavailable, "exchange.rejected", "the exchange refused our signature: %s", msg)
	case resp.StatusCode == http.StatusConflict:
		return false, apperr.New(apperr.Conflict, "exchange.conflict", "exchange: %s", msg)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, apperr.New(apperr.Unavailable, "exchange.unavailable", "exchange answered %d: %s", resp.StatusCode, msg)
	}
	return false, apperr.New(apperr.Invalid, "exchange.invalid", "exchange answered %d: %s", resp.StatusCode, msg)
}

func unavailable(err error) error {
	return &apperr.Error{Kind: apperr.Unavailable, Code: "exchange.unavailable", Message: "the exchange did not answer", Err: err}
}

// breaker opens after a run of failures and lets one trial call through
// after the cool-down; its fields are guarded by mu.
type breaker struct {
	after    int
	cooldown time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool
}

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.after {
		return true
	}
	if now.Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true // half-open: one call decides
	return true
}

func (b *breaker) record(now time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.after {
		b.openUntil = now.Add(b.cooldown)
	}
}
