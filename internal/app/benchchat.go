package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/config"
	"vigil/internal/realtime"
)

// ChatResult is what bench chat measured. Latencies run from a customer's
// send frame to the agent's receipt of the message frame, which the hub
// only sends after the message has committed.
type ChatResult struct {
	Target              string  `json:"target"`
	Database            string  `json:"database,omitempty"`
	Sessions            string  `json:"sessions"`
	Customers           int     `json:"customers"`
	Agents              int     `json:"agents"`
	MessagesPerCustomer int     `json:"messages_per_customer"`
	OfferedPerSecond    float64 `json:"offered_per_second"`
	Sent                int     `json:"sent"`
	Acked               int     `json:"acked"`
	SendErrors          int     `json:"send_errors"`
	Received            int     `json:"received"`
	Lost                int     `json:"lost"`       // acked but never received by the agent
	Duplicated          int     `json:"duplicated"` // a seq received twice
	Seconds             float64 `json:"seconds"`
	PersistedPerSecond  float64 `json:"persisted_per_second"`
	P50Millis           float64 `json:"p50_ms"`
	P99Millis           float64 `json:"p99_ms"`
	MaxMillis           float64 `json:"max_ms"`
	AckP50Millis        float64 `json:"ack_p50_ms"`
	AckP99Millis        float64 `json:"ack_p99_ms"`
	// CPUMicros is this process's CPU time (user and system) per persisted
	// message during the measured phase: with an in-process server it is
	// server and clients together. On a shared machine it moves less than
	// wall-clock figures do.
	CPUMicros float64 `json:"cpu_us_per_message"`
	// ServerCPUMicros is the remote server's CPU per persisted message,
	// from its process_cpu_seconds_total (--url only).
	ServerCPUMicros float64         `json:"server_cpu_us_per_message,omitempty"`
	LoadAvg         string          `json:"loadavg"` // /proc/loadavg when the phase ended
	Reconnects      int             `json:"agent_reconnects"`
	Hub             *realtime.Stats `json:"hub,omitempty"`
	Idle            *IdleResult     `json:"idle,omitempty"`
	Notes           []string        `json:"notes,omitempty"`
}

// chatOptions are bench chat's flags.
type chatOptions struct {
	customers, agents, messages, idle int
	rate                              float64
	hold                              time.Duration
	url, agentEmail, cpuProfile       string
	trace                             string
	memProfile                        string
}

// The hub allows 10 inbound frames a second per connection after a burst
// of 20; the bench stays under it so it measures delivery, not refusals.
const (
	framesBurst    = 15
	framesInterval = 125 * time.Millisecond
)

func cmdBenchChat(ctx context.Context, args []string, std IO) error {
	fs := flag.NewFlagSet("bench chat", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	var o chatOptions
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	fs.IntVar(&o.customers, "customers", 2000, "concurrent customers, each on its own widget WebSocket")
	fs.IntVar(&o.agents, "agents", 100, "agent consoles; each subscribes to its share of the conversations")
	fs.IntVar(&o.messages, "messages", 10, "messages each customer sends")
	fs.Float64Var(&o.rate, "rate", 5000, "messages a second offered by all customers together")
	fs.IntVar(&o.idle, "idle", 0, "then connect this many idle widgets and report server memory per connection")
	fs.DurationVar(&o.hold, "hold", 0, "keep the idle widgets connected this long after measuring (to stack several bench processes on one server)")
	fs.StringVar(&o.url, "url", "", "a running server (http://host:port) instead of an in-process one; several, comma-separated, "+
		"spread customers and agents over instances (agents on another instance than their customers)")
	fs.StringVar(&o.agentEmail, "agent-email", "", "with --url: a supervisor or agent to sign in as (password in VIGIL_BENCH_PASSWORD)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured message phase to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a profile of the memory allocated in the process to this file after the message phase (go tool pprof -sample_index=alloc_space)")
	fs.StringVar(&o.trace, "trace", "", "write an execution trace of the measured message phase to this file (go tool trace)")
	cfg, err := config.Load(fs, args, func(k string) string {
		if k == "VIGIL_DATA_DIR" || k == "VIGIL_ADDR" {
			return "" // the in-process server uses its own scratch directory and port
		}
		return std.Getenv(k)
	})
	if err != nil {
		return err
	}
	if o.customers < 0 || o.agents < 1 || o.messages < 1 || o.idle < 0 || (o.customers == 0 && o.idle == 0) {
		return errors.New("bench chat: need --agents ≥ 1, --messages ≥ 1, and some --customers or --idle")
	}
	var notes []string
	fds := o.customers + o.agents + o.idle + 256
	if o.url == "" {
		fds *= 2 // both ends of every connection live in this process
	}
	if note, err := raiseFileLimit(uint64(fds)); err != nil {
		return err
	} else if note != "" {
		notes = append(notes, note)
	}
	cb := &chatBench{runID: randomHex(4), progress: std.Stderr, began: time.Now(), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}}
	res := ChatResult{Target: "in-process", Customers: o.customers,
		Sessions: "POST /widget/api/session over HTTP with visitor ids, one X-Forwarded-For address per customer"}
	if o.customers > 0 {
		res.Agents, res.MessagesPerCustomer = o.agents, o.messages
	}
	if o.url == "" {
		dir, err := os.MkdirTemp("", "vigil-bench-chat-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		// Trusting X-Forwarded-For gives each simulated customer its own
		// address, so the per-address session limiter acts as it would
		// for real visitors.
		cfg.DataDir, cfg.LogLevel, cfg.TrustProxy = dir, "error", true
		a, err := Open(ctx, cfg, newLogger(cfg, io.Discard))
		if err != nil {
			return err
		}
		defer a.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sctx, stop := context.WithCancel(ctx)
		served := make(chan struct{})
		go func() { defer close(served); _ = a.Serve(sctx, ln) }()
		defer func() {
			cb.logf("stopping the server")
			stop()
			<-served
		}()
		cb.app, cb.base, res.Database = a, "http://"+ln.Addr().String(), string(a.DB.Dialect)
		res.Sessions += " (the in-process server trusts it)"
	} else {
		for _, u := range strings.Split(o.url, ",") {
			cb.bases = append(cb.bases, strings.TrimRight(strings.TrimSpace(u), "/"))
		}
		cb.base, res.Target = cb.bases[0], o.url
		res.Sessions += " (start the server with VIGIL_TRUST_PROXY=true)"
	}
	if cb.bases == nil {
		cb.bases = []string{cb.base}
	}
	cb.wsBase = "ws" + strings.TrimPrefix(cb.base, "http")
	if o.customers > 0 {
		if err := cb.messages(systemCtx(ctx), o, &res); err != nil {
			return err
		}
	}
	if o.idle > 0 {
		idle, err := cb.idleWidgets(ctx, o.idle, o.hold)
		if err != nil {
			return err
		}
		res.Idle = &idle
	}
	res.Notes = append(notes, res.Notes...)
	if *asJSON {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printChat(std.Stdout, res)
	return nil
}

// chatBench holds what the phases share.
type chatBench struct {
	base, wsBase string
	// bases are every instance when several were given; widget i connects
	// to bases[i%n] and agent console j to bases[(j+1)%n].
	bases    []string
	runID    string
	client   *http.Client
	progress io.Writer // stderr: what the bench is doing, for long runs
	began    time.Time
	app      *App // nil when the server runs elsewhere
}

// logf reports progress on stderr; setting up 2,000 customers takes a while.
func (cb *chatBench) logf(format string, args ...any) {
	fmt.Fprintf(cb.progress, "%6.1fs  %s\n", time.Since(cb.began).Seconds(), fmt.Sprintf(format, args...))
}

// widget is one simulated customer with an open conversation.
type widget struct {
	token   string
	conv    int64
	lastSeq int64
	ws      *websocket.Conn
}

// chatRun is the shared state of the measured phase. Times are
// nanoseconds since start plus one, so zero means "not yet".
type chatRun struct {
	start                 time.Time
	sentAt, ackAt, recvAt []atomic.Int64
	recvN                 []atomic.Int32
	sent, acked, errs     atomic.Int64
	received, dups        atomic.Int64
	reconnects            atomic.Int64
	mu                    sync.Mutex // guards codes
	codes                 map[string]int
}

func (r *chatRun) now() int64 { return int64(time.Since(r.start)) + 1 }

// messages runs the measured phase: customers send, agents receive.
func (cb *chatBench) messages(ctx context.Context, o chatOptions, res *ChatResult) error {
	cookies, err := cb.signInAgents(ctx, o)
	if err != nil {
		return err
	}
	cb.logf("%d agents signed in", o.agents)
	widgets, err := cb.openWidgets(ctx, o.customers, 0)
	if err != nil {
		return err
	}
	cb.logf("%d customers have a session and a conversation", o.customers)
	if err := cb.connectWidgets(ctx, widgets); err != nil {
		return err
	}
	cb.logf("%d widgets connected and subscribed", o.customers)
	defer closeAll(widgets)
	n := o.customers * o.messages
	run := &chatRun{sentAt: make([]atomic.Int64, n), ackAt: make([]atomic.Int64, n), recvAt: make([]atomic.Int64, n),
		recvN: make([]atomic.Int32, n), codes: map[string]int{}, start: time.Now()}
	actx, stopAgents := context.WithCancel(ctx)
	defer stopAgents()
	var agents sync.WaitGroup
	ready := make(chan error, o.agents)
	for i := range o.agents {
		var convs []*widget
		for j := i; j < len(widgets); j += o.agents {
			convs = append(convs, widgets[j])
		}
		agents.Go(func() { cb.agentConsole(actx, cb.ws(i+1), cookies[i%len(cookies)], convs, run, ready) })
	}
	for range o.agents {
		if err := <-ready; err != nil {
			return fmt.Errorf("bench chat: agent console: %w", err)
		}
	}
	cb.logf("%d agent consoles connected and subscribed", o.agents)
	interval := time.Duration(float64(o.customers) / o.rate * float64(time.Second))
	if interval < framesInterval {
		interval = framesInterval
		res.Notes = append(res.Notes, fmt.Sprintf("offered rate capped at %d customers × 8/s: the hub accepts 10 frames a second per connection", o.customers))
	}
	res.OfferedPerSecond = float64(o.customers) / interval.Seconds()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	cpu0, server0 := cpuTime(), cb.serverCPU(ctx)
	begin := time.Now()
	var readers, senders sync.WaitGroup
	for i, w := range widgets {
		readers.Go(func() { customerReader(ctx, w, i, o.messages, run) })
	}
	for i, w := range widgets {
		senders.Go(func() {
			// Customers start spread over one interval, then send on a
			// fixed schedule whatever the server does (an open loop).
			first := time.Duration(int64(interval) * int64(i) / int64(len(widgets)))
			for k := range o.messages {
				idx := i*o.messages + k
				time.Sleep(time.Until(begin.Add(first + time.Duration(k)*interval)))
				f := fmt.Appendf(nil, `{"type":"send","conversation_id":%d,"client_id":"b%d","body":"bench %d: my withdrawal of 0.5 BTC has been pending for an hour"}`,
					w.conv, idx, idx)
				run.sentAt[idx].Store(run.now())
				run.sent.Add(1)
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := w.ws.Write(wctx, websocket.MessageText, f)
				cancel()
				if err != nil {
					run.errs.Add(1)
				}
			}
		})
	}
	senders.Wait()
	cb.logf("%d messages sent", run.sent.Load())
	// Wait for every ack and delivery, or for ten seconds without progress.
	last, progress := int64(-1), time.Now()
	for time.Since(progress) < 10*time.Second {
		got := run.received.Load() + run.acked.Load() + run.errs.Load()
		if run.acked.Load()+run.errs.Load() >= run.sent.Load() && run.received.Load() >= run.acked.Load() {
			break
		}
		if got != last {
			last, progress = got, time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if o.trace != "" {
		trace.Stop()
	}
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return err
		}
	}
	cpu, server := cpuTime()-cpu0, cb.serverCPU(ctx)-server0
	res.LoadAvg = loadAvg()
	stopAgents()
	agents.Wait()
	closeAll(widgets)
	readers.Wait()
	cb.logf("all acks and deliveries in (or given up)")
	cb.summarise(run, res)
	if res.Acked > 0 {
		res.CPUMicros = float64(cpu.Microseconds()) / float64(res.Acked)
		if cb.app == nil {
			res.ServerCPUMicros = float64(server.Microseconds()) / float64(res.Acked)
		}
	}
	return nil
}

// summarise turns the run's timestamps into the result's figures.
func (cb *chatBench) summarise(run *chatRun, res *ChatResult) {
	var lat, ack []time.Duration
	var firstSent, lastAck int64 = 1<<62 - 1, 0
	for i := range run.sentAt {
		s, a, r := run.sentAt[i].Load(), run.ackAt[i].Load(), run.recvAt[i].Load()
		if s == 0 {
			continue
		}
		firstSent = min(firstSent, s)
		if a != 0 {
			ack = append(ack, time.Duration(a-s))
			lastAck = max(lastAck, a)
			if r == 0 {
				res.Lost++
			}
		}
		if r != 0 {
			lat = append(lat, time.Duration(r-s))
		}
	}
	res.Sent, res.Acked, res.Received = int(run.sent.Load()), len(ack), len(lat)
	res.SendErrors = int(run.errs.Load())
	res.Duplicated, res.Reconnects = int(run.dups.Load()), int(run.reconnects.Load())
	if lastAck > firstSent {
		res.Seconds = time.Duration(lastAck - firstSent).Seconds()
		res.PersistedPerSecond = float64(res.Acked) / res.Seconds
	}
	res.P50Millis, res.P99Millis, res.MaxMillis = pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1)
	res.AckP50Millis, res.AckP99Millis = pct(ack, 0.50), pct(ack, 0.99)
	for code, n := range run.codes {
		res.Notes = append(res.Notes, fmt.Sprintf("%d send errors %q", n, code))
	}
	if cb.app != nil {
		s := cb.app.Hub.Stats()
		res.Hub = &s
	}
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
}

// customerReader counts acks and error frames on one widget.
func customerReader(ctx context.Context, w *widget, i, perCustomer int, run *chatRun) {
	for {
		_, data, err := w.ws.Read(ctx)
		if err != nil {
			return
		}
		switch {
		case bytes.HasPrefix(data, []byte(`{"type":"ack"`)):
			var f struct {
				ClientID string `json:"client_id"`
			}
			if json.Unmarshal(data, &f) != nil || !strings.HasPrefix(f.ClientID, "b") {
				continue
			}
			idx, err := strconv.Atoi(f.ClientID[1:])
			if err != nil || idx/perCustomer != i {
				continue
			}
			if run.ackAt[idx].CompareAndSwap(0, run.now()) {
				run.acked.Add(1)
			}
		case bytes.HasPrefix(data, []byte(`{"type":"error"`)):
			var f struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(data, &f)
			run.errs.Add(1)
			run.mu.Lock()
			run.codes[f.Code]++
			run.mu.Unlock()
		}
	}
}

// agentConsole subscribes to its conversations and records each message
// frame. When the connection drops it reconnects and resumes after the
// last seq it saw, as the console does.
func (cb *chatBench) agentConsole(ctx context.Context, wsBase, cookie string, convs []*widget, run *chatRun, ready chan<- error) {
	last := map[int64]int64{}
	for _, w := range convs {
		last[w.conv] = w.lastSeq
	}
	h := http.Header{"Cookie": {api.SessionCookie + "=" + cookie}}
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			run.reconnects.Add(1)
		}
		ws, err := cb.subscribeAt(ctx, wsBase, "/ws/console", h, convs, last)
		if first {
			ready <- err
		}
		if err != nil {
			if first {
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				ws.CloseNow()
				break
			}
			if !bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
				continue
			}
			at := run.now()
			var f struct {
				Message struct {
					ConversationID int64  `json:"conversation_id"`
					Seq            int64  `json:"seq"`
					Body           string `json:"body"`
				} `json:"message"`
			}
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			m := f.Message
			if m.Seq <= last[m.ConversationID] {
				run.dups.Add(1)
				continue
			}
			last[m.ConversationID] = m.Seq
			num, _, ok := strings.Cut(strings.TrimPrefix(m.Body, "bench "), ":")
			idx, err := strconv.Atoi(num)
			if !ok || err != nil || idx < 0 || idx >= len(run.recvAt) {
				continue
			}
			if run.recvN[idx].Add(1) > 1 {
				run.dups.Add(1)
				continue
			}
			run.recvAt[idx].Store(at)
			run.received.Add(1)
		}
	}
}

// subscribe connects a socket, subscribes to each conversation after its
// last seq (paced under the hub's frame limit) and waits until the server
// has handled every subscription.
func (cb *chatBench) subscribe(ctx context.Context, path string, h http.Header, convs []*widget, last map[int64]int64) (*websocket.Conn, error) {
	return cb.subscribeAt(ctx, cb.wsBase, path, h, convs, last)
}

// ws is the WebSocket base of the i-th instance, round robin.
func (cb *chatBench) ws(i int) string {
	return "ws" + strings.TrimPrefix(cb.bases[i%len(cb.bases)], "http")
}

// subscribeAt is subscribe on a given instance.
func (cb *chatBench) subscribeAt(ctx context.Context, wsBase, path string, h http.Header, convs []*widget, last map[int64]int64) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, wsBase+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	for i, w := range convs {
		if i >= framesBurst {
			time.Sleep(framesInterval)
		}
		f := fmt.Appendf(nil, `{"type":"subscribe","conversation_id":%d,"after_seq":%d}`, w.conv, last[w.conv])
		if err := ws.Write(dctx, websocket.MessageText, f); err != nil {
			ws.CloseNow()
			return nil, err
		}
	}
	if len(convs) >= framesBurst {
		time.Sleep(framesInterval)
	}
	if err := ws.Write(dctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		ws.CloseNow()
		return nil, err
	}
	for {
		_, data, err := ws.Read(dctx)
		if err != nil {
			ws.CloseNow()
			return nil, err
		}
		if bytes.HasPrefix(data, []byte(`{"type":"error"`)) {
			ws.CloseNow()
			return nil, fmt.Errorf("subscribe: %s", data)
		}
		if string(data) == `{"type":"pong"}` {
			return ws, nil
		}
	}
}

// openWidgets starts a session and a conversation for n customers over
// HTTP, as the widget does before it opens its socket.
func (cb *chatBench) openWidgets(ctx context.Context, n, offset int) ([]*widget, error) {
	ws := make([]*widget, n)
	err := parallel(n, 16, func(i int) error {
		ip := customerIP(offset + i)
		var s struct {
			Token string `json:"token"`
		}
		visitor := fmt.Sprintf("bench-%s-%07d", cb.runID, offset+i)
		if err := cb.post(ctx, "/widget/api/session", ip, "", map[string]string{"visitor_id": visitor}, &s); err != nil {
			return err
		}
		var open struct {
			Conversation struct {
				ID int64 `json:"id"`
			} `json:"conversation"`
			Message struct {
				Seq int64 `json:"seq"`
			} `json:"message"`
		}
		body := map[string]string{"category": "withdrawal", "body": "Hello, my withdrawal is stuck", "client_id": visitor}
		if err := cb.post(ctx, "/widget/api/conversations", ip, s.Token, body, &open); err != nil {
			return err
		}
		ws[i] = &widget{token: s.Token, conv: open.Conversation.ID, lastSeq: open.Message.Seq}
		return nil
	})
	return ws, err
}

// connectWidgets connects and subscribes each widget's WebSocket.
func (cb *chatBench) connectWidgets(ctx context.Context, ws []*widget) error {
	err := parallel(len(ws), 64, func(i int) error {
		w := ws[i]
		c, err := cb.subscribeAt(ctx, cb.ws(i), "/ws/widget?token="+w.token, nil, []*widget{w}, map[int64]int64{w.conv: w.lastSeq})
		w.ws = c
		return err
	})
	if err != nil {
		closeAll(ws)
		return fmt.Errorf("bench chat: widget socket: %w", err)
	}
	return nil
}

func closeAll(ws []*widget) {
	for _, w := range ws {
		if w != nil && w.ws != nil {
			w.ws.CloseNow()
		}
	}
}

// signInAgents returns session cookies: one per created agent in process,
// or one shared by every console when the server runs elsewhere.
func (cb *chatBench) signInAgents(ctx context.Context, o chatOptions) ([]string, error) {
	if cb.app == nil {
		if o.agentEmail == "" {
			return nil, errors.New("bench chat: --url needs --agent-email (a supervisor) and VIGIL_BENCH_PASSWORD")
		}
		c, err := cb.login(ctx, o.agentEmail, os.Getenv("VIGIL_BENCH_PASSWORD"), "172.16.0.1")
		return []string{c}, err
	}
	password := "bench-" + randomHex(12)
	cookies := make([]string, o.agents)
	err := parallel(o.agents, 2, func(i int) error {
		email, name, role := fmt.Sprintf("agent%d-%s@bench.example", i, cb.runID), fmt.Sprintf("Bench agent %d", i), agent.RoleAgent
		ag, err := cb.app.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
		if err != nil {
			return err
		}
		if err := cb.app.Auth.SetPassword(ctx, ag.ID, password); err != nil {
			return err
		}
		cookies[i], err = cb.login(ctx, email, password, fmt.Sprintf("172.16.%d.%d", i>>8&255, i&255+1))
		return err
	})
	return cookies, err
}

// login signs an agent in through the API and returns the session cookie.
func (cb *chatBench) login(ctx context.Context, email, password, ip string) (string, error) {
	var cookie string
	err := cb.post(ctx, "/api/v1/auth/login", ip, "", map[string]string{"email": email, "password": password}, func(r *http.Response) {
		for _, c := range r.Cookies() {
			if c.Name == api.SessionCookie {
				cookie = c.Value
			}
		}
	})
	if err == nil && cookie == "" {
		err = fmt.Errorf("bench chat: sign in as %s: no session cookie", email)
	}
	return cookie, err
}

// post sends a JSON request from ip; out is a pointer to decode the answer
// into, or a func that reads the response.
func (cb *chatBench) post(ctx context.Context, path, ip, token string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", cb.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := cb.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		err := fmt.Errorf("bench chat: POST %s: %s %s", path, resp.Status, bytes.TrimSpace(data))
		if resp.StatusCode == http.StatusTooManyRequests {
			err = fmt.Errorf("%w (is the server running with VIGIL_TRUST_PROXY=true?)", err)
		}
		return err
	}
	if f, ok := out.(func(*http.Response)); ok {
		f(resp)
		return nil
	}
	return json.Unmarshal(data, out)
}

// parallel runs fn for 0..n-1 on w goroutines; a goroutine stops at its
// first error, and the errors are joined.
func parallel(n, w int, fn func(i int) error) error {
	var next atomic.Int64
	errs := make([]error, min(n, w))
	var wg sync.WaitGroup
	for g := range errs {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && errs[g] == nil; i = int(next.Add(1) - 1) {
				errs[g] = fn(i)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// customerIP gives simulated customer i an address of its own in 10/8.
func customerIP(i int) string {
	i++
	return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func printChat(w io.Writer, r ChatResult) {
	db := r.Database
	if db == "" {
		db = "remote"
	}
	fmt.Fprintf(w, "target %s (%s); sessions: %s\n", r.Target, db, r.Sessions)
	if r.Sent > 0 {
		fmt.Fprintf(w, "%9s %6s %8s %9s %11s %7s %7s %7s %5s %4s %6s\n", "customers", "agents", "messages", "offered/s",
			"persisted/s", "p50 ms", "p99 ms", "max ms", "lost", "dup", "errors")
		fmt.Fprintf(w, "%9d %6d %8d %9.0f %11.0f %7.2f %7.2f %7.1f %5d %4d %6d\n", r.Customers, r.Agents, r.Sent,
			r.OfferedPerSecond, r.PersistedPerSecond, r.P50Millis, r.P99Millis, r.MaxMillis, r.Lost, r.Duplicated, r.SendErrors)
		fmt.Fprintf(w, "acked %d, received by agents %d in %.1f s; ack (customer's view) p50 %.2f ms p99 %.2f ms; agent reconnects %d\n",
			r.Acked, r.Received, r.Seconds, r.AckP50Millis, r.AckP99Millis, r.Reconnects)
		fmt.Fprintf(w, "CPU %.0f µs a message (this process)", r.CPUMicros)
		if r.ServerCPUMicros > 0 {
			fmt.Fprintf(w, ", server %.0f µs a message", r.ServerCPUMicros)
		}
		fmt.Fprintf(w, "; load average %s\n", r.LoadAvg)
		if r.Hub != nil {
			fmt.Fprintf(w, "hub: slow consumers dropped %d, resyncs %d, refused %d\n", r.Hub.Dropped, r.Hub.Resyncs, r.Hub.Refused)
		}
	}
	if i := r.Idle; i != nil {
		const mib = 1 << 20
		fmt.Fprintf(w, "idle: %d widgets connected in %.1f s; heap %.0f → %.0f MiB (%.1f KiB a connection), RSS %.0f → %.0f MiB (%.1f KiB a connection), %.1f goroutines a connection\n",
			i.Connections, i.ConnectSeconds, float64(i.HeapBefore)/mib, float64(i.HeapAfter)/mib, i.HeapPerConn/1024,
			float64(i.RSSBefore)/mib, float64(i.RSSAfter)/mib, i.RSSPerConn/1024, i.GoroutinesPerConn)
		fmt.Fprintf(w, "      measured: %s\n", i.Measured)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// writeHeapProfile writes the allocation profile (every allocation since
// the process started, sampled) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
