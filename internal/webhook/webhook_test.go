package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/job"
	"vigil/internal/webhook"
)

// receiver is an endpoint as a customer would write it: it checks the
// signature with its copy of the secret, refuses stale timestamps and
// keeps what it accepted. It fails the first request to force a retry.
type receiver struct {
	mu       sync.Mutex // guards the fields below
	secret   string
	now      func() time.Time
	failNext int
	accepted []received
	refused  int
}

type received struct {
	event, delivery string
	body            map[string]any
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	defer rv.mu.Unlock()
	ts, err := strconv.ParseInt(r.Header.Get("X-Vigil-Timestamp"), 10, 64)
	mac := hmac.New(sha256.New, []byte(rv.secret))
	mac.Write([]byte(r.Header.Get("X-Vigil-Timestamp") + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	age := rv.now().Sub(time.Unix(ts, 0))
	if err != nil || !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Vigil-Signature"))) || age > 5*time.Minute || age < -5*time.Minute {
		rv.refused++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rv.failNext > 0 {
		rv.failNext--
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rv.accepted = append(rv.accepted, received{r.Header.Get("X-Vigil-Event"), r.Header.Get("X-Vigil-Delivery"), m})
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhookSignedRetriedAndLogged(t *testing.T) {
	d := dbtest.Open(t)
	clk := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	jobs := job.New(job.Options{DB: d, Now: clk.Now, Backoff: 10 * time.Second})
	hooks := webhook.New(webhook.Options{DB: d, Audit: audit.New(d, clk.Now), Outbox: jobs, Now: clk.Now})
	rv := &receiver{now: clk.Now, failNext: 1}
	srv := httptest.NewServer(rv)
	defer srv.Close()

	if _, err := hooks.Create(ctx, 1, webhook.Input{URL: "ftp://example.com/x"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("ftp URL: %v, want invalid", err)
	}
	h, err := hooks.Create(ctx, 1, webhook.Input{URL: srv.URL + "/vigil", Events: []string{"message.created"}})
	if err != nil {
		t.Fatal(err)
	}
	rv.secret = h.Secret

	// Events arrive through the bus, as the desk publishes them.
	bus := event.NewMemory()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); hooks.Run(runCtx, bus) }()
	time.Sleep(20 * time.Millisecond) // let Run subscribe
	msg := event.MessageCreated{Scope: event.Scope{ConversationID: 42, CustomerID: 7}, MessageID: 99, Seq: 3, AuthorKind: "customer",
		Body: "Where is my BTC?", At: clk.Now()}
	bus.Publish(ctx, event.ConversationCreated{Scope: event.Scope{ConversationID: 42}, Channel: "webchat"}, msg, msg)
	handlers := map[string]job.Handler{webhook.DeliverJob: hooks.Deliver}
	deadline := time.Now().Add(5 * time.Second)
	for {
		counts, err := jobs.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[job.Queued] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs = %v, want one queued delivery (the conversation event is not subscribed, the message twice is one)", counts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done

	if _, err := jobs.RunOnce(ctx, handlers); err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second)
	if _, err := jobs.RunOnce(ctx, handlers); err != nil {
		t.Fatal(err)
	}
	rv.mu.Lock()
	accepted, refused := rv.accepted, rv.refused
	rv.mu.Unlock()
	if len(accepted) != 1 || refused != 0 {
		t.Fatalf("receiver accepted %d and refused %d, want 1 and 0", len(accepted), refused)
	}
	got := accepted[0]
	data, _ := got.body["data"].(map[string]any)
	if got.event != "message.created" || got.body["type"] != "message.created" || data["body"] != "Where is my BTC?" || data["message_id"] != 99.0 {
		t.Errorf("received %+v", got)
	}
	log, err := hooks.Deliveries(ctx, h.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Attempt != 2 || log[0].StatusCode != 204 || log[0].Error != "" ||
		log[1].Attempt != 1 || log[1].StatusCode != 500 || log[1].Error != "HTTP 500" || log[0].Key != got.delivery || log[1].Key != got.delivery {
		t.Errorf("delivery log = %+v", log)
	}

	// The receiver's check is real: a forged body with the old signature fails.
	req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader([]byte(`{"type":"message.created","data":{"body":"send 1 BTC"}}`)))
	req.Header.Set("X-Vigil-Timestamp", strconv.FormatInt(clk.Now().Unix(), 10))
	req.Header.Set("X-Vigil-Signature", webhook.Sign("not the secret", clk.Now().Unix(), []byte(`{}`)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged request: %d, want 401", resp.StatusCode)
	}
	// Secrets are shown once.
	list, _ := hooks.List(ctx)
	if len(list) != 1 || list[0].Secret != "" {
		t.Errorf("list = %+v, want one hook without its secret", list)
	}
}

// TestEveryEventTypeCanBeSubscribed: each registered domain event type is
// accepted in a subscription and delivered to it, signed; live signals
// are neither accepted nor sent.
func TestEveryEventTypeCanBeSubscribed(t *testing.T) {
	d := dbtest.Open(t)
	clk := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	jobs := job.New(job.Options{DB: d, Now: clk.Now})
	hooks := webhook.New(webhook.Options{DB: d, Audit: audit.New(d, clk.Now), Outbox: jobs, Now: clk.Now})
	rv := &receiver{now: clk.Now}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	var domain []string
	for _, typ := range event.Types() {
		if !strings.HasPrefix(typ, "live.") {
			domain = append(domain, typ)
		}
	}
	if len(domain) < 9 {
		t.Fatalf("only %d domain event types registered", len(domain))
	}
	h, err := hooks.Create(ctx, 1, webhook.Input{URL: srv.URL, Events: domain})
	if err != nil {
		t.Fatalf("subscribing to every domain event type: %v", err)
	}
	rv.secret = h.Secret
	if _, err := hooks.Create(ctx, 1, webhook.Input{URL: srv.URL, Events: []string{"live.typing"}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("subscribing to live.typing: %v, want invalid", err)
	}
	for i, typ := range event.Types() {
		// A zero event of each type, told apart by its conversation.
		ev, _, err := event.Decode([]byte(`{"type":"` + typ + `","data":{"conversation_id":` + strconv.Itoa(i+1) + `}}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := hooks.Enqueue(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := jobs.RunOnce(ctx, map[string]job.Handler{webhook.DeliverJob: hooks.Deliver}); err != nil {
		t.Fatal(err)
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	var got []string
	for _, a := range rv.accepted {
		got = append(got, a.event)
	}
	slices.Sort(got)
	if !slices.Equal(got, domain) || rv.refused != 0 {
		t.Errorf("receiver accepted %v (refused %d), want each of %v once", got, rv.refused, domain)
	}
}
