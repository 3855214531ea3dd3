package exchange

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sandbox is a demo exchange that implements the connector contract with
// a handful of realistic accounts. It checks signatures like a real
// backend, so the client is exercised end to end; `vigil serve --demo`
// and the tests serve it in-process.
type Sandbox struct {
	secret  []byte
	now     func() time.Time
	deliver func(SentCode) // nil: codes only go to the outbox

	mu        sync.Mutex // guards the fields below
	frozen    map[string]time.Time
	applied   map[string]AccountState // idempotency key → first answer
	outbox    []SentCode
	accounts  map[string]*sandboxAccount
	notices   []Notice
	noticeIDs map[string]string // idempotency key → notice id
}

// SentCode is a one-time code the sandbox "delivered"; a real exchange
// would push it to the app or send an email.
type SentCode struct {
	UID, Channel, Code, Language string
}

type sandboxAccount struct {
	Customer
	activity func(now time.Time) Activity
}

// NewSandbox returns the sandbox exchange with its demo accounts.
func NewSandbox(secret []byte, now func() time.Time) *Sandbox {
	s := &Sandbox{secret: secret, now: now, frozen: map[string]time.Time{}, applied: map[string]AccountState{}, noticeIDs: map[string]string{},
		accounts: map[string]*sandboxAccount{}}
	for _, a := range sandboxAccounts() {
		s.accounts[a.UID] = a
	}
	return s
}

// Outbox returns the codes delivered so far, oldest first.
func (s *Sandbox) Outbox() []SentCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentCode(nil), s.outbox...)
}

// Frozen reports whether the sandbox account is frozen.
func (s *Sandbox) Frozen(uid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.frozen[uid]
	return ok
}

// RoundTripper serves the sandbox without a network: requests the client
// makes go straight to the handler, through the same wire format.
func (s *Sandbox) RoundTripper() http.RoundTripper { return inProcess{s} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	t.h.ServeHTTP(rec, r)
	return &http.Response{StatusCode: rec.code, Status: http.StatusText(rec.code), Header: rec.header, Request: r,
		Body: io.NopCloser(strings.NewReader(rec.body.String())), ContentLength: int64(rec.body.Len()), Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1}, nil
}

type recorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

// ServeHTTP implements the contract. Paths are relative to the base URL,
// which may carry a prefix: everything up to "/v1/" is ignored.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "unreadable body")
		return
	}
	signed := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		signed += "?" + r.URL.RawQuery
	}
	if why := CheckSignature(s.secret, s.now(), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), r.Method, signed, body); why != "" {
		writeErr(w, http.StatusUnauthorized, "bad_signature", why)
		return
	}
	i := strings.Index(r.URL.Path, "/v1/")
	if i < 0 {
		writeErr(w, http.StatusNotFound, "not_found", "no such route")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path[i+len("/v1/"):], "/"), "/")
	switch {
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "customers":
		s.lookup(w, r)
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "affected":
		s.affected(w, r)
	case len(parts) == 3 && parts[0] == "customers":
		s.account(w, r, parts[1], parts[2], body)
	default:
		writeErr(w, http.StatusNotFound, "not_found", "no such route")
	}
}

func (s *Sandbox) lookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, a := range s.accounts {
		if (q.Get("uid") != "" && a.UID == q.Get("uid")) ||
			(q.Get("email") != "" && strings.EqualFold(a.Email, q.Get("email"))) ||
			(q.Get("phone") != "" && a.Phone == q.Get("phone")) {
			c := a.Customer
			c.Frozen = s.Frozen(a.UID)
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeErr(w, http.StatusNotFound, "customer_not_found", "no such customer")
}

func (s *Sandbox) account(w http.ResponseWriter, r *http.Request, uid, verb string, body []byte) {
	a, ok := s.accounts[uid]
	if !ok {
		writeErr(w, http.StatusNotFound, "customer_not_found", "no such customer")
		return
	}
	switch {
	case r.Method == "GET" && verb == "activity":
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 50 {
			limit = 10
		}
		act := a.activity(s.now())
		act.Deposits, act.Withdrawals = head(act.Deposits, limit), head(act.Withdrawals, limit)
		act.Orders, act.Logins = head(act.Orders, limit), head(act.Logins, limit)
		writeJSON(w, http.StatusOK, act)
	case r.Method == "POST" && verb == "notices":
		s.notify(w, r, uid, body)
	case r.Method == "POST" && (verb == "freeze" || verb == "unfreeze"):
		s.freeze(w, r, uid, verb == "freeze")
	case r.Method == "POST" && verb == "one-time-codes":
		var in CodeRequest
		if err := json.Unmarshal(body, &in); err != nil || len(in.Code) < 6 {
			writeErr(w, http.StatusUnprocessableEntity, "invalid", "channel and code are required")
			return
		}
		var dest string
		for _, ch := range a.Channels {
			if ch.Kind == in.Channel {
				dest = ch.Destination
			}
		}
		if dest == "" {
			writeErr(w, http.StatusUnprocessableEntity, "channel_not_registered", "the customer has no such channel")
			return
		}
		s.mu.Lock()
		sent := SentCode{UID: uid, Channel: in.Channel, Code: in.Code, Language: in.Language}
		s.outbox = append(s.outbox, sent)
		s.mu.Unlock()
		if s.deliver != nil {
			s.deliver(sent)
		}
		writeJSON(w, http.StatusOK, CodeSent{Channel: in.Channel, Destination: dest})
	default:
		writeErr(w, http.StatusNotFound, "not_found", "no such route")
	}
}

func (s *Sandbox) freeze(w http.ResponseWriter, r *http.Request, uid string, freeze bool) {
	key := r.Header.Get(HeaderIdemKey)
	if key == "" {
		writeErr(w, http.StatusBadRequest, "idempotency_key_required", "send an Idempotency-Key header")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.applied[key]; ok {
		writeJSON(w, http.StatusOK, st)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	if freeze {
		if _, ok := s.frozen[uid]; !ok {
			s.frozen[uid] = now
		}
	} else {
		delete(s.frozen, uid)
	}
	st := AccountState{UID: uid, Frozen: freeze, ChangeAt: now}
	s.applied[key] = st
	writeJSON(w, http.StatusOK, st)
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, c, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": c, "message": msg}})
}

// SandboxSecret is the shared secret of the in-process sandbox; it guards
// nothing real.
var SandboxSecret = []byte("sandbox-exchange-secret-not-for-production")

// NewSandboxClient returns a client wired to a fresh in-process sandbox;
// deliver, when set, is called with each code the sandbox delivers.
func NewSandboxClient(now func() time.Time, deliver func(SentCode)) (*Client, *Sandbox) {
	sb := NewSandbox(SandboxSecret, now)
	sb.deliver = deliver
	c, err := NewClient(ClientOptions{BaseURL: "http://sandbox.exchange.invalid", Secret: SandboxSecret,
		HTTP: &http.Client{Transport: sb.RoundTripper()}, Now: now, IsSandbox: true})
	if err != nil {
		panic(fmt.Sprintf("exchange: sandbox client: %v", err)) // constant options: cannot happen
	}
	return c, sb
}
