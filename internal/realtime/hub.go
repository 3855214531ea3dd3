package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"vigil/internal/event"
)

// Viewer is an authenticated connection's identity, decided by the HTTP
// layer before the upgrade.
type Viewer struct {
	Kind       string // "agent" or "customer"
	AgentID    int64
	SeesAll    bool    // supervisors and admins
	TeamIDs    []int64 // an agent's teams
	CustomerID int64
	Name       string
}

func (v Viewer) isAgent() bool { return v.Kind == "agent" }

// sees decides from an event's scope alone whether the viewer may see it.
func (v Viewer) sees(s event.Scope) bool {
	switch {
	case v.isAgent() && v.SeesAll:
		return true
	case v.isAgent():
		return s.AssigneeID == v.AgentID || s.TeamID == 0 || slices.Contains(v.TeamIDs, s.TeamID)
	default:
		return s.CustomerID == v.CustomerID
	}
}

// Message is a message as clients receive it.
type Message struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	AuthorKind     string    `json:"author_kind"`
	AuthorID       int64     `json:"author_id,omitempty"`
	AuthorName     string    `json:"author_name"`
	Internal       bool      `json:"internal"`
	Body           string    `json:"body"`
	BodyHTML       string    `json:"body_html"`
	At             time.Time `json:"at"`
	Attachments    []int64   `json:"attachments,omitempty"`
}

// Backend is what the hub needs from the domain.
type Backend interface {
	// CanSee reports whether the viewer may subscribe to the conversation.
	CanSee(ctx context.Context, v Viewer, conversationID int64) (bool, error)
	// History returns up to limit messages after afterSeq, oldest first, as
	// the viewer may see them.
	History(ctx context.Context, v Viewer, conversationID, afterSeq int64, limit int) ([]Message, error)
	// Send stores a message written over the socket; the same clientID
	// twice yields the first message.
	Send(ctx context.Context, v Viewer, conversationID int64, body, clientID string) (Message, error)
	// MarkRead records that the viewer has read up to seq.
	MarkRead(ctx context.Context, v Viewer, conversationID, seq int64) error
}

// Options configure the hub; zero values take the defaults noted.
type Options struct {
	Bus           event.Bus
	Backend       Backend
	Logger        *slog.Logger
	QueueSize     int           // 256 frames per connection
	WriteTimeout  time.Duration // 10s
	PingInterval  time.Duration // 25s
	MaxFrame      int64         // 16 KiB inbound
	RatePerSecond float64       // 10 inbound frames a second …
	Burst         int           // … after a burst of 20
	// Instance names this process among those sharing the bus (viewer
	// lists are kept per instance); default: random.
	Instance string
}

// Stats are the hub's counters.
type Stats struct {
	Connections   int64 `json:"connections"`
	Subscriptions int64 `json:"subscriptions"`
	Dropped       int64 `json:"dropped"` // slow consumers disconnected
	FramesIn      int64 `json:"frames_in"`
	FramesOut     int64 `json:"frames_out"`
	Refused       int64 `json:"refused"` // subscriptions refused by authorisation
	Resyncs       int64 `json:"resyncs"` // replays after a gap
}

// Hub fans bus events out to WebSocket connections.
type Hub struct {
	o   Options
	log *slog.Logger

	mu    sync.RWMutex // guards convs, inbox, conns
	conns map[*conn]struct{}
	convs map[int64]map[*conn]struct{} // conversation → subscribers
	inbox map[*conn]struct{}
	// viewing is who has each conversation open, per instance, as the
	// instances announced it over the bus (this one included).
	viewing map[int64]map[string]viewers

	connections, subscriptions, dropped, framesIn, framesOut, refused, resyncs atomic.Int64
}

// New returns a hub; call Run to start delivering events.
func New(o Options) *Hub {
	if o.QueueSize == 0 {
		o.QueueSize = 256
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.PingInterval == 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.MaxFrame == 0 {
		o.MaxFrame = 16 << 10
	}
	if o.RatePerSecond == 0 {
		o.RatePerSecond = 10
	}
	if o.Burst == 0 {
		o.Burst = 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Instance == "" {
		o.Instance = randomID()
	}
	return &Hub{o: o, log: o.Logger.With("component", "realtime"), conns: map[*conn]struct{}{},
		convs: map[int64]map[*conn]struct{}{}, inbox: map[*conn]struct{}{}, viewing: map[int64]map[string]viewers{}}
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	return Stats{Connections: h.connections.Load(), Subscriptions: h.subscriptions.Load(), Dropped: h.dropped.Load(),
		FramesIn: h.framesIn.Load(), FramesOut: h.framesOut.Load(), Refused: h.refused.Load(), Resyncs: h.resyncs.Load()}
}

// Run reads the bus until ctx ends. If the bus ever drops events for the
// hub, every subscription replays from its last sequence number.
func (h *Hub) Run(ctx context.Context) error {
	sub := h.o.Bus.Subscribe("realtime", 8192)
	defer sub.Close()
	var dropped int64
	// Viewer lists are repeated well within their TTL, so the other
	// instances keep them while agents stay.
	refresh := time.NewTicker(viewingTTL / 3)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			h.closeAll()
			return nil
		case <-refresh.C:
			for _, id := range h.viewedHere() {
				h.announceViewers(id)
			}
		case ev, ok := <-sub.C:
			if !ok {
				return nil
			}
			h.dispatch(ev)
			if d := sub.Dropped(); d != dropped {
				dropped = d
				h.log.Warn("bus dropped events for the hub; resyncing subscriptions", "dropped", d)
				h.resyncAll()
			}
		}
	}
}

// ServeWS upgrades the request and serves the connection in goroutines
// of its own; it returns once they have started. closed, if not nil, runs
// when the connection has ended (or at once if the upgrade failed).
// originPatterns is the caller's origin policy (widget or console).
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, v Viewer, originPatterns []string, closed func()) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: originPatterns})
	if err != nil {
		if closed != nil {
			closed()
		}
		return // Accept has answered the request
	}
	ws.SetReadLimit(h.o.MaxFrame)
	c := newConn(h, ws, v)
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.connections.Add(1)
	// The connection is hijacked: the handler returns and the reader
	// goes on in a goroutine of its own. The handler's goroutine has grown
	// its stack in the HTTP stack and the middleware, and an idle reader
	// would keep that stack for as long as the widget stays open.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	written := make(chan struct{})
	go func() {
		defer close(written)
		c.writeLoop(ctx)
	}()
	go func() {
		defer cancel()
		c.readLoop(ctx)
		h.remove(c)
		<-written // the closing handshake is done (or timed out)
		if closed != nil {
			closed()
		}
	}()
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.inbox, c)
	var left []int64
	for id := range c.subscribed() {
		if subs := h.convs[id]; subs != nil {
			delete(subs, c)
			h.subscriptions.Add(-1)
			if len(subs) == 0 {
				delete(h.convs, id)
			}
			left = append(left, id)
		}
	}
	h.mu.Unlock()
	h.connections.Add(-1)
	c.close(websocket.StatusNormalClosure, "")
	if c.v.isAgent() {
		for _, id := range left {
			h.announceViewers(id)
		}
	}
}

func (h *Hub) closeAll() {
	h.mu.RLock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
}

// frame marshals a server frame once for every recipient.
func frame(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

type messageFrame struct {
	Type    string  `json:"type"`
	Message Message `json:"message"`
}

type errorFrame struct {
	Type           string `json:"type"`
	Code           string `json:"code"`
	Message        string `json:"message,omitempty"`
	ConversationID int64  `json:"conversation_id,omitempty"`
}

type conversationFrame struct {
	Type           string            `json:"type"`
	ConversationID int64             `json:"conversation_id"`
	Changes        map[string]string `json:"changes,omitempty"`
	Status         string            `json:"status,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	Created        bool              `json:"created,omitempty"`
}

func toMessage(e event.MessageCreated) Message {
	return Message{ID: e.MessageID, ConversationID: e.ConversationID, Seq: e.Seq, AuthorKind: e.AuthorKind, AuthorID: e.AuthorID,
		AuthorName: e.AuthorName, Internal: e.Internal, Body: e.Body, BodyHTML: e.BodyHTML, At: e.At, Attachments: e.Attachments}
}

func (h *Hub) dispatch(ev event.Event) {
	switch e := ev.(type) {
	case event.MessageCreated:
		h.mu.RLock()
		subs := keys(h.convs[e.ConversationID])
		var inbox []*conn
		for c := range h.inbox {
			if c.v.sees(e.Scope) && !c.isSubscribed(e.ConversationID) {
				inbox = append(inbox, c)
			}
		}
		h.mu.RUnlock()
		msg := toMessage(e)
		f := frame(messageFrame{Type: "message", Message: msg})
		for _, c := range subs {
			c.deliver(msg, f)
		}
		for _, c := range inbox { // only agents subscribe to the inbox
			c.enqueue(f)
		}
	case event.ConversationCreated:
		f := frame(conversationFrame{Type: "conversation", ConversationID: e.ConversationID, Status: e.Status, Subject: e.Subject, Created: true})
		h.toInbox(e.Scope, event.Scope{}, f)
	case event.ConversationChanged:
		f := frame(conversationFrame{Type: "conversation", ConversationID: e.ConversationID, Changes: e.Changes})
		prev := event.Scope{ConversationID: e.ConversationID, CustomerID: e.CustomerID, TeamID: e.PrevTeamID, AssigneeID: e.PrevAssigneeID}
		h.toInbox(e.Scope, prev, f)
		h.mu.RLock()
		subs := keys(h.convs[e.ConversationID])
		h.mu.RUnlock()
		// Customers hear only what is theirs to know: status and subject,
		// not team, assignee, priority or tags.
		var cf []byte
		if public := publicChanges(e.Changes); len(public) > 0 {
			cf = frame(conversationFrame{Type: "conversation", ConversationID: e.ConversationID, Changes: public})
		}
		for _, c := range subs {
			switch {
			case !c.v.sees(e.Scope):
				h.unsubscribe(c, e.ConversationID)
				c.enqueue(frame(conversationFrame{Type: "revoked", ConversationID: e.ConversationID}))
			case c.v.isAgent():
				c.enqueue(f)
			case cf != nil:
				c.enqueue(cf)
			}
		}
	case event.ConversationsMerged:
		f := frame(conversationFrame{Type: "conversation", ConversationID: e.SourceID, Changes: map[string]string{"merged_into": itoa(e.ConversationID), "status": "closed"}})
		h.mu.RLock()
		subs := keys(h.convs[e.SourceID])
		h.mu.RUnlock()
		for _, c := range subs {
			c.enqueue(f)
		}
	case event.Typing:
		h.toPeers(e.ConversationID, e.ConnID, frame(struct {
			Type           string `json:"type"`
			ConversationID int64  `json:"conversation_id"`
			AuthorKind     string `json:"author_kind"`
			Name           string `json:"name"`
		}{"typing", e.ConversationID, e.AuthorKind, e.Name}))
	case event.Read:
		h.toPeers(e.ConversationID, e.ConnID, frame(struct {
			Type           string `json:"type"`
			ConversationID int64  `json:"conversation_id"`
			Seq            int64  `json:"seq"`
			Reader         string `json:"reader"`
		}{"read", e.ConversationID, e.Seq, e.Reader}))
	case event.Viewing:
		h.viewingChanged(e)
	case event.OnCallPaged:
		// Only the paged supervisor's consoles hear it.
		f := frame(conversationFrame{Type: "page", ConversationID: e.ConversationID})
		h.mu.RLock()
		var to []*conn
		for c := range h.conns {
			if c.v.isAgent() && c.v.AgentID == e.AgentID {
				to = append(to, c)
			}
		}
		h.mu.RUnlock()
		for _, c := range to {
			c.enqueue(f)
		}
	case event.AgentsNotified:
		// Only the notified agents' consoles hear it.
		f := frame(conversationFrame{Type: "notice", ConversationID: e.ConversationID})
		h.mu.RLock()
		var to []*conn
		for c := range h.conns {
			if c.v.isAgent() && slices.Contains(e.AgentIDs, c.v.AgentID) {
				to = append(to, c)
			}
		}
		h.mu.RUnlock()
		for _, c := range to {
			c.enqueue(f)
		}
	case event.AgentChanged:
		// Teams or role may have changed: the agent's connections close and
		// re-authenticate, so no stale permission outlives the change.
		h.mu.RLock()
		var stale []*conn
		for c := range h.conns {
			if e.Access && c.v.isAgent() && c.v.AgentID == e.AgentID {
				stale = append(stale, c)
			}
		}
		h.mu.RUnlock()
		for _, c := range stale {
			c.close(websocket.StatusPolicyViolation, "permissions changed; reconnect")
		}
	}
}

// toInbox sends f to inbox subscribers who see the conversation now or saw
// it before the change (so it can leave their list).
func (h *Hub) toInbox(now, before event.Scope, f []byte) {
	h.mu.RLock()
	var to []*conn
	for c := range h.inbox {
		if c.v.sees(now) || (before.ConversationID != 0 && c.v.sees(before)) {
			to = append(to, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range to {
		c.enqueue(f)
	}
}

func (h *Hub) resyncAll() {
	h.mu.RLock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		for id := range c.subscribed() {
			c.startReplay(id)
		}
	}
}

func publicChanges(ch map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"status", "subject"} {
		if v, ok := ch[k]; ok {
			out[k] = v
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func keys(m map[*conn]struct{}) []*conn {
	out := make([]*conn, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	return out
}

type viewer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// viewers is one instance's agents on a conversation, and when it said so.
type viewers struct {
	agents []viewer
	at     time.Time
}

// viewingTTL drops an instance's viewer list it has not repeated, so an
// instance that died does not leave a collision warning behind.
const viewingTTL = 2 * time.Minute

// announceViewers tells every instance which agents have the conversation
// open here; each instance then shows its agents the union (collision
// warning).
func (h *Hub) announceViewers(convID int64) {
	h.mu.RLock()
	subs := keys(h.convs[convID])
	h.mu.RUnlock()
	ev := event.Viewing{ConversationID: convID, Instance: h.o.Instance, AgentIDs: []int64{}, Names: []string{}}
	for _, c := range subs {
		if c.v.isAgent() && !slices.Contains(ev.AgentIDs, c.v.AgentID) {
			ev.AgentIDs, ev.Names = append(ev.AgentIDs, c.v.AgentID), append(ev.Names, c.v.Name)
		}
	}
	h.o.Bus.Publish(context.Background(), ev)
}

// viewedHere lists the conversations an agent here has open.
func (h *Hub) viewedHere() []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []int64
	for id, subs := range h.convs {
		for c := range subs {
			if c.v.isAgent() {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// viewingChanged records an instance's viewer list and shows the union to
// this instance's agents on the conversation.
func (h *Hub) viewingChanged(e event.Viewing) {
	now := time.Now()
	h.mu.Lock()
	per := h.viewing[e.ConversationID]
	if per == nil {
		per = map[string]viewers{}
		h.viewing[e.ConversationID] = per
	}
	if len(e.AgentIDs) == 0 {
		delete(per, e.Instance)
	} else {
		vs := viewers{at: now}
		for i, id := range e.AgentIDs {
			vs.agents = append(vs.agents, viewer{ID: id, Name: e.Names[i]})
		}
		per[e.Instance] = vs
	}
	agents := []viewer{}
	for inst, vs := range per {
		if now.Sub(vs.at) > viewingTTL && inst != h.o.Instance {
			delete(per, inst)
			continue
		}
		for _, a := range vs.agents {
			if !slices.ContainsFunc(agents, func(b viewer) bool { return b.ID == a.ID }) {
				agents = append(agents, a)
			}
		}
	}
	if len(per) == 0 {
		delete(h.viewing, e.ConversationID)
	}
	subs := keys(h.convs[e.ConversationID])
	h.mu.Unlock()
	slices.SortFunc(agents, func(a, b viewer) int { return int(a.ID - b.ID) })
	f := frame(struct {
		Type           string   `json:"type"`
		ConversationID int64    `json:"conversation_id"`
		Agents         []viewer `json:"agents"`
	}{"viewers", e.ConversationID, agents})
	for _, c := range subs {
		if c.v.isAgent() {
			c.enqueue(f)
		}
	}
}

// toPeers sends a live frame (typing, read) to a conversation's
// subscribers here, except the connection it came from.
func (h *Hub) toPeers(convID int64, from string, f []byte) {
	h.mu.RLock()
	var to []*conn
	for c := range h.convs[convID] {
		if c.id != from {
			to = append(to, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range to {
		c.enqueue(f)
	}
}

func (h *Hub) subscribe(c *conn, convID int64) {
	h.mu.Lock()
	subs := h.convs[convID]
	if subs == nil {
		subs = map[*conn]struct{}{}
		h.convs[convID] = subs
	}
	if _, ok := subs[c]; !ok {
		subs[c] = struct{}{}
		h.subscriptions.Add(1)
	}
	h.mu.Unlock()
}

func (h *Hub) unsubscribe(c *conn, convID int64) {
	h.mu.Lock()
	if subs := h.convs[convID]; subs != nil {
		if _, ok := subs[c]; ok {
			delete(subs, c)
			h.subscriptions.Add(-1)
		}
		if len(subs) == 0 {
			delete(h.convs, convID)
		}
	}
	h.mu.Unlock()
	c.dropSub(convID)
	if c.v.isAgent() {
		h.announceViewers(convID)
	}
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CustomerConnected reports whether the customer has a widget open on this
// instance; the email follow-up of a web chat reply waits while they do.
func (h *Hub) CustomerConnected(customerID int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.conns {
		if c.v.Kind == "customer" && c.v.CustomerID == customerID {
			return true
		}
	}
	return false
}
