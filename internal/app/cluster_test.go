//go:build cluster

// The cluster test runs three `vigil serve` processes against one
// PostgreSQL database and one NATS server:
//
//	VIGIL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test VIGIL_TEST_NATS_URL=nats://127.0.0.1:4222 \
//	  go test -tags cluster -run Cluster -v ./internal/app/
package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// TestClusterOfThree: customers chat on instances A and C while the agent
// works on B; C is killed with SIGKILL mid-conversation and its customers
// reconnect to A. Every acknowledged message reaches the agent exactly
// once, in sequence order, every reply reaches its customer, nothing is
// stored twice, and each SLA warning fires once although three watchers
// (one of them killed) looked at the same deadlines.
func TestClusterOfThree(t *testing.T) {
	natsURL := os.Getenv("VIGIL_TEST_NATS_URL")
	if os.Getenv("VIGIL_TEST_DATABASE_URL") == "" || natsURL == "" {
		t.Skip("needs VIGIL_TEST_DATABASE_URL (PostgreSQL) and VIGIL_TEST_NATS_URL")
	}
	bin := buildServer(t)
	url := dbtest.URL(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})

	// The scene: a supervisor, and conversations whose SLA warnings fall
	// due a few seconds into the run.
	d, err := db.Open(ctx, db.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var at time.Time
	cfg := config.Defaults()
	cfg.DatabaseURL, cfg.DataDir = url, t.TempDir()
	scene, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), d, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	email, name, role, password := "ana@cluster.test", "Ana Cluster", agent.RoleSupervisor, "cluster password 2026"
	ana, err := scene.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := scene.Auth.SetPassword(ctx, ana.ID, password); err != nil {
		t.Fatal(err)
	}
	_, apiToken, err := scene.Auth.CreateToken(ctx, ana.ID, "cluster", []auth.Permission{auth.PermConversationRead, auth.PermConversationWrite}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scene.SLA.SavePolicy(ctx, sla.Policy{Name: "api", Enabled: true, Conditions: sla.Conditions{Channels: []string{"api"}},
		Targets: sla.Targets{FirstResponse: 2}, WarnBefore: 1}); err != nil {
		t.Fatal(err)
	}
	base := time.Now()
	custName := "SLA customer"
	slaCust, err := scene.Customers.Create(ctx, customer.Input{Name: &custName})
	if err != nil {
		t.Fatal(err)
	}
	var slaConvs []int64
	for i := range 5 {
		at = base.Add(time.Duration(2+i) * time.Second).Add(-time.Minute) // warnings at base+2s … base+6s
		c, _, err := scene.Tickets.Open(ctx, ticket.OpenInput{CustomerID: slaCust.ID, Channel: "api",
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: slaCust.ID, Body: "deadline"}})
		if err != nil {
			t.Fatal(err)
		}
		slaConvs = append(slaConvs, c.ID)
	}

	env := []string{"VIGIL_NATS_URL=" + natsURL, "VIGIL_TRUST_PROXY=true"}
	var procs [3]interface{ Signal(os.Signal) error }
	var benches [3]*chatBench
	for i := range 3 {
		cmd, addr := startServer(t, bin, t.TempDir(), url, env...)
		procs[i] = cmd.Process
		benches[i] = &chatBench{base: "http://" + addr, wsBase: "ws://" + addr, runID: randomHex(4), progress: io.Discard,
			began: time.Now(), client: &http.Client{Timeout: 10 * time.Second}}
	}
	A, B, C := benches[0], benches[1], benches[2]

	// The agent signs in on B and watches every conversation there.
	cookie, err := B.login(ctx, email, password, "172.16.0.1")
	if err != nil {
		t.Fatal(err)
	}
	const customers, perCustomer = 12, 20
	widgets, err := A.openWidgets(ctx, customers, 0)
	if err != nil {
		t.Fatal(err)
	}
	agentSaw := newThreads()
	actx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	agentWS, err := B.subscribe(actx, "/ws/console", http.Header{"Cookie": {"vigil_session=" + cookie}}, widgets, map[int64]int64{})
	if err != nil {
		t.Fatal(err)
	}
	go agentSaw.read(actx, agentWS)

	// Customers: half on A, half on C, each sending one message every
	// 100 ms and resending until acknowledged (same client id).
	var wg, sent sync.WaitGroup
	var moved atomic.Int32
	custSaw := make([]*threads, customers)
	for i, w := range widgets {
		custSaw[i] = newThreads()
		home := []*chatBench{A, C}[i%2]
		sent.Add(1)
		wg.Go(func() {
			if chatAsCustomer(ctx, w, i, perCustomer, []*chatBench{home, A}, custSaw[i], sent.Done) {
				moved.Add(1)
			}
		})
	}
	time.Sleep(time.Second)
	if err := procs[2].Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Log("instance C killed")
	sent.Wait()

	// API load across instances while C is gone: conversations opened
	// through the JSON API on A are read back on B at once.
	for i := range 20 {
		var made struct {
			Conversation struct {
				ID int64 `json:"id"`
			} `json:"conversation"`
		}
		apiCall(t, A, apiToken, "POST", "/api/v1/conversations", map[string]any{"customer_id": slaCust.ID, "channel": "api",
			"body": fmt.Sprintf("api conversation %d", i)}, &made)
		var got struct {
			Subject string `json:"subject"`
		}
		apiCall(t, B, apiToken, "GET", fmt.Sprintf("/api/v1/conversations/%d", made.Conversation.ID), nil, &got)
		if got.Subject != fmt.Sprintf("api conversation %d", i) {
			t.Errorf("conversation %d read on B: subject %q", made.Conversation.ID, got.Subject)
		}
	}

	// The agent answers each customer from B.
	for i, w := range widgets {
		f := fmt.Sprintf(`{"type":"send","conversation_id":%d,"client_id":"reply-%d","body":"agent reply %d"}`, w.conv, i, i)
		if err := agentWS.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(130 * time.Millisecond) // under the hub's frame limit
	}
	wg.Wait() // each customer has the reply, or gave up after 15 s
	if moved.Load() == 0 {
		t.Error("no customer had to move to another instance: the kill came too late to test anything")
	}
	t.Logf("%d customers moved from the killed instance to another", moved.Load())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && agentSaw.total() < customers*(perCustomer+1) {
		time.Sleep(100 * time.Millisecond)
	}

	for i, w := range widgets {
		got := agentSaw.of(w.conv)
		// Seqs run 2, 3, … without gap or repeat (1 is the opening message,
		// sent before the agent subscribed).
		for k, m := range got {
			if m.seq != int64(k+2) {
				t.Errorf("conversation %d: agent got seq %d at position %d (%v)", w.conv, m.seq, k, seqs(got))
				break
			}
		}
		for k := range perCustomer {
			body := fmt.Sprintf("customer %d message %d", i, k)
			if n := countBody(got, body); n != 1 {
				t.Errorf("conversation %d: the agent got %q %d times", w.conv, body, n)
			}
		}
		if n := countBody(custSaw[i].of(w.conv), fmt.Sprintf("agent reply %d", i)); n != 1 {
			t.Errorf("customer %d got the agent's reply %d times", i, n)
		}
		var stored int
		if err := d.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE conversation_id = $1`, w.conv).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if want := 1 + perCustomer + 1; stored != want {
			t.Errorf("conversation %d: %d messages stored, want %d", w.conv, stored, want)
		}
	}
	// SLA warnings: all due by now, each fired once.
	sleepUntil(base.Add(8 * time.Second))
	for _, id := range slaConvs {
		var n int
		if err := d.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM sla_events WHERE conversation_id = $1 AND stage = 'warning'`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("conversation %d: %d SLA warnings, want exactly 1", id, n)
		}
	}
	_ = procs[0].Signal(syscall.SIGTERM)
	_ = procs[1].Signal(syscall.SIGTERM)
}

// chatAsCustomer sends perCustomer messages over the widget socket of the
// first instance in homes that answers, resending a message until it is
// acknowledged and resuming the thread after the last seq it saw when it
// has to move to another instance. It reports whether it moved.
func chatAsCustomer(ctx context.Context, w *widget, i, perCustomer int, homes []*chatBench, saw *threads, sent func()) (moved bool) {
	var (
		ws    *websocket.Conn
		acks  chan string
		where int
	)
	connect := func() {
		for ws == nil {
			cb := homes[where%len(homes)]
			c, err := cb.subscribe(ctx, "/ws/widget?token="+w.token, nil, []*widget{w}, map[int64]int64{w.conv: saw.last(w.conv)})
			if err != nil {
				where++
				time.Sleep(100 * time.Millisecond)
				continue
			}
			ws, acks = c, make(chan string, 64)
			go saw.readAcks(ctx, c, acks)
		}
	}
	for k := range perCustomer {
		id := fmt.Sprintf("c%d-%d", i, k)
		f := fmt.Sprintf(`{"type":"send","conversation_id":%d,"client_id":%q,"body":"customer %d message %d"}`, w.conv, id, i, k)
		for acked := false; !acked; {
			connect()
			if err := ws.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
				ws.CloseNow()
				ws, where = nil, where+1
				continue
			}
			timeout := time.After(3 * time.Second)
			for waiting := true; waiting; {
				select {
				case got, ok := <-acks:
					if !ok { // the connection died
						ws.CloseNow()
						ws, where, waiting = nil, where+1, false
					} else if got == id {
						acked, waiting = true, false
					}
				case <-timeout:
					ws.CloseNow()
					ws, where, waiting = nil, where+1, false
				}
			}
		}
		time.Sleep(150 * time.Millisecond) // under the hub's 10 frames a second
	}
	sent()
	// Stay connected for the agent's reply.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && countBody(saw.of(w.conv), fmt.Sprintf("agent reply %d", i)) == 0 {
		connect()
		time.Sleep(100 * time.Millisecond)
	}
	if ws != nil {
		ws.Close(websocket.StatusNormalClosure, "")
	}
	return where > 0
}

type seen struct {
	seq  int64
	body string
}

// threads records the message frames one client received, per
// conversation, dropping repeats of a seq it already has (as the widget
// and console do) but counting them.
type threads struct {
	mu      sync.Mutex
	byConv  map[int64][]seen
	repeats int
}

func newThreads() *threads { return &threads{byConv: map[int64][]seen{}} }

func (th *threads) add(conv, seq int64, body string) {
	th.mu.Lock()
	defer th.mu.Unlock()
	ms := th.byConv[conv]
	if len(ms) > 0 && seq <= ms[len(ms)-1].seq {
		th.repeats++
		return
	}
	th.byConv[conv] = append(ms, seen{seq, body})
}

func (th *threads) of(conv int64) []seen {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]seen(nil), th.byConv[conv]...)
}

func (th *threads) last(conv int64) int64 {
	th.mu.Lock()
	defer th.mu.Unlock()
	if ms := th.byConv[conv]; len(ms) > 0 {
		return ms[len(ms)-1].seq
	}
	return 0
}

func (th *threads) total() int {
	th.mu.Lock()
	defer th.mu.Unlock()
	n := 0
	for _, ms := range th.byConv {
		n += len(ms)
	}
	return n
}

func (th *threads) handle(data []byte) (ackID string) {
	switch {
	case bytes.HasPrefix(data, []byte(`{"type":"message"`)):
		var f struct {
			Message struct {
				ConversationID int64  `json:"conversation_id"`
				Seq            int64  `json:"seq"`
				Body           string `json:"body"`
			} `json:"message"`
		}
		if json.Unmarshal(data, &f) == nil {
			th.add(f.Message.ConversationID, f.Message.Seq, f.Message.Body)
		}
	case bytes.HasPrefix(data, []byte(`{"type":"ack"`)):
		var f struct {
			ClientID string `json:"client_id"`
		}
		if json.Unmarshal(data, &f) == nil {
			return f.ClientID
		}
	}
	return ""
}

func (th *threads) read(ctx context.Context, ws *websocket.Conn) {
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		th.handle(data)
	}
}

func (th *threads) readAcks(ctx context.Context, ws *websocket.Conn, acks chan<- string) {
	defer close(acks)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if id := th.handle(data); id != "" {
			select {
			case acks <- id:
			default:
			}
		}
	}
}

func countBody(ms []seen, body string) int {
	n := 0
	for _, m := range ms {
		if m.body == body {
			n++
		}
	}
	return n
}

func seqs(ms []seen) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.seq
	}
	return out
}

// apiCall sends a JSON API request with a bearer token to one instance and
// decodes the answer, failing on an error status.
func apiCall(t *testing.T, cb *chatBench, token, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, cb.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := cb.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s on %s: %s %s", method, path, cb.base, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}
