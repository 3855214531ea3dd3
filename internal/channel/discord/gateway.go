// Package discord is the Discord channel: a bot that takes direct messages
// and messages posted in one support channel (each of which it turns into
// a thread, one conversation per thread) and answers as the bot. Events
// arrive over the Gateway WebSocket; replies leave through jobs on the
// REST API.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Gateway opcodes (discord.com/developers/docs/topics/opcodes-and-status-codes).
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// Intents the bot asks for: guild messages, direct messages, and the
// content of messages (a privileged intent to switch on for the bot).
const Intents = 1<<9 | 1<<12 | 1<<15

// payload is one gateway frame.
type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// fatalClose are close codes after which reconnecting cannot help (bad
// token, bad intents, intents not allowed): the gateway stops and says why.
var fatalClose = map[websocket.StatusCode]string{
	4004: "authentication failed: check the bot token",
	4010: "invalid shard", 4011: "sharding required",
	4012: "invalid API version", 4013: "invalid intents",
	4014: "disallowed intents: enable the Message Content intent for the bot",
}

// session is what a RESUME needs; it survives reconnects.
type session struct {
	id        string
	resumeURL string
	seq       int64
}

// Gateway keeps the bot connected and hands MESSAGE_CREATE events to the
// receiver.
type Gateway struct {
	rest      *rest
	url       string // the gateway URL; "" asks GET /gateway/bot
	token     string
	log       *slog.Logger
	handle    func(ctx context.Context, m message, raw []byte)
	mu        sync.Mutex // guards sess and botID
	sess      session
	botID     string
	connected atomic.Bool
	// Reconnects counts connections after the first (resumed or not).
	Reconnects atomic.Int64
}

// run connects and reconnects until ctx ends or Discord refuses the bot
// for good.
func (g *Gateway) run(ctx context.Context) error {
	backoff := time.Second
	for first := true; ; first = false {
		if !first {
			g.Reconnects.Add(1)
		}
		err := g.connect(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			if why, ok := fatalClose[ce.Code]; ok {
				return fmt.Errorf("discord gateway: %s (close %d)", why, ce.Code)
			}
		}
		if err != nil {
			g.log.Warn("discord gateway disconnected", "component", "discord", "err", err)
		}
		// A connection that was up resumes at once (with a little jitter);
		// one that never got ready backs off, doubling up to a minute.
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)))
		if g.connected.Load() {
			wait, backoff = time.Duration(rand.Int64N(int64(250*time.Millisecond))), time.Second
		} else {
			backoff = min(backoff*2, time.Minute)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// connect runs one connection: HELLO, IDENTIFY or RESUME, then events
// with heartbeats until the connection ends.
func (g *Gateway) connect(ctx context.Context) error {
	g.connected.Store(false)
	g.mu.Lock()
	sess := g.sess
	g.mu.Unlock()
	target := sess.resumeURL
	if target == "" || sess.id == "" {
		target = g.url
		if target == "" {
			var gb gatewayBot
			if err := g.rest.call(ctx, http.MethodGet, "/gateway/bot", nil, &gb); err != nil {
				return err
			}
			target = gb.URL
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("discord gateway url: %w", err)
	}
	q := u.Query()
	q.Set("v", "10")
	q.Set("encoding", "json")
	u.RawQuery = q.Encode()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ws, _, err := websocket.Dial(dctx, u.String(), nil)
	cancel()
	if err != nil {
		return fmt.Errorf("discord gateway dial: %w", err)
	}
	ws.SetReadLimit(4 << 20) // READY lists every guild
	defer ws.CloseNow()

	var hello struct {
		HeartbeatInterval int64 `json:"heartbeat_interval"`
	}
	p, err := read(ctx, ws)
	if err != nil {
		return err
	}
	if p.Op != opHello || json.Unmarshal(p.D, &hello) != nil || hello.HeartbeatInterval <= 0 {
		return fmt.Errorf("discord gateway: expected HELLO, got op %d", p.Op)
	}
	if sess.id != "" {
		err = write(ctx, ws, opResume, map[string]any{"token": g.token, "session_id": sess.id, "seq": sess.seq})
	} else {
		err = write(ctx, ws, opIdentify, map[string]any{"token": g.token, "intents": Intents,
			"properties": map[string]string{"os": "linux", "browser": "vigil", "device": "vigil"}})
	}
	if err != nil {
		return err
	}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	acked := make(chan struct{}, 1)
	beat := make(chan struct{}, 1) // Discord asked for a heartbeat now
	beatErr := make(chan error, 1)
	go func() {
		beatErr <- g.heartbeat(cctx, ws, time.Duration(hello.HeartbeatInterval)*time.Millisecond, acked, beat)
	}()
	for {
		p, err := read(cctx, ws)
		if err != nil {
			select {
			case herr := <-beatErr:
				if herr != nil {
					return herr
				}
			default:
			}
			return err
		}
		if p.S != nil {
			g.mu.Lock()
			g.sess.seq = *p.S
			g.mu.Unlock()
		}
		switch p.Op {
		case opHeartbeatACK:
			select {
			case acked <- struct{}{}:
			default:
			}
		case opHeartbeat:
			select {
			case beat <- struct{}{}:
			default:
			}
		case opReconnect:
			ws.Close(4000, "reconnect requested")
			return errors.New("discord gateway: reconnect requested")
		case opInvalidSession:
			var resumable bool
			_ = json.Unmarshal(p.D, &resumable)
			if !resumable {
				g.mu.Lock()
				g.sess = session{}
				g.mu.Unlock()
			}
			ws.Close(4000, "invalid session")
			return errors.New("discord gateway: session invalidated")
		case opDispatch:
			g.dispatch(cctx, p)
		}
	}
}

// heartbeat beats every interval (the first after a random part of it,
// as Discord asks); a beat not acknowledged by the next one means the
// connection is dead, so it is closed and resumed.
func (g *Gateway) heartbeat(ctx context.Context, ws *websocket.Conn, every time.Duration, acked, now <-chan struct{}) error {
	timer := time.NewTimer(time.Duration(rand.Int64N(int64(every))))
	defer timer.Stop()
	waiting := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-acked:
			waiting = false
			continue
		case <-now:
		case <-timer.C:
			if waiting {
				ws.Close(4000, "heartbeat not acknowledged")
				return errors.New("discord gateway: heartbeat not acknowledged")
			}
			timer.Reset(every)
		}
		g.mu.Lock()
		seq := g.sess.seq
		g.mu.Unlock()
		var d any
		if seq > 0 {
			d = seq
		}
		if err := write(ctx, ws, opHeartbeat, d); err != nil {
			return err
		}
		waiting = true
	}
}

func (g *Gateway) dispatch(ctx context.Context, p payload) {
	switch p.T {
	case "READY":
		var r struct {
			SessionID        string `json:"session_id"`
			ResumeGatewayURL string `json:"resume_gateway_url"`
			User             user   `json:"user"`
		}
		if err := json.Unmarshal(p.D, &r); err != nil {
			g.log.Warn("discord READY not understood", "component", "discord", "err", err)
			return
		}
		g.mu.Lock()
		g.sess.id, g.sess.resumeURL, g.botID = r.SessionID, r.ResumeGatewayURL, r.User.ID
		g.mu.Unlock()
		g.connected.Store(true)
		g.log.Info("discord gateway ready", "component", "discord", "bot", r.User.Username)
	case "RESUMED":
		g.connected.Store(true)
	case "MESSAGE_CREATE":
		var m message
		if err := json.Unmarshal(p.D, &m); err != nil {
			g.log.Warn("discord message not understood", "component", "discord", "err", err)
			return
		}
		g.handle(ctx, m, p.D)
	}
}

// bot returns the bot's own user id (from READY).
func (g *Gateway) bot() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.botID
}

func read(ctx context.Context, ws *websocket.Conn) (payload, error) {
	_, data, err := ws.Read(ctx)
	if err != nil {
		return payload{}, err
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return payload{}, fmt.Errorf("discord gateway: bad frame: %w", err)
	}
	return p, nil
}

func write(ctx context.Context, ws *websocket.Conn, op int, d any) error {
	b, err := json.Marshal(map[string]any{"op": op, "d": d})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, b)
}
