package discord_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	botToken  = "MTA5ODc2NTQzMjEwOTg3NjU0.GhJkLm.stand-in-token-for-tests-only"
	botUserID = "1098765432109876540"
	supportID = "1200000000000000001"
	guildID   = "1100000000000000001"
)

// standin speaks Discord's wire format: the gateway's JSON payloads with
// their opcodes (HELLO, IDENTIFY, heartbeat and ACK, READY, RESUME and
// RESUMED, dispatches with sequence numbers) and the REST endpoints the
// bot calls, with Discord's error bodies and 429 rate limits.
type standin struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex // guards everything below
	conn       *websocket.Conn
	ready      chan struct{} // closed and replaced at each READY or RESUMED
	seq        int64
	log        []frame // every dispatch, for replay on RESUME
	identifies int
	resumes    []int64 // the seq each RESUME asked to continue after
	heartbeats []any
	posts      []post
	threads    []string // ids of messages a thread was started from
	limitNext  int      // POST messages answered 429 this many times
	retryAfter float64
	nonces     map[string]string
	nextID     int
	closeCode  websocket.StatusCode // when set, close the next connection with it
	noACK      bool                 // stop acknowledging heartbeats (a zombie connection)
}

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

type post struct {
	Channel string
	Body    map[string]any
	Files   []string // "name:size" of each uploaded file
}

func newStandin(t *testing.T) *standin {
	s := &standin{t: t, ready: make(chan struct{}), nonces: map[string]string{}, nextID: 1300000000000000000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gateway", s.gateway)
	mux.HandleFunc("GET /api/gateway/bot", s.auth(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway", "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
	}))
	mux.HandleFunc("POST /api/channels/{ch}/messages/{id}/threads", s.auth(s.startThread))
	mux.HandleFunc("POST /api/channels/{ch}/messages", s.auth(s.createMessage))
	mux.HandleFunc("POST /api/users/@me/channels", s.auth(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			RecipientID string `json:"recipient_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		reply(w, 200, map[string]any{"id": "dm-" + body.RecipientID, "type": 1})
	}))
	mux.HandleFunc("GET /cdn/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.mu.Lock()
		if s.conn != nil {
			s.conn.CloseNow()
		}
		s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

// pngBytes is the start of a PNG file, enough for type sniffing.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *standin) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bot "+botToken {
			reply(w, 401, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
		h(w, r)
	}
}

func (s *standin) gateway(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") != "10" || r.URL.Query().Get("encoding") != "json" {
		http.Error(w, "bad version", 400)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ctx := r.Context()
	send := func(v any) error { b, _ := json.Marshal(v); return ws.Write(ctx, websocket.MessageText, b) }
	_ = send(map[string]any{"op": 10, "d": map[string]int{"heartbeat_interval": 300}})
	var first frame
	if err := readFrame(ctx, ws, &first); err != nil {
		return
	}
	s.mu.Lock()
	if s.closeCode != 0 {
		code := s.closeCode
		s.mu.Unlock()
		ws.Close(code, "Authentication failed.")
		return
	}
	switch first.Op {
	case 2:
		var id struct {
			Token   string `json:"token"`
			Intents int    `json:"intents"`
		}
		_ = json.Unmarshal(first.D, &id)
		if id.Token != botToken {
			s.mu.Unlock()
			ws.Close(4004, "Authentication failed.")
			return
		}
		s.identifies++
		s.seq++
		t := "READY"
		seq := s.seq
		d, _ := json.Marshal(map[string]any{"v": 10, "user": map[string]any{"id": botUserID, "username": "ExchangeSupport", "bot": true},
			"guilds": []any{map[string]any{"id": guildID, "unavailable": true}}, "session_id": "session-1",
			"resume_gateway_url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway", "application": map[string]any{"id": botUserID}})
		s.log = append(s.log, frame{Op: 0, D: d, S: &seq, T: &t})
		_ = send(frame{Op: 0, D: d, S: &seq, T: &t})
	case 6:
		var rs struct {
			Token     string `json:"token"`
			SessionID string `json:"session_id"`
			Seq       int64  `json:"seq"`
		}
		_ = json.Unmarshal(first.D, &rs)
		if rs.SessionID != "session-1" || rs.Token != botToken {
			s.mu.Unlock()
			_ = send(map[string]any{"op": 9, "d": false})
			ws.Close(4009, "Session timed out.")
			return
		}
		s.resumes = append(s.resumes, rs.Seq)
		for _, f := range s.log {
			if *f.S > rs.Seq {
				_ = send(f)
			}
		}
		s.seq++
		t, seq := "RESUMED", s.seq
		_ = send(frame{Op: 0, D: json.RawMessage(`{}`), S: &seq, T: &t})
	default:
		s.mu.Unlock()
		ws.Close(4003, "Not authenticated.")
		return
	}
	s.conn = ws
	close(s.ready)
	s.ready = make(chan struct{})
	s.mu.Unlock()
	for {
		var f frame
		if err := readFrame(ctx, ws, &f); err != nil {
			return
		}
		if f.Op == 1 {
			var d any
			_ = json.Unmarshal(f.D, &d)
			s.mu.Lock()
			s.heartbeats = append(s.heartbeats, d)
			mute := s.noACK
			s.mu.Unlock()
			if !mute {
				_ = send(map[string]any{"op": 11})
			}
		}
	}
}

func readFrame(ctx context.Context, ws *websocket.Conn, f *frame) error {
	_, data, err := ws.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, f)
}

// waitReady blocks until the bot has identified or resumed n times in all.
func (s *standin) waitReady(n int) {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, ch := s.identifies+len(s.resumes), s.ready
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			s.t.Fatalf("bot not connected %d times", n)
		}
	}
}

// dispatch sends an event to the bot, or keeps it for the RESUME when the
// bot is not connected.
func (s *standin) dispatch(t string, d any) {
	s.t.Helper()
	raw, _ := json.Marshal(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	seq := s.seq
	f := frame{Op: 0, D: raw, S: &seq, T: &t}
	s.log = append(s.log, f)
	if s.conn != nil {
		b, _ := json.Marshal(f)
		_ = s.conn.Write(context.Background(), websocket.MessageText, b)
	}
}

// op sends a bare opcode (7 RECONNECT, 9 INVALID_SESSION) to the bot.
func (s *standin) op(op int, d any) {
	b, _ := json.Marshal(map[string]any{"op": op, "d": d})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.Write(context.Background(), websocket.MessageText, b)
	}
}

// drop cuts the connection the way a network failure does.
func (s *standin) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.CloseNow()
		s.conn = nil
	}
}

func (s *standin) startThread(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	for _, th := range s.threads {
		if th == id {
			reply(w, 400, map[string]any{"message": "A thread has already been created for this message", "code": 160004})
			return
		}
	}
	if body.Name == "" || len([]rune(body.Name)) > 100 {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	s.threads = append(s.threads, id)
	reply(w, 201, map[string]any{"id": id, "type": 11, "parent_id": r.PathValue("ch"), "name": body.Name, "guild_id": guildID})
}

func (s *standin) createMessage(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	var files []string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil || json.Unmarshal([]byte(r.FormValue("payload_json")), &body) != nil {
			reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
			return
		}
		refs, _ := body["attachments"].([]any)
		for i := 0; ; i++ {
			f, h, err := r.FormFile(fmt.Sprintf("files[%d]", i))
			if err != nil {
				break
			}
			data, _ := io.ReadAll(f)
			ref, _ := refs[i].(map[string]any)
			if ref["filename"] != h.Filename || ref["id"] != float64(i) {
				reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
				return
			}
			files = append(files, fmt.Sprintf("%s:%d", h.Filename, len(data)))
		}
	} else if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := r.PathValue("ch")
	if ch == "10003" {
		reply(w, 404, map[string]any{"message": "Unknown Channel", "code": 10003})
		return
	}
	if s.limitNext > 0 {
		s.limitNext--
		w.Header().Set("Retry-After", fmt.Sprint(int(s.retryAfter)+1))
		w.Header().Set("X-RateLimit-Scope", "user")
		reply(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": s.retryAfter, "global": false})
		return
	}
	content, _ := body["content"].(string)
	if content == "" || len([]rune(content)) > 2000 {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	nonce, _ := body["nonce"].(string)
	if id, ok := s.nonces[nonce]; ok && body["enforce_nonce"] == true {
		reply(w, 200, map[string]any{"id": id, "channel_id": ch, "content": content, "author": map[string]any{"id": botUserID, "bot": true}})
		return
	}
	s.nextID++
	id := fmt.Sprint(s.nextID)
	if nonce != "" {
		s.nonces[nonce] = id
	}
	s.posts = append(s.posts, post{Channel: ch, Body: body, Files: files})
	reply(w, 200, map[string]any{"id": id, "channel_id": ch, "content": content, "type": 0,
		"author": map[string]any{"id": botUserID, "username": "ExchangeSupport", "bot": true}})
}

func (s *standin) sent() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}
