package webchat_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/app"
	"vigil/internal/audit"
	"vigil/internal/channel/webchat"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
	"vigil/internal/ticket"
)

// widgetSecret is the secret the exchange's backend shares with the desk.
const widgetSecret = "exchange-backend-widget-secret-0123456789"

// maxBody is the desk's JSON request limit: room for the longest message
// (64 KiB), small enough to exceed quickly.
const maxBody = 256 << 10

// clock is the desk's clock; tests move it to expire tokens and sessions
// and to refill rate limits. Now is called from server goroutines.
type clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// options vary the desk's configuration between tests.
type options struct {
	requireIdentity bool
	noSecret        bool
}

// env is a whole Vigil (API, widget, hub) on a fresh database, served over
// real HTTP.
type env struct {
	t     *testing.T
	app   *app.App
	srv   *httptest.Server
	clock *clock
	files string // attachment storage
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	d := dbtest.Open(t)
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.MaxBodyBytes = maxBody
	cfg.MaxUploadMB = 1
	cfg.RequireIdentity = o.requireIdentity
	cfg.ExchangeURL = "sandbox"
	if !o.noSecret {
		cfg.WidgetSecret = widgetSecret
	}
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(cfg, log, d, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, app: a, clock: clk, files: cfg.DataDir + "/attachments"}
	e.srv = httptest.NewServer(a.Handler(prometheus.NewRegistry()))
	t.Cleanup(e.srv.Close)
	// The hub stops first (cleanups run last-in first-out), closing the
	// sockets before the server and the database go.
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = a.Hub.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	return e
}

// scenario is one part of a test that shares a desk with the others. It
// makes its own customers, so scenarios do not see each other's data.
type scenario struct {
	name string
	run  func(t *testing.T, e *env)
}

// runScenarios runs scenarios in turn on one desk. A desk costs about a
// second to build under the race detector, so related scenarios share
// one. They run a minute apart, as separate visitors would, so each starts
// with a full session allowance.
func runScenarios(t *testing.T, o options, scenarios []scenario) {
	t.Parallel()
	e := newEnv(t, o)
	for _, sc := range scenarios {
		e.clock.Advance(time.Minute)
		t.Run(sc.name, func(t *testing.T) { sc.run(t, e.on(t)) })
	}
}

// on returns the desk seen from the subtest t, so helpers fail t.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// system is a context for work done on the desk's side (agents, seeding).
func system() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
}

// claims are what the exchange vouches for: valid for ten minutes, with a
// fresh nonce.
func (e *env) claims(uid string) webchat.Claims {
	return webchat.Claims{UID: uid, Exp: e.clock.Now().Add(10 * time.Minute).Unix(), Nonce: randomHex(12)}
}

func (e *env) sign(c webchat.Claims) string {
	return webchat.SignIdentity([]byte(widgetSecret), c)
}

// newVisitorID is the id a new browser's widget makes up for itself.
func newVisitorID() string { return "visitor-" + randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// response is what a caller got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request sends body (nil, raw []byte, or a value to encode as JSON) with
// the widget's bearer token when there is one.
func (e *env) request(method, path, token string, body any, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.roundTrip(req)
}

func (e *env) roundTrip(req *http.Request) response {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// wantError checks an API error's status, code and (when given) field.
func wantError(t *testing.T, r response, status int, code string, field ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if eb.Error.Code != code {
		t.Errorf("error code = %q, want %q (message %q)", eb.Error.Code, code, eb.Error.Message)
	}
	if len(field) > 0 && eb.Error.Field != field[0] {
		t.Errorf("error field = %q, want %q", eb.Error.Field, field[0])
	}
	if eb.Error.Message == "" {
		t.Error("error has no message for the developer")
	}
}

// decode unmarshals a successful response or fails the test.
func decode[T any](t *testing.T, r response, status int) T {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// session is a started widget session as the widget sees it.
type session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Customer  struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Language string `json:"language"`
	} `json:"customer"`
	Verified bool `json:"verified"`
}

func (e *env) startSession(body any) response {
	e.t.Helper()
	return e.request("POST", "/widget/api/session", "", body)
}

// visitor starts an anonymous session for a browser's visitor id.
func (e *env) visitor(id string) session {
	e.t.Helper()
	return decode[session](e.t, e.startSession(map[string]string{"visitor_id": id}), http.StatusOK)
}

// identified starts a session for an exchange user.
func (e *env) identified(c webchat.Claims) session {
	e.t.Helper()
	return decode[session](e.t, e.startSession(map[string]string{"identity_token": e.sign(c)}), http.StatusOK)
}

// opened is the answer to opening a conversation.
type opened struct {
	Conversation ticket.Conversation `json:"conversation"`
	Message      ticket.Message      `json:"message"`
}

// open starts a conversation from the pre-chat form.
func (e *env) open(token string, form map[string]string) opened {
	e.t.Helper()
	return decode[opened](e.t, e.request("POST", "/widget/api/conversations", token, form), http.StatusCreated)
}

// thread is the answer to listing a conversation's messages.
type thread struct {
	Conversation ticket.Conversation `json:"conversation"`
	Data         []ticket.Message    `json:"data"`
	AgentReadSeq int64               `json:"agent_read_seq"`
}

func convPath(id int64, rest string) string {
	return "/widget/api/conversations/" + itoa(id) + rest
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// bodies lists the messages' seq and body, the way a reader sees a thread.
func bodies(ms []ticket.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, itoa(m.Seq)+" "+string(m.AuthorKind)+": "+m.Body)
	}
	return out
}

// newAgent adds an agent who can reply and write notes.
func (e *env) newAgent() agent.Agent {
	e.t.Helper()
	email := "agent-" + randomHex(4) + "@desk.example"
	name, role := "Agent "+email, agent.RoleAgent
	ag, err := e.app.Agents.Create(system(), agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		e.t.Fatal(err)
	}
	return ag
}

// agentMessage adds an agent reply or, when internal, an internal note.
func (e *env) agentMessage(ag agent.Agent, convID int64, body string, internal bool) ticket.Message {
	e.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: ag.ID})
	m, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByAgent,
		AuthorID: ag.ID, AuthorName: ag.Name, Body: body, Internal: internal})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// count runs a COUNT query against the desk's database.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.app.DB.Q(context.Background()).QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// socket is a widget's WebSocket.
type socket struct {
	t  *testing.T
	ws *websocket.Conn
}

// frame is any server frame; Message holds a message frame's message (an
// error frame's message is in Text).
type frame struct {
	Type           string          `json:"type"`
	Code           string          `json:"code"`
	ConversationID int64           `json:"conversation_id"`
	ClientID       string          `json:"client_id"`
	Seq            int64           `json:"seq"`
	MessageID      int64           `json:"message_id"`
	Raw            json.RawMessage `json:"message"`
	Message        wireMessage     `json:"-"`
	Text           string          `json:"-"`
}

// wireMessage is a message as the socket carries it.
type wireMessage struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	AuthorKind     string `json:"author_kind"`
	Internal       bool   `json:"internal"`
	Body           string `json:"body"`
}

// dialSocket opens the widget's socket; header pairs are added to the
// handshake. A refused handshake returns the HTTP response.
func (e *env) dialSocket(token string, header ...string) (*socket, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/widget?token=" + token
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	s := &socket{t: e.t, ws: ws}
	e.t.Cleanup(func() { ws.CloseNow() })
	return s, resp, nil
}

func (e *env) socket(token string) *socket {
	e.t.Helper()
	s, resp, err := e.dialSocket(token)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial widget socket: %v (status %d)", err, status)
	}
	return s
}

func (s *socket) send(v any) {
	s.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, raw); err != nil {
		s.t.Fatalf("socket write: %v", err)
	}
}

// next reads the next frame, failing the test after five seconds.
func (s *socket) next() frame {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := s.ws.Read(ctx)
	if err != nil {
		s.t.Fatalf("socket read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		s.t.Fatalf("frame %s: %v", data, err)
	}
	switch f.Type {
	case "message":
		if err := json.Unmarshal(f.Raw, &f.Message); err != nil {
			s.t.Fatalf("message frame %s: %v", data, err)
		}
	case "error":
		_ = json.Unmarshal(f.Raw, &f.Text)
	}
	return f
}

// nextOf skips frames of other types (status changes, read receipts) and
// returns the next frame of type typ.
func (s *socket) nextOf(typ string) frame {
	s.t.Helper()
	for {
		if f := s.next(); f.Type == typ {
			return f
		}
	}
}

// messagesUntil collects message frames until the one with seq last.
func (s *socket) messagesUntil(last int64) []string {
	s.t.Helper()
	var out []string
	for {
		f := s.nextOf("message")
		out = append(out, itoa(f.Message.Seq)+" "+f.Message.AuthorKind+": "+f.Message.Body)
		if f.Message.Internal {
			s.t.Errorf("customer received an internal message: %+v", f.Message)
		}
		if f.Message.Seq >= last {
			return out
		}
	}
}
