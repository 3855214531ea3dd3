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
	if _, err := b.a.Tickets.ByID(ctx, scopeOf(v), id); err != nil {
		return realtime.Message{}, err
	}
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
		a.consoles.opened(p.AgentID)
		defer a.consoles.closed(a, p.AgentID)
		hub.ServeWS(w, r, v, nil)
	}
}

// consoles counts each agent's open console connections: an agent whose
// last console closed and stayed closed for ConsoleGrace goes offline, so
// routing stops giving them conversations.
type consoles struct {
	mu     sync.Mutex
	open   map[int64]int
	timers map[int64]*time.Timer
}

// ConsoleGrace is how long a closed console (a reload, a dropped network)
// may stay closed before its agent is marked offline.
var ConsoleGrace = 2 * time.Minute

func (c *consoles) opened(agentID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open, c.timers = map[int64]int{}, map[int64]*time.Timer{}
	}
	c.open[agentID]++
	if t := c.timers[agentID]; t != nil {
		t.Stop()
		delete(c.timers, agentID)
	}
}

func (c *consoles) closed(a *App, agentID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[agentID]--; c.open[agentID] > 0 {
		return
	}
	delete(c.open, agentID)
	c.timers[agentID] = time.AfterFunc(ConsoleGrace, func() {
		c.mu.Lock()
		still := c.open[agentID] == 0 && c.timers[agentID] != nil
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
