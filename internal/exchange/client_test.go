package exchange

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/apperr"
)

var t0 = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// sandboxOverHTTP serves the sandbox on a real listener, so the signature
// is checked on what actually crossed the wire (base path included).
func sandboxOverHTTP(t *testing.T, now func() time.Time) (*Client, *Sandbox) {
	t.Helper()
	sb := NewSandbox(SandboxSecret, now)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := NewClient(ClientOptions{BaseURL: srv.URL + "/vigil", Secret: SandboxSecret, Now: now, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb
}

func TestSandboxContract(t *testing.T) {
	now := func() time.Time { return t0 }
	c, sb := sandboxOverHTTP(t, now)
	ctx := context.Background()
	for _, q := range []Query{{UID: "U10000001"}, {Email: "ALICE@example.com"}, {Phone: "+6591234567"}} {
		cu, err := c.Lookup(ctx, q)
		if err != nil {
			t.Fatalf("lookup %+v: %v", q, err)
		}
		if cu.UID != "U10000001" || cu.KYCLevel != 2 || cu.VIPTier != 3 || cu.AntiPhishingCode == "" || len(cu.Channels) != 2 {
			t.Errorf("lookup %+v = %+v", q, cu)
		}
	}
	if _, err := c.Lookup(ctx, Query{UID: "U999"}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown customer: %v, want not found", err)
	}
	act, err := c.Activity(ctx, "U10000001", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(act.Withdrawals) != 1 || act.Withdrawals[0].Status != "confirming" || act.Withdrawals[0].Confirmations != 12 ||
		act.Withdrawals[0].TxID == "" || act.Withdrawals[0].Network != "TRC20" {
		t.Errorf("withdrawals (limit 1) = %+v", act.Withdrawals)
	}
	if len(act.Logins) != 1 || act.Logins[0].Country != "RU" || !act.Logins[0].New || act.Logins[0].Device == "" {
		t.Errorf("logins = %+v", act.Logins)
	}
	if !act.Withdrawals[0].CreatedAt.Equal(t0.Add(-38 * time.Minute)) {
		t.Errorf("activity is not placed relative to the clock: %v", act.Withdrawals[0].CreatedAt)
	}

	req := FreezeRequest{UID: "U10000001", Reason: "I did not log in", RequestedBy: "customer", Key: "freeze-1"}
	st, err := c.Freeze(ctx, req)
	if err != nil || !st.Frozen || !sb.Frozen("U10000001") {
		t.Fatalf("freeze = %+v, %v; frozen %v", st, err, sb.Frozen("U10000001"))
	}
	if cu, _ := c.Lookup(ctx, Query{UID: "U10000001"}); !cu.Frozen {
		t.Error("lookup after freeze does not say frozen")
	}
	if _, err := c.Unfreeze(ctx, FreezeRequest{UID: "U10000001", Key: "unfreeze-1"}); err != nil || sb.Frozen("U10000001") {
		t.Fatalf("unfreeze: %v", err)
	}
	// The same key again is the same operation, not a second freeze.
	if st, err := c.Freeze(ctx, req); err != nil || !st.Frozen || sb.Frozen("U10000001") {
		t.Errorf("replayed freeze key froze again: %+v %v frozen=%v", st, err, sb.Frozen("U10000001"))
	}
	if _, err := c.Freeze(ctx, FreezeRequest{UID: "U10000001"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("freeze without key: %v", err)
	}

	sent, err := c.SendCode(ctx, CodeRequest{UID: "U10000002", Channel: "device", Code: "493817", Language: "zh", Purpose: "verify_chat"})
	if err != nil || sent.Destination == "" {
		t.Fatalf("send code = %+v, %v", sent, err)
	}
	if out := sb.Outbox(); len(out) != 1 || out[0].Code != "493817" || out[0].Language != "zh" {
		t.Errorf("outbox = %+v", out)
	}
	if _, err := c.SendCode(ctx, CodeRequest{UID: "U10000004", Channel: "device", Code: "111111"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("code to an unregistered channel: %v, want invalid", err)
	}
}

func TestInProcessSandbox(t *testing.T) {
	c, _ := NewSandboxClient(func() time.Time { return t0 }, nil)
	if !c.Sandbox() {
		t.Error("sandbox client does not say sandbox")
	}
	if cu, err := c.Lookup(context.Background(), Query{UID: "U10000003"}); err != nil || cu.VIPTier != 7 {
		t.Errorf("in-process lookup = %+v, %v", cu, err)
	}
}

func TestSignatureChecks(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	sig := Sign(secret, t0.Unix(), "POST", "/v1/customers/U1/freeze", []byte(`{"reason":"x"}`))
	ok := func(ts int64, s, method, path, body string) string {
		return CheckSignature(secret, t0, itoa(ts), s, method, path, []byte(body))
	}
	if why := ok(t0.Unix(), sig, "POST", "/v1/customers/U1/freeze", `{"reason":"x"}`); why != "" {
		t.Fatalf("good signature refused: %s", why)
	}
	for name, why := range map[string]string{
		"other body":   ok(t0.Unix(), sig, "POST", "/v1/customers/U1/freeze", `{"reason":"y"}`),
		"other path":   ok(t0.Unix(), sig, "POST", "/v1/customers/U2/freeze", `{"reason":"x"}`),
		"other method": ok(t0.Unix(), sig, "GET", "/v1/customers/U1/freeze", `{"reason":"x"}`),
		"other time":   ok(t0.Unix()+1, sig, "POST", "/v1/customers/U1/freeze", `{"reason":"x"}`),
		"replayed late": CheckSignature(secret, t0.Add(ReplayWindow+time.Second), itoa(t0.Unix()), sig, "POST",
			"/v1/customers/U1/freeze", []byte(`{"reason":"x"}`)),
		"no timestamp": CheckSignature(secret, t0, "", sig, "POST", "/v1/customers/U1/freeze", []byte(`{"reason":"x"}`)),
	} {
		if why == "" {
			t.Errorf("%s: accepted", name)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// standIn answers with the given statuses in turn, then 200 with body.
func standIn(t *testing.T, statuses []int, delay time.Duration, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(hits.Add(1))
		if r.Header.Get(HeaderSignature) == "" || r.Header.Get(HeaderTimestamp) == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if n <= len(statuses) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(statuses[n-1])
			_, _ = w.Write([]byte(`{"error":{"code":"upstream","message":"database is down"}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func client(t *testing.T, url string, o ClientOptions) *Client {
	t.Helper()
	o.BaseURL, o.Secret = url, []byte("stand-in-secret-0123456789")
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetriesOnlyIdempotentCalls(t *testing.T) {
	ctx := context.Background()
	srv, hits := standIn(t, []int{502, 503}, 0, `{"uid":"U1","kyc_level":2}`)
	c := client(t, srv.URL, ClientOptions{Retries: 2})
	cu, err := c.Lookup(ctx, Query{UID: "U1"})
	if err != nil || cu.KYCLevel != 2 || hits.Load() != 3 {
		t.Fatalf("lookup after two 5xx = %+v, %v after %d requests; want success after 3", cu, err, hits.Load())
	}

	srv, hits = standIn(t, []int{503}, 0, `{"channel":"device","destination":"x"}`)
	c = client(t, srv.URL, ClientOptions{Retries: 2})
	_, err = c.SendCode(ctx, CodeRequest{UID: "U1", Channel: "device", Code: "123456"})
	if !apperr.Is(err, apperr.Unavailable) || hits.Load() != 1 {
		t.Errorf("send code after a 503: %v after %d requests; want unavailable after exactly 1", err, hits.Load())
	}

	srv, hits = standIn(t, []int{500}, 0, `{"uid":"U1","frozen":true}`)
	c = client(t, srv.URL, ClientOptions{Retries: 2})
	st, err := c.Freeze(ctx, FreezeRequest{UID: "U1", Key: "k1"})
	if err != nil || !st.Frozen || hits.Load() != 2 {
		t.Errorf("freeze (idempotent by key) after a 500 = %+v, %v after %d requests", st, err, hits.Load())
	}

	srv, hits = standIn(t, []int{404}, 0, `{}`)
	c = client(t, srv.URL, ClientOptions{Retries: 2})
	if _, err := c.Lookup(ctx, Query{Email: "x@example.com"}); !apperr.Is(err, apperr.NotFound) || hits.Load() != 1 {
		t.Errorf("404: %v after %d requests; want not found, no retry", err, hits.Load())
	}
}

func TestTimeout(t *testing.T) {
	srv, hits := standIn(t, nil, 2*time.Second, `{"uid":"U1"}`)
	c := client(t, srv.URL, ClientOptions{Timeout: 50 * time.Millisecond, Retries: 1})
	start := time.Now()
	_, err := c.Lookup(context.Background(), Query{UID: "U1"})
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("slow exchange: %v, want unavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("two attempts of 50ms took %v", d)
	}
	if hits.Load() != 2 {
		t.Errorf("attempts = %d, want 2", hits.Load())
	}
}

func TestBadSignature(t *testing.T) {
	sb := NewSandbox([]byte("the-exchange-has-another-secret"), func() time.Time { return t0 })
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); sb.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c := client(t, srv.URL, ClientOptions{Now: func() time.Time { return t0 }})
	_, err := c.Lookup(context.Background(), Query{UID: "U10000001"})
	if e, ok := apperr.As(err); !ok || e.Code != "exchange.rejected" {
		t.Fatalf("wrong secret: %v, want exchange.rejected", err)
	}
	if hits.Load() != 1 {
		t.Errorf("a refused signature was retried: %d requests", hits.Load())
	}
	// The right secret but a clock ten minutes off is refused too.
	c2, _ := NewClient(ClientOptions{BaseURL: srv.URL, Secret: []byte("the-exchange-has-another-secret"),
		Now: func() time.Time { return t0.Add(-10 * time.Minute) }})
	if _, err := c2.Lookup(context.Background(), Query{UID: "U10000001"}); err == nil {
		t.Error("a request outside the replay window was accepted")
	}
}

func TestCircuitBreaker(t *testing.T) {
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	srv, hits := standIn(t, []int{500, 500, 500, 500}, 0, `{"uid":"U1"}`)
	c := client(t, srv.URL, ClientOptions{Retries: -1, BreakAfter: 3, Cooldown: 10 * time.Second, Now: now})
	ctx := context.Background()
	for range 3 {
		if _, err := c.Lookup(ctx, Query{UID: "U1"}); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("failing exchange: %v", err)
		}
	}
	_, err := c.Lookup(ctx, Query{UID: "U1"})
	if e, ok := apperr.As(err); !ok || e.Code != "exchange.circuit_open" || hits.Load() != 3 {
		t.Fatalf("after 3 failures: %v with %d requests; want circuit open without a request", err, hits.Load())
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	// Half-open: one trial goes through; it fails (4th 500) and reopens.
	if _, err := c.Lookup(ctx, Query{UID: "U1"}); err == nil || hits.Load() != 4 {
		t.Fatalf("trial call: %v, %d requests", err, hits.Load())
	}
	if _, err := c.Lookup(ctx, Query{UID: "U1"}); hits.Load() != 4 {
		t.Fatalf("reopened circuit let a call through: %v", err)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second)
	mu.Unlock()
	if _, err := c.Lookup(ctx, Query{UID: "U1"}); err != nil {
		t.Fatalf("recovered exchange: %v", err)
	}
	if _, err := c.Lookup(ctx, Query{UID: "U1"}); err != nil || hits.Load() != 6 {
		t.Fatalf("closed circuit: %v, %d requests", err, hits.Load())
	}
}
