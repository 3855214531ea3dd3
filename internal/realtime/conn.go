package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"vigil/internal/apperr"
	"vigil/internal/event"
)

// conn is one WebSocket client. The reader goroutine handles its frames;
// the writer goroutine drains out.
type conn struct {
	h  *Hub
	id string // names the connection in live events, so they do not echo back
	ws *websocket.Conn
	v  Viewer
	// queue holds the frames to write, at most QueueSize; a full queue
	// closes the connection instead of blocking the hub. It is a slice,
	// not a buffered channel, so an idle connection holds no buffer (a
	// channel of 256 frames was 6 KiB on each of 20,000 idle widgets).
	qmu   sync.Mutex // guards queue
	queue [][]byte
	ready chan struct{} // capacity 1: tells the writer the queue has frames
	done  chan struct{}
	once  sync.Once
	// closeCode and closeReason are written once before done is closed.
	closeCode   websocket.StatusCode
	closeReason string

	mu   sync.Mutex // guards subs
	subs map[int64]*sub

	// tokens and last implement the inbound rate limit; reader goroutine only.
	tokens  float64
	last    time.Time
	strikes int
}

// sub tracks one conversation on one connection.
type sub struct {
	lastSeq   int64 // highest seq handled (sent, or skipped as not visible)
	replaying bool
	pending   []Message // live messages that arrived during a replay
}

func newConn(h *Hub, ws *websocket.Conn, v Viewer) *conn {
	return &conn{h: h, id: randomID(), ws: ws, v: v, ready: make(chan struct{}, 1), done: make(chan struct{}),
		subs: map[int64]*sub{}, tokens: float64(h.o.Burst), last: time.Now()}
}

// close ends the connection with a status the client sees. The writer
// flushes what is queued (except for a slow consumer, whose queue is the
// problem) and then performs the closing handshake.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.done)
	})
}

// enqueue queues a frame without blocking; a full queue means a slow
// consumer, which is disconnected and counted.
func (c *conn) enqueue(f []byte) {
	select {
	case <-c.done:
		return
	default:
	}
	c.qmu.Lock()
	full := len(c.queue) >= c.h.o.QueueSize
	if !full {
		c.queue = append(c.queue, f)
	}
	c.qmu.Unlock()
	if full {
		c.h.dropped.Add(1)
		c.close(websocket.StatusPolicyViolation, reasonSlow)
		return
	}
	select {
	case c.ready <- struct{}{}:
	default: // the writer has been told already
	}
}

// closing reports whether close has been called; the writer then stops
// draining the queue and goes to the closing handshake.
func (c *conn) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// next takes the oldest queued frame; an emptied queue lets go of its
// buffer, so idle connections stay small.
func (c *conn) next() ([]byte, bool) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if len(c.queue) == 0 {
		return nil, false
	}
	f := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	return f, true
}

const reasonSlow = "slow consumer"

func (c *conn) writeLoop(ctx context.Context) {
	ping := time.NewTicker(c.h.o.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			if c.closeReason != reasonSlow {
				c.flush(ctx)
			}
			c.ws.Close(c.closeCode, c.closeReason)
			return
		case <-c.ready:
			for !c.closing() {
				f, ok := c.next()
				if !ok {
					break
				}
				if !c.write(ctx, f) {
					c.close(websocket.StatusGoingAway, "write failed")
					c.ws.CloseNow()
					return
				}
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, c.h.o.WriteTimeout)
			err := c.ws.Ping(pctx)
			cancel()
			if err != nil {
				c.close(websocket.StatusGoingAway, "no pong")
				c.ws.CloseNow()
				return
			}
		}
	}
}

func (c *conn) write(ctx context.Context, f []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, c.h.o.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, f); err != nil {
		return false
	}
	c.h.framesOut.Add(1)
	return true
}

// flush writes the frames still queued, so a client told why it is being
// closed (an error frame) reads that first.
func (c *conn) flush(ctx context.Context) {
	for {
		f, ok := c.next()
		if !ok || !c.write(ctx, f) {
			return
		}
	}
}

type clientFrame struct {
	Type           string `json:"type"`
	ConversationID int64  `json:"conversation_id"`
	AfterSeq       int64  `json:"after_seq"`
	Seq            int64  `json:"seq"`
	Body           string `json:"body"`
	ClientID       string `json:"client_id"`
}

func (c *conn) readLoop(ctx context.Context) {
	defer c.close(websocket.StatusNormalClosure, "")
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
				return
			}
			if websocket.CloseStatus(err) == -1 && errors.Is(err, websocket.ErrMessageTooBig) {
				c.close(websocket.StatusMessageTooBig, "frame too large")
			}
			return
		}
		c.h.framesIn.Add(1)
		if !c.allow() {
			c.strikes++
			if c.strikes > 3*c.h.o.Burst {
				c.close(websocket.StatusPolicyViolation, "too many frames")
				return
			}
			c.sendError("rate_limited", "slow down", 0)
			continue
		}
		if typ != websocket.MessageText {
			c.sendError("bad_frame", "send JSON text frames", 0)
			continue
		}
		var f clientFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.sendError("bad_json", "frame is not valid JSON", 0)
			continue
		}
		c.handle(ctx, f)
	}
}

// allow is a token bucket for inbound frames.
func (c *conn) allow() bool {
	now := time.Now()
	c.tokens = min(float64(c.h.o.Burst), c.tokens+now.Sub(c.last).Seconds()*c.h.o.RatePerSecond)
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *conn) sendError(code, msg string, convID int64) {
	c.enqueue(frame(errorFrame{Type: "error", Code: code, Message: msg, ConversationID: convID}))
}

func (c *conn) handle(ctx context.Context, f clientFrame) {
	switch f.Type {
	case "ping":
		c.enqueue([]byte(`{"type":"pong"}`))
	case "subscribe":
		if f.ConversationID <= 0 || f.AfterSeq < 0 {
			c.sendError("bad_request", "conversation_id and a non-negative after_seq are required", 0)
			return
		}
		ok, err := c.h.o.Backend.CanSee(ctx, c.v, f.ConversationID)
		if err != nil || !ok {
			c.h.refused.Add(1)
			c.sendError("forbidden", "no such conversation", f.ConversationID)
			return
		}
		c.mu.Lock()
		if _, dup := c.subs[f.ConversationID]; dup {
			c.mu.Unlock()
			return
		}
		c.subs[f.ConversationID] = &sub{lastSeq: f.AfterSeq, replaying: true}
		c.mu.Unlock()
		c.h.subscribe(c, f.ConversationID)
		c.replay(ctx, f.ConversationID)
		if c.v.isAgent() {
			c.h.announceViewers(f.ConversationID)
		}
	case "unsubscribe":
		c.h.unsubscribe(c, f.ConversationID)
	case "subscribe_inbox":
		if !c.v.isAgent() {
			c.h.refused.Add(1)
			c.sendError("forbidden", "only agents have an inbox", 0)
			return
		}
		c.h.mu.Lock()
		c.h.inbox[c] = struct{}{}
		c.h.mu.Unlock()
	case "send":
		if !c.isSubscribed(f.ConversationID) {
			c.sendError("forbidden", "subscribe to the conversation first", f.ConversationID)
			return
		}
		if len(f.ClientID) > 100 {
			c.sendError("bad_request", "client_id is too long", f.ConversationID)
			return
		}
		m, err := c.h.o.Backend.Send(ctx, c.v, f.ConversationID, f.Body, f.ClientID)
		if err != nil {
			c.sendError("send_failed", errorText(err), f.ConversationID)
			return
		}
		c.enqueue(frame(struct {
			Type      string `json:"type"`
			ClientID  string `json:"client_id"`
			Seq       int64  `json:"seq"`
			MessageID int64  `json:"message_id"`
		}{"ack", f.ClientID, m.Seq, m.ID}))
	case "typing":
		if !c.isSubscribed(f.ConversationID) {
			return
		}
		// Through the bus, so peers on other instances see it too.
		c.h.o.Bus.Publish(ctx, event.Typing{ConversationID: f.ConversationID, AuthorKind: c.v.Kind, Name: c.v.Name, ConnID: c.id})
	case "read":
		if !c.isSubscribed(f.ConversationID) || f.Seq <= 0 {
			return
		}
		if err := c.h.o.Backend.MarkRead(ctx, c.v, f.ConversationID, f.Seq); err != nil {
			c.sendError("read_failed", errorText(err), f.ConversationID)
			return
		}
		c.h.o.Bus.Publish(ctx, event.Read{ConversationID: f.ConversationID, Reader: c.v.Kind, Seq: f.Seq, ConnID: c.id})
	default:
		c.sendError("unknown_type", "unknown frame type", 0)
	}
}

// errorText keeps domain messages (they are written for users) but never
// internal details.
func errorText(err error) string {
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		return e.Message
	}
	return "the request could not be completed"
}

func (c *conn) isSubscribed(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.subs[id]
	return ok
}

func (c *conn) subscribed() map[int64]struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int64]struct{}, len(c.subs))
	for id := range c.subs {
		out[id] = struct{}{}
	}
	return out
}

func (c *conn) dropSub(id int64) {
	c.mu.Lock()
	delete(c.subs, id)
	c.mu.Unlock()
}

// deliver handles one live message for a subscribed conversation: sent
// once, in order; buffered during a replay; a gap starts a replay.
func (c *conn) deliver(m Message, f []byte) {
	c.mu.Lock()
	s := c.subs[m.ConversationID]
	if s == nil {
		c.mu.Unlock()
		return
	}
	switch {
	case s.replaying:
		s.pending = append(s.pending, m)
		c.mu.Unlock()
		return
	case m.Seq <= s.lastSeq:
		c.mu.Unlock()
		return
	case m.Seq > s.lastSeq+1:
		s.replaying = true
		s.pending = append(s.pending, m)
		c.mu.Unlock()
		c.h.resyncs.Add(1)
		go c.replay(context.Background(), m.ConversationID)
		return
	}
	s.lastSeq = m.Seq
	c.mu.Unlock()
	if m.Internal && !c.v.isAgent() {
		return // the seq is accounted for; the note is not the customer's
	}
	c.enqueue(f)
}

// startReplay replays a subscription from its last seq (after the bus lost
// events).
func (c *conn) startReplay(id int64) {
	c.mu.Lock()
	s := c.subs[id]
	if s == nil || s.replaying {
		c.mu.Unlock()
		return
	}
	s.replaying = true
	c.mu.Unlock()
	c.h.resyncs.Add(1)
	go c.replay(context.Background(), id)
}

// replay sends history after the subscription's last seq, then the live
// messages that arrived meanwhile, each seq once.
func (c *conn) replay(ctx context.Context, id int64) {
	const page = 200
	for {
		c.mu.Lock()
		s := c.subs[id]
		if s == nil {
			c.mu.Unlock()
			return
		}
		after := s.lastSeq
		c.mu.Unlock()
		msgs, err := c.h.o.Backend.History(ctx, c.v, id, after, page)
		if err != nil {
			c.sendError("history_failed", "could not load earlier messages; resubscribe", id)
			c.dropSub(id)
			return
		}
		c.mu.Lock()
		if s = c.subs[id]; s == nil {
			c.mu.Unlock()
			return
		}
		for _, m := range msgs {
			if m.Seq > s.lastSeq {
				s.lastSeq = m.Seq
				c.enqueue(frame(messageFrame{Type: "message", Message: m}))
			}
		}
		if len(msgs) == page {
			c.mu.Unlock()
			continue
		}
		// Caught up with storage. Live messages buffered meanwhile follow;
		// if they show a gap the customer could not see (internal notes),
		// history already covered it, so only newer ones are sent.
		next := s.lastSeq
		var keep []Message
		for _, m := range s.pending {
			if m.Seq > next {
				keep = append(keep, m)
			}
		}
		s.pending = nil
		gap := false
		for _, m := range keep {
			if m.Seq > s.lastSeq+1 && (c.v.isAgent() || !m.Internal) {
				// History ended before this seq: notes hidden from a
				// customer, or a message not yet visible to our read.
				if !c.v.isAgent() {
					s.lastSeq = m.Seq - 1
				} else {
					gap = true
					s.pending = append(s.pending, m)
					continue
				}
			}
			if gap {
				s.pending = append(s.pending, m)
				continue
			}
			if m.Seq > s.lastSeq {
				s.lastSeq = m.Seq
				if !m.Internal || c.v.isAgent() {
					c.enqueue(frame(messageFrame{Type: "message", Message: m}))
				}
			}
		}
		if gap {
			c.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		s.replaying = false
		c.mu.Unlock()
		return
	}
}
