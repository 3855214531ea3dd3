package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/event"
	"vigil/internal/realtime"
	"vigil/internal/ticket"
)

// hubBackend gives the realtime hub what it needs from the ticket domain.
type hubBackend struct{ a *App }

func scopeOf(v realtime.Viewer) ticket.Scope {
	switch {
	case v.Kind == "agent" && v.SeesAll:
		return ticket.Scope{All: true}
	case v.Kind == "agent":
		return ticket.Scope{AgentID: v.AgentID, TeamIDs: v.TeamIDs}
	default:
		return ticket.Scope{CustomerID: v.CustomerID}
	}
}

func (b hubBackend) CanSee(ctx context.Context, v realtime.Viewer, id int64) (bool, error) {
	_, err := b.a.Tickets.ByID(ctx, scopeOf(v), id)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	return err == nil, err
}

func (b hubBackend) History(ctx context.Context, v realtime.Viewer, id, after int64, limit int) ([]realtime.Message, error) {
	msgs, err := b.a.Tickets.Messages(ctx, scopeOf(v), id, ticket.MessagesFilter{AfterSeq: after, Limit: limit, IncludeInternal: v.Kind == "agent"})
	if err != nil {
		return nil, err
	}
	out := make([]realtime.Message, len(msgs))
	for i, m := range msgs {
		out[i] = toRealtime(m)
	}
	return out, nil
}

func toRealtime(m ticket.Message) realtime.Message {
	ids := make([]int64, len(m.Attachments))
	for i, a := range m.Attachments {
		ids[i] = a.ID
	}
	return realtime.Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, AuthorKind: string(m.AuthorKind),
		AuthorID: m.AuthorID, AuthorName: m.AuthorName, Internal: m.Internal, Body: m.Body, BodyHTML: m.BodyHTML,
		At: m.CreatedAt, Attachments: ids}
}

func (b hubBackend) Send(ctx context.Context, v realtime.Viewer, id int64, body, clientID string) (realtime.Message, error) {
	in := ticket.MessageInput{ConversationID: id, Body: body}
	if clientID != "" {
		in.ExternalID = "ws:" + clientID
	}
	if v.Kind == "agent" {
		in.AuthorKind, in.AuthorID, in.AuthorName = ticket.ByAgent, v.AgentID, v.Name
		ctx = audit.WithActor(ctx, audit.Actor{Kind: "agent", ID: v.AgentID})
	} else {
		in.AuthorKind, in.AuthorID, in.AuthorName = ticket.ByCustomer, v.CustomerID, v.Name
		ctx = audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: v.CustomerID})
	}
	scope := scopeOf(v)
	in.Writer = &scope
	m, err := b.a.Tickets.AddMessage(ctx, in)
	return toRealtime(m), err
}

func (b hubBackend) MarkRead(ctx context.Context, v realtime.Viewer, id, seq int64) error {
	reader := ticket.ByCustomer
	if v.Kind == "agent" {
		reader = ticket.ByAgent
	}
	return b.a.Tickets.MarkRead(ctx, id, reader, seq)
}

// consoleSocket is the agents' WebSocket, authenticated by the session
// cookie (same origin only).
func (a *App) consoleSocket(apiH *api.API, hub *realtime.Hub) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := apiH.Authenticate(r)
		if err == nil && !p.IsAgent() {
			err = &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.required", Message: "sign in first"}
		}
		if err != nil {
			api.WriteError(w, r, a.Log, err)
			return
		}
		v := realtime.Viewer{Kind: "agent", AgentID: p.AgentID, Name: p.Name, SeesAll: p.SeesAllTeams()}
		if !v.SeesAll {
			if v.TeamIDs, err = a.Agents.TeamIDs(r.Context(), p.AgentID); err != nil {
				api.WriteError(w, r, a.Log, err)
				return
			}
		}
		a.consoles.opened(a, p.AgentID)
		hub.ServeWS(w, r, v, nil, func() { a.consoles.closed(a, p.AgentID) })
	}
}

// consoles counts each agent's open console connections: an agent whose
// last console closed and stayed closed for ConsoleGrace goes offline, so
// routing stops giving them conversations.
// With several instances each announces its counts on the bus, so an agent
// whose console moved to another instance is not marked offline.
type consoles struct {
	mu     sync.Mutex // guards open, timers and remote
	open   map[int64]int
	timers map[int64]*time.Timer
	remote map[int64]map[string]remoteConsoles // agent → instance → count
}

type remoteConsoles struct {
	open int
	at   time.Time
}

// consoleBeat is how often an instance repeats its console counts; a count
// older than three beats is forgotten (its instance died).
const consoleBeat = 30 * time.Second

// ConsoleGrace is how long a closed console (a reload, a dropped network)
// may stay closed before its agent is marked offline.
var ConsoleGrace = 2 * time.Minute

func (c *consoles) init() {
	if c.open == nil {
		c.open, c.timers, c.remote = map[int64]int{}, map[int64]*time.Timer{}, map[int64]map[string]remoteConsoles{}
	}
}

func (c *consoles) opened(a *App, agentID int64) {
	c.mu.Lock()
	c.init()
	c.open[agentID]++
	n := c.open[agentID]
	if t := c.timers[agentID]; t != nil {
		t.Stop()
		delete(c.timers, agentID)
	}
	c.mu.Unlock()
	a.Bus.Publish(context.Background(), event.ConsolesOpen{Instance: a.Instance, AgentID: agentID, Open: n})
}

// heard records another instance's count for an agent.
func (c *consoles) heard(self string, e event.ConsolesOpen) {
	if e.Instance == self {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if c.remote[e.AgentID] == nil {
		c.remote[e.AgentID] = map[string]remoteConsoles{}
	}
	c.remote[e.AgentID][e.Instance] = remoteConsoles{open: e.Open, at: time.Now()}
}

// elsewhere reports whether another instance recently had a console of
// the agent open. c.mu must be held.
func (c *consoles) elsewhere(agentID int64) bool {
	for inst, r := range c.remote[agentID] {
		if time.Since(r.at) > 3*consoleBeat {
			delete(c.remote[agentID], inst)
			continue
		}
		if r.open > 0 {
			return true
		}
	}
	return false
}

// beat repeats this instance's counts until ctx ends.
func (c *consoles) beat(ctx context.Context, a *App) {
	sub := a.Bus.Subscribe("consoles", 1024)
	defer sub.Close()
	t := time.NewTicker(consoleBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if e, ok := ev.(event.ConsolesOpen); ok {
				c.heard(a.Instance, e)
			}
		case <-t.C:
			c.mu.Lock()
			var evs []event.Event
			for id, n := range c.open {
				evs = append(evs, event.ConsolesOpen{Instance: a.Instance, AgentID: id, Open: n})
			}
			c.mu.Unlock()
			a.Bus.Publish(ctx, evs...)
		}
	}
}

func (c *consoles) closed(a *App, agentID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open[agentID]--
	a.Bus.Publish(context.Background(), event.ConsolesOpen{Instance: a.Instance, AgentID: agentID, Open: max(c.open[agentID], 0)})
	if c.open[agentID] > 0 {
		return
	}
	delete(c.open, agentID)
	c.timers[agentID] = time.AfterFunc(ConsoleGrace, func() {
		c.mu.Lock()
		still := c.open[agentID] == 0 && c.timers[agentID] != nil && !c.elsewhere(agentID)
		delete(c.timers, agentID)
		c.mu.Unlock()
		if !still {
			return
		}
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
		if ag, err := a.Agents.ByID(ctx, agentID); err == nil && ag.Status != agent.Offline {
			if err := a.Agents.SetStatus(ctx, agentID, agent.Offline); err != nil {
				a.Log.Warn("marking an agent offline failed", "component", "realtime", "agent", agentID, "err", err)
			}
		}
	})
}
